/**
 * Evaluator tests: every primitive and operator on hand-built frames, with the expected outcome
 * worked out from pcap-filter(7) and libpcap 1.10.3's generated BPF (`tcpdump -d EXPR`), not from
 * netmon. test/integration/filter-oracle.test.ts checks the same against tcpdump on captures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter } from '../../src/filter/compile-filter';
import { decodeFrame } from '../../src/decode/decode-frame';
import { DecodedPacket } from '../../src/decode/packet';
import { arp, ETH, ethernet, icmp, icmpv6, ipv4, ipv6, LT, mplsStack, pppoeSession, PROTO, sctp, sll, tcp, TCP_FLAGS, udp } from '../support/frames';

interface Frame {
  data: Buffer;
  wireLen?: number;
  linkType?: number;
}

const pkt = new DecodedPacket();

/** Runs `expr` over each frame; returns the indexes that matched. */
function matches(expr: string, frames: readonly Frame[]): number[] {
  const f = compileFilter('t', expr);
  const out: number[] = [];
  frames.forEach((fr, i) => {
    // Put the frame at an offset inside a bigger buffer: offsets must be absolute.
    const buf = Buffer.concat([Buffer.alloc(7, 0xee), fr.data, Buffer.alloc(5, 0xee)]);
    decodeFrame(buf, 7, fr.data.length, fr.wireLen ?? fr.data.length, 0, fr.linkType ?? LT.ETHERNET, pkt);
    if (f(buf, pkt)) out.push(i);
  });
  return out;
}

const v4 = (src: string, dst: string, proto: number, l4: Buffer, o: Partial<Parameters<typeof ipv4>[0]> = {}): Frame =>
  ({ data: ethernet({ etherType: ETH.IPV4 }, ipv4({ src, dst, proto, ...o }, l4)) });
const v6 = (src: string, dst: string, nh: number, l4: Buffer, o: Partial<Parameters<typeof ipv6>[0]> = {}): Frame =>
  ({ data: ethernet({ etherType: ETH.IPV6 }, ipv6({ src, dst, nextHeader: nh, ...o }, l4)) });
const T = (sport: number, dport: number, flags: number = TCP_FLAGS.ACK): Buffer => tcp({ sport, dport, flags });
const U = (sport: number, dport: number): Buffer => udp({ sport, dport });

// A fixed set of frames; comments give the index used in expectations.
const F: Frame[] = [
  /* 0 */ v4('10.0.0.1', '192.168.1.1', PROTO.TCP, T(1234, 80, TCP_FLAGS.SYN)),
  /* 1 */ v4('192.168.1.1', '10.0.0.1', PROTO.TCP, T(80, 1234, TCP_FLAGS.SYN | TCP_FLAGS.ACK)),
  /* 2 */ v4('10.1.2.3', '8.8.8.8', PROTO.UDP, U(5353, 53)),
  /* 3 */ v4('10.1.2.3', '8.8.8.8', PROTO.SCTP, sctp({ sport: 53, dport: 9 })),
  /* 4 */ v4('172.16.5.4', '1.2.3.4', PROTO.ICMP, icmp({ type: 8, code: 0 })),
  /* 5 */ v4('1.2.3.4', '172.16.5.4', PROTO.ICMP, icmp({ type: 0, code: 0 })),
  /* 6 */ v6('2001:db8::1', '2001:db8::2', PROTO.TCP, T(40000, 443, TCP_FLAGS.PSH | TCP_FLAGS.ACK)),
  /* 7 */ v6('2001:db8::2', 'fe80::1', PROTO.UDP, U(53, 5353)),
  /* 8 */ v6('fe80::1', 'ff02::1', PROTO.ICMPV6, icmpv6({ type: 135, code: 0 })),
  /* 9 */ { data: ethernet({ etherType: ETH.ARP }, arp({ op: 1, senderIp: '10.0.0.1', targetIp: '10.0.0.254' })) },
  /* 10 */ { data: ethernet({ etherType: 0x8035 }, arp({ op: 3, senderIp: '10.9.9.9', targetIp: '1.2.3.4' })) },
  // IPv4 fragments: first (MF, offset 0) carries the ports, the second does not.
  /* 11 */ v4('10.0.0.1', '10.0.0.2', PROTO.UDP, U(7, 53), { mf: true, id: 9, l4Checksum: false }),
  /* 12 */ v4('10.0.0.1', '10.0.0.2', PROTO.UDP, Buffer.from([0, 53, 0, 53, 0, 0, 0, 0]), { fragOffset: 16, id: 9, l4Checksum: false }),
  // IPv6 with a fragment header (first fragment, with a UDP header behind it).
  /* 13 */ v6('2001:db8::1', '2001:db8::2', PROTO.UDP, U(7, 53), { ext: [{ type: 44, offset: 0, more: true, id: 1 }] }),
  // IPv6 with a hop-by-hop header whose first bytes read as "port" 0x1100 = 4352 at offset 40.
  /* 14 */ v6('2001:db8::1', '2001:db8::2', PROTO.TCP, T(1, 2), { ext: [{ type: 0, options: Buffer.from([1, 2, 0, 0]) }] }),
  // IPv4 with options: the TCP header is 24 bytes further in.
  /* 15 */ v4('10.0.0.1', '10.0.0.2', PROTO.TCP, T(22, 2222, TCP_FLAGS.FIN | TCP_FLAGS.ACK), { options: Buffer.from([1, 1, 1, 0]) }),
  // 802.1Q-tagged IPv4/TCP: netmon applies the filter to the encapsulated packet.
  /* 16 */ { data: ethernet({ etherType: ETH.IPV4, vlans: [{ vid: 7 }] }, ipv4({ src: '10.0.0.1', dst: '10.0.0.3', proto: PROTO.TCP }, T(5, 8080, TCP_FLAGS.RST))) },
  // Linux cooked capture of IPv4/UDP.
  /* 17 */ { data: sll({ protocol: ETH.IPV4 }, ipv4({ src: '10.0.0.5', dst: '10.0.0.6', proto: PROTO.UDP }, U(123, 123))), linkType: LT.LINUX_SLL },
  // Big frame (wire length 1514, captured 100: snap length).
  /* 18 */ { data: ethernet({ etherType: ETH.IPV4 }, ipv4({ src: '10.0.0.7', dst: '10.0.0.8', proto: PROTO.TCP }, tcp({ sport: 443, dport: 50000, flags: TCP_FLAGS.ACK }, Buffer.alloc(1400)))).subarray(0, 100), wireLen: 1514 },
];

const ALL = F.map((_, i) => i);
const cases: ReadonlyArray<[string, number[]]> = [
  // protocols
  ['ip', [0, 1, 2, 3, 4, 5, 11, 12, 15, 16, 17, 18]],
  ['ip6', [6, 7, 8, 13, 14]],
  ['arp', [9]],
  ['rarp', [10]],
  ['tcp', [0, 1, 6, 15, 16, 18]], // 14: TCP behind a hop-by-hop header is not seen
  ['udp', [2, 7, 11, 12, 13, 17]], // 13: ip6 proto looks through one fragment header
  ['sctp', [3]],
  ['icmp', [4, 5]],
  ['icmp6', [8]],
  ['ip proto 17', [2, 11, 12, 17]],
  ['ip6 proto 17', [7, 13]],
  ['ip6 proto 44', [13]],
  ['ip6 proto 0', [14]],
  ['proto \\udp', [2, 7, 11, 12, 13, 17]],
  ['ip proto \\icmp', [4, 5]],
  // hosts: either direction, both families, ARP/RARP sender and target for IPv4 hosts
  ['host 10.0.0.1', [0, 1, 9, 11, 12, 15, 16]],
  ['ip host 10.0.0.1', [0, 1, 11, 12, 15, 16]],
  ['arp host 10.0.0.1', [9]],
  ['src host 10.0.0.1', [0, 9, 11, 12, 15, 16]],
  ['dst host 10.0.0.1', [1]],
  ['src and dst host 10.0.0.1', []],
  ['host 1.2.3.4', [4, 5, 10]],
  ['rarp host 1.2.3.4', [10]],
  ['host 2001:db8::2', [6, 7, 13, 14]],
  ['src host 2001:db8::2', [7]],
  ['ip6 dst host ff02::1', [8]],
  // networks, with tcpdump's short forms
  ['net 10', [0, 1, 2, 3, 9, 10, 11, 12, 15, 16, 17, 18]],
  ['net 10.1', [2, 3]],
  ['host 10.1', [2, 3]], // a short address is a network even after "host"
  ['net 192.168.1.0/24', [0, 1]],
  ['net 172.16.0.0 mask 255.240.0.0', [4, 5]],
  ['dst net 8.8.8.0/24', [2, 3]],
  ['net fe80::/10', [7, 8]],
  ['src net 2001:db8::/32', [6, 7, 13, 14]],
  ['net 0.0.0.0/0', [0, 1, 2, 3, 4, 5, 9, 10, 11, 12, 15, 16, 17, 18]],
  // ports: TCP, UDP and SCTP; IPv4 first fragments only; IPv6 at the fixed offset 40
  ['port 53', [2, 3, 7, 11]],
  ['tcp port 80', [0, 1]],
  ['udp port 53', [2, 7, 11]],
  ['sctp port 53', [3]],
  ['src port 53', [3, 7]],
  ['dst port 53', [2, 11]],
  ['port domain', [2, 3, 7, 11]],
  ['port http', [0, 1]],
  ['port 2222', [15]],
  ['port 2', []], // 14: IPv6 ports only when TCP/UDP/SCTP is the first next header
  ['port 8080', [16]],
  ['port ntp', [17]],
  ['portrange 50-90', [0, 1, 2, 3, 7, 11]],
  ['portrange 90-50', [0, 1, 2, 3, 7, 11]],
  ['tcp dst portrange 400-450', [6]],
  ['src portrange 1-1024', [1, 3, 7, 11, 15, 16, 17, 18]],
  // lengths (wire length, link header included)
  ['greater 1000', [18]],
  ['less 60', F.map((f, i) => ((f.wireLen ?? f.data.length) <= 60 ? i : -1)).filter((i) => i >= 0)],
  ['len >= 1514', [18]],
  // header loads and arithmetic
  ['tcp[tcpflags] = tcp-syn', [0]],
  ['tcp[tcpflags] & (tcp-syn|tcp-ack) = (tcp-syn|tcp-ack)', [1]],
  ['tcp[tcpflags] & tcp-fin != 0', [15]],
  ['tcp[13] & 4 != 0', [16]],
  ['tcp[0:2] = 22', [15]], // the IPv4 header length (options) is honoured
  ['tcp[2:2] > 60000', []], // tcp[] is IPv4 only: frame 6 (IPv6, port 443) and 18 do not qualify
  ['tcp[0:2] = 443', [18]],
  ['udp[2:2] = 53', [2, 11]],
  ['icmp[icmptype] = icmp-echo', [4]],
  ['icmp[icmptype] != icmp-echo', [5]], // != still requires ICMP
  ['not icmp[icmptype] = icmp-echo', ALL.filter((i) => i !== 4)],
  ['icmp6[icmp6type] = icmp6-neighborsolicit', [8]],
  ['ip[0] & 0xf > 5', [15]],
  ['ip[9] = 132', [3]],
  ['ip6[6] = 44', [13]],
  ['ip[2:2] + 14 = len', [0, 1, 2, 3, 4, 5, 11, 12, 15]], // len counts the VLAN tag (16) and SLL header (17)
  ['ip[8] * 2 - 1 = 127', [0, 1, 2, 3, 4, 5, 11, 12, 15, 16, 17, 18]],
  ['ip[8] / 3 = 21 and ip[8] % 3 = 1', [0, 1, 2, 3, 4, 5, 11, 12, 15, 16, 17, 18]],
  ['ip[8] << 2 = 256 and ip[8] >> 6 = 1', [0, 1, 2, 3, 4, 5, 11, 12, 15, 16, 17, 18]],
  ['ip[8] ^ 0xff = 0xbf and (ip[8] | 1) = 65', [0, 1, 2, 3, 4, 5, 11, 12, 15, 16, 17, 18]],
  ['ip[12:4] = 0x0a010203', [2, 3]],
  ['ip[0] - 0x46 > 0', [0, 1, 2, 3, 4, 5, 11, 12, 16, 17, 18]], // unsigned wrap-around: 0x45 - 0x46 is huge
  ['-ip[0] < 0', []],
  ['arp[6:2] = 1', [9]],
  // operators, precedence and qualifier repetition
  ['tcp and port 80', [0, 1]],
  ['tcp && port 80', [0, 1]],
  ['udp or icmp', [2, 4, 5, 7, 11, 12, 13, 17]],
  ['udp || icmp', [2, 4, 5, 7, 11, 12, 13, 17]],
  ['not ip', [6, 7, 8, 9, 10, 13, 14]],
  ['! ip and ! ip6', [9, 10]],
  ['icmp or udp and ip6', [7, 13]], // and/or are left-associative with EQUAL precedence
  ['icmp or (udp and ip6)', [4, 5, 7, 13]],
  ['not udp and ip', [0, 1, 3, 4, 5, 15, 16, 18]], // not binds tighter than and
  ['port 80 or 53', [0, 1, 2, 3, 7, 11]],
  ['tcp port 80 or 22', [0, 1, 15]],
  ['host 1.2.3.4 or 2001:db8::2', [4, 5, 6, 7, 10, 13, 14]],
  ['port 80 and not 1234', []],
  ['port 53 and not 5353', [3, 11]],
  ['port 80 or (host 1.2.3.4) or 53', [0, 1, 2, 3, 4, 5, 7, 10, 11]], // 53 is a port again
  ['udp and port (53 or 123)', [2, 7, 11, 17]],
  ['dst port 53 or 5353', [2, 7, 11]],
  ['', ALL],
];

for (const [expr, want] of cases) {
  test(`${JSON.stringify(expr)} matches ${JSON.stringify(want)}`, () => {
    assert.deepEqual(matches(expr, F), want);
  });
}

test('a load past the captured bytes rejects the whole packet, as bpf_filter() does', () => {
  const full = ethernet({ etherType: ETH.IPV4 }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: PROTO.TCP }, T(1, 80)));
  const cut = (n: number): Frame => ({ data: full.subarray(0, n), wireLen: full.length });
  const frames = [cut(14 + 20 + 2), cut(14 + 20), cut(14 + 10), cut(14 + 14), cut(full.length)];
  // Port 80 sits at bytes 36-37: frames cut before it are rejected, even under `not` or `or`.
  assert.deepEqual(matches('port 80', frames), [4]);
  assert.deepEqual(matches('not port 80', frames), []);
  assert.deepEqual(matches('port 80 or host 10.0.0.1', frames), [4]);
  // Tested first, the source address decides before the port is loaded (frames 0 and 1; frame 3
  // ends inside the source address).
  assert.deepEqual(matches('host 10.0.0.1 or port 80', frames), [0, 1, 4]);
  assert.deepEqual(matches('ip', frames), [0, 1, 2, 3, 4]); // no load beyond the EtherType
  assert.deepEqual(matches('len > 0', [{ data: Buffer.alloc(6), wireLen: 60 }]), [0]);
  assert.deepEqual(matches('not ip', [{ data: Buffer.alloc(6), wireLen: 60 }]), []);
});

test('division by zero at run time rejects the packet', () => {
  // ip[1] (TOS) is 0 in these frames.
  assert.deepEqual(matches('ip[8] / ip[1] = 0 or tcp', [F[0]!]), []);
  assert.deepEqual(matches('tcp or ip[8] / ip[1] = 0', [F[0]!]), [0]);
  assert.deepEqual(matches('ip[8] % ip[1] = 0 or tcp', [F[0]!]), []);
  // Like libpcap's optimizer, netmon drops a test that cannot change the result (`X or ip` on an
  // IPv4 packet), and with it the division.
  assert.deepEqual(matches('ip[8] / ip[1] = 0 or ip', [F[0]!]), [0]);
});

test('a shift by 32 or more yields 0, as bpf_filter() does', () => {
  // len is 54 here: 1 << 54 is 0 in BPF (not 1 << 22 as in C on x86 or JavaScript).
  assert.deepEqual(matches('ip[8] << len = 0', [F[0]!]), [0]);
  assert.deepEqual(matches('ip[8] >> len = 0', [F[0]!]), [0]);
});

test('libpcap drops the protocol check of the right operand of arithmetic', () => {
  // gen_arth() keeps only the left operand's checks: `len + icmp[0]` reads "icmp[0]" from any
  // IPv4 header (IHL-based), and from ARP too. Frame 0: byte 34 = TCP source port high byte 0x04.
  assert.deepEqual(matches('len + icmp[0] = 58', [F[0]!, F[9]!]), [0]);
  assert.deepEqual(matches('icmp[0] + len = 58', [F[0]!]), []);
});

test('reproduces libpcap 1.10.3 optimizer behaviour, including its pull-up bug', () => {
  // `tcpdump -d` shows the optimized program testing "ip proto 6" after "len < 100" succeeded:
  // a short IPv4/UDP packet does not match although "ip and len < 100" holds (tcpdump prints
  // none of them). netmon matches tcpdump, not the expression's plain meaning.
  const expr = 'ip and len < 100 || tcp[13] = 0 and icmp6[0] != 128 || ip proto 6';
  assert.deepEqual(matches(expr, [F[2]!, F[0]!]), [1]);
  // Without the contradictory middle term nothing is pulled up and the UDP packet matches.
  assert.deepEqual(matches('ip and len < 100 || ip proto 6', [F[2]!, F[0]!]), [0, 1]);
});

test('tests libpcap does not see as the same stay apart, so truncated packets fare as in tcpdump', () => {
  // An IPv4/UDP frame to port 443 cut at 34 (end of the IP header), 35, 36 and 38 bytes, then whole.
  // Expected sets are what tcpdump (libpcap 1.10.3) prints for each expression on these frames.
  const full = ethernet({ etherType: ETH.IPV4 }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: PROTO.UDP }, udp({ sport: 1000, dport: 443 }, Buffer.alloc(20))));
  const frames = [34, 35, 36, 38, full.length].map((n) => ({ data: full.subarray(0, n), wireLen: full.length }));
  // The same test twice: the optimizer sees `X or not X` and loads no port at all.
  assert.deepEqual(matches('not udp port 443 or udp port 443', frames), [0, 1, 2, 3, 4]);
  // A port range is a jge/jgt pair even for one port, not port's jeq: both loads stay.
  assert.deepEqual(matches('not udp portrange 443-443 or udp port 443', frames), [3, 4]);
  assert.deepEqual(matches('udp portrange 443 or not udp port 443', frames), [3, 4]);
  // The port primitives' fragment test (jset) is not the user's `ip[6:2] & 0x1fff` (and, jeq).
  assert.deepEqual(matches('not port 80 or 443 && ip[6:2] & 0x1fff != 0 || -ip[6:2] < 100', frames), [3, 4]);
});

test('large filters compile quickly and stay exact', () => {
  // 300 ports: thousands of tests, past the nested-block code layout (state machine instead).
  const ports = Array.from({ length: 300 }, (_, i) => `port ${2000 + 7 * i}`).join(' or ');
  const t0 = Date.now();
  const frames = [
    v4('10.0.0.1', '10.0.0.2', PROTO.TCP, T(50000, 2000 + 7 * 150)),
    v6('2001:db8::1', '2001:db8::2', PROTO.UDP, U(2000 + 7 * 299, 9)),
    v4('10.0.0.1', '10.0.0.2', PROTO.TCP, T(50000, 2001)),
    F[9]!,
  ];
  assert.deepEqual(matches(ports, frames), [0, 1]);
  // 10.0.0.1 and 10.1.1.1 are in the list: frame 0 (IPv4 from 10.0.0.1) and the ARP frame 9
  // (sender 10.0.0.1) match; frame 2 (10.1.2.3) and the IPv6 frame 6 do not.
  const hosts = Array.from({ length: 400 }, (_, i) => `host 10.${i >> 8}.${i & 255}.1`).join(' or ');
  assert.deepEqual(matches(hosts, [F[0]!, F[2]!, F[9]!, F[6]!]), [0, 2]);
  assert.ok(Date.now() - t0 < 5000, `${Date.now() - t0} ms`);
});

test('PPPoE and MPLS: the expression applies to the IP packet inside, as it does under VLAN tags (tcpdump would need pppoes / mpls)', () => {
  const t4 = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: PROTO.TCP }, T(40000, 80));
  const u6 = ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: PROTO.UDP }, U(5000, 53));
  const frames: Frame[] = [
    { data: ethernet({ etherType: ETH.PPPOE_SESSION }, pppoeSession({ protocol: 0x0021 }, t4)) },
    { data: ethernet({ etherType: ETH.MPLS }, mplsStack([16, 17], u6)) },
    { data: ethernet({ etherType: ETH.PPPOE_SESSION, pad: true }, pppoeSession({ protocol: 0xc021 }, Buffer.from([1, 1, 0, 4]))) },
  ];
  assert.deepEqual(matches('tcp port 80', frames), [0]);
  assert.deepEqual(matches('host 10.0.0.2', frames), [0]);
  assert.deepEqual(matches('ip6 and udp port 53', frames), [1]);
  assert.deepEqual(matches('ip or ip6', frames), [0, 1]);
  // Byte offsets count from the inner IP header: its protocol byte, and its version nibble.
  assert.deepEqual(matches('ip[9] = 6', frames), [0]);
  assert.deepEqual(matches('ip6[6] = 17', frames), [1]);
});
