import type { DecodedPacket } from '../decode/packet';
import { DnsHeader, readDnsHeader } from './dns-message';
import { DnsRingTable } from './dns-ring-table';

/**
 * Reassembly of UDP datagrams carried in IP fragments, for the DNS analysis. A DNS response larger
 * than the path MTU (EDNS0 buffers above ~1 400 bytes, DNSSEC, ANY) arrives as IP fragments, and
 * Wireshark analyses it once, in the frame that completes its reassembly (packet-ip.c and
 * packet-ipv6.c: fragment_add_check, the datagram keyed by its addresses, protocol and
 * identification, see KEY_WORDS): counted by RCODE once, timed there, and not at all when a fragment is missing. So here:
 * every fragment of a UDP datagram is followed until the fragments cover the datagram (by their wire
 * lengths: netmon's own capture keeps 256 bytes of each); the first fragment says whether it is DNS
 * (its ports) and brings what the analysis reads (the DNS header and the first question's type, read
 * there: no bytes of the message are kept).
 * Only first fragments on a DNS port come here (the pipeline checks ports, as for every packet), and
 * every later fragment (it has no ports): those of other datagrams start entries that never complete
 * and leave uncounted. Bounded: at most `capacity` datagrams at once (oldest dropped first), each
 * dropped REASSEMBLY_TIMEOUT after its first fragment came (or its first seen); a DNS one dropped
 * incomplete is reported.
 */

/** Seconds a datagram may take to complete (Linux's net.ipv4.ipfrag_time default). */
export const REASSEMBLY_TIMEOUT = 30;
/** Disjoint byte ranges received per datagram before it is given up (fragments usually arrive in order: one range). */
const MAX_RANGES = 24;
/**
 * Key words: source 0-3, destination 4-7, identification, VLAN << 8 | IP version. As Wireshark 4.0
 * (tshark on Debian 12, checked), the VLAN separates IPv4 datagrams of private or link-local
 * addresses only (the same addresses may be reused on two VLANs); never IPv6 ones.
 */
const KEY_WORDS = 10;

/** DnsRingTable states: first fragment not seen yet; seen and DNS; seen and not DNS. */
const UNKNOWN = 1;
const DNS = 2;
const OTHER = 3;

/** Told of a DNS datagram given up incomplete (a fragment missing, too old, or pushed out). */
export interface FragmentLossSink {
  /** Its first fragment came on interface ifIndex; serverOf(s) names its server until it returns. */
  fragmentedIncomplete(ifIndex: number, s: number): void;
}

export class DnsFragments {
  /** Source port << 16 | destination port of slot s (from its first fragment). */
  ports = new Int32Array(0);
  /** The DNS header of slot s, read from its first fragment: id (-1: not captured whole), flags, qtype. */
  headers = new Int32Array(0);
  private readonly h = new DnsHeader();
  private readonly table: DnsRingTable;
  private readonly loss: FragmentLossSink;
  private readonly key = new Int32Array(KEY_WORDS);
  /** The datagram's length once its last fragment came, else -1. */
  private total = new Int32Array(0);
  /** Sorted disjoint [start, end) ranges received: MAX_RANGES pairs per slot, rangeCount[s] in use. */
  private ranges = new Int32Array(0);
  private rangeCount = new Uint8Array(0);
  private firstTime = new Float64Array(0);
  private iface = new Uint16Array(0);

  constructor(capacity: number, loss: FragmentLossSink) {
    this.table = new DnsRingTable(capacity, KEY_WORDS);
    this.loss = loss;
  }

  /** Datagrams being reassembled. */
  get size(): number {
    return this.table.size;
  }

  /**
   * One IP fragment (pkt.isFragment) of a UDP datagram. Returns the slot of a DNS datagram this
   * fragment completes (the caller reads ports and headers, then calls release), or -1 when
   * nothing is complete (an IPv6 atomic fragment, offset 0 and no more, is a whole datagram: the
   * caller analyses it as unfragmented and does not pass it here).
   */
  add(ifIndex: number, buf: Buffer, pkt: DecodedPacket, portMap: Uint8Array): number {
    const l3 = pkt.l3Offset;
    let id: number;
    let more: boolean;
    let start: number;
    let end: number;
    if (pkt.ipVersion === 4) {
      id = (buf[l3 + 4]! << 8) | buf[l3 + 5]!;
      more = (buf[l3 + 6]! & 0x20) !== 0;
      start = l3 + pkt.ipHeaderLen;
      end = l3 + ((buf[l3 + 2]! << 8) | buf[l3 + 3]!);
    } else {
      const q = ipv6FragmentHeader(buf, l3, pkt.capEnd);
      if (q < 0) return -1;
      id = buf.readInt32BE(q + 4);
      more = (buf[q + 3]! & 1) !== 0;
      start = q + 8;
      end = l3 + 40 + ((buf[l3 + 4]! << 8) | buf[l3 + 5]!);
    }
    const off = pkt.fragOffset;
    if (off === 0 && !more) return -1;
    const len = end - start;
    if (len <= 0) return -1;
    const t = this.table;
    const k = this.key;
    const a = pkt.addrs;
    for (let i = 0; i < 8; i++) k[i] = a[i]!;
    k[8] = id;
    k[9] = pkt.ipVersion === 4 && (local(a[0]!) || local(a[4]!)) ? ((pkt.vlanId & 0xffff) << 8) | 4 : pkt.ipVersion;
    const h = t.hash(k);
    let s = t.find(k, h);
    if (s < 0) s = this.create(k, h, ifIndex, pkt.ts);
    if (off === 0) this.first(s, buf, start, pkt.capEnd, portMap);
    if (!more) this.total[s] = off + len;
    if (!this.receive(s, off, off + len)) {
      this.drop(s);
      return -1;
    }
    const r = s * MAX_RANGES * 2;
    const total = this.total[s]!;
    if (total < 0 || this.rangeCount[s] !== 1 || this.ranges[r] !== 0 || this.ranges[r + 1]! < total) return -1;
    if (t.state[s] === DNS) return s;
    t.remove(s);
    return -1;
  }

  /**
   * The server of the DNS datagram in slot s, into out[0..3] (DecodedPacket.addrs layout): its
   * source for a response, its destination for a query. Returns its IP version.
   */
  serverOf(s: number, out: Uint32Array): number {
    const k = this.table.keys;
    const from = s * KEY_WORDS + ((this.headers[3 * s + 1]! & 0x8000) !== 0 ? 0 : 4);
    for (let i = 0; i < 4; i++) out[i] = k[from + i]! >>> 0;
    return k[s * KEY_WORDS + 9]! & 255;
  }

  /** Forgets a completed datagram add() returned. */
  release(s: number): void {
    this.table.remove(s);
  }

  /** Gives up the datagrams whose first fragment came REASSEMBLY_TIMEOUT or more before `now`. */
  advance(now: number): void {
    const t = this.table;
    if (t.size === 0) return;
    for (let s = t.oldest(); s >= 0 && now - this.firstTime[s]! >= REASSEMBLY_TIMEOUT; s = t.oldest()) this.drop(s);
  }

  private create(k: Int32Array, h: number, ifIndex: number, now: number): number {
    const t = this.table;
    const n = t.nextSlot();
    if (t.state[n] !== 0) this.drop(n);
    const s = t.insert(k, h, UNKNOWN);
    if (this.total.length === 0) this.allocate(t.capacity);
    this.total[s] = -1;
    this.rangeCount[s] = 0;
    this.firstTime[s] = now;
    this.iface[s] = ifIndex;
    return s;
  }

  private allocate(n: number): void {
    this.ports = new Int32Array(n);
    this.headers = new Int32Array(n * 3);
    this.total = new Int32Array(n);
    this.ranges = new Int32Array(n * MAX_RANGES * 2);
    this.rangeCount = new Uint8Array(n);
    this.firstTime = new Float64Array(n);
    this.iface = new Uint16Array(n);
  }

  /** The first fragment (offset 0): its ports decide whether the datagram is DNS; a DNS one's header is read. */
  private first(s: number, buf: Buffer, start: number, capEnd: number, portMap: Uint8Array): void {
    if (start + 4 > capEnd) {
      this.table.state[s] = OTHER;
      return;
    }
    const sport = (buf[start]! << 8) | buf[start + 1]!;
    const dport = (buf[start + 2]! << 8) | buf[start + 3]!;
    if ((portMap[sport]! | portMap[dport]!) === 0) {
      this.table.state[s] = OTHER;
      return;
    }
    this.table.state[s] = DNS;
    this.ports[s] = (sport << 16) | dport;
    const ulen = start + 6 <= capEnd ? (buf[start + 4]! << 8) | buf[start + 5]! : 0;
    const h = this.h;
    // A header not captured whole (or the id and flags only) makes the message malformed here.
    const ok = readDnsHeader(buf, start + 8, ulen >= 8 ? start + ulen : capEnd, capEnd, h) && !h.cut;
    this.headers[3 * s] = ok ? h.id : -1;
    // Without a whole header (h keeps the previous message's fields), the ports say which end is
    // the server: a datagram from a DNS port is taken for an answer (serverOf).
    this.headers[3 * s + 1] = ok ? h.flags : portMap[sport] !== 0 ? 0x8000 : 0;
    this.headers[3 * s + 2] = ok ? h.qtype : -1;
  }

  /** Adds [from, to) to slot s's ranges, merging what it overlaps or touches; false when there are too many. */
  private receive(s: number, from: number, to: number): boolean {
    const r = this.ranges;
    const base = s * MAX_RANGES * 2;
    const n = this.rangeCount[s]!;
    if (n === 0) {
      r[base] = from;
      r[base + 1] = to;
      this.rangeCount[s] = 1;
      return true;
    }
    // The first range ending at or after `from`, and the first starting after `to`: those between merge.
    let i = 0;
    while (i < n && r[base + 2 * i + 1]! < from) i++;
    let j = i;
    while (j < n && r[base + 2 * j]! <= to) j++;
    if (i < j) {
      from = Math.min(from, r[base + 2 * i]!);
      to = Math.max(to, r[base + 2 * (j - 1) + 1]!);
    }
    const count = n - (j - i) + 1;
    if (count > MAX_RANGES) return false;
    // Move the ranges from j on to follow the new one at i (a few words: no copyWithin call).
    const shift = i + 1 - j;
    if (shift < 0) {
      for (let x = base + 2 * j; x < base + 2 * n; x++) r[x + 2 * shift] = r[x]!;
    } else if (shift > 0) {
      for (let x = base + 2 * n - 1; x >= base + 2 * j; x--) r[x + 2] = r[x]!;
    }
    r[base + 2 * i] = from;
    r[base + 2 * i + 1] = to;
    this.rangeCount[s] = count;
    return true;
  }

  private drop(s: number): void {
    if (this.table.state[s] === DNS) this.loss.fragmentedIncomplete(this.iface[s]!, s);
    this.table.remove(s);
  }
}

/** An IPv4 address (host order) in 10/8, 172.16/12, 192.168/16 (RFC 1918) or 169.254/16 (RFC 3927). */
function local(a: number): boolean {
  return a >>> 24 === 10 || a >>> 20 === 0xac1 || a >>> 16 === 0xc0a8 || a >>> 16 === 0xa9fe;
}

/**
 * Offset of the fragment header of the IPv6 packet at l3 (the decoder found one), or -1. Walks the
 * extension headers before it: hop-by-hop, routing, destination options, mobility, HIP, shim6 (8-byte
 * units) and AH (4-byte units).
 */
function ipv6FragmentHeader(buf: Buffer, l3: number, capEnd: number): number {
  let nh = buf[l3 + 6]!;
  let q = l3 + 40;
  for (let i = 0; i < 16 && q + 8 <= capEnd; i++) {
    if (nh === 44) return q;
    if (nh === 0 || nh === 43 || nh === 60 || nh === 135 || nh === 139 || nh === 140) {
      nh = buf[q]!;
      q += (buf[q + 1]! + 1) * 8;
    } else if (nh === 51) {
      nh = buf[q]!;
      q += (buf[q + 1]! + 2) * 4;
    } else {
      return -1;
    }
  }
  return -1;
}
