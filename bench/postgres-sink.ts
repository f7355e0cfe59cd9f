/**
 * The PostgreSQL sink: 200 000 flow records written by `netmon replay` through the sink, against
 * psql's `\copy` loading the same rows into a table of the same shape (same DDL: partitioned by
 * day, the same indexes) on the same throw-away server, in the same run. What the sink adds to the
 * replay is (replay with the sink) - (the same replay without it); its ratio to `\copy` is taken
 * within each round, the median over rounds reported. Tables are emptied (TRUNCATE, partitions
 * kept) before every load, so every round loads into the same state.
 *
 * And the capture side's cost of the sink: the replay loop of the pipeline with the flow record
 * output on (records written into batches, delivered to a consumer that drops them) against the
 * same loop without it, per packet: alternating rounds in one child process (`--capture-side FILE
 * ROUNDS`), each with a fresh pipeline; the best of each and the median ratio within pairs.
 *
 *   node dist/bench/postgres-sink.js            # both figures
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCaptureFile } from '../src/capture/capture-file';
import { replayAllSync } from '../src/capture/replay';
import { defaultConfig } from '../src/config/load';
import { buildPipeline } from '../src/engine/build-pipeline';
import { CaptureOutputs } from '../src/engine/capture-outputs';
import { Client } from 'pg';
import { DayPartitions } from '../src/sinks/postgres/partitions';
import { flowMigrations } from '../src/sinks/postgres/schema-sql';
import type { SqlClient } from '../src/sinks/postgres/sql-client';
import { buildFlowCapture } from '../test/support/flow-capture';
import { LINKTYPE_ETHERNET, writePcap } from '../test/support/pcap-writer';
import { postgresSkipReason, startPostgres } from '../test/support/postgres';
import { bestOf, median } from './timing';

export const SINK_RECORDS = 200_000;
const SNAP = 96;

export interface SinkFigures {
  records: number;
  packets: number;
  /** Best wall times (s): replay with the sink, without it, and psql \copy of the same rows. */
  withSink: number;
  without: number;
  copy: number;
  /** Median over rounds of (withSink - without) / copy within the round. */
  sinkToCopy: number;
  /** Capture side: ns per packet without and with the flow record output, median ratio over rounds. */
  captureNsOff: number;
  captureNsOn: number;
  captureRatio: number;
  /** The same on the 1M-packet, 800-flow capture of the replay benchmark (few records per packet). */
  mixed?: { nsOff: number; nsOn: number; ratio: number };
  fsync: boolean;
}

/** A capture whose replay ends exactly SINK_RECORDS flow records: one per flow (gaps < the idle timeout, flows < the active timeout). */
function recordsCapture(file: string): number {
  const t0 = Math.floor(Date.now() / 1000) - 3600;
  const frames = buildFlowCapture({ seed: 42, t0, flows: SINK_RECORDS, portBase: 1024, maxPackets: 3, maxGap: 1, spread: 600 });
  writePcap(file, frames.map((f) => ({ data: f.data.subarray(0, SNAP), origLen: f.data.length, ts: f.ts })), { linkType: LINKTYPE_ETHERNET });
  return frames.length;
}

/** Seconds of one replay loop over `file` in this process, flow record output on or off (run in a child). */
function captureSideOnce(file: string, on: boolean): number {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const pipeline = buildPipeline(defaultConfig(), 'bench', quiet);
  let records = 0;
  const outputs = new CaptureOutputs(pipeline, (b) => ((records += b.count), true), () => true, { synchronous: true });
  outputs.setFlowRecordsWanted(on);
  const reader = openCaptureFile(file);
  const onPacket = pipeline.addInterface('bench');
  const t0 = process.hrtime.bigint();
  replayAllSync(reader, onPacket);
  pipeline.flows.advance(pipeline.lastTs);
  outputs.drain();
  if (!on) pipeline.flows.endAll();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  reader.close();
  if (on && records === 0) throw new Error('no records reached the consumer');
  return s;
}

/**
 * In a child process: `rounds` replays of `file` with the output off and on, alternating (each a
 * fresh pipeline, as a replay builds), after one warm-up of each; prints both lists of seconds.
 */
function captureSideRounds(file: string, rounds: number): void {
  captureSideOnce(file, false);
  captureSideOnce(file, true);
  const off: number[] = [];
  const on: number[] = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      off.push(captureSideOnce(file, false));
      on.push(captureSideOnce(file, true));
    } else {
      on.push(captureSideOnce(file, true));
      off.push(captureSideOnce(file, false));
    }
  }
  process.stdout.write(`${JSON.stringify({ off, on })}\n`);
}

function captureSide(file: string, packets: number, rounds: number): { nsOff: number; nsOn: number; ratio: number } {
  const r = spawnSync(process.execPath, [__filename, '--capture-side', file, String(rounds)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`capture side: ${r.stderr}`);
  const { off, on } = JSON.parse(r.stdout) as { off: number[]; on: number[] };
  return { nsOff: (Math.min(...off) / packets) * 1e9, nsOn: (Math.min(...on) / packets) * 1e9, ratio: median(on.map((x, i) => x / off[i]!)) };
}

export function sinkBenchSkipReason(): string | undefined {
  return postgresSkipReason();
}

export async function postgresSinkBench(outDir: string, netmonCli: string, rounds: number, mixedFile?: string): Promise<SinkFigures> {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'records-200k.pcap');
  const countFile = `${file}.packets`;
  let packets: number;
  if (!existsSync(file) || !existsSync(countFile)) {
    packets = recordsCapture(file);
    writeFileSync(countFile, String(packets));
  } else packets = Number(spawnSync('cat', [countFile], { encoding: 'utf8' }).stdout);

  const fsync = true;
  const pg = await startPostgres({ fsync });
  try {
    const cfg = join(outDir, 'postgres-sink.yaml');
    writeFileSync(cfg, `log:\n  level: warn\nsinks:\n  postgres:\n    url: ${pg.url}\n    password_file: ${pg.passwordFile}\n    table: bench_flows\n`);
    // First run: creates the schema and the partitions, and checks the record count.
    const first = spawnSync(process.execPath, [netmonCli, 'replay', file, '--config', cfg, '--format', 'flows-json'], { encoding: 'utf8', maxBuffer: 512 << 20 });
    if (first.status !== 0) throw new Error(`replay with the sink: ${first.stderr}`);
    const records = first.stdout.split('\n').filter((l) => l !== '').length;
    const stored = Number((await pg.query<{ n: string }>('SELECT count(*) AS n FROM bench_flows'))[0]!.n);
    if (records !== SINK_RECORDS || stored !== SINK_RECORDS) throw new Error(`expected ${SINK_RECORDS} records, replay printed ${records}, table holds ${stored}`);
    // The reference: the same rows as CSV, loaded by psql \copy into a table made by the same DDL.
    const csv = join(pg.dir, 'rows.csv');
    const cols = 'first_seen, last_seen, host, interface, src_ip, dst_ip, proto, src_port, dst_port, packets, bytes, tcp_flags, end_reason';
    pg.psql(['-c', `\\copy (SELECT ${cols} FROM bench_flows) TO '${csv}' WITH (FORMAT csv)`]);
    // Same DDL and the same day partitions as the sink's table.
    const client = new Client({ host: '127.0.0.1', port: pg.port, user: 'netmon', password: pg.password, database: 'netmon' });
    await client.connect();
    try {
      for (const m of flowMigrations('bench_ref_flows')) for (const sql of m.statements) await client.query(sql);
      const days = (await client.query<{ d: number }>('SELECT DISTINCT floor(extract(epoch FROM last_seen) / 86400)::int AS d FROM bench_flows')).rows.map((r) => r.d);
      await new DayPartitions('bench_ref_flows').ensure(client as unknown as SqlClient, days);
    } finally {
      await client.end();
    }
    const timed = (fn: () => unknown): number => {
      const t0 = process.hrtime.bigint();
      fn();
      return Number(process.hrtime.bigint() - t0) / 1e9;
    };
    const with_: number[] = [];
    const without: number[] = [];
    const copy: number[] = [];
    const variants = {
      with: async () => {
        await pg.query('TRUNCATE bench_flows');
        with_.push(bestOf(1, process.execPath, [netmonCli, 'replay', file, '--config', cfg]));
      },
      without: async () => {
        without.push(bestOf(1, process.execPath, [netmonCli, 'replay', file, '--log-level', 'warn']));
      },
      copy: async () => {
        await pg.query('TRUNCATE bench_ref_flows');
        copy.push(timed(() => pg.psql(['-c', `\\copy bench_ref_flows (${cols}) FROM '${csv}' WITH (FORMAT csv)`])));
      },
    };
    const order = Object.keys(variants) as (keyof typeof variants)[];
    for (let i = 0; i < rounds; i++) for (const v of i % 2 === 0 ? order : [...order].reverse()) await variants[v]();
    const refRows = Number((await pg.query<{ n: string }>('SELECT count(*) AS n FROM bench_ref_flows'))[0]!.n);
    if (refRows !== SINK_RECORDS) throw new Error(`\\copy loaded ${refRows} rows`);
    const cs = captureSide(file, packets, Math.max(rounds, 15));
    const mixed = mixedFile !== undefined && existsSync(mixedFile) ? captureSide(mixedFile, 1_000_000, Math.max(rounds, 15)) : undefined;
    return {
      records: SINK_RECORDS,
      packets,
      withSink: Math.min(...with_),
      without: Math.min(...without),
      copy: Math.min(...copy),
      sinkToCopy: median(with_.map((w, i) => (w - without[i]!) / copy[i]!)),
      captureNsOff: cs.nsOff,
      captureNsOn: cs.nsOn,
      captureRatio: cs.ratio,
      mixed,
      fsync,
    };
  } finally {
    pg.destroy();
  }
}

if (require.main === module) {
  const i = process.argv.indexOf('--capture-side');
  if (i >= 0) {
    captureSideRounds(process.argv[i + 1]!, Number(process.argv[i + 2]));
  } else {
    const root = join(__dirname, '..', '..');
    postgresSinkBench(join(root, 'bench', 'out'), join(root, 'bin', 'netmon.js'), Number(process.env['BENCH_RUNS'] ?? 5), join(root, 'bench', 'out', 'mixed-1m.pcap')).then(
      (f) => process.stdout.write(`${JSON.stringify(f, null, 2)}\n`),
      (err: unknown) => {
        process.stderr.write(`${(err as Error).stack}\n`);
        process.exitCode = 1;
      },
    );
  }
}
