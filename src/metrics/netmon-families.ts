import { DETECTOR_NAMES } from '../analysis/detectors';
import type { DetectorReport, TopList } from '../analysis/detectors';
import type { DnsCounters } from '../analysis/dns-counters';
import type { TcpCounters } from '../analysis/tcp-counters';
import { DECODE_LAYER_NAMES } from '../decode/decode-layer';
import { TUNNEL_NAMES } from '../decode/tunnel-kind';
import type { FlowTableStats } from '../flow/flow-stats';
import { CATALOG, TCP_FLAG_NAMES } from './catalog';
import { dnsTcpFamilies } from './dns-tcp-families';
import type { Family, HistogramSample, Sample } from './family';

/** What a live capture reports about one interface (implemented by the interface supervisor). */
export interface CaptureStatus {
  readonly name: string;
  readonly up: boolean;
  stats(): { received: number; droppedKernel: number; droppedInterface: number };
}

/** State a replay reports (damaged files). */
export interface ReplayStatus {
  readonly damagedFiles: ReadonlyMap<string, number>;
}

/**
 * The pipeline counters the families read: a PacketPipeline (replay) or the latest snapshot of the
 * capture process (`netmon run`).
 */
export interface PipelineCounters {
  readonly interfaces: readonly {
    readonly name: string;
    readonly packets: number;
    readonly bytes: number;
    readonly sizeBuckets: ArrayLike<number>;
    readonly sizeSum: number;
    readonly tcpFlags: ArrayLike<number>;
  }[];
  readonly decodeErrors: ArrayLike<number>;
  /** Inner packets analysed, by Tunnel (index as in TUNNEL_NAMES). */
  readonly tunnelPackets: ArrayLike<number>;
  readonly filterNames: readonly string[];
  readonly filterPackets: ArrayLike<number>;
  readonly filterBytes: ArrayLike<number>;
  /** DNS and TCP analysis (null or absent: disabled). */
  readonly dns?: DnsCounters | null;
  readonly tcp?: TcpCounters | null;
  readonly flows: {
    readonly stats: Pick<FlowTableStats, 'activeFlows' | 'seriesExported' | 'evictionsIdle' | 'evictionsActive' | 'evictionsCapacity' | 'overflowPackets' | 'overflowBytes'>;
  };
  /** Whether the detectors run (detect.enabled): their families are served only then. */
  readonly detectorsEnabled: boolean;
  /** The detectors' values now (read when scraped; undefined when they do not run). */
  readonly detections: DetectorReport | undefined;
}

/** Resources of the capture process of `netmon run` (prom-client's process metrics describe the HTTP process). */
export interface CaptureProcessStatus {
  residentBytes(): number;
  cpuSeconds(): number;
}

/** The capture side of the outputs (sinks, streams): what it could not hand over. */
export interface CaptureOutputsStatus {
  flowRecordsDropped(): number;
}

export interface FamilySources {
  readonly version: string;
  readonly pipeline: PipelineCounters;
  readonly captures: readonly CaptureStatus[];
  readonly replay?: ReplayStatus;
  readonly captureProcess?: CaptureProcessStatus;
  readonly outputs?: CaptureOutputsStatus;
  /** Which analysers run (default: those the pipeline has; `netmon run` says so before its first snapshot). */
  readonly analysis?: { readonly dns: boolean; readonly tcp: boolean };
}

/**
 * Binds the catalog's families to netmon's state. Each collect() runs at scrape time only.
 * The per-flow families are not here: the flow table renders them as text itself (see FlowTable).
 */
export function netmonFamilies(src: FamilySources): Family[] {
  const p = src.pipeline;
  const perInterface = (read: (i: PipelineCounters['interfaces'][number]) => number) => (): Sample[] =>
    p.interfaces.map((i) => ({ labels: { interface: i.name }, value: read(i) }));
  const flowStats = () => p.flows.stats;
  const families: Family[] = [
    { def: CATALOG.buildInfo, collect: () => [{ labels: { version: src.version, node_version: process.version }, value: 1 }] },
    { def: CATALOG.packets, collect: perInterface((i) => i.packets) },
    { def: CATALOG.bytes, collect: perInterface((i) => i.bytes) },
    {
      def: CATALOG.decodeErrors,
      collect: () => DECODE_LAYER_NAMES.map((layer, i) => ({ labels: { layer }, value: p.decodeErrors[i]! })),
    },
    {
      def: CATALOG.tunnelPackets,
      collect: () => TUNNEL_NAMES.slice(1).map((tunnel, i) => ({ labels: { tunnel }, value: p.tunnelPackets[i + 1] ?? 0 })),
    },
    { def: CATALOG.flowsActive, collect: () => [{ labels: {}, value: flowStats().activeFlows }] },
    { def: CATALOG.flowSeries, collect: () => [{ labels: {}, value: flowStats().seriesExported }] },
    {
      def: CATALOG.flowEvictions,
      collect: () => {
        const s = flowStats();
        return [
          { labels: { reason: 'idle' }, value: s.evictionsIdle },
          { labels: { reason: 'active' }, value: s.evictionsActive },
          { labels: { reason: 'capacity' }, value: s.evictionsCapacity },
        ];
      },
    },
    { def: CATALOG.flowOverflowPackets, collect: () => [{ labels: {}, value: flowStats().overflowPackets }] },
    { def: CATALOG.flowOverflowBytes, collect: () => [{ labels: {}, value: flowStats().overflowBytes }] },
    {
      def: CATALOG.filterPackets,
      // Read once: the pipeline's getter brings the counters up to date first.
      collect: () => {
        const packets = p.filterPackets;
        return p.filterNames.map((filter, i) => ({ labels: { filter }, value: packets[i]! }));
      },
    },
    {
      def: CATALOG.filterBytes,
      collect: () => {
        const bytes = p.filterBytes;
        return p.filterNames.map((filter, i) => ({ labels: { filter }, value: bytes[i]! }));
      },
    },
    {
      def: CATALOG.tcpFlags,
      collect: () =>
        p.interfaces.flatMap((i) => TCP_FLAG_NAMES.map((flag, f) => ({ labels: { interface: i.name, flag }, value: i.tcpFlags[f]! }))),
    },
    {
      def: CATALOG.packetSize,
      collect: (): HistogramSample[] =>
        p.interfaces.map((i) => ({ labels: { interface: i.name }, bucketCounts: i.sizeBuckets, sum: i.sizeSum, count: i.packets })),
    },
    ...dnsTcpFamilies(src.analysis ?? { dns: p.dns != null, tcp: p.tcp != null }, () => p.interfaces.map((i) => i.name), () => p.dns, () => p.tcp),
  ];
  if (p.detectorsEnabled) families.push(...detectorFamilies(p));
  if (src.captures.length > 0) {
    families.push(
      { def: CATALOG.captureUp, collect: () => src.captures.map((c) => ({ labels: { interface: c.name }, value: c.up ? 1 : 0 })) },
      { def: CATALOG.captureReceived, collect: () => src.captures.map((c) => ({ labels: { interface: c.name }, value: c.stats().received })) },
      {
        def: CATALOG.captureDropped,
        collect: () =>
          src.captures.flatMap((c) => {
            const s = c.stats();
            return [
              { labels: { interface: c.name, reason: 'kernel' }, value: s.droppedKernel },
              { labels: { interface: c.name, reason: 'interface' }, value: s.droppedInterface },
            ];
          }),
      },
    );
  }
  const proc = src.captureProcess;
  if (proc !== undefined) {
    families.push(
      { def: CATALOG.captureProcessResidentMemory, collect: () => [{ labels: {}, value: proc.residentBytes() }] },
      { def: CATALOG.captureProcessCpu, collect: () => [{ labels: {}, value: proc.cpuSeconds() }] },
    );
  }
  const outputs = src.outputs;
  if (outputs !== undefined) families.push({ def: CATALOG.flowRecordsDropped, collect: () => [{ labels: {}, value: outputs.flowRecordsDropped() }] });
  const replay = src.replay;
  if (replay !== undefined) {
    families.push({
      def: CATALOG.captureFileErrors,
      collect: () => [...replay.damagedFiles].map(([file, n]) => ({ labels: { file }, value: n })),
    });
  }
  return families;
}

/** The detector families (src/analysis/): top-N gauges and the detectors' own state. */
function detectorFamilies(p: PipelineCounters): Family[] {
  const top = (read: (r: DetectorReport) => TopList, labelNames: readonly string[]) => (): Sample[] => {
    const r = p.detections;
    if (r === undefined) return [];
    const t = read(r);
    const n = labelNames.length;
    return Array.from(t.values, (value, i) => ({ labels: Object.fromEntries(labelNames.map((l, j) => [l, t.labels[i * n + j]!])), value }));
  };
  const perDetector = (read: (r: DetectorReport) => Float64Array) => (): Sample[] => {
    const r = p.detections;
    return r === undefined ? [] : DETECTOR_NAMES.map((detector, i) => ({ labels: { detector }, value: read(r)[i]! }));
  };
  return [
    { def: CATALOG.detectWindow, collect: () => (p.detections === undefined ? [] : [{ labels: {}, value: p.detections.windowSeconds }]) },
    { def: CATALOG.detectScanPorts, collect: top((r) => r.scanPorts, CATALOG.detectScanPorts.labelNames) },
    { def: CATALOG.detectScanHosts, collect: top((r) => r.scanHosts, CATALOG.detectScanHosts.labelNames) },
    { def: CATALOG.detectSynUnanswered, collect: top((r) => r.synUnanswered, CATALOG.detectSynUnanswered.labelNames) },
    { def: CATALOG.detectRstSent, collect: top((r) => r.rstSent, CATALOG.detectRstSent.labelNames) },
    { def: CATALOG.detectDnsServfail, collect: top((r) => r.dnsServfail, CATALOG.detectDnsServfail.labelNames) },
    { def: CATALOG.detectDnsUnanswered, collect: top((r) => r.dnsUnanswered, CATALOG.detectDnsUnanswered.labelNames) },
    { def: CATALOG.detectDnsWait, collect: top((r) => r.dnsWait, CATALOG.detectDnsWait.labelNames) },
    { def: CATALOG.detectDnsTimed, collect: top((r) => r.dnsTimed, CATALOG.detectDnsTimed.labelNames) },
    { def: CATALOG.detectDnsFragmentsLost, collect: top((r) => r.dnsFragmentsLost, CATALOG.detectDnsFragmentsLost.labelNames) },
    { def: CATALOG.detectTcpRetransmissions, collect: top((r) => r.tcpRetransmissions, CATALOG.detectTcpRetransmissions.labelNames) },
    { def: CATALOG.detectDnsNxdomainNames, collect: top((r) => r.dnsNxdomainNames, CATALOG.detectDnsNxdomainNames.labelNames) },
    { def: CATALOG.detectDnsServfailNames, collect: top((r) => r.dnsServfailNames, CATALOG.detectDnsServfailNames.labelNames) },
    { def: CATALOG.detectKeys, collect: perDetector((r) => r.keys) },
    { def: CATALOG.detectEvictions, collect: perDetector((r) => r.evictions) },
  ];
}
