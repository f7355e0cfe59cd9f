/**
 * Seeded fuzz test: 100 000 random and mutated frames across all link types (and some unsupported
 * ones) through decodeFrame. Nothing may throw, and the decoded fields must satisfy the
 * DecodedPacket invariants whatever the input. Mutations of valid frames reach deep layers that
 * random bytes rarely do; length fields are targeted because they drive the bounds checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DECODE_LAYER_NAMES, DECODE_OK, DecodeLayer } from '../../src/decode/decode-layer';
import { DecodedPacket } from '../../src/decode/packet';
import { decodeFrame } from '../../src/decode/decode-frame';
import { SUPPORTED_LINK_TYPES } from '../../src/decode/link-types';
import { arcnet, arp, ETH, ethernet, fddi, icmp, icmpv6, ipoib, ipv4, ipv6, LT, mplsStack, nflog, nullLoopback, pppoeSession, prng, PROTO, sctp, sll, sll2, tcp, udp } from '../support/frames';
import { LT_80211, ppi, radiotap, wifiData } from '../support/wifi-frames';

const ITERATIONS = 100_000;
const SEED = 0x5eed1234;

/** Minimum transport header the decoder requires before setting l4Offset. */
const L4_MIN: Record<number, number> = { 6: 20, 17: 8, 132: 12, 1: 8, 58: 4 };
/** Below the network layer: the layers a link type's errors may come from. */
const ENCAP = [DecodeLayer.PPPOE, DecodeLayer.MPLS];
const LAYER_OF_LINK: Record<number, number[]> = {
  [LT.ETHERNET]: [DecodeLayer.ETHERNET, DecodeLayer.VLAN, ...ENCAP],
  [LT.LINUX_SLL]: [DecodeLayer.SLL, DecodeLayer.VLAN, ...ENCAP],
  [LT.LINUX_SLL2]: [DecodeLayer.SLL2, DecodeLayer.VLAN, ...ENCAP],
  [LT.NULL]: [DecodeLayer.NULL],
  [LT.LOOP]: [DecodeLayer.NULL],
  [LT.PPP]: [DecodeLayer.PPP, DecodeLayer.CHDLC, ...ENCAP],
  [LT.PPP_HDLC]: [DecodeLayer.PPP, DecodeLayer.CHDLC, ...ENCAP],
  [LT.PPP_ETHER]: [DecodeLayer.PPPOE],
  [LT.C_HDLC]: [DecodeLayer.CHDLC, ...ENCAP],
  [LT_80211.IEEE802_11]: [DecodeLayer.IEEE80211, DecodeLayer.VLAN, ...ENCAP],
  [LT_80211.RADIOTAP]: [DecodeLayer.RADIOTAP, DecodeLayer.IEEE80211, DecodeLayer.VLAN, ...ENCAP],
  [LT_80211.PPI]: [DecodeLayer.PPI, DecodeLayer.IEEE80211, DecodeLayer.VLAN, ...ENCAP],
  [LT.NFLOG]: [DecodeLayer.NFLOG, DecodeLayer.VLAN, ...ENCAP],
  [LT.FDDI]: [DecodeLayer.FDDI, DecodeLayer.VLAN, ...ENCAP],
  [LT.ARCNET_BSD]: [DecodeLayer.ARCNET],
  [LT.ARCNET_LINUX]: [DecodeLayer.ARCNET],
  [LT.IPOIB]: [DecodeLayer.IPOIB],
};
const LINK_LAYERS = new Set<number>([DecodeLayer.ETHERNET, DecodeLayer.VLAN, DecodeLayer.SLL, DecodeLayer.SLL2, DecodeLayer.NULL, DecodeLayer.PPP, DecodeLayer.CHDLC, DecodeLayer.IEEE80211, DecodeLayer.RADIOTAP, DecodeLayer.PPI, DecodeLayer.NFLOG, DecodeLayer.FDDI, DecodeLayer.ARCNET, DecodeLayer.IPOIB, ...ENCAP]);

function templates(): Array<{ lt: number; data: Buffer }> {
  const src = '10.0.0.1';
  const dst = '192.168.77.1';
  const s6 = '2001:db8::1';
  const d6 = 'fe80::abcd:1';
  const l3: Array<[number, Buffer]> = [
    [ETH.IPV4, ipv4({ src, dst, proto: PROTO.TCP }, tcp({ sport: 1, dport: 2, flags: 2, options: Buffer.alloc(12, 1) }, Buffer.alloc(20)))],
    [ETH.IPV4, ipv4({ src, dst, proto: PROTO.UDP, options: Buffer.alloc(8, 1) }, udp({ sport: 3, dport: 4 }, Buffer.alloc(10)))],
    [ETH.IPV4, ipv4({ src, dst, proto: PROTO.SCTP }, sctp({ sport: 5, dport: 6 }, Buffer.alloc(16)))],
    [ETH.IPV4, ipv4({ src, dst, proto: PROTO.ICMP }, icmp({ type: 8, code: 0 }, Buffer.alloc(8)))],
    [ETH.IPV4, ipv4({ src, dst, proto: PROTO.UDP, mf: true, fragOffset: 1480 }, Buffer.alloc(40))],
    [ETH.IPV4, ipv4({ src, dst, proto: PROTO.UDP, mf: true }, udp({ sport: 7, dport: 8 }, Buffer.alloc(40)))],
    [ETH.IPV6, ipv6({ src: s6, dst: d6, nextHeader: PROTO.TCP }, tcp({ sport: 9, dport: 10, flags: 0x12 }))],
    [ETH.IPV6, ipv6({ src: s6, dst: d6, nextHeader: PROTO.ICMPV6 }, icmpv6({ type: 128, code: 0 }, Buffer.alloc(8)))],
    [ETH.IPV6, ipv6({
      src: s6, dst: d6, nextHeader: PROTO.UDP,
      ext: [{ type: 0 }, { type: 60, options: Buffer.alloc(6) }, { type: 43, data: Buffer.alloc(16) }, { type: 44, more: true }, { type: 51 }, { type: 135 }],
    }, udp({ sport: 11, dport: 12 }))],
    [ETH.IPV6, ipv6({ src: s6, dst: d6, nextHeader: PROTO.SCTP, ext: [{ type: 44, offset: 64 }] }, Buffer.alloc(24))],
    [ETH.IPV6, ipv6({ src: s6, dst: d6, nextHeader: PROTO.ESP, ext: [{ type: 60 }] }, Buffer.alloc(24))],
    [ETH.ARP, arp({ op: 2, senderIp: src, targetIp: dst })],
  ];
  const out: Array<{ lt: number; data: Buffer }> = [];
  for (const [et, b] of l3) {
    out.push({ lt: LT.ETHERNET, data: ethernet({ etherType: et }, b) });
    out.push({ lt: LT.FDDI, data: fddi({ etherType: et }, b) });
    const arcId = et === ETH.IPV4 ? 0xd4 : et === ETH.IPV6 ? 0xc4 : 0xf1;
    out.push({ lt: LT.ARCNET_BSD, data: arcnet({ linux: false, id: arcId, exception: et === ETH.IPV4 }, b) });
    out.push({ lt: LT.IPOIB, data: ipoib({ etherType: et }, b) });
    out.push({ lt: LT.ARCNET_LINUX, data: arcnet({ linux: true, id: et === ETH.IPV4 ? 0xf0 : arcId }, b) });
    out.push({ lt: LT.ETHERNET, data: ethernet({ etherType: et, vlans: [{ tpid: 0x88a8, vid: 1 }, { vid: 2 }] }, b) });
    out.push({ lt: LT.LINUX_SLL, data: sll({ protocol: et }, b) });
    out.push({ lt: LT.LINUX_SLL2, data: sll2({ protocol: et }, b) });
    if (et !== ETH.ARP) {
      const af = et === ETH.IPV4 ? 2 : 28;
      out.push({ lt: LT.NULL, data: nullLoopback(af, b, true) });
      out.push({ lt: LT.LOOP, data: nullLoopback(af, b, false) });
      for (const lt of [LT.RAW, LT.RAW_12, LT.RAW_14, LT.IPV4, LT.IPV6]) out.push({ lt, data: b });
      const ppp = pppoeSession({ protocol: et === ETH.IPV4 ? 0x0021 : 0x0057 }, b);
      out.push({ lt: LT.ETHERNET, data: ethernet({ etherType: ETH.PPPOE_SESSION }, ppp) });
      out.push({ lt: LT.ETHERNET, data: ethernet({ etherType: ETH.MPLS }, mplsStack([16, 17], b)) });
      out.push({ lt: LT.PPP_ETHER, data: ppp });
      out.push({ lt: LT.PPP, data: Buffer.concat([Buffer.from([0xff, 0x03]), ppp.subarray(6)]) });
      out.push({ lt: LT.PPP_HDLC, data: ppp.subarray(6) });
      out.push({ lt: LT.C_HDLC, data: Buffer.concat([Buffer.from([0x0f, 0x00, et >> 8, et & 0xff]), b]) });
      const wifi = wifiData(et, b, { qos: true, ht: et === ETH.IPV6, wds: et === ETH.IPV4 });
      out.push({ lt: LT_80211.IEEE802_11, data: wifi });
      out.push({ lt: LT_80211.RADIOTAP, data: radiotap(wifiData(et, b, { pad: true }), { tsft: true, fcs: true, pad: true, extraBitmaps: 1 }) });
      out.push({ lt: LT_80211.PPI, data: ppi(wifi, { fcs: true }) });
      out.push({ lt: LT.NFLOG, data: nflog({ family: et === ETH.IPV4 ? 2 : 10, hwProtocol: et, prefix: 'fuzz' }, b) });
      out.push({ lt: LT.NFLOG, data: nflog({ family: et === ETH.IPV4 ? 2 : 10, littleEndian: false, after: [11] }, b) });
    }
  }
  return out;
}

function checkInvariants(rc: number, p: DecodedPacket, buf: Buffer, lt: number): void {
  assert.ok(rc === DECODE_OK || (Number.isInteger(rc) && rc >= 0 && rc < DECODE_LAYER_NAMES.length), `rc ${rc}`);
  assert.equal(p.linkType, lt);
  assert.ok(p.frameOffset >= 0 && p.frameOffset <= p.capEnd && p.capEnd <= buf.length);
  assert.ok(p.wireEnd <= p.frameOffset + p.wireLen, `wireEnd ${p.wireEnd} past the wire length`);
  if (rc === DecodeLayer.UNSUPPORTED_LINK) assert.equal(SUPPORTED_LINK_TYPES.has(lt), false);
  else assert.equal(SUPPORTED_LINK_TYPES.has(lt), true);
  const linkLayers = LAYER_OF_LINK[lt];
  if (linkLayers && LINK_LAYERS.has(rc)) assert.ok(linkLayers.includes(rc), `rc ${rc} lt ${lt}`);

  // VLAN
  assert.equal(p.vlanDepth === 0, p.vlanId === -1);
  assert.ok(p.vlanId >= -1 && p.vlanId <= 4095);
  assert.ok(p.frameOffset + 4 * p.vlanDepth <= p.capEnd);

  // Network layer
  assert.equal(p.l3Offset === -1, p.etherType === 0);
  if (p.l3Offset !== -1) assert.ok(p.l3Offset >= p.frameOffset && p.l3Offset <= p.capEnd);
  if (rc === DecodeLayer.IPV4) assert.equal(p.etherType, 0x0800);
  if (rc === DecodeLayer.IPV6) assert.equal(p.etherType, 0x86dd);
  if (rc === DecodeLayer.ARP) assert.equal(p.etherType, 0x0806);
  const a = p.addrs;
  if (p.ipVersion === 0) {
    assert.equal(p.ipProto, -1);
    assert.equal(p.ipHeaderLen, 0);
    assert.equal(p.isFragment, false);
    assert.equal(p.l4Offset, -1);
    assert.ok(a[1] === 0 && a[2] === 0 && a[3] === 0 && a[5] === 0 && a[6] === 0 && a[7] === 0);
    if (p.etherType !== 0x0806) assert.ok(a[0] === 0 && a[4] === 0);
  } else if (p.ipVersion === 4) {
    assert.equal(p.etherType, 0x0800);
    assert.ok(p.ipHeaderLen >= 20 && p.ipHeaderLen <= 60 && p.ipHeaderLen % 4 === 0);
    assert.ok(p.ipProto >= 0 && p.ipProto <= 255);
    assert.ok(a[1] === 0 && a[2] === 0 && a[3] === 0 && a[5] === 0 && a[6] === 0 && a[7] === 0);
    assert.ok(p.fragOffset <= 65528);
  } else {
    assert.equal(p.ipVersion, 6);
    assert.equal(p.etherType, 0x86dd);
    assert.ok(p.ipHeaderLen >= 40 && p.ipHeaderLen % 4 === 0);
    assert.ok(p.ipProto >= -1 && p.ipProto <= 255);
  }
  // Unless the IP layer itself failed, its whole header (options, extension chain) was captured.
  if (p.ipVersion !== 0 && rc !== DecodeLayer.IPV4 && rc !== DecodeLayer.IPV6) {
    assert.ok(p.l3Offset + p.ipHeaderLen <= p.capEnd);
  }
  assert.ok(p.fragOffset % 8 === 0 && p.fragOffset >= 0);
  if (p.fragOffset > 0) assert.equal(p.isFragment, true);

  // Transport layer
  if (p.l4Offset === -1) {
    // Ports without a decoded header: only a TCP/UDP header cut short after them (an error), and
    // only when both were captured.
    if (p.srcPort !== 0 || p.dstPort !== 0) {
      const layer = p.ipProto === 6 ? DecodeLayer.TCP : p.ipProto === 17 ? DecodeLayer.UDP : -2;
      assert.equal(rc, layer);
      assert.equal(p.fragOffset, 0);
      assert.ok(p.l3Offset + p.ipHeaderLen + 4 <= p.capEnd);
    }
    assert.equal(p.tcpFlags, 0);
    assert.equal(p.icmpType, -1);
    assert.equal(p.icmpCode, -1);
    if (rc === DECODE_OK && p.ipVersion !== 0 && p.fragOffset === 0) assert.ok(!(p.ipProto in L4_MIN), `proto ${p.ipProto}`);
  } else {
    const min = L4_MIN[p.ipProto];
    assert.ok(min !== undefined, `l4 for proto ${p.ipProto}`);
    assert.equal(p.fragOffset, 0);
    assert.equal(p.l4Offset, p.l3Offset + p.ipHeaderLen);
    assert.ok(p.l4Offset + min <= p.capEnd);
    if (p.ipProto === 1 || p.ipProto === 58) {
      assert.ok(p.icmpType >= 0 && p.icmpType <= 255 && p.srcPort === 0 && p.dstPort === 0);
    } else {
      assert.equal(p.icmpType, -1);
    }
    if (p.ipProto !== 6) assert.equal(p.tcpFlags, 0);
  }
  for (const [layer, proto] of [[DecodeLayer.TCP, 6], [DecodeLayer.UDP, 17], [DecodeLayer.SCTP, 132], [DecodeLayer.ICMP, 1], [DecodeLayer.ICMPV6, 58]]) {
    if (rc === layer) assert.equal(p.ipProto, proto);
  }
}

/** Snapshot of every field, to compare two decodes of the same bytes. */
function snapshot(p: DecodedPacket): string {
  const rel = (o: number): number => (o === -1 ? -1 : o - p.frameOffset);
  return JSON.stringify({
    ...p, addrs: Array.from(p.addrs), frameOffset: 0, capEnd: rel(p.capEnd), wireEnd: rel(p.wireEnd), l3Offset: rel(p.l3Offset), l4Offset: rel(p.l4Offset),
  });
}

test(`fuzz: ${ITERATIONS} random and mutated frames never throw and keep the invariants`, () => {
  const rand = prng(SEED);
  const int = (n: number): number => Math.floor(rand() * n);
  const tpl = templates();
  const linkTypes = [...SUPPORTED_LINK_TYPES, 2, 119, 163, 65535];
  // Length-ish fields worth corrupting, relative to the network header.
  const l3Hot = [0, 2, 3, 4, 5, 6, 7, 9, 20, 32, 40, 41, 44, 46, 48, 49, 52, 53];
  const p = new DecodedPacket();
  const fresh = new DecodedPacket();
  const counts = new Map<number, number>();
  const big = Buffer.alloc(4096);
  const start = Date.now();
  for (let i = 0; i < ITERATIONS; i++) {
    let lt: number;
    let data: Buffer;
    const mode = rand();
    if (mode < 0.15) {
      lt = linkTypes[int(linkTypes.length)];
      data = Buffer.alloc(int(120));
      for (let k = 0; k < data.length; k++) data[k] = int(256);
    } else {
      const t = tpl[int(tpl.length)];
      lt = rand() < 0.03 ? linkTypes[int(linkTypes.length)] : t.lt;
      data = Buffer.from(t.data);
      const m = rand();
      if (m < 0.4) {
        const flips = 1 + int(8);
        for (let k = 0; k < flips; k++) data[int(data.length)] ^= 1 << int(8);
      } else if (m < 0.75) {
        // Corrupt a length / type / version byte near the network header.
        const base = lt === LT.ETHERNET ? [14, 22][int(2)] : lt === LT.LINUX_SLL ? 16 : lt === LT.LINUX_SLL2 ? 20 : lt === LT.NULL || lt === LT.LOOP || lt === LT.C_HDLC ? 4 : lt === LT.PPP_ETHER ? 8 : 0;
        const at = base + l3Hot[int(l3Hot.length)];
        if (at < data.length) data[at] = [0, 0xff, 0x0f, 0xf0, 0x45, 0x60, 1, int(256)][int(8)];
      } else {
        for (let k = 0; k < 1 + int(3); k++) data[int(data.length)] = int(256);
      }
    }
    // Truncation: as captured with a short snap length (capLen < data.length).
    const capLen = rand() < 0.5 ? int(data.length + 1) : data.length;
    // Decode in place inside a larger buffer filled with junk around the frame...
    const off = int(64);
    for (let k = 0; k < off; k++) big[k] = int(256);
    data.copy(big, off);
    for (let k = 0; k < 64; k++) big[off + capLen + k] = int(256);
    const rc = decodeFrame(big, off, capLen, data.length, i, lt, p);
    checkInvariants(rc, p, big, lt);
    counts.set(rc, (counts.get(rc) ?? 0) + 1);
    // ...and the same bytes alone in an exact-size buffer with a fresh DecodedPacket: identical
    // results prove the decoder read nothing outside [offset, capEnd) and nothing leaked from
    // the previous frame through the reused instance.
    if (i % 8 === 0) {
      const exact = Buffer.from(data.subarray(0, capLen));
      const rc2 = decodeFrame(exact, 0, capLen, data.length, i, lt, fresh);
      assert.equal(rc2, rc);
      assert.equal(snapshot(fresh), snapshot(p), `iteration ${i} lt ${lt} ${exact.toString('hex')}`);
    }
  }
  const ms = Date.now() - start;
  // The corpus must have reached every error layer of a frame and plenty of successes (the tunnel
  // layers come from decodeTunnel: test/decode/tunnel.test.ts).
  const tunnelLayers = new Set<number>([DecodeLayer.GRE, DecodeLayer.VXLAN, DecodeLayer.GENEVE, DecodeLayer.GTPU, DecodeLayer.L2TP, DecodeLayer.TEREDO, DecodeLayer.CAPWAP]);
  for (let layer = DecodeLayer.UNSUPPORTED_LINK; layer < DECODE_LAYER_NAMES.length; layer++) {
    if (tunnelLayers.has(layer)) continue;
    assert.ok((counts.get(layer) ?? 0) > 0, `layer ${layer} never hit`);
  }
  assert.ok((counts.get(DECODE_OK) ?? 0) > ITERATIONS / 10);
  assert.ok(ms < 20_000, `took ${ms} ms`);
});
