// Writes the README's tables of settings from the one table of settings (src/core/config/settings.ts),
// between `<!-- settings:NAME -->` markers. test/core/config/readme-settings.test.ts fails when the
// README and the table differ; run this after changing a setting. Kept out of src/: documentation
// only, so the package does not ship it.
//   bun scripts/settings-readme.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Setting } from '../src/core/config/setting.ts';
import { SETTINGS, type Section } from '../src/core/config/settings.ts';

const code = (text: string) => `\`${text}\``;

function defaultOf(setting: Setting): string {
  if (setting.defaultText !== undefined) return setting.defaultText;
  const value = setting.default;
  if (value === undefined) return 'unset';
  if (setting.kind.textOf) return setting.kind.textOf(value);
  return typeof value === 'string' ? code(value) : String(value);
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** One section of the table as Markdown. */
export function settingsTable(section: Section): string {
  const settings: Setting[] = Object.values(SETTINGS[section]);
  const lines: string[] = [];
  if (section === 'preload') {
    lines.push(row(['variable', 'config key', 'default', 'accepted', 'meaning']), row(['---', '---', '---', '---', '---']));
    for (const s of settings) {
      const accepts = s.env && s.kind.acceptsText ? `${s.kind.accepts} (in the environment: ${s.kind.acceptsText})` : s.kind.accepts;
      lines.push(row([s.env ? code(s.env) : '—', s.inFile === false ? '—' : code(s.key), defaultOf(s), accepts, s.doc]));
    }
  } else if (section === 'worker') {
    lines.push(row(['var', 'default', 'accepted', 'meaning']), row(['---', '---', '---', '---']));
    for (const s of settings) lines.push(row([code(s.env!), defaultOf(s), s.kind.accepts, s.doc]));
  } else {
    lines.push(row(['option', 'default', 'accepted', 'meaning']), row(['---', '---', '---', '---']));
    for (const s of settings) lines.push(row([code(s.key), defaultOf(s), s.kind.accepts, s.doc]));
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

if (import.meta.main) {
  const path = join(import.meta.dir, '..', 'README.md');
  const before = readFileSync(path, 'utf8');
  const after = withSettingsTables(before);
  if (after !== before) writeFileSync(path, after);
  console.error(after === before ? 'README.md: settings tables already up to date' : 'README.md: settings tables rewritten');
}
