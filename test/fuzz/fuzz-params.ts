// How the property and fuzz tests run: bounded in runs and seconds so `npm test` stays fast, with
// the seed in every failure report (fast-check prints it) and a way to replay or widen a run:
//   FUZZ_SEED=123 FUZZ_PATH=4:1 bun test …   replays a reported failure
//   FUZZ_RUNS=5000 FUZZ_SECONDS=600 bun test …   a longer hunt
import type fc from 'fast-check';

const seconds = (fallback: number) => (process.env.FUZZ_SECONDS ? Number(process.env.FUZZ_SECONDS) : fallback);

/** bun:test's timeout for a property run of `defaultSeconds`: its time limit and room to report. */
export function fuzzTimeout(defaultSeconds: number): number {
  return seconds(defaultSeconds) * 1000 + 30_000;
}

export function fuzzParams<T>(defaults: { runs: number; seconds: number }, extra: fc.Parameters<T> = {}): fc.Parameters<T> {
  const env = process.env;
  const params: fc.Parameters<T> = {
    numRuns: env.FUZZ_RUNS ? Number(env.FUZZ_RUNS) : defaults.runs,
    // Past the time limit the run stops where it is and passes with the runs it made.
    interruptAfterTimeLimit: seconds(defaults.seconds) * 1000,
    markInterruptAsFailure: false,
    // bun test shows no `cause`: the failing check's message goes into the report itself.
    includeErrorInReport: true,
    ...extra,
  };
  if (env.FUZZ_SEED) params.seed = Number(env.FUZZ_SEED);
  if (env.FUZZ_PATH) params.path = env.FUZZ_PATH;
  return params;
}
