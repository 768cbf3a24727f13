// The recorder the middleware counts with: the preload's when it runs in this process (so a request
// is counted once, whoever sees it first), else one recorder shared by every middleware instance.
import { createLog } from '../../plugin/runtime/log.ts';
import { processRecorder } from '../../plugin/runtime/process-recorder.ts';
import { Recorder } from '../../plugin/runtime/recorder.ts';
import { slot } from '../../plugin/runtime/registry.ts';
import { unref } from '../../plugin/runtime/unref.ts';

const box = slot('middlewareRecorder', (): { current: Recorder | undefined } => ({ current: undefined }));

export function sharedRecorder(): Recorder {
  const preload = processRecorder();
  if (preload !== undefined) return preload;
  let recorder = box.current;
  if (recorder === undefined) {
    // No sampling, tracing or Server-Timing of its own: the monitors observe it, the tracer traces.
    const created = new Recorder({ sampleRate: 0, traceSampleRate: 0, followParents: false, serverTiming: 'off', log: createLog(false) });
    // Nobody ships its rollups: empty them so they stay bounded (the monitors keep their own). Every
    // 10 s, as a drain also follows the wall clock: with profiling off nothing else does, and after a
    // clock step the monitor's records had kept the old time (short windows lost the newest requests).
    unref(setInterval(() => created.drain(), 10_000));
    box.current = created;
    recorder = created;
  }
  return recorder;
}
