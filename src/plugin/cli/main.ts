#!/usr/bin/env bun
// The `bun-apm` command: init an app, make keys, check a setup.
import { initApp } from './init.ts';
import { generateKeys, keysReport } from './keys.ts';

const USAGE = `bun-apm — zero-code performance monitoring for Bun HTTP apps

  bunx bun-apm init [dir] [--endpoint URL]   set an app up for the preload (bunfig.toml, config, .env)
  bunx bun-apm keys [--app NAME]...          make ingest/read/admin keys and print the secret commands
  bunx bun-apm doctor [dir]                  check an app's setup and that the edge accepts its key
`;

function flagValues(args: string[], flag: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < args.length; i++) if (args[i] === flag && args[i + 1]) values.push(args[++i]!);
  return values;
}

function positional(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i]!.startsWith('--')) i++;
    else out.push(args[i]!);
  }
  return out;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'init': {
      const dir = positional(args)[0] ?? process.cwd();
      const result = initApp(dir, flagValues(args, '--endpoint')[0]);
      console.log(`bun-apm init: app "${result.app}"`);
      for (const file of result.changed) console.log(`  wrote ${file}`);
      for (const file of result.unchanged) console.log(`  kept  ${file} (already set up)`);
      console.log(`\nOn the edge, add this app's key to INGEST_KEYS (comma-separated app:key pairs):\n  ${result.app}:${result.ingestKey}`);
      console.log('Then start the app as usual (`bun run …`): bunfig.toml preloads bun-apm. Check with `bunx bun-apm doctor`.');
      return 0;
    }
    case 'keys': {
      const apps = flagValues(args, '--app');
      console.log(keysReport(generateKeys(apps.length > 0 ? apps : ['app'])));
      return 0;
    }
    case 'doctor': {
      const { doctor } = await import('./doctor.ts');
      return doctor(positional(args)[0] ?? process.cwd());
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      console.error(`bun-apm: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`bun-apm: ${error.message}`);
      process.exit(1);
    },
  );
}
