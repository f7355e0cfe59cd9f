/**
 * `npm run bench`: every benchmark, printed as a table of figures with ratios against references
 * measured in the same run (these machines are shared and noisy; ratios travel better than seconds).
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { replayThroughput } from './replay-throughput';

const root = join(__dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli.js');
const outDir = join(root, 'bench', 'out');
const runs = Number(process.env['BENCH_RUNS'] ?? 3);

function row(name: string, figure: string, reference: string, ratio: string): void {
  process.stdout.write(`| ${name} | ${figure} | ${reference} | ${ratio} |\n`);
}

process.stdout.write(`netmon benchmarks: node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, best of ${runs}\n\n`);
process.stdout.write('| benchmark | netmon | reference | ratio |\n|---|---|---|---|\n');
const r = replayThroughput(outDir, cli, runs);
const pps = (s: number) => `${(r.packets / s / 1e6).toFixed(2)} Mpps (${s.toFixed(3)} s)`;
row('replay 1M packets, 800 flows', pps(r.netmonSeconds), `tcpdump -r -w /dev/null: ${pps(r.tcpdumpSeconds)}`, `${(r.netmonSeconds / r.tcpdumpSeconds).toFixed(2)}x tcpdump's time`);
row('replay, 20 named filters', pps(r.netmonFiltersSeconds), `netmon without filters: ${r.netmonSeconds.toFixed(3)} s`, `${(r.netmonFiltersSeconds / r.netmonSeconds).toFixed(2)}x`);
