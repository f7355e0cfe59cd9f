import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodedPacket } from '../../src/decode/packet';
import { FlowTable } from '../../src/flow/flow-table';

/**
 * 1 000 000 TCP SYNs from random sources (one packet per flow) mixed with 300 normal flows, through
 * a table with the default budgets. Oracle: the normal flows' counts kept by the test itself.
 */
test('SYN flood: series within budget, normal flows exact, memory bounded', () => {
  const t = new FlowTable({});
  const maxSeries = t.options.maxSeries;
  const pkt = new DecodedPacket();
  let seed = 0x2545f491;
  const rnd32 = () => (seed = (Math.imul(seed, 1664525) + 1013904223) | 0) >>> 0;

  const NORMAL = 300;
  // Normal flow f: 10.0.(f>>8).(f&255):(20000+f) -> 192.168.1.1:443, heavier for small f.
  const weight = Array.from({ length: NORMAL }, (_, f) => 1 / (f + 1));
  const cum: number[] = [];
  weight.reduce((acc, w, i) => (cum[i] = acc + w), 0);
  const wsum = cum[NORMAL - 1]!;
  const expPk = new Float64Array(NORMAL);
  const expBy = new Float64Array(NORMAL);
  let totalPackets = 0;
  let renders = 0;
  let maxSeen = 0;
  const FLOOD = 1_000_000;
  const start = process.hrtime.bigint();
  let nextRender = 1;
  for (let i = 0; i < FLOOD; i++) {
    const ts = 1_700_000_000 + i / 100_000; // 100 000 flood packets/s of packet time
    pkt.ts = ts;
    pkt.ipVersion = 4;
    pkt.ipProto = 6;
    // Every 4th step also a normal packet (250 000 normal packets in all).
    if ((i & 3) === 0) {
      const r = ((rnd32() / 0x100000000) * wsum);
      let f = 0;
      while (cum[f]! < r) f++;
      const len = 64 + ((f * 37) % 1400);
      pkt.addrs[0] = (10 << 24) | f;
      pkt.addrs[4] = (192 << 24) | (168 << 16) | (1 << 8) | 1;
      pkt.srcPort = 20000 + f;
      pkt.dstPort = 443;
      pkt.wireLen = len;
      t.observe(pkt);
      expPk[f]!++;
      expBy[f]! += len;
      totalPackets++;
    }
    pkt.addrs[0] = rnd32() | 0;
    pkt.addrs[4] = (192 << 24) | (168 << 16) | (1 << 8) | 1;
    pkt.srcPort = rnd32() & 0xffff;
    pkt.dstPort = 80;
    pkt.wireLen = 60;
    t.observe(pkt);
    totalPackets++;
    if (ts >= 1_700_000_000 + nextRender) {
      // A scrape every second of packet time.
      nextRender++;
      const text = t.renderFlowFamilies().toString();
      renders++;
      maxSeen = Math.max(maxSeen, t.stats.seriesExported);
      assert.ok(text.length > 0);
    }
  }
  const elapsedNs = Number(process.hrtime.bigint() - start);
  const text = t.renderFlowFamilies().toString();
  const rss = process.memoryUsage().rss;

  const pk = new Map<string, number>();
  const by = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^netmon_flow_(packets|bytes)_total\{(.*)\} (\d+)$/.exec(line);
    if (m) (m[1] === 'packets' ? pk : by).set(m[2]!, Number(m[3]));
  }
  assert.ok(pk.size <= maxSeries + 1, `series ${pk.size}`);
  assert.ok(maxSeen <= maxSeries);
  let exact = 0;
  let exactTop50 = 0;
  for (let f = 0; f < NORMAL; f++) {
    if (expPk[f] === 0) continue;
    const key = `src_ip="10.0.${f >> 8}.${f & 255}",dst_ip="192.168.1.1",proto="tcp",src_port="${20000 + f}",dst_port="443"`;
    if (pk.get(key) === expPk[f] && by.get(key) === expBy[f]) {
      exact++;
      if (f < 50) exactTop50++;
    }
  }
  const normalSeen = expPk.filter((x) => x > 0).length;
  assert.ok(exact >= 0.9 * normalSeen, `exact ${exact}/${normalSeen}`);
  assert.equal(exactTop50, 50);
  // Nothing exported ended (the flood only evicts one-packet flows), so the family adds up exactly.
  assert.equal([...pk.values()].reduce((a, b) => a + b, 0), totalPackets);
  assert.ok(t.stats.evictionsCapacity > 0 && t.stats.activeFlows === t.options.maxFlows);
  assert.ok(rss < 250 * 1024 * 1024, `rss ${rss}`);
  console.log(
    `# flood: ${totalPackets} packets, ${(elapsedNs / totalPackets).toFixed(0)} ns/packet incl. test overhead and ${renders} renders; ` +
      `normal flows exact ${exact}/${normalSeen}; series ${pk.size}; capacity evictions ${t.stats.evictionsCapacity}; rss ${(rss / 1048576).toFixed(0)} MB`,
  );
});
