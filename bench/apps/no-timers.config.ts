// For bench/instructions.ts: no profiler and no batch timer, so that the instructions counted are
// those of the requests (under valgrind requests are ~50× slower, which would inflate the share of
// the timers' work per request ~50×).
export default { profiling: { enabled: false }, flushIntervalMs: 3_600_000 };
