import type { SinkStats } from '../sinks/sink-stats';
import { CATALOG } from './catalog';
import type { Family, HistogramSample, Sample } from './family';

/** The netmon_sink_* families of the configured sinks (read at scrape time). */
export function sinkFamilies(sinks: readonly SinkStats[]): Family[] {
  const each = (read: (s: SinkStats) => Sample[]) => (): Sample[] => sinks.flatMap(read);
  return [
    {
      def: CATALOG.sinkRecords,
      collect: each((s) => [
        { labels: { sink: s.sink, result: 'written' }, value: s.written },
        { labels: { sink: s.sink, result: 'dropped' }, value: s.dropped },
        ...(s.rateCapped ? [{ labels: { sink: s.sink, result: 'rate_limited' }, value: s.rateLimited }] : []),
      ]),
    },
    {
      def: CATALOG.sinkBatches,
      collect: each((s) => [
        { labels: { sink: s.sink, result: 'committed' }, value: s.batchesCommitted },
        { labels: { sink: s.sink, result: 'failed' }, value: s.batchesFailed },
        { labels: { sink: s.sink, result: 'duplicate' }, value: s.batchesDuplicate },
      ]),
    },
    { def: CATALOG.sinkQueue, collect: each((s) => [{ labels: { sink: s.sink }, value: s.queued }]) },
    {
      def: CATALOG.sinkWriteSeconds,
      collect: (): HistogramSample[] => sinks.map((s) => ({ labels: { sink: s.sink }, bucketCounts: s.writeBuckets, sum: s.writeSum, count: s.writeCount })),
    },
    { def: CATALOG.sinkUp, collect: each((s) => [{ labels: { sink: s.sink }, value: s.up ? 1 : 0 }]) },
  ];
}
