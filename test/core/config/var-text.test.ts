// A Worker var as the text its setting is read from: wrangler passes a TOML number, boolean, array or
// table as that JSON value, and each is read (and refused) as its text would be; a binding never is.
import { describe, expect, test } from 'bun:test';
import { settingFromVar } from '../../../src/core/config/read-setting.ts';
import { WORKER } from '../../../src/core/config/settings.ts';
import { isVar, varText } from '../../../src/core/config/var-text.ts';
import { thrown } from '../../support/config-error.ts';

class Namespace {
  idFromName(name: string) {
    return name;
  }
}

describe('varText', () => {
  test('strings as they are; numbers, booleans, arrays and plain objects as JSON', () => {
    expect(varText('1000')).toBe('1000');
    expect(varText(1000)).toBe('1000');
    expect(varText(0.5)).toBe('0.5');
    expect(varText(true)).toBe('true');
    expect(varText([{ id: 'slow', threshold: 500 }])).toBe('[{"id":"slow","threshold":500}]');
    expect(varText({ '*': 1, shop: 4 })).toBe('{"*":1,"shop":4}');
    expect(varText(Object.assign(Object.create(null), { a: 1 }))).toBe('{"a":1}');
  });

  test('unset, null and bindings (objects of a class) are no var', () => {
    for (const value of [undefined, null, new Namespace(), new Map(), () => 1]) {
      expect(varText(value)).toBeUndefined();
      expect(isVar(value)).toBe(false);
    }
  });
});

describe('settingFromVar with TOML values', () => {
  test('read as their text would be', () => {
    expect(settingFromVar(WORKER.routeCap, { ROUTE_CAP: 3 })).toBe(settingFromVar(WORKER.routeCap, { ROUTE_CAP: '3' }));
    expect(settingFromVar(WORKER.tenSecondRoutes, { TEN_SECOND_ROUTES: true })).toBe(true);
    expect(settingFromVar(WORKER.tenSecondRoutes, { TEN_SECOND_ROUTES: false })).toBe(false);
    expect(settingFromVar(WORKER.alertRules, { ALERT_RULES: [{ id: 'slow' }] })).toBe('[{"id":"slow"}]');
    expect(settingFromVar(WORKER.shards, { SHARDS: 4 })).toBe('4');
    expect(settingFromVar(WORKER.routeCap, { ROUTE_CAP: new Namespace() })).toBe(WORKER.routeCap.default);
  });

  test('refused as their text would be', () => {
    expect(thrown(() => settingFromVar(WORKER.routeCap, { ROUTE_CAP: 0 })).message).toBe(thrown(() => settingFromVar(WORKER.routeCap, { ROUTE_CAP: '0' })).message);
    expect(thrown(() => settingFromVar(WORKER.plan, { PLAN: 1 })).message).toBe(thrown(() => settingFromVar(WORKER.plan, { PLAN: '1' })).message);
  });
});
