// For bench/tail.ts: bun-apm's modules loaded into the app's heap, nothing started or wrapped, to
// tell what its code alone costs the app's garbage collections from what its work costs.
import '../../src/plugin/preload/start-monitoring.ts';
