// What a browser is answered, as against a program: a navigation is shown a page (an error, a
// sign-out) rather than bare JSON, and a script's request (a refresh) is never challenged for a
// password, which the browser would prompt for once per panel.
import { escapeHtml } from '../alerts/payloads/escape.ts';
import { html } from './security-headers.ts';

/** Where a note page is: the dashboard's title, its assets and its home. */
export interface PageHome {
  title: string;
  assetsPath: string;
  base: string;
}

/** A browser's page navigation (not an htmx swap or a script's fetch): it is shown an HTML page, never bare JSON. */
export function asksForPage(request: Request): boolean {
  if (request.headers.has('hx-request')) return false;
  return request.headers.get('sec-fetch-mode') === 'navigate' || acceptsHtml(request.headers.get('accept') ?? '');
}

/** Whether an Accept header takes text/html: named, and not with q=0 (`text/html;q=0` refuses it). */
function acceptsHtml(accept: string): boolean {
  return accept.split(',').some((range) => {
    const [type, ...parameters] = range.split(';');
    return type!.trim().toLowerCase() === 'text/html' && !parameters.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/i.test(p));
  });
}

/**
 * A script's request: htmx's (HX-Request), dashboard.js's (X-Requested-With, for browsers that send
 * no Sec-Fetch-Mode over plain HTTP), or any the browser marks as not a navigation.
 */
export function fromScript(request: Request): boolean {
  const mode = request.headers.get('sec-fetch-mode');
  return request.headers.has('hx-request') || request.headers.has('x-requested-with') || (mode !== null && mode !== 'navigate');
}

/** A JSON problem as a small page for a browser that navigated here, rather than bare JSON on screen. */
export async function errorPage(response: Response, home: PageHome): Promise<Response> {
  if (!response.headers.get('content-type')?.startsWith('application/json')) return response;
  const said = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  const headers = new Headers(response.headers);
  headers.delete('content-type');
  return notePage(home, response.status, `Error ${response.status}`, said?.error?.message ?? 'the dashboard could not answer this page', headers);
}

/** A page of one heading and one sentence, with a link to the dashboard: an error, or a sign-out. */
export function notePage(home: PageHome, status: number, heading: string, text: string, headers?: Headers): Response {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark"><link rel="icon" href="data:,"><title>${escapeHtml(`${heading} · ${home.title}`)}</title><link rel="stylesheet" href="${escapeHtml(home.assetsPath)}/dashboard.css"></head>`
    + `<body><main><section class="panel problem" role="alert"><h2>${escapeHtml(heading)}</h2><p>${escapeHtml(text)}</p><p><a href="${escapeHtml(home.base)}">Back to the dashboard</a></p></section></main></body></html>`;
  return html(body, status, headers);
}
