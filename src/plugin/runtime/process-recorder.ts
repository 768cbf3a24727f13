// The recorder of this process, where the middleware finds the preload's (one process, one
// recorder: a request is marked by whichever sees it first and counted once).
import type { Recorder } from './recorder.ts';
import { slot } from './registry.ts';

const box = slot('recorder', (): { current: Recorder | undefined } => ({ current: undefined }));

/**
 * The recorder the preload started, if it did. Only the explicit middleware asks, and from then
 * on it must find requests by their mark: asking switches the preload's requests to carrying one.
 */
export function processRecorder(): Recorder | undefined {
  const recorder = box.current;
  recorder?.markRequests();
  return recorder;
}

export function setProcessRecorder(recorder: Recorder | undefined): void {
  box.current = recorder;
}
