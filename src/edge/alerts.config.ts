// Alert rules written in code, bundled into the Worker: the place for `customEvaluator` rules,
// which JSON (ALERT_RULES, the API) cannot carry. Rules here apply to every app unless `apps`
// names some. A rule that does not validate stops the Worker's alerting with an error naming it.
//
// @example
// export default defineAlerts({
//   rules: [{
//     id: 'us-west-slow', name: 'US-West latency', metric: 'custom', condition: 'gt', threshold: 0,
//     duration: 300_000, severity: 'warning',
//     customEvaluator: (metrics) => {
//       const west = metrics.filter((m) => m.userAgent?.includes('Region=US-WEST'));
//       return west.length > 0 && west.reduce((sum, m) => sum + m.responseTime, 0) / west.length > 2000;
//     },
//   }],
// });
import { defineAlerts } from './alerting/code-rules.ts';

export default defineAlerts({ rules: [] });
