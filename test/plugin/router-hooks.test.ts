// The one-line source patches must apply to the router versions installed here (a version bump that
// moves the line fails this test, not silently the route names), and leave unknown sources alone.
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PATCHES, patchSource } from '../../src/plugin/preload/router-hooks.ts';
import { wrapHonoHandler } from '../../src/plugin/runtime/routers/router-handlers.ts';
import { testRecorder } from './support/recorder.ts';

const NODE_MODULES = join(import.meta.dir, '..', '..', 'node_modules');
const FILES: Record<string, string[]> = {
  hono: ['hono/dist/hono-base.js', 'hono/dist/cjs/hono-base.js'],
  'bun-router': ['bun-router/lib/router/router.ts'],
};

describe('router source patches', () => {
  for (const patch of PATCHES) {
    for (const file of FILES[patch.router]!) {
      test(`${patch.router}: applies to the installed ${file} and still parses`, () => {
        const path = join(NODE_MODULES, file);
        expect(patch.filter.test(path)).toBe(true);
        const patched = patchSource(patch, readFileSync(path, 'utf8'));
        expect(patched).toBeDefined();
        expect(patched).toContain('Symbol.for("bun-apm.wrap-');
        expect(() => new Bun.Transpiler({ loader: patch.loader }).transformSync(patched!)).not.toThrow();
      });
    }
  }

  test('a source without the line is left for the normaliser', () => {
    expect(patchSource(PATCHES[0]!, 'export const nothing = 1;')).toBeUndefined();
  });
});

describe('Hono handler wrapper', () => {
  const context = (request: Request) => ({ req: { raw: request } });

  test('the template of the handler that returns the Response wins over middleware around it', async () => {
    const { recorder } = testRecorder();
    const request = new Request('http://h/users/1');
    const state = recorder.begin(request)!;
    const route = wrapHonoHandler(() => new Response('u'), '/users/:id') as (c: unknown, next: unknown) => unknown;
    const middleware = wrapHonoHandler(async (_c: unknown, next: () => Promise<void>) => {
      await next();
    }, '*') as (c: unknown, next: unknown) => Promise<unknown>;
    await middleware(context(request), async () => route(context(request), undefined));
    expect(state.routerRoute).toBe('/users/:id');
  });

  test('a throwing handler names the route of the error response and keeps the error class; the error still propagates', async () => {
    const { recorder } = testRecorder();
    const request = new Request('http://h/boom');
    const state = recorder.begin(request)!;
    const failing = wrapHonoHandler(async () => {
      throw new RangeError('x');
    }, '/boom') as (c: unknown, next: unknown) => Promise<unknown>;
    await expect(failing(context(request), undefined)).rejects.toBeInstanceOf(RangeError);
    expect(state).toMatchObject({ routerRoute: undefined, erroredRoute: '/boom', error: 'RangeError' });
  });

  test('outside a recorded request the handler is called as is', () => {
    const result = (wrapHonoHandler((c: { v: number }) => c.v + 1, '/x') as (c: unknown) => unknown)({ v: 1, req: { raw: new Request('http://h/') } });
    expect(result).toBe(2);
  });
});
