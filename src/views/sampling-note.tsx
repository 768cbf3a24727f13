/** @jsxRuntime automatic */
/** @jsxImportSource @kitajs/html */
// How the detail on this page was sampled, under the routes table: the counts above are exact
// whatever it says, the detail records and traces below are a sample of them.
import type { InstanceSampling } from '../core/dashboard/data.ts';
import { describeSampling } from '../core/sampler.ts';
import { visibleName } from '../core/invisible-text.ts';

/**
 * Instances that sample alike share a line: "detail ≤ 10/s (fair across routes), … — 3 instances",
 * with the callers' sampled traces they passed on unsampled (those traces lack this app's spans).
 */
export function SamplingNote(props: { sampling: InstanceSampling[] }): JSX.Element {
  if (props.sampling.length === 0) return '';
  const byPolicy = new Map<string, { instances: string[]; refused: number }>();
  for (const { instance, policy, parentTracesRefused } of props.sampling) {
    const line = describeSampling(policy);
    const group = byPolicy.get(line) ?? { instances: [], refused: 0 };
    group.instances.push(instance);
    group.refused += parentTracesRefused ?? 0;
    byPolicy.set(line, group);
  }
  return (
    <section class="panel sampling" aria-label="How detail was sampled">
      <p class="hint">Request counts are exact and percentiles within 1 %, from every request; detail records and traces are sampled, per instance:</p>
      <ul>
        {[...byPolicy].map(([line, { instances, refused }]) => (
          <li safe>{`${line} — ${instances.length === 1 ? visibleName(instances[0]!) : `${instances.length} instances`}${refused > 0 ? `; ${refused.toLocaleString('en-US')} callers' sampled traces passed on unsampled (past the cap) since first seen` : ''}`}</li>
        ))}
      </ul>
    </section>
  );
}
