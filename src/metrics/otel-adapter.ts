import type { Meter } from '@opentelemetry/api';
import type { Family } from './family';

/**
 * The OpenTelemetry adapter: each catalog counter and gauge becomes an observable instrument whose
 * callback reads the family at collection time (the same `collect()` prom-client uses), so an OTLP push
 * carries the same numbers as /metrics. Counter names drop the `_total` suffix, which OpenTelemetry's
 * Prometheus conventions add back.
 *
 * Not covered yet: histograms (the OpenTelemetry API has no observable histogram; the size histogram
 * needs a synchronous instrument fed from the snapshot), and the per-flow families, which the flow table
 * renders as text directly and would need a series iterator. Both are noted for the OTLP issue.
 */
export function registerOtelFamilies(meter: Meter, families: readonly Family[]): void {
  for (const family of families) {
    const { def } = family;
    if (def.type === 'histogram') continue;
    const collect = (family as Extract<Family, { def: { type: 'counter' | 'gauge' } }>).collect;
    const options = { description: def.help };
    const instrument =
      def.type === 'counter'
        ? meter.createObservableCounter(def.name.replace(/_total$/, ''), options)
        : meter.createObservableGauge(def.name, options);
    instrument.addCallback((result) => {
      for (const s of collect()) result.observe(s.value, s.labels);
    });
  }
}
