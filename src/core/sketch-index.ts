// Which bucket of the quantile sketch a value falls in: ⌈log_γ value⌉. The formula is the
// definition (`exactIndex`); `bucketIndex` gives the same answer without a logarithm, since every
// request's duration goes through it (Math.log was ≈ 12 ns of a sketch's ≈ 36 ns add).
//
// A double's exponent and the top 7 bits of its mantissa name a slice of its binade at most 1/128
// (0.8 %) wide, narrower than a bucket (γ − 1 ≈ 2 %), so a slice holds at most one bucket boundary:
// the answer is the slice's lowest index, or the one above when the value lies past that boundary.
// The tables are filled from the formula itself, one binade at a time when a value first lands in
// it, so every answer is exactly the formula's (test/core/sketch-index.test.ts finds each of the
// formula's boundaries on its own and checks the doubles on either side of it).

/** Relative accuracy of every quantile: 1 %. */
export const ALPHA = 0.01;
export const GAMMA = (1 + ALPHA) / (1 - ALPHA);
const LOG_GAMMA = Math.log(GAMMA);

/** The definition: ⌈log_γ value⌉, for value > 0. */
export const exactIndex = (value: number): number => Math.ceil(Math.log(value) / LOG_GAMMA);

/** Binades covered: exponents −20 (2⁻²⁰ < 1e-6) to 39 (1e12 < 2⁴⁰), the sketch's indexable range. */
const LOWEST_EXPONENT = -20;
const BINADES = 60;
/** Slices per binade: 2⁷. */
export const SLICE_BITS = 7;
const UNFILLED = -32768;
/** The tables answer for values in [TABLES_FROM, TABLES_BELOW); the formula for the rest. */
export const TABLES_FROM = 2 ** LOWEST_EXPONENT;
export const TABLES_BELOW = 2 ** (LOWEST_EXPONENT + BINADES);

/** Per slice (binade × 2⁷ + top mantissa bits): the index of the slice's lowest value, or UNFILLED. */
const sliceLow = new Int16Array(BINADES << SLICE_BITS).fill(UNFILLED);
const FIRST_INDEX = exactIndex(TABLES_FROM);
/** Per index from FIRST_INDEX: the largest double whose index is that. */
const upper = new Float64Array(exactIndex(TABLES_BELOW) - FIRST_INDEX + 1);

/** Scratch views of one double's bits (little-endian: its high word is the second). */
const scratch = new Float64Array(1);
const words = new Uint32Array(scratch.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** ⌈log_γ value⌉ as exactIndex gives it; from the tables for values in [2⁻²⁰, 2⁴⁰), once their binade has been seen. */
export function bucketIndex(value: number): number {
  if (!(value >= TABLES_FROM && value < TABLES_BELOW) || !LITTLE_ENDIAN) return exactIndex(value);
  scratch[0] = value;
  const high = words[1]!;
  const binade = (high >>> 20) - 1023 - LOWEST_EXPONENT;
  const slice = (binade << SLICE_BITS) | ((high >>> (20 - SLICE_BITS)) & ((1 << SLICE_BITS) - 1));
  let low = sliceLow[slice]!;
  if (low === UNFILLED) low = fillBinade(binade, slice);
  return value > upper[low - FIRST_INDEX]! ? low + 1 : low;
}

/** Fills one binade's slices and the upper bounds of its indices; returns the slice's low index. */
function fillBinade(binade: number, slice: number): number {
  const base = 2 ** (binade + LOWEST_EXPONENT);
  for (let k = exactIndex(base); k <= exactIndex(base * 2); k++) upper[k - FIRST_INDEX] = largestWithIndex(k);
  const first = binade << SLICE_BITS;
  for (let m = 0; m < 1 << SLICE_BITS; m++) sliceLow[first + m] = exactIndex(base * (1 + m / (1 << SLICE_BITS)));
  return sliceLow[slice]!;
}

/** The largest double whose exact index is k: γᵏ, moved a unit in the last place at a time until it is. */
function largestWithIndex(k: number): number {
  let value = GAMMA ** k;
  while (exactIndex(value) > k) value = nextDouble(value, -1);
  while (exactIndex(nextDouble(value, 1)) <= k) value = nextDouble(value, 1);
  return value;
}

/** The positive double next to `value` upwards (+1) or downwards (−1); little-endian only, as the tables are. */
function nextDouble(value: number, direction: 1 | -1): number {
  scratch[0] = value;
  const low = words[0]! + direction;
  if (low > 0xffffffff) words[1]!++;
  else if (low < 0) words[1]!--;
  words[0] = low; // wraps modulo 2³²
  return scratch[0]!;
}
