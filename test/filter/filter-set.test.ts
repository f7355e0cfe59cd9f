/**
 * The fused counting function of compileFilterSet() must count, per filter, exactly the packets
 * (and bytes) that filter's own compileFilter() predicate matches: fusion shares the prologue,
 * cached loads and EtherType dispatch between filters, and none of that may change a result. In
 * particular a load past the captured length rejects only the filter that made it. The single
 * predicates are themselves checked against hand-worked expectations (filter-match.test.ts) and
 * tcpdump (test/integration/filter-oracle.test.ts); here every packet of a varied stream, cut at
 * many capture lengths, is compared filter by filter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter, compileFilterSet, filterSetSource, parseNamedFilter, FilterError } from '../../src/filter/compile-filter';
import { decodeFrame } from '../../src/decode/decode-frame';
import { DecodedPacket } from '../../src/decode/packet';
import {
  arp, ETH, ethernet, icmp, icmpv6, ipv4, ipv6, ipv6Bytes, LT, nullLoopback, prng, PROTO, randomIpv4, randomIpv6, sctp, sll, tcp, udp,
} from '../support/frames';

/** Filters of every shape: shared loads, variable offsets, division, 802.3, arp, always/never true. */
const EXPRS = [
  'udp port 53 or tcp port 53', 'tcp dst portrange 80-443', 'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn',
  'net 10.0.0.0/8 and not port 22', 'tcp port 5432', 'udp', 'tcp', 'ip6', 'icmp or icmp6', 'greater 200',
  'less 100', 'host 10.0.0.1', 'src net 192.168.0.0/16', 'tcp[tcpflags] & tcp-rst != 0', 'tcp[13] & 1 != 0',
  'net 2001:db8::/32', 'arp', 'rarp', 'ip[0] = 0x45 or ip6[0] = 0x60', 'ip[0] & 0xf > 5', 'tcp[tcp[12] >> 4] = 0',
  'ip[2:2] / (ip[1] & 3) > 10', 'ip[2:2] % (tcp[13] & 2) = 0', 'len - 60 > 30', 'ip[40:4] = 0 or port 80',
  'ip6[6] = 58 and ip6[40] = 135', 'ip proto 132', 'sctp port 53', 'icmp[icmptype] = icmp-echo',
  'not ip and not ip6', 'ip and not tcp', 'port 80 and port 80', 'ip[100] = 0', 'tcp[2:2] = 80 or udp[0:2] = 53',
  'ip[0] & 0xf0 = 0x40 and ip[9] = 6 and tcp[0:2] > 1023', 'ip[0:4] & 0xff = 0', 'udp[8:4] * 3 > 5',
  'ip[1] << (ip[8] & 63) = 0', 'ip[16:4] >> (ip[8] & 63) = 0',
  // Loads that the specialised functions read from decoded fields or without a bounds check.
  'icmp6 and ip6[41] = 0', 'ip6 host 2001:db8::2', 'dst host 2001:db8::1 and tcp', 'udp src port 53', 'sctp dst port 80',
  'tcp[12] > 0x50', 'ip[8] < 64', 'ip6[7] = 64', 'icmp[1] = 0 and icmp[0] != 8', 'udp[4:2] > 20', 'ip6[53] & 2 != 0',
  'src 10.0.0.1 and dst 10.1.2.3', 'ip[6:2] & 0x3fff != 0', 'ip6[40:2] = 53 or ip6[42:2] = 443',
];

interface Frame { data: Buffer; linkType: number }

function frames(n: number): Frame[] {
  const r = prng(20240611);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const v4 = ['10.0.0.1', '10.1.2.3', '192.168.1.1', '8.8.8.8'];
  const v6 = ['2001:db8::1', '2001:db8::2', 'fe80::1'];
  const ports = [22, 53, 80, 443, 5432, 40000];
  const out: Frame[] = [];
  for (let i = 0; i < n; i++) {
    const k = r();
    const pay = Buffer.alloc(pick([0, 8, 300]), i & 0xff);
    const t = (): Buffer => tcp({ sport: pick(ports), dport: pick(ports), flags: pick([0x02, 0x12, 0x10, 0x04, 0x01]), options: pick([Buffer.alloc(0), Buffer.alloc(12, 1)]) }, pay);
    const u = (): Buffer => udp({ sport: pick(ports), dport: pick(ports) }, pay);
    const src = r() < 0.1 ? randomIpv4(r) : pick(v4);
    let data: Buffer;
    if (k < 0.3) data = ethernet({ etherType: ETH.IPV4 }, ipv4({ src, dst: pick(v4), proto: PROTO.TCP, options: pick([Buffer.alloc(0), Buffer.alloc(8, 1)]) }, t()));
    else if (k < 0.45) data = ethernet({ etherType: ETH.IPV4 }, ipv4({ src, dst: pick(v4), proto: PROTO.UDP, mf: r() < 0.2, fragOffset: pick([0, 0, 16]), l4Checksum: false }, u()));
    else if (k < 0.6) data = ethernet({ etherType: ETH.IPV6 }, ipv6({ src: r() < 0.1 ? randomIpv6(r) : pick(v6), dst: pick(v6), nextHeader: pick([PROTO.TCP, PROTO.UDP]), ext: pick([[], [{ type: 0 as const }], [{ type: 44 as const, more: true }]]) }, r() < 0.5 ? t() : u()));
    else if (k < 0.66) data = ethernet({ etherType: ETH.IPV4 }, ipv4({ src, dst: pick(v4), proto: PROTO.ICMP }, icmp({ type: pick([0, 8, 3]), code: 0 })));
    else if (k < 0.72) data = ethernet({ etherType: ETH.IPV6 }, ipv6({ src: pick(v6), dst: pick(v6), nextHeader: PROTO.ICMPV6 }, icmpv6({ type: pick([128, 135]), code: 0 })));
    else if (k < 0.76) data = ethernet({ etherType: ETH.IPV4 }, ipv4({ src, dst: pick(v4), proto: PROTO.SCTP }, sctp({ sport: 53, dport: pick(ports) })));
    else if (k < 0.8) data = ethernet({ etherType: pick([ETH.ARP, 0x8035]) }, arp({ op: 1, senderIp: src, targetIp: pick(v4) }));
    else if (k < 0.84) data = ethernet({ etherType: ETH.IPV4, vlans: [{ vid: 7 }] }, ipv4({ src, dst: pick(v4), proto: PROTO.TCP }, t()));
    else if (k < 0.87) data = ethernet({ etherType: pick([0x88cc, 0x0100, 0x05dc]) }, pay); // LLDP, 802.3 lengths
    else if (k < 0.9) data = ethernet({ etherType: ETH.IPV4 }, ipv4({ src, dst: pick(v4), proto: PROTO.TCP, ihl: pick([2, 15]) }, t())); // bad IHL
    else if (k < 0.93) {
      out.push({ data: sll({ protocol: ETH.IPV4 }, ipv4({ src, dst: pick(v4), proto: PROTO.UDP }, u())), linkType: LT.LINUX_SLL });
      continue;
    } else if (k < 0.96) {
      out.push({ data: nullLoopback(2, ipv4({ src, dst: pick(v4), proto: PROTO.TCP }, t()), true), linkType: LT.NULL });
      continue;
    } else data = Buffer.from(Array.from({ length: 20 + Math.floor(r() * 80) }, () => Math.floor(r() * 256)));
    out.push({ data, linkType: LT.ETHERNET });
  }
  return out;
}

test('fused filters count, packet by packet and filter by filter, what each predicate matches', () => {
  const names = EXPRS.map((_, i) => `f${i}`);
  const preds = EXPRS.map((e, i) => compileFilter(names[i]!, e));
  const pkt = new DecodedPacket();
  const packets = new Float64Array(EXPRS.length);
  const bytes = new Float64Array(EXPRS.length);
  const set = compileFilterSet(EXPRS.map((e, i) => parseNamedFilter(names[i]!, e)), packets, bytes);
  const wantPackets = new Float64Array(EXPRS.length);
  const wantBytes = new Float64Array(EXPRS.length);
  let checked = 0;
  for (const fr of frames(600)) {
    // Every frame whole, and cut at several capture lengths (inside link, network, transport headers).
    for (const cap of new Set([fr.data.length, 1, 10, 13, 14, 15, 18, 22, 24, 30, 34, 38, 40, 46, 54, 56, 60, 62, 70, 80])) {
      if (cap > fr.data.length) continue;
      const buf = Buffer.concat([Buffer.alloc(3, 0xee), fr.data, Buffer.alloc(9, 0xee)]);
      const wireLen = fr.data.length + (checked % 7);
      decodeFrame(buf, 3, cap, wireLen, 0, fr.linkType, pkt);
      const before = Float64Array.from(packets);
      set.count(buf, pkt, wireLen);
      // Some counts are tallied per set of matching filters until flushed (see tally-codegen.ts).
      set.flush();
      for (let i = 0; i < EXPRS.length; i++) {
        const want = preds[i]!(buf, pkt);
        if (want) {
          wantPackets[i]!++;
          wantBytes[i]! += wireLen;
        }
        assert.equal(packets[i]! - before[i]!, want ? 1 : 0, `${EXPRS[i]} on frame of ${fr.data.length} bytes cut at ${cap}`);
      }
      checked++;
    }
  }
  assert.deepEqual(packets, wantPackets);
  assert.deepEqual(bytes, wantBytes);
  assert.ok(checked > 5000, `only ${checked} packets checked`);
  // The stream must exercise both outcomes of most filters, or the comparison proves little.
  const both = EXPRS.filter((_, i) => wantPackets[i]! > 0 && wantPackets[i]! < checked).length;
  assert.ok(both >= EXPRS.length - 4, `only ${both} filters both matched and did not match`);
});

test('a failed load rejects only the filter that made it', () => {
  // A 54-byte IPv4/TCP frame cut at 40 bytes: tcp[13] is past the end, ip[9] is not.
  const data = ethernet({ etherType: ETH.IPV4 }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: PROTO.TCP }, tcp({ sport: 1, dport: 2, flags: 0x02 })));
  const pkt = new DecodedPacket();
  decodeFrame(data, 0, 40, data.length, 0, LT.ETHERNET, pkt);
  const exprs = ['tcp[13] = 2', 'ip proto 6', 'ip[9] = 6 and tcp[13] = 2', 'ip[9] = 6'];
  const packets = new Float64Array(exprs.length);
  const bytes = new Float64Array(exprs.length);
  const set = compileFilterSet(exprs.map((e) => parseNamedFilter(e, e)), packets, bytes);
  set.count(data, pkt, data.length);
  set.flush();
  // BPF: the load of tcp[13] fails and rejects its filters (even after ip[9] = 6 held), not the others.
  assert.deepEqual([...packets], [0, 1, 0, 1]);
  assert.deepEqual([...bytes], [0, data.length, 0, data.length]);
});

/** The packet `data` (decoded in `pkt`) is counted by `exprs` as `want` says, fused into a set and one by one. */
function assertOnePacket(exprs: string[], data: Buffer, pkt: DecodedPacket, want: number[]): void {
  const packets = new Float64Array(exprs.length);
  const set = compileFilterSet(exprs.map((e, i) => parseNamedFilter(`f${i}`, e)), packets, new Float64Array(exprs.length));
  set.count(data, pkt, data.length);
  set.flush();
  assert.deepEqual([...packets], want);
  assert.deepEqual(exprs.map((e, i) => (compileFilter(`f${i}`, e)(data, pkt) ? 1 : 0)), want);
}

test('a source-routed packet is filtered by its header, as tcpdump does, while the decoder takes the route\'s end', () => {
  // Loose source route (131) of 11 bytes, pointer 4: next hop 1.2.3.4, final destination 5.6.7.8.
  const options = Buffer.from([131, 11, 4, 1, 2, 3, 4, 5, 6, 7, 8, 0]);
  const data = ethernet({ etherType: ETH.IPV4 }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: PROTO.TCP, options }, tcp({ sport: 1234, dport: 80, flags: 0x02 })));
  const pkt = new DecodedPacket();
  decodeFrame(data, 0, data.length, data.length, 0, LT.ETHERNET, pkt);
  assert.equal(pkt.addrs[4], 0x05060708);
  // Each tests TCP: enough for the set to get functions specialised for decoded TCP packets.
  const exprs = ['tcp and dst host 10.0.0.2', 'tcp and dst host 5.6.7.8', 'tcp and host 5.6.7.8', 'tcp dst port 80', 'tcp and src host 10.0.0.1 and dst host 10.0.0.2'];
  assert.match(filterSetSource(exprs.map((e, i) => parseNamedFilter(`f${i}`, e))), /A\[4\]/);
  assertOnePacket(exprs, data, pkt, [1, 0, 0, 1, 1]);
});

test('an IPv6 packet with a segment routing header and a home address is filtered by its header, while the decoder takes both', () => {
  // Destination options with a Home Address (201) of 2001:db8::99, then a segment routing header
  // (type 4, Segments Left 1, Last Entry 0) whose segment list [0], the final destination, is 2001:db8::77.
  const home = Buffer.concat([Buffer.from([201, 16]), ipv6Bytes('2001:db8::99'), Buffer.from([1, 2, 0, 0])]);
  const data = ethernet({ etherType: ETH.IPV6 }, ipv6({
    src: '2001:db8::1', dst: '2001:db8::2', nextHeader: PROTO.TCP,
    ext: [{ type: 60, options: home }, { type: 43, routingType: 4, segmentsLeft: 1, data: ipv6Bytes('2001:db8::77') }],
  }, tcp({ sport: 1234, dport: 80, flags: 0x02 })));
  const pkt = new DecodedPacket();
  decodeFrame(data, 0, data.length, data.length, 0, LT.ETHERNET, pkt);
  assert.deepEqual([...pkt.addrs], [0x20010db8, 0, 0, 0x99, 0x20010db8, 0, 0, 0x77]);
  // Not `tcp`: for IPv6, BPF tests the header's own Next Header field (60 here), as tcpdump does.
  const exprs = ['dst host 2001:db8::2', 'dst host 2001:db8::77', 'src host 2001:db8::99', 'src host 2001:db8::1', 'ip6 and not tcp'];
  assertOnePacket(exprs, data, pkt, [1, 0, 0, 1, 1]);
});

test('a filter set as big as V8 allows still counts exactly (state-machine filters, many filters)', () => {
  // More than 300 tests in one filter switches the code generator to its state machine.
  const big = Array.from({ length: 120 }, (_, i) => `port ${1000 + i}`).join(' or ');
  const exprs = [big, ...Array.from({ length: 60 }, (_, i) => `tcp port ${1000 + i * 2} or udp[0:2] = ${i}`)];
  const preds = exprs.map((e) => compileFilter('x', e));
  assert.match(filterSetSource([parseNamedFilter('x', big)]), /switch \(s\)/);
  // So many filters are split across several generated functions per protocol.
  assert.match(filterSetSource(exprs.map((e) => parseNamedFilter('x', e))), /function countAny_1\(/);
  const pkt = new DecodedPacket();
  const packets = new Float64Array(exprs.length);
  const bytes = new Float64Array(exprs.length);
  const set = compileFilterSet(exprs.map((e) => parseNamedFilter('x', e)), packets, bytes);
  const want = new Float64Array(exprs.length);
  const r = prng(7);
  for (let n = 0; n < 400; n++) {
    const sport = 1000 + Math.floor(r() * 130);
    const data = r() < 0.5
      ? ethernet({ etherType: ETH.IPV4 }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: PROTO.TCP }, tcp({ sport, dport: 9, flags: 0x10 })))
      : ethernet({ etherType: ETH.IPV6 }, ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: PROTO.UDP }, udp({ sport: Math.floor(r() * 70), dport: sport })));
    const cap = r() < 0.3 ? 14 + Math.floor(r() * 50) : data.length;
    decodeFrame(data, 0, cap, data.length, 0, LT.ETHERNET, pkt);
    set.count(data, pkt, data.length);
    preds.forEach((p, i) => { if (p(data, pkt)) want[i]!++; });
  }
  set.flush();
  assert.deepEqual(packets, want);
  assert.ok(want[0]! > 0 && want[0]! < 400);
});

test('tallies stay exact when packets match thousands of different sets of filters', () => {
  // 24 filters on single bits of the TCP sequence number: random sequence numbers make nearly
  // every packet's set of matching filters a new one, far more than a tally has entries for, so
  // most packets take the direct path; flushes come at irregular intervals.
  const exprs = Array.from({ length: 24 }, (_, j) => `tcp[4:4] & ${2 ** j} != 0`);
  const preds = exprs.map((e) => compileFilter('x', e));
  const packets = new Float64Array(exprs.length);
  const bytes = new Float64Array(exprs.length);
  const set = compileFilterSet(exprs.map((e, i) => parseNamedFilter(`f${i}`, e)), packets, bytes);
  const wantPackets = new Float64Array(exprs.length);
  const wantBytes = new Float64Array(exprs.length);
  const pkt = new DecodedPacket();
  const r = prng(99);
  for (let n = 0; n < 6000; n++) {
    // The first 1000 packets cycle through 16 sequence numbers (few sets: the tally path).
    const seq = n < 1000 ? (n % 16) * 0x01010101 : Math.floor(r() * 2 ** 32);
    const data = ethernet({ etherType: ETH.IPV4 }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: PROTO.TCP }, tcp({ sport: 1, dport: 2, seq, flags: 0x10 }, Buffer.alloc(n % 50))));
    decodeFrame(data, 0, data.length, data.length, 0, LT.ETHERNET, pkt);
    set.count(data, pkt, data.length);
    preds.forEach((p, i) => {
      if (p(data, pkt)) {
        wantPackets[i]!++;
        wantBytes[i]! += data.length;
      }
    });
    if (n % 777 === 0) set.flush();
  }
  set.flush();
  set.flush();
  assert.deepEqual(packets, wantPackets);
  assert.deepEqual(bytes, wantBytes);
  assert.ok(wantPackets.every((x) => x > 2000 && x < 4000));
});

test('an empty filter set counts nothing; a bad filter names itself and its column', () => {
  const packets = new Float64Array(0);
  const set = compileFilterSet([], packets, new Float64Array(0));
  set.count(Buffer.alloc(60), new DecodedPacket(), 60);
  set.flush();
  assert.equal(packets.length, 0);
  assert.throws(() => parseNamedFilter('web', 'tcp port 80 and'), (e: unknown) =>
    e instanceof FilterError && e.filterName === 'web' && e.column === 16 && /^filter "web": column 16: /.test(e.message));
});
