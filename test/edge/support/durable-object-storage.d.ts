// The Bun-side typecheck follows the store tests (test/edge/store) into src/edge/store/sql.ts,
// whose durableObjectSql names the Workers global DurableObjectStorage; Workers' types can't be
// loaded beside Bun's. This declares the part of it that sql.ts uses; the Worker's own typecheck
// (src/edge/tsconfig.json) checks sql.ts against the real declaration.
interface DurableObjectStorage {
  readonly sql: {
    exec<T extends import('../../../src/edge/store/sql.ts').Row>(query: string, ...bindings: unknown[]): import('../../../src/edge/store/sql.ts').Cursor<T>;
    readonly databaseSize: number;
  };
  transactionSync<T>(closure: () => T): T;
}
