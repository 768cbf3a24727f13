/** @jsxRuntime automatic */
/** @jsxImportSource @kitajs/html */
// Alerts: firing and pending first, then recently resolved; each open alert can be resolved by hand.
import { formatNumber, formatThreshold, formatValue, formatValueBeside } from '../core/alerts/format.ts';
import type { AlertRow } from '../core/dashboard/alert-views.ts';
import type { ViewContext } from '../core/dashboard/view-context.ts';
import { attributeText, formatTime, query } from './format.ts';
import { visibleInLine, visibleText } from '../core/invisible-text.ts';

const ORDER = { firing: 0, pending: 1, error: 2, resolved: 3 } as const;

const SINCE = { firing: 'since', pending: 'since', error: 'rule failed', resolved: 'resolved' } as const;

export function AlertsPanel(props: { ctx: ViewContext; alerts: AlertRow[]; configProblems?: readonly string[] }): JSX.Element {
  const { ctx } = props;
  const alerts = [...props.alerts].sort((a, b) => ORDER[a.state] - ORDER[b.state] || b.startedAt - a.startedAt);
  const url = `${ctx.base}/fragments/alerts${query({ app: ctx.app })}`;
  return (
    <section id="alerts" class="panel alerts" aria-label="Alerts" hx-get={url} hx-trigger="apm-refresh" hx-swap="outerHTML" hx-sync="this:abort">
      <h2>Alerts</h2>
      {props.configProblems !== undefined && props.configProblems.length > 0 ? <ConfigProblems problems={props.configProblems} /> : ''}
      {alerts.length === 0 ? (
        <p class="empty">No alerts. Rules are evaluated every minute; firing and resolved alerts appear here.</p>
      ) : (
        <ul class="alert-list">
          {alerts.map((alert) => (
            <li class={`alert ${alert.state} ${alert.severity}`} data-alert-id={alert.id}>
              <span class="badge">{alert.state}</span>
              <span class="severity">{alert.severity}</span>
              <strong class="name" safe>{visibleInLine(alert.name)}</strong>
              {alert.message ? <span class="message" safe>{visibleText(alert.message)}</span> : ''}
              {alert.value !== undefined && alert.value !== null ? (
                <span class="value" safe>{valueText(alert, alert.value)}</span>
              ) : (
                ''
              )}
              <time class="since" safe>{`${SINCE[alert.state]} ${formatTime(alert.state === 'resolved' ? alert.resolvedAt : alert.startedAt)}`}</time>
              {alert.state === 'firing' || alert.state === 'pending' ? (
                <form method="post" action={`${ctx.base}/alerts/resolve${query({ app: ctx.app })}`} hx-post={`${ctx.base}/alerts/resolve${query({ app: ctx.app })}`} hx-target="#alerts" hx-swap="outerHTML" hx-sync="closest section:replace">
                  <input type="hidden" name="id" value={alert.id} />
                  <input type="hidden" name="csrf" value={ctx.csrf} />
                  <button type="submit" id={`resolve-${alert.id}`} aria-label={attributeText(`Resolve ${visibleInLine(alert.name)}`)}>
                    Resolve
                  </button>
                </form>
              ) : (
                ''
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * "value 2.55 GiB / threshold > 1 GiB": in the metric's unit, formatted as the notifications are
 * (a row without a metric, as an addAlert one, shows bare numbers).
 */
function valueText(alert: AlertRow, value: number): string {
  const { metric, condition, threshold } = alert;
  if (metric === undefined) return `value ${formatNumber(value)}${threshold == null ? '' : ` / threshold ${formatNumber(threshold)}`}`;
  if (threshold == null || condition === undefined) return `value ${formatValue(metric, value)}`;
  const rule = { metric, condition, threshold };
  return `value ${formatValueBeside(rule, value)} / threshold ${formatThreshold(rule)}`;
}

/** What the alerting configuration left out: said where the on-call engineer looks, not only in a log. */
function ConfigProblems(props: { problems: readonly string[] }): JSX.Element {
  const count = props.problems.length === 1 ? 'a problem' : `${props.problems.length} problems`;
  return (
    <div class="config-problems" role="alert">
      {/* Both kinds: what alerting left out (a rule, a channel) and a var name the edge does not know (PALN). */}
      <p safe>{`Settings the edge could not use: ${count}, each left out; the rest of its settings and of alerting runs.`}</p>
      <ul>
        {props.problems.map((problem) => (
          <li safe>{visibleText(problem)}</li>
        ))}
      </ul>
    </div>
  );
}
