// Damaged stored data (a chunk that is not JSON, a record that no longer passes the wire checks, a
// record outside its chunk's minute, a rollup row whose sketch does not decode, a log row that is
// not a batch): left out, counted, and everything else still read.
import { describe, expect, test } from 'bun:test';
import { UnreadableRows } from '../../../src/edge/store/unreadable.ts';
import { readCells } from '../../../src/edge/store/rollups.ts';
import { runMaintenance, type RetentionPolicy } from '../../../src/edge/store/maintenance.ts';
import { PendingLog } from '../../../src/edge/store/pending-log.ts';
import { listSamples } from '../../../src/edge/store/samples.ts';
import { getTrace } from '../../../src/edge/store/traces.ts';
import { batchOf, HOUR, MIN, requests, sampleOf, store, T0 } from './fixture.ts';

const DAY = 86_400_000;
const POLICY: RetentionPolicy = {
  tenSecondRetentionMs: 3 * HOUR, minuteRetentionMs: 2 * DAY, hourRetentionMs: 30 * DAY, detailRetentionMs: DAY,
  maxSamples: 10_000, maxSpans: 10_000, maxProfiles: 10_000, maxBatchAgeMs: DAY,
};

type Chunk = { id: number; body: string };
const chunks = (s: ReturnType<typeof store>, table: string) => s.sql.exec<Chunk>(`SELECT id, body FROM ${table} ORDER BY id`).toArray();
const setBody = (s: ReturnType<typeof store>, table: string, id: number, body: unknown) =>
  s.sql.exec(`UPDATE ${table} SET body = ? WHERE id = ?`, typeof body === 'string' ? body : JSON.stringify(body), id);

describe('damaged stored data', () => {
  test('samples: a damaged chunk or record is left out and counted, the rest listed', () => {
    const s = store({ log: false });
    const sent = requests(3, 90, T0, 3 * MIN).map((r) => sampleOf(r));
    for (let i = 0; i < sent.length; i += 30) s.ingest(batchOf([], { samples: sent.slice(i, i + 30), start: T0 }), T0 + 4 * MIN);
    const [a, b, c] = chunks(s, 'sample_chunks');
    // a: not JSON; b: its first record no longer a sample; c: its first record moved an hour on.
    const bRecords = JSON.parse(b!.body) as Array<[string, { timestamp: number }]>;
    const cRecords = JSON.parse(c!.body) as Array<[string, { timestamp: number }]>;
    const lost = new Set([...(JSON.parse(a!.body) as typeof bRecords).map((e) => e[1]), bRecords[0]![1], cRecords[0]![1]]);
    setBody(s, 'sample_chunks', a!.id, '{"not": "an array"');
    setBody(s, 'sample_chunks', b!.id, [[bRecords[0]![0], { timestamp: 'soon' }], ...bRecords.slice(1)]);
    setBody(s, 'sample_chunks', c!.id, [[cRecords[0]![0], { ...cRecords[0]![1], timestamp: cRecords[0]![1].timestamp + HOUR }], ...cRecords.slice(1)]);
    const damagedRows = 3; // chunk a as one row, b's and c's first records

    const page = listSamples(s.sql, { from: T0, to: T0 + 2 * HOUR, limit: 1_000 });
    const expected = sent.filter((x) => ![...lost].some((l) => l.timestamp === x.timestamp && JSON.stringify(l) === JSON.stringify(x)));
    expect(page.items.map((x) => `${x.timestamp} ${x.route} ${x.duration}`).sort()).toEqual(expected.map((x) => `${x.timestamp} ${x.route} ${x.duration}`).sort());
    expect(page.items.length).toBe(sent.length - lost.size);
    expect(page.warnings).toHaveLength(1);
    expect(page.warnings![0]).toStartWith(`${damagedRows} stored rows could not be read`);
  });

  test('spans: a damaged span chunk leaves the trace with the spans still readable, and a warning', () => {
    const s = store({ log: false });
    const traceId = 'ab'.repeat(16);
    const span = (n: number, parent?: string) => ({ traceId, spanId: `${n + 1}`.padStart(16, '0'), ...(parent ? { parentSpanId: parent } : {}), name: `s${n}`,
      kind: 'internal' as const, startTime: T0 + n * MIN + 5, duration: 3, status: 'ok' as const, tags: {}, logs: [] });
    // Three spans in three minutes: three chunks.
    s.ingest(batchOf([], { spans: [span(0), span(1, '1'.padStart(16, '0')), span(2, '1'.padStart(16, '0'))], start: T0 }), T0 + 4 * MIN);
    expect(getTrace(s.sql, traceId)!.spans.map((x) => x.name)).toEqual(['s0', 's1', 's2']);
    const [, middle] = chunks(s, 'span_chunks');
    setBody(s, 'span_chunks', middle!.id, 'garbage');
    const trace = getTrace(s.sql, traceId)!;
    expect(trace.spans.map((x) => x.name)).toEqual(['s0', 's2']);
    expect(trace.warnings![0]).toStartWith('1 stored row could not be read');
  });

  test('rollups: a row whose sketch does not decode is skipped and counted by reads and the roll-up, and replaced by the next cell', () => {
    const s = store({ log: false });
    const first = requests(4, 30, T0, MIN, ['/a']);
    s.ingest(batchOf(first), T0 + MIN);
    const rows = s.sql.exec<{ id: number; method: string }>('SELECT id, method FROM rollup_minute ORDER BY id').toArray();
    const damaged = rows.find((r) => r.method !== '*')!;
    s.sql.exec('UPDATE rollup_minute SET sketch = ? WHERE id = ?', new Uint8Array([255, 1, 2]).buffer, damaged.id);
    const unreadable = new UnreadableRows();
    const cells = readCells(s.sql, 'rollup_minute', T0, T0 + MIN, { kind: 'per-route' }, unreadable);
    expect(cells).toHaveLength(rows.filter((r) => r.method !== '*').length - 1);
    expect(unreadable.count).toBe(1);
    // The roll-up of its hour leaves it out and says so.
    expect(runMaintenance(s, T0 + HOUR + 10 * MIN, POLICY).unreadable).toBe(1);

    // A fresh store: the next cell of the damaged row's key replaces it.
    const t = store({ log: false });
    const one = requests(6, 10, T0, MIN, ['/b']).map((r) => ({ ...r, method: 'GET', status: 200 }));
    t.ingest(batchOf(one), T0 + MIN);
    const row = t.sql.exec<{ id: number }>("SELECT id FROM rollup_minute WHERE method = 'GET'").one();
    t.sql.exec('UPDATE rollup_minute SET sketch = ? WHERE id = ?', new Uint8Array([1]).buffer, row.id);
    const again = requests(7, 12, T0, MIN, ['/b']).map((r) => ({ ...r, method: 'GET', status: 200 }));
    expect(t.ingest(batchOf(again), T0 + 2 * MIN)).toMatchObject({ status: 'accepted', replacedUnreadableRows: 1 });
    expect(t.sql.exec<{ count: number }>("SELECT count FROM rollup_minute WHERE method = 'GET'").one().count).toBe(again.length);
  });

  test('pending log: a damaged row is counted on recovery, the other batches come back', () => {
    const s = store();
    for (let i = 0; i < 4; i++) s.ingest(batchOf(requests(50 + i, 5, T0, MIN)), T0 + MIN);
    const slots = s.sql.exec<{ slot: number }>('SELECT slot FROM pending_batches ORDER BY seq').toArray();
    s.sql.exec('UPDATE pending_batches SET body = ? WHERE slot = ?', '{"receivedAt": 1, "instance": "x", "batch": {}}', slots[1]!.slot);
    s.sql.exec('UPDATE pending_batches SET body = ? WHERE slot = ?', 'not json', slots[2]!.slot);
    expect(new PendingLog(s.sql).recover()).toEqual({ batches: 2, unreadable: 2 });
  });
});
