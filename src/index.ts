// The package root: configuration helpers and the types of the data bun-apm records.
export { defineConfig, type BunApmConfig } from './core/config.ts';
export { ConfigError } from './core/config/config-error.ts';
export type { Batch, DetailSample, Identity, RollupCell, Span, SpanLog, SystemProfile, StatusClass } from './core/wire-format.ts';
export { QuantileSketch } from './core/sketch.ts';
export { validateBatch, formatProblem, type BatchProblem } from './core/validate-batch.ts';
