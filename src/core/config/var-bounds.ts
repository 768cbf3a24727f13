// Bounds between the Worker's vars, which no one var's range can say. The edge checks its vars
// with them (src/edge/settings.ts), and `edge init --force` the vars it is about to write
// (src/plugin/cli/wrangler-vars.ts), so both hold the same rules.
import { ConfigError } from './config-error.ts';
import { settingFromVar } from './read-setting.ts';
import { WORKER } from './settings.ts';

/** Throws a ConfigError naming the first bound `vars` break (each var read as the edge reads it). */
export function checkVarBounds(vars: object): void {
  const read = (setting: typeof WORKER.maxBodyBytes) => settingFromVar(setting, vars);
  if (read(WORKER.maxDecompressedBytes) < read(WORKER.maxBodyBytes)) {
    throw new ConfigError('maxDecompressedBytes (var MAX_DECOMPRESSED_BYTES): expected at least MAX_BODY_BYTES');
  }
  if (read(WORKER.tenSecondRetentionHours) > read(WORKER.minuteRetentionHours)) {
    throw new ConfigError('tenSecondRetentionHours (var TEN_SECOND_RETENTION_HOURS): expected no longer than MINUTE_RETENTION_HOURS');
  }
  if (read(WORKER.minuteRetentionHours) > read(WORKER.hourRetentionDays) * 24) {
    throw new ConfigError('minuteRetentionHours (var MINUTE_RETENTION_HOURS): expected no longer than HOUR_RETENTION_DAYS');
  }
}
