// The SQLite files a persisted local edge (startEdge({ persistDir })) keeps its Durable Objects in.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Every object's SQLite file under `dir` (the app stores and the dashboard's sessions), read once the runtime is stopped. */
export function sqliteFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile() && entry.name.endsWith('.sqlite')).map((entry) => join(entry.parentPath, entry.name));
}
