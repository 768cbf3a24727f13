// The spec's PerformanceAlerting in the app's own process: the same rule engine as the edge,
// evaluated shortly after addMetrics and on an unref'd interval, notifying Slack, webhooks,
// PagerDuty and email. Nothing here throws into the app once it is constructed.
import { activeAlert } from '../core/alerts/active-alert.ts';
import { requiredSince } from '../core/alerts/alert-data.ts';
import { channelAccepts, channelDestinationMissing, validateChannel, type AlertChannel } from '../core/alerts/channel.ts';
import { evaluateRules } from '../core/alerts/evaluate-rules.ts';
import type { AlertNotification, NotificationContext } from '../core/alerts/notification.ts';
import type { RuleState } from '../core/alerts/rule-state.ts';
import { resolveRule, type AlertRule } from '../core/alerts/rule.ts';
import { resolveRuleAlert, retireRule, type Transition } from '../core/alerts/step-rule.ts';
import { AlertRuleError, assertValidRule, validateRuleUpdate } from '../core/alerts/validate-rule.ts';
import { createLog, errorClassOf, type Log } from '../plugin/log.ts';
import { pathOf } from '../plugin/request-state.ts';
import { unref } from '../plugin/unref.ts';
import { resolveAlertingOptions, type AlertingOptions, type ResolvedAlertingOptions } from './alerting/alerting-options.ts';
import { Deliverer } from './alerting/deliver.ts';
import { MetricWindow, type PerformanceMetricsInput } from './alerting/metric-window.ts';
import { ProcessSampler } from './alerting/process-sampler.ts';

export type { AlertingOptions } from './alerting/alerting-options.ts';
export type { PerformanceMetricsInput } from './alerting/metric-window.ts';
export type { AlertChannel, ChannelFilters } from '../core/alerts/channel.ts';
export type { AlertNotification } from '../core/alerts/notification.ts';
export type { AlertCondition, AlertMetric, AlertRule, AlertSeverity, CustomEvaluator, NoDataPolicy } from '../core/alerts/rule.ts';
export type { AlertSample } from '../core/alerts/alert-data.ts';
export { AlertRuleError } from '../core/alerts/validate-rule.ts';
export { verifyWebhookSignature, WEBHOOK_DELIVERY_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from '../core/alerts/payloads/webhook.ts';

type Next = () => Response | Promise<Response>;
interface ChannelEntry {
  channel: AlertChannel;
  label: string;
  /** False when the channel lacks a destination (an unset environment variable): warned once, then skipped. */
  usable: boolean;
}

/**
 * @example
 * const alerting = new PerformanceAlerting({
 *   rules: [{ id: 'slow', name: 'Slow', enabled: true, metric: 'p95', condition: 'gt', threshold: 800, severity: 'warning' }],
 *   channels: [{ type: 'slack', enabled: true, config: { url: process.env.SLACK_WEBHOOK_URL } }],
 * });
 * alerting.addMetrics({ method: 'GET', path: '/users/42', statusCode: 200, responseTime: 950 });
 */
export class PerformanceAlerting {
  readonly #options: ResolvedAlertingOptions;
  readonly #rules = new Map<string, AlertRule>();
  #states: Record<string, RuleState> = {};
  readonly #channels: ChannelEntry[] = [];
  #history: AlertNotification[] = [];
  readonly #window: MetricWindow;
  readonly #log: Log;
  readonly #deliverer: Deliverer;
  readonly #context: NotificationContext;
  readonly #pending = new Set<Promise<void>>();
  readonly #sampler: ProcessSampler | undefined;
  #interval: ReturnType<typeof setInterval> | undefined;
  #soon: ReturnType<typeof setTimeout> | undefined;
  #channelCount = 0;

  constructor(options: AlertingOptions = {}) {
    this.#options = resolveAlertingOptions(options);
    this.#log = createLog(false, options.log);
    this.#context = { app: this.#options.app };
    this.#deliverer = new Deliverer({ dashboardUrl: this.#options.dashboardUrl, log: this.#log, now: this.#options.now, env: this.#options.env }, options.delivery);
    this.#window = new MetricWindow({ instance: 'local', maxSamples: this.#options.maxSamples, routeCap: this.#options.routeCap }, this.#options.now());
    for (const rule of options.rules ?? []) this.addRule(rule);
    for (const channel of options.channels ?? []) this.addChannel(channel);
    this.#sampler = this.#options.enabled && this.#options.sampleProcess ? new ProcessSampler(this.#options.evaluationInterval) : undefined;
    if (this.#options.enabled) {
      this.#interval = unref(setInterval(() => this.#evaluate(true), this.#options.evaluationInterval));
    }
  }

  /** Records one request's metrics; rules are evaluated within `evaluationDelay` (never in this call). */
  addMetrics(metrics: PerformanceMetricsInput): void {
    if (!this.#options.enabled || this.#interval === undefined) return;
    try {
      this.#window.add(metrics, this.#options.now());
      this.#evaluateSoon();
    } catch (error) {
      this.#log.warnOnce('alerting-add-metrics', `alerting: a metrics record could not be read (${errorClassOf(error)}); it was skipped`);
    }
  }

  /** Throws AlertRuleError naming every bad field, or Error when the id is taken. */
  addRule(rule: AlertRule): void {
    const valid = assertValidRule(rule);
    if (this.#rules.has(valid.id)) throw new Error(`alert rule '${valid.id}' already exists; use updateRule to change it`);
    this.#rules.set(valid.id, valid);
    this.#evaluateSoon();
  }

  /** Merges `updates` into the rule (its state is kept); throws on an unknown id or an invalid result. */
  updateRule(ruleId: string, updates: Partial<AlertRule>): void {
    const rule = this.#rules.get(ruleId);
    if (rule === undefined) throw new Error(`no alert rule '${ruleId}'`);
    const result = validateRuleUpdate(rule, updates);
    if (!result.ok) throw new AlertRuleError(result.problems, ruleId);
    this.#rules.set(ruleId, result.rule);
    this.#evaluateSoon();
  }

  /** Removes the rule; an alert it had open is resolved ("rule removed"). Unknown ids are ignored. */
  removeRule(ruleId: string): void {
    const rule = this.#rules.get(ruleId);
    if (rule === undefined) return;
    this.#rules.delete(ruleId);
    const transition = retireRule(resolveRule(rule), this.#states[ruleId], this.#options.now(), 'rule removed', this.#context);
    delete this.#states[ruleId];
    this.#dispatch(transition.notifications);
  }

  /** Throws on a malformed channel; one missing its URL or address (an unset variable) is kept, warned about once and skipped. */
  addChannel(channel: AlertChannel): void {
    const problems = validateChannel(channel);
    if (problems.length > 0) throw new TypeError(`alert channel: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
    const label = `${channel.type} channel #${this.#channelCount++}`;
    let missing = channelDestinationMissing(channel);
    if (missing === undefined && channel.type === 'email' && this.#deliverer.smtpUrl(channel) === undefined) missing = 'config.smtp (or SMTP_URL)';
    if (missing !== undefined && channel.enabled !== false) {
      this.#log.warnOnce(`alert-channel:${label}`, `alerting: ${label} has no ${missing}; its notifications are skipped`);
    }
    this.#channels.push({ channel, label, usable: missing === undefined });
  }

  /** Removes the channel at `index` (in the order added); throws RangeError when there is none. */
  removeChannel(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.#channels.length) {
      throw new RangeError(`removeChannel: no channel at index ${String(index)} (there are ${this.#channels.length})`);
    }
    this.#channels.splice(index, 1);
  }

  /** Alerts firing now (also those whose rule is erroring), each with its `id` for resolveAlert. */
  getActiveAlerts(): AlertNotification[] {
    const active: AlertNotification[] = [];
    for (const [id, rule] of this.#rules) {
      const state = this.#states[id];
      const alert = state === undefined ? null : activeAlert(rule, state, this.#context);
      if (alert !== null) active.push(alert);
    }
    return active;
  }

  /** Every notification produced, oldest first (at most maxNotifications). */
  getAllNotifications(): AlertNotification[] {
    return [...this.#history];
  }

  /** Resolves an open alert by hand and notifies; false when no open alert has this id. */
  resolveAlert(alertId: string): boolean {
    for (const [id, rule] of this.#rules) {
      const state = this.#states[id];
      if (state?.alertId !== alertId) continue;
      const transition: Transition | null = resolveRuleAlert(resolveRule(rule), state, alertId, this.#options.now(), this.#context);
      if (transition === null) return false;
      this.#states[id] = transition.state;
      this.#dispatch(transition.notifications);
      return true;
    }
    return false;
  }

  /** Middleware: times the request and adds its metrics (a handler that throws counts as a 500). */
  async handle(req: Request, next: Next): Promise<Response> {
    const started = performance.now();
    const timestamp = this.#options.now();
    let response: Response;
    try {
      response = await next();
    } catch (error) {
      this.#record(req, 500, started, timestamp, errorClassOf(error));
      throw error;
    }
    this.#record(req, response.status, started, timestamp);
    return response;
  }

  /** Evaluates what is waiting and resolves when every delivery in flight has finished (for shutdown and tests). */
  async flush(): Promise<void> {
    if (this.#soon !== undefined) {
      clearTimeout(this.#soon);
      this.#soon = undefined;
      this.#evaluate(false);
    }
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /** Stops the timers; deliveries in flight still finish (await flush() for them). */
  close(): void {
    clearInterval(this.#interval);
    clearTimeout(this.#soon);
    this.#interval = undefined;
    this.#soon = undefined;
  }

  #record(req: Request, status: number, started: number, timestamp: number, error?: string): void {
    try {
      const route = (req as { route?: unknown }).route;
      this.addMetrics({
        timestamp, method: req.method, path: pathOf(req.url), statusCode: status, responseTime: performance.now() - started,
        userAgent: req.headers.get('user-agent') ?? undefined, ...(typeof route === 'string' ? { route } : {}), ...(error ? { error } : {}),
      });
    } catch {
      // A request we cannot read is a request we do not count; the app's response is unaffected.
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
      const rules = [...this.#rules.values()];
      this.#window.prune(requiredSince(rules, now));
      const { states, notifications } = evaluateRules(rules, this.#window.data(), this.#states, now, this.#context);
      this.#states = states;
      this.#dispatch(notifications);
    } catch (error) {
      this.#log.warnOnce('alerting-evaluate', `alerting: evaluation failed (${errorClassOf(error)}); it is retried on the next tick`);
    }
  }

  #dispatch(notifications: AlertNotification[]): void {
    for (const n of notifications) {
      this.#history.push(n);
      if (this.#history.length > this.#options.maxNotifications) this.#history.shift();
      if (!this.#options.enabled) continue;
      for (const { channel, label, usable } of this.#channels) {
        if (!usable || !channelAccepts(channel, n)) continue;
        const delivery = this.#deliverer.deliver(channel, label, n).finally(() => this.#pending.delete(delivery));
        this.#pending.add(delivery);
      }
    }
  }
}

/** The factory's result: the middleware `(req, next) => Promise<Response>` that is also the alerting API. */
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
  const alerting = new PerformanceAlerting(options);
  const middleware = async function performanceAlerting(req: Request, next: Next): Promise<Response> {
    return alerting.handle(req, next);
  };
  const api: Record<string, unknown> = { handle: alerting.handle.bind(alerting) };
  for (const name of API) api[name] = (alerting[name] as (...args: unknown[]) => unknown).bind(alerting);
  return Object.assign(middleware, api) as unknown as PerformanceAlertingMiddleware;
}
