// The error of a var or secret that can't be used. Its own file, with no imports, so that code the
// Bun side also loads (store-errors.ts) can name it without pulling in the Worker's types.

/** A var or secret that can't be used; the message names it and never echoes a secret. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
