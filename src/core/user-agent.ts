// Sorts user agents into a few classes for the spec's "user agent analysis".

export type UserAgentKind = 'browser' | 'bot' | 'cli' | 'http-client' | 'unknown';

export interface UserAgentClass {
  kind: UserAgentKind;
  /** chrome, firefox, safari, edge, opera, googlebot, curl, bun, … or `other`. */
  family: string;
}

// Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari", bots say "Mozilla".
const RULES: Array<[RegExp, UserAgentKind, string]> = [
  [/googlebot/i, 'bot', 'googlebot'],
  [/bingbot/i, 'bot', 'bingbot'],
  [/gptbot|chatgpt-user|oai-searchbot/i, 'bot', 'openai'],
  [/claudebot|claude-web|anthropic-ai/i, 'bot', 'anthropic'],
  [/applebot/i, 'bot', 'applebot'],
  [/yandex(bot|images)/i, 'bot', 'yandex'],
  [/baiduspider/i, 'bot', 'baidu'],
  [/duckduckbot/i, 'bot', 'duckduckgo'],
  [/facebookexternalhit|meta-externalagent/i, 'bot', 'facebook'],
  [/twitterbot/i, 'bot', 'twitter'],
  [/slackbot/i, 'bot', 'slack'],
  [/uptimerobot|pingdom|statuscake|better ?uptime/i, 'bot', 'uptime-monitor'],
  [/headlesschrome/i, 'bot', 'headless-chrome'],
  [/bot\b|crawler|spider|crawl|scrapy|lighthouse/i, 'bot', 'other'],
  [/^curl\//i, 'cli', 'curl'],
  [/^wget\//i, 'cli', 'wget'],
  [/^httpie\//i, 'cli', 'httpie'],
  [/^(xh|k6|wrk|ab|hey|oha|bombardier)\b/i, 'cli', 'load-tester'],
  [/^bun\//i, 'http-client', 'bun'],
  [/^node(-fetch)?\b|^undici/i, 'http-client', 'node'],
  [/^deno\//i, 'http-client', 'deno'],
  [/^python-requests|^python-urllib|^aiohttp|^httpx/i, 'http-client', 'python'],
  [/^go-http-client/i, 'http-client', 'go'],
  [/^okhttp|^java\//i, 'http-client', 'java'],
  [/^axios\//i, 'http-client', 'axios'],
  [/^postmanruntime/i, 'http-client', 'postman'],
  [/edg(e|a|ios)?\//i, 'browser', 'edge'],
  [/opr\/|opera/i, 'browser', 'opera'],
  [/samsungbrowser/i, 'browser', 'samsung'],
  [/firefox\/|fxios\//i, 'browser', 'firefox'],
  [/chrome\/|crios\/|chromium\//i, 'browser', 'chrome'],
  [/version\/[\d.]+.*safari\//i, 'browser', 'safari'],
  [/mozilla\//i, 'browser', 'other'],
];

/** Classifies a User-Agent header; a missing or empty one is `unknown`. */
export function classifyUserAgent(userAgent: string | null | undefined): UserAgentClass {
  if (!userAgent) return { kind: 'unknown', family: 'unknown' };
  const ua = userAgent.slice(0, 512);
  for (const [pattern, kind, family] of RULES) {
    if (pattern.test(ua)) return { kind, family };
  }
  return { kind: 'unknown', family: 'other' };
}
