import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { Family } from '../../src/metrics/family';
import { CATALOG } from '../../src/metrics/catalog';
import { registerOtelFamilies } from '../../src/metrics/otel-adapter';
import { renderFamilies } from '../../src/metrics/text-exposition';

class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

test('OpenTelemetry collection reads the same catalog families as the Prometheus text', async () => {
  let packets = 7;
  const families: Family[] = [
    { def: CATALOG.packets, collect: () => [{ labels: { interface: 'eth0' }, value: packets }, { labels: { interface: 'eth1' }, value: 3 }] },
    { def: CATALOG.flowsActive, collect: () => [{ labels: {}, value: 42 }] },
  ];
  const reader = new TestReader();
  registerOtelFamilies(new MeterProvider({ readers: [reader] }).getMeter('netmon'), families);
  packets = 9; // read at collection time, not at registration
  const { resourceMetrics } = await reader.collect();
  const got = new Map(resourceMetrics.scopeMetrics[0]!.metrics.map((m) => [m.descriptor.name, m.dataPoints.map((d) => [d.attributes, d.value])]));
  assert.deepEqual(got.get('netmon_packets'), [[{ interface: 'eth0' }, 9], [{ interface: 'eth1' }, 3]]);
  assert.deepEqual(got.get('netmon_flows_active'), [[{}, 42]]);
  const text = renderFamilies(families);
  assert.match(text, /^netmon_packets_total\{interface="eth0"\} 9$/m);
  assert.match(text, /^netmon_flows_active 42$/m);
});
