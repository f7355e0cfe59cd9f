import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DECODE_OK, DecodeLayer } from '../../src/decode/decode-layer';
import { DecodedPacket } from '../../src/decode/packet';
import { decodeFrame } from '../../src/decode/decode-frame';
import { ETH, ethernet, icmp, ipv4, LT, PROTO, sctp, tcp, udp } from '../support/frames';

function decEth(ip: Buffer, capLen?: number): { rc: number; p: DecodedPacket } {
  const f = ethernet({ etherType: ETH.IPV4 }, ip);
  const p = new DecodedPacket();
  const cap = capLen ?? f.length;
  return { rc: decodeFrame(f, 0, cap, f.length, 0, LT.ETHERNET, p), p };
}

const T = tcp({ sport: 1111, dport: 22, flags: 0x02 });
const base = { src: '172.16.0.1', dst: '172.16.0.2', proto: PROTO.TCP };

test('ipv4: options are skipped (IHL 6..15)', () => {
  for (let words = 1; words <= 10; words++) {
    const options = Buffer.alloc(words * 4, 1); // NOPs
    const { rc, p } = decEth(ipv4({ ...base, options }, T));
    assert.equal(rc, DECODE_OK);
    assert.equal(p.ipHeaderLen, 20 + words * 4);
    assert.equal(p.l4Offset, 14 + 20 + words * 4);
    assert.equal(p.srcPort, 1111);
    assert.equal(p.dstPort, 22);
    assert.equal(p.tcpFlags, 0x02);
  }
});

test('ipv4: malformed headers are IPv4 errors', () => {
  for (let ihl = 0; ihl < 5; ihl++) assert.equal(decEth(ipv4({ ...base, ihl }, T)).rc, DecodeLayer.IPV4, `ihl ${ihl}`);
  for (const version of [0, 5, 6, 15]) assert.equal(decEth(ipv4({ ...base, version }, T)).rc, DecodeLayer.IPV4);
  // Total length smaller than the header.
  for (const totalLength of [1, 19]) {
    const r = decEth(ipv4({ ...base, totalLength }, T));
    assert.equal(r.rc, DecodeLayer.IPV4);
    assert.equal(r.p.addrs[0], 0xac100001); // addresses still known
  }
  const withOpts = ipv4({ ...base, options: Buffer.alloc(8, 1) }, T);
  assert.equal(decEth(withOpts.subarray(0)).rc, DECODE_OK);
  const lt28 = Buffer.from(withOpts);
  lt28.writeUInt16BE(24, 2); // total length 24 < IHL 28
  assert.equal(decEth(lt28).rc, DecodeLayer.IPV4);
});

test('ipv4: total length 0 (Linux TSO capture) is accepted; larger than captured is fine', () => {
  const tso = decEth(ipv4({ ...base, totalLength: 0 }, T));
  assert.equal(tso.rc, DECODE_OK);
  assert.equal(tso.p.srcPort, 1111);
  const big = decEth(ipv4({ ...base, totalLength: 1500 }, T));
  assert.equal(big.rc, DECODE_OK);
  assert.equal(big.p.dstPort, 22);
});

test('ipv4: options cut short by the capture keep the addresses', () => {
  const ip = ipv4({ ...base, options: Buffer.alloc(12, 1) }, T);
  for (let cap = 14 + 20; cap < 14 + 32; cap++) {
    const { rc, p } = decEth(ip, cap);
    assert.equal(rc, DecodeLayer.IPV4, `cap ${cap}`);
    assert.equal(p.ipVersion, 4);
    assert.equal(p.addrs[0], 0xac100001);
    assert.equal(p.addrs[4], 0xac100002);
    assert.equal(p.l4Offset, -1);
  }
  assert.equal(decEth(ip, 14 + 32).rc, DecodeLayer.TCP);
});

test('ipv4: fragments: first carries ports, non-first does not', () => {
  const first = decEth(ipv4({ ...base, proto: PROTO.UDP, mf: true, id: 7 }, udp({ sport: 4000, dport: 53 }, Buffer.alloc(1472))));
  assert.equal(first.rc, DECODE_OK);
  assert.equal(first.p.isFragment, true);
  assert.equal(first.p.fragOffset, 0);
  assert.equal(first.p.l4Offset, 34);
  assert.equal(first.p.srcPort, 4000);
  for (const [fragOffset, mf] of [[1480, true], [2960, false], [8, false], [65528, true]] as const) {
    const { rc, p } = decEth(ipv4({ ...base, proto: PROTO.UDP, mf, fragOffset, id: 7 }, Buffer.alloc(100, 0xab)));
    assert.equal(rc, DECODE_OK);
    assert.equal(p.isFragment, true);
    assert.equal(p.fragOffset, fragOffset);
    assert.equal(p.ipProto, 17);
    assert.equal(p.l4Offset, -1);
    assert.equal(p.srcPort, 0);
    assert.equal(p.dstPort, 0);
    assert.equal(p.addrs[0], 0xac100001);
  }
  // A non-first fragment with too few bytes for a transport header is not an error: there is none.
  assert.equal(decEth(ipv4({ ...base, fragOffset: 8 }, Buffer.alloc(3))).rc, DECODE_OK);
  const df = decEth(ipv4({ ...base, df: true }, T));
  assert.equal(df.p.isFragment, false);
  assert.equal(df.p.srcPort, 1111);
});

test('ipv4: each transport protocol and unknown protocols', () => {
  const u = decEth(ipv4({ ...base, proto: PROTO.UDP }, udp({ sport: 1, dport: 65535 })));
  assert.deepEqual([u.rc, u.p.ipProto, u.p.srcPort, u.p.dstPort], [DECODE_OK, 17, 1, 65535]);
  const s = decEth(ipv4({ ...base, proto: PROTO.SCTP }, sctp({ sport: 2905, dport: 2906 })));
  assert.deepEqual([s.rc, s.p.ipProto, s.p.srcPort, s.p.dstPort, s.p.l4Offset], [DECODE_OK, 132, 2905, 2906, 34]);
  const i = decEth(ipv4({ ...base, proto: PROTO.ICMP }, icmp({ type: 3, code: 4, rest: 1400 })));
  assert.deepEqual([i.rc, i.p.icmpType, i.p.icmpCode, i.p.srcPort, i.p.l4Offset], [DECODE_OK, 3, 4, 0, 34]);
  for (const proto of [47, 50, 89, 4, 41, 255]) {
    const r = decEth(ipv4({ ...base, proto }, Buffer.alloc(40)));
    assert.equal(r.rc, DECODE_OK);
    assert.equal(r.p.ipProto, proto);
    assert.equal(r.p.l4Offset, -1);
    assert.equal(r.p.srcPort, 0);
  }
});
