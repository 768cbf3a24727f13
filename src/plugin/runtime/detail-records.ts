// The detail records of sampled requests, kept until the batcher takes them, with the latest system
// profile's figures written into a record only when they changed since the last one.
import { clip, LIMITS, toMicros, type DetailSample, type SystemProfile } from '../../core/wire-format.ts';
import { shownPath } from '../../core/redaction/redaction.ts';
import type { RequestState } from './request-state.ts';

type MemoryUsage = NonNullable<DetailSample['memoryUsage']>;

export class DetailRecords {
  #samples: DetailSample[] = [];
  #dropped = 0;
  #signalled = false;
  #latestProfile: SystemProfile | undefined;
  /** The latest profile's memory figures, one object shared by the records made until the next profile. */
  #memory: MemoryUsage | undefined;
  /**
   * The profile whose figures the records last carried: a record carries them only when they changed
   * since, the later ones have them by `fillCarriedProfiles` (the batcher's encoding, the edge).
   */
  #profileWritten: SystemProfile | undefined;

  /**
   * `perCut`: records encoded together; `onFull` is called once when they are reached (or records
   * are dropped at the batch's limit), so the batcher takes them.
   */
  constructor(
    readonly perCut: number,
    readonly onFull: (() => void) | undefined,
  ) {}

  get latestProfile(): SystemProfile | undefined {
    return this.#latestProfile;
  }

  set latestProfile(profile: SystemProfile | undefined) {
    this.#latestProfile = profile;
    this.#memory = profile === undefined ? undefined : { rss: profile.rss, heapUsed: profile.heapUsed, heapTotal: profile.heapTotal };
  }

  /** `traceShown`: the record names its trace (one the preload ships; elsewhere the dashboard's link would lead nowhere). */
  add(state: RequestState, timestamp: number, path: string, route: string, status: number, bytes: number, traceShown: boolean): void {
    if (this.#samples.length >= LIMITS.samples) {
      this.#dropped++;
      this.#signal();
      return;
    }
    const sample: DetailSample = { timestamp: toMicros(timestamp), method: state.method, path: shownPath(path) || '/', route, statusCode: status, duration: toMicros(state.duration) };
    const userAgent = state.request.headers.get('user-agent');
    if (userAgent) sample.userAgent = clip(userAgent, LIMITS.userAgentLength);
    const profile = this.#latestProfile;
    if (profile !== this.#profileWritten && profile !== undefined) {
      sample.memoryUsage = this.#memory;
      sample.cpuUsage = profile.cpuPercent;
      this.#profileWritten = profile;
    }
    if (traceShown) {
      sample.traceId = state.traceId;
      sample.spanId = state.spanId;
    }
    if (bytes > 0) sample.responseSize = bytes;
    if (state.error !== undefined) sample.error = clip(state.error, LIMITS.errorLength);
    this.#samples.push(sample);
    if (this.#samples.length >= this.perCut) this.#signal();
  }

  /** Takes the records kept since the last drain, and how many were dropped at the limit. */
  drain(): { samples: DetailSample[]; droppedSamples: number } {
    const samples = this.#samples;
    const droppedSamples = this.#dropped;
    this.#samples = [];
    this.#dropped = 0;
    this.#signalled = false;
    this.#profileWritten = undefined;
    return { samples, droppedSamples };
  }

  #signal(): void {
    if (this.#signalled) return;
    this.#signalled = true;
    this.onFull?.();
  }
}
