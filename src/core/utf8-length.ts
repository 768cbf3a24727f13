// The UTF-8 length of a string, as SQLite stores it and a body goes over the wire, counted without
// encoding it. Characters are not bytes: a row or body bound checked on `.length` let text of CJK or
// emoji past it three or four times over (a review).

const NOT_ASCII = /[^\x00-\x7f]/;

/** UTF-8 length of `text`, as SQLite stores it; JSON of ASCII (most of it) is its length. */
export function utf8Length(text: string): number {
  if (!NOT_ASCII.test(text)) return text.length;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4; // a surrogate pair: one code point of 4 bytes
      i++;
    } else bytes += 3;
  }
  return bytes;
}
