// For bench/tail.ts: bun-apm's modules loaded into the app's heap, nothing started or wrapped, to
// tell what its code alone costs the app's garbage collections from what its work costs. The
// installed package's (bench/tail.ts starts apps in the app it installed the tarball into), as
// the preload loads them.
await import(`${process.cwd()}/node_modules/bun-apm/dist/plugin/preload/start-monitoring.js`);
export {}; // a module: top-level await
