// For bench/tail.ts: bun-apm's modules loaded into the app's heap, nothing started or wrapped, to
// tell what its code alone costs the app's garbage collections from what its work costs. The
// built package's (bench/tail.ts builds it first), as the preload loads them.
import '../../dist/plugin/preload/start-monitoring.js';
