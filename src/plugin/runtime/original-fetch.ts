// The process's fetch as it was before bun-apm wrapped it: exporters send with this, so that
// shipping telemetry never produces telemetry of its own.
export const originalFetch: typeof fetch = globalThis.fetch.bind(globalThis);
