// Which of the processes one launcher started this one is, as the launcher names it: pm2's
// NODE_APP_INSTANCE (0..n-1, the same slot again when pm2 restarts it), else a node:cluster worker's
// id (NODE_UNIQUE_ID, set before the worker's preload runs; a worker the primary forks again gets a
// new one). Read from the environment: node:cluster is never loaded for it.

type Env = Record<string, string | undefined>;

/** This process's slot as first read: node:cluster deletes NODE_UNIQUE_ID once the worker loads it. */
let ownSlot: string | undefined;

/** `pm2-<n>`, `worker-<id>`, or '' when no launcher names this process. */
export function launcherSlot(env: Env = process.env): string {
  if (env !== process.env) return slotOf(env);
  ownSlot ??= slotOf(env);
  return ownSlot;
}

function slotOf(env: Env): string {
  const pm2 = env.NODE_APP_INSTANCE?.trim();
  if (pm2 && /^\d{1,9}$/.test(pm2)) return `pm2-${pm2}`;
  const worker = env.NODE_UNIQUE_ID?.trim();
  if (worker && /^\d{1,9}$/.test(worker)) return `worker-${worker}`;
  return '';
}
