/** @jsxRuntime automatic */
/** @jsxImportSource @kitajs/html */
// What the edge costs today: Worker and Durable Object requests, SQLite rows and storage, next to the
// plan's daily quotas when the plan is known, with a warning before a free-plan quota runs out (the
// platform then fails further operations of that kind until 00:00 UTC: data would be lost).
import { formatQuantity, type QuotaUse, type UsageDay, type UsageView, type UsageWarning } from '../core/usage/usage.ts';
import { formatBytes } from './format.ts';
import { visibleName, visibleText } from '../core/invisible-text.ts';

const INSTANCES_SHOWN = 20;

function share(quota: QuotaUse): string {
  return quota.limit === null ? '' : `${Math.round((quota.used / quota.limit) * 100)} %`;
}

function QuotaRows(props: { quotas: QuotaUse[] }): JSX.Element {
  return (
    <>
      {props.quotas.map((quota) => (
        <tr data-kind={quota.kind}>
          <th scope="row" safe>{quota.label}</th>
          <td class="num" safe>{formatQuantity(quota.kind, quota.used)}</td>
          <td class="num" safe>{formatQuantity(quota.kind, quota.projected)}</td>
          <td class="num" safe>{quota.limit === null ? '–' : formatQuantity(quota.kind, quota.limit)}</td>
          <td class="num" safe>{share(quota)}</td>
        </tr>
      ))}
    </>
  );
}

function Warnings(props: { warnings: UsageWarning[] }): JSX.Element {
  if (props.warnings.length === 0) return '';
  return (
    <ul class="usage-warnings" role="alert">
      {props.warnings.map((warning) => <li data-kind={warning.kind} safe>{visibleText(warning.message)}</li>)}
    </ul>
  );
}

function dayLabel(day: UsageDay): string {
  return new Date(day.day).toISOString().slice(0, 10);
}

export function UsagePanel(props: { usage: UsageView }): JSX.Element {
  const { report, account } = props.usage;
  const tightest = [...(account ?? report).quotas].filter((q) => q.limit !== null).sort((a, b) => b.projected / b.limit! - a.projected / a.limit!)[0];
  const headline = tightest
    ? `Edge usage today (UTC): heading for ${Math.round((tightest.projected / tightest.limit!) * 100)} % of the ${report.plan} plan's ${tightest.label} by midnight`
    : `Edge usage today (UTC)${report.plan === 'paid' ? ': paid plan, billed past its monthly inclusion' : ': set PLAN (free or paid) to see it against the plan\u2019s limits'}`;
  const warnings = [...(account?.warnings ?? []), ...report.warnings];
  return (
    <section class={warnings.length > 0 ? 'panel usage not-received' : 'panel usage'} aria-label="Edge usage">
      <Warnings warnings={warnings} />
      <details>
        <summary safe>{headline}</summary>
        <div class="table-scroll">
          <table>
            <caption safe>{`This app${account ? '' : ' (the Worker\u2019s hourly cron adds 24 Worker requests a day)'}`}</caption>
            <thead><tr><th scope="col">today</th><th scope="col">used</th><th scope="col">by 24:00 UTC</th><th scope="col">free plan a day</th><th scope="col">share</th></tr></thead>
            <tbody><QuotaRows quotas={report.quotas} /></tbody>
          </table>
          {account
            ? (
              <table>
                <caption safe>{`All ${account.apps.length} apps and the cron (${account.cronInvocations} invocations so far): what the daily quotas apply to`}</caption>
                <thead><tr><th scope="col">today</th><th scope="col">used</th><th scope="col">by 24:00 UTC</th><th scope="col">free plan a day</th><th scope="col">share</th></tr></thead>
                <tbody><QuotaRows quotas={account.quotas} /></tbody>
              </table>
            )
            : ''}
          <table>
            <caption>Per day</caption>
            <thead><tr><th scope="col">day</th><th scope="col">ingest</th><th scope="col">reads</th><th scope="col">cron</th><th scope="col">alarms</th><th scope="col">rows written</th><th scope="col">rows read</th><th scope="col">storage</th></tr></thead>
            <tbody>
              {report.days.map((day) => (
                <tr>
                  <th scope="row" safe>{dayLabel(day)}</th>
                  <td class="num" safe>{formatQuantity('workerRequests', day.ingestRequests)}</td>
                  <td class="num" safe>{formatQuantity('workerRequests', day.reads)}</td>
                  <td class="num" safe>{formatQuantity('workerRequests', day.ticks)}</td>
                  <td class="num" safe>{formatQuantity('workerRequests', day.alarms)}</td>
                  <td class="num" safe>{formatQuantity('rowsWritten', day.rowsWritten)}</td>
                  <td class="num" safe>{formatQuantity('rowsRead', day.rowsRead)}</td>
                  <td class="num" safe>{formatBytes(day.storedBytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {report.instances.length > 0
            ? (
              <table>
                <caption safe>{`Instances today${report.instances.length > INSTANCES_SHOWN ? ` (the ${INSTANCES_SHOWN} busiest of ${report.instances.length})` : ''}`}</caption>
                <thead><tr><th scope="col">instance</th><th scope="col">ingest requests</th><th scope="col">rows written</th><th scope="col">sent</th></tr></thead>
                <tbody>
                  {report.instances.slice(0, INSTANCES_SHOWN).map((instance) => (
                    <tr>
                      <th scope="row" safe>{visibleName(instance.instance)}</th>
                      <td class="num" safe>{formatQuantity('workerRequests', instance.ingestRequests)}</td>
                      <td class="num" safe>{formatQuantity('rowsWritten', instance.rowsWritten)}</td>
                      <td class="num" safe>{formatBytes(instance.ingestBytes)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )
            : ''}
          <p class="hint">Reads are this dashboard and the API: each page, refresh and chart reads the store once or more. Requests the Worker refuses before the store (a wrong key, a body over the cap) are not counted here; Cloudflare counts them.</p>
        </div>
      </details>
    </section>
  );
}
