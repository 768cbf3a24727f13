// What `new Headers(…)` takes, named without the DOM lib's HeadersInit: an app compiling with Bun's
// types alone lacks it, and its tsc, with skipLibCheck off, checks the declarations that name it.
export type HeadersInput = Headers | Record<string, string> | Array<[string, string]>;
