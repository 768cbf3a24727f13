// A PID 1 told to stop ships every second for a while (shutdown.ts asInit): for a while only, so a
// container that is never killed does not ask the edge ten times as often for good.
import { afterEach, expect, test } from 'bun:test';
import { Batcher } from '../../src/plugin/runtime/batcher.ts';
import { processIdentity } from '../../src/plugin/runtime/identity.ts';
import { createLog } from '../../src/plugin/runtime/log.ts';
import { testRecorder } from './support/recorder.ts';

let batcher: Batcher | undefined;
afterEach(() => batcher?.stop());

test('hurry cuts every intervalMs for forMs, then at the flush interval again; stopped, it does nothing', async () => {
  const { recorder } = testRecorder({ routeCap: 100 });
  batcher = new Batcher({ recorder, identity: processIdentity('hurry-test', 'api'), flushIntervalMs: 60_000, maxPendingBytes: 1 << 20, log: createLog(false, () => {}) });
  batcher.start();
  const cuts: number[] = [];
  const cut = batcher.cut.bind(batcher);
  const started = performance.now();
  batcher.cut = () => {
    cuts.push(performance.now() - started);
    cut();
  };
  batcher.hurry(40, 300);
  await Bun.sleep(700);
  const during = cuts.filter((at) => at < 300).length;
  const after = cuts.filter((at) => at >= 400).length;
  // The flush at once, then a cut each 40 ms while hurried (a loaded machine may lose a few), none after.
  expect(during).toBeGreaterThanOrEqual(4);
  expect(after).toBe(0);
  batcher.stop();
  const stoppedAt = cuts.length;
  batcher.hurry(40, 300);
  await Bun.sleep(150);
  expect(cuts.length).toBe(stoppedAt);
});
