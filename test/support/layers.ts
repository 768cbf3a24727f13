// Which folder of src/ may import which: each file belongs to the longest folder prefix listed in
// the rules, and every import it makes (type-only ones too, as in import-cycles.ts) must land in a
// folder its own folder may import.
import { relative, sep } from 'node:path';
import { importGraph } from './import-cycles.ts';

/** Folder (relative to the root, `/`-separated) → the folders its files may import. */
export type LayerRules = Record<string, readonly string[]>;

function layerOf(path: string, rules: LayerRules): string | undefined {
  let best: string | undefined;
  for (const layer of Object.keys(rules)) {
    const matches = path === layer || path.startsWith(`${layer}/`);
    if (matches && (best === undefined || layer.length > best.length)) best = layer;
  }
  return best;
}

/** `from → to` for every import that crosses into a folder its file may not import, sorted. */
export function layerViolations(root: string, rules: LayerRules): string[] {
  const rel = (path: string) => relative(root, path).split(sep).join('/');
  const out: string[] = [];
  for (const [file, targets] of importGraph(root)) {
    const from = layerOf(rel(file), rules);
    if (from === undefined) continue;
    for (const target of targets) {
      const to = layerOf(rel(target), rules);
      if (to === undefined || !rules[from]!.includes(to)) out.push(`${rel(file)} → ${rel(target)}`);
    }
  }
  return out.sort();
}

/** Every file `entry` reaches through its imports (itself included), relative to `root`. */
export function reachableFrom(root: string, entry: string): string[] {
  const graph = importGraph(root);
  const rel = (path: string) => relative(root, path).split(sep).join('/');
  const start = [...graph.keys()].find((file) => rel(file) === entry);
  if (start === undefined) throw new Error(`${entry} is not under ${root}`);
  const seen = new Set([start]);
  const pending = [start];
  while (pending.length > 0) for (const target of graph.get(pending.pop()!)!) if (!seen.has(target) && seen.add(target)) pending.push(target);
  return [...seen].map(rel).sort();
}
