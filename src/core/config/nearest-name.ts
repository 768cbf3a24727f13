// The known name a misspelt one was meant to be: for the warnings that name settings and options
// bun-apm does not know.

/**
 * ` (did you mean X?)` for a known name within a few edits (case aside); else for one the name
 * qualifies with a word (`includeRequestHeaders`: includeHeaders); else for one that begins as it
 * does for most of its length, its ending mangled (`maxEntry`, three edits from `maxEntries`); else ''.
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
  best ??= known.find((candidate) => qualifies(name, candidate));
  // A name that is a known one and more (`enabledRoutes`) is another option, not a typo; nor is one
  // that goes on with another word (`includeRequestCookies` is not includeRequestBody, a review).
  let longest = 0;
  for (const candidate of best === undefined ? known : []) {
    const [a, b] = [name.toUpperCase(), candidate.toUpperCase()];
    const shared = sharedStart(a, b);
    if (shared === b.length || a.length - shared > MANGLED_ENDING || shared < Math.max(5, Math.ceil(0.75 * Math.min(a.length, b.length))) || shared <= longest) continue;
    best = candidate;
    longest = shared;
  }
  return best === undefined ? '' : ` (did you mean ${best}?)`;
}

/** Characters after the shared start that still read as a mangled ending of one word. */
const MANGLED_ENDING = 3;

/** The words of a camelCase, snake_case or kebab-case name, upper-cased. */
function words(name: string): string[] {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toUpperCase().split(/[\s_.-]+/).filter((word) => word !== '');
}

/**
 * Whether `name` is `candidate` with one word put in before its last (`includeRequestHeaders`,
 * `maxRequestEntries`): the same thing, qualified. One added at the end names another thing.
 */
function qualifies(name: string, candidate: string): boolean {
  const [typed, known] = [words(name), words(candidate)];
  if (known.length < 2 || typed.length !== known.length + 1 || typed.at(-1) !== known.at(-1)) return false;
  for (let skip = 0; skip < typed.length - 1; skip++) {
    if (typed.every((word, i) => i === skip || word === known[i < skip ? i : i - 1])) return true;
  }
  return false;
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
