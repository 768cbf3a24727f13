// The route normaliser's rules written the obvious way (cut at `?` or `#`, a leading `/`, the
// first 16 segments each through every rule, `*` for the rest): the definition its by-hand scan
// is tested against (test/core/route-normaliser) and timed against (bench/normaliser).
import { bySegmentRules } from '../../src/core/route-normaliser.ts';

export function normaliseBySplit(raw: string): string {
  const path = `/${raw.split(/[?#]/)[0]!.replace(/^\//, '')}`;
  const segments = path.split('/').slice(1);
  const out = segments.slice(0, 16).map(bySegmentRules);
  if (segments.length > 16) out.push('*');
  return `/${out.join('/')}`;
}
