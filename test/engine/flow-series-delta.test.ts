import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deserialize, serialize } from 'node:v8';
import { DecodedPacket } from '../../src/decode/packet';
import { FlowSeriesMirror, FlowSeriesSender } from '../../src/engine/flow-series-delta';
import { FlowTable } from '../../src/flow/flow-table';
import type { FlowSeriesExport } from '../../src/flow/flow-table';

/** A structured clone through V8's serializer, as child_process IPC with serialization 'advanced' does. */
const v8Clone = <T>(x: T): T => deserialize(serialize(x)) as T;

/** Parses exposition text into name{labels} → value. */
function parse(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

/** A hand-made export: series (id, label, packets, bytes). */
function exp(series: [number, string, number, number][]): FlowSeriesExport {
  const labelText: string[] = [];
  for (const [id, l] of series) labelText[id] = l;
  return {
    count: series.length,
    ids: Int32Array.from(series.map((s) => s[0])),
    packets: Float64Array.from(series.map((s) => s[2])),
    bytes: Float64Array.from(series.map((s) => s[3])),
    labelText,
    overflowLabels: 'a="other"',
  };
}

test('label text crosses once per series; slot reuse, removal and return are rendered with the right labels', () => {
  const sender = new FlowSeriesSender();
  const mirror = new FlowSeriesMirror();
  const step = (x: FlowSeriesExport, overflow: number) => {
    // Through a real structured clone, as over the IPC channel.
    const d = v8Clone(sender.delta(x));
    mirror.apply(d, overflow, overflow * 10);
    return { d, m: parse(mirror.render().toString('latin1')) };
  };
  let r = step(exp([[0, 'a="x"', 1, 100], [3, 'a="y"', 2, 200]]), 0);
  assert.deepEqual([...r.d.addedIds], [0, 3]);
  assert.equal(r.m.get('netmon_flow_packets_total{a="x"}'), 1);
  assert.equal(r.m.get('netmon_flow_bytes_total{a="y"}'), 200);
  assert.equal(r.m.get('netmon_flow_packets_total{a="other"}'), 0);

  // Same series, new values: no label text sent.
  r = step(exp([[0, 'a="x"', 5, 500], [3, 'a="y"', 2, 200]]), 1);
  assert.equal(r.d.addedIds.length, 0);
  assert.equal(r.d.removedIds.length, 0);
  assert.equal(r.m.get('netmon_flow_packets_total{a="x"}'), 5);
  assert.equal(r.m.get('netmon_flow_bytes_total{a="other"}'), 10);

  // Slot 0 now holds another flow; slot 3 is gone.
  r = step(exp([[0, 'a="z"', 7, 70]]), 1);
  assert.deepEqual([...r.d.addedIds], [0]);
  assert.deepEqual([...r.d.removedIds], [3]);
  assert.equal(r.m.get('netmon_flow_packets_total{a="z"}'), 7);
  assert.equal(r.m.has('netmon_flow_packets_total{a="x"}'), false);
  assert.equal(r.m.has('netmon_flow_packets_total{a="y"}'), false);
  assert.equal(r.m.size, 4, 'z and overflow, in two families');

  // Slot 3 comes back with the same text: it was forgotten, so it is sent again.
  r = step(exp([[0, 'a="z"', 8, 80], [3, 'a="y"', 1, 10]]), 2);
  assert.deepEqual([...r.d.addedIds], [3]);
  assert.equal(r.m.get('netmon_flow_packets_total{a="y"}'), 1);
});

test('a real flow table through sender and mirror: every packet counted once per flow, series churn included', () => {
  const t = new FlowTable({ idleTimeout: 5, activeTimeout: 1000, maxSeries: 1000 });
  const sender = new FlowSeriesSender();
  const mirror = new FlowSeriesMirror();
  const pkt = new DecodedPacket();
  let ts = 0;
  // Rounds of flows: each round's flows live 1 s then idle out, so their slots are reused by the next round.
  for (let round = 0; round < 6; round++) {
    for (let f = 0; f < 50; f++) {
      const n = 1 + ((round * 7 + f) % 5);
      for (let k = 0; k < n; k++) {
        pkt.reset();
        pkt.ipVersion = 4;
        pkt.addrs[0] = (10 << 24) | (round << 8) | f;
        pkt.addrs[4] = (192 << 24) | (168 << 16) | 1;
        pkt.ipProto = 17;
        pkt.srcPort = 1000 + f;
        pkt.dstPort = 53;
        pkt.wireLen = 60;
        pkt.ts = ts;
        t.observe(pkt);
      }
    }
    mirror.apply(v8Clone(sender.delta(t.exportFlowSeries())), t.stats.overflowPackets, t.stats.overflowBytes);
    const m = parse(mirror.render().toString('latin1'));
    for (let f = 0; f < 50; f++) {
      const n = 1 + ((round * 7 + f) % 5);
      const key = `src_ip="10.0.${round}.${f}",dst_ip="192.168.0.1",proto="udp",src_port="${1000 + f}",dst_port="53"`;
      assert.equal(m.get(`netmon_flow_packets_total{${key}}`), n, `round ${round} flow ${f}`);
      assert.equal(m.get(`netmon_flow_bytes_total{${key}}`), n * 60);
    }
    assert.equal(t.stats.seriesExported, 50, 'the previous round has idled out');
    ts += 10;
    t.advance(ts);
  }
});
