/**
 * Cost of the DNS and TCP analysers on the packet path: the same 1M-packet replay
 * (bench/insight-capture.ts: TCP connections with handshakes and real sequence numbers, 4% DNS) with
 * the analysers on (the defaults) and off (`dns.enabled: false`, `tcp.enabled: false`), in the same
 * run, alternating: whole-process wall time and the replay loop alone (median ratio over rounds), and,
 * when valgrind is installed, machine instructions per packet in the steady state (the difference
 * between replays of the first 200k and 600k packets, under `node --predictable`), which the load of
 * a shared machine does not move, and the instructions of the whole 1M replay process on and off.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateInsightCapture } from './insight-capture';
import { bestOf, median } from './timing';

export interface InsightFigures {
  packets: number;
  onSeconds: number;
  offSeconds: number;
  loopOnSeconds: number;
  loopOffSeconds: number;
  ratios: { wall: number; loop: number };
  /** Steady-state instructions per packet, analysers on and off (undefined without valgrind). */
  instructions?: { on: number; off: number };
  /**
   * Instructions of the whole 1M-packet replay process, analysers on and off (start-up, JIT
   * compilation and GC included: what the CPU does for that replay; undefined without valgrind).
   * The steady-state figures above move by ~100 per packet with where a garbage collection or a
   * compilation falls between the two cuts; these do not.
   */
  wholeReplay?: { on: number; off: number };
}

function loopSeconds(cli: string, file: string, config: string): number {
  const r = spawnSync(process.execPath, [cli, 'replay', file, '--config', config, '--log-level', 'debug'], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const line = r.stderr.split('\n').find((l) => l.includes('"replay finished"'));
  if (r.status !== 0 || line === undefined) throw new Error(`netmon replay exited ${r.status}: ${r.stderr.slice(0, 500)}`);
  return (JSON.parse(line) as { seconds: number }).seconds;
}

function instructions(cli: string, file: string, config: string): number {
  const r = spawnSync('valgrind', ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null', process.execPath, '--predictable', cli, 'replay', file, '--config', config], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const m = /I\s+refs:\s+([\d,]+)/.exec(r.stderr);
  if (r.status !== 0 || m === null) throw new Error(`valgrind: ${r.stderr.slice(-500)}`);
  return Number(m[1]!.replace(/,/g, ''));
}

/** On vs off on `file` (paired, alternating rounds): best wall and loop seconds, median ratios. */
export function replayOnOff(cli: string, file: string, on: string, off: string, rounds: number): Omit<InsightFigures, 'packets' | 'instructions'> {
  const r: { on: number; off: number; loopOn: number; loopOff: number }[] = [];
  for (let i = 0; i < rounds; i++) {
    const x = { on: 0, off: 0, loopOn: 0, loopOff: 0 };
    const steps: [keyof typeof x, () => number][] = [
      ['on', () => bestOf(1, process.execPath, [cli, 'replay', file, '--config', on])],
      ['off', () => bestOf(1, process.execPath, [cli, 'replay', file, '--config', off])],
      ['loopOn', () => loopSeconds(cli, file, on)],
      ['loopOff', () => loopSeconds(cli, file, off)],
    ];
    for (const [k, f] of i % 2 === 0 ? steps : [...steps].reverse()) x[k] = f();
    r.push(x);
  }
  return {
    onSeconds: Math.min(...r.map((x) => x.on)),
    offSeconds: Math.min(...r.map((x) => x.off)),
    loopOnSeconds: Math.min(...r.map((x) => x.loopOn)),
    loopOffSeconds: Math.min(...r.map((x) => x.loopOff)),
    ratios: { wall: median(r.map((x) => x.on / x.off)), loop: median(r.map((x) => x.loopOn / x.loopOff)) },
  };
}

/**
 * The analysers' cost on their own capture (and, with `mixed`, on another 1M-packet capture: the
 * replay benchmark's, whose TCP segments all carry sequence number 0, so that every segment after a
 * flow's first is a retransmission and takes the whole analysis: the worst case for the analyser).
 */
export function insightReplay(outDir: string, cli: string, rounds: number, mixed?: string): InsightFigures & { mixed?: Omit<InsightFigures, 'packets' | 'instructions'> } {
  mkdirSync(outDir, { recursive: true });
  const packets = 1_000_000;
  const file = join(outDir, 'insight-1m.pcap');
  if (!existsSync(file)) generateInsightCapture(file, { packets, flows: 800, seed: 1, snaplen: 256, dnsShare: 0.04, connectionPackets: 40 });
  const on = join(outDir, 'analysis-on.yaml');
  const off = join(outDir, 'analysis-off.yaml');
  writeFileSync(on, 'log:\n  level: warn\n');
  writeFileSync(off, 'log:\n  level: warn\ndns: {enabled: false}\ntcp: {enabled: false}\n');
  const own = replayOnOff(cli, file, on, off, rounds);
  const other = mixed !== undefined && existsSync(mixed) ? replayOnOff(cli, mixed, on, off, rounds) : undefined;
  let instr: InsightFigures['instructions'];
  let whole: InsightFigures['wholeReplay'];
  if (spawnSync('valgrind', ['--version']).status === 0) {
    const cut = (n: number) => {
      const p = join(outDir, `insight-${n / 1000}k.pcap`);
      if (!existsSync(p)) generateInsightCapture(p, { packets: n, flows: 800, seed: 1, snaplen: 256, dnsShare: 0.04, connectionPackets: 40 });
      return p;
    };
    const a = cut(200_000);
    const b = cut(600_000);
    const per = (cfg: string) => (instructions(cli, b, cfg) - instructions(cli, a, cfg)) / 400_000;
    instr = { on: per(on), off: per(off) };
    whole = { on: instructions(cli, file, on), off: instructions(cli, file, off) };
  }
  return { packets, ...own, instructions: instr, wholeReplay: whole, ...(other !== undefined ? { mixed: other } : {}) };
}
