// Rates as the dashboard shows them: a review saw 91 requests in 6 hours read "0.00/s on average".
import { expect, test } from 'bun:test';
import { formatAverageRate, formatRate } from '../../src/views/format.ts';

const HOUR = 3600;

test('an average rate is shown in the unit that makes it readable', () => {
  expect(formatAverageRate(91 / (6 * HOUR))).toBe('15/h'); // was 0.00/s
  expect(formatAverageRate(180 / 60 / 60)).toBe('3/min'); // 180 requests in an hour
  expect(formatAverageRate(30 / (10 * HOUR))).toBe('3/h');
  expect(formatAverageRate(1 / (7 * 24 * HOUR))).toBe('0.14/day');
  expect(formatAverageRate(0.5)).toBe('0.50/s');
  expect(formatAverageRate(1234.5)).toBe('1235/s');
  expect(formatAverageRate(0)).toBe('0.00/s');
  expect(formatAverageRate(Number.NaN)).toBe('–');
});

test('a rate per second is never shown as none when there was traffic', () => {
  expect(formatRate(0.004)).toBe('<0.01');
  expect(formatRate(0.005)).toBe('0.01');
  expect(formatRate(0)).toBe('0.00');
});
