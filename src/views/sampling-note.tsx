/** @jsxRuntime automatic */
/** @jsxImportSource @kitajs/html */
// How the detail on this page was sampled, under the routes table: the counts above are exact
// whatever it says, the detail records and traces below are a sample of them.
import type { InstanceSampling } from '../core/dashboard/data.ts';
import { describeSampling } from '../core/sampler.ts';

/** Instances that sample alike share a line: "detail ≤ 10/s (fair across routes), … — 3 instances". */
export function SamplingNote(props: { sampling: InstanceSampling[] }): JSX.Element {
  if (props.sampling.length === 0) return '';
  const byPolicy = new Map<string, string[]>();
  for (const { instance, policy } of props.sampling) {
    const line = describeSampling(policy);
    byPolicy.set(line, [...(byPolicy.get(line) ?? []), instance]);
  }
  return (
    <section class="panel sampling" aria-label="How detail was sampled">
      <p class="hint">Request counts and percentiles are exact; detail records and traces are sampled, per instance:</p>
      <ul>
        {[...byPolicy].map(([line, instances]) => (
          <li safe>{`${line} — ${instances.length === 1 ? instances[0] : `${instances.length} instances`}`}</li>
        ))}
      </ul>
    </section>
  );
}
