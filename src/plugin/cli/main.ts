#!/usr/bin/env bun
// The `bun-apm` command's entry. The line above runs it with Bun, but `node …/main.js` runs it with
// Node (package.json's engines names Node, for the package's other entries); the commands
// (commands.ts) use Bun's APIs as their modules load, and failed there with a raw TypeError. Static
// imports are evaluated before a module's own code, so this file imports nothing: the runtime is
// checked first, the commands loaded after.
if (typeof Bun === 'undefined') {
  process.stderr.write("bun-apm's CLI runs on Bun: use `bunx bun-apm …` (Bun: https://bun.sh)\n");
  process.exit(1);
}

// A module (for its top-level await) that exports nothing.
export {};

try {
  const { main } = await import('./commands.ts');
  process.exit(await main(process.argv.slice(2)));
} catch (error) {
  console.error(`bun-apm: ${(error as Error).message}`);
  process.exit(1);
}
