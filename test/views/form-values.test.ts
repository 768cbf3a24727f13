// A login form's `next` comes back as it was (found by a review of the traces form's hidden values):
// @kitajs/html escapes only `"` in attributes, so a raw `&lt;` in an address was decoded by the
// browser and the sign-in went elsewhere.
import { expect, test } from 'bun:test';
import { ALL_FEATURES, type ViewContext } from '../../src/core/dashboard/view-context.ts';
import { attributeValue } from '../../src/views/format.ts';
import { LoginPage } from '../../src/views/login-page.tsx';

const CTX: ViewContext = { base: '/performance', assets: '/performance/assets', title: 'APM', app: 'shop', apps: ['shop'], range: '1h', refreshMs: 0, csrf: 'x', features: ALL_FEATURES };
// An attribute's value as a browser reads it: each character reference decoded once.
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decodeOnce = (value: string) => value.replace(/&(?:#(\d+)|#x([0-9a-f]+)|(\w+));/gi, (whole, dec, hex, name) => (dec ? String.fromCodePoint(Number(dec)) : hex ? String.fromCodePoint(parseInt(hex, 16)) : (NAMED[name] ?? whole)));

test('the login form\'s next, decoded once, is the address it was given', () => {
  const next = '/performance?app=sh%26op&route=/amp&amp;lt;&x="y"';
  const html = String(LoginPage({ ctx: CTX, next }));
  // The sign-in form's, in the page's main part (the header's sign-out form, when signed in, carries one of its own).
  const main = html.slice(html.indexOf('<main>'));
  expect(decodeOnce(/name="next" value="([^"]*)"/.exec(main)?.[1] ?? '')).toBe(next);
});

test('attributeValue: references for & and for what a page must not carry raw; C1 controls stay (a reference to one reads as Windows-1252)', () => {
  expect(attributeValue('a&lt;\u202e\u200b\u2028\r\u0085')).toBe('a&amp;lt;&#x202e;&#x200b;&#x2028;&#xd;\u0085');
});
