/**
 * `netmon run` with the PostgreSQL sink, live on a veth in a test-made namespace (root only), a
 * throw-away PostgreSQL on loopback. tcpreplay sends generated frames at their own pace from inside
 * the namespace while the test stops and starts the database.
 *
 * Oracles: the frames the test built (per-flow packets and bytes, TCP sequence numbers) and
 * tcpdump on the capture sent (which packets the packet filter selects); the database's own rows
 * are what is checked, after netmon has exited on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ethIpv4Udp } from '../support/frames';
import { buildFlowCapture, tallyFrames } from '../support/flow-capture';
import type { BuiltFrame } from '../support/flow-capture';
import { freePort } from '../support/free-port';
import { parseExposition, startNetmon } from '../support/netmon-cli';
import { createVethNs, liveSkipReason } from '../support/netns';
import type { VethNs } from '../support/netns';
import { LINKTYPE_ETHERNET, writePcap } from '../support/pcap-writer';
import { postgresSkipReason, startPostgres } from '../support/postgres';
import type { PgServer } from '../support/postgres';
import { tcpdumpMatch } from '../support/tcpdump';

const skip = liveSkipReason() ?? postgresSkipReason() ?? (spawnSync('tcpreplay', ['--version']).status === 0 ? undefined : 'tcpreplay is not installed');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FILTER = 'tcp[tcpflags] & (tcp-syn|tcp-fin|tcp-rst) != 0';

async function until(pred: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

describe('netmon run with the PostgreSQL sink, live on a veth (real PostgreSQL)', { skip, timeout: 180_000 }, () => {
  let v: VethNs;
  let pg: PgServer;
  let dir: string;
  const children: ReturnType<typeof startNetmon>[] = [];

  before(async () => {
    v = createVethNs();
    pg = await startPostgres();
    dir = mkdtempSync(join(tmpdir(), 'nmt-pg-live-'));
  });
  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    v?.destroy();
    pg?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** Starts netmon run on the veth with `sink` (YAML lines under sinks.postgres) and flow timeouts. */
  async function startRun(name: string, sink: string, flows: string) {
    const config = join(dir, `${name}.yaml`);
    writeFileSync(config, `flows:\n${flows}sinks:\n  postgres:\n    url: ${pg.url}\n    password_file: ${pg.passwordFile}\n    flush_interval: 200ms\n${sink}`);
    const port = await freePort();
    const netmon = startNetmon(['run', '--config', config, '--interface', v.host, '--listen', `127.0.0.1:${port}`, '--log-level', 'info']);
    children.push(netmon);
    const metrics = async (): Promise<Map<string, number>> => {
      const r = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
      return parseExposition(await r.text());
    };
    await until(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 20_000, 'capture ready');
    const stop = async (): Promise<void> => {
      netmon.kill('SIGTERM');
      const [code] = (await once(netmon, 'exit')) as [number | null];
      assert.equal(code, 0, netmon.output.stderr);
    };
    return { netmon, metrics, stop };
  }

  /** Sends the frames from inside the namespace at their own timestamps' pace; resolves when tcpreplay is done. */
  function push(name: string, frames: readonly BuiltFrame[], topspeed = false): { file: string; done: Promise<void> } {
    const file = join(dir, `${name}.pcap`);
    writePcap(file, frames.map((f) => ({ data: f.data, ts: f.ts })), { linkType: LINKTYPE_ETHERNET });
    const p = spawn('ip', ['netns', 'exec', v.ns, 'tcpreplay', '-q', '-K', '-i', v.peer, ...(topspeed ? ['--topspeed'] : []), file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const done = once(p, 'exit').then(([code]) => assert.equal(code, 0, `tcpreplay: ${err}`));
    return { file, done };
  }

  const packetsSeen = (m: Map<string, number>): number => m.get(`netmon_packets_total{interface="${v.host}"}`) ?? 0;

  it('PostgreSQL stopped for 8 s mid-push: after SIGTERM the stored packets equal the packets sent, exactly once', async () => {
    const run = await startRun('outage', `    batch_size: 500\n    packets:\n      filter: "${FILTER}"\n      max_rate: 100000\n`, '  idle_timeout: 6\n  active_timeout: 5\n');
    await until(async () => (await run.metrics()).get('netmon_sink_up{sink="postgres"}') === 1, 10_000, 'sink up');
    const t0 = Math.floor(Date.now() / 1000);
    // 2400 short flows starting over 14 s (each ends idle 6 s after its last packet, so records
    // are produced during the outage), plus 3 flows sending every 50 ms for 16 s (cut every 5 s by
    // the active timeout, and still active at SIGTERM: the idle timeout leaves 6 s between the last
    // frame and SIGTERM, which a loaded machine needs, and a long flow gone idle would end "idle").
    const frames = buildFlowCapture({ seed: 12, t0, flows: 2400, portBase: 20_000, maxPackets: 10, maxGap: 0.3, spread: 14 });
    for (let k = 0; k < 3; k++) {
      for (let i = 0; i < 320; i++) frames.push({ data: ethIpv4Udp({ src: '10.78.0.1', dst: '198.19.9.2', sport: 9000 + k, dport: 5000 }, Buffer.alloc(40 + k)), ts: t0 + i * 0.05, key: `10.78.0.1 198.19.9.2 17 ${9000 + k} 5000` });
    }
    frames.sort((a, b) => a.ts - b.ts);
    const sent = push('outage', frames);
    await sleep(3000);
    pg.stop();
    const stoppedAt = Date.now();
    await until(async () => (await run.metrics()).get('netmon_sink_up{sink="postgres"}') === 0, 5000, 'sink down');
    await sleep(8000 - (Date.now() - stoppedAt));
    const during = await run.metrics();
    pg.start();
    assert.ok((during.get('netmon_sink_queue_records{sink="postgres"}') ?? 0) > 0, 'records waited in the queue during the outage');
    await sent.done;
    await until(async () => packetsSeen(await run.metrics()) >= frames.length, 10_000, 'every frame captured');
    const m = await run.metrics();
    assert.equal(packetsSeen(m), frames.length, 'the veth carried exactly the frames sent');
    assert.ok((m.get('netmon_sink_batches_total{sink="postgres",result="failed"}') ?? 0) >= 1, 'writes failed during the outage');
    await run.stop();

    const rows = await pg.query<{ k: string; p: string; b: string; n: string; ends: string }>(
      `SELECT host(src_ip) || ' ' || host(dst_ip) || ' ' || proto || ' ' || src_port || ' ' || dst_port AS k, sum(packets) AS p, sum(bytes) AS b, count(*) AS n,
              count(*) FILTER (WHERE end_reason = 'end') AS ends
       FROM netmon_flows GROUP BY 1`,
    );
    const want = tallyFrames(frames);
    assert.equal(rows.reduce((n, r) => n + Number(r.p), 0), frames.length, 'stored packets = packets sent');
    assert.equal(rows.length, want.size);
    for (const r of rows) {
      const w = want.get(r.k);
      assert.ok(w !== undefined, `flow ${r.k} was sent`);
      assert.deepEqual([Number(r.p), Number(r.b)], [w.packets, w.bytes], r.k);
      if (r.k.startsWith('10.78.0.1 ')) {
        assert.ok(Number(r.n) >= 3, `long flow ${r.k} cut by the active timeout (${r.n} records)`);
        assert.ok(Number(r.ends) <= 1, `long flow ${r.k}: at most one record ended by SIGTERM`);
      }
      // How many records a flow has depends on timing (a loaded machine can stretch a flow past a
      // timeout); that none is lost or doubled is what the exact sums above prove.
    }
    // The flows still active at SIGTERM were written too (end_reason "end").
    assert.ok(rows.some((r) => Number(r.ends) > 0), 'records of active flows written at SIGTERM');
    // Packet metadata: exactly what tcpdump selects with the same filter, each packet once.
    const selected = tcpdumpMatch(sent.file, FILTER);
    const pk = await pg.query<{ n: string; bytes: string; seqs: string }>(`SELECT count(*) AS n, sum(length) AS bytes, count(DISTINCT seq) AS seqs FROM netmon_packets`);
    assert.equal(Number(pk[0]!.n), selected.packets);
    assert.equal(Number(pk[0]!.bytes), selected.bytes);
    assert.equal(Number(pk[0]!.seqs), selected.packets, 'no packet row twice');
    const failed = m.get('netmon_sink_batches_total{sink="postgres",result="failed"}');
    process.stdout.write(`# outage of 8 s: sent ${frames.length} frames in ${want.size} flows; stored ${rows.reduce((n, r) => n + Number(r.p), 0)} packets in ${rows.reduce((n, r) => n + Number(r.n), 0)} rows; ${Number(pk[0]!.n)} packet rows (tcpdump: ${selected.packets}); ${failed} failed batch attempts, queue ${during.get('netmon_sink_queue_records{sink="postgres"}')} rows during the outage\n`);
  });

  it('PostgreSQL absent at start-up: netmon runs and writes once it comes; down longer than max_queue holds: written + dropped = produced, exactly', async () => {
    pg.stop();
    const run = await startRun('absent', '    table: small_flows\n    batch_size: 200\n    max_queue: 1000\n', '  idle_timeout: 1\n');
    const t0 = Math.floor(Date.now() / 1000);
    const one = (i: number): BuiltFrame => ({ data: ethIpv4Udp({ src: '10.79.0.1', dst: `198.19.${(i >> 8) & 255}.${i & 255}`, sport: 7000, dport: 9 }, Buffer.alloc(18)), ts: t0 + i * 1e-4, key: '' });
    // Phase 1, database absent: 500 one-packet flows (fits in max_queue).
    await push('absent-1', Array.from({ length: 500 }, (_, i) => one(i)), true).done;
    await until(async () => (await run.metrics()).get('netmon_sink_queue_records{sink="postgres"}') === 500, 10_000, '500 records queued');
    const m1 = await run.metrics();
    assert.equal(m1.get('netmon_sink_up{sink="postgres"}'), 0);
    pg.start();
    await until(async () => (await run.metrics()).get('netmon_sink_records_total{sink="postgres",result="written"}') === 500, 20_000, 'written once the database came');
    assert.equal(Number((await pg.query<{ n: string }>('SELECT count(*) AS n FROM small_flows'))[0]!.n), 500);
    // Phase 2, down again while 3000 more flows end: 1000 wait, 2000 are dropped.
    pg.stop();
    await until(async () => (await run.metrics()).get('netmon_sink_up{sink="postgres"}') === 0, 10_000, 'sink down');
    await push('absent-2', Array.from({ length: 3000 }, (_, i) => one(500 + i)), true).done;
    await until(async () => {
      const m = await run.metrics();
      return (m.get('netmon_sink_queue_records{sink="postgres"}') ?? 0) + (m.get('netmon_sink_records_total{sink="postgres",result="dropped"}') ?? 0) === 3000;
    }, 10_000, 'all 3000 records queued or dropped');
    pg.start();
    await until(async () => (await run.metrics()).get('netmon_sink_queue_records{sink="postgres"}') === 0, 20_000, 'queue written');
    const m = await run.metrics();
    const written = m.get('netmon_sink_records_total{sink="postgres",result="written"}')!;
    const dropped = m.get('netmon_sink_records_total{sink="postgres",result="dropped"}')!;
    assert.equal(m.get('netmon_flow_records_dropped_total'), 0, 'the capture side handed over every record');
    assert.equal(written + dropped, 3500, 'written + dropped = records produced (one per flow sent)');
    assert.equal(dropped, 2000);
    await run.stop();
    const stored = await pg.query<{ n: string; p: string }>('SELECT count(*) AS n, sum(packets) AS p FROM small_flows');
    assert.equal(Number(stored[0]!.n), written, 'rows = written');
    assert.equal(Number(stored[0]!.p), written);
    assert.ok(run.netmon.output.stderr.split('\n').filter((l) => l.includes('database unavailable')).length === 2, 'one log line per outage');
  });
});
