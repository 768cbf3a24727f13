// The error of a var or secret that can't be used: the one ConfigError of every host
// (src/core/config), named here so the Worker's modules keep one short import.
export { ConfigError } from '../core/config/config-error.ts';
