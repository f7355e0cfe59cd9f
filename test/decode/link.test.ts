import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DECODE_OK, DecodeLayer } from '../../src/decode/decode-layer';
import { DecodedPacket } from '../../src/decode/packet';
import { decodeFrame } from '../../src/decode/decode-frame';
import { linkTypeName, SUPPORTED_LINK_TYPES } from '../../src/decode/link-types';
import {
  arp, ETH, ethernet, ethIpv4Tcp, ipToWords, ipv4, ipv6, LT, mplsStack, nflog, nullLoopback, pppoeSession, PROTO, sll, sll2, tcp, udp,
} from '../support/frames';

function dec(buf: Buffer, lt: number, offset = 0, capLen = buf.length - offset): { rc: number; p: DecodedPacket } {
  const p = new DecodedPacket();
  const rc = decodeFrame(buf, offset, capLen, capLen, 1.5, lt, p);
  return { rc, p };
}

const v4udp = ipv4({ src: '192.0.2.1', dst: '198.51.100.7', proto: PROTO.UDP }, udp({ sport: 5353, dport: 53 }, Buffer.from('q')));
const v6tcp = ipv6({ src: '2001:db8::1', dst: 'fe80::2', nextHeader: PROTO.TCP }, tcp({ sport: 443, dport: 50000, flags: 0x12 }));

function assertV4udp(p: DecodedPacket, l3: number): void {
  assert.equal(p.etherType, 0x0800);
  assert.equal(p.l3Offset, l3);
  assert.equal(p.ipVersion, 4);
  assert.deepEqual(Array.from(p.addrs), [...ipToWords('192.0.2.1'), ...ipToWords('198.51.100.7')]);
  assert.equal(p.ipProto, 17);
  assert.equal(p.l4Offset, l3 + 20);
  assert.equal(p.srcPort, 5353);
  assert.equal(p.dstPort, 53);
}

function assertV6tcp(p: DecodedPacket, l3: number): void {
  assert.equal(p.etherType, 0x86dd);
  assert.equal(p.l3Offset, l3);
  assert.equal(p.ipVersion, 6);
  assert.deepEqual(Array.from(p.addrs), [...ipToWords('2001:db8::1'), ...ipToWords('fe80::2')]);
  assert.equal(p.ipProto, 6);
  assert.equal(p.ipHeaderLen, 40);
  assert.equal(p.l4Offset, l3 + 40);
  assert.equal(p.srcPort, 443);
  assert.equal(p.dstPort, 50000);
  assert.equal(p.tcpFlags, 0x12);
}

test('ethernet/ipv4/tcp: every field, absolute offsets inside a larger buffer', () => {
  const f = ethIpv4Tcp({ src: '10.1.2.3', dst: '10.4.5.6', sport: 40000, dport: 80, flags: 0x18 }, Buffer.from('GET /'));
  const big = Buffer.concat([Buffer.alloc(100, 0xee), f, Buffer.alloc(50, 0xee)]);
  const p = new DecodedPacket();
  const rc = decodeFrame(big, 100, f.length, 1514, 1234.5, LT.ETHERNET, p);
  assert.equal(rc, DECODE_OK);
  assert.equal(p.linkType, 1);
  assert.equal(p.frameOffset, 100);
  assert.equal(p.capEnd, 100 + f.length);
  assert.equal(p.wireLen, 1514);
  assert.equal(p.ts, 1234.5);
  assert.equal(p.vlanDepth, 0);
  assert.equal(p.vlanId, -1);
  assert.equal(p.etherType, 0x0800);
  assert.equal(p.l3Offset, 114);
  assert.equal(p.ipVersion, 4);
  assert.equal(p.addrs[0], 0x0a010203);
  assert.equal(p.addrs[4], 0x0a040506);
  assert.equal(p.ipProto, 6);
  assert.equal(p.ipHeaderLen, 20);
  assert.equal(p.isFragment, false);
  assert.equal(p.l4Offset, 134);
  assert.equal(p.srcPort, 40000);
  assert.equal(p.dstPort, 80);
  assert.equal(p.tcpFlags, 0x18);
  assert.equal(p.icmpType, -1);
});

test('ethernet: truncation at every length is attributed to the right layer', () => {
  const f = ethIpv4Tcp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2 });
  assert.equal(f.length, 54);
  for (let cap = 0; cap <= f.length; cap++) {
    const { rc, p } = dec(f, LT.ETHERNET, 0, cap);
    const want = cap < 14 ? DecodeLayer.ETHERNET : cap < 34 ? DecodeLayer.IPV4 : cap < 54 ? DecodeLayer.TCP : DECODE_OK;
    assert.equal(rc, want, `cap ${cap}`);
    // Addresses are kept once the IPv4 header is whole, so the flow can still be counted.
    assert.equal(p.addrs[0], cap >= 34 ? 0x0a000001 : 0, `cap ${cap}`);
    assert.equal(p.etherType, cap >= 14 ? 0x0800 : 0);
    assert.equal(p.l3Offset, cap >= 14 ? 14 : -1);
    assert.equal(p.l4Offset, cap >= 54 ? 34 : -1);
    // Ports are kept once both are captured, even though the TCP header is cut short (as Wireshark).
    assert.equal(p.srcPort, cap >= 38 ? 1 : 0, `cap ${cap}`);
    assert.equal(p.dstPort, cap >= 38 ? 2 : 0, `cap ${cap}`);
  }
});

test('vlan: stacked 802.1ad/802.1Q/0x9100 tags of any depth', () => {
  const tpids = [0x88a8, 0x8100, 0x9100, 0x8100, 0x8100, 0x8100];
  for (let depth = 1; depth <= tpids.length; depth++) {
    const vlans = tpids.slice(0, depth).map((tpid, i) => ({ tpid, vid: 100 + i, pcp: i & 7 }));
    const f = ethernet({ etherType: ETH.IPV4, vlans }, v4udp);
    const { rc, p } = dec(f, LT.ETHERNET);
    assert.equal(rc, DECODE_OK);
    assert.equal(p.vlanDepth, depth);
    assert.equal(p.vlanId, 100); // outermost
    assertV4udp(p, 14 + 4 * depth);
    // Cut inside any tag: a VLAN error, no network layer.
    for (let cap = 14; cap < 14 + 4 * depth; cap++) {
      const t = dec(f, LT.ETHERNET, 0, cap);
      assert.equal(t.rc, DecodeLayer.VLAN, `depth ${depth} cap ${cap}`);
      assert.equal(t.p.l3Offset, -1);
      assert.equal(t.p.etherType, 0);
    }
  }
  const maxVid = dec(ethernet({ etherType: ETH.IPV6, vlans: [{ vid: 4095, pcp: 7, dei: true }] }, v6tcp), LT.ETHERNET);
  assert.equal(maxVid.p.vlanId, 4095);
  assertV6tcp(maxVid.p, 18);
});

test('ethernet: unknown EtherType and 802.3 length frames are not errors', () => {
  const lldp = dec(ethernet({ etherType: 0x88cc }, Buffer.alloc(30)), LT.ETHERNET);
  assert.equal(lldp.rc, DECODE_OK);
  assert.equal(lldp.p.etherType, 0x88cc);
  assert.equal(lldp.p.l3Offset, 14);
  assert.equal(lldp.p.ipVersion, 0);
  assert.equal(lldp.p.ipProto, -1);
  const llc = dec(ethernet({ etherType: 38 }, Buffer.from('424203000000000000000000000000000000000000000000000000000000000000000000000000', 'hex')), LT.ETHERNET);
  assert.equal(llc.rc, DECODE_OK);
  assert.equal(llc.p.etherType, 0);
  assert.equal(llc.p.l3Offset, -1);
});

test('802.3 LLC/SNAP and 802.1ah frames: the IP inside; nested ones of any depth (a 64 KiB frame of them) end after MAX_LINK_NESTING levels without error', () => {
  const ip = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: PROTO.UDP }, udp({ sport: 1, dport: 2 }));
  const snapOf = (etherType: number, payload: Buffer) => Buffer.concat([Buffer.from([0xaa, 0xaa, 0x03, 0, 0, 0, etherType >> 8, etherType & 255]), payload]);
  const pbbOf = (inner: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, 7]), inner]);
  const snap = dec(ethernet({ etherType: 8 + ip.length }, snapOf(0x0800, ip)), LT.ETHERNET);
  assert.deepEqual([snap.rc, snap.p.ipVersion, snap.p.l3Offset, snap.p.dstPort], [DECODE_OK, 4, 22, 2]);
  const pbb = dec(ethernet({ etherType: 0x88e7 }, pbbOf(ethernet({ etherType: 0x0800 }, ip))), LT.ETHERNET);
  assert.deepEqual([pbb.rc, pbb.p.ipVersion, pbb.p.l3Offset, pbb.p.dstPort], [DECODE_OK, 4, 32, 2]);
  // Within the bound: SNAP in PBB in SNAP.
  const mixed = dec(ethernet({ etherType: 100 }, snapOf(0x88e7, pbbOf(ethernet({ etherType: 100 }, snapOf(0x0800, ip))))), LT.ETHERNET);
  assert.deepEqual([mixed.rc, mixed.p.ipVersion, mixed.p.dstPort], [DECODE_OK, 4, 2]);
  // Thousands of levels: each kind alone and alternating; decoding stops, nothing throws.
  const chains: Array<[number, (x: Buffer) => Buffer]> = [
    [100, (x) => snapOf(100, x)],
    [0x88e7, (x) => pbbOf(ethernet({ etherType: 0x88e7 }, x))],
    [100, (x) => snapOf(0x88e7, pbbOf(ethernet({ etherType: 100 }, x)))],
  ];
  for (const [outerType, level] of chains) {
    let body = ip;
    while (body.length < 65_000) body = level(body);
    const deep = dec(ethernet({ etherType: outerType }, body), LT.ETHERNET);
    assert.equal(deep.rc, DECODE_OK);
    assert.equal(deep.p.ipVersion, 0);
    assert.ok(deep.p.linkNesting > 4, String(deep.p.linkNesting));
  }
});

test('arp: sender/target protocol addresses, over ethernet, vlan and sll', () => {
  const body = arp({ op: 1, senderIp: '192.168.1.10', targetIp: '192.168.1.1', senderMac: '00:11:22:33:44:55' });
  for (const [f, lt, l3] of [
    [ethernet({ etherType: ETH.ARP, pad: true }, body), LT.ETHERNET, 14],
    [ethernet({ etherType: ETH.ARP, vlans: [{ vid: 7 }] }, body), LT.ETHERNET, 18],
    [sll({ protocol: ETH.ARP }, body), LT.LINUX_SLL, 16],
  ] as const) {
    const { rc, p } = dec(f, lt);
    assert.equal(rc, DECODE_OK);
    assert.equal(p.etherType, 0x0806);
    assert.equal(p.l3Offset, l3);
    assert.equal(p.ipVersion, 0);
    assert.equal(p.ipProto, -1);
    assert.equal(p.l4Offset, -1);
    assert.deepEqual(Array.from(p.addrs), [0xc0a8010a, 0, 0, 0, 0xc0a80101, 0, 0, 0]);
  }
  const f = ethernet({ etherType: ETH.ARP }, body);
  for (let cap = 14; cap < 42; cap++) assert.equal(dec(f, LT.ETHERNET, 0, cap).rc, DecodeLayer.ARP, `cap ${cap}`);
  // Non-IPv4 protocol type (e.g. 0x86dd) is valid ARP without addresses.
  const other = Buffer.from(body);
  other.writeUInt16BE(0x86dd, 2);
  const o = dec(ethernet({ etherType: ETH.ARP }, other), LT.ETHERNET);
  assert.equal(o.rc, DECODE_OK);
  assert.equal(o.p.addrs[0], 0);
});

test('pppoe session: the ipv4 or ipv6 packet inside (2-byte or compressed protocol), under vlan and sll; other ppp protocols; truncation', () => {
  const a = dec(ethernet({ etherType: ETH.PPPOE_SESSION }, pppoeSession({ protocol: 0x0021 }, v4udp)), LT.ETHERNET);
  assert.equal(a.rc, DECODE_OK);
  assertV4udp(a.p, 22);
  const b = dec(ethernet({ etherType: ETH.PPPOE_SESSION, vlans: [{ vid: 7 }] }, pppoeSession({ protocol: 0x0057 }, v6tcp)), LT.ETHERNET);
  assert.equal(b.rc, DECODE_OK);
  assertV6tcp(b.p, 26);
  assert.equal(b.p.vlanId, 7);
  const c = dec(ethernet({ etherType: ETH.PPPOE_SESSION }, pppoeSession({ protocol: 0x21, compressed: true }, v4udp)), LT.ETHERNET);
  assert.equal(c.rc, DECODE_OK);
  assertV4udp(c.p, 21);
  const d = dec(sll({ protocol: ETH.PPPOE_SESSION }, pppoeSession({ protocol: 0x0021 }, v4udp)), LT.LINUX_SLL);
  assert.equal(d.rc, DECODE_OK);
  assertV4udp(d.p, 24);
  // LCP: no network layer to decode, not an error; the PPPoE header is the "network layer".
  const lcp = dec(ethernet({ etherType: ETH.PPPOE_SESSION, pad: true }, pppoeSession({ protocol: 0xc021 }, Buffer.from([1, 1, 0, 4]))), LT.ETHERNET);
  assert.equal(lcp.rc, DECODE_OK);
  assert.equal(lcp.p.etherType, ETH.PPPOE_SESSION);
  assert.equal(lcp.p.l3Offset, 14);
  assert.equal(lcp.p.ipVersion, 0);
  // Cut inside the PPPoE header or the protocol field: a pppoe error; inside the IPv4 header: an ipv4 one.
  const full = ethernet({ etherType: ETH.PPPOE_SESSION }, pppoeSession({ protocol: 0x0021 }, v4udp));
  for (let cap = 14; cap < 22; cap++) assert.equal(dec(full, LT.ETHERNET, 0, cap).rc, DecodeLayer.PPPOE, `cap ${cap}`);
  assert.equal(dec(full, LT.ETHERNET, 0, 30).rc, DecodeLayer.IPV4);
});

test('mpls: the ipv4 or ipv6 packet after the bottom of the label stack, any depth, unicast and multicast; other payloads; truncation', () => {
  for (const depth of [1, 2, 3, 5]) {
    const labels = Array.from({ length: depth }, (_, i) => 16 + 1000 * i);
    const a = dec(ethernet({ etherType: ETH.MPLS }, mplsStack(labels, v4udp)), LT.ETHERNET);
    assert.equal(a.rc, DECODE_OK, `depth ${depth}`);
    assertV4udp(a.p, 14 + 4 * depth);
    const b = dec(ethernet({ etherType: ETH.MPLS_MULTICAST, vlans: [{ vid: 9 }] }, mplsStack(labels, v6tcp)), LT.ETHERNET);
    assert.equal(b.rc, DECODE_OK, `depth ${depth}`);
    assertV6tcp(b.p, 18 + 4 * depth);
    // Cut inside the stack: an mpls error.
    const full = ethernet({ etherType: ETH.MPLS }, mplsStack(labels, v4udp));
    for (let cap = 14; cap < 14 + 4 * depth; cap++) assert.equal(dec(full, LT.ETHERNET, 0, cap).rc, DecodeLayer.MPLS, `depth ${depth} cap ${cap}`);
    // The stack and nothing after it: nothing to decode.
    assert.equal(dec(full, LT.ETHERNET, 0, 14 + 4 * depth).rc, DECODE_OK);
  }
  // A pseudowire control word (first nibble 0): not decoded, not an error.
  const pw = dec(ethernet({ etherType: ETH.MPLS }, mplsStack([100], Buffer.concat([Buffer.alloc(4), v4udp]))), LT.ETHERNET);
  assert.equal(pw.rc, DECODE_OK);
  assert.equal(pw.p.ipVersion, 0);
  assert.equal(pw.p.etherType, ETH.MPLS);
});

test('ppp (9, 50), ppp_ether (51), cisco hdlc (104): the ipv4 or ipv6 packet inside; other protocols; truncation', () => {
  const framed = Buffer.concat([Buffer.from([0xff, 0x03, 0x00, 0x21]), v4udp]);
  for (const lt of [LT.PPP, LT.PPP_HDLC]) {
    const a = dec(framed, lt);
    assert.equal(a.rc, DECODE_OK);
    assertV4udp(a.p, 4);
    const bare = dec(Buffer.concat([Buffer.from([0x00, 0x57]), v6tcp]), lt);
    assert.equal(bare.rc, DECODE_OK);
    assertV6tcp(bare.p, 2);
    const compressed = dec(Buffer.concat([Buffer.from([0x21]), v4udp]), lt);
    assert.equal(compressed.rc, DECODE_OK);
    assertV4udp(compressed.p, 1);
    // Cisco framing on a PPP link, with an MPLS label stack inside.
    const cisco = dec(Buffer.concat([Buffer.from([0x8f, 0x00, 0x88, 0x47]), mplsStack([100], v4udp)]), lt);
    assert.equal(cisco.rc, DECODE_OK);
    assertV4udp(cisco.p, 8);
    // LCP: nothing to decode, not an error.
    const lcp = dec(Buffer.from([0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 4]), lt);
    assert.equal(lcp.rc, DECODE_OK);
    assert.equal(lcp.p.ipVersion, 0);
    assert.equal(lcp.p.l3Offset, -1);
    for (let cap = 0; cap < 4; cap++) assert.equal(dec(framed, lt, 0, cap).rc, DecodeLayer.PPP, `lt ${lt} cap ${cap}`);
    assert.equal(dec(framed, lt, 0, 10).rc, DecodeLayer.IPV4);
  }
  const pe = dec(pppoeSession({ protocol: 0x0057 }, v6tcp), LT.PPP_ETHER);
  assert.equal(pe.rc, DECODE_OK);
  assertV6tcp(pe.p, 8);
  for (let cap = 0; cap < 8; cap++) assert.equal(dec(pppoeSession({ protocol: 0x0057 }, v6tcp), LT.PPP_ETHER, 0, cap).rc, DecodeLayer.PPPOE, `cap ${cap}`);
  const hdlc = Buffer.concat([Buffer.from([0x0f, 0x00, 0x08, 0x00]), v4udp]);
  const h = dec(hdlc, LT.C_HDLC);
  assert.equal(h.rc, DECODE_OK);
  assertV4udp(h.p, 4);
  for (let cap = 0; cap < 4; cap++) assert.equal(dec(hdlc, LT.C_HDLC, 0, cap).rc, DecodeLayer.CHDLC, `cap ${cap}`);
  // A protocol value below 0x0600 names no network layer (as after Ethernet).
  const none = dec(Buffer.concat([Buffer.from([0x0f, 0x00, 0x00, 0x10]), v4udp]), LT.C_HDLC);
  assert.equal(none.rc, DECODE_OK);
  assert.equal(none.p.l3Offset, -1);
  assert.match(linkTypeName(LT.PPP_ETHER), /PPP_ETHER.*51/);
});

test('linux sll (113): ipv4, ipv6, vlan inside, non-EtherType protocol, truncation', () => {
  const a = dec(sll({ protocol: ETH.IPV4, packetType: 4 }, v4udp), LT.LINUX_SLL);
  assert.equal(a.rc, DECODE_OK);
  assertV4udp(a.p, 16);
  const b = dec(sll({ protocol: ETH.IPV6 }, v6tcp), LT.LINUX_SLL);
  assert.equal(b.rc, DECODE_OK);
  assertV6tcp(b.p, 16);
  const tagged = Buffer.concat([Buffer.from([0x00, 0x2a, 0x08, 0x00]), v4udp]); // TCI vid 42, then IPv4
  const c = dec(sll({ protocol: ETH.VLAN }, tagged), LT.LINUX_SLL);
  assert.equal(c.rc, DECODE_OK);
  assert.equal(c.p.vlanId, 42);
  assertV4udp(c.p, 20);
  const llc = dec(sll({ protocol: 0x0004 }, Buffer.alloc(10)), LT.LINUX_SLL);
  assert.equal(llc.rc, DECODE_OK);
  assert.equal(llc.p.etherType, 0);
  assert.equal(llc.p.l3Offset, -1);
  const f = sll({ protocol: ETH.IPV4 }, v4udp);
  for (let cap = 0; cap < 16; cap++) assert.equal(dec(f, LT.LINUX_SLL, 0, cap).rc, DecodeLayer.SLL);
  assert.equal(dec(f, LT.LINUX_SLL, 0, 16).rc, DecodeLayer.IPV4);
});

test('linux sll2 (276): ipv4, ipv6, truncation', () => {
  const a = dec(sll2({ protocol: ETH.IPV4, ifIndex: 3 }, v4udp), LT.LINUX_SLL2);
  assert.equal(a.rc, DECODE_OK);
  assertV4udp(a.p, 20);
  const b = dec(sll2({ protocol: ETH.IPV6 }, v6tcp), LT.LINUX_SLL2);
  assert.equal(b.rc, DECODE_OK);
  assertV6tcp(b.p, 20);
  const f = sll2({ protocol: ETH.IPV6 }, v6tcp);
  for (let cap = 0; cap < 20; cap++) assert.equal(dec(f, LT.LINUX_SLL2, 0, cap).rc, DecodeLayer.SLL2);
  assert.equal(dec(f, LT.LINUX_SLL2, 0, 20).rc, DecodeLayer.IPV6);
});

test('null (0): address family in either byte order; loop (108): network byte order only', () => {
  for (const le of [true, false]) {
    const a = dec(nullLoopback(2, v4udp, le), LT.NULL);
    assert.equal(a.rc, DECODE_OK, `le ${le}`);
    assertV4udp(a.p, 4);
    for (const af of [24, 28, 30]) {
      const b = dec(nullLoopback(af, v6tcp, le), LT.NULL);
      assert.equal(b.rc, DECODE_OK, `af ${af} le ${le}`);
      assertV6tcp(b.p, 4);
    }
    // An address family we do not decode (AF_APPLETALK 16): nothing past the link layer, no error.
    const c = dec(nullLoopback(16, v4udp, le), LT.NULL);
    assert.equal(c.rc, DECODE_OK);
    assert.equal(c.p.etherType, 0);
    assert.equal(c.p.l3Offset, -1);
  }
  const loop = dec(nullLoopback(2, v4udp, false), LT.LOOP);
  assert.equal(loop.rc, DECODE_OK);
  assertV4udp(loop.p, 4);
  const loop6 = dec(nullLoopback(24, v6tcp, false), LT.LOOP);
  assertV6tcp(loop6.p, 4);
  const loopLe = dec(nullLoopback(2, v4udp, true), LT.LOOP);
  assert.equal(loopLe.p.etherType, 0);
  for (let cap = 0; cap < 4; cap++) {
    assert.equal(dec(nullLoopback(2, v4udp, true), LT.NULL, 0, cap).rc, DecodeLayer.NULL);
    assert.equal(dec(nullLoopback(2, v4udp, false), LT.LOOP, 0, cap).rc, DecodeLayer.NULL);
  }
  assert.equal(dec(nullLoopback(2, v4udp, true), LT.NULL, 0, 4).rc, DecodeLayer.IPV4);
});

test('raw ip (101, 12, 14, 228, 229): IPv4 or IPv6 by version nibble', () => {
  for (const lt of [LT.RAW, LT.RAW_12, LT.RAW_14, LT.IPV4, LT.IPV6]) {
    const a = dec(v4udp, lt);
    assert.equal(a.rc, DECODE_OK, `lt ${lt}`);
    assertV4udp(a.p, 0);
    const b = dec(v6tcp, lt);
    assert.equal(b.rc, DECODE_OK, `lt ${lt}`);
    assertV6tcp(b.p, 0);
  }
  const bad = Buffer.from(v4udp);
  bad[0] = 0x55;
  assert.equal(dec(bad, LT.RAW).rc, DecodeLayer.IPV4);
  assert.equal(dec(bad, LT.IPV4).rc, DecodeLayer.IPV4);
  assert.equal(dec(bad, LT.IPV6).rc, DecodeLayer.IPV6);
  assert.equal(dec(Buffer.alloc(0), LT.RAW).rc, DecodeLayer.IPV4);
  assert.equal(dec(Buffer.alloc(0), LT.IPV6).rc, DecodeLayer.IPV6);
  assert.equal(dec(Buffer.alloc(0), LT.RAW).p.etherType, 0x0800);
});

test('NFLOG: the packet in its payload TLV, by hardware protocol or family, TLVs in either byte order', () => {
  const ip4 = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: PROTO.UDP }, udp({ sport: 53, dport: 4000 }, Buffer.alloc(20)));
  const ip6 = ipv6({ src: 'fd00::1', dst: 'fd00::2', nextHeader: PROTO.TCP }, tcp({ sport: 80, dport: 4001, flags: 0x12 }));
  for (const littleEndian of [true, false]) {
    for (const [frame, v, port] of [[nflog({ family: 2, hwProtocol: 0x0800, prefix: 'drop', littleEndian }, ip4), 4, 53], [nflog({ family: 10, littleEndian, after: [11] }, ip6), 6, 80]] as const) {
      const { rc, p } = dec(frame, LT.NFLOG);
      assert.equal(rc, DECODE_OK);
      assert.deepEqual([p.ipVersion, p.srcPort], [v, port], `little-endian ${littleEndian}`);
      // A TLV after the payload is not part of the packet.
      assert.ok(p.capEnd <= frame.length && (v === 4 ? p.capEnd === frame.length : p.capEnd === frame.length - 8));
    }
  }
  // No payload TLV, or an unknown family without a hardware protocol: no packet, no error.
  assert.deepEqual([dec(Buffer.from([2, 0, 0, 1, 8, 0, 1, 0, 8, 0, 3, 0]), LT.NFLOG).rc, dec(nflog({ family: 7 }, ip4), LT.NFLOG).p.ipVersion], [DECODE_OK, 0]);
  // A TLV shorter than its header ends the frame (Wireshark dissects nothing), as does a cut header.
  const bad = Buffer.concat([nflog({ family: 2, hwProtocol: 0x0800 }, ip4), Buffer.from([2, 0, 9, 0])]);
  assert.equal(dec(bad, LT.NFLOG).rc, DecodeLayer.NFLOG);
  assert.equal(dec(Buffer.from([2, 0, 0]), LT.NFLOG).rc, DecodeLayer.NFLOG);
});

test('unsupported link types; names and supported set', () => {
  for (const lt of [119, 163, 147, 2, 65535, -1]) {
    const { rc, p } = dec(ethIpv4Tcp({ src: '1.1.1.1', dst: '2.2.2.2', sport: 1, dport: 2 }), lt);
    assert.equal(rc, DecodeLayer.UNSUPPORTED_LINK, `lt ${lt}`);
    assert.equal(p.linkType, lt);
    assert.equal(p.l3Offset, -1);
    assert.equal(SUPPORTED_LINK_TYPES.has(lt), false);
  }
  for (const lt of [0, 1, 9, 10, 12, 14, 50, 51, 101, 104, 105, 108, 113, 127, 192, 228, 229, 239, 276]) assert.equal(SUPPORTED_LINK_TYPES.has(lt), true, `lt ${lt}`);
  assert.match(linkTypeName(1), /EN10MB.*1/);
  assert.match(linkTypeName(127), /RADIOTAP.*127/);
  assert.match(linkTypeName(4242), /unknown.*4242/);
});

test('bogus offset/capLen from the caller are clamped, never read outside the buffer', () => {
  const f = ethIpv4Tcp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2 });
  const over = dec(f, LT.ETHERNET, 0, 10_000);
  assert.equal(over.rc, DECODE_OK);
  assert.equal(over.p.capEnd, f.length);
  for (const [off, cap] of [[-1, 54], [NaN, 54], [0, NaN], [0, -5], [1.5, 40], [1000, 54], [0, Infinity]]) {
    const p = new DecodedPacket();
    const rc = decodeFrame(f, off, cap, 54, 0, LT.ETHERNET, p);
    assert.ok(p.frameOffset >= 0 && p.capEnd >= p.frameOffset && p.capEnd <= f.length, `${off} ${cap}`);
    if (p.capEnd - p.frameOffset < 14) assert.equal(rc, DecodeLayer.ETHERNET);
  }
});

test('reusing one DecodedPacket: nothing leaks from the previous frame', () => {
  const p = new DecodedPacket();
  const full = ethernet({ etherType: ETH.IPV4, vlans: [{ vid: 5 }] }, v4udp);
  assert.equal(decodeFrame(full, 0, full.length, full.length, 0, LT.ETHERNET, p), DECODE_OK);
  const lldp = ethernet({ etherType: 0x88cc }, Buffer.alloc(30));
  assert.equal(decodeFrame(lldp, 0, lldp.length, lldp.length, 0, LT.ETHERNET, p), DECODE_OK);
  const fresh = dec(lldp, LT.ETHERNET).p;
  assert.deepEqual({ ...p, addrs: Array.from(p.addrs) }, { ...fresh, addrs: Array.from(fresh.addrs), ts: 0 });
});
