import { expect, test } from 'bun:test';
import { classifyUserAgent } from '../../src/core/user-agent.ts';

const CASES: Array<[string | undefined, string, string]> = [
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'browser', 'chrome'],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0', 'browser', 'edge'],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', 'browser', 'safari'],
  ['Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'browser', 'firefox'],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0 Mobile/15E148 Safari/604.1', 'browser', 'chrome'],
  ['Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0', 'browser', 'opera'],
  ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'bot', 'googlebot'],
  ['Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36', 'bot', 'bingbot'],
  ['Mozilla/5.0 (compatible; GPTBot/1.2; +https://openai.com/gptbot)', 'bot', 'openai'],
  ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36', 'bot', 'headless-chrome'],
  ['Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)', 'bot', 'uptime-monitor'],
  ['curl/8.5.0', 'cli', 'curl'],
  ['Wget/1.21.4', 'cli', 'wget'],
  ['HTTPie/3.2.2', 'cli', 'httpie'],
  ['Bun/1.4.5', 'http-client', 'bun'],
  ['node', 'http-client', 'node'],
  ['python-requests/2.32.3', 'http-client', 'python'],
  ['Go-http-client/2.0', 'http-client', 'go'],
  ['axios/1.7.9', 'http-client', 'axios'],
  ['PostmanRuntime/7.42.0', 'http-client', 'postman'],
  ['<img src=x onerror=alert(1)>', 'unknown', 'other'],
  [undefined, 'unknown', 'unknown'],
  ['', 'unknown', 'unknown'],
];

for (const [ua, kind, family] of CASES) {
  test(`${ua ?? '(none)'} → ${kind}/${family}`, () => expect(classifyUserAgent(ua)).toEqual({ kind, family } as never));
}
