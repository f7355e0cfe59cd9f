/**
 * The OTLP push: every `interval` one export of the snapshot the caller provides (MetricSource), built
 * by OtelMetricData, encoded by otlp-encoding.ts (protobuf or JSON) and sent by OpenTelemetry's
 * OTLP/HTTP export delegate (@opentelemetry/otlp-exporter-base, what the OTLP metric exporters are
 * made of): headers, gzip, and retries of 429/502/503/504 and connection errors with backoff within
 * the export's timeout.
 *
 * Bounded: one export in flight at most. An export that is not done within `timeout` is cut off (its
 * sockets destroyed) and dropped; a tick that finds the previous export still running is skipped.
 * Nothing is queued or kept for later, so a slow or dead collector costs one export's memory at
 * most. Every export is counted by result (netmon_otlp_exports_total) and timed
 * (netmon_otlp_export_seconds); failures are logged, never thrown. It runs in the HTTP process (or a
 * replay's only process), never on the packet path.
 */
import type { Agent } from 'node:http';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { JsonMetricsSerializer, MetricsExporterMetricsHelper, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { emptyResource, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { CollectionResult, MetricProducer, PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Logger } from '../log';
import { CATALOG, OTLP_EXPORT_BUCKETS } from './catalog';
import type { Family } from './family';
import { OtelMetricData } from './otel-metric-data';
import { encodeJson, encodeProtobuf } from './otlp-encoding';
import type { MetricSnapshot } from './otel-metric-data';
import type { OtlpSettings } from './otlp-settings';

/** Gives the snapshot to export: reuses the one a scrape read since the previous export, or takes one. */
export type MetricSource = () => Promise<MetricSnapshot> | MetricSnapshot;

/** Once an export's deadline has passed and its sockets are destroyed, how long the exporter has to report back. */
const ABORT_GRACE_MS = 1000;
/** The last export on SIGTERM gets at most this long. */
const SHUTDOWN_EXPORT_MS = 2000;

export type ExportOutcome = 'success' | 'failed' | 'timeout' | 'skipped';
const OUTCOMES: readonly ExportOutcome[] = ['success', 'failed', 'timeout', 'skipped'];

/** The export counters and the duration histogram, as catalog families. */
export class OtlpExportStats {
  readonly results: Record<ExportOutcome, number> = { success: 0, failed: 0, timeout: 0, skipped: 0 };
  private readonly buckets = new Float64Array(OTLP_EXPORT_BUCKETS.length + 1);
  private sum = 0;
  private count = 0;

  observe(outcome: ExportOutcome, seconds?: number): void {
    this.results[outcome]++;
    if (seconds === undefined) return;
    let i = 0;
    while (i < OTLP_EXPORT_BUCKETS.length && seconds > OTLP_EXPORT_BUCKETS[i]!) i++;
    this.buckets[i]!++;
    this.sum += seconds;
    this.count++;
  }

  families(): Family[] {
    return [
      { def: CATALOG.otlpExports, collect: () => OUTCOMES.map((result) => ({ labels: { result }, value: this.results[result] })) },
      { def: CATALOG.otlpExportSeconds, collect: () => [{ labels: {}, bucketCounts: this.buckets, sum: this.sum, count: this.count }] },
    ];
  }
}

/** A MetricProducer over netmon's state: the catalog families and flow series of one snapshot. */
export class NetmonMetricProducer implements MetricProducer {
  constructor(
    private readonly source: MetricSource,
    private readonly data: OtelMetricData,
  ) {}

  async collect(): Promise<CollectionResult> {
    const snap = await this.source();
    // From here to the end of build() nothing awaits: no other snapshot can land in between.
    return { resourceMetrics: { resource: emptyResource(), scopeMetrics: [this.data.build(snap)] }, errors: [] };
  }
}

/**
 * The SDK's MetricReader contract (collect from the MeterProvider and the producers, cardinality and
 * temporality selection) with netmon's own schedule: one export per interval, a hard deadline, and
 * every outcome counted. (PeriodicExportingMetricReader reports outcomes only to the global error
 * handler and lets a timed-out request run on.)
 */
class OtlpPushReader extends MetricReader {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private failing = false;
  private lastWarnMs = 0;
  private droppedSinceLog = 0;

  constructor(
    private readonly exporter: PushMetricExporter,
    producer: MetricProducer,
    private readonly settings: OtlpSettings,
    cardinalityLimit: number,
    private readonly stats: OtlpExportStats,
    private readonly abort: () => void,
    private readonly log: Logger,
  ) {
    super({ metricProducers: [producer], cardinalitySelector: () => cardinalityLimit });
  }

  protected override onInitialized(): void {
    this.timer = setInterval(() => this.tick(), this.settings.intervalMs);
    this.timer.unref();
  }

  /** Starts an export unless one is in flight (then this interval's export is skipped and counted). */
  tick(): void {
    if (this.inFlight !== undefined) {
      this.stats.observe('skipped');
      this.warn({ url: this.settings.url }, 'OTLP export skipped: the previous export is still in flight');
      return;
    }
    this.inFlight = this.exportOnce().finally(() => (this.inFlight = undefined));
  }

  private async exportOnce(): Promise<void> {
    const started = performance.now();
    const deadlineMs = this.settings.timeoutMs;
    let timedOut = false;
    let abortTimer: NodeJS.Timeout | undefined;
    const work = (async (): Promise<ExportOutcome> => {
      const { resourceMetrics, errors } = await this.collect();
      if (errors.length > 0) this.warn({ errors: errors.map(String) }, 'OTLP collection reported errors');
      if (timedOut) return 'timeout';
      const result = await new Promise<ExportResult>((resolve) => this.exporter.export(resourceMetrics, resolve));
      if (result.code === ExportResultCode.SUCCESS) return timedOut ? 'timeout' : 'success';
      if (!timedOut) this.warn({ err: result.error?.message, url: this.settings.url }, 'OTLP export failed: dropped');
      return timedOut ? 'timeout' : 'failed';
    })().catch((err: unknown): ExportOutcome => {
      this.warn({ err: (err as Error).message }, 'OTLP export failed: dropped');
      return timedOut ? 'timeout' : 'failed';
    });
    const deadline = new Promise<ExportOutcome>((resolve) => {
      abortTimer = setTimeout(() => {
        timedOut = true;
        this.warn({ timeout_ms: deadlineMs, url: this.settings.url }, 'OTLP export timed out: cut off and dropped');
        this.abort();
        abortTimer = setTimeout(() => resolve('timeout'), ABORT_GRACE_MS);
      }, deadlineMs);
    });
    const outcome = await Promise.race([work, deadline]);
    clearTimeout(abortTimer);
    this.stats.observe(outcome, (performance.now() - started) / 1000);
    if (outcome === 'success' && this.failing) {
      this.failing = false;
      this.log.info({ url: this.settings.url, dropped_since: this.droppedSinceLog }, 'OTLP exports succeed again');
    }
  }

  /**
   * Logs a failure, at most once a minute while failures go on (an outage at 100 ms intervals would
   * otherwise log ten lines a second); every one is counted in netmon_otlp_exports_total.
   */
  private warn(obj: object, msg: string): void {
    this.droppedSinceLog++;
    const now = performance.now();
    if (this.failing && now - this.lastWarnMs < 60_000) return;
    this.failing = true;
    this.lastWarnMs = now;
    this.log.warn({ ...obj, dropped_since_last_log: this.droppedSinceLog }, msg);
    this.droppedSinceLog = 0;
  }

  protected override async onForceFlush(): Promise<void> {
    if (this.inFlight === undefined) this.tick();
    await this.inFlight;
  }

  protected override async onShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.onForceFlush();
    await this.exporter.shutdown();
  }
}

/** A running OTLP push. */
export interface OtlpPush {
  readonly stats: OtlpExportStats;
  /** Exports now (tests, shutdown); resolves when that export is done or dropped. */
  flush(): Promise<void>;
  /**
   * Stops the schedule after a last export, bounded by min(timeout, 2 s). True when that export was
   * cut short: the exporter's retry timer may then still be pending (exitWhenDone()).
   */
  shutdown(): Promise<boolean>;
}

export interface OtlpPushOptions {
  readonly settings: OtlpSettings;
  readonly source: MetricSource;
  /** flows.max_series: the flow families carry at most this many series plus the overflow series. */
  readonly maxSeries: number;
  readonly version: string;
  /** When netmon started counting, epoch ms: the start time of cumulative series. */
  readonly startMs: number;
  readonly stats: OtlpExportStats;
  readonly log: Logger;
}

export function startOtlpPush(o: OtlpPushOptions): OtlpPush {
  const s = o.settings;
  // Our own agent, so that an export past its deadline can be cut off by destroying its sockets.
  let agent: Agent | undefined;
  // (require, not import(): the bundle runs as a vm.Script, which has no dynamic import.)
  const agentFactory = async (protocol: string): Promise<Agent> => {
    const mod = protocol === 'http:' ? (require('node:http') as typeof import('node:http')) : (require('node:https') as typeof import('node:https'));
    agent = new mod.Agent({ keepAlive: true });
    return agent;
  };
  const common = {
    url: s.url,
    headers: { ...s.headers },
    timeoutMillis: s.timeoutMs,
    compression: s.compression === 'gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
    concurrencyLimit: 1,
    httpAgentOptions: agentFactory,
  } as const;
  const json = s.protocol === 'http/json';
  const serializer = {
    serializeRequest: json ? encodeJson : encodeProtobuf,
    deserializeResponse: json ? JsonMetricsSerializer.deserializeResponse : ProtobufMetricsSerializer.deserializeResponse,
  };
  const delegate = createOtlpHttpExportDelegate<ResourceMetrics, unknown>(
    convertLegacyHttpOptions(common, 'METRICS', 'v1/metrics', { 'Content-Type': json ? 'application/json' : 'application/x-protobuf' }),
    serializer,
    'netmon_otlp_http_metric_exporter',
    MetricsExporterMetricsHelper,
    undefined,
  );
  const exporter: PushMetricExporter = {
    export: (rm, done) => delegate.export(rm, done),
    forceFlush: () => delegate.forceFlush(),
    shutdown: () => delegate.shutdown(),
  };
  const data = new OtelMetricData({ name: 'netmon', version: o.version }, s.temporality, o.startMs);
  const producer = new NetmonMetricProducer(o.source, data);
  // netmon's producer is not subject to the SDK's per-instrument limit (2000 by default), which
  // applies to SDK instruments; set it from the series budget anyway so that nothing in the SDK path
  // could fold flow series into otel.metric.overflow.
  const limit = Math.max(2000, o.maxSeries + 1);
  const reader = new OtlpPushReader(exporter, producer, s, limit, o.stats, () => agent?.destroy(), o.log);
  const provider = new MeterProvider({ resource: resourceFromAttributes(s.resourceAttributes), readers: [reader] });
  o.log.info({ url: s.url, protocol: s.protocol, interval_ms: s.intervalMs, timeout_ms: s.timeoutMs, temporality: s.temporality }, 'OTLP export on');
  return {
    stats: o.stats,
    flush: () => reader.forceFlush(),
    // A last export of the final counts, cut short after 2 s (or the timeout) so that a dead
    // collector cannot hold up a SIGTERM beyond what container runtimes wait (10 s for docker stop).
    shutdown: async () => {
      try {
        await provider.shutdown({ timeoutMillis: Math.min(s.timeoutMs, SHUTDOWN_EXPORT_MS) });
        return false;
      } catch (err) {
        o.log.warn({ err: (err as Error).message }, 'OTLP: the last export did not finish in time: dropped');
        agent?.destroy();
        return true;
      }
    },
  };
}

/**
 * After an export was cut short at shutdown, the OTLP exporter's retry loop (a plain timer, which it
 * does not let anyone cancel) would keep the process alive until that export's deadline: exit as
 * soon as everything else is done (an unref'd timer fires only if something else keeps the loop).
 */
export function exitWhenDone(): void {
  setTimeout(() => process.exit(), 0).unref();
}
