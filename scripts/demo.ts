// `npm run demo`: starts the demo (scripts/demo-run.ts) in a session of its own and hands it Ctrl-C.
// A terminal's Ctrl-C signals its whole process group at once: the local edge's workerd would stop
// together with the services, before their final flush could reach it. Here only this process
// hears the terminal; the demo then stops its services first and its edge after them.
// A second Ctrl-C ends everything at once.
const run = Bun.spawn([process.execPath, `${import.meta.dir}/demo-run.ts`], {
  env: process.env,
  stdio: ['ignore', 'inherit', 'inherit'],
  detached: true,
});

let asked = 0;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    asked++;
    if (asked === 1) run.kill('SIGTERM');
    else process.kill(-run.pid, 'SIGKILL');
  });
}
process.exit(await run.exited);
