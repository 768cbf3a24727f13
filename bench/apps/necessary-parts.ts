// What the necessary and deferred preloads count with: bun-apm's own core classes, set up as the
// preload sets them up (the route cap, the caps read from the environment).
import { HotRollups } from '../../src/core/hot-rollups.ts';
import { RouteNamer } from '../../src/core/route-namer.ts';
import { RateSampler } from '../../src/core/sampler.ts';
import { PRELOAD } from '../../src/core/config/preload-settings.ts';
import { settingFromText } from '../../src/core/config/read-setting.ts';

export const routes = new RouteNamer(PRELOAD.routeCap.default!);
export const rollups = new HotRollups();
export const samples = new RateSampler(settingFromText(PRELOAD.samplesPerSecond, process.env, 'env') ?? PRELOAD.samplesPerSecond.default);
export const traces = new RateSampler(settingFromText(PRELOAD.tracesPerSecond, process.env, 'env') ?? PRELOAD.tracesPerSecond.default);
/** Date.now() − performance.now() at start. */
export const wallOffset = Date.now() - performance.now();
