// For bench/tail.ts: the defaults without the system profiler (and its event-loop lag probe), to
// see what its timers cost the tail.
export default { profiling: { enabled: false } };
