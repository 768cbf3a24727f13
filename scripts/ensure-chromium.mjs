// Before the tests: the browser tests drive Debian's Chromium through playwright-core, so install
// it where it is missing (playwright's own browser download cannot work on machines without internet).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

if (!existsSync(CHROMIUM)) {
  console.log(`ensure-chromium: ${CHROMIUM} is missing; installing Debian's chromium package`);
  const isRoot = process.getuid?.() === 0;
  const run = (args) => {
    const [command, ...rest] = isRoot ? args : ['sudo', '-n', ...args];
    execFileSync(command, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  };
  try {
    run(['apt-get', 'update', '-qq']);
    run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'chromium', 'fonts-dejavu-core']);
  } catch (error) {
    console.error(`ensure-chromium: could not install chromium (${error.message}); the browser tests will fail. Install it with: apt-get install chromium`);
    process.exit(1);
  }
}
