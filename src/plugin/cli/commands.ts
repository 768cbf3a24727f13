// The `bun-apm` command's commands (main.ts runs them once it knows Bun runs it): set an app up,
// make the edge's keys, run and deploy the edge from the app, check a setup. `--help` and
// `--version` print and change nothing, for every command.
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { didYouMean } from '../../core/config/nearest-name.ts';
import { environmentFor, readDotEnv } from './dot-env.ts';
import { appDirectory } from './app-directory.ts';
import { DEFAULT_EDGE_DIR } from './edge-init.ts';
import { OWN_ROOT, versionOf } from './installed-package.ts';
import { shellQuote } from './keys.ts';

interface Command {
  usage: string;
  options: NonNullable<Parameters<typeof parseArgs>[0]>['options'];
  run(values: Record<string, string | boolean | string[] | undefined>, positionals: string[]): Promise<number>;
}

const GENERAL = `bun-apm — zero-code performance monitoring for Bun HTTP apps

Usage: bunx bun-apm <command> [options]

  init [dir]        set an app up for the preload: bunfig.toml, bun-apm.config.ts, BUN_APM_* in .env
  edge init         write ${DEFAULT_EDGE_DIR}/: the edge's wrangler.toml, its keys in .dev.vars, a .gitignore
  keys              print the edge's keys and the \`wrangler secret put\` lines that deploy them
  edge dev          run the edge locally (wrangler dev) where the app's BUN_APM_ENDPOINT points
  doctor [dir]      check the preload, the configuration and that the edge accepts the app's key

  bunx bun-apm <command> --help     that command's options
  bunx bun-apm --version            the installed version
`;

const EDGE_DIR_OPTION = { type: 'string', default: DEFAULT_EDGE_DIR } as const;

const COMMANDS: Record<string, Command> = {
  init: {
    usage: `Usage: bunx bun-apm init [dir] [--endpoint URL]

Sets the app in [dir] (default: here) up for the preload, changing none of its code:
  bunfig.toml        preload = ["bun-apm/preload"], before any preload already there
  bun-apm.config.ts  a commented config file (kept if it exists)
  .env               BUN_APM_APP (from package.json's name), a new BUN_APM_INGEST_KEY and
                     BUN_APM_ENDPOINT (kept where already set); the key is this app's from then on
                     (.env.local instead when git tracks .env: the key must not be committed)
  .gitignore         that file added unless git ignores it already, so the key is never committed

  --endpoint URL     the edge's URL (default: $BUN_APM_ENDPOINT, else http://127.0.0.1:8787, where
                     \`bunx bun-apm edge dev\` runs it)
`,
    options: { endpoint: { type: 'string' } },
    async run(values, positionals) {
      const { checkEndpoint, initApp } = await import('./init.ts');
      // As typed (absolute or not, each file is joined to it), so that its errors name it as typed.
      const dir = positionals[0] === undefined ? process.cwd() : withHome(positionals[0]);
      appDirectory(dir);
      // An empty BUN_APM_ENDPOINT= (a copied .env.example) is unset, as the preload reads it.
      const flag = values.endpoint as string | undefined;
      const result = initApp(dir, flag ?? (environmentFor(dir).BUN_APM_ENDPOINT || undefined));
      console.log(`bun-apm init: app "${result.app}"`);
      for (const file of result.changed) console.log(`  wrote ${file}`);
      for (const file of result.unchanged) console.log(`  kept  ${file} (already set up)`);
      if (result.notDotEnv) console.log(`  the settings went to ${result.envFile}: ${result.notDotEnv}`);
      if (result.readableByOthers) console.log(`  note: ${result.readableByOthers}`);
      // .env's endpoint is kept (a re-run must not move the app); a flag that changed nothing says so.
      if (flag !== undefined && checkEndpoint(flag) !== result.endpoint.replace(/\/+$/, '')) {
        console.log('  --endpoint not applied: .env already sets BUN_APM_ENDPOINT; edit that line to change where the app sends');
      }
      // The other commands run in the app's directory: from elsewhere (a monorepo's root) each says so.
      const there = resolve(dir) === process.cwd() ? '' : `cd ${shellWord(shownDirectory(process.cwd(), resolve(dir)))} && `;
      console.log(`
This app's ingest key is in ${result.envFile}. For an edge of your own: \`${there}bunx bun-apm edge init\`, then
\`${there}bunx bun-apm edge dev\`. For an edge that exists already, add ${result.app}:<BUN_APM_INGEST_KEY> to its
INGEST_KEYS and set BUN_APM_ENDPOINT in ${result.envFile}. Check with \`${there}bunx bun-apm doctor\`; start the app as usual.`);
      return 0;
    },
  },

  keys: {
    usage: `Usage: bunx bun-apm keys [--app NAME]... [--edge-dir DIR]

Prints the edge's keys and one \`wrangler secret put\` line per secret. This app's ingest key is the
one \`init\` wrote to .env. When DIR/.dev.vars exists (written by \`edge init\`) the keys kept there are
printed, and an ingest key is added there for this app (its key from .env) and for each --app it
lacks; otherwise a new set is made and printed only.

  --app NAME         another app that sends to the same edge (repeatable)
  --edge-dir DIR     the edge's directory (default: ${DEFAULT_EDGE_DIR})
`,
    options: { app: { type: 'string', multiple: true }, 'edge-dir': EDGE_DIR_OPTION },
    async run(values) {
      const { edgeKeys, keysReport } = await import('./keys.ts');
      const appDir = appDirectory(process.cwd());
      const edgeDir = directoryArgument(values['edge-dir'] as string, appDir, '--edge-dir');
      const keys = edgeKeys(appDir, edgeDir, (values.app as string[] | undefined) ?? [], existsSync(join(edgeDir, '.dev.vars')));
      console.log(keysReport(keys, { edgeDir: shownDirectory(appDir, edgeDir), endpoint: endpointOf(appDir) }));
      return 0;
    },
  },

  doctor: {
    usage: `Usage: bunx bun-apm doctor [dir]

Checks the app in [dir] (default: here): bunfig.toml preloads bun-apm, bun-apm resolves, the
configuration (environment over .env over bun-apm.config.ts) is valid, and the edge at
BUN_APM_ENDPOINT accepts BUN_APM_INGEST_KEY (POST /v1/check: no data is added). Exit code 0 when
every check passes, 1 otherwise.
`,
    options: {},
    async run(_values, positionals) {
      const { doctor } = await import('./doctor.ts');
      // Absolute: the config file found there is imported, and a relative path would be read as a package name.
      return doctor(appDirectory(directoryArgument(positionals[0], process.cwd(), 'the directory')));
    },
  },

  'edge init': {
    usage: `Usage: bunx bun-apm edge init [--dir DIR] [--app NAME]... [--name WORKER] [--force]

Writes DIR (default: ${DEFAULT_EDGE_DIR}) in this app, from which the edge runs and deploys without a
clone of bun-apm:
  wrangler.toml   the package's own, with \`main\` and the static assets pointing into the installed
                  bun-apm (kept if it exists; --force rewrites it, e.g. after upgrading bun-apm,
                  keeping your [vars] values, workers_dev, account_id and route(s), naming what
                  it reset, and the old file as wrangler.toml.bak, or .bak.1, .bak.2… when one
                  exists; a file that is not valid TOML is left as it is)
  .dev.vars       the edge's keys, made once (this app's ingest key from .env)
  .gitignore      .dev.vars, .wrangler/ and wrangler.toml.bak*
and prints the \`wrangler secret put\` lines. Deploy with \`cd DIR && npx wrangler deploy\`.

  --app NAME      another app that sends to this edge (repeatable)
  --name WORKER   the Worker's name (default: bun-apm)
  --force         rewrite wrangler.toml for the installed bun-apm (your [vars] and deployment keys kept)
`,
    options: { dir: EDGE_DIR_OPTION, app: { type: 'string', multiple: true }, name: { type: 'string' }, force: { type: 'boolean' } },
    async run(values) {
      const { edgeInit, WRANGLER_BACKUP } = await import('./edge-init.ts');
      const { varsReport } = await import('./wrangler-vars.ts');
      const { keysReport } = await import('./keys.ts');
      const appDir = appDirectory(process.cwd());
      const result = edgeInit(appDir, {
        dir: directoryArgument(values.dir as string, appDir, '--dir'),
        apps: (values.app as string[] | undefined) ?? [],
        name: values.name as string | undefined,
        force: values.force === true,
      });
      const shown = shownDirectory(appDir, result.dir);
      console.log(`bun-apm edge init: ${shown}/`);
      for (const file of result.changed) {
        console.log(`  wrote ${file}`);
        if (file === 'wrangler.toml' && result.vars) for (const line of varsReport(result.vars, WRANGLER_BACKUP)) console.log(`        ${line}`);
      }
      for (const file of result.unchanged) console.log(`  kept  ${file}`);
      // `edge dev` alone runs the default directory: another one is named, as the shell takes it.
      const dirFlag = result.dir === resolve(appDir, DEFAULT_EDGE_DIR) ? '' : ` --dir ${shellWord(shown)}`;
      console.log(`\nRun it here: bunx bun-apm edge dev${dirFlag}. Deploy it: cd ${shellWord(shown)} && npx wrangler deploy, after storing the secrets:\n`);
      console.log(keysReport(result.keys, { edgeDir: shown, endpoint: endpointOf(appDir) }));
      return 0;
    },
  },

  'edge dev': {
    usage: `Usage: bunx bun-apm edge dev [--dir DIR] [--port N] [--inspector-port N]

Runs the edge of DIR (default: ${DEFAULT_EDGE_DIR}) in the local Workers runtime with \`wrangler dev\` (the
app's own wrangler, else one on PATH, else \`bun x wrangler@4.86.0\`, the tested version), on 127.0.0.1 at the port of the app's
BUN_APM_ENDPOINT (else 8787), with the keys of DIR/.dev.vars. Data is kept in DIR/.wrangler/.
Alert rules are evaluated every minute. Stops on Ctrl-C. wrangler also opens its devtools
inspector on 127.0.0.1 (9229, or the next port free).

  --port N             listen on N instead
  --inspector-port N   the inspector on N instead
`,
    options: { dir: EDGE_DIR_OPTION, port: { type: 'string' }, 'inspector-port': { type: 'string' } },
    async run(values) {
      const { devPort, edgeDev, portArgument } = await import('./edge-dev.ts');
      const appDir = appDirectory(process.cwd());
      const inspector = values['inspector-port'] as string | undefined;
      return edgeDev(appDir, directoryArgument(values.dir as string, appDir, '--dir'), devPort(appDir, process.env, values.port as string | undefined), inspector === undefined ? undefined : portArgument('--inspector-port', inspector));
    },
  },
};

/**
 * A path typed on the command line with a leading `~` as the home directory: the shell leaves it as
 * typed in `--dir=~/edge` or a quoted "~/edge", and it had made a folder named `~`.
 */
function withHome(path: string): string {
  return /^~(?=$|[/\\])/.test(path) ? homedir() + path.slice(1) : path;
}

/**
 * A directory named on the command line, absolute: an absolute path as given (joined to the app's
 * directory, `edge init --dir /tmp/edge` had written ./tmp/edge inside the app), a relative one
 * from `base`, nothing as `base` itself.
 */
function directoryArgument(value: string | undefined, base: string, name: string): string {
  // An empty value (`--dir ""`, an unset shell variable) had silently named the app's own directory.
  if (value === '') throw new Error(`${name}: expected a directory, got an empty value`);
  const dir = value === undefined ? resolve(base) : resolve(base, withHome(value));
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error(`${name}: ${dir} is a file, not a directory`);
  return dir;
}

/** `dir` as printed: relative to the app when inside it, else absolute (a ../../ chain out of the app reads worse). */
function shownDirectory(appDir: string, dir: string): string {
  const path = relative(appDir, dir);
  if (path === '') return '.';
  return path === '..' || path.startsWith(`..${sep}`) || isAbsolute(path) ? dir : path;
}

/** A path as one word of a shell command line: quoted only when it needs to be. */
function shellWord(path: string): string {
  return /^[\w./+-]+$/.test(path) ? path : shellQuote(path);
}

/** BUN_APM_ENDPOINT as the app sees it: environment over .env. */
function endpointOf(appDir: string): string | undefined {
  return process.env.BUN_APM_ENDPOINT || readDotEnv(join(appDir, '.env')).BUN_APM_ENDPOINT || undefined;
}

class UsageError extends Error {}

/** The command named by the first one or two words, and the arguments after them. */
function commandOf(argv: string[]): { name: string; command: Command | undefined; rest: string[] } {
  const two = argv.slice(0, 2).join(' ');
  if (COMMANDS[two]) return { name: two, command: COMMANDS[two], rest: argv.slice(2) };
  const one = argv[0] ?? '';
  return { name: one, command: Object.hasOwn(COMMANDS, one) ? COMMANDS[one] : undefined, rest: argv.slice(1) };
}

export async function main(argv: string[]): Promise<number> {
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h') {
    console.log(GENERAL);
    return 0;
  }
  if (first === '--version' || first === '-v' || first === 'version') {
    console.log(versionOf(OWN_ROOT));
    return 0;
  }
  if (first === 'help') {
    const { command } = commandOf(argv.slice(1));
    console.log(command?.usage ?? GENERAL);
    return 0;
  }
  const { name, command, rest } = commandOf(argv);
  // `edge --help`: the edge's two commands, as asked, not an unknown command.
  if (command === undefined && first === 'edge' && (argv[1] === '--help' || argv[1] === '-h' || argv[1] === undefined)) {
    console.log(`${COMMANDS['edge init']!.usage}\n${COMMANDS['edge dev']!.usage}`);
    return argv[1] === undefined ? 2 : 0;
  }
  if (command === undefined) {
    const edge = first === 'edge' ? ` (edge takes init or dev)` : '';
    console.error(`bun-apm: unknown command "${argv.slice(0, first === 'edge' ? 2 : 1).join(' ')}"${edge}\n\n${GENERAL}`);
    return 2;
  }
  // Help anywhere among the arguments wins, so that no command runs when help was asked for.
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true });
    const most = name === 'init' || name === 'doctor' ? 1 : 0;
    if (parsed.positionals.length > most) throw new UsageError(`unexpected argument "${parsed.positionals[most]}"`);
  } catch (error) {
    console.error(`bun-apm ${name}: ${usageProblem(error as Error, command.options)}\n\n${command.usage}`);
    return 2;
  }
  return command.run(parsed.values, parsed.positionals);
}

/**
 * What was wrong with the command line: an option it does not take is named with the nearest one it
 * does (node:util's own message suggested `--` and held a stray quote: a review).
 */
function usageProblem(error: Error, options: Command['options']): string {
  const unknown = /^Unknown option '([^']+)'/.exec(error.message)?.[1];
  if (unknown === undefined) return error.message;
  const known = Object.keys(options ?? {}).map((option) => `--${option}`);
  return `unknown option "${unknown}"${didYouMean(unknown, known)}`;
}
