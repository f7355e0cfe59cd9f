/**
 * The cost of one OTLP export against a /metrics render of the same state, in one process: a flow
 * table holding N flows, all exported (flows.max_series = N), then alternately
 *  - render: the whole /metrics exposition as `netmon replay --serve` renders it (prom-client's
 *    registry with the catalog families and process metrics, the flow families as bytes), and
 *  - export: what an OTLP export computes before it sends: the producer's metric data of the same
 *    snapshot (one rebalance, as a scrape), encoded as OTLP protobuf, and as OTLP/JSON. The HTTP send is left out of both (a scrape's response write is not in the render either).
 * Medians over alternating rounds, so the machine's load hits both alike.
 */
import { emptyResource } from '@opentelemetry/resources';
import { validateConfig } from '../src/config/schema';
import { DecodedPacket } from '../src/decode/packet';
import { buildPipeline } from '../src/engine/build-pipeline';
import { netmonFamilies } from '../src/metrics/netmon-families';
import { OtelMetricData } from '../src/metrics/otel-metric-data';
import type { MetricSnapshot } from '../src/metrics/otel-metric-data';
import { encodeJson, encodeProtobuf } from '../src/metrics/otlp-encoding';
import { PrometheusExposition } from '../src/metrics/prometheus-registry';

export interface OtlpExportFigures {
  series: number;
  renderMs: number;
  protobufMs: number;
  jsonMs: number;
  protobufBytes: number;
  renderBytes: number;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

export async function otlpExportBench(series: number, rounds: number): Promise<OtlpExportFigures> {
  const { config } = validateConfig({ flows: { max_series: series, max_flows: series * 2 } });
  const pipeline = buildPipeline(config, 'bench', silent);
  pipeline.addInterface('eth0');
  const pkt = new DecodedPacket();
  for (let i = 0; i < series; i++) {
    for (let k = 0; k < 2; k++) {
      pkt.reset();
      pkt.ipVersion = 4;
      pkt.addrs[0] = 0x0a000000 + (i >>> 8);
      pkt.addrs[4] = 0xc0a80000 + (i & 0xff);
      pkt.ipProto = 6;
      pkt.srcPort = 1024 + (i % 60000);
      pkt.dstPort = 443;
      pkt.wireLen = 60 + (i % 1400);
      pkt.ts = 1_700_000_000 + i / series;
      pipeline.flows.observe(pkt);
    }
  }
  const families = netmonFamilies({ version: 'bench', pipeline, captures: [], replay: { damagedFiles: new Map() } });
  const exposition = new PrometheusExposition(families, [() => pipeline.flows.renderFlowFamilies()]);
  const data = new OtelMetricData({ name: 'netmon', version: 'bench' }, 'cumulative', Date.now());
  const snapshot = (): MetricSnapshot => {
    const x = pipeline.flows.exportFlowSeries();
    const s = pipeline.flows.stats;
    return { families, flows: { ...x, overflowPackets: s.overflowPackets, overflowBytes: s.overflowBytes }, timeMs: Date.now() };
  };
  const resourceMetrics = () => ({ resource: emptyResource(), scopeMetrics: [data.build(snapshot())] });

  const render: number[] = [];
  const proto: number[] = [];
  const json: number[] = [];
  let protobufBytes = 0;
  let renderBytes = 0;
  for (let r = 0; r < rounds + 2; r++) {
    let t0 = performance.now();
    const chunks = await exposition.render();
    const tr = performance.now() - t0;
    renderBytes = chunks.reduce((n, c) => n + (typeof c === 'string' ? Buffer.byteLength(c) : c.length), 0);
    t0 = performance.now();
    const body = encodeProtobuf(resourceMetrics());
    const tp = performance.now() - t0;
    protobufBytes = body.length;
    t0 = performance.now();
    encodeJson(resourceMetrics());
    const tj = performance.now() - t0;
    // The first rounds admit the series and build label text and attributes: not steady state.
    if (r < 2) continue;
    render.push(tr);
    proto.push(tp);
    json.push(tj);
  }
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
  return { series, renderMs: median(render), protobufMs: median(proto), jsonMs: median(json), protobufBytes, renderBytes };
}
