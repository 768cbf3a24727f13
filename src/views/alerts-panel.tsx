/** @jsxRuntime automatic */
/** @jsxImportSource @kitajs/html */
// Alerts: firing and pending first, then recently resolved; each open alert can be resolved by hand.
import type { AlertView } from '../core/dashboard/data.ts';
import type { ViewContext } from '../core/dashboard/view-context.ts';
import { formatTime, query } from './format.ts';

const ORDER = { firing: 0, pending: 1, error: 2, resolved: 3 } as const;

const SINCE = { firing: 'since', pending: 'since', error: 'rule failed', resolved: 'resolved' } as const;

export function AlertsPanel(props: { ctx: ViewContext; alerts: AlertView[] }): JSX.Element {
  const { ctx } = props;
  const alerts = [...props.alerts].sort((a, b) => ORDER[a.state] - ORDER[b.state] || b.startedAt - a.startedAt);
  const url = `${ctx.base}/fragments/alerts${query({ app: ctx.app })}`;
  return (
    <section id="alerts" class="panel alerts" aria-label="Alerts" hx-get={url} hx-trigger="apm-refresh" hx-swap="outerHTML" hx-sync="this:abort">
      <h2>Alerts</h2>
      {alerts.length === 0 ? (
        <p class="empty">No alerts. Rules are evaluated every minute; firing and resolved alerts appear here.</p>
      ) : (
        <ul class="alert-list">
          {alerts.map((alert) => (
            <li class={`alert ${alert.state} ${alert.severity}`} data-alert-id={alert.id}>
              <span class="badge">{alert.state}</span>
              <span class="severity">{alert.severity}</span>
              <strong class="name" safe>{alert.name}</strong>
              {alert.message ? <span class="message" safe>{alert.message}</span> : ''}
              {alert.value !== undefined && alert.value !== null ? (
                <span class="value" safe>{`value ${round(alert.value)}${alert.threshold !== undefined && alert.threshold !== null ? ` / threshold ${round(alert.threshold)}` : ''}`}</span>
              ) : (
                ''
              )}
              <time class="since" safe>{`${SINCE[alert.state]} ${formatTime(alert.state === 'resolved' ? alert.resolvedAt : alert.startedAt)}`}</time>
              {alert.state === 'firing' || alert.state === 'pending' ? (
                <form method="post" action={`${ctx.base}/alerts/resolve${query({ app: ctx.app })}`} hx-post={`${ctx.base}/alerts/resolve${query({ app: ctx.app })}`} hx-target="#alerts" hx-swap="outerHTML" hx-sync="closest section:replace">
                  <input type="hidden" name="id" value={alert.id} />
                  <input type="hidden" name="csrf" value={ctx.csrf} />
                  <button type="submit">Resolve</button>
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

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toPrecision(4);
}
