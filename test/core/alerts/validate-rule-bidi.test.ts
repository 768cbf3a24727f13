// Bidirectional controls and zero-width characters in a rule's text: "Checkout \u202Egnp.exe\u202C
// latency" shows reversed in Slack, email and the dashboard, so validateRule (shared by the rules
// API, ALERT_RULES and PerformanceAlerting) refuses them, naming the field and the code point.
import { describe, expect, test } from 'bun:test';
import { assertValidRule, validateRule, validateRuleUpdate } from '../../../src/core/alerts/validate-rule.ts';
import type { AlertRule } from '../../../src/core/alerts/rule.ts';

const good: AlertRule = {
  id: 'checkout-latency', name: 'Checkout latency', enabled: true, metric: 'responseTime', condition: 'gt',
  threshold: 2000, duration: 60000, severity: 'warning',
};
const gauge: AlertRule = { ...good, metric: 'memoryUsage', threshold: 1e9 };

const BIDI = ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c'];
const ZERO_WIDTH = ['\u200b', '\u2060', '\ufeff'];
const codePoint = (c: string) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

function problemsOf(input: unknown) {
  const result = validateRule(input);
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.problems;
}

describe('validateRule: bidirectional controls and zero-width characters', () => {
  test('the reported name is refused with one problem naming the field and U+202E', () => {
    expect(problemsOf({ ...good, name: 'Checkout \u202egnp.exe\u202c latency' })).toEqual([
      { field: 'name', message: 'contains U+202E (a bidirectional control), which would show the text reordered' },
    ]);
  });

  for (const c of BIDI) {
    test(`a name with ${codePoint(c)} is refused as a bidirectional control`, () => {
      expect(problemsOf({ ...good, name: `Slow ${c}checkout` })).toEqual([
        { field: 'name', message: `contains ${codePoint(c)} (a bidirectional control), which would show the text reordered` },
      ]);
    });
  }

  for (const c of ZERO_WIDTH) {
    test(`a name with ${codePoint(c)} is refused as a zero-width character`, () => {
      const [problem, ...rest] = problemsOf({ ...good, name: `Slow${c} checkout` });
      expect(rest).toEqual([]);
      expect(problem?.field).toBe('name');
      expect(problem?.message).toContain(`contains ${codePoint(c)} (a zero-width character)`);
    });
  }

  test('the first such character is the one named', () => {
    expect(problemsOf({ ...good, name: 'a\u200bb\u202ec' })[0]?.message).toContain('U+200B');
    expect(problemsOf({ ...good, name: 'a\u2067b\ufeffc' })[0]?.message).toContain('U+2067');
  });

  test('description, route and instance are refused too, each naming its field', () => {
    expect(problemsOf({ ...good, description: 'See the \u202erunbook' })).toEqual([
      { field: 'description', message: 'contains U+202E (a bidirectional control), which would show the text reordered' },
    ]);
    expect(problemsOf({ ...good, route: '/api/\u2066users\u2069' }).map((p) => [p.field, p.message])).toEqual([
      ['route', 'contains U+2066 (a bidirectional control), which would show the text reordered'],
    ]);
    expect(problemsOf({ ...good, route: '/api/\u200busers' }).map((p) => p.field)).toEqual(['route']);
    expect(problemsOf({ ...gauge, instance: 'web-1\u200f' }).map((p) => [p.field, p.message])).toEqual([
      ['instance', 'contains U+200F (a bidirectional control), which would show the text reordered'],
    ]);
    expect(problemsOf({ ...good, id: 'a\u202eb' }).map((p) => p.field)).toEqual(['id']);
  });

  test('every field with one is named at once', () => {
    const fields = problemsOf({ ...good, name: 'x\u202e', description: '\ufeffy', route: '/\u200bz' }).map((p) => p.field).sort();
    expect(fields).toEqual(['description', 'name', 'route']);
  });

  test('joiners words and emoji need (U+200C in Persian, U+200D in emoji sequences) are accepted', () => {
    for (const name of ['می\u200cخواهم پرداخت', 'Checkout 👩\u200d💻 latency']) {
      expect(validateRule({ ...good, name, description: name })).toMatchObject({ ok: true });
    }
  });

  test('right-to-left letters without controls are accepted', () => {
    for (const name of ['זמן תגובה גבוה בקופה', 'زمن استجابة مرتفع في الدفع', 'Checkout זמן תגובה latency', 'p99 של /api', 'שגיאות 5xx – التنبيه']) {
      expect(validateRule({ ...good, name, description: `${name} — runbook` })).toMatchObject({ ok: true });
    }
    expect(validateRule({ ...good, route: '/חנות/:id' })).toMatchObject({ ok: true });
    expect(validateRule({ ...gauge, instance: 'שרת-1' })).toMatchObject({ ok: true });
  });

  test('other Unicode (accents, CJK, emoji without joiners) stays accepted', () => {
    for (const name of ['Größe café', '結帳延遲', 'Checkout 🔥 slow', 'Ünïcödé — “quoted”']) {
      expect(validateRule({ ...good, name })).toMatchObject({ ok: true });
    }
  });

  test('assertValidRule (ALERT_RULES, PerformanceAlerting) throws on it, naming the code point', () => {
    expect(() => assertValidRule({ ...good, name: 'Checkout \u202egnp.exe\u202c latency' })).toThrow(
      "alert rule 'checkout-latency': name: contains U+202E (a bidirectional control), which would show the text reordered",
    );
  });

  test('an update (the rules API) cannot bring one in', () => {
    const result = validateRuleUpdate(good, { name: 'Checkout \u202egnp.exe\u202c latency' });
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems.map((p) => p.field)).toEqual(['name']);
    expect(validateRuleUpdate(good, { name: 'זמן תגובה' })).toMatchObject({ ok: true });
  });
});
