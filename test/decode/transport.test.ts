import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DECODE_OK, DecodeLayer } from '../../src/decode/decode-layer';
import { DecodedPacket } from '../../src/decode/packet';
import { decodeFrame } from '../../src/decode/decode-frame';
import { icmp, icmpv6, ipv4, ipv6, LT, PROTO, sctp, tcp, TCP_FLAGS, udp } from '../support/frames';

function dec4(proto: number, l4: Buffer, capLen?: number): { rc: number; p: DecodedPacket } {
  const ip = ipv4({ src: '10.9.8.7', dst: '10.6.5.4', proto }, l4);
  const p = new DecodedPacket();
  return { rc: decodeFrame(ip, 0, capLen ?? ip.length, ip.length, 0, LT.RAW, p), p };
}
function dec6(nh: number, l4: Buffer): { rc: number; p: DecodedPacket } {
  const ip = ipv6({ src: 'fd00::1', dst: 'fd00::2', nextHeader: nh }, l4);
  const p = new DecodedPacket();
  return { rc: decodeFrame(ip, 0, ip.length, ip.length, 0, LT.RAW, p), p };
}

test('tcp: flags byte, options, data offset', () => {
  for (const flags of [0, TCP_FLAGS.SYN, TCP_FLAGS.SYN | TCP_FLAGS.ACK | TCP_FLAGS.ECE | TCP_FLAGS.CWR, 0xff, TCP_FLAGS.RST]) {
    const { rc, p } = dec4(PROTO.TCP, tcp({ sport: 65535, dport: 0, flags }));
    assert.deepEqual([rc, p.tcpFlags, p.srcPort, p.dstPort, p.l4Offset], [DECODE_OK, flags, 65535, 0, 20]);
  }
  const mss = Buffer.from([2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2]);
  const withOpts = tcp({ sport: 1, dport: 2, flags: 2, options: mss }, Buffer.from('data'));
  assert.equal(dec4(PROTO.TCP, withOpts).rc, DECODE_OK);
  // Options cut short: an error, but the fixed header (ports, flags) is whole and kept.
  for (let cap = 40; cap < 52; cap++) {
    const { rc, p } = dec4(PROTO.TCP, withOpts, cap);
    assert.deepEqual([rc, p.srcPort, p.dstPort, p.tcpFlags, p.l4Offset], [DecodeLayer.TCP, 1, 2, 2, 20], `cap ${cap}`);
  }
  // Fixed header cut short: an error; the ports are kept once both are captured (as Wireshark
  // reads them), flags and l4Offset are not.
  for (let cap = 20; cap < 40; cap++) {
    const { rc, p } = dec4(PROTO.TCP, withOpts, cap);
    const ports = cap >= 24 ? [1, 2] : [0, 0];
    assert.deepEqual([rc, p.srcPort, p.dstPort, p.tcpFlags, p.l4Offset, p.addrs[0]], [DecodeLayer.TCP, ...ports, 0, -1, 0x0a090807], `cap ${cap}`);
  }
  for (let dataOffset = 0; dataOffset < 5; dataOffset++) {
    const { rc, p } = dec4(PROTO.TCP, tcp({ sport: 1, dport: 2, flags: 2, dataOffset }));
    assert.deepEqual([rc, p.srcPort, p.dstPort, p.l4Offset, p.tcpFlags], [DecodeLayer.TCP, 1, 2, -1, 0], `doff ${dataOffset}`);
  }
  // Data offset 15 pointing past the capture.
  assert.equal(dec4(PROTO.TCP, tcp({ sport: 1, dport: 2, flags: 2, dataOffset: 15 })).rc, DecodeLayer.TCP);
  const six = dec6(PROTO.TCP, tcp({ sport: 3, dport: 4, flags: 0x10 }));
  assert.deepEqual([six.rc, six.p.srcPort, six.p.dstPort, six.p.tcpFlags], [DECODE_OK, 3, 4, 0x10]);
});

test('udp: ports; header cut short after the ports keeps them; length field not trusted', () => {
  const u = udp({ sport: 123, dport: 123 }, Buffer.alloc(48));
  assert.deepEqual([dec4(PROTO.UDP, u).rc, dec4(PROTO.UDP, u).p.srcPort], [DECODE_OK, 123]);
  for (let cap = 20; cap < 28; cap++) {
    const { rc, p } = dec4(PROTO.UDP, u, cap);
    const port = cap >= 24 ? 123 : 0;
    assert.deepEqual([rc, p.srcPort, p.dstPort, p.l4Offset], [DecodeLayer.UDP, port, port, -1], `cap ${cap}`);
  }
  assert.equal(dec4(PROTO.UDP, u, 28).rc, DECODE_OK);
  assert.equal(dec4(PROTO.UDP, udp({ sport: 1, dport: 2, length: 0 })).rc, DECODE_OK);
  assert.deepEqual([dec6(PROTO.UDP, u).rc, dec6(PROTO.UDP, u).p.dstPort], [DECODE_OK, 123]);
});

test('sctp: common header ports; truncated', () => {
  const s = sctp({ sport: 36412, dport: 36412, vtag: 5 }, Buffer.alloc(16));
  const r = dec4(PROTO.SCTP, s);
  assert.deepEqual([r.rc, r.p.srcPort, r.p.dstPort, r.p.l4Offset], [DECODE_OK, 36412, 36412, 20]);
  // Unlike TCP and UDP, a common header cut short gives no ports: Wireshark shows none either.
  for (let cap = 20; cap < 32; cap++) {
    const t = dec4(PROTO.SCTP, s, cap);
    assert.deepEqual([t.rc, t.p.srcPort, t.p.dstPort, t.p.l4Offset], [DecodeLayer.SCTP, 0, 0, -1], `cap ${cap}`);
  }
  assert.equal(dec4(PROTO.SCTP, s, 32).rc, DECODE_OK);
  const six = dec6(PROTO.SCTP, sctp({ sport: 5, dport: 6 }));
  assert.deepEqual([six.rc, six.p.srcPort, six.p.dstPort], [DECODE_OK, 5, 6]);
});

test('icmp and icmpv6: type/code; truncated', () => {
  const e = icmp({ type: 8, code: 0, rest: 0x00010002 }, Buffer.alloc(56));
  const r = dec4(PROTO.ICMP, e);
  assert.deepEqual([r.rc, r.p.icmpType, r.p.icmpCode, r.p.srcPort, r.p.dstPort, r.p.l4Offset], [DECODE_OK, 8, 0, 0, 0, 20]);
  for (let cap = 20; cap < 28; cap++) {
    const t = dec4(PROTO.ICMP, e, cap);
    assert.deepEqual([t.rc, t.p.icmpType, t.p.l4Offset], [DecodeLayer.ICMP, -1, -1]);
  }
  const v6 = dec6(PROTO.ICMPV6, icmpv6({ type: 1, code: 4 }));
  assert.deepEqual([v6.rc, v6.p.icmpType, v6.p.icmpCode, v6.p.l4Offset], [DECODE_OK, 1, 4, 40]);
  const ip = ipv6({ src: 'fd00::1', dst: 'fd00::2', nextHeader: PROTO.ICMPV6 }, icmpv6({ type: 128, code: 0 }));
  for (let cap = 40; cap < 44; cap++) {
    const p = new DecodedPacket();
    assert.equal(decodeFrame(ip, 0, cap, ip.length, 0, LT.IPV6, p), DecodeLayer.ICMPV6);
    assert.equal(p.icmpType, -1);
  }
});
