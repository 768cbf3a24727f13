// Reads the BUN_APM_* environment variables into a partial BunApmConfig, refusing bad values with
// an error that names the variable (the preload turns it into one line on stderr). Which variables,
// their kinds and bounds are the settings table's (src/core/config/settings.ts).
import type { BunApmConfig } from '../../core/config.ts';
import { settingFromText } from '../../core/config/read-setting.ts';
import type { Setting } from '../../core/config/setting.ts';
import { PRELOAD } from '../../core/config/preload-settings.ts';

export { ConfigError } from '../../core/config/config-error.ts';

export type Env = Record<string, string | undefined>;

/** Whether monitoring is switched off by the environment, read before anything else is loaded. */
export function disabledByEnv(env: Env): boolean {
  return settingFromText(PRELOAD.disabled, env, 'env') === true;
}

/** Only the variables that are set; throws ConfigError on the first bad one. */
export function configFromEnv(env: Env): BunApmConfig {
  const config: Record<string, unknown> = {};
  for (const setting of Object.values(PRELOAD) as Setting[]) {
    // BUN_APM_CONFIG and BUN_APM_INSTANCE are no config keys: their readers take them from the environment.
    if (setting.inFile === false) continue;
    const value = settingFromText(setting, env, 'env');
    if (value !== undefined) config[setting.key] = value;
  }
  return config as BunApmConfig;
}
