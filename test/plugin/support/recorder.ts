// A recorder for in-process tests, with a log that keeps its lines.
import { createLog } from '../../../src/plugin/runtime/log.ts';
import { Recorder, type RecorderOptions } from '../../../src/plugin/runtime/recorder.ts';
import type { Span } from '../../../src/core/wire-format.ts';

export function testRecorder(options: Partial<RecorderOptions> = {}): { recorder: Recorder; spans: Span[]; lines: string[] } {
  const spans: Span[] = [];
  const lines: string[] = [];
  const recorder = new Recorder({
    sampleRate: 1,
    traceSampleRate: 0,
    log: createLog(false, (line) => lines.push(line)),
    spanSink: (span) => spans.push(span),
    ...options,
  });
  return { recorder, spans, lines };
}
