// Number formatting for the dashboard: one place, so every panel says "12.3 ms" the same way.
import type { ViewContext } from '../core/dashboard/view-context.ts';
import { BIDI_CONTROL, ZERO_WIDTH } from '../core/invisible-text.ts';

/** A duration with the unit that fits it: µs below a millisecond, ms below a second, then s. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  const us = ms * 1000;
  if (us >= 100) return `${us.toFixed(0)} µs`;
  if (us >= 10) return `${us.toFixed(1)} µs`;
  return `${us.toFixed(2)} µs`;
}

/** `1 span`, `2 spans`; `n` as formatCount shows it. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** A window's length in words: `60 s`, `15 min`, `6 h`, `7 d`. */
export function formatSpan(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 2 * 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 2 * 86_400_000) return `${+(ms / 3_600_000).toFixed(1)} h`;
  return `${+(ms / 86_400_000).toFixed(1)} d`;
}

export function formatPercent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '–';
  const pct = rate * 100;
  return pct === 0 ? '0 %' : pct < 0.1 ? '<0.1 %' : `${pct.toFixed(pct < 10 ? 1 : 0)} %`;
}

export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)} k`;
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

export function formatRate(perSecond: number | null | undefined): string {
  if (perSecond === null || perSecond === undefined || !Number.isFinite(perSecond)) return '–';
  // Some traffic is never shown as none (0.00).
  if (perSecond > 0 && perSecond < 0.005) return '<0.01';
  return perSecond >= 100 ? perSecond.toFixed(0) : perSecond >= 1 ? perSecond.toFixed(1) : perSecond.toFixed(2);
}

/**
 * An average rate in the unit that shows it: a route with 91 requests in 6 hours had read "0.00/s
 * on average" (a review); it reads "15/h" now.
 */
export function formatAverageRate(perSecond: number | null | undefined): string {
  if (perSecond === null || perSecond === undefined || !Number.isFinite(perSecond)) return '–';
  if (perSecond === 0 || perSecond >= 0.1) return `${formatRate(perSecond)}/s`;
  const perMinute = perSecond * 60;
  if (perMinute >= 1) return `${+perMinute.toFixed(1)}/min`;
  const perHour = perSecond * 3600;
  return perHour >= 0.1 ? `${+perHour.toFixed(perHour >= 10 ? 0 : 1)}/h` : `${+(perHour * 24).toPrecision(2)}/day`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatApdex(apdex: number | null | undefined): string {
  return apdex === null || apdex === undefined || !Number.isFinite(apdex) ? '–' : apdex.toFixed(2);
}

/** ISO time to the second, UTC: the same on every server and in every test. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + 'Z';
}

// Written as references so the page carries none raw (see visibleName) while the value keeps them.
// Not C1 controls: a reference to one is read as a Windows-1252 character; raw, it comes back as it is.
const UNSEEN = new RegExp(`${BIDI_CONTROL.source}|${ZERO_WIDTH.source}|[\\u0000-\\u001f\\u007f\\u2028\\u2029]`, 'g');

/**
 * A value for an attribute that must come back as it is (a form's hidden route or app). @kitajs/html
 * escapes only `"` in attributes; a raw `&` would be decoded by the browser (`/a&lt;` submits `/a<`).
 */
export function attributeValue(text: string): string {
  return text.replaceAll('&', '&amp;').replace(UNSEEN, (c) => `&#x${c.charCodeAt(0).toString(16)};`);
}

/** Text from outside in an attribute read as text (an aria-label): as attributeValue, and no `<` or `>` raw either. */
export function attributeText(text: string): string {
  return attributeValue(text).replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** What the panels keep in the page's address (the routes' sort, the traces' filters), so a trace's page can carry them back. */
export const PANEL_PARAMS = ['sort', 'traceRoute', 'minDuration', 'errors', 'order'] as const;

/** The page's own query: its app, range and route filter, with `extra` (e.g. another range). */
export function pageQuery(ctx: Pick<ViewContext, 'app' | 'range' | 'route' | 'method'>, extra: Record<string, string | undefined> = {}): string {
  return query({ app: ctx.app, range: ctx.range, route: ctx.route, method: ctx.method, ...extra });
}

/**
 * Builds a query string from defined values; the caller's values are URL-encoded here. An empty
 * string is kept (`traceRoute=`: every route, where leaving it out means the page's route).
 */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== false) search.set(k, String(v));
  const s = search.toString();
  return s ? `?${s}` : '';
}
