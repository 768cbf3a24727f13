// A Worker var as the text its setting is read from. wrangler passes a `[vars]` entry written as a
// TOML number, boolean, array or table as that JSON value, not a string (`ROUTE_CAP = 1000` arrives
// as 1000), and the edge once read only strings: such a var was silently no setting at all.

/** True for what a JSON binding holds: not a binding's object (a Durable Object namespace, a Fetcher). */
function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The var's text: a string as it is, a number, boolean, array or plain object as its JSON; undefined
 * when unset or a binding (an object of another kind), which is never a var.
 *
 * @example
 * varText(1000); // '1000'
 * varText([{ name: 'slow' }]); // '[{"name":"slow"}]'
 * varText(env.APP_STORE); // undefined
 */
export function varText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null && (Array.isArray(value) || isPlainObject(value))) {
    try {
      return JSON.stringify(value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** A var's value is one (a string or a JSON value wrangler gave), not a binding. */
export function isVar(value: unknown): boolean {
  return varText(value) !== undefined;
}
