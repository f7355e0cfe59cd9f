import type { DecodedPacket } from '../decode/packet';
import { DnsHeader, readDnsHeader } from './dns-message';
import { IpReassembly } from './ip-reassembly';
import type { ReassemblyOwner } from './ip-reassembly';

/**
 * Reassembly of UDP datagrams carried in IP fragments, for the DNS analysis. A DNS response larger
 * than the path MTU (EDNS0 buffers above ~1 400 bytes, DNSSEC, ANY) arrives as IP fragments, and
 * Wireshark analyses it once, in the frame that completes its reassembly (ip-reassembly.ts):
 * counted by RCODE once, timed there, and not at all when a fragment is missing. The first
 * fragment says whether it is DNS (its ports) and brings what the analysis reads (the DNS header
 * and the first question's type, read there: no bytes of the message are kept).
 * Only first fragments on a DNS port come here (the pipeline checks ports, as for every packet), and
 * every later fragment of UDP (it has no ports): those of other datagrams start entries that never
 * complete and leave uncounted. A DNS one dropped incomplete is reported.
 */

/** Reassembly states (DnsRingTable.state): seen and DNS; seen and not DNS (FRAGMENTS_UNKNOWN: first fragment not seen yet). */
const DNS = 2;
const OTHER = 3;
/** Holes a datagram's fragments may leave at once: a DNS answer is a few 1 500-byte fragments. */
const MAX_RANGES = 24;

/** Told of a DNS datagram given up incomplete (a fragment missing, too old, or pushed out). */
export interface FragmentLossSink {
  /** Its first fragment came on interface ifIndex; serverOf(s) names its server until it returns. */
  fragmentedIncomplete(ifIndex: number, s: number): void;
}

export class DnsFragments implements ReassemblyOwner {
  /** Source port << 16 | destination port of slot s (from its first fragment). */
  ports = new Int32Array(0);
  /** The DNS header of slot s, read from its first fragment: id (-1: not captured whole), flags, qtype. */
  headers = new Int32Array(0);
  private readonly h = new DnsHeader();
  private readonly reassembly: IpReassembly;
  private readonly loss: FragmentLossSink;

  constructor(capacity: number, loss: FragmentLossSink) {
    this.reassembly = new IpReassembly(capacity, this, MAX_RANGES);
    this.loss = loss;
  }

  /** Datagrams being reassembled. */
  get size(): number {
    return this.reassembly.size;
  }

  /**
   * One IP fragment (pkt.isFragment) of a UDP datagram. Returns the slot of a DNS datagram this
   * fragment completes (the caller reads ports and headers, then calls release), or -1 when
   * nothing is complete (an IPv6 atomic fragment, offset 0 and no more, is a whole datagram: the
   * caller analyses it as unfragmented and does not pass it here).
   */
  add(ifIndex: number, buf: Buffer, pkt: DecodedPacket, portMap: Uint8Array): number {
    const r = this.reassembly;
    const s = r.slot(ifIndex, buf, pkt);
    if (s < 0) return -1;
    if (this.ports.length === 0) this.allocate(r.table.capacity);
    if (pkt.fragOffset === 0) this.first(s, buf, r.start, pkt.capEnd, portMap);
    if (!r.add(s, pkt)) return -1;
    if (r.table.state[s] === DNS) return s;
    r.release(s);
    return -1;
  }

  /**
   * The server of the DNS datagram in slot s, into out[0..3] (DecodedPacket.addrs layout): its
   * source for a response, its destination for a query. Returns its IP version.
   */
  serverOf(s: number, out: Uint32Array): number {
    const k = this.reassembly.table.keys;
    const kw = this.reassembly.table.keyWords;
    const from = s * kw + ((this.headers[3 * s + 1]! & 0x8000) !== 0 ? 0 : 4);
    for (let i = 0; i < 4; i++) out[i] = k[from + i]! >>> 0;
    return k[s * kw + 9]! & 255;
  }

  /** Forgets a completed datagram add() returned. */
  release(s: number): void {
    this.reassembly.release(s);
  }

  /** Gives up the datagrams whose first fragment came REASSEMBLY_TIMEOUT or more before `now`. */
  advance(now: number): void {
    this.reassembly.advance(now);
  }

  droppedIncomplete(s: number): void {
    if (this.reassembly.table.state[s] === DNS) this.loss.fragmentedIncomplete(this.reassembly.iface[s]!, s);
  }

  private allocate(n: number): void {
    this.ports = new Int32Array(n);
    this.headers = new Int32Array(n * 3);
  }

  /** The first fragment (offset 0): its ports decide whether the datagram is DNS; a DNS one's header is read. */
  private first(s: number, buf: Buffer, start: number, capEnd: number, portMap: Uint8Array): void {
    if (start + 4 > capEnd) {
      this.reassembly.table.state[s] = OTHER;
      return;
    }
    const sport = (buf[start]! << 8) | buf[start + 1]!;
    const dport = (buf[start + 2]! << 8) | buf[start + 3]!;
    if ((portMap[sport]! | portMap[dport]!) === 0) {
      this.reassembly.table.state[s] = OTHER;
      return;
    }
    this.reassembly.table.state[s] = DNS;
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
}
