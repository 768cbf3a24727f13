// exporterTarget: two entries are one backend when they POST to the same URL, however their endpoints are written.
import { expect, test } from 'bun:test';
import { exporterTarget } from '../../../src/plugin/runtime/exporters/exporter-config.ts';

test('endpoints written differently but posting to one URL are one target; another path, type or port is another', () => {
  const zipkin = (endpoint: string) => exporterTarget({ type: 'zipkin', endpoint });
  const one = zipkin('http://zipkin:9411');
  for (const same of ['http://zipkin:9411/', 'http://ZIPKIN:9411', 'http://zipkin:9411/api/v2/spans']) expect(zipkin(same)).toBe(one);
  expect(one).toBe('zipkin http://zipkin:9411/api/v2/spans');
  expect(exporterTarget({ type: 'otlp', endpoint: 'https://collector:443/' })).toBe(exporterTarget({ type: 'otlp', endpoint: 'https://collector/v1/traces' }));
  for (const other of ['http://zipkin:9412', 'http://zipkin:9411/tenant-a', 'https://zipkin:9411']) expect(zipkin(other)).not.toBe(one);
  expect(exporterTarget({ type: 'zipkin' }, { ZIPKIN_ENDPOINT: 'http://zipkin:9411/' })).toBe(one);
  expect(exporterTarget({ type: 'console' })).toBe('console');
  expect(exporterTarget({ type: 'custom', customExporter: () => {} })).toBeUndefined();
});

test('headers choose the tenant on one URL: the same headers (names in any case) are one target, others another', () => {
  const zipkin = (headers?: Record<string, string>) => exporterTarget({ type: 'zipkin', endpoint: 'http://tempo:9411', ...(headers && { headers }) });
  const a = zipkin({ 'X-Scope-OrgID': 'tenant-a', Authorization: 'Bearer k1' });
  expect(zipkin({ authorization: 'Bearer k1', 'x-scope-orgid': 'tenant-a' })).toBe(a);
  expect(zipkin({ 'X-Scope-OrgID': 'tenant-b', Authorization: 'Bearer k1' })).not.toBe(a);
  expect(zipkin()).not.toBe(a);
  // The key is compared, and could be logged: it never holds a header's value.
  expect(a).not.toContain('k1');
  expect(a).not.toContain('tenant-a');
});
