/** A metric family defined once and fed to every exporter adapter (prom-client today, OpenTelemetry next). */
export interface FamilyDef {
  /** Full Prometheus name, counters ending in _total. */
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly labelNames: readonly string[];
  /**
   * UCUM unit for OpenTelemetry (`By`, `s`, `{packet}`...). Left out: `By` for names ending in
   * _bytes (or _bytes_total), `s` for _seconds, else none (see otelUnit in otel-metric-data.ts).
   */
  readonly unit?: string;
  /** Histogram bucket upper bounds (histograms only), ascending, +Inf implied. */
  readonly buckets?: readonly number[];
}

export type Labels = Readonly<Record<string, string>>;

/** One series of a counter or gauge. */
export interface Sample {
  readonly labels: Labels;
  readonly value: number;
}

/** One series of a histogram: non-cumulative counts per bucket, the last one being +Inf. */
export interface HistogramSample {
  readonly labels: Labels;
  readonly bucketCounts: ArrayLike<number>;
  readonly sum: number;
  readonly count: number;
}

/** Reads current values at scrape time; never called on the packet path. */
export type Collect = () => readonly Sample[];
export type CollectHistogram = () => readonly HistogramSample[];

/** A family with the function that reads its values. */
export type Family =
  | { readonly def: FamilyDef & { type: 'counter' | 'gauge' }; readonly collect: Collect }
  | { readonly def: FamilyDef & { type: 'histogram' }; readonly collect: CollectHistogram };
