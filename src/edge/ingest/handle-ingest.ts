// POST /v1/ingest: authenticate the ingest key, read the body as sent within its cap, and hand it to
// the app's AppStore, which decodes and stores it. 202 accepted, 200 duplicate, 4xx with the
// reason, 503 overloaded.
import { drainBody } from '../../core/http/request-body.ts';
import { ingestStore } from '../app-stub.ts';
import { INSTANCE_HEADER, LIMITS, WIRE_ADDITIONS } from '../../core/wire-format.ts';
import { visibleName } from '../../core/invisible-text.ts';
import { ingestApp } from '../auth/authenticate.ts';
import { HttpError, json } from '../http/errors.ts';
import type { RouteContext } from '../http/router.ts';
import { readSettings } from '../settings.ts';
import { readShards } from '../shards.ts';
import { callStore } from '../store-errors.ts';
import type { IngestOutcome } from '../store/ingest-batch.ts';
import { readWire } from './read-body.ts';
import { OTHER_SHARD, refusalError, type IngestRefusal, type IngestRequest } from './decode-ingest.ts';
import { ingestLimits } from './ingest-limits.ts';
import type { UsageToday } from '../usage/usage-counter.ts';

export async function handleIngest(context: RouteContext): Promise<Response> {
  try {
    return await ingest(context);
  } catch (error) {
    // Answering before the body is read makes the runtime reset the connection under a client
    // still sending, which then sees a network error (and retries) instead of this 4xx. A body
    // declared over the cap is not drained: that answer goes out at once.
    await drainBody(context.request, readSettings(context.env).maxDecompressedBytes);
    throw error;
  }
}

/**
 * The Worker's part of an ingest: the key's app and the body as sent, within its cap. The body goes
 * to the store as it is: inflating, parsing and validating it there keeps this invocation within
 * the free plan's 10 ms of CPU whatever the batch holds (decode-ingest.ts; bench/ingest.ts measures it).
 */
export async function receiveIngest({ request, env }: Pick<RouteContext, 'request' | 'env'>): Promise<IngestRequest> {
  const settings = readSettings(env);
  const app = await ingestApp(request, env);
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/json\s*(;.*)?$/i.test(type.trim())) {
    throw new HttpError(415, 'unsupported_media_type', `expected Content-Type: application/json, got ${type ? JSON.stringify(type.slice(0, 64)) : 'none'}`);
  }
  const instance = instanceOf(request.headers.get(INSTANCE_HEADER));
  return { app, ...(instance !== undefined && { instance }), ...(await readWire(request, settings)) };
}

/** The instance the header names (percent-encoded), or undefined without one; a bad one is a 400. */
function instanceOf(header: string | null): string | undefined {
  if (header === null) return undefined;
  let instance: string;
  try {
    // Percent-encoded, a character of UTF-16 takes 9 at most (3 bytes of UTF-8); a bound of 3 refused
    // names of 45 CJK characters or 40 emoji, and every batch of such an instance with them (a review).
    instance = header.length > 9 * LIMITS.nameLength ? '' : decodeURIComponent(header);
  } catch {
    instance = '';
  }
  if (instance === '' || instance.length > LIMITS.nameLength) {
    throw new HttpError(400, 'invalid_instance', `${INSTANCE_HEADER}: expected the batch's identity.instance, percent-encoded (1..${LIMITS.nameLength} characters)`);
  }
  // As the batch's own is read (validate-batch.ts): the two compare, and choose the same shard.
  return visibleName(instance);
}

async function ingest(context: RouteContext): Promise<Response> {
  const { env } = context;
  const settings = readSettings(env);
  const received = await receiveIngest(context);
  const { app } = received;
  // The RPC stub's type spreads a union result over promises; the value is the store's answer.
  const send = (request: IngestRequest) => callStore(app, async () => (await ingestStore(env, app, request.instance).ingest(request)) as (IngestOutcome | IngestRefusal) & { usage: UsageToday });
  // Without the header the batch goes to shard 0, which hands back one of another shard's instance:
  // sent there, named, its copies meet in one store however they come. The Worker does not parse
  // bodies (its CPU per batch stays small), and a client without the header loses nothing.
  let answer = await send(received.instance === undefined ? { ...received, shards: readShards(env)(app) } : received);
  if (answer.status === 'refused' && answer.error.code === OTHER_SHARD) answer = await send({ ...received, instance: answer.error.details.instance as string });
  const { usage, ...outcome } = answer;
  if (outcome.status === 'refused') throw refusalError(outcome);
  // What the client may send and what the app costs today, on every answer that reached the store.
  const extra = { limits: ingestLimits(settings), accepts: WIRE_ADDITIONS, usage };
  switch (outcome.status) {
    case 'accepted': {
      const warnings: string[] = [];
      if (outcome.overflow.routes > 0) {
        warnings.push(`${outcome.overflow.routes} records counted under route "other": this app is at its cap of ${settings.routeCap} routes`);
      }
      if (outcome.replacedUnreadableRows > 0) {
        warnings.push(`${outcome.replacedUnreadableRows} stored rollup rows could not be read and were replaced by this batch's cells`);
      }
      if (outcome.overflow.instance) {
        warnings.push(`this instance is counted as "other": this app is at its cap of ${settings.instanceCap} instances`);
      }
      return json({ ...outcome, warnings, ...extra }, 202);
    }
    case 'duplicate':
      return json({ ...outcome, ...extra }, 200);
    case 'overloaded':
      throw new HttpError(503, 'rate_limited', `this app is past its ingest rate limit of ${settings.ingestRateLimit} events/s; retry after ${outcome.retryAfterSeconds} s`,
        { 'retry-after': String(outcome.retryAfterSeconds) });
  }
}
