// What `bun-apm/preload` and `bun-apm/middleware` resolve to under Node (package.json's `node`
// condition): they run on Bun's own APIs (Bun.serve, Bun.file), and Node had stopped at their first
// asset import with `Import attribute type "file" is unsupported`, which names nothing of the cause.
throw new Error("bun-apm's preload and middleware run on Bun: start the app with `bun` (https://bun.sh), e.g. `bun --preload bun-apm/preload app.ts`");
