/**
 * The PostgreSQL sink against a real, throw-away PostgreSQL (initdb + pg_ctl in a temp dir on a
 * free loopback port): records published on a RecordBus, as the capture side publishes them, and
 * the database's own rows as the oracle. The server is stopped and started again mid-push, a
 * COMMIT's reply is withheld by a proxy, the queue overflows, the password is wrong, the server
 * kills the idle connection, a partition vanishes behind the writer's back.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfigText } from '../../src/config/load';
import type { Logger } from '../../src/log';
import { PostgresSink } from '../../src/sinks/postgres/postgres-sink';
import { partitionName, dayOf } from '../../src/sinks/postgres/partitions';
import { flowMigrations } from '../../src/sinks/postgres/schema-sql';
import { RecordBus } from '../../src/sinks/record-bus';
import { flowBatch, manyRecords } from '../support/flow-batches';
import type { TestRecord } from '../support/flow-batches';
import { startPgProxy } from '../support/pg-proxy';
import { postgresSkipReason, startPostgres } from '../support/postgres';
import type { PgServer } from '../support/postgres';

const skip = postgresSkipReason();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NOW = Math.floor(Date.now() / 1000);

async function until(pred: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

interface LogLine {
  level: string;
  obj: Record<string, unknown>;
  msg: string;
}

function captureLog(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

interface Harness {
  sink: PostgresSink;
  bus: RecordBus;
  log: ReturnType<typeof captureLog>;
  publish(recs: readonly TestRecord[]): void;
}

let tables = 0;

describe('PostgreSQL sink (real PostgreSQL)', { skip, timeout: 180_000 }, () => {
  let pg: PgServer;

  before(async () => {
    pg = await startPostgres();
  });
  after(() => pg?.destroy());

  const table = (): string => `t${++tables}_flows`;

  function harness(tableName: string, extra = '', opts: { url?: string; passwordFile?: string } = {}): Harness {
    const yaml = `flows:\n  labels: [src_ip, dst_ip, proto, src_port, dst_port]\nsinks:\n  postgres:\n    url: ${opts.url ?? pg.url}\n    password_file: ${opts.passwordFile ?? pg.passwordFile}\n    table: ${tableName}\n    host: node-a\n    flush_interval: 50ms\n${extra}`;
    const config = parseConfigText(yaml, 'test.yaml');
    const bus = new RecordBus({ setFlowRecordsWanted() {}, subscribePackets() {}, unsubscribePackets() {} });
    const log = captureLog();
    const sink = new PostgresSink({ config: config.sinks.postgres!, flows: config.flows, interfaceName: (i) => ['eth0', 'eth1'][i] ?? `if${i}`, log, replay: false });
    sink.attach(bus);
    return { sink, bus, log, publish: (recs) => bus.publishFlows(flowBatch(recs)) };
  }

  const count = async (t: string): Promise<number> => Number((await pg.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`))[0]!.n);

  /** Every published record is stored exactly once: rows = records, keys unique, counts equal. */
  async function assertExactlyOnce(t: string, recs: readonly TestRecord[]): Promise<void> {
    const rows = await pg.query<{ k: string; packets: string; bytes: string; n: string }>(
      `SELECT host(src_ip) || ' ' || src_port AS k, sum(packets) AS packets, sum(bytes) AS bytes, count(*) AS n FROM ${t} GROUP BY 1`,
    );
    const got = new Map(rows.map((r) => [r.k, r]));
    assert.equal(await count(t), recs.length, 'rows = records published');
    for (const r of recs) {
      const g = got.get(`${r.src} ${r.sport}`);
      assert.ok(g !== undefined, `record ${r.src} ${r.sport} stored`);
      assert.equal(Number(g.n), 1, `record ${r.src} ${r.sport} stored once`);
      assert.equal(Number(g.packets), r.packets);
      assert.equal(Number(g.bytes), r.bytes);
    }
  }

  it('stores every column as the record holds it (IPv4, IPv6, counters above 2^32, microseconds, interfaces, end reasons, TCP analysis)', async () => {
    const t = table();
    const h = harness(t);
    const recs: TestRecord[] = [
      { src: '192.0.2.10', dst: '198.51.100.7', proto: 6, sport: 40000, dport: 443, packets: 5_000_000_001, bytes: 2 ** 40 + 12345, first: NOW - 3.123456, last: NOW - 0.000001, reason: 'idle', iface: 0, tcpFlags: 0x1b, tcpHandshakeRtt: 0.012345678, tcpRetransmissions: 7 },
      { src: '2001:db8::1', dst: 'fe80::1:2:3:4', proto: 17, sport: 5353, dport: 5353, packets: 1, bytes: 60, first: NOW + 0.5, last: NOW + 0.5, reason: 'active', iface: 1 },
      { src: '10.0.0.1', dst: '10.0.0.2', proto: 1, sport: 0, dport: 0, packets: 2, bytes: 196, first: NOW, last: NOW + 1, reason: 'capacity', iface: 1 },
      { src: '255.255.255.255', dst: '0.0.0.0', proto: 132, sport: 65535, dport: 1, packets: 3, bytes: 300, first: NOW, last: NOW, reason: 'end', iface: 0 },
    ];
    h.publish(recs);
    await h.sink.close();
    const rows = await pg.query<Record<string, string | number | null>>(
      `SELECT (extract(epoch FROM first_seen) * 1000000)::bigint AS first_us, (extract(epoch FROM last_seen) * 1000000)::bigint AS last_us,
              host, interface, host(src_ip) AS src, masklen(src_ip) AS src_bits, host(dst_ip) AS dst, proto, src_port, dst_port, packets, bytes, tcp_flags, end_reason,
              tcp_handshake_rtt, tcp_retransmissions
       FROM ${t} ORDER BY src_port DESC`,
    );
    assert.equal(rows.length, recs.length);
    const want = [...recs].sort((a, b) => b.sport - a.sport);
    rows.forEach((r, i) => {
      const w = want[i]!;
      assert.equal(Number(r['first_us']), Math.round(w.first * 1e6));
      assert.equal(Number(r['last_us']), Math.round(w.last * 1e6));
      assert.equal(r['host'], 'node-a');
      assert.equal(r['interface'], ['eth0', 'eth1'][w.iface]);
      assert.equal(r['src'], w.src);
      assert.equal(r['src_bits'], w.src.includes(':') ? 128 : 32);
      assert.equal(r['dst'], w.dst);
      assert.equal(r['proto'], w.proto);
      assert.equal(r['src_port'], w.sport);
      assert.equal(r['dst_port'], w.dport);
      assert.equal(r['packets'], String(w.packets));
      assert.equal(r['bytes'], String(w.bytes));
      assert.equal(r['tcp_flags'], w.tcpFlags ?? 0);
      assert.equal(r['end_reason'], w.reason);
      assert.equal(r['tcp_handshake_rtt'], w.tcpHandshakeRtt ?? null);
      assert.equal(r['tcp_retransmissions'], w.tcpRetransmissions ?? 0);
    });
    assert.equal(h.sink.flowStats.written, recs.length);
    assert.equal(h.sink.flowStats.dropped, 0);
  });

  it('stores what the label configuration aggregated away as NULL, and aggregated addresses as their prefix', async () => {
    const t = table();
    const yaml = `flows:\n  labels: [src_ip, dst_ip]\n  aggregate:\n    src_ip: {ipv4: 24, ipv6: 48}\nsinks:\n  postgres:\n    url: ${pg.url}\n    password_file: ${pg.passwordFile}\n    table: ${t}\n`;
    const config = parseConfigText(yaml, 'test.yaml');
    const bus = new RecordBus({ setFlowRecordsWanted() {}, subscribePackets() {}, unsubscribePackets() {} });
    const sink = new PostgresSink({ config: config.sinks.postgres!, flows: config.flows, interfaceName: () => 'eth0', log: captureLog(), replay: false });
    sink.attach(bus);
    // As the flow table keys them: masked source, no proto or ports.
    bus.publishFlows(flowBatch([
      { src: '10.1.2.0', dst: '10.9.9.9', proto: 0, sport: 0, dport: 0, packets: 7, bytes: 700, first: NOW, last: NOW, reason: 'idle', iface: 0 },
      { src: '2001:db8:1::', dst: '2001:db8::2', proto: 0, sport: 0, dport: 0, packets: 1, bytes: 90, first: NOW, last: NOW, reason: 'idle', iface: 0 },
    ]));
    await sink.close();
    const rows = await pg.query<Record<string, unknown>>(`SELECT abbrev(src_ip) AS src, abbrev(dst_ip) AS dst, proto, src_port, dst_port, host FROM ${t} ORDER BY packets DESC`);
    assert.deepEqual(rows.map((r) => [r['src'], r['dst'], r['proto'], r['src_port'], r['dst_port']]), [
      ['10.1.2.0/24', '10.9.9.9', null, null, null],
      ['2001:db8:1::/48', '2001:db8::2', null, null, null],
    ]);
  });

  it('loses nothing and doubles nothing when PostgreSQL stops mid-push and starts again', async () => {
    const t = table();
    const h = harness(t, '    batch_size: 500\n');
    await until(() => h.sink.flowStats.up, 10_000, 'connected');
    const all: TestRecord[] = [];
    const push = (k: number): void => {
      const recs = manyRecords(k * 1000, 1000, NOW);
      all.push(...recs);
      h.publish(recs);
    };
    for (let k = 0; k < 5; k++) push(k);
    await until(() => h.sink.flowStats.written >= 2000, 10_000, 'some batches written');
    pg.stop();
    for (let k = 5; k < 15; k++) {
      push(k);
      await sleep(100);
    }
    await until(() => !h.sink.flowStats.up, 10_000, 'down noticed');
    pg.start();
    for (let k = 15; k < 20; k++) push(k);
    await h.sink.close();
    assert.equal(h.sink.flowStats.written, 20_000);
    assert.equal(h.sink.flowStats.dropped, 0);
    assert.ok(h.sink.flowStats.batchesFailed >= 1, 'some attempt failed while the server was down');
    await assertExactlyOnce(t, all);
    // One line per state change, not one per retry.
    assert.equal(h.log.lines.filter((l) => l.msg.includes('database unavailable')).length, 1);
    assert.equal(h.log.lines.filter((l) => l.msg.includes('connected')).length, 2);
  });

  it('does not write a batch twice when the connection dies after its COMMIT was executed', async () => {
    const t = table();
    const proxy = await startPgProxy(pg.port);
    try {
      const h = harness(t, '', { url: `postgres://netmon@127.0.0.1:${proxy.port}/netmon` });
      // A first batch creates today's partition (its own transaction, with its own COMMIT).
      h.publish(manyRecords(0, 1, NOW));
      await until(() => h.sink.flowStats.written === 1, 10_000, 'the first batch');
      proxy.armCommitCut();
      const recs = manyRecords(1, 3000, NOW);
      h.publish(recs);
      await until(() => h.sink.flowStats.written === 3001, 20_000, 'the batch written');
      await h.sink.close();
      assert.equal(proxy.commitsCut, 1, 'one COMMIT reply was withheld');
      assert.equal(h.sink.flowStats.batchesFailed, 1, 'the writer saw its COMMIT fail');
      assert.equal(h.sink.flowStats.batchesDuplicate, 1, 'the retry found the batch already committed');
      await assertExactlyOnce(t, manyRecords(0, 3001, NOW));
    } finally {
      await proxy.close();
    }
  });

  it('counts what exceeds max_queue while PostgreSQL is down: written + dropped = produced, exactly', async () => {
    const t = table();
    const h = harness(t, '    batch_size: 500\n    max_queue: 3000\n');
    await until(() => h.sink.flowStats.up, 10_000, 'connected');
    pg.stop();
    try {
      await until(() => !h.sink.flowStats.up, 10_000, 'down noticed');
      for (let k = 0; k < 10; k++) h.publish(manyRecords(k * 1000, 1000, NOW));
      assert.equal(h.sink.flowStats.dropped, 7000);
      assert.equal(h.sink.flowStats.queued, 3000);
      assert.equal(h.log.lines.filter((l) => l.msg.includes('dropping records')).length, 1, 'dropping is logged once');
    } finally {
      pg.start();
    }
    await h.sink.close();
    assert.equal(h.sink.flowStats.written, 3000);
    assert.equal(h.sink.flowStats.written + h.sink.flowStats.dropped, 10_000);
    assert.equal(await count(t), 3000);
    // The oldest 3000 were kept (tail drop): records 0..2999.
    await assertExactlyOnce(t, manyRecords(0, 3000, NOW));
  });

  it('starts with PostgreSQL absent, queues, and writes once it comes', async () => {
    const t = table();
    const later = await startPostgres();
    try {
      later.stop();
      const h = harness(t, '', { url: later.url, passwordFile: later.passwordFile });
      const recs = manyRecords(0, 1500, NOW);
      h.publish(recs);
      await sleep(1500);
      assert.equal(h.sink.flowStats.up, false);
      assert.equal(h.sink.flowStats.queued, 1500);
      later.start();
      await until(() => h.sink.flowStats.written === 1500, 20_000, 'written after the server came');
      await h.sink.close();
      const n = Number((await later.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`))[0]!.n);
      assert.equal(n, 1500);
    } finally {
      later.destroy();
    }
  });

  it('with a wrong password: runs, logs once, reports down, and a bounded shutdown counts what it could not write', async () => {
    const t = table();
    const bad = join(pg.dir, 'wrong-password');
    writeFileSync(bad, 'not-the-password\n');
    const h = harness(t, '', { passwordFile: bad });
    h.publish(manyRecords(0, 100, NOW));
    await until(() => h.sink.flowStats.batchesFailed >= 3, 20_000, 'three failed attempts');
    assert.equal(h.sink.flowStats.up, false);
    const warns = h.log.lines.filter((l) => l.msg.includes('database unavailable'));
    assert.equal(warns.length, 1);
    assert.equal(warns[0]!.obj['code'], '28P01', 'invalid_password');
    assert.ok(!JSON.stringify(h.log.lines).includes(pg.password) && !JSON.stringify(h.log.lines).includes('not-the-password'), 'no password in the logs');
    const started = Date.now();
    await h.sink.close(300);
    assert.ok(Date.now() - started < 6000, 'shutdown is bounded');
    assert.equal(h.sink.flowStats.dropped, 100);
    assert.equal(h.sink.flowStats.written, 0);
  });

  it('survives the server terminating its idle connection, and writes the next batch on a new one', async () => {
    const t = table();
    const h = harness(t);
    h.publish(manyRecords(0, 10, NOW));
    await until(() => h.sink.flowStats.written === 10, 10_000, 'first batch');
    const killed = await pg.query<{ ok: boolean }>(`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'netmon' AND pid <> pg_backend_pid()`);
    assert.ok(killed.length >= 1 && killed.every((r) => r.ok));
    await until(() => !h.sink.flowStats.up || h.log.lines.some((l) => l.msg.includes('unavailable')), 10_000, 'the error seen');
    h.publish(manyRecords(10, 10, NOW));
    await until(() => h.sink.flowStats.written === 20, 10_000, 'second batch');
    await h.sink.close();
    await assertExactlyOnce(t, manyRecords(0, 20, NOW));
  });

  it('destroys the connection of a failed COPY and retries the batch (a partition dropped behind its back)', async () => {
    const t = table();
    const h = harness(t);
    h.publish(manyRecords(0, 10, NOW));
    await until(() => h.sink.flowStats.written === 10, 10_000, 'first batch');
    const pidsBefore = await pg.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = 'netmon'`);
    await pg.query(`DROP TABLE ${partitionName(t, dayOf(NOW + 0.5))}`);
    h.publish(manyRecords(10, 10, NOW));
    await until(() => h.sink.flowStats.written === 20, 10_000, 'the batch written after the failure');
    assert.ok(h.sink.flowStats.batchesFailed >= 1, 'the COPY failed');
    const pidsAfter = await pg.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = 'netmon'`);
    assert.ok(pidsAfter.every((a) => !pidsBefore.some((b) => b.pid === a.pid)), 'the failed connection was not reused');
    await h.sink.close();
    await assertExactlyOnce(t, manyRecords(10, 10, NOW));
  });

  it('retention drops whole partitions older than retention (no DELETE), keeps the rest', async () => {
    const t = table();
    const day = 86_400;
    const at = (daysAgo: number): TestRecord[] => manyRecords(daysAgo * 1000, 5, NOW - daysAgo * day);
    const first = harness(t, '    retention: 0\n');
    for (const d of [10, 8, 1, 0]) first.publish(at(d));
    await first.sink.close();
    const partitions = async (): Promise<string[]> =>
      (await pg.query<{ n: string }>(`SELECT c.relname AS n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = '${t}'::regclass ORDER BY 1`)).map((r) => r.n);
    assert.equal((await partitions()).length, 4);
    const second = harness(t, '    retention: 7d\n');
    await until(() => second.sink.flowStats.up, 10_000, 'connected');
    await until(async () => (await partitions()).length === 2, 10_000, 'expired partitions dropped');
    await second.sink.close();
    assert.deepEqual(await partitions(), [partitionName(t, dayOf(NOW - day + 0.5)), partitionName(t, dayOf(NOW + 0.5))].sort());
    assert.equal(await count(t), 10);
    assert.ok(second.log.lines.some((l) => l.msg.includes('retention dropped partitions')));
  });

  it('drops and counts rows it cannot store (timestamp out of range, text the database refuses) instead of retrying them forever', async () => {
    const t = table();
    const config = parseConfigText(`sinks:\n  postgres:\n    url: ${pg.url}\n    password_file: ${pg.passwordFile}\n    table: ${t}\n    flush_interval: 50ms\n`, 'test.yaml');
    const bus = new RecordBus({ setFlowRecordsWanted() {}, subscribePackets() {}, unsubscribePackets() {} });
    const log = captureLog();
    // Interface 7's name holds a NUL byte, which PostgreSQL's text refuses (SQLSTATE 22021).
    const sink = new PostgresSink({ config: config.sinks.postgres!, flows: config.flows, interfaceName: (i) => (i === 7 ? 'bad\u0000name' : 'eth0'), log, replay: false });
    sink.attach(bus);
    const good = manyRecords(0, 10, NOW);
    bus.publishFlows(flowBatch([...good.slice(0, 5), { ...good[5]!, last: 1e13 }]));
    await until(() => sink.flowStats.written === 5, 10_000, 'the storable rows');
    bus.publishFlows(flowBatch(manyRecords(100, 3, NOW).map((r) => ({ ...r, iface: 7 }))));
    await until(() => sink.flowStats.dropped === 4, 10_000, 'the refused batch dropped');
    bus.publishFlows(flowBatch(good.slice(6)));
    await sink.close();
    assert.equal(sink.flowStats.written, 9);
    assert.equal(sink.flowStats.dropped, 4);
    assert.ok(log.lines.some((l) => l.msg.includes('batch refused by the database') && l.obj['code'] === '22021'));
    assert.ok(!log.lines.some((l) => l.msg.includes('database unavailable')), 'the database was never down');
    await assertExactlyOnce(t, [...good.slice(0, 5), ...good.slice(6)]);
  });

  it('runs the migrations once: a second start on an existing schema changes nothing', async () => {
    const t = table();
    const a = harness(t);
    a.publish(manyRecords(0, 5, NOW));
    await a.sink.close();
    const versions = async () => pg.query<{ version: number; applied_at: Date }>(`SELECT version, applied_at FROM netmon_schema_version WHERE object = $1 ORDER BY version`, [t]);
    const before = await versions();
    assert.deepEqual(before.map((v) => v.version), [1, 2]);
    assert.ok(a.log.lines.some((l) => l.msg.includes('schema migrated')));
    const b = harness(t);
    b.publish(manyRecords(5, 5, NOW));
    await b.sink.close();
    assert.deepEqual(await versions(), before);
    assert.ok(!b.log.lines.some((l) => l.msg.includes('schema migrated')), 'nothing to migrate the second time');
    assert.equal(await count(t), 10);
  });

  it('a flows table made by schema version 1 gains the TCP analysis columns; its rows keep NULL there', async () => {
    const t = table();
    const v1 = flowMigrations(t)[0]!;
    for (const sql of v1.statements) await pg.query(sql);
    await pg.query(`CREATE TABLE IF NOT EXISTS netmon_schema_version (object text NOT NULL, version integer NOT NULL, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (object, version))`);
    await pg.query(`INSERT INTO netmon_schema_version (object, version, description) VALUES ($1, 1, $2)`, [t, v1.description]);
    await pg.query(`CREATE TABLE ${t}_old PARTITION OF ${t} FOR VALUES FROM ('2000-01-01') TO ('2000-01-02')`);
    await pg.query(`INSERT INTO ${t} VALUES ('2000-01-01 10:00Z', '2000-01-01 10:01Z', 'old', 'eth0', '10.0.0.1', '10.0.0.2', 6, 1, 2, 3, 4, 2, 'idle')`);
    const h = harness(t);
    h.publish([{ src: '192.0.2.1', dst: '192.0.2.2', proto: 6, sport: 5, dport: 6, packets: 1, bytes: 60, first: NOW, last: NOW, reason: 'end', iface: 0, tcpHandshakeRtt: 0.5, tcpRetransmissions: 2 }]);
    await h.sink.close();
    const rows = await pg.query<{ host: string; tcp_handshake_rtt: number | null; tcp_retransmissions: number | null }>(`SELECT host, tcp_handshake_rtt, tcp_retransmissions FROM ${t} ORDER BY host`);
    assert.deepEqual(rows.map((r) => [r.host, r.tcp_handshake_rtt, r.tcp_retransmissions]), [['node-a', 0.5, 2], ['old', null, null]]);
    const versions = await pg.query<{ version: number }>(`SELECT version FROM netmon_schema_version WHERE object = $1 ORDER BY version`, [t]);
    assert.deepEqual(versions.map((v) => v.version), [1, 2]);
  });
});
