// Core benchmark: what a sketch costs per request next to the floor (an array push), and what a
// quantile query costs next to sorting the raw values. Prints ratios from one run on this machine.
import { QuantileSketch } from '../src/core/sketch.ts';

const N = 1_000_000;
const ROUNDS = 7;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeIt(fn: () => void): number {
  const start = Bun.nanoseconds();
  fn();
  return Bun.nanoseconds() - start;
}

// Latency-like values, fixed in advance so that both sides do the same work.
const values = new Float64Array(N);
for (let i = 0; i < N; i++) values[i] = Math.exp(3 + Math.sin(i) * 1.5) * (1 + (i % 7) / 10);

let sink = 0;
const insertArray: number[] = [];
const insertSketch: number[] = [];
const queryArray: number[] = [];
const querySketch: number[] = [];

for (let round = 0; round < ROUNDS; round++) {
  // Interleaved: the floor and the sketch take turns, so machine noise hits both alike.
  let array: number[] = [];
  insertArray.push(timeIt(() => {
    array = [];
    for (let i = 0; i < N; i++) array.push(values[i]!);
  }));
  let sketch = new QuantileSketch();
  insertSketch.push(timeIt(() => {
    sketch = new QuantileSketch();
    for (let i = 0; i < N; i++) sketch.add(values[i]!);
  }));
  queryArray.push(timeIt(() => {
    const sorted = Float64Array.from(array).sort();
    sink += sorted[Math.floor(0.5 * (N - 1))]! + sorted[Math.floor(0.95 * (N - 1))]! + sorted[Math.floor(0.99 * (N - 1))]!;
  }));
  querySketch.push(timeIt(() => {
    sink += sketch.quantile(0.5) + sketch.quantile(0.95) + sketch.quantile(0.99);
  }));
}

const perOp = (ns: number) => ns / N;
const ia = median(insertArray);
const is = median(insertSketch);
const qa = median(queryArray);
const qs = median(querySketch);
const bytes = (() => {
  const s = new QuantileSketch();
  for (const v of values) s.add(v);
  return s.toBytes().length;
})();

console.log(`bench/core.ts — ${N.toLocaleString('en')} values, median of ${ROUNDS} interleaved rounds, Bun ${Bun.version}`);
console.log(`insert  array.push (floor)   ${perOp(ia).toFixed(1)} ns/value`);
console.log(`insert  QuantileSketch.add   ${perOp(is).toFixed(1)} ns/value   ratio ${(is / ia).toFixed(2)}× the floor`);
console.log(`query   sort + 3 quantiles   ${(qa / 1e6).toFixed(2)} ms`);
console.log(`query   sketch 3 quantiles   ${(qs / 1e3).toFixed(1)} µs        ratio ${(qa / qs).toFixed(0)}× faster than sorting`);
console.log(`memory  sketch serialised    ${bytes} bytes for ${N.toLocaleString('en')} values (array: ${(N * 8).toLocaleString('en')} bytes)`);
if (sink === 42) console.log(''); // keeps the work from being optimised away
