/** @jsxRuntime automatic */
/** @jsxImportSource @kitajs/html */
// The page shell: assets from our own origin only, no inline script or style, htmx locked down.
// `data-sign-in` is where dashboard.js sends a page whose session ended while it was open.
import type { Children } from '@kitajs/html';
import type { ViewContext } from '../core/dashboard/view-context.ts';
import { attributeText, attributeValue, pageQuery, query } from './format.ts';
import { RANGES } from '../core/dashboard/data.ts';
import { visibleName } from '../core/invisible-text.ts';

// htmx 4 reads its config from this meta tag: requests to our own origin only, no indicator
// stylesheet injected (the CSP forbids it), our extension (dashboard.js) disables eval and scripts.
const HTMX_CONFIG = 'mode:"same-origin", includeIndicatorCSS:false, history:false';

/** `signIn`: the sign-in page, which has no range to pick (its links had come before the key's field). */
export function Layout(props: { ctx: ViewContext; children: Children; subtitle?: string; signIn?: boolean }): JSX.Element {
  const { ctx } = props;
  const routeName = ctx.route ? visibleName(ctx.method ? `${ctx.method} ${ctx.route}` : ctx.route) : undefined;
  // A page says what it shows (route, app, range) in its title, which is what a screen reader and a
  // tab strip name it by (every page had been just "bun-apm": a review).
  const title = props.subtitle ?? [routeName, ctx.app ? visibleName(ctx.app) : undefined, ctx.range].filter(Boolean).join(' · ');
  return (
    <>
      {'<!doctype html>'}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="color-scheme" content="light dark" />
          <meta name="htmx-config" content={HTMX_CONFIG} />
          <link rel="icon" href="data:," />
          <title safe>{visibleName(title ? `${title} · ${ctx.title}` : ctx.title)}</title>
          <link rel="stylesheet" href={`${ctx.assets}/vendor/uPlot.min.css`} />
          <link rel="stylesheet" href={`${ctx.assets}/dashboard.css`} />
          <script src={`${ctx.assets}/vendor/uPlot.iife.min.js`} defer></script>
          <script src={`${ctx.assets}/vendor/htmx.min.js`} defer></script>
          <script src={`${ctx.assets}/dashboard.js`} defer></script>
        </head>
        <body data-refresh-ms={String(ctx.refreshMs)} data-csrf={ctx.csrf} data-sign-in={`${ctx.base}/login`}>
          <header class="top">
            <h1 class="brand">
              <a href={`${ctx.base}${query({ app: ctx.app || undefined })}`} safe>
                {visibleName(ctx.title)}
              </a>
            </h1>
            <AppPicker ctx={ctx} />
            {props.signIn ? '' : <RangePicker ctx={ctx} />}
            {ctx.app ? <LiveControl ctx={ctx} /> : ''}
            {/* The page's figures as a file, for a viewer without a read key for the JSON API. data-page-link: it follows the routes' sort. */}
            {ctx.app && !props.signIn ? (
              <a class="export" href={`${ctx.base}/export.json${pageQuery(ctx)}`} data-page-link download="" title="The figures of this page (range, route filter) as JSON">
                Export JSON
              </a>
            ) : (
              ''
            )}
            {ctx.route ? (
              <a class="route-filter" href={`${ctx.base}${query({ app: ctx.app || undefined, range: ctx.range })}`} data-page-link title="Clear the route filter" aria-label={attributeText(`Clear the route filter (${routeName})`)}>
                <span safe>{routeName}</span> ✕
              </a>
            ) : (
              ''
            )}
            {ctx.csrf ? (
              <form class="signout" method="post" action={`${ctx.base}/logout`}>
                <input type="hidden" name="csrf" value={ctx.csrf} />
                {/* Signing in again comes back here: app, range and route (it had come back to the bare dashboard). */}
                <input type="hidden" name="next" value={attributeValue(`${ctx.base}${pageQuery(ctx)}`)} />
                <button type="submit">Sign out</button>
              </form>
            ) : (
              ''
            )}
          </header>
          <main>{props.children}</main>
          {/* Said once when it changes (dashboard.js: an alert that starts firing). */}
          <div class="visually-hidden" aria-live="polite" data-announce></div>
        </body>
      </html>
    </>
  );
}

function AppPicker(props: { ctx: ViewContext }): JSX.Element {
  const { ctx } = props;
  if (ctx.apps.length <= 1) return <span class="app-name" safe>{visibleName(ctx.app)}</span>;
  return (
    <nav class="apps" aria-label="Apps">
      {ctx.apps.map((app) => (
        <a href={`${ctx.base}${query({ app, range: ctx.range })}`} aria-current={app === ctx.app ? 'page' : undefined} safe>
          {visibleName(app)}
        </a>
      ))}
    </nav>
  );
}

/** Live: every refresh interval the panels and charts reload and the window moves with the clock. dashboard.js runs it. */
function LiveControl(props: { ctx: ViewContext }): JSX.Element {
  const seconds = Math.round(props.ctx.refreshMs / 100) / 10;
  return (
    <div class="live-control">
      {/* Named once: aria-pressed says whether it is on (a name flipping with it had said it twice). */}
      <button type="button" class="live-toggle" data-live-toggle aria-pressed="true" aria-label="Live refresh" title="Pause or resume the refresh">
        <span class="dot" aria-hidden="true"></span> <span data-live-label>Live</span>
      </button>
      <span class="live-state" data-live-state role="status" safe>{`refreshing every ${seconds} s`}</span>
    </div>
  );
}

function RangePicker(props: { ctx: ViewContext }): JSX.Element {
  const { ctx } = props;
  return (
    <nav class="ranges" aria-label="Time range">
      {Object.keys(RANGES).map((range) => (
        <a href={`${ctx.base}${pageQuery(ctx, { range })}`} data-page-link aria-current={range === ctx.range ? 'page' : undefined} safe>
          {range}
        </a>
      ))}
    </nav>
  );
}
