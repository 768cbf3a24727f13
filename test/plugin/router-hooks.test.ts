// The one-line source patches must apply to the router versions installed here (a version bump that
// moves the line fails this test, not silently the route names), leave unknown sources alone, and
// are refused, in one plain line, for a version outside the range they were written for.
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalisedLine, PATCHES, patchSource, refusal } from '../../src/plugin/preload/router-hooks.ts';
import { installedVersion, packageDirOf, parseVersion } from '../../src/plugin/preload/router-versions.ts';
import { wrapHonoHandler } from '../../src/plugin/runtime/routers/router-handlers.ts';
import { testRecorder } from './support/recorder.ts';

const NODE_MODULES = join(import.meta.dir, '..', '..', 'node_modules');
const FILES: Record<string, string[]> = {
  hono: ['hono/dist/hono-base.js'],
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
        expect(patched).toContain('Symbol.for("bun-apm.registry")');
        expect(() => new Bun.Transpiler({ loader: patch.loader }).transformSync(patched!)).not.toThrow();
      });
    }
  }

  test('a source without the line is left for the normaliser', () => {
    expect(patchSource(PATCHES[0]!, 'export const nothing = 1;')).toBeUndefined();
  });
});

describe('router versions', () => {
  for (const patch of PATCHES) {
    test(`${patch.router}: the installed version is read from its package.json and is one the patch was written for`, async () => {
      const file = join(NODE_MODULES, FILES[patch.router]![0]!);
      const pkg = JSON.parse(readFileSync(join(NODE_MODULES, patch.router, 'package.json'), 'utf8')) as { version: string };
      expect(installedVersion(file, patch.router)).toBe(pkg.version);
      expect(refusal(patch, pkg.version)).toBeUndefined();
    });
  }

  test('a version outside the range, or none, is refused with a line naming the router, its version and what is normalised', () => {
    const hono = PATCHES.find((patch) => patch.router === 'hono')!;
    const bunRouter = PATCHES.find((patch) => patch.router === 'bun-router')!;
    expect(refusal(hono, '5.0.0')).toBe("hono 5.0.0 is not a version bun-apm's route hook was written for (4.x)");
    expect(refusal(hono, '3.12.9')).toBe("hono 3.12.9 is not a version bun-apm's route hook was written for (4.x)");
    expect(refusal(hono, '4.99.0-rc.1')).toBeUndefined();
    expect(refusal(bunRouter, '0.9.0')).toBe("bun-router 0.9.0 is not a version bun-apm's route hook was written for (0.8.x)");
    expect(refusal(bunRouter, undefined)).toBe("the installed bun-router's version could not be read");
    expect(normalisedLine(hono, 'why')).toBe(
      'why: requests answered by hono routes are keyed by their normalised path (ids, UUIDs and hashes become :id), ' +
        "unless app.use(honoRoutes()) from 'bun-apm/middleware' names them from c.req.routePath",
    );
  });

  test('versions and package folders are parsed strictly', () => {
    expect(parseVersion('4.13.19')).toEqual([4, 13, 19]);
    expect(parseVersion('4.13')).toBeUndefined();
    expect(parseVersion('latest')).toBeUndefined();
    expect(parseVersion(4)).toBeUndefined();
    expect(packageDirOf('/app/node_modules/.bun/hono@4.1.0/node_modules/hono/dist/hono-base.js', 'hono')).toBe('/app/node_modules/.bun/hono@4.1.0/node_modules/hono');
    expect(packageDirOf('/app/src/hono/dist/hono-base.js', 'hono')).toBeUndefined();
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
