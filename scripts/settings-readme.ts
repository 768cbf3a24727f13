// Writes the README's tables of settings from the one table of settings (src/core/config/settings.ts).
// test/core/config/readme-settings.test.ts fails when the README and the table differ; run this after
// changing a setting.
//   bun scripts/settings-readme.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withSettingsTables } from '../src/core/config/readme-tables.ts';

const path = join(import.meta.dir, '..', 'README.md');
const before = readFileSync(path, 'utf8');
const after = withSettingsTables(before);
if (after !== before) writeFileSync(path, after);
console.error(after === before ? 'README.md: settings tables already up to date' : 'README.md: settings tables rewritten');
