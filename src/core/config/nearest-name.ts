// The known name a misspelt one was meant to be: for the warnings that name settings and options
// bun-apm does not know.

/**
 * ` (did you mean X?)` for a known name within a few edits (case aside), else for one that begins
 * as it does for most of its length (`maxEntry`, three edits from `maxEntries`), else ''.
 */
export function didYouMean(name: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 4)) + 1;
  for (const candidate of known) {
    const distance = editDistance(name.toUpperCase(), candidate.toUpperCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // A name that is a known one and more (`includeRequestHeaders`, `enabledRoutes`) is another option, not a typo.
  let longest = 0;
  for (const candidate of best === undefined ? known : []) {
    const [a, b] = [name.toUpperCase(), candidate.toUpperCase()];
    const shared = sharedStart(a, b);
    if (shared === b.length || shared < Math.max(5, Math.ceil(0.75 * Math.min(a.length, b.length))) || shared <= longest) continue;
    best = candidate;
    longest = shared;
  }
  return best === undefined ? '' : ` (did you mean ${best}?)`;
}

/** How many characters two names begin with alike. */
function sharedStart(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length]!;
}
