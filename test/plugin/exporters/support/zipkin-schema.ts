// The Span definition of openzipkin/zipkin-api's zipkin2-api.yaml (Swagger 2.0) as a JSON Schema,
// checked with ajv. Written from the API definition, not from our encoder. Where the yaml only
// says something in prose, the prose is encoded too, and marked; the schema is stricter than the
// yaml in one respect — unknown properties are refused — so a typo in a field name fails here.
import Ajv from 'ajv';

const lowerHex = (min: number, max: number) => ({ type: 'string', minLength: min, maxLength: max, pattern: '^[0-9a-f]+$' });

const endpoint = {
  type: 'object',
  properties: { serviceName: { type: 'string' }, ipv4: { type: 'string' }, ipv6: { type: 'string' }, port: { type: 'integer' } },
  additionalProperties: false,
};

const span = {
  type: 'object',
  // zipkin2.Span cannot be built without these two; the yaml's prose calls both "unique identifier".
  required: ['traceId', 'id'],
  properties: {
    // "Encoded as 16 or 32 lowercase hex characters"
    traceId: { ...lowerHex(16, 32), pattern: '^([0-9a-f]{16}|[0-9a-f]{32})$' },
    name: { type: 'string' },
    parentId: lowerHex(16, 16),
    id: lowerHex(16, 16),
    kind: { type: 'string', enum: ['CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER'] },
    // "Epoch **microseconds**"
    timestamp: { type: 'integer', minimum: 0 },
    // "Duration in **microseconds** … Durations of less than one are rounded up."
    duration: { type: 'integer', minimum: 1 },
    debug: { type: 'boolean' },
    shared: { type: 'boolean' },
    localEndpoint: endpoint,
    remoteEndpoint: endpoint,
    annotations: {
      type: 'array',
      items: {
        type: 'object',
        properties: { timestamp: { type: 'integer', minimum: 0 }, value: { type: 'string' } },
        required: ['timestamp', 'value'],
        additionalProperties: false,
      },
    },
    tags: { type: 'object', additionalProperties: { type: 'string' } },
  },
  additionalProperties: false,
};

/** `ListOfSpans`: the body of POST /api/v2/spans. */
const listOfSpans = { type: 'array', items: span };

const validator = new Ajv({ allErrors: true, strict: true }).compile(listOfSpans);

/** Parses and validates a Zipkin v2 body; throws with ajv's messages when it does not conform. */
export function parseZipkinSpans(body: string): Array<Record<string, any>> {
  const json = JSON.parse(body);
  if (!validator(json)) throw new Error(`not a Zipkin v2 ListOfSpans: ${JSON.stringify(validator.errors)}`);
  return json as Array<Record<string, any>>;
}
