// Types of bun-router 0.8.1's public API, from its lib/router/router.d.ts and lib/http/http.ts.
// The package ships TypeScript source (and names a .d.ts that it doesn't ship) which does not
// compile under this repo's strict settings; tsconfig.bun.json maps `bun-router` here instead.
import type { Database } from 'bun:sqlite';

export interface Context {
  db?: Database;
  formData: FormData | Promise<FormData>;
  json: (statusCode: number, data: unknown) => Response | Promise<Response>;
  params: Map<string, string>;
  query: URLSearchParams;
  request: Request;
}

export type HttpHandler = (ctx: Context) => Response | Promise<Response>;

export interface BunRouter {
  add: (pattern: string, method: string, callback: HttpHandler) => void;
  get: (pattern: string, callback: HttpHandler) => void;
  post: (pattern: string, callback: HttpHandler) => void;
  put: (pattern: string, callback: HttpHandler) => void;
  delete: (pattern: string, callback: HttpHandler) => void;
  static: (pattern: string, root: string) => void;
  serve: () => void;
}

/** Options are spread into Bun.serve (hostname, tls, …). */
export function Router(port?: number | string, options?: Record<string, unknown>): BunRouter;

export const http: {
  ok(msg?: string): Promise<Response>;
  json(statusCode: number, data: unknown): Promise<Response>;
  html(statusCode: number, content: string): Promise<Response>;
  file(statusCode: number, fp: string): Promise<Response>;
  noContent(): Promise<Response>;
  notFound(msg?: string): Promise<Response>;
  methodNotAllowed(msg?: string): Promise<Response>;
  message(status: number, msg?: string): Promise<Response>;
};
