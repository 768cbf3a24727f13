// Writes the tables of settings of docs/settings.md (the preload's, the Worker's) and docs/options.md (the
// explicit API's) from the one table of settings (src/core/config/settings.ts), between
// `<!-- settings:NAME -->` markers. test/core/config/readme-settings.test.ts fails when a page and
// the table differ; run this after changing a setting. Kept out of src/, so the package does not ship it.
//   bun scripts/settings-readme.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Setting } from '../src/core/config/setting.ts';
import { SETTING_DOCS, type SettingDoc } from '../src/core/config/settings-docs.ts';
import { SETTINGS, type Section } from '../src/core/config/settings.ts';

const code = (text: string) => `\`${text}\``;

function defaultOf(setting: Setting, doc: SettingDoc): string {
  if (doc.defaultText !== undefined) return doc.defaultText;
  const value = setting.default;
  if (value === undefined) return 'unset';
  if (setting.kind.textOf) return setting.kind.textOf(value);
  return typeof value === 'string' ? code(value) : String(value);
}

/** What a setting accepts, short: `integer 100–3600000`, `0–1`, `≥ 500`; other kinds in their own words. */
function accepted(setting: Setting, asText: boolean): string {
  const { min, max, integer, accepts, acceptsText } = setting.kind;
  if (min !== undefined) return `${integer ? 'integer ' : ''}${max === undefined ? `≥ ${min}` : `${min}–${max}`}${accepts.endsWith('(rounded down)') ? ', rounded down' : ''}`;
  return asText && acceptsText ? `${accepts} (text: ${acceptsText})` : accepts;
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** One section of the table as Markdown. */
export function settingsTable(section: Section): string {
  const docs: Record<string, SettingDoc> = SETTING_DOCS[section];
  const settings: Array<[Setting, SettingDoc]> = Object.entries(SETTINGS[section] as Record<string, Setting>).map(([name, s]) => [s, docs[name]!]);
  const lines: string[] = [];
  if (section === 'preload') {
    lines.push(row(['variable', 'config key', 'default', 'range', 'meaning']), row(['---', '---', '---', '---', '---']));
    for (const [s, d] of settings) {
      lines.push(row([s.env ? code(s.env) : '—', s.inFile === false ? '—' : code(s.key), defaultOf(s, d), accepted(s, s.env !== undefined), d.doc]));
    }
  } else if (section === 'worker') {
    lines.push(row(['var', 'default', 'range', 'meaning']), row(['---', '---', '---', '---']));
    for (const [s, d] of settings) lines.push(row([code(s.env!), defaultOf(s, d), accepted(s, true), d.doc]));
  } else {
    lines.push(row(['option', 'default', 'range', 'meaning']), row(['---', '---', '---', '---']));
    for (const [s, d] of settings) lines.push(row([code(s.key), defaultOf(s, d), accepted(s, false), d.doc]));
  }
  return lines.join('\n');
}

const MARKER = /<!-- settings:([a-zA-Z]+) -->[\s\S]*?<!-- \/settings:\1 -->/g;

/** The README with every marked table made again from the table; throws on a marker of no section. */
export function withSettingsTables(readme: string): string {
  return readme.replace(MARKER, (_match, name: string) => {
    if (!(name in SETTINGS)) throw new Error(`README: <!-- settings:${name} --> names no section of the settings table`);
    return `<!-- settings:${name} -->\n${settingsTable(name as Section)}\n<!-- /settings:${name} -->`;
  });
}

/** The section names the README marks, in order. */
export function markedSections(readme: string): string[] {
  return [...readme.matchAll(MARKER)].map((match) => match[1]!);
}

/** The pages that hold tables of settings, from the repository's root. */
export const PAGES = ['docs/settings.md', 'docs/options.md'];

if (import.meta.main) {
  for (const page of PAGES) {
    const path = join(import.meta.dir, '..', page);
    const before = readFileSync(path, 'utf8');
    const after = withSettingsTables(before);
    if (after !== before) writeFileSync(path, after);
    console.error(after === before ? `${page}: settings tables already up to date` : `${page}: settings tables rewritten`);
  }
}
