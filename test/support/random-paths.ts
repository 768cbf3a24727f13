// Random raw paths for the property tests of route naming (normaliser, shapes, namer): every rule's
// case, near misses of each, escapes, and more segments than a route keeps.

/** A random path segment: numbers, hex ids, dates, e-mail addresses, UUIDs and one-off variants of each, escapes, words. */
export function randomSegmentOf(random: () => number): () => string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const alphabets = ['abcdef', 'ghijklmnopqrstuvwxyz', 'ABCDEFXYZ', '0123456789', '-_.~', '%@+=,:;', 'é€'];
  const mixes = alphabets.map((_, n) => [...alphabets.slice(0, n + 1).join('')]);
  const hex = [...'abcdef'];
  const hexDigits = [...'0123456789abcdef'];
  return (): string => {
    const shape = random();
    if (shape < 0.1) return String(Math.floor(random() * 1e9));
    if (shape < 0.15) return Array.from({ length: 32 }, () => pick(hex)).join(''); // a UUID with no digit
    if (shape < 0.2) return `%${pick(['41', 'E2%82%AC', 'zz', '4', ''])}`;
    if (shape < 0.35) {
      // What each rule is for, and near misses: numbers, hex ids from 7 characters, dates, e-mail addresses
      const n = Math.floor(random() * 1e6);
      return pick([`${pick(['', '+', '-'])}${n}${pick(['', '.5', ',50', '.'])}`, n.toString(16).padStart(Math.floor(random() * 10), 'a'), `2026-11-${String(n % 31).padStart(2, '0')}${pick(['', 'T12:00:00Z', 'T1'])}`, `${pick(['a', 'ada.l'])}@${pick(['b.co', 'example.com', 'x'])}`]);
    }
    if (shape < 0.45) {
      // UUIDs as crypto writes them, upper-cased, and one character off (a letter past f, a dash moved, a `%` or `@`)
      const hexOf = (n: number): string => Array.from({ length: n }, () => pick(hexDigits)).join('');
      const lower = `${hexOf(8)}-${hexOf(4)}-${hexOf(4)}-${hexOf(4)}-${hexOf(12)}`;
      const uuid = random() < 0.5 ? lower : lower.toUpperCase();
      const at = Math.floor(random() * 36);
      return random() < 0.5 ? uuid : `${uuid.slice(0, at)}${pick(['g', 'G', '-', '0', '%', '@', '/', ':', '`', 'š'])}${uuid.slice(at + 1)}`;
    }
    if (shape < 0.55) {
      // Tokens and hex ids around the lengths the shortcuts turn on (8, 16, 32, 63/64) and the share of separators (one in 8).
      const length = pick([7, 8, 9, 15, 16, 17, 31, 32, 33, 62, 63, 64, 65]);
      const alphabet = [...pick([
        '0123456789abcdef',
        '0123456789ABCDEFabcdef',
        'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
        'abcdefghijklmnopqrstuvwxyz0123456789-_',
        'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
        '0123456789',
      ])];
      const chars = Array.from({ length }, () => pick(alphabet));
      // Up to a few characters replaced by a separator, `%`, `@` or `,`.
      const replaced = Math.floor(random() * 4);
      for (let k = 0; k < replaced; k++) chars[Math.floor(random() * length)] = pick(['-', '_', '.', '~', '=', '+', '%', '@', ',']);
      return chars.join('');
    }
    const chars = pick(mixes);
    return Array.from({ length: Math.floor(random() * 70) }, () => pick(chars)).join('');
  };
}

/** A query or fragment to end a path with, or nothing. */
export function randomSuffix(random: () => number): string {
  const suffixes = ['', '', '?q=1/2', '#top', '?a#b', '#a?b'];
  return suffixes[Math.floor(random() * suffixes.length)]!;
}
