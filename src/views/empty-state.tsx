/** @jsxRuntime automatic */
/** @jsxImportSource @kitajs/html */
// What a new user sees before the first batch arrives: how to send one.
import type { ViewContext } from '../core/dashboard/view-context.ts';
import { visibleName } from '../core/invisible-text.ts';

export function EmptyState(props: { ctx: ViewContext }): JSX.Element {
  if (props.ctx.inProcess) {
    return (
      <section class="panel empty-state" aria-label="Getting started">
        <h2 safe>{`No requests counted for ${visibleName(props.ctx.app)} yet`}</h2>
        <p>This page shows the performanceMonitor of this process: mount it before your routes, or start the app with the preload.</p>
      </section>
    );
  }
  return (
    <section class="panel empty-state" aria-label="Getting started">
      <h2 safe>{`No data for ${visibleName(props.ctx.app)} yet`}</h2>
      <p>Start your Bun app with the preload and point it at this edge:</p>
      <pre>
        <code>{'BUN_APM_ENDPOINT=https://your-worker.example.workers.dev \\\nBUN_APM_INGEST_KEY=… \\\nbun --preload bun-apm/preload app.ts'}</code>
      </pre>
      <p>The first batch arrives after the flush interval (10 s by default); this page refreshes itself.</p>
    </section>
  );
}
