/** @jsxRuntime automatic */
/** @jsxImportSource @kitajs/html */
// Requests an instance counted but could not deliver: the totals on this page are short by exactly
// these many, so the page says so next to them.
import type { RequestsNotReceived } from '../core/dashboard/data.ts';
import { formatTime } from './format.ts';
import { visibleName } from '../core/invisible-text.ts';

/** 6127 → "6,127": an exact count, never rounded like the tiles'. */
export function exactCount(n: number): string {
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function NotReceivedPanel(props: { losses: RequestsNotReceived[] }): JSX.Element {
  if (props.losses.length === 0) return '';
  return (
    <section class="panel not-received" role="status" aria-label="Requests not received">
      <ul>
        {props.losses.map((loss) => (
          <li data-requests={String(loss.requests)}>
            <span safe>{`${exactCount(loss.requests)} ${loss.requests === 1 ? 'request' : 'requests'} not received from instance ${visibleName(loss.instance)}`}</span>{' '}
            <span class="hint" safe>{`(its buffer overflowed while the edge was unreachable; last reported ${formatTime(loss.reportedAt)})`}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
