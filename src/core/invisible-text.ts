// Characters that make text read differently from what it holds, wherever names are shown (the
// dashboard, Slack, email, logs). Rules refuse them (validate-rule.ts); names that arrive with data
// (routes, instances, span names) have them replaced at ingest, so no batch is lost for one.

/** C0 and C1 controls: a line break in a name forges a line in a chat message or a mail header. */
export const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** Bidirectional controls: they reorder the text around them (U+202E makes "\u202egnp.exe" read "exe.png"). */
export const BIDI_CONTROL = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
/**
 * Invisible characters (zero-width space, word joiner, soft hyphen, invisible operators): two names
 * that look the same can differ. What rules refuse and what a page writes as references (format.ts,
 * which compiles this without the `u` flag); U+200C and U+200D are left alone there, and in free text
 * (visibleText): Persian words and emoji sequences need them.
 */
export const ZERO_WIDTH = /[\u00ad\u180e\u200b\u2060-\u2064\ufeff]/;

/**
 * Every other character that is drawn as nothing, for names only: Unicode's default ignorables
 * (U+200C/U+200D joiners, U+034F, variation selectors U+FE00-FE0F and U+180B-180F, tag characters
 * U+E0000-E0FFF, Hangul fillers U+115F, U+1160, U+3164, U+FFA0), format characters (U+FFF9-FFFB
 * interlinear annotations, U+0600-0605...) and the braille blank U+2800. Sent in a route, they made
 * `/users/\u200c:id` look exactly like `/users/:id`. Needs the `u` flag.
 */
const UNDRAWN = /[\p{Default_Ignorable_Code_Point}\p{Cf}\u115f\u1160\u2800\u3164\uffa0]/u;

const IN_A_LINE_SOURCE = `${CONTROL.source}|${BIDI_CONTROL.source}|${ZERO_WIDTH.source}|[\\u2028\\u2029]`;
const IN_A_NAME_SOURCE = `${IN_A_LINE_SOURCE}|${UNDRAWN.source}`;
const IN_A_LINE = new RegExp(IN_A_LINE_SOURCE, 'g');
// One test first, without `g` (a global regex's test keeps a lastIndex): most names hold none.
const HAS_IN_A_NAME = new RegExp(IN_A_NAME_SOURCE, 'u');
const IN_A_NAME = new RegExp(IN_A_NAME_SOURCE, 'gu');
const REORDERING = new RegExp(BIDI_CONTROL.source, 'g');

/**
 * A name as it may be shown: each control, bidirectional, zero-width or other undrawn character
 * (UNDRAWN) becomes U+FFFD, one for each character: the length never grows, so every limit holds
 * (a tag character, two UTF-16 units, becomes one). Letters, spaces and emoji without a variation
 * selector or joiner are kept; a lone surrogate is wellFormed's.
 *
 * @example
 * visibleName('/rtl/\u202egnp.exe'); // '/rtl/\ufffdgnp.exe'
 * visibleName('/users/\u200c:id'); // '/users/\ufffd:id'
 */
export function visibleName(text: string): string {
  return HAS_IN_A_NAME.test(text) ? text.replace(IN_A_NAME, '\ufffd') : text;
}

/**
 * A line of free text (a notification's title, a log line): controls, bidirectional and zero-width
 * characters become U+FFFD as in a name, while joiners and variation selectors stay (an alert named
 * `⚠️ Checkout`, a Persian message): nothing is looked up or told apart by it.
 */
export function visibleInLine(text: string): string {
  return text.replace(IN_A_LINE, '\ufffd');
}

/** Free text (an error, a log message) keeps its line breaks and tabs; only the bidirectional controls become U+FFFD. */
export function unreordered(text: string): string {
  return text.replace(REORDERING, '\ufffd');
}

// Controls other than tab, line feed and carriage return: NUL, ESC (terminal colours), backspace.
const UNSHOWN_IN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

/**
 * Free text as a page may show it: `unreordered`, and its other controls (NUL, ESC, backspace) as
 * U+FFFD too, one for one; tabs and line breaks stay. Unlike a name it keeps zero-width joiners and
 * variation selectors: an error or log message may hold Persian words or emoji sequences (woman,
 * U+200D, laptop; a heart, U+FE0F), and nothing is looked up or told apart by it. For views, which may be given text that never
 * passed the edge's check (the in-process dashboard shows what the app recorded).
 *
 * @example
 * visibleText('a\u0000b\u001b[31m\n\u202ec'); // 'a\ufffdb\ufffd[31m\n\ufffdc'
 */
export function visibleText(text: string): string {
  return unreordered(text).replace(UNSHOWN_IN_TEXT, '\ufffd');
}

/** ES2024, past our lib setting; Bun and workerd have it. */
type WellFormed = string & { isWellFormed(): boolean; toWellFormed(): string };

/**
 * Text with each lone half of a surrogate pair as U+FFFD, as SQLite stores it and as
 * `encodeURIComponent` can take it (it throws on a lone half); the same length.
 */
export function wellFormed(text: string): string {
  return (text as WellFormed).isWellFormed() ? text : (text as WellFormed).toWellFormed();
}
