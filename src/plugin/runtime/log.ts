// Where bun-apm speaks: one line on stderr per distinct problem (never per request), and
// debug lines only when BUN_APM_DEBUG is on. Never given secrets.
import { oneLine } from '../../core/alerts/payloads/escape.ts';
import type { HeadersInput } from '../../core/http/headers-input.ts';

export interface Log {
  /** Writes `bun-apm: message` once per key for the life of the process. */
  warnOnce(key: string, message: string): void;
  /** Writes `bun-apm: message` every time; for startup and shutdown lines, and callers that dedupe their own. */
  info(message: string): void;
  /** Writes when debug is on. */
  debug(message: string): void;
  readonly debugEnabled: boolean;
}

export function createLog(debugEnabled: boolean, write: (line: string) => void = writeStderr): Log {
  const warned = new Set<string>();
  return {
    debugEnabled,
    warnOnce(key, message) {
      if (warned.has(key)) return;
      warned.add(key);
      write(`bun-apm: ${message}`);
    },
    info(message) {
      write(`bun-apm: ${message}`);
    },
    debug(message) {
      if (debugEnabled) write(`bun-apm [debug]: ${message}`);
    },
  };
}

/** As much of a backend's (or an app's) words as a log line quotes. */
export const QUOTED_LENGTH = 200;

/**
 * A backend's words fit to quote in a log: the values of the headers sent to it redacted (it may
 * echo them), and the URL's credentials and query values, on one line without control characters
 * (no forged lines, no terminal escapes), cut.
 */
export function quoteAnswer(text: string, sent?: HeadersInput, url?: string): string {
  for (const echo of echoesOf(withUrlSecrets(sent, url))) text = text.replaceAll(echo, '<redacted>');
  return oneLine(text, QUOTED_LENGTH);
}

/**
 * The headers sent, with what the URL sent too: fetch turns its user info into an
 * `Authorization: Basic` header, and a query may hold a token (`?api_key=…`). A pseudo-header's
 * value is only ever redacted, never sent.
 */
function withUrlSecrets(sent: HeadersInput | undefined, url: string | undefined): HeadersInput | undefined {
  if (url === undefined || !URL.canParse(url)) return sent;
  const { username, password, searchParams } = new URL(url);
  const headers = new Headers(sent);
  const user = decodeURIComponent(username);
  const pass = decodeURIComponent(password);
  if (user !== '' || pass !== '') {
    headers.append('x-url-user-info', `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${pass}`)))}`);
  }
  for (const [, value] of searchParams) headers.append('x-url-query', value);
  return headers;
}

/**
 * How a backend may echo the headers sent: each value whole and in parts (`Bearer <token>`, cookies),
 * a Basic credential decoded, each as is, URL-encoded and JSON-escaped; six characters at least.
 * Longest first, or a shorter value within a longer one would leave its rest. Accept*, content-*
 * and user-agent hold no secrets (`application/json` had been redacted from every answer).
 */
function echoesOf(sent?: HeadersInput): string[] {
  const echoes = new Set<string>();
  const add = (value: string, split: RegExp) => {
    for (const part of [value, ...value.split(split)]) {
      if (part.length < 6 || /^bearer$/i.test(part)) continue; // the scheme's word is no secret
      const json = JSON.stringify(part).slice(1, -1);
      for (const form of [part, encodeURIComponent(part), json, json.replaceAll('/', '\\/')]) echoes.add(form);
    }
  };
  new Headers(sent).forEach((value, name) => {
    if (/^(accept|content-|user-agent)/.test(name)) return;
    add(value, /[\s;,=]+/);
    const basic = /^basic\s+(\S+)$/i.exec(value)?.[1];
    try {
      // Decoded as UTF-8 too: atob gives one character a byte, and a password may not be ASCII.
      if (basic) for (const text of [atob(basic), new TextDecoder().decode(Uint8Array.from(atob(basic), (c) => c.charCodeAt(0)))]) add(text, /[\s;,=:]+/);
    } catch {
      // not base64: nothing more to hide
    }
  });
  return [...echoes].sort((a, b) => b.length - a.length);
}

// console.error, not process.stderr: Bun builds that stream lazily out of node:stream and node:fs,
// and one line through it left ~675 KB and 6,000 objects in the app's heap for good (bun:jsc
// heapStats), which every full collection marks again. Taken when this module loads: under the
// preload that is before any of the app's code, so a console the app replaces later is not ours;
// the explicit API's lines follow whatever console.error was when the app imported it.
const consoleError = console.error.bind(console);

/** Writes a line to stderr. One string argument: neither Bun nor Node reads `%` in it as a format. */
export function writeStderr(line: string): void {
  try {
    consoleError(line);
  } catch {
    // stderr closed: nowhere left to say it
  }
}

/** `TypeError`, or the class name of a custom error (`class NotFound extends Error` → `NotFound`). */
export function errorClassOf(error: unknown): string {
  try {
    if (error instanceof Error) {
      const ctor = error.constructor?.name;
      return ctor && ctor !== 'Error' ? ctor : error.name || 'Error';
    }
    if (error === null) return 'null';
    return typeof error === 'object' ? (error.constructor?.name ?? 'Object') : typeof error;
  } catch {
    return 'Error';
  }
}
