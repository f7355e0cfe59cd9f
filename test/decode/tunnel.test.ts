import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DECODE_OK, DecodeLayer } from '../../src/decode/decode-layer';
import { decodeFrame } from '../../src/decode/decode-frame';
import { DecodedPacket } from '../../src/decode/packet';
import { decodeTunnel, TUNNEL_EMPTY } from '../../src/decode/tunnel';
import { Tunnel } from '../../src/decode/tunnel-kind';
import { TcpAnalyzer } from '../../src/analysis/tcp-analyzer';
import { MAX_TUNNEL_DEPTH, TunnelAnalysis } from '../../src/engine/tunnel-analysis';
import { ETH, ethernet, ethIpv4Tcp, ethIpv6Tcp, ethIpv6Udp, ipv4, LT, prng, PROTO, tcp, udp } from '../support/frames';
import { capwap, carries, gre, GRE_PROTO, gtpu, l2tp, swappedFc, teredo, vxlanGpe, wrap, WRAPS } from '../support/tunnel-frames';
import { wifiBeacon, wifiNull } from '../support/wifi-frames';

const OPTIONS = { vxlanPorts: [4789], genevePorts: [6081], gtpuPorts: [2152], l2tpPorts: [1701], teredoPorts: [3544], vxlanGpePorts: [4790], greUdpPorts: [4754], mplsUdpPorts: [6635], capwapPorts: [5247] };
const NO_UDP = { vxlanPorts: [], genevePorts: [], gtpuPorts: [], l2tpPorts: [], teredoPorts: [], vxlanGpePorts: [], greUdpPorts: [], mplsUdpPorts: [], capwapPorts: [] };

function outer(frame: Buffer, capLen = frame.length): DecodedPacket {
  const p = new DecodedPacket();
  decodeFrame(frame, 0, capLen, frame.length, 7.25, LT.ETHERNET, p);
  return p;
}

function kindOf(p: DecodedPacket): number {
  return new TunnelAnalysis(OPTIONS, null, null, () => {}).kindOf(p);
}

const inner4 = ethIpv4Tcp({ src: '10.1.2.3', dst: '10.9.8.7', sport: 40000, dport: 443, flags: 0x02 }, Buffer.from('hello'));
const inner6tcp = ethIpv6Tcp({ src: '2001:db8::1', dst: '2001:db8::2', sport: 40001, dport: 443, flags: 0x02 }, Buffer.from('hello'));
const inner6 = ethIpv6Udp({ src: '2001:db8::53', dst: '2001:db8::99', sport: 53, dport: 33333 }, Buffer.alloc(30, 7));

test('every tunnel: the inner packet decodes to what the frame alone decodes to, with the outer frame\'s length and time', () => {
  for (const how of WRAPS) {
    for (const frame of [inner4, inner6].filter((f) => carries(how, f))) {
      const alone = outer(frame);
      const wrapped = wrap(how, frame, 2);
      const o = outer(wrapped);
      const kind = kindOf(o);
      assert.notEqual(kind, 0, `${how}: a tunnel`);
      const inner = new DecodedPacket();
      let rc = decodeTunnel(wrapped, o, kind, inner);
      if (how === 'vxlan-in-gre') {
        // The GRE packet holds a VXLAN one: one level more.
        assert.equal(kind, Tunnel.GRE);
        const next = new DecodedPacket();
        rc = decodeTunnel(wrapped, inner, kindOf(inner), next);
        Object.assign(inner, next);
      }
      assert.equal(rc, DECODE_OK, how);
      for (const f of ['ipVersion', 'ipProto', 'srcPort', 'dstPort', 'tcpFlags', 'isFragment'] as const) assert.equal(inner[f], alone[f], `${how} ${f}`);
      assert.deepEqual(Array.from(inner.addrs), Array.from(alone.addrs), how);
      // The same transport header and payload bytes, at the inner offset.
      assert.ok(wrapped.subarray(inner.l4Offset).equals(frame.subarray(alone.l4Offset)), `${how}: transport bytes`);
      assert.equal(inner.wireLen, wrapped.length);
      assert.equal(inner.frameOffset, 0);
      assert.equal(inner.ts, 7.25);
    }
  }
});

test('tunnel headers cut short at every length: an error of the tunnel or inner layer, never a read past the captured end', () => {
  const allowed = new Set<number>([DecodeLayer.GRE, DecodeLayer.VXLAN, DecodeLayer.GENEVE, DecodeLayer.GTPU, DecodeLayer.L2TP, DecodeLayer.TEREDO, DecodeLayer.CAPWAP, DecodeLayer.IEEE80211, DecodeLayer.ETHERNET, DecodeLayer.IPV4, DecodeLayer.IPV6, DecodeLayer.TCP, DecodeLayer.UDP, DecodeLayer.MPLS, DecodeLayer.PPP]);
  for (const how of WRAPS) {
    const wrapped = wrap(how, carries(how, inner4) ? inner4 : inner6tcp, 3);
    const full = outer(wrapped);
    const headerEnd = full.l4Offset >= 0 ? full.l4Offset + 8 : full.l3Offset + full.ipHeaderLen;
    for (let cap = headerEnd; cap < wrapped.length - 5; cap++) { // up to the end of the inner TCP header (5 bytes of payload follow)
      const o = outer(wrapped, cap);
      const kind = kindOf(o);
      if (kind === 0) continue;
      const inner = new DecodedPacket();
      const rc = decodeTunnel(wrapped, o, kind, inner);
      if (how === 'vxlan-in-gre' && rc === DECODE_OK) continue; // the GRE level decoded; its VXLAN is the next level
      assert.ok(rc === TUNNEL_EMPTY || allowed.has(rc), `${how} cut at ${cap}: ${rc}`);
      if (rc === DECODE_OK) assert.fail(`${how} cut at ${cap} decoded without error`);
      assert.ok(inner.l4Offset < cap && inner.l3Offset <= cap, `${how} cut at ${cap}: offsets inside the capture`);
    }
  }
});

test('payloads a tunnel does not carry IP in are not decoded and not errors', () => {
  const o4 = (proto: number, payload: Buffer) => ethernet({ etherType: ETH.IPV4 }, ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto }, payload));
  const ip = inner4.subarray(14);
  const cases: Array<[string, Buffer]> = [
    ['GRE version 2', o4(47, Buffer.concat([Buffer.from([0x00, 0x02, 0x08, 0x00]), ip]))],
    ['GRE carrying ARP', o4(47, gre({ protocol: 0x0806 }, Buffer.alloc(28)))],
    ['GRE of an unknown protocol', o4(47, gre({ protocol: 0x1234 }, ip))],
    ['PPTP acknowledgement without payload', o4(47, gre({ protocol: GRE_PROTO.PPP, version: 1, key: 1, ack: 5 }))],
    ['PPTP carrying LCP', o4(47, gre({ protocol: GRE_PROTO.PPP, version: 1, key: 1, seq: 1 }, Buffer.from([0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 4])))],
    ['GTP-U echo request', o4(PROTO.UDP, udp({ sport: 2152, dport: 2152 }, Buffer.from([0x32, 0x01, 0, 4, 0, 0, 0, 0, 0, 1, 0, 0])))],
    ['GTP\' (PT 0)', o4(PROTO.UDP, udp({ sport: 2152, dport: 2152 }, Buffer.concat([Buffer.from([0x20, 0xff, 0, 40, 0, 0, 0, 1]), ip])))],
    ['GTP-U G-PDU of something not IP', o4(PROTO.UDP, udp({ sport: 2152, dport: 2152 }, gtpu({ teid: 1 }, Buffer.from([0x01, 0x02, 0x03]))))],
    ['L2TP control message (Hello)', o4(PROTO.UDP, udp({ sport: 1701, dport: 1701 }, Buffer.from([0xc8, 0x02, 0, 20, 0x05, 0xf7, 0, 0, 0, 1, 0, 2, 0x80, 8, 0, 0, 0, 0, 0, 6])))],
    ['L2TPv3 over UDP', o4(PROTO.UDP, udp({ sport: 1701, dport: 1701 }, Buffer.concat([Buffer.from([0x00, 0x03, 0, 0, 0, 0, 0, 9]), ip])))],
    ['L2TP data message without payload', o4(PROTO.UDP, udp({ sport: 1701, dport: 1701 }, Buffer.from([0x40, 0x02, 0, 6, 0x12, 0x34, 0, 0x42])))],
    ['Teredo bubble (origin indication only)', o4(PROTO.UDP, udp({ sport: 3544, dport: 50000 }, teredo({ origin: true }, Buffer.alloc(0))))],
    ['VXLAN-GPE carrying NSH', o4(PROTO.UDP, udp({ sport: 50000, dport: 4790 }, vxlanGpe(4, 1, ip)))],
    ['CAPWAP keep-alive', o4(PROTO.UDP, udp({ sport: 50000, dport: 5247 }, capwap({ flags: 0x08 }, Buffer.from([0, 4, 0, 0]))))],
    ['CAPWAP over DTLS', o4(PROTO.UDP, udp({ sport: 50000, dport: 5247 }, capwap({ dtls: true }, inner4)))],
    ['CAPWAP fragment (not reassembled)', o4(PROTO.UDP, udp({ sport: 50000, dport: 5247 }, capwap({ flags: 0x80 }, inner4)))],
    ['CAPWAP carrying an 802.11 beacon', o4(PROTO.UDP, udp({ sport: 50000, dport: 5247 }, capwap({ wlan: true }, swappedFc(wifiBeacon()))))],
    ['Aruba GRE carrying 802.11 null data', o4(47, gre({ protocol: 0x8210 }, wifiNull()))],
    ['CAPWAP native frame of another binding (EPCGlobal)', o4(PROTO.UDP, udp({ sport: 50000, dport: 5247 }, capwap({ wlan: true, wbid: 3 }, ip)))],
    ['L2TP carrying LCP', o4(PROTO.UDP, udp({ sport: 50000, dport: 1701 }, Buffer.concat([l2tp({}, Buffer.alloc(0)).subarray(0, 6), Buffer.from([0xff, 0x03, 0xc0, 0x21, 9, 1, 0, 8, 0, 0, 0, 0])])))],
  ];
  for (const [name, frame] of cases) {
    const o = outer(frame);
    const inner = new DecodedPacket();
    assert.equal(decodeTunnel(frame, o, kindOf(o), inner), TUNNEL_EMPTY, name);
    assert.equal(inner.ipVersion, 0, name);
  }
});

test('L2TP data messages with every combination of the optional fields and PPP framings; Teredo with and without authentication (ids of 0-3 and 0-4 bytes) and origin indication; VXLAN-GPE with IP or Ethernet', () => {
  for (const [how, kind] of [['l2tp', Tunnel.L2TP], ['teredo', Tunnel.TEREDO], ['vxlan-gpe', Tunnel.VXLAN_GPE]] as const) {
    for (let n = 0; n < 140; n++) {
      for (const frame of [inner4, inner6, inner6tcp].filter((f) => carries(how, f))) {
        const alone = outer(frame);
        const wrapped = wrap(how, frame, n);
        const o = outer(wrapped);
        assert.equal(kindOf(o), kind);
        const inner = new DecodedPacket();
        assert.equal(decodeTunnel(wrapped, o, kind, inner), DECODE_OK, `${how} variant ${n}`);
        assert.deepEqual([inner.ipVersion, inner.srcPort, inner.dstPort], [alone.ipVersion, alone.srcPort, alone.dstPort], `${how} variant ${n}`);
        assert.ok(wrapped.subarray(inner.l4Offset).equals(frame.subarray(alone.l4Offset)), `${how} variant ${n}: transport bytes`);
      }
    }
  }
  // An offset size pointing past the captured end is an L2TP error, not a read beyond it.
  const ip = inner4.subarray(14);
  const frame = ethernet({ etherType: ETH.IPV4 }, ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto: PROTO.UDP }, udp({ sport: 1701, dport: 1701 }, Buffer.concat([Buffer.from([0x02, 0x02, 0, 1, 0, 1, 0xff, 0xff]), ip]))));
  assert.equal(decodeTunnel(frame, outer(frame), Tunnel.L2TP, new DecodedPacket()), DecodeLayer.L2TP);
});

test('GRE with RFC 1701 source routing entries, and a routing list cut short', () => {
  const ip = inner4.subarray(14);
  const routed = Buffer.concat([
    Buffer.from([0x40, 0x00, 0x08, 0x00, 0, 0, 0, 0]), // R set: checksum and offset words present
    Buffer.from([0x08, 0x00, 0x00, 0x08]), Buffer.alloc(8, 0xaa), // an IP source route entry of 8 bytes
    Buffer.from([0x00, 0x00, 0x00, 0x00]), // the terminating entry
    ip,
  ]);
  const frame = ethernet({ etherType: ETH.IPV4 }, ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto: 47 }, routed));
  const o = outer(frame);
  const inner = new DecodedPacket();
  assert.equal(decodeTunnel(frame, o, Tunnel.GRE, inner), DECODE_OK);
  assert.equal(inner.dstPort, 443);
  const cut = frame.subarray(0, 14 + 20 + 8 + 4 + 4);
  assert.equal(decodeTunnel(cut, outer(cut), Tunnel.GRE, inner), DecodeLayer.GRE);
});

test('kindOf: IP protocols 4, 41, 47 and the configured UDP ports (destination first), never a fragment', () => {
  const o4 = (proto: number, payload: Buffer, mf = false) => outer(ethernet({ etherType: ETH.IPV4 }, ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto, mf }, payload)));
  assert.equal(kindOf(o4(4, inner4.subarray(14))), Tunnel.IPIP);
  assert.equal(kindOf(o4(41, inner6.subarray(14))), Tunnel.IPIP);
  assert.equal(kindOf(o4(47, gre({ protocol: 0x0800 }))), Tunnel.GRE);
  assert.equal(kindOf(o4(47, gre({ protocol: 0x0800 }), true)), 0, 'a first fragment');
  assert.equal(kindOf(o4(PROTO.UDP, udp({ sport: 50000, dport: 4789 }, Buffer.alloc(8)))), Tunnel.VXLAN);
  assert.equal(kindOf(o4(PROTO.UDP, udp({ sport: 6081, dport: 50000 }, Buffer.alloc(8)))), Tunnel.GENEVE);
  assert.equal(kindOf(o4(PROTO.UDP, udp({ sport: 4789, dport: 2152 }, Buffer.alloc(8)))), Tunnel.GTPU, 'the destination port decides first');
  assert.equal(kindOf(o4(PROTO.UDP, udp({ sport: 8472, dport: 50000 }, Buffer.alloc(8)))), 0, '8472 is not configured');
  assert.equal(kindOf(o4(PROTO.TCP, tcp({ sport: 4789, dport: 4789, flags: 2 }))), 0, 'TCP is never a tunnel');
  assert.equal(kindOf(o4(PROTO.UDP, udp({ sport: 1701, dport: 1701 }, Buffer.alloc(8)))), Tunnel.L2TP);
  assert.equal(kindOf(o4(PROTO.UDP, udp({ sport: 3544, dport: 40000 }, Buffer.alloc(8)))), Tunnel.TEREDO);
  assert.equal(kindOf(o4(PROTO.UDP, udp({ sport: 40000, dport: 4790 }, Buffer.alloc(8)))), Tunnel.VXLAN_GPE);
  assert.equal(kindOf(o4(PROTO.UDP, udp({ sport: 40000, dport: 4754 }, Buffer.alloc(8)))), Tunnel.GRE_UDP);
  assert.equal(kindOf(o4(PROTO.UDP, udp({ sport: 40000, dport: 6635 }, Buffer.alloc(8)))), Tunnel.MPLS_UDP);
  const flannel = new TunnelAnalysis({ ...NO_UDP, vxlanPorts: [8472] }, null, null, () => {});
  assert.equal(flannel.kindOf(o4(PROTO.UDP, udp({ sport: 50000, dport: 8472 }, Buffer.alloc(8)))), Tunnel.VXLAN);
  assert.equal(flannel.kindOf(o4(PROTO.UDP, udp({ sport: 50000, dport: 4789 }, Buffer.alloc(8)))), 0);
  const none = new TunnelAnalysis(NO_UDP, null, null, () => {});
  assert.equal(none.kindOf(o4(PROTO.UDP, udp({ sport: 4789, dport: 4789 }, Buffer.alloc(8)))), 0);
  assert.equal(none.kindOf(o4(47, gre({ protocol: 0x0800 }))), Tunnel.GRE);
});

test(`tunnels inside tunnels: followed ${MAX_TUNNEL_DEPTH} deep, each level counted; a SYN deeper than that is not analysed`, () => {
  const nest = (levels: number) => {
    let ip = inner4.subarray(14);
    for (let i = 0; i < levels; i++) ip = ipv4({ src: `192.0.2.${i + 1}`, dst: '192.0.2.200', proto: 47 }, gre({ protocol: 0x0800 }, ip));
    return ethernet({ etherType: ETH.IPV4 }, ip);
  };
  for (const [levels, analysed] of [[MAX_TUNNEL_DEPTH, 1], [MAX_TUNNEL_DEPTH + 1, 0]] as const) {
    const tcpAnalyzer = new TcpAnalyzer({ maxConnections: 64, idleTimeout: 120, establishedTimeout: 900, synTimeout: 30, maxFragmented: 64 });
    tcpAnalyzer.addInterface();
    const errors: number[] = [];
    const t = new TunnelAnalysis(OPTIONS, null, tcpAnalyzer, (layer) => errors.push(layer));
    const frame = nest(levels);
    const o = outer(frame);
    t.observe(0, frame, o, t.kindOf(o));
    assert.equal(t.decoded[Tunnel.GRE], MAX_TUNNEL_DEPTH, `${levels} levels`);
    assert.equal(tcpAnalyzer.connections, analysed, `${levels} levels: the SYN reached the TCP analysis`);
    assert.deepEqual(errors, []);
  }
});

test('an inner packet cut short is counted as its layer\'s decode error, once', () => {
  const frame = wrap('vxlan', inner4, 1);
  const cap = frame.length - inner4.length + 14 + 20 + 10; // the inner TCP header cut after 10 bytes
  const o = outer(frame, cap);
  const errors: number[] = [];
  const tcpAnalyzer = new TcpAnalyzer({ maxConnections: 64, idleTimeout: 120, establishedTimeout: 900, synTimeout: 30, maxFragmented: 64 });
  tcpAnalyzer.addInterface();
  const t = new TunnelAnalysis(OPTIONS, null, tcpAnalyzer, (layer) => errors.push(layer));
  t.observe(0, frame.subarray(0, cap), o, t.kindOf(o));
  assert.deepEqual(errors, [DecodeLayer.TCP]);
  assert.equal(t.decoded[Tunnel.VXLAN], 1);
  assert.equal(tcpAnalyzer.connections, 0);
});

test('fuzz: mutated tunnel frames never throw and keep the inner offsets inside the capture', () => {
  const rand = prng(0x7e1);
  const templates = WRAPS.flatMap((how) => [inner4, inner6].filter((f) => carries(how, f)).map((f, i) => wrap(how, f, 4 + i)));
  const t = new TunnelAnalysis(OPTIONS, null, null, () => {});
  const inner = new DecodedPacket();
  for (let i = 0; i < 20_000; i++) {
    const b = Buffer.from(templates[i % templates.length]!);
    const o = outer(b);
    const start = o.l3Offset + o.ipHeaderLen;
    for (let k = 1 + Math.floor(rand() * 4); k > 0; k--) b[start + Math.floor(rand() * (b.length - start))] = Math.floor(rand() * 256);
    const cap = start + Math.floor(rand() * (b.length - start + 1));
    const o2 = outer(b, cap);
    const kind = t.kindOf(o2);
    if (kind === 0) continue;
    decodeTunnel(b, o2, kind, inner);
    assert.ok(inner.l3Offset <= cap && inner.l4Offset < cap, `iteration ${i}`);
    if (inner.l4Offset >= 0) assert.ok(inner.l4Offset >= inner.l3Offset);
  }
});
