/**
 * `netmon replay` writing through the PostgreSQL sink to a throw-away PostgreSQL: the rows equal
 * the records `netmon replay --format flows-json` prints (record for record, times to the
 * microsecond), their per-flow sums equal the frames the test built, and the packet rows equal
 * what tcpdump selects with the same filter (below the rate cap; above it, stored + rate_limited
 * = tcpdump's count). Also: configuration errors of the sink stop netmon with exit 2, and without
 * the sink nothing loads `pg`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TCP_FLAGS, ethIpv4Tcp } from '../support/frames';
import { buildFlowCapture, tallyFrames } from '../support/flow-capture';
import type { BuiltFrame } from '../support/flow-capture';
import { CLI, parseExposition, runNetmon } from '../support/netmon-cli';
import { LINKTYPE_ETHERNET, writePcap } from '../support/pcap-writer';
import { postgresSkipReason, startPostgres } from '../support/postgres';
import type { PgServer } from '../support/postgres';
import { tcpdumpMatch } from '../support/tcpdump';

const skip = postgresSkipReason();
const FILTER = 'tcp[tcpflags] & (tcp-syn|tcp-fin|tcp-rst) != 0';
/** An hour ago: well inside the default retention (7d), so nothing is dropped. */
const T0 = Math.floor(Date.now() / 1000) - 3600;

interface JsonRecord {
  src_ip: string;
  dst_ip: string;
  proto: number;
  src_port: number;
  dst_port: number;
  packets: number;
  bytes: number;
  first_seen: number;
  last_seen: number;
  tcp_flags: number;
  tcp_handshake_rtt: number | null;
  tcp_retransmissions: number;
  end_reason: string;
}

const recordText = (r: {
  src_ip: string; dst_ip: string; proto: number; src_port: number; dst_port: number; packets: number | string; bytes: number | string; first_us: number | string; last_us: number | string;
  tcp_flags: number; tcp_handshake_rtt: number | string | null; tcp_retransmissions: number; end_reason: string;
}): string =>
  `${r.src_ip} ${r.dst_ip} ${r.proto} ${r.src_port} ${r.dst_port} ${r.packets} ${r.bytes} ${r.first_us} ${r.last_us} ${r.tcp_flags} ` +
  `${r.tcp_handshake_rtt === null ? 'null' : Number(r.tcp_handshake_rtt).toFixed(9)} ${r.tcp_retransmissions} ${r.end_reason}`;

function ndjsonRecords(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as JsonRecord)
    .map((r) => recordText({ ...r, first_us: Math.round(r.first_seen * 1e6), last_us: Math.round(r.last_seen * 1e6) }))
    .sort();
}

describe('netmon replay with the PostgreSQL sink (real PostgreSQL)', { skip, timeout: 240_000 }, () => {
  let pg: PgServer;
  let dir: string;
  const files: string[] = [];
  const built: BuiltFrame[][] = [];

  before(async () => {
    pg = await startPostgres();
    dir = mkdtempSync(join(tmpdir(), 'nmt-pg-replay-'));
    // Two files (two interfaces): 1500 + 1000 flows over ~40 min, gaps up to 100 s (idle splits
    // at the default 60 s) and flows longer than the 300 s active timeout.
    const specs = [
      { seed: 1, t0: T0, flows: 1500, portBase: 10_000, maxPackets: 30, maxGap: 100, spread: 1200 },
      { seed: 2, t0: T0 + 60, flows: 1000, portBase: 30_000, maxPackets: 12, maxGap: 30, spread: 600 },
    ];
    for (const [i, spec] of specs.entries()) {
      const frames = buildFlowCapture(spec);
      const file = join(dir, `if${i}.pcap`);
      writePcap(file, frames.map((f) => ({ data: f.data, ts: f.ts })), { linkType: LINKTYPE_ETHERNET });
      files.push(file);
      built.push(frames);
    }
  });
  after(() => {
    pg?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const rowsOf = async (table: string): Promise<string[]> =>
    (
      await pg.query<Record<string, string | number>>(
        `SELECT host(src_ip) AS src_ip, host(dst_ip) AS dst_ip, proto, src_port, dst_port, packets, bytes,
                (extract(epoch FROM first_seen) * 1000000)::bigint AS first_us, (extract(epoch FROM last_seen) * 1000000)::bigint AS last_us, tcp_flags, tcp_handshake_rtt, tcp_retransmissions, end_reason
         FROM ${table}`,
      )
    )
      .map((r) => recordText(r as Parameters<typeof recordText>[0]))
      .sort();

  it('with only sinks.postgres.url set (password from PGPASSWORD): the rows equal flows-json, record for record', async () => {
    const config = join(dir, 'only-url.yaml');
    writeFileSync(config, `sinks:\n  postgres:\n    url: ${pg.url}\n`);
    const started = Date.now();
    const r = spawnSync(process.execPath, [CLI, 'replay', ...files, '--config', config], { encoding: 'utf8', env: { ...process.env, PGPASSWORD: pg.password }, timeout: 120_000, maxBuffer: 256 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const seconds = (Date.now() - started) / 1000;
    const json = runNetmon(['replay', ...files, '--format', 'flows-json']);
    assert.equal(json.code, 0, json.stderr);
    const want = ndjsonRecords(json.stdout);
    const got = await rowsOf('netmon_flows');
    assert.ok(want.length > 2500, `several records per flow (${want.length})`);
    assert.ok(new Set(want.map((w) => w.split(' ').pop())).size >= 3, 'idle, active and end records');
    assert.equal(got.length, want.length, 'one row per record');
    assert.deepEqual(got, want);
    // And against the frames themselves: per flow, the rows sum to what was sent.
    const sums = await pg.query<{ k: string; p: string; b: string; f: number }>(
      `SELECT host(src_ip) || ' ' || host(dst_ip) || ' ' || proto || ' ' || src_port || ' ' || dst_port AS k, sum(packets) AS p, sum(bytes) AS b, bit_or(tcp_flags) AS f FROM netmon_flows GROUP BY 1`,
    );
    const sent = tallyFrames(built.flat());
    const flagsSent = new Map<string, number>();
    for (const f of built.flat()) flagsSent.set(f.key, (flagsSent.get(f.key) ?? 0) | (f.tcp?.flags ?? 0));
    assert.equal(sums.length, sent.size);
    for (const s of sums) assert.deepEqual([Number(s.p), Number(s.b), Number(s.f)], [sent.get(s.k)?.packets, sent.get(s.k)?.bytes, flagsSent.get(s.k)], s.k);
    // The interface is the file of the flow's packets; the host is this machine's name.
    const ifaces = await pg.query<{ interface: string; host: string; n: string; min_port: number; max_port: number }>(
      `SELECT interface, host, count(*) AS n, min(src_port) AS min_port, max(src_port) AS max_port FROM netmon_flows GROUP BY 1, 2 ORDER BY 1`,
    );
    assert.deepEqual(ifaces.map((i) => [i.interface, i.host, i.min_port, i.max_port]), [
      ['if0.pcap', hostname(), 10_000, 11_499],
      ['if1.pcap', hostname(), 30_000, 30_999],
    ]);
    process.stdout.write(`# replay of ${built.flat().length} packets, ${want.length} records into PostgreSQL: ${seconds.toFixed(2)} s\n`);
  });

  it('flows-json and the sink in the same replay agree; packet rows equal what tcpdump selects with the same filter', async () => {
    const config = join(dir, 'packets.yaml');
    writeFileSync(config, `sinks:\n  postgres:\n    url: ${pg.url}\n    password_file: ${pg.passwordFile}\n    table: both_flows\n    batch_size: 700\n    max_queue: 1000\n    packets:\n      filter: "${FILTER}"\n      max_rate: 100000\n`);
    const r = runNetmon(['replay', ...files, '--config', config, '--format', 'flows-json'], 120_000);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await rowsOf('both_flows'), ndjsonRecords(r.stdout));
    for (const [i, file] of files.entries()) {
      const want = tcpdumpMatch(file, FILTER);
      const rows = await pg.query<Record<string, string | number | null>>(
        `SELECT (extract(epoch FROM ts) * 1000000)::bigint AS ts_us, host(src_ip) AS src, host(dst_ip) AS dst, proto, src_port, dst_port, seq, ack, tcp_flags, "window", length, host
         FROM both_packets WHERE interface = $1`,
        [`if${i}.pcap`],
      );
      assert.ok(want.packets > 300, `if${i}: enough selected packets (${want.packets})`);
      assert.equal(rows.length, want.packets, `if${i}: rows = tcpdump's packets`);
      assert.equal(rows.reduce((n, x) => n + Number(x['length']), 0), want.bytes, `if${i}: wire bytes = tcpdump's`);
      // Each row is a frame the test built, field by field.
      const bySeq = new Map(built[i]!.filter((f) => f.tcp !== undefined).map((f) => [f.tcp!.seq, f]));
      for (const x of rows) {
        const f = bySeq.get(Number(x['seq']));
        assert.ok(f !== undefined, `row with seq ${x['seq']} was built`);
        assert.equal(Number(x['ts_us']), Math.round(f.ts * 1e6));
        assert.equal(`${x['src']} ${x['dst']} ${x['proto']} ${x['src_port']} ${x['dst_port']}`, f.key);
        assert.deepEqual([Number(x['ack']), x['tcp_flags'], x['window'], x['length']], [f.tcp!.ack, f.tcp!.flags, f.tcp!.window, f.data.length]);
        assert.ok((f.tcp!.flags & (TCP_FLAGS.SYN | TCP_FLAGS.FIN | TCP_FLAGS.RST)) !== 0);
      }
    }
  });

  it('the queries of docs/postgres.md run on the schema netmon made (and find rows)', async () => {
    const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'postgres.md'), 'utf8');
    const blocks = [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((sql) => !/^\s*CREATE (ROLE|DATABASE)/m.test(sql));
    assert.ok(blocks.length >= 5, `${blocks.length} queries`);
    // The examples' addresses and times, pointed at the replayed data.
    const first = (await pg.query<{ src: string }>("SELECT host(src_ip) AS src FROM netmon_flows WHERE family(src_ip) = 4 AND proto = 6 LIMIT 1"))[0]!.src;
    const t = (s: number) => new Date(s * 1000).toISOString();
    let found = 0;
    for (const sql of blocks) {
      const q = sql
        .replace(/192\.0\.2\.10/g, first)
        .replace(/'2026-12-01 08:00\+00'/g, `'${t(T0)}'`)
        .replace(/'2026-12-01 09:00\+00'/g, `'${t(T0 + 3600)}'`)
        .replace(/10\.20\.0\.0\/16/g, '10.77.0.0/16')
        .replace(/10\.30\.0\.0\/16/g, '198.19.0.0/16')
        .replace(/netmon_packets/g, 'both_packets');
      const rows = await pg.query(q);
      if (rows.length > 0) found++;
    }
    assert.ok(found >= 4, `queries that found rows: ${found} of ${blocks.length}`);
  });

  it('stores at most max_rate packets per second of packet time: stored + rate_limited = what tcpdump selects', async () => {
    // 100 SYNs within one second, then 30 more two seconds later: a burst of 10 passes, then 10/s.
    const frames = Array.from({ length: 130 }, (_, i) => ({
      data: ethIpv4Tcp({ src: '192.0.2.5', dst: '198.19.0.80', sport: 40_000 + i, dport: 80, flags: TCP_FLAGS.SYN }),
      ts: T0 + (i < 100 ? i / 100 : 3 + (i - 100) / 100),
    }));
    const file = join(dir, 'syn-burst.pcap');
    writePcap(file, frames, { linkType: LINKTYPE_ETHERNET });
    const config = join(dir, 'rate.yaml');
    writeFileSync(config, `sinks:\n  postgres:\n    url: ${pg.url}\n    password_file: ${pg.passwordFile}\n    table: rate_flows\n    packets:\n      filter: "${FILTER}"\n      max_rate: 10\n`);
    const r = runNetmon(['replay', file, '--config', config], 60_000);
    assert.equal(r.code, 0, r.stderr);
    const m = parseExposition(r.stdout);
    const stored = Number((await pg.query<{ n: string }>('SELECT count(*) AS n FROM rate_packets'))[0]!.n);
    const limited = m.get('netmon_sink_records_total{sink="postgres_packets",result="rate_limited"}');
    assert.equal(tcpdumpMatch(file, FILTER).packets, 130);
    assert.ok(stored >= 20 && stored <= 45, `a burst of 10 plus ~10/s over ~3 s, got ${stored}`);
    assert.equal(stored + limited!, 130);
  });

  it('stops with exit 2 naming the key: bad packet filter, unreadable password_file (check-config too for the filter and url)', () => {
    const bad = (name: string, body: string): string => {
      const f = join(dir, name);
      writeFileSync(f, `sinks:\n  postgres:\n${body}`);
      return f;
    };
    const filterCfg = bad('bad-filter.yaml', `    url: ${pg.url}\n    packets:\n      filter: "tcp port"\n`);
    for (const args of [['check-config', filterCfg], ['replay', files[0]!, '--config', filterCfg]]) {
      const r = runNetmon(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /sinks\.postgres\.packets\.filter: column 9: expected/);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    const urlCfg = bad('bad-url.yaml', '    url: "postgres://netmon:s3cret@db:70000/netmon"\n');
    const c = runNetmon(['check-config', urlCfg]);
    assert.equal(c.code, 2);
    assert.match(c.stderr, /bad-url\.yaml:3: sinks\.postgres\.url: expected a URL/);
    assert.doesNotMatch(c.stderr, /s3cret/);
    const pwCfg = bad('bad-pw.yaml', `    url: ${pg.url}\n    password_file: ${join(dir, 'no-such-file')}\n`);
    const p = runNetmon(['replay', files[0]!, '--config', pwCfg]);
    assert.equal(p.code, 2, p.stderr);
    assert.match(p.stderr, /sinks\.postgres\.password_file: cannot read .*no-such-file: ENOENT/);
    assert.equal(runNetmon(['check-config', bad('good.yaml', `    url: ${pg.url}\n    packets:\n      filter: "${FILTER}"\n`)]).code, 0);
  });

  it('without sinks.postgres nothing loads pg', () => {
    const script = `require(${JSON.stringify(join(__dirname, '..', '..', 'src', 'cli.js'))}).main(['replay', ${JSON.stringify(files[1])}, '--format', 'flows-json']).then((code) => {
      const loaded = Object.keys(require.cache).filter((k) => /node_modules[\\\\/](pg|pg-copy-streams|pg-connection-string)[\\\\/]/.test(k));
      process.stderr.write('LOADED ' + JSON.stringify(loaded) + ' EXIT ' + code + '\\n');
    });`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.match(r.stderr, /LOADED \[\] EXIT 0/);
  });
});
