/**
 * `metrics.engine: otel`: /metrics rendered by OpenTelemetry's Prometheus serializer
 * (@opentelemetry/exporter-prometheus) from the same producer and snapshot as the OTLP push, on
 * netmon's own HTTP server. The samples are those of the default engine plus what OpenTelemetry's
 * rendering adds: a `target_info` series carrying the resource attributes, and `otel_scope_name` /
 * `otel_scope_version` labels on every sample (and `# UNIT` comments).
 */
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { NetmonMetricProducer } from './otlp-export';
import type { MetricSource } from './otlp-export';
import { OtelMetricData } from './otel-metric-data';

/** A reader that only collects when asked (a scrape). */
class ScrapeReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export class OtelPrometheusExposition {
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';
  private readonly reader: ScrapeReader;
  private readonly serializer = new PrometheusSerializer();

  /** `source` gives the snapshot the scrape just took; `maxSeries` bounds the flow families as in OTLP. */
  constructor(source: MetricSource, opts: { resourceAttributes: Readonly<Record<string, string>>; version: string; startMs: number; maxSeries: number }) {
    const data = new OtelMetricData({ name: 'netmon', version: opts.version }, 'cumulative', opts.startMs);
    this.reader = new ScrapeReader({ metricProducers: [new NetmonMetricProducer(source, data)], cardinalitySelector: () => Math.max(2000, opts.maxSeries + 1) });
    new MeterProvider({ resource: resourceFromAttributes(opts.resourceAttributes), readers: [this.reader] });
  }

  async render(): Promise<string[]> {
    const { resourceMetrics } = await this.reader.collect();
    return [this.serializer.serialize(resourceMetrics)];
  }
}
