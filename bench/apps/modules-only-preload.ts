// For bench/tail.ts and bench/ab.ts (BENCH_MODULES_ONLY=1): bun-apm's modules loaded into the
// app's heap, nothing started or wrapped, to tell what its code alone costs the app (its garbage
// collections, its throughput) from what its work costs. The
// installed package's (bench/tail.ts starts apps in the app it installed the tarball into), as
// the preload loads them.
await import(`${process.cwd()}/node_modules/bun-apm/dist/plugin/preload/start-monitoring.js`);
export {}; // a module: top-level await
