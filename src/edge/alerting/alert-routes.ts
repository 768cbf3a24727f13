// The alerting API under /api/v1/apps/:app: rules and alerts are readable with a read key;
// changing rules and resolving alerts takes ADMIN_API_KEY. Bad input is a 415 (a body that is not
// plain JSON), 400 (not JSON, a bad query) or 422 (a rule's problems, each naming its field) and
// changes nothing.
import { BodyError, readBodyCapped } from '../../core/http/request-body.ts';
import { readableApp } from '../api/access.ts';
import { digestOf, sameDigest } from '../auth/key-ring.ts';
import type { Env } from '../env.ts';
import { badParameter, bodyProblem, HttpError, json, notFound } from '../http/errors.ts';
import { jsonExtentProblem } from '../http/json-extent.ts';
import { checkQuery, intParam } from '../http/params.ts';
import type { Route, RouteContext } from '../http/router.ts';
import { callStore } from '../store-errors.ts';
import { appStore } from '../app-stub.ts';
import { readAlertConfig } from './alert-config.ts';
import type { CodeRules } from './code-rules.ts';
import { configProblems, type RuleChange } from './rule-catalog.ts';

const MAX_BODY_BYTES = 64 * 1024;
/** A rule is a flat object with a list or two; deeper JSON is refused here, before it is parsed or crosses to the store. */
const MAX_BODY_DEPTH = 8;
const ALERT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** The presented key is ADMIN_API_KEY (digests compared in constant time); else 403. */
async function requireAdmin(request: Request, env: Env): Promise<void> {
  const presented = request.headers.get('x-api-key')?.trim() || /^Bearer[ \t]+(\S.*)$/i.exec(request.headers.get('authorization')?.trim() ?? '')?.[1]?.trim();
  const admin = env.ADMIN_API_KEY?.trim();
  if (!presented || !admin || !sameDigest(await digestOf(presented), await digestOf(admin))) {
    throw new HttpError(403, 'forbidden', 'changing alert rules and resolving alerts takes the admin key (ADMIN_API_KEY)');
  }
}

/** `application/json` and the `+json` types (`application/merge-patch+json`). */
const JSON_TYPE = /^application\/(?:[a-z0-9!#$&^_.-]+\+)?json$/;
/** What `curl -d` labels a body it was not told the type of: read when the body is JSON. */
const CURL_DEFAULT_TYPE = 'application/x-www-form-urlencoded';
const ACCEPTED_TYPES = `Content-Type: application/json (or a +json type; none, or curl -d's default ${CURL_DEFAULT_TYPE} with a JSON body, is read as JSON too)`;

/** A header value as a message shows it: clipped and quoted, never more. */
const quoted = (value: string): string => JSON.stringify(value.slice(0, 64));

/**
 * Refuses, before reading the body, what readJson could only misread: an encoded body (read as
 * text it would be "not JSON") and a declared type that is not JSON. Returns whether the type is
 * curl's default, whose body is read only if it is JSON.
 */
function checkBodyFormat(request: Request): { curlDefault: boolean } {
  const encoding = (request.headers.get('content-encoding') ?? '').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    throw new HttpError(415, 'unsupported_encoding', `Content-Encoding ${quoted(encoding)} is not supported here: send the rule as plain JSON, without Content-Encoding`);
  }
  const type = request.headers.get('content-type');
  if (type === null || type.trim() === '') return { curlDefault: false };
  const [essence = '', ...parameters] = type.split(';').map((part) => part.trim().toLowerCase());
  if (essence === CURL_DEFAULT_TYPE) return { curlDefault: true };
  if (!JSON_TYPE.test(essence)) throw new HttpError(415, 'unsupported_media_type', `Content-Type ${quoted(essence)} is not accepted: send ${ACCEPTED_TYPES}`);
  const charset = parameters.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/^"|"$/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new HttpError(415, 'unsupported_media_type', `Content-Type charset ${quoted(charset)} is not accepted: send JSON in UTF-8`);
  }
  return { curlDefault: false };
}

/** The JSON body, read within its cap (a larger declared length is refused unread). */
async function readJson(request: Request): Promise<unknown> {
  const { curlDefault } = checkBodyFormat(request);
  let bytes: Uint8Array;
  try {
    bytes = await readBodyCapped(request, MAX_BODY_BYTES, 10_000);
  } catch (error) {
    if (error instanceof BodyError) throw bodyProblem(error);
    throw error;
  }
  // Passing a value to the store copies it recursively, which a deeply nested one overflows: refused before parsing.
  if (jsonExtentProblem(bytes, { maxDepth: MAX_BODY_DEPTH, maxValues: MAX_BODY_BYTES, maxContainers: MAX_BODY_BYTES })?.limit === 'maxDepth') {
    throw new HttpError(400, 'invalid_json', `body: nested deeper than ${MAX_BODY_DEPTH} levels; a rule is a flat object`);
  }
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    // A form under curl's default type is not a typo in JSON: say what the API takes.
    if (curlDefault) throw new HttpError(415, 'unsupported_media_type', `Content-Type ${quoted(CURL_DEFAULT_TYPE)} with a body that is not JSON (a form?): send ${ACCEPTED_TYPES}`);
    throw new HttpError(400, 'invalid_json', 'body: expected a JSON object');
  }
  return body;
}

function changed(result: RuleChange, status = 200): Response {
  if (result.ok) return json({ rule: result.rule, ...(result.warnings && { warnings: result.warnings }) }, status);
  throw new HttpError(result.status, result.code, result.message, {}, result.problems ? { problems: result.problems } : {});
}

type Access = 'read' | 'admin';

type AlertHandler = (context: RouteContext, app: string) => Promise<Response>;

/** The alerting routes of a Worker running `codeRules` (its entry's alerts.config.ts). */
export function alertRoutes(codeRules: CodeRules): Route[] {
  const alertRoute = (method: Route['method'], path: string, access: Access, handler: AlertHandler): Route => ({
    method,
    path: `/api/v1/apps/:app${path}`,
    handler: async (context) => {
      const app = await readableApp(context);
      if (access === 'admin') await requireAdmin(context.request, context.env);
      // Before any store is asked: a misspelt or repeated parameter is named, not ignored.
      checkQuery(context.url);
      return callStore(app, () => handler(context, app));
    },
  });
  return [
    alertRoute('GET', '/rules', 'read', async ({ env }, app) => {
      const rules = await appStore(env, app).alertRules();
      return json({ app, rules, configProblems: configProblems(codeRules, readAlertConfig(env), app, rules.filter((rule) => rule.shadowedBy === undefined)) });
    }),
    alertRoute('POST', '/rules', 'admin', async ({ env, request }, app) => changed(await appStore(env, app).addAlertRule(await readJson(request)), 201)),
    alertRoute('PATCH', '/rules/:id', 'admin', async ({ env, request, params }, app) => changed(await appStore(env, app).updateAlertRule(params.id!, await readJson(request)))),
    alertRoute('DELETE', '/rules/:id', 'admin', async ({ env, params }, app) => changed(await appStore(env, app).removeAlertRule(params.id!))),
    alertRoute('GET', '/alerts', 'read', async ({ env, url }, app) => {
      const limit = intParam(url, 'limit', { min: 1, max: 1000 }) ?? 100;
      return json({ app, ...(await appStore(env, app).alerts(limit)) });
    }),
    alertRoute('POST', '/alerts/:id/resolve', 'admin', async ({ env, params }, app) => {
      const id = params.id!;
      if (!ALERT_ID.test(id)) throw badParameter('id: expected an alert id from GET …/alerts');
      const alert = await appStore(env, app).resolveAlert(id);
      if (alert === null) throw notFound(`no open alert '${id}'`);
      return json({ alert });
    }),
  ];
}
