import type { Registry } from 'prom-client';
import type { Family, HistogramSample, Sample } from './family';

interface PromValue {
  value: number | null;
  labels: Record<string, string | number>;
  metricName?: string;
}

/**
 * prom-client's process metrics of this process (netmon_process_*, netmon_nodejs_*), read now and
 * turned into catalog-style families, so that the OTLP export and `metrics.engine: otel` carry them
 * like /metrics does. Their values are read when the export or the scrape runs (they describe this
 * process, not the capture snapshot). Summaries (none among the defaults) are left out.
 */
export async function readProcessFamilies(registry: Registry): Promise<Family[]> {
  const out: Family[] = [];
  for (const m of await registry.getMetricsAsJSON()) {
    const values = m.values as unknown as PromValue[];
    const type = m.type as unknown as string;
    const labels = (v: PromValue): Record<string, string> => Object.fromEntries(Object.entries(v.labels).filter(([k]) => k !== 'le').map(([k, x]) => [k, String(x)]));
    if (type === 'counter' || type === 'gauge') {
      const samples: Sample[] = values.map((v) => ({ labels: labels(v), value: v.value ?? NaN }));
      out.push({ def: { name: m.name, help: m.help, type, labelNames: [] }, collect: () => samples });
    } else if (type === 'histogram') {
      const bySeries = new Map<string, { labels: Record<string, string>; buckets: Array<[number, number]>; sum: number; count: number }>();
      for (const v of values) {
        const l = labels(v);
        const key = JSON.stringify(l);
        let s = bySeries.get(key);
        if (s === undefined) bySeries.set(key, (s = { labels: l, buckets: [], sum: 0, count: 0 }));
        if (v.metricName === `${m.name}_bucket`) s.buckets.push([v.labels['le'] === '+Inf' ? Infinity : Number(v.labels['le']), v.value ?? 0]);
        else if (v.metricName === `${m.name}_sum`) s.sum = v.value ?? 0;
        else if (v.metricName === `${m.name}_count`) s.count = v.value ?? 0;
      }
      const series = [...bySeries.values()];
      const bounds = (series[0]?.buckets ?? []).map(([le]) => le).filter((le) => le !== Infinity).sort((a, b) => a - b);
      const samples: HistogramSample[] = series.map((s) => {
        const cumulative = s.buckets.sort((a, b) => a[0] - b[0]).map(([, c]) => c);
        return { labels: s.labels, bucketCounts: cumulative.map((c, i) => c - (i === 0 ? 0 : cumulative[i - 1]!)), sum: s.sum, count: s.count };
      });
      out.push({ def: { name: m.name, help: m.help, type: 'histogram', labelNames: [], buckets: bounds }, collect: () => samples });
    }
  }
  return out;
}
