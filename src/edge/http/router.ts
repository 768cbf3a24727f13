// A small route table: method + path pattern (`/api/v1/apps/:app/summary`) → handler. The Worker
// entry composes the tables of each feature, so a feature adds routes without touching the others.
import { drainBody } from '../../core/http/request-body.ts';
import type { Env } from '../env.ts';
import { CONFIG_ERROR_HEADERS, CONFIG_ERROR_STATUS, ConfigError } from '../config-error.ts';
import { readSettings } from '../settings.ts';
import { errorResponse, HttpError } from './errors.ts';

export interface RouteContext {
  request: Request;
  env: Env;
  ctx: ExecutionContext;
  url: URL;
  /** Decoded path parameters, e.g. `{ app: 'shop' }`. */
  params: Record<string, string>;
}

export type Handler = (context: RouteContext) => Response | Promise<Response>;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Segments; `:name` captures one segment. */
  path: string;
  handler: Handler;
}

interface Compiled {
  route: Route;
  segments: string[];
}

/** Used when the vars can't be read: enough for any body a route reads besides ingest. */
const FALLBACK_BODY_CAP = 1024 * 1024;

/**
 * Builds a fetch handler over the routes; unknown paths → 404, wrong method → 405, both as JSON.
 * Whatever the answer, what is left of the body is drained first (within the body cap), so a
 * refusal sent before reading it doesn't reset a keep-alive connection under the client.
 */
export function createRouter(routes: Route[]): (request: Request, env: Env, ctx: ExecutionContext) => Promise<Response> {
  const compiled: Compiled[] = routes.map((route) => ({ route, segments: route.path.split('/').slice(1) }));
  return async function router(request, env, ctx) {
    const response = await dispatch(request, env, ctx);
    await drainBody(request, bodyCap(env));
    return response;
  };

  async function dispatch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    const parts = url.pathname.split('/').slice(1);
    const allowed = new Set<string>();
    try {
      // Checked on every request (cached per env): bad vars are reported whatever the endpoint.
      readSettings(env);
      for (const { route, segments } of compiled) {
        const params = match(segments, parts);
        if (params === null) continue;
        const method = request.method === 'HEAD' ? 'GET' : request.method;
        if (route.method !== method) {
          allowed.add(route.method);
          continue;
        }
        return await route.handler({ request, env, ctx, url, params });
      }
      if (allowed.size > 0) {
        throw new HttpError(405, 'method_not_allowed', `use ${[...allowed].join(' or ')} for this path`, { allow: [...allowed].join(', ') });
      }
      throw new HttpError(404, 'not_found', 'no such endpoint');
    } catch (error) {
      if (error instanceof HttpError) return errorResponse(error);
      // A var or secret the operator must fix: its message names it and never holds a secret. A 503
      // (config-error.ts): ingest refused meanwhile is kept and sent again by the app, not lost.
      if (error instanceof ConfigError) {
        console.error(`bun-apm edge: configuration: ${error.message}`);
        return errorResponse(new HttpError(CONFIG_ERROR_STATUS, 'config_error', error.message, { ...CONFIG_ERROR_HEADERS }));
      }
      // Never echo an internal error: it may hold data or configuration.
      console.error(`bun-apm edge: ${request.method} ${url.pathname} failed: ${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`);
      return errorResponse(new HttpError(500, 'internal_error', 'the edge failed to answer this request'));
    }
  }
}

function bodyCap(env: Env): number {
  try {
    return readSettings(env).maxDecompressedBytes;
  } catch {
    return FALLBACK_BODY_CAP;
  }
}

function match(segments: string[], parts: string[]): Record<string, string> | null {
  if (segments.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const part = parts[i]!;
    if (segment.startsWith(':')) {
      let value: string;
      try {
        value = decodeURIComponent(part);
      } catch {
        return null;
      }
      if (value === '') return null;
      params[segment.slice(1)] = value;
    } else if (segment !== part) {
      return null;
    }
  }
  return params;
}
