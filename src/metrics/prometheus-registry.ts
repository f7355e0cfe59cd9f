import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Metric } from 'prom-client';
import type { Family, HistogramSample } from './family';

const LINT_FAILING_DEFAULTS = ['netmon_nodejs_active_handles_total', 'netmon_nodejs_active_requests_total', 'netmon_nodejs_active_resources_total'];

/** Renders exposition text that is not in the registry (the per-flow families, written directly as bytes for speed). */
export type TextSource = () => Buffer;

/** prom-client's process metrics, prefixed netmon_. */
export function addProcessMetrics(registry: Registry): Registry {
  collectDefaultMetrics({ register: registry, prefix: 'netmon_' });
  // These gauges end in _total, which `promtool check metrics` rejects for non-counters; every
  // family netmon serves must pass it, so they are left out (the process metrics stay).
  for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(name);
  return registry;
}

/**
 * The prom-client adapter: each catalog family becomes a registry entry whose get() reads the family
 * at scrape time, plus prom-client's process metrics prefixed netmon_. Direct text sources are
 * appended after the registry's output.
 */
export class PrometheusExposition {
  readonly registry = new Registry();
  private readonly textSources: TextSource[];

  constructor(families: readonly Family[], textSources: readonly TextSource[]) {
    addProcessMetrics(this.registry);
    for (const family of families) this.registry.registerMetric(toPromMetric(family));
    this.textSources = [...textSources];
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * The whole exposition, as chunks to send in order. The direct text sources render first: the flow table decides the exported
   * series when it renders, and the self-metrics read after it (netmon_flow_series...) must agree.
   */
  async render(): Promise<Array<string | Buffer>> {
    const direct = this.textSources.map((source) => source());
    return [await this.registry.metrics(), ...direct];
  }
}

function toPromMetric(family: Family): Metric {
  const { def } = family;
  const get =
    family.def.type === 'histogram'
      ? () => ({ name: def.name, help: def.help, type: 'histogram', aggregator: 'sum', values: histogramValues(def.name, def.buckets ?? [], (family.collect as () => readonly HistogramSample[])()) })
      : () => ({ name: def.name, help: def.help, type: def.type, aggregator: 'sum', values: (family.collect as () => readonly { labels: object; value: number }[])() });
  return { name: def.name, help: def.help, type: def.type, get } as unknown as Metric;
}

function histogramValues(name: string, bounds: readonly number[], samples: readonly HistogramSample[]) {
  const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
  for (const s of samples) {
    let cumulative = 0;
    for (let i = 0; i <= bounds.length; i++) {
      cumulative += s.bucketCounts[i] ?? 0;
      values.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le: i < bounds.length ? bounds[i]! : '+Inf' }, value: cumulative });
    }
    values.push({ metricName: `${name}_sum`, labels: { ...s.labels }, value: s.sum });
    values.push({ metricName: `${name}_count`, labels: { ...s.labels }, value: s.count });
  }
  return values;
}
