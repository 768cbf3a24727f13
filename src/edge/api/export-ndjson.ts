// GET /api/v1/apps/:app/export.ndjson: every stored record of a window as newline-delimited JSON,
// streamed page by page, shard after shard. The first line describes the export and the last one
// counts its lines, so a reader can tell a complete export from a cut one. Rollup rows overlapping
// the window go whole (as the rollup reads widen it to whole cells); records timed inside it. With several shards a
// rollup cell of one minute, route and status class may come once per shard: they add up.
import { appStores } from '../app-stub.ts';
import type { RouteContext } from '../http/router.ts';
import { EXPORT_KINDS, rollupsFrom } from '../store/export-pages.ts';
import { readableApp, rawWindow } from './access.ts';

const PAGE_ROWS = 1_000;
const EXPORT_FORMAT_VERSION = 1;

export async function handleExport(context: RouteContext): Promise<Response> {
  const app = await readableApp(context);
  const { from, to } = rawWindow(context);
  const stores = appStores(context.env, app);
  const encoder = new TextEncoder();
  let shard = 0;
  let kind = 0;
  let after = 0;
  let lines = 0;
  let started = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        // `rollupsFrom`: the rollup rows go whole, each table's from the start of its cell holding `from`.
        controller.enqueue(encoder.encode(`${JSON.stringify({ type: 'export', format: EXPORT_FORMAT_VERSION, app, from, to, rollupsFrom: rollupsFrom(from), kinds: EXPORT_KINDS, shards: stores.length })}\n`));
        return;
      }
      // Empty pages are skipped within one pull, so every pull enqueues something or closes.
      while (shard < stores.length) {
        const page = await stores[shard]!.exportPage(EXPORT_KINDS[kind]!, from, to, after, PAGE_ROWS);
        if (page.nextAfter === null) {
          kind++;
          after = 0;
          if (kind === EXPORT_KINDS.length) {
            kind = 0;
            shard++;
          }
        } else {
          after = page.nextAfter;
        }
        if (page.lines.length > 0) {
          lines += page.lines.length;
          controller.enqueue(encoder.encode(`${page.lines.join('\n')}\n`));
          return;
        }
      }
      controller.enqueue(encoder.encode(`${JSON.stringify({ type: 'end', records: lines })}\n`));
      controller.close();
    },
  }, { highWaterMark: 0 });
  return new Response(body, {
    headers: {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'content-disposition': `attachment; filename="${app}-${from}-${to}.ndjson"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}
