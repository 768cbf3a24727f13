// The spec's PerformanceAlerting in the app's own process: the edge's rule engine, evaluated soon
// after addMetrics and on an unref'd interval, notifying Slack, webhooks, PagerDuty and email.
// Nothing here throws into the app once it is constructed.
import { clientGone } from '../core/http/client-gone.ts';
import { AlertEngine, type NamedChannel } from '../core/alerts/alert-engine.ts';
import { channelDestinationMissing, validateChannel, type AlertChannel } from '../core/alerts/channel.ts';
import { MemoryAlertStore, type RoutedNotification } from '../core/alerts/alert-store.ts';
import type { AlertNotification } from '../core/alerts/notification.ts';
import type { AlertRule } from '../core/alerts/rule.ts';
import { AlertRuleError, assertValidRule, repeatFloorProblems, validateRuleUpdate } from '../core/alerts/validate-rule.ts';
import { ConfigError } from '../core/config/config-error.ts';
import { createLog, errorClassOf, type Log } from '../plugin/runtime/log.ts';
import { isExcluded } from '../plugin/runtime/request-state.ts';
import { keptPathOf } from '../core/request-key.ts';
import { unref } from '../plugin/runtime/unref.ts';
import { resolveAlertingOptions, type AlertingOptions, type ResolvedAlertingOptions } from './alerting/alerting-options.ts';
import { Deliverer, type DeliveryOptions } from './alerting/deliver.ts';
import { MetricWindow, type PerformanceMetricsInput } from './alerting/metric-window.ts';
import { ProcessSampler } from './alerting/process-sampler.ts';
import { forgetPart, rememberPart } from './latest-parts.ts';
import { endedStatus } from './answer-status.ts';
import { checkOptionShapes, keysOf, warnUnknownOptions } from './option-checks.ts';
import { callersMistake } from './callers-mistake.ts';

export type { AlertingOptions } from './alerting/alerting-options.ts';
export type { PerformanceMetricsInput } from './alerting/metric-window.ts';
export type { AlertChannel, ChannelFilters } from '../core/alerts/channel.ts';
export type { AlertNotification } from '../core/alerts/notification.ts';
export type { AlertCondition, AlertMetric, AlertRule, AlertSeverity, CustomEvaluator, NoDataPolicy } from '../core/alerts/rule.ts';
export type { AlertSample } from '../core/alerts/alert-data.ts';
export { AlertRuleError } from '../core/alerts/validate-rule.ts';
export { verifyWebhookSignature, WEBHOOK_DELIVERY_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from '../core/alerts/payloads/webhook.ts';

type Next = () => Response | Promise<Response>;
interface ChannelEntry extends NamedChannel {
  /** False without a destination (an unset variable): warned once, then skipped. */
  usable: boolean;
}

const ALERTING_OPTIONS = keysOf<AlertingOptions>()([
  'enabled', 'rules', 'channels', 'app', 'dashboardUrl', 'evaluationInterval', 'evaluationDelay', 'maxNotifications', 'maxSamples', 'routeCap',
  'sampleProcess', 'delivery', 'log', 'now', 'env',
]);
const ALERTING_SHAPES = { rules: 'list', channels: 'list', delivery: keysOf<DeliveryOptions>()(['attempts', 'backoffMs', 'timeoutMs']), log: 'function', now: 'function' } as const;

/**
 * @example
 * const alerting = new PerformanceAlerting({
 *   rules: [{ id: 'slow', name: 'Slow', metric: 'p95', condition: 'gt', threshold: 800, severity: 'warning' }],
 *   channels: [{ type: 'slack', config: { url: process.env.SLACK_WEBHOOK_URL } }],
 * });
 * alerting.addMetrics({ method: 'GET', path: '/users/42', statusCode: 200, responseTime: 950 });
 */
export class PerformanceAlerting {
  readonly #options: ResolvedAlertingOptions;
  readonly #store: MemoryAlertStore;
  readonly #engine: AlertEngine;
  readonly #channels: ChannelEntry[] = [];
  readonly #window: MetricWindow;
  readonly #log: Log;
  readonly #deliverer: Deliverer;
  readonly #pending = new Set<Promise<void>>();
  /** The last delivery of each rule's notifications to each channel: the next waits for it, so they arrive in the order made. */
  readonly #lastDelivery = new Map<string, Promise<void>>();
  readonly #sampler: ProcessSampler | undefined;
  #interval: ReturnType<typeof setInterval> | undefined;
  #soon: ReturnType<typeof setTimeout> | undefined;
  #channelCount = 0;

  constructor(options: AlertingOptions = {}) {
    try {
      // Bound: `router.use(x.handle)` passes the method alone, without its object (a review).
      this.handle = this.handle.bind(this);
      checkOptionShapes('performanceAlerting', options, ALERTING_SHAPES);
      this.#options = resolveAlertingOptions(options);
      this.#log = createLog(false, options.log);
      warnUnknownOptions('performanceAlerting', options, ALERTING_OPTIONS, (line) => this.#log.warnOnce(line, line), ALERTING_SHAPES);
      this.#store = new MemoryAlertStore({ maxNotifications: this.#options.maxNotifications, deliver: (routed) => this.#deliver(routed) });
      const context = { app: this.#options.app };
      this.#engine = new AlertEngine({ store: this.#store, context: () => context, channels: () => this.#channels.filter(({ usable }) => usable) });
      this.#deliverer = new Deliverer({ dashboardUrl: this.#options.dashboardUrl, log: this.#log, now: this.#options.now, env: this.#options.env }, this.#options.delivery);
      // One process, no instance to name: '' keeps gauge alerts from naming a made-up one.
      this.#window = new MetricWindow({ instance: '', maxSamples: this.#options.maxSamples, routeCap: this.#options.routeCap }, this.#options.now());
      for (const rule of options.rules ?? []) this.addRule(rule);
      for (const channel of options.channels ?? []) this.addChannel(channel);
      this.#sampler = this.#options.enabled && this.#options.sampleProcess ? new ProcessSampler(this.#options.evaluationInterval) : undefined;
      if (this.#options.enabled) {
        this.#interval = unref(setInterval(() => this.#evaluate(true), this.#options.evaluationInterval));
      }
      rememberPart('alerting', this);
    } catch (error) {
      throw callersMistake(error, new.target);
    }
  }

  /** Records one request's metrics; rules are evaluated within `evaluationDelay`, never in this call. */
  addMetrics(metrics: PerformanceMetricsInput): void {
    if (!this.#options.enabled || this.#interval === undefined) return;
    try {
      this.#window.add(metrics, this.#options.now());
      this.#evaluateSoon();
    } catch (error) {
      this.#log.warnOnce('alerting-add-metrics', `alerting: a metrics record could not be read (${errorClassOf(error)}); it was skipped`);
    }
  }

  /** Throws AlertRuleError (a ConfigError) naming every bad field, or the id when it is taken. */
  addRule(rule: AlertRule): void {
    let valid: AlertRule;
    try {
      valid = assertValidRule(rule);
      if (this.#store.rule(valid.id) !== undefined) throw new AlertRuleError([{ field: 'id', message: 'already taken; use updateRule to change that rule' }], valid.id);
    } catch (error) {
      throw callersMistake(error, PerformanceAlerting.prototype.addRule);
    }
    this.#store.putRule(valid);
    this.#warnRepeatFloor(valid);
    this.#evaluateSoon();
  }

  /** Merges `updates` into the rule (its state kept); throws on an unknown id or an invalid result. */
  updateRule(ruleId: string, updates: Partial<AlertRule>): void {
    const rule = this.#store.rule(ruleId);
    if (rule === undefined) throw new Error(`no alert rule '${ruleId}'`);
    const result = validateRuleUpdate(rule, updates);
    if (!result.ok) throw callersMistake(new AlertRuleError(result.problems, ruleId), PerformanceAlerting.prototype.updateRule);
    this.#store.putRule(result.rule);
    this.#warnRepeatFloor(result.rule);
    this.#evaluateSoon();
  }

  /** A repeatInterval under the floor is taken (an app written before it still starts) and named once per rule. */
  #warnRepeatFloor(rule: AlertRule): void {
    for (const problem of repeatFloorProblems([rule])) this.#log.warnOnce(`alert-repeat-floor:${rule.id}`, `alerting: ${problem}`);
  }

  /** Removes the rule; an alert it had open is resolved ("rule removed"). Unknown ids are ignored. */
  removeRule(ruleId: string): void {
    const rule = this.#store.rule(ruleId);
    if (rule !== undefined) this.#engine.removeRule(rule, this.#options.now());
  }

  /**
   * Throws a ConfigError on a malformed channel, or one that leaves its URL or address out; one
   * that gives it as undefined (an unset variable) is warned about once and skipped.
   */
  addChannel(channel: AlertChannel): void {
    // Named by the position it takes, as removeChannel counts them: `channels[2] (slack)`.
    const type = (channel as { type?: unknown } | null)?.type;
    const at = `performanceAlerting option channels[${this.#channels.length}]${typeof type === 'string' ? ` (${type.slice(0, 32)})` : ''}`;
    const problems = validateChannel(channel);
    if (problems.length > 0) throw callersMistake(new ConfigError(`${at}: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`), PerformanceAlerting.prototype.addChannel);
    let missing = channelDestinationMissing(channel);
    // Left out altogether it can only be a mistake; the spec's `url: process.env.SLACK_WEBHOOK_URL`
    // gives it, as undefined where the variable is unset, and that app still starts.
    if (missing !== undefined && channel.enabled !== false && !(missing.slice('config.'.length) in channel.config)) {
      throw callersMistake(new ConfigError(`${at}: ${missing} is missing; set it (given as undefined, from an unset variable, the channel is skipped with a warning)`), PerformanceAlerting.prototype.addChannel);
    }
    const label = `${channel.type} channel #${this.#channelCount++}`;
    if (missing === undefined && channel.type === 'email' && this.#deliverer.smtpUrl(channel) === undefined) missing = 'config.smtp (or SMTP_URL)';
    if (missing !== undefined && channel.enabled !== false) {
      this.#log.warnOnce(`alert-channel:${label}`, `alerting: ${label} has no ${missing}; its notifications are skipped`);
    }
    this.#channels.push({ name: label, channel, usable: missing === undefined });
  }

  /** Removes the channel at `index` (order added); throws RangeError when there is none. */
  removeChannel(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.#channels.length) {
      throw callersMistake(new RangeError(`removeChannel: no channel at index ${String(index)} (there are ${this.#channels.length})`), PerformanceAlerting.prototype.removeChannel);
    }
    this.#channels.splice(index, 1);
  }

  /** Alerts firing now (also while their rule errors); `id` is what resolveAlert takes. */
  getActiveAlerts(): AlertNotification[] {
    return this.#engine.activeAlerts();
  }

  /** Every notification produced, oldest first (at most maxNotifications). */
  getAllNotifications(): AlertNotification[] {
    return this.#store.history();
  }

  /** Resolves an open alert by hand and notifies; false when none has this id. */
  resolveAlert(alertId: string): boolean {
    return this.#engine.resolveAlert(alertId, this.#options.now()) !== null;
  }

  /** Middleware: times the request and adds its metrics (a thrown handler counts as a 500, or a 499 once its client has gone). */
  async handle(req: Request, next: Next): Promise<Response> {
    const started = performance.now();
    const timestamp = this.#options.now();
    let response: Response;
    try {
      response = await next();
    } catch (error) {
      // A client gone first: a 499 and no error, as the monitor and the preload count it.
      if (clientGone(req)) this.#record(req, 499, started, timestamp, undefined);
      else this.#record(req, 500, started, timestamp, errorClassOf(error));
      throw error;
    }
    // The in-process dashboard's own request is not the app's (the monitor and the tracer leave it
    // out too): its refreshes had fed the rules' rates and latencies (a review).
    if (isExcluded(req)) return response;
    // A client gone before the answer is a 499, as the monitor and the tracer count it (it had been the answer no one got).
    const status = endedStatus(req, response);
    // Not a Response, nor an upgrade: the app's mistake, an error whatever Bun sends for it (as the preload counts it).
    this.#record(req, status, started, timestamp, response instanceof Response || status === 101 || status === 499 ? undefined : 'InvalidResponse');
    return response;
  }

  /** Evaluates what waits; resolves once every delivery in flight has finished (shutdown, tests). */
  async flush(): Promise<void> {
    if (this.#soon !== undefined) {
      clearTimeout(this.#soon);
      this.#soon = undefined;
      this.#evaluate(false);
    }
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /** Stops the timers; deliveries in flight finish (await flush()). */
  close(): void {
    forgetPart(this);
    clearInterval(this.#interval);
    clearTimeout(this.#soon);
    this.#interval = undefined;
    this.#soon = undefined;
  }

  #record(req: Request, status: number, started: number, timestamp: number, error?: string): void {
    try {
      const route = (req as { route?: unknown }).route;
      this.addMetrics({
        timestamp, method: req.method, path: keptPathOf(req.url), statusCode: status, responseTime: performance.now() - started,
        userAgent: req.headers.get('user-agent') ?? undefined, ...(typeof route === 'string' ? { route } : {}), ...(error ? { error } : {}),
      });
    } catch {
      // A request we cannot read is not counted; the app's response is unaffected.
    }
  }

  #evaluateSoon(): void {
    if (this.#soon !== undefined || this.#interval === undefined) return;
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      this.#evaluate(false);
    }, this.#options.evaluationDelay);
    unref(this.#soon);
  }

  #evaluate(onInterval: boolean): void {
    try {
      const now = this.#options.now();
      if (onInterval && this.#sampler !== undefined) this.#window.addProfile({ timestamp: now, ...this.#sampler.sample() });
      this.#engine.evaluate(now, ({ since }) => {
        // Forgets what no rule reads: the window stays bounded.
        this.#window.prune(since);
        return this.#window.data();
      });
    } catch (error) {
      this.#log.warnOnce('alerting-evaluate', `alerting: evaluation failed (${errorClassOf(error)}); it is retried on the next tick`);
    }
  }

  /** Committed notifications go to their channels (none if disabled); flush() awaits them. */
  #deliver(routed: readonly RoutedNotification[]): void {
    if (!this.#options.enabled) return;
    for (const { notification, channels } of routed) {
      for (const name of channels) {
        const channel = this.#channels.find((entry) => entry.name === name)?.channel;
        if (channel === undefined) continue;
        // Per rule, not per alert: a resolve still being retried must not land after the rule's next
        // firing (Slack had ended on RESOLVED while the rule fired again; a review).
        const key = `${notification.ruleId}\n${name}`;
        const before = this.#lastDelivery.get(key) ?? Promise.resolve();
        const delivery: Promise<void> = before.then(() => this.#deliverer.deliver(channel, name, notification)).finally(() => {
          this.#pending.delete(delivery);
          if (this.#lastDelivery.get(key) === delivery) this.#lastDelivery.delete(key);
        });
        this.#pending.add(delivery);
        this.#lastDelivery.set(key, delivery);
      }
    }
  }
}

/** The factory's result: `(req, next) => Promise<Response>` middleware that is also the alerting API. */
export type PerformanceAlertingMiddleware = ((req: Request, next: Next) => Promise<Response>) &
  Pick<PerformanceAlerting, (typeof API)[number] | 'handle'>;

const API = [
  'addMetrics', 'addRule', 'updateRule', 'removeRule', 'addChannel', 'removeChannel', 'getActiveAlerts', 'getAllNotifications', 'resolveAlert', 'flush', 'close',
] as const;

/**
 * Creates the alerting (throws at once on a bad rule, channel or option) and returns it as
 * middleware, so `router.use(alerting)` feeds it every request, while `alerting.addRule(…)` and
 * the rest of the API work as on the class.
 *
 * @example
 * const alerting = performanceAlerting({ enabled: true, channels: [{ type: 'slack', enabled: true, config: { url: process.env.SLACK_WEBHOOK_URL } }] });
 * router.use(alerting);
 */
export function performanceAlerting(options: AlertingOptions = {}): PerformanceAlertingMiddleware {
  let alerting: PerformanceAlerting;
  try {
    alerting = new PerformanceAlerting(options);
  } catch (error) {
    throw callersMistake(error, performanceAlerting);
  }
  const middleware = async function performanceAlerting(req: Request, next: Next): Promise<Response> {
    return alerting.handle(req, next);
  };
  const api: Record<string, unknown> = { handle: alerting.handle.bind(alerting) };
  for (const name of API) api[name] = (alerting[name] as (...args: unknown[]) => unknown).bind(alerting);
  return Object.assign(middleware, api) as unknown as PerformanceAlertingMiddleware;
}
