/** @jsxRuntime automatic */
/** @jsxImportSource @kitajs/html */
// The page around one trace's waterfall.
import type { Span } from '../core/dashboard/data.ts';
import type { ViewContext } from '../core/dashboard/view-context.ts';
import { Layout } from './layout.tsx';
import { TraceWaterfall } from './trace-waterfall.tsx';
import { visibleText } from '../core/invisible-text.ts';

export function TracePage(props: { ctx: ViewContext; traceId: string; spans: Span[]; warnings?: string[] }): JSX.Element {
  return (
    <Layout ctx={props.ctx} subtitle={`Trace ${props.traceId}`}>
      {(props.warnings ?? []).map((warning) => <p class="trace-warning" role="alert" safe>{visibleText(warning)}</p>)}
      <TraceWaterfall ctx={props.ctx} traceId={props.traceId} spans={props.spans} />
    </Layout>
  );
}
