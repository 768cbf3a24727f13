// The necessary work (necessary-preload.ts) with bun-apm's modules loaded beside it, nothing of them
// started (modules-only-preload.ts): tells what bun-apm's code being in the heap costs the necessary
// work from what the defaults' running parts do. Opt-in with BENCH_NECESSARY=1 (bench/variants.ts).
await import('./modules-only-preload.ts');
await import('./necessary-preload.ts');
export {}; // a module: top-level await
