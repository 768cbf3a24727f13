// The one error of a setting that can't be used, for every host: the preload's environment and
// config file, the middleware's options and the Worker's vars. Its message names the setting, where
// the value came from and what is accepted (see read-setting.ts), never a secret's value.

/** A setting that can't be used; the message names it, its source and the accepted values. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
