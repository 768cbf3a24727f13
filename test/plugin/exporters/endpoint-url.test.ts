// An exporter endpoint in errors and logs: never its text past the scheme when it does not parse,
// since what follows may be a credential pasted in the wrong place.
import { expect, test } from 'bun:test';
import { createSpanExporters } from '../../../src/plugin/runtime/exporters/index.ts';
import { redactUrl } from '../../../src/plugin/runtime/exporters/endpoint-url.ts';

function creationError(endpoint: string): string {
  try {
    createSpanExporters([{ type: 'otlp', endpoint }], { env: {} });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`accepted ${endpoint}`);
}

test('a malformed endpoint that could hold a credential is named by its scheme only', () => {
  expect(creationError('https://api.honeycomb.io:hcaik_SECRET')).toEndWith('endpoint is not a valid URL: "https://…"');
  const noScheme = 'endpoint must start with http:// or https://, e.g. http://host:port';
  expect(creationError('collector?key=SECRET')).toEndWith(noScheme);
  expect(creationError('/v1/traces')).toEndWith(noScheme);
  expect(redactUrl('http://collector:hcaik_SECRET/v1/traces')).toBe('http://…');
  expect(redactUrl('https://user:pw@collector:4318/v1/traces?key=k')).toBe('https://collector:4318/v1/traces');
});

test('an endpoint written without its scheme is told so, the way it is usually written', () => {
  // `127.0.0.1:4318` did not parse ("not a valid URL", hidden); `localhost:4318` parsed as the scheme `localhost:`.
  // The example is the endpoint with its scheme (a fixed one had named the OTLP port to a Zipkin user).
  for (const endpoint of ['127.0.0.1:4318', 'localhost:4318', 'collector:4318/v1/traces', 'zipkin:9411']) {
    expect(creationError(endpoint)).toEndWith(`endpoint must start with http:// or https://, e.g. http://${endpoint}`);
  }

});
