import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DECODE_OK, DecodeLayer } from '../../src/decode/decode-layer';
import { DecodedPacket } from '../../src/decode/packet';
import { decodeFrame } from '../../src/decode/decode-frame';
import { ETH, ethernet, icmpv6, ipToWords, ipv6, LT, PROTO, tcp, udp } from '../support/frames';
import type { Ipv6Ext } from '../support/frames';

function dec(ip: Buffer, capLen?: number): { rc: number; p: DecodedPacket } {
  const p = new DecodedPacket();
  const cap = capLen ?? ip.length;
  return { rc: decodeFrame(ip, 0, cap, ip.length, 0, LT.IPV6, p), p };
}

const src = '2001:db8:aaaa::1';
const dst = '2001:db8:bbbb::2:3';
const U = udp({ sport: 546, dport: 547 });

test('ipv6: addresses, hop limit irrelevant, plain UDP and ICMPv6', () => {
  const { rc, p } = dec(ipv6({ src, dst, nextHeader: PROTO.UDP }, U));
  assert.equal(rc, DECODE_OK);
  assert.deepEqual(Array.from(p.addrs), [...ipToWords(src), ...ipToWords(dst)]);
  assert.deepEqual([p.ipVersion, p.ipProto, p.ipHeaderLen, p.l4Offset, p.srcPort, p.dstPort], [6, 17, 40, 40, 546, 547]);
  const i = dec(ipv6({ src, dst, nextHeader: PROTO.ICMPV6 }, icmpv6({ type: 135, code: 0 }, Buffer.alloc(16))));
  assert.deepEqual([i.rc, i.p.ipProto, i.p.icmpType, i.p.icmpCode, i.p.l4Offset, i.p.srcPort], [DECODE_OK, 58, 135, 0, 40, 0]);
});

test('ipv6: each extension header alone', () => {
  const cases: Array<[Ipv6Ext, number]> = [
    [{ type: 0 }, 8],
    [{ type: 0, options: Buffer.from([0xc2, 4, 0, 1, 0, 0]) }, 8], // jumbo payload option
    [{ type: 0, options: Buffer.alloc(20, 0) }, 24],
    [{ type: 60 }, 8],
    [{ type: 60, options: Buffer.alloc(100) }, 104],
    [{ type: 43, routingType: 2, segmentsLeft: 1, data: Buffer.alloc(16) }, 24],
    [{ type: 43, routingType: 4, data: Buffer.alloc(32) }, 40],
    [{ type: 44, offset: 0, more: true, id: 0xdeadbeef }, 8],
    [{ type: 44 }, 8], // atomic fragment (RFC 6946)
    [{ type: 51 }, 24],
    [{ type: 51, icv: Buffer.alloc(16) }, 28],
  ];
  for (const [e, len] of cases) {
    const { rc, p } = dec(ipv6({ src, dst, nextHeader: PROTO.UDP, ext: [e] }, U));
    assert.equal(rc, DECODE_OK, JSON.stringify(e));
    assert.equal(p.ipHeaderLen, 40 + len, JSON.stringify(e));
    assert.equal(p.ipProto, 17);
    assert.equal(p.l4Offset, 40 + len);
    assert.equal(p.srcPort, 546);
    assert.equal(p.isFragment, e.type === 44);
    assert.equal(p.fragOffset, 0);
  }
  // Mobility header (135) normally ends the chain with No Next Header.
  const mob = dec(ipv6({ src, dst, nextHeader: PROTO.NONE, ext: [{ type: 135, mhType: 5, data: Buffer.alloc(10) }] }));
  assert.deepEqual([mob.rc, mob.p.ipProto, mob.p.ipHeaderLen, mob.p.l4Offset], [DECODE_OK, 59, 56, -1]);
});

test('ipv6: long chain with every extension header', () => {
  const ext: Ipv6Ext[] = [
    { type: 0 },
    { type: 60, options: Buffer.alloc(10) },
    { type: 43, routingType: 0, data: Buffer.alloc(32) },
    { type: 44, offset: 0, more: true, id: 1 },
    { type: 51 },
    { type: 135 },
    { type: 60 },
  ];
  const hdr = 8 + 16 + 40 + 8 + 24 + 8 + 8;
  const ip = ipv6({ src, dst, nextHeader: PROTO.TCP, ext }, tcp({ sport: 8080, dport: 1234, flags: 0x11 }));
  const { rc, p } = dec(ip);
  assert.equal(rc, DECODE_OK);
  assert.deepEqual([p.ipHeaderLen, p.ipProto, p.l4Offset, p.srcPort, p.dstPort, p.tcpFlags, p.isFragment],
    [40 + hdr, 6, 40 + hdr, 8080, 1234, 0x11, true]);
  // Any cut inside the chain is an IPv6 error with the addresses kept; inside TCP a TCP error.
  for (let cap = 0; cap < ip.length; cap++) {
    const r = dec(ip, cap);
    assert.equal(r.rc, cap < 40 + hdr ? DecodeLayer.IPV6 : DecodeLayer.TCP, `cap ${cap}`);
    assert.equal(r.p.addrs[0], cap >= 40 ? ipToWords(src)[0] : 0);
    assert.equal(r.p.l4Offset, -1);
    assert.equal(r.p.ipProto, cap < 40 + hdr ? -1 : 6);
  }
});

test('ipv6: non-first fragments stop at the fragment header', () => {
  for (const [nh, offset, more] of [[PROTO.TCP, 1448, true], [PROTO.UDP, 65528, false], [PROTO.DSTOPTS, 8, true]] as const) {
    const ip = ipv6({ src, dst, nextHeader: nh, ext: [{ type: 0 }, { type: 44, offset, more, id: 99 }] }, Buffer.alloc(64, 0x3c));
    const { rc, p } = dec(ip);
    assert.equal(rc, DECODE_OK);
    assert.deepEqual([p.isFragment, p.fragOffset, p.ipProto, p.ipHeaderLen, p.l4Offset, p.srcPort, p.dstPort],
      [true, offset, nh, 56, -1, 0, 0]);
  }
  const first = dec(ipv6({ src, dst, nextHeader: PROTO.UDP, ext: [{ type: 44, more: true }] }, U));
  assert.deepEqual([first.p.isFragment, first.p.fragOffset, first.p.l4Offset, first.p.srcPort], [true, 0, 48, 546]);
});

test('ipv6: ESP and No Next Header end the walk', () => {
  const esp = dec(ipv6({ src, dst, nextHeader: PROTO.ESP, ext: [{ type: 60 }] }, Buffer.alloc(40, 0x77)));
  assert.deepEqual([esp.rc, esp.p.ipProto, esp.p.ipHeaderLen, esp.p.l4Offset], [DECODE_OK, 50, 48, -1]);
  const none = dec(ipv6({ src, dst, nextHeader: PROTO.NONE }));
  assert.deepEqual([none.rc, none.p.ipProto, none.p.ipHeaderLen, none.p.l4Offset], [DECODE_OK, 59, 40, -1]);
  const gre = dec(ipv6({ src, dst, nextHeader: 47 }, Buffer.alloc(8)));
  assert.deepEqual([gre.rc, gre.p.ipProto, gre.p.l4Offset], [DECODE_OK, 47, -1]);
});

test('ipv6: malformed: bad version, short header, extension header running past the end', () => {
  // (LT.IPV6 picks the decoder by version nibble; 5, 15 and 0 are neither 4 nor 6, so IPv6 reports them.)
  assert.equal(dec(ipv6({ src, dst, nextHeader: PROTO.UDP, version: 5 }, U)).rc, DecodeLayer.IPV6);
  assert.equal(dec(ipv6({ src, dst, nextHeader: PROTO.UDP, version: 15 }, U)).rc, DecodeLayer.IPV6);
  assert.equal(dec(ipv6({ src, dst, nextHeader: PROTO.UDP, version: 0 }, U)).rc, DecodeLayer.IPV6);
  for (const e of [
    { type: 0, hdrExtLen: 5 },
    { type: 60, hdrExtLen: 255 },
    { type: 43, hdrExtLen: 2 },
    { type: 51, payloadLen: 20 },
    { type: 135, hdrExtLen: 3 },
  ] as Ipv6Ext[]) {
    const { rc, p } = dec(ipv6({ src, dst, nextHeader: PROTO.UDP, ext: [e] }, U));
    assert.equal(rc, DecodeLayer.IPV6, JSON.stringify(e));
    assert.equal(p.ipVersion, 6);
    assert.deepEqual(Array.from(p.addrs), [...ipToWords(src), ...ipToWords(dst)]);
    assert.equal(p.l4Offset, -1);
  }
  // Fragment header cut short.
  const frag = ipv6({ src, dst, nextHeader: PROTO.UDP, ext: [{ type: 44, offset: 8 }] });
  assert.equal(dec(frag, 47).rc, DecodeLayer.IPV6);
  assert.equal(dec(frag, 48).rc, DECODE_OK);
});

test('ipv6 over ethernet with vlan', () => {
  const f = ethernet({ etherType: ETH.IPV6, vlans: [{ vid: 10 }] }, ipv6({ src, dst, nextHeader: PROTO.UDP, ext: [{ type: 0 }] }, U));
  const p = new DecodedPacket();
  assert.equal(decodeFrame(f, 0, f.length, f.length, 0, LT.ETHERNET, p), DECODE_OK);
  assert.deepEqual([p.etherType, p.l3Offset, p.l4Offset, p.vlanId, p.srcPort], [0x86dd, 18, 18 + 48, 10, 546]);
});
