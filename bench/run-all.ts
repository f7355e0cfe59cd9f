/**
 * `npm run bench`: every benchmark, printed as a table of figures with ratios against references
 * measured in the same run (these machines are shared and noisy; ratios travel better than seconds).
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { filterCost } from './filter-cost';
import { filterInstructions } from './filter-instructions';
import { detectorCost } from './detector-cost';
import { floodMemory } from './flood-memory';
import { fragmentFlood } from './fragment-flood';
import { insightLiveBench } from './insight-live';
import { insightReplay } from './insight-replay';
import { formatLiveRuns, liveBenchSkipReason, liveCaptureBench } from './live-capture';
import { otlpExportBench } from './otlp-export';
import { postgresSinkBench, sinkBenchSkipReason } from './postgres-sink';
import { liveStreamsBench } from './live-streams';
import { replayThroughput } from './replay-throughput';
import { scrapeRender } from './scrape-render';
import { tcpPathInstructions } from './tcp-paths';

const root = join(__dirname, '..', '..');
const cli = join(root, 'bin', 'netmon.js');
const outDir = join(root, 'bench', 'out');
const runs = Number(process.env['BENCH_RUNS'] ?? 3);

function row(name: string, figure: string, reference: string, ratio: string): void {
  process.stdout.write(`| ${name} | ${figure} | ${reference} | ${ratio} |\n`);
}

process.stdout.write(`netmon benchmarks: node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; times: best of ${runs}; replay ratios: median over ${Math.max(runs, 9)} rounds of the ratio within a round\n\n`);
process.stdout.write('| benchmark | netmon | reference | ratio |\n|---|---|---|---|\n');
// Ratios of ~0.3 s processes on a shared machine need more rounds than the other figures.
const replayRounds = Math.max(runs, 9);
const r = replayThroughput(outDir, cli, replayRounds);
const pps = (s: number) => `${(r.packets / s / 1e6).toFixed(2)} Mpps (${s.toFixed(3)} s)`;
const x = (ratio: number) => `${ratio.toFixed(2)}x`;
row('replay 1M packets, 800 flows', pps(r.netmonSeconds), `tcpdump -r -w /dev/null: ${pps(r.tcpdumpSeconds)}`, `${x(r.ratios.netmonToTcpdump)} tcpdump's time`);
row('replay, 20 named filters', pps(r.netmonFiltersSeconds), `no config: ${r.netmonSeconds.toFixed(3)} s; same config without filters: ${r.netmonNoFiltersConfigSeconds.toFixed(3)} s`, `${x(r.ratios.filtersToNone)} / ${x(r.ratios.filtersToNoFilters)}`);
row('replay loop only, 20 named filters', `${r.loopFiltersSeconds.toFixed(3)} s`, `without filters: ${r.loopSeconds.toFixed(3)} s`, x(r.ratios.loopFiltersToLoop));

const dc = detectorCost(root, outDir, cli, replayRounds);
row('replay 1M packets, detectors on (default) vs off', `${dc.seconds.on.toFixed(3)} s; loop alone ${dc.seconds.loopOn.toFixed(3)} s`, `detect.enabled: false: ${dc.seconds.off.toFixed(3)} s; loop ${dc.seconds.loopOff.toFixed(3)} s`, `${x(dc.detectors)} / loop ${x(dc.detectorsLoop)}`);
row(`replay 1M packets, shipped config.yaml (${dc.filterNames.length} named filters: ${dc.filterNames.join(', ')})`, `${dc.seconds.shipped.toFixed(3)} s; loop alone ${dc.seconds.loopShipped.toFixed(3)} s`, `the same without its filters: ${dc.seconds.shippedNoFilters.toFixed(3)} s; loop ${dc.seconds.loopShippedNoFilters.toFixed(3)} s`, `${x(dc.shippedFilters)} / loop ${x(dc.shippedFiltersLoop)}`);
const ia = insightReplay(outDir, cli, replayRounds, join(outDir, 'mixed-1m.pcap'));
row('replay 1M packets (TCP handshakes, 4% DNS), DNS+TCP analysis on', `${(ia.packets / ia.onSeconds / 1e6).toFixed(2)} Mpps (${ia.onSeconds.toFixed(3)} s); loop ${ia.loopOnSeconds.toFixed(3)} s`,
  `analysis off: ${ia.offSeconds.toFixed(3)} s; loop ${ia.loopOffSeconds.toFixed(3)} s`, `${x(ia.ratios.wall)} / loop ${x(ia.ratios.loop)}`);
if (ia.mixed !== undefined) {
  row('replay 1M packets (mixed-1m: every TCP segment at sequence 0, the analyser\'s worst case), DNS+TCP analysis on', `${ia.mixed.onSeconds.toFixed(3)} s; loop ${ia.mixed.loopOnSeconds.toFixed(3)} s`,
    `analysis off: ${ia.mixed.offSeconds.toFixed(3)} s; loop ${ia.mixed.loopOffSeconds.toFixed(3)} s`, `${x(ia.mixed.ratios.wall)} / loop ${x(ia.mixed.ratios.loop)}`);
}
if (ia.instructions !== undefined) {
  row('DNS+TCP analysis, instructions per packet (cachegrind, steady state)', `${ia.instructions.on.toFixed(0)} per packet`, `analysis off: ${ia.instructions.off.toFixed(0)}`, x(ia.instructions.on / ia.instructions.off));
}
if (ia.wholeReplay !== undefined) {
  row('DNS+TCP analysis, instructions of the whole 1M replay process (cachegrind)', `${(ia.wholeReplay.on / 1e6).toFixed(0)}M`, `analysis off: ${(ia.wholeReplay.off / 1e6).toFixed(0)}M`, x(ia.wholeReplay.on / ia.wholeReplay.off));
}

const ff = fragmentFlood(outDir, cli, replayRounds);
row('replay 1M UDP fragments, each of a new datagram (the DNS reassembly\'s worst case), DNS analysis on', `${(ff.packets / ff.onSeconds / 1e6).toFixed(2)} Mpps (${ff.onSeconds.toFixed(3)} s); loop ${ff.loopOnSeconds.toFixed(3)} s`, `dns.enabled: false: ${ff.offSeconds.toFixed(3)} s; loop ${ff.loopOffSeconds.toFixed(3)} s`, `${x(ff.ratio)} / loop ${x(ff.loopRatio)}`);

const tp = tcpPathInstructions();
if (tp === undefined) row('TCP analyser, instructions per segment', 'skipped: valgrind is not installed', '-', '-');
else row('TCP analyser alone, instructions per segment (cachegrind, node --predictable; bench/tcp-paths.ts)', `in order: ${tp.inOrder.toFixed(0)}; retransmitted: ${tp.retransmission.toFixed(0)}`, `the harness loop alone: ${tp.baseline.toFixed(0)} (subtracted)`, '-');

const ins = filterInstructions(join(outDir, 'mixed-1m.pcap'));
if (ins === undefined) row('20 named filters, instructions per packet', 'skipped: valgrind is not installed', '-', '-');
else row('20 named filters, instructions per packet (cachegrind, node --predictable)', `${ins.filters.toFixed(0)} per packet`, `decoding it: ${ins.decode.toFixed(0)}`, x(ins.filters / ins.decode));

async function scrapes(): Promise<void> {
  for (const s of await scrapeRender(cli, outDir)) {
    row(`scrape /metrics, ${s.series} flow series`, `median ${s.medianMs.toFixed(1)} ms, max ${s.maxMs.toFixed(1)} ms`, `${(s.bytes / 1e6).toFixed(1)} MB`, '-');
  }
}

async function live(): Promise<void> {
  const skip = liveBenchSkipReason();
  if (skip !== undefined) return row('live capture (netmon run)', `skipped: ${skip}`, '-', '-');
  const f = await liveCaptureBench(cli);
  const pick = (scrape: boolean) =>
    f.runs.find((x) => x.interfaces === 1 && x.rate === 'topspeed' && x.scrape === scrape && (x.senders ?? 1) === 1 && x.bufferMb === undefined)!;
  const a = pick(false);
  const b = pick(true);
  row('live run, 60-byte frames, 10k flows, topspeed', `${a.cpuUsPerPacket.toFixed(2)} µs CPU/pkt, ${a.counted}/${a.sent} counted, ${a.dropped} dropped`, `tcpreplay ${(a.sendPps / 1e3).toFixed(0)}k pps`, `max loss-free ${(f.maxLossFreePps / 1e3).toFixed(0)}k pps`);
  row('live run + scrape 4/s, 10k series', `${b.cpuUsPerPacket.toFixed(2)} µs CPU/pkt, scrape p50 ${b.scrapes!.p50Ms.toFixed(0)} ms, ${b.dropped} dropped`, `without scraping ${a.cpuUsPerPacket.toFixed(2)} µs`, `${(b.cpuUsPerPacket / a.cpuUsPerPacket).toFixed(2)}x`);
  row('live run, 2 interfaces', `${(f.maxLossFreePpsTwoInterfaces / 1e3).toFixed(0)}k pps aggregate loss-free`, '-', '-');
  for (const s of await liveStreamsBench(cli, { rounds: runs })) {
    row(
      `live run, ${s.clients} clients on /api/v1/flows/stream, ${s.shape.packets / 1e3}k frames over ${s.shape.flows / 1e3}k flows (idle 2s)`,
      `${s.clientsUs.toFixed(2)} µs CPU/pkt, ${s.dropped} dropped, tcpreplay ${(s.sendPps / 1e3).toFixed(0)}k pps`,
      `no client: ${s.noneUs.toFixed(2)} µs`,
      `${s.ratio.toFixed(2)}x (median of ${s.rounds} paired rounds)`,
    );
  }
  const il = await insightLiveBench(cli, { rounds: Math.max(runs, 3) });
  row(
    `live run, ${il.packets / 1e3}k frames (TCP handshakes, 4% DNS) at ${il.pps / 1e3}k pps, DNS+TCP analysis on`,
    `${il.onUs.toFixed(2)} µs CPU/pkt, ${il.dropped} dropped, ${il.missing} not counted`,
    `analysis off: ${il.offUs.toFixed(2)} µs`,
    `${il.ratio.toFixed(2)}x (median of ${il.rounds} paired rounds)`,
  );
  process.stdout.write(`\n${formatLiveRuns(f)}\n`);
}

async function postgresSink(): Promise<void> {
  const skip = sinkBenchSkipReason();
  if (skip !== undefined) return row('PostgreSQL sink', `skipped: ${skip}`, '-', '-');
  const s = await postgresSinkBench(outDir, cli, Math.max(runs, 5), join(outDir, 'mixed-1m.pcap'));
  row(
    `PostgreSQL sink: replay writing ${s.records / 1000}k flow records (${s.packets / 1000}k packets), fsync ${s.fsync ? 'on' : 'off'}`,
    `sink adds ${(s.withSink - s.without).toFixed(2)} s (replay ${s.withSink.toFixed(2)} s with it, ${s.without.toFixed(2)} s without)`,
    `psql \\copy of the same rows, same table shape: ${s.copy.toFixed(2)} s`,
    `${x(s.sinkToCopy)} \\copy's time`,
  );
  row('capture side of the sink in replay, 0.5 records per packet', `${s.captureNsOn.toFixed(0)} ns per packet with the record output`, `without: ${s.captureNsOff.toFixed(0)} ns`, x(s.captureRatio));
  if (s.mixed !== undefined) row('capture side of the sink in replay, 1M packets, 800 flows', `${s.mixed.nsOn.toFixed(0)} ns per packet`, `without: ${s.mixed.nsOff.toFixed(0)} ns`, x(s.mixed.ratio));
}

async function main(): Promise<void> {
  const fc = filterCost();
  row('20 named filters fused (as run), decoded packets', `${fc.setNs.toFixed(1)} ns per packet; compile ${fc.compileMs.toFixed(1)} ms`, `20 single predicates: ${fc.singleNs.toFixed(1)} ns`, x(fc.setNs / fc.singleNs));
  const f = floodMemory(cli, outDir);
  row('replay 1M-source SYN flood + 500 flows, default config', `peak RSS ${(f.peakRssBytes / 1048576).toFixed(0)} MiB (detectors off: ${(f.peakRssBytesNoDetectors / 1048576).toFixed(0)} MiB), ${f.flowSeries} flow series; detectors' top target: ${f.topSynTarget ?? 'none'}`, 'budget: 250 MiB, 5000 + 1 series', `${(f.packets / f.seconds / 1e6).toFixed(2)} Mpps (detectors off: ${(f.packets / f.secondsNoDetectors / 1e6).toFixed(2)})`);
  await scrapes();
  for (const n of [10_000]) {
    const o = await otlpExportBench(n, 15);
    row(
      `OTLP export, ${n / 1000}k flow series (metric data + encoding, in process)`,
      `protobuf ${o.protobufMs.toFixed(1)} ms (${(o.protobufBytes / 1e6).toFixed(1)} MB), OTLP/JSON ${o.jsonMs.toFixed(1)} ms`,
      `/metrics render of the same state: ${o.renderMs.toFixed(1)} ms (${(o.renderBytes / 1e6).toFixed(1)} MB)`,
      `${x(o.protobufMs / o.renderMs)} / ${x(o.jsonMs / o.renderMs)}`,
    );
  }
  await postgresSink();
  if (!process.argv.includes('--no-live')) await live();
}

main().catch((err: unknown) => {
  process.stderr.write(`benchmark failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
