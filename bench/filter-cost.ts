/**
 * Cost of named filters as netmon runs them: 20 typical expressions fused into one generated
 * function (compileFilterSet), over a stream of already-decoded packets, in ns per packet for the
 * whole set; plus the time to parse and compile the set, and, as a reference, the 20 single
 * predicates called one by one. A benchmark, not a test: it asserts nothing.
 */
import { compileFilter, compileFilterSet, parseNamedFilter } from '../src/filter/compile-filter';
import { decodeFrame } from '../src/decode/decode-frame';
import { DecodedPacket } from '../src/decode/packet';
import { arp, ETH, ethernet, icmp, icmpv6, ipv4, ipv6, LT, prng, PROTO, tcp, udp } from '../test/support/frames';

const FILTERS = [
  'tcp port 80', 'port 53', 'udp port 53 or udp port 5353', 'host 10.0.0.1', 'net 10.0.0.0/8',
  'src net 192.168.0.0/16 and dst port 443', 'tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn', 'icmp', 'icmp6',
  'arp', 'ip6', 'not port 22', 'tcp and (port 80 or port 443 or port 8080)', 'portrange 1-1023',
  'greater 1000', 'host 2001:db8::1', 'ip proto 47 or ip6 proto 47', 'tcp[tcpflags] & tcp-rst != 0',
  'udp and not port 53 and not port 123', 'icmp[icmptype] = icmp-echo or icmp[icmptype] = icmp-echoreply',
];

function stream(n: number): Array<{ buf: Buffer; pkt: DecodedPacket }> {
  const r = prng(42);
  const ips = ['10.0.0.1', '10.1.2.3', '192.168.1.1', '8.8.8.8'];
  const ip6s = ['2001:db8::1', '2001:db8::2', 'fe80::1'];
  const ports = [22, 53, 80, 123, 443, 8080, 40000, 5353];
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const out: Array<{ buf: Buffer; pkt: DecodedPacket }> = [];
  for (let i = 0; i < n; i++) {
    const k = r();
    const pay = Buffer.alloc(pick([0, 40, 500, 1400]));
    let data: Buffer;
    if (k < 0.45) data = ethernet({ etherType: ETH.IPV4 }, ipv4({ src: pick(ips), dst: pick(ips), proto: PROTO.TCP }, tcp({ sport: pick(ports), dport: pick(ports), flags: pick([0x02, 0x12, 0x10, 0x18, 0x04]) }, pay)));
    else if (k < 0.7) data = ethernet({ etherType: ETH.IPV4 }, ipv4({ src: pick(ips), dst: pick(ips), proto: PROTO.UDP }, udp({ sport: pick(ports), dport: pick(ports) }, pay)));
    else if (k < 0.85) data = ethernet({ etherType: ETH.IPV6 }, ipv6({ src: pick(ip6s), dst: pick(ip6s), nextHeader: PROTO.TCP }, tcp({ sport: pick(ports), dport: pick(ports), flags: 0x10 }, pay)));
    else if (k < 0.92) data = ethernet({ etherType: ETH.IPV4 }, ipv4({ src: pick(ips), dst: pick(ips), proto: PROTO.ICMP }, icmp({ type: pick([0, 8, 3]), code: 0 })));
    else if (k < 0.97) data = ethernet({ etherType: ETH.IPV6 }, ipv6({ src: pick(ip6s), dst: pick(ip6s), nextHeader: PROTO.ICMPV6 }, icmpv6({ type: 135, code: 0 })));
    else data = ethernet({ etherType: ETH.ARP }, arp({ op: 1, senderIp: pick(ips), targetIp: pick(ips) }));
    const pkt = new DecodedPacket();
    decodeFrame(data, 0, data.length, data.length, 0, LT.ETHERNET, pkt);
    out.push({ buf: data, pkt });
  }
  return out;
}

export interface FilterCostFigures {
  /** ns per packet for the fused set of all 20 filters. */
  setNs: number;
  /** ns per packet for the 20 single predicates called one after the other. */
  singleNs: number;
  /** ms to parse and compile the set (the first compilation in this process, so mostly cold code). */
  compileMs: number;
}

export function filterCost(): FilterCostFigures {
  const pkts = stream(4096);
  const packets = new Float64Array(FILTERS.length);
  const bytes = new Float64Array(FILTERS.length);
  const t0 = process.hrtime.bigint();
  const set = compileFilterSet(FILTERS.map((f, i) => parseNamedFilter(`f${i}`, f)), packets, bytes);
  const compileMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const preds = FILTERS.map((f) => compileFilter('bench', f));
  let sink = 0;
  const time = (rounds: number, fn: (buf: Buffer, pkt: DecodedPacket) => void): number => {
    const t = process.hrtime.bigint();
    for (let k = 0; k < rounds; k++) for (let i = 0; i < pkts.length; i++) fn(pkts[i]!.buf, pkts[i]!.pkt);
    return Number(process.hrtime.bigint() - t) / (rounds * pkts.length);
  };
  const fused = (buf: Buffer, pkt: DecodedPacket): void => set.count(buf, pkt, pkt.wireLen);
  const single = (buf: Buffer, pkt: DecodedPacket): void => {
    for (let j = 0; j < preds.length; j++) if (preds[j]!(buf, pkt)) sink++;
  };
  // Warm up (let V8 optimise the generated functions), then the best of 5 rounds each.
  time(20, fused);
  time(20, single);
  let setNs = Infinity;
  let singleNs = Infinity;
  for (let r = 0; r < 5; r++) {
    setNs = Math.min(setNs, time(20, fused));
    singleNs = Math.min(singleNs, time(20, single));
  }
  set.flush();
  if (sink === 0 || packets.every((n) => n === 0)) throw new Error('no filter matched anything: the stream is wrong');
  return { setNs, singleNs, compileMs };
}
