// bench/ingest.ts's entry: the local entry plus `POST /__bench/worker-half`, which runs the Worker's
// part of an ingest exactly as /v1/ingest does (key, content type, body read within its cap) and
// hands the body to the app's store over RPC, where a no-op receives it. Its CPU is what the free
// plan's 10 ms per invocation applies to. Plain JS, like the test fixtures: the Bun-side
// typecheck must not follow it into the Worker's sources.
import { AppStore as LocalAppStore, default as local } from '../../src/edge/local-entry.ts';
import { appStore } from '../../src/edge/app-stub.ts';
import { receiveIngest } from '../../src/edge/ingest/handle-ingest.ts';

export { DashboardSessions } from '../../src/edge/local-entry.ts';

export class AppStore extends LocalAppStore {
  /** Receives what the Worker would hand to ingest, and does nothing with it. */
  receiveOnly(request) {
    return request.bytes.byteLength;
  }
}

export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname === '/__bench/worker-half' && request.method === 'POST') {
      const received = await receiveIngest({ request, env });
      const bytes = await appStore(env, received.app).receiveOnly(received);
      return new Response(JSON.stringify({ bytes }), { headers: { 'content-type': 'application/json' } });
    }
    return local.fetch(request, env, ctx);
  },
  scheduled: local.scheduled,
};
