import { DECODE_LAYER_NAMES } from '../decode/decode-layer';
import type { PacketPipeline } from '../engine/packet-pipeline';
import { CATALOG, TCP_FLAG_NAMES } from './catalog';
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

export interface FamilySources {
  readonly version: string;
  readonly pipeline: PacketPipeline;
  readonly captures: readonly CaptureStatus[];
  readonly replay?: ReplayStatus;
}

/**
 * Binds the catalog's families to netmon's state. Each collect() runs at scrape time only.
 * The per-flow families are not here: the flow table renders them as text itself (see FlowTable).
 */
export function netmonFamilies(src: FamilySources): Family[] {
  const p = src.pipeline;
  const perInterface = (read: (i: PacketPipeline['interfaces'][number]) => number) => (): Sample[] =>
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
      collect: () => p.filterNames.map((filter, i) => ({ labels: { filter }, value: p.filterPackets[i]! })),
    },
    {
      def: CATALOG.filterBytes,
      collect: () => p.filterNames.map((filter, i) => ({ labels: { filter }, value: p.filterBytes[i]! })),
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
  ];
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
  const replay = src.replay;
  if (replay !== undefined) {
    families.push({
      def: CATALOG.captureFileErrors,
      collect: () => [...replay.damagedFiles].map(([file, n]) => ({ labels: { file }, value: n })),
    });
  }
  return families;
}
