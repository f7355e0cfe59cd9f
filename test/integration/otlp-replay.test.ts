/**
 * OTLP after `netmon replay FILE --serve`: a real receiver in this process decodes what netmon pushes
 * (OTLP/JSON by JSON.parse, OTLP/protobuf by protobufjs with the spec's definitions, not by the
 * exporter that sent it), and every sample of /metrics in every netmon family must have a data point
 * with the same attributes and value, of the right type, unit and temporality. The flow counts are
 * also checked against the frames this test built (independent of netmon). And `metrics.engine:
 * otel` must serve the same samples as the default engine, OpenTelemetry's additions aside.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port';
import { ETH, PROTO, TCP_FLAGS, ethIpv4Tcp, ethIpv4Udp, ethIpv6Tcp, ethernet, icmp, ipv4 } from '../support/frames';
import { LINKTYPE_ETHERNET, writePcap } from '../support/pcap-writer';
import { spawnSync } from 'node:child_process';
import { CLI, startNetmon } from '../support/netmon-cli';
import { OtlpReceiver, parsePrometheusText, sampleKey, translateToPrometheus } from '../support/otlp-receiver';
import type { ReceivedExport } from '../support/otlp-receiver';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Frames with the flow each belongs to (labels as netmon names them). */
function frames(): { frames: Buffer[]; flows: Map<string, { packets: number; bytes: number }> } {
  const out: Buffer[] = [];
  const flows = new Map<string, { packets: number; bytes: number }>();
  const add = (f: Buffer, labels: Record<string, string>) => {
    out.push(f);
    const k = sampleKey('flow', labels);
    const t = flows.get(k) ?? { packets: 0, bytes: 0 };
    t.packets++;
    t.bytes += f.length;
    flows.set(k, t);
  };
  const fl = (src: string, dst: string, proto: string, sp: number, dp: number) => ({ src_ip: src, dst_ip: dst, proto, src_port: String(sp), dst_port: String(dp) });
  for (let i = 0; i < 40; i++) {
    add(ethIpv4Tcp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 40000 + (i % 5), dport: 443, flags: i === 0 ? TCP_FLAGS.SYN : TCP_FLAGS.ACK | TCP_FLAGS.PSH }, Buffer.alloc(i * 31, 1)), fl('10.0.0.1', '10.0.0.2', 'tcp', 40000 + (i % 5), 443));
    add(ethIpv4Udp({ src: '10.0.0.3', dst: '10.0.0.53', sport: 5300 + (i % 3), dport: 53 }, Buffer.alloc(20 + i, 2)), fl('10.0.0.3', '10.0.0.53', 'udp', 5300 + (i % 3), 53));
  }
  for (let i = 0; i < 12; i++) add(ethIpv6Tcp({ src: '2001:db8::1', dst: '2001:db8::2', sport: 8080, dport: 50000, flags: TCP_FLAGS.ACK | (i === 11 ? TCP_FLAGS.FIN : 0) }, Buffer.alloc(1400, 3)), fl('2001:db8::1', '2001:db8::2', 'tcp', 8080, 50000));
  for (let i = 0; i < 3; i++) add(ethernet({ etherType: ETH.IPV4 }, ipv4({ src: '10.0.0.1', dst: '10.0.0.9', proto: PROTO.ICMP }, icmp({ type: 8, code: 0, rest: 1 }, Buffer.alloc(56)))), fl('10.0.0.1', '10.0.0.9', 'icmp', 0, 0));
  return { frames: out, flows };
}

/** The families /metrics and OTLP must agree on: every netmon family, the export's own counters aside (they count this very export). */
const compared = (key: string) => key.startsWith('netmon_') && !key.startsWith('netmon_otlp_');
/**
 * prom-client's metrics of the serving process are read when each side is rendered, by a registry of
 * its own (the GC kinds it has seen can differ): compared by family, not by series or value. The GC
 * histogram has no series until that process has collected garbage once, which depends on how much
 * it allocated by then (the analysers' tables, the OpenTelemetry modules): it is left out.
 */
const processMetric = (key: string) => key.startsWith('netmon_process_') || key.startsWith('netmon_nodejs_');
const family = (key: string) => key.split('{')[0]!.replace(/_(bucket|sum|count)$/, '');
const processFamilies = (keys: Iterable<string>) => new Set([...keys].filter(processMetric).map(family).filter((f) => f !== 'netmon_nodejs_gc_duration_seconds'));

const UNITS: Record<string, string> = {
  netmon_packets: '{packet}',
  netmon_bytes: 'By',
  netmon_flow_packets: '{packet}',
  netmon_flow_bytes: 'By',
  netmon_filter_packets: '{packet}',
  netmon_filter_bytes: 'By',
  netmon_packet_size_bytes: 'By',
  netmon_decode_errors: '{packet}',
  netmon_tcp_flags: '{segment}',
  netmon_flows_active: '{flow}',
  netmon_otlp_export_seconds: 's',
  netmon_process_cpu_seconds: 's',
  netmon_process_resident_memory_bytes: 'By',
};

describe('OTLP from netmon replay --serve', { timeout: 90_000 }, () => {
  let dir: string;
  let file: string;
  let built: ReturnType<typeof frames>;
  const started: Array<ReturnType<typeof startNetmon>> = [];
  const receivers: OtlpReceiver[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'nmt-otlp-'));
    built = frames();
    file = join(dir, 'mixed.pcap');
    writePcap(file, built.frames.map((data, i) => ({ data, ts: 1_700_000_000 + i * 0.01 })), { linkType: LINKTYPE_ETHERNET });
  });

  after(async () => {
    for (const n of started) {
      if (n.exitCode === null && n.signalCode === null) {
        n.kill('SIGKILL');
        await once(n, 'exit');
      }
    }
    for (const r of receivers) await r.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** netmon replay --serve with `extra` config; resolves with its /metrics URL once the whole file is counted. */
  const serve = async (name: string, extra: string): Promise<{ base: string; netmon: ReturnType<typeof startNetmon> }> => {
    const port = await freePort();
    const config = join(dir, `${name}.yaml`);
    writeFileSync(config, `filters:\n  dns: udp port 53\n  big: greater 1000\n${extra}`);
    const netmon = startNetmon(['replay', file, '--serve', '--config', config, '--listen', `127.0.0.1:${port}`, '--log-level', 'warn']);
    started.push(netmon);
    const base = `http://127.0.0.1:${port}`;
    const end = Date.now() + 20_000;
    for (;;) {
      if (netmon.exitCode !== null) assert.fail(`netmon exited ${netmon.exitCode}: ${netmon.output.stderr}`);
      const text = await fetch(`${base}/metrics`).then((r) => r.text(), () => '');
      if (parsePrometheusText(text.replace(/,?otel_scope_(name|version)="[^"]*"/g, '').replace('{,', '{')).get('netmon_packets_total{interface="mixed.pcap"}') === built.frames.length) return { base, netmon };
      if (Date.now() > end) assert.fail(`replay not counted in 20 s: ${netmon.output.stderr}`);
      await sleep(50);
    }
  };

  /** /metrics now, and the second export received after it (built after the replay ended, from the same static state). */
  const scrapeAndExport = async (base: string, r: OtlpReceiver): Promise<{ metrics: Map<string, number>; text: string; exp: ReceivedExport }> => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const n = r.exports.length;
    await r.waitFor(n + 2, 15_000);
    return { metrics: parsePrometheusText(text), text, exp: r.exports[n + 1]! };
  };

  for (const protocol of ['http/json', 'http/protobuf'] as const) {
    it(`${protocol}: every sample of /metrics in every netmon family is a data point with the same attributes and value, type, unit and temporality`, async () => {
      const r = new OtlpReceiver();
      receivers.push(r);
      await r.start();
      // protobuf also gzip-compressed, JSON plain.
      const gzip = protocol === 'http/protobuf';
      const { base } = await serve(protocol.replace('/', '-'), `otlp:\n  endpoint: ${r.url}\n  protocol: ${protocol}\n  interval: 300ms\n  timeout: 250ms\n  headers: {x-test: "yes"}\n  resource_attributes: {deployment.environment: test}\n${gzip ? '  compression: gzip\n' : ''}`);
      const { metrics, exp } = await scrapeAndExport(base, r);
      assert.equal(exp.encoding, protocol === 'http/json' ? 'json' : 'protobuf');
      assert.equal(exp.headers['content-encoding'], gzip ? 'gzip' : undefined);
      assert.equal(exp.headers['x-test'], 'yes');
      assert.equal(exp.resource['service.name'], 'netmon');
      assert.equal(exp.resource['deployment.environment'], 'test');
      assert.ok(exp.resource['service.version'] !== undefined && exp.resource['host.name'] !== undefined);
      assert.equal(exp.scope.name, 'netmon');

      const got = translateToPrometheus(exp);
      let checked = 0;
      for (const [key, value] of metrics) {
        if (!compared(key) || processMetric(key)) continue;
        assert.ok(got.has(key), `no OTLP data point for ${key}`);
        assert.equal(got.get(key), value, `value of ${key}`);
        checked++;
      }
      // ...and nothing else: OTLP carries no netmon series that /metrics does not show.
      for (const key of got.keys()) if (compared(key) && !processMetric(key)) assert.ok(metrics.has(key), `OTLP has ${key}, /metrics does not`);
      assert.deepEqual([...processFamilies(got.keys())].sort(), [...processFamilies(metrics.keys())].sort(), 'the same process metric families');
      assert.ok(checked > 60, `only ${checked} samples compared`);

      // Type, unit, temporality, and the flow families against the frames themselves.
      for (const m of exp.metrics) {
        assert.ok(!m.name.endsWith('_total'), `${m.name}: OTLP names drop _total`);
        if (UNITS[m.name] !== undefined) assert.equal(m.unit, UNITS[m.name], `unit of ${m.name}`);
        if (m.kind === 'sum') {
          assert.ok(m.monotonic, `${m.name} is a monotonic sum`);
          assert.equal(m.temporality, 'cumulative', `temporality of ${m.name}`);
          if (m.unit !== 's') for (const p of m.points) assert.equal(p.valueKind, 'int', `${m.name} is an integer sum`);
          for (const p of m.points) assert.ok(p.startNs > 0n && p.startNs <= p.timeNs, `${m.name}: start time before end time`);
        }
        if (m.kind === 'histogram') assert.equal(m.temporality, 'cumulative');
        assert.ok(!m.points.some((p) => 'otel.metric.overflow' in p.attributes), `${m.name}: no SDK overflow series`);
      }
      const kind = (name: string) => exp.metrics.find((m) => m.name === name)?.kind;
      assert.equal(kind('netmon_packets'), 'sum');
      assert.equal(kind('netmon_flows_active'), 'gauge');
      assert.equal(kind('netmon_packet_size_bytes'), 'histogram');
      assert.equal(kind('netmon_process_resident_memory_bytes'), 'gauge');
      for (const [k, t] of built.flows) {
        assert.equal(got.get(k.replace(/^flow/, 'netmon_flow_packets_total')), t.packets, `packets of ${k}`);
        assert.equal(got.get(k.replace(/^flow/, 'netmon_flow_bytes_total')), t.bytes, `bytes of ${k}`);
      }
      const flowSeries = exp.metrics.find((m) => m.name === 'netmon_flow_packets')!.points;
      assert.equal(flowSeries.length, built.flows.size + 1, 'the admitted flows plus the overflow series');
      assert.equal(got.get('netmon_packets_total{interface="mixed.pcap"}'), built.frames.length);
      assert.equal(r.decodeErrors.length, 0);
    });
  }

  it('a bad OTEL_* variable or otlp key stops netmon with exit 2 naming it, before any work', async () => {
    const config = join(dir, 'env.yaml');
    writeFileSync(config, 'otlp: {interval: 1s}\n');
    const port = await freePort();
    const run = (env: Record<string, string>, cfg = config) =>
      spawnSync(process.execPath, [CLI, 'replay', file, '--serve', '--config', cfg, '--listen', `127.0.0.1:${port}`], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, ...env } });
    let r = run({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /environment variable OTEL_EXPORTER_OTLP_PROTOCOL: expected "http\/protobuf" or "http\/json"/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    r = run({ OTEL_RESOURCE_ATTRIBUTES: 'k8s.node.name' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /OTEL_RESOURCE_ATTRIBUTES: expected resource attributes as key=value/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'otlp:\n  interval: 2s\n  timeout: 5s\n');
    r = run({}, bad);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /bad\.yaml: otlp\.timeout: 5000 ms is longer than the export interval \(2000 ms\)/);
    const check = spawnSync(process.execPath, [CLI, 'check-config', bad], { encoding: 'utf8' });
    assert.equal(check.status, 2);
    assert.match(check.stderr, /otlp\.timeout/);
  });

  it('SIGTERM with the collector down: the last export is cut short, netmon exits 0 within seconds', async () => {
    const r = new OtlpReceiver();
    receivers.push(r);
    await r.start();
    await r.stop(); // a port that refuses connections
    const { netmon } = await serve('term', `otlp:\n  endpoint: ${r.url}\n  interval: 15s\n  timeout: 10s\n`);
    const t0 = Date.now();
    netmon.kill('SIGTERM');
    const timer = setTimeout(() => netmon.kill('SIGKILL'), 8000);
    const [code, signal] = (await once(netmon, 'exit')) as [number | null, string | null];
    clearTimeout(timer);
    assert.equal(signal, null, 'killed: did not exit within 8 s');
    assert.equal(code, 0, netmon.output.stderr);
    assert.ok(Date.now() - t0 < 4000, `exit took ${Date.now() - t0} ms`);
  });

  it('metrics.engine otel: /metrics through OpenTelemetry carries the default engine\'s samples, plus target_info and scope labels', async () => {
    const plain = await serve('engine-prometheus', '');
    const otel = await serve('engine-otel', 'metrics:\n  engine: otel\n');
    const res = await fetch(`${otel.base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const otelText = await res.text();
    const a = parsePrometheusText(await (await fetch(`${plain.base}/metrics`)).text());
    const b = parsePrometheusText(otelText);
    const strip = (key: string) => key.replace(/,?otel_scope_(name|version)="[^"]*"/g, '').replace('{,', '{').replace(/\{\}/, '');
    const bStripped = new Map([...b].filter(([k]) => !k.startsWith('target_info')).map(([k, v]) => [strip(k), v]));
    let n = 0;
    for (const [key, value] of a) {
      if (processMetric(key)) continue;
      assert.ok(bStripped.has(key), `engine otel lacks ${key}`);
      assert.equal(bStripped.get(key), value, `engine otel: value of ${key}`);
      n++;
    }
    for (const key of bStripped.keys()) if (!processMetric(key)) assert.ok(a.has(key), `engine otel has ${key}, the default engine does not`);
    assert.deepEqual([...processFamilies(bStripped.keys())].sort(), [...processFamilies(a.keys())].sort(), 'the same process metric families');
    assert.ok(n > 60, `only ${n} samples compared`);
    const target = [...b.keys()].find((k) => k.startsWith('target_info'));
    assert.ok(target !== undefined && target.includes('service_name="netmon"'), `target_info with service_name: ${target}`);
    assert.ok([...b.keys()].every((k) => k.startsWith('target_info') || k.includes('otel_scope_name="netmon"')), 'every sample has the scope label');
  });
});
