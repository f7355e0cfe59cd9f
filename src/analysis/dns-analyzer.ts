import type { DecodedPacket } from '../decode/packet';
import type { AnalysisEvents } from './detectors';
import { DNS_RESPONSE_TIME_BUCKETS } from '../metrics/catalog';
import {
  DNS_UNTIMED, DNS_FRAGMENTED_INCOMPLETE, DNS_FRAGMENTED_REASSEMBLED, DNS_MALFORMED, DNS_Q, DNS_R, DNS_RETRANSMITTED, DNS_TIME_BUCKETS, DNS_TIME_COUNT, DNS_TIME_SUM, DNS_TRUNCATED, DNS_UNANSWERED, DNS_UNMATCHED, DNS_WORDS,
} from './dns-counters';
import type { DnsCounters } from './dns-counters';
import { DnsFragments } from './dns-fragments';
import type { FragmentLossSink } from './dns-fragments';
import { DnsIcmpQuotes } from './dns-icmp-quotes';
import { DnsHeader, isResponse, isTruncated, readDnsHeader, recordsCaptured } from './dns-message';
import { qtypeIndex } from './dns-names';
import { DnsRingTable } from './dns-ring-table';
import { DnsTcpStreams } from './dns-tcp-streams';
import type { DnsMessageSink } from './dns-tcp-streams';

export interface DnsAnalyzerOptions {
  /** UDP and TCP ports whose traffic is DNS (either end). */
  readonly ports: readonly number[];
  /** Seconds a query waits for its response before it counts as unanswered. */
  readonly timeout: number;
  /** Queries remembered at most (waiting, or answered and kept for `timeout` to spot repeated responses). */
  readonly maxPending: number;
  /** DNS-over-TCP stream directions followed at most. */
  readonly maxTcpStreams: number;
  /** UDP datagrams in IP fragments reassembled at once at most. */
  readonly maxFragmented: number;
}

/**
 * A repeated query (same id and endpoints) this soon after an unanswered one is a retransmission of
 * it, not a new transaction: Wireshark's dns.retransmission_timer default.
 */
export const DNS_RETRANSMIT_WINDOW = 5;

const TRANSPORT_UDP = 1;
const WAITING = 1;
const ANSWERED = 2;
const PHASE = 3;
/** State bit: the transaction is a zone transfer (AXFR, IXFR), whose every response is timed. */
const MULTI = 4;
const AXFR = 252;
const IXFR = 251;
const RCODE_SERVFAIL = 2;
const NBUCKETS = DNS_RESPONSE_TIME_BUCKETS.length;
const BOUNDS = Float64Array.from(DNS_RESPONSE_TIME_BUCKETS);

/**
 * LLMNR's port (RFC 4795) is DNS over UDP only: Wireshark registers its LLMNR dissector for UDP
 * 5355 and nothing for TCP 5355 (tshark 4.0 dissects DNS over TCP on 53 and mDNS's 5353, not there;
 * suricata-verify's `llmnr-tcp` captures), and LLMNR over TCP is rare.
 */
const LLMNR_PORT = 5355;

/**
 * DNS health from the packets: queries by type, responses by RCODE, and each response matched to its
 * query by transaction id and the two endpoints (addresses, ports, transport), as Wireshark's DNS
 * dissector matches them (packet-dns.c: the latest transaction with that id in the conversation):
 *  - a query repeating a waiting one within DNS_RETRANSMIT_WINDOW is a retransmission and keeps the
 *    original's time; otherwise it starts a new transaction (a waiting one it replaces is unanswered);
 *  - the first response to a transaction is timed from its (first) query; a repeated response, or one
 *    without a waiting query, is counted by RCODE but not timed (netmon_dns_unmatched_responses_total),
 *    except in a zone transfer (the question of the query, or of the latest response that has one, is
 *    AXFR or IXFR: Wireshark's multiple_responds), where every response is timed from the query;
 *  - a query still waiting after dns.timeout is unanswered (Wireshark has no timeout: a response later
 *    than that is timed by Wireshark and unmatched here);
 *  - in a capture file, a response cut by its snap length before the end of its records answers its
 *    query but is not timed (netmon_dns_untimed_responses_total, with the responses shorter than a header), as Wireshark adds dns.time only after
 *    dissecting every record; fragments cut so are not reassembled, and a TCP segment cut so is read
 *    from its first byte (dns-tcp-streams.ts), as Wireshark does. Live, the snap length is netmon's
 *    own and a cut message counts as whole (its length from the headers), as tshark on a full
 *    capture of the link would see it.
 * The pending table is bounded (dns.max_pending, oldest evicted first, counted) and allocated on first
 * use. Only packets on a configured port reach observe(): the pipeline checks portMap first. UDP in
 * IP fragments is analysed once reassembled (dns-fragments.ts), as Wireshark analyses it: the first
 * fragment comes through observe(), the later ones (without ports) to fragment().
 */
export class DnsAnalyzer implements DnsCounters, DnsMessageSink, FragmentLossSink {
  /** portMap[p] is 1 for a DNS port: one load per port decides whether a packet is DNS. */
  readonly portMap = new Uint8Array(65536);
  /** The DNS ports read over TCP: all but LLMNR's (see LLMNR_PORT). */
  private readonly tcpPortMap = new Uint8Array(65536);
  readonly perInterface: Float64Array[] = [];
  evictions = 0;
  /**
   * Per interface, 1 when a message cut by the capture counts as whole (live: the snap length is
   * netmon's own, and tshark on a full capture of the link would see the whole message), 0 when the
   * capture's cut is Wireshark's to see (a file: cut fragments are not reassembled, cut messages not timed).
   */
  private readonly ownSnap: number[] = [];
  private waiting = 0;
  private readonly timeout: number;
  private readonly queries: DnsRingTable;
  private reqTime = new Float64Array(0);
  private reqIface = new Uint16Array(0);
  private readonly tcp: DnsTcpStreams;
  private readonly fragments: DnsFragments;
  /** DNS quoted in ICMP errors (icmpError). */
  private readonly icmp: DnsIcmpQuotes;
  private readonly key = new Int32Array(10);
  private readonly h = new DnsHeader();
  /** The detectors, told of SERVFAIL responses, timed responses and unanswered queries (null: detectors off). */
  private events: AnalysisEvents | null = null;
  /** An unanswered query's server address, for events.dnsUnanswered. */
  private readonly server = new Uint32Array(4);
  /** A timed response's time, for events.dnsAnswered (a double argument would be boxed). */
  private readonly time = new Float64Array(1);

  constructor(o: DnsAnalyzerOptions) {
    for (const p of o.ports) this.portMap[p] = 1;
    this.tcpPortMap.set(this.portMap);
    this.tcpPortMap[LLMNR_PORT] = 0;
    this.icmp = new DnsIcmpQuotes(this.portMap, this.tcpPortMap);
    this.timeout = o.timeout;
    this.queries = new DnsRingTable(o.maxPending, 10);
    this.tcp = new DnsTcpStreams(o.maxTcpStreams);
    this.fragments = new DnsFragments(o.maxFragmented, this);
  }

  get pending(): number {
    return this.waiting;
  }

  /** UDP datagrams in IP fragments being reassembled now. */
  get reassembling(): number {
    return this.fragments.size;
  }

  /** `ownSnap`: the interface is a live capture with netmon's snap length (see ownSnap). */
  addInterface(ownSnap = false): void {
    this.perInterface.push(new Float64Array(DNS_WORDS));
    this.ownSnap.push(ownSnap ? 1 : 0);
  }

  /** Names the servers of SERVFAIL responses, timed responses and unanswered queries to the detectors. */
  setEvents(events: AnalysisEvents): void {
    this.events = events;
  }

  /** A UDP or TCP packet with a decoded transport header on a DNS port (a UDP one may be a first fragment). */
  observe(ifIndex: number, buf: Buffer, pkt: DecodedPacket): void {
    if (pkt.ipProto === 17) {
      if (pkt.isFragment) {
        this.fragment(ifIndex, buf, pkt);
        return;
      }
      this.datagram(ifIndex, pkt, buf);
    } else if (pkt.ipProto === 6 && (this.tcpPortMap[pkt.srcPort]! | this.tcpPortMap[pkt.dstPort]!) !== 0) {
      this.tcp.segment(this, ifIndex, buf, pkt, this.ownSnap[ifIndex] === 1);
    }
  }

  /** The DNS message of a UDP datagram whose header is at pkt.l4Offset (whole, or a first fragment's start). */
  private datagram(ifIndex: number, pkt: DecodedPacket, buf: Buffer): void {
    const l4 = pkt.l4Offset;
    const ulen = (buf[l4 + 4]! << 8) | buf[l4 + 5]!;
    const end = pkt.capEnd;
    const msgEnd = ulen >= 8 ? l4 + ulen : end;
    const h = this.h;
    if (!readDnsHeader(buf, l4 + 8, msgEnd, end, h)) {
      this.malformed(ifIndex);
      return;
    }
    if (h.cut) this.malformed(ifIndex); // the id and flags only: counted by them, never timed
    else if (end < msgEnd) {
      if (this.ownSnap[ifIndex] === 0) h.cut = !recordsCaptured(buf, l4 + 8, end);
    } else if (isResponse(h.flags)) {
      // Whole: a response whose records run past its end (malformed) is not timed either.
      h.cut = !recordsCaptured(buf, l4 + 8, msgEnd);
    }
    this.message(ifIndex, pkt, TRANSPORT_UDP, h);
  }

  /**
   * True when the capture file cut this IP packet (not netmon's own snap length): Wireshark reassembles
   * only fragments captured whole (packet-ip.c, packet-ipv6.c: tvb_bytes_exist).
   */
  private cutFragment(ifIndex: number, buf: Buffer, pkt: DecodedPacket): boolean {
    if (this.ownSnap[ifIndex] === 1) return false;
    const l3 = pkt.l3Offset;
    const end = pkt.ipVersion === 4 ? l3 + ((buf[l3 + 2]! << 8) | buf[l3 + 3]!) : l3 + 40 + ((buf[l3 + 4]! << 8) | buf[l3 + 5]!);
    return end > pkt.capEnd;
  }

  /**
   * An IP fragment of a UDP datagram: a first one on a DNS port (from observe()), or a later one
   * (no ports: the pipeline passes every one). The DNS message is analysed when its last missing
   * fragment comes, with that packet's time (Wireshark's reassembled frame).
   */
  fragment(ifIndex: number, buf: Buffer, pkt: DecodedPacket): void {
    if (pkt.fragOffset === 0 && !pkt.fragMore) {
      // An IPv6 atomic fragment (offset 0, no more): the whole datagram, cut or not, as Wireshark
      // reads it (it does not reassemble those).
      if (pkt.l4Offset >= 0 && (this.portMap[pkt.srcPort]! | this.portMap[pkt.dstPort]!) !== 0) this.datagram(ifIndex, pkt, buf);
      return;
    }
    if (this.cutFragment(ifIndex, buf, pkt)) {
      // Not reassembled. Wireshark dissects the payload of an IPv4 first fragment so cut as it is
      // (its DNS message cut too), and shows any other (IPv6 ones included) as data.
      if (pkt.ipVersion === 4 && pkt.l4Offset >= 0 && (this.portMap[pkt.srcPort]! | this.portMap[pkt.dstPort]!) !== 0) this.datagram(ifIndex, pkt, buf);
      return;
    }
    const f = this.fragments;
    const s = f.add(ifIndex, buf, pkt, this.portMap);
    if (s < 0) return;
    this.perInterface[ifIndex]![DNS_FRAGMENTED_REASSEMBLED]++;
    // The packet completing it is a later fragment (ports 0) or the first: it gets the datagram's
    // ports for the analysis, and its own back after.
    const sport = pkt.srcPort;
    const dport = pkt.dstPort;
    const ports = f.ports[s]!;
    pkt.srcPort = ports >>> 16;
    pkt.dstPort = ports & 0xffff;
    const hs = f.headers;
    if (hs[3 * s]! < 0) {
      this.malformed(ifIndex);
    } else {
      const h = this.h;
      h.id = hs[3 * s]!;
      h.flags = hs[3 * s + 1]!;
      h.qtype = hs[3 * s + 2]!;
      h.cut = false;
      this.message(ifIndex, pkt, TRANSPORT_UDP, h);
    }
    pkt.srcPort = sport;
    pkt.dstPort = dport;
    f.release(s);
  }

  /** An ICMP or ICMPv6 packet (the pipeline passes those, which have no ports): see DnsIcmpQuotes. */
  icmpError(ifIndex: number, buf: Buffer, pkt: DecodedPacket): void {
    this.icmp.observe(this.perInterface[ifIndex]!, buf, pkt);
  }

  fragmentedIncomplete(ifIndex: number, s: number): void {
    this.perInterface[ifIndex]![DNS_FRAGMENTED_INCOMPLETE]++;
    const events = this.events;
    if (events !== null) {
      const v = this.fragments.serverOf(s, this.server);
      events.dnsFragmentLost(this.server, v);
    }
  }

  malformed(ifIndex: number): void {
    this.perInterface[ifIndex]![DNS_MALFORMED]++;
  }

  message(ifIndex: number, pkt: DecodedPacket, transport: number, h: DnsHeader): void {
    const c = this.perInterface[ifIndex]!;
    const a = pkt.addrs;
    const k = this.key;
    const response = isResponse(h.flags);
    // The key names the client first: the query's source, the response's destination.
    const cl = response ? 4 : 0;
    const sv = response ? 0 : 4;
    k[0] = a[cl]!; k[1] = a[cl + 1]!; k[2] = a[cl + 2]!; k[3] = a[cl + 3]!;
    k[4] = a[sv]!; k[5] = a[sv + 1]!; k[6] = a[sv + 2]!; k[7] = a[sv + 3]!;
    k[8] = response ? (pkt.dstPort << 16) | pkt.srcPort : (pkt.srcPort << 16) | pkt.dstPort;
    k[9] = (h.id << 8) | (transport << 4) | pkt.ipVersion;
    const t = this.queries;
    const hh = t.hash(k);
    let s = t.find(k, hh);
    const now = pkt.ts;
    if (!response) {
      c[DNS_Q + qtypeIndex(h.qtype)]++;
      if (s >= 0) {
        if ((t.state[s]! & PHASE) === WAITING) {
          const age = now - this.reqTime[s]!;
          if (age < DNS_RETRANSMIT_WINDOW && age < this.timeout) {
            c[DNS_RETRANSMITTED]++;
            return;
          }
          this.unanswered(s);
        } else {
          t.remove(s);
        }
      }
      const n = t.nextSlot();
      if (t.state[n] !== 0) {
        if (t.state[n] === WAITING) {
          this.evictions++;
          this.waiting--;
        }
        t.remove(n);
      }
      const q = t.insert(k, hh, h.qtype === AXFR || h.qtype === IXFR ? WAITING | MULTI : WAITING);
      if (this.reqTime.length === 0) {
        this.reqTime = new Float64Array(t.capacity);
        this.reqIface = new Uint16Array(t.capacity);
      }
      this.reqTime[q] = now;
      this.reqIface[q] = ifIndex;
      this.waiting++;
      return;
    }
    c[DNS_R + (h.flags & 15)]++;
    if ((h.flags & 15) === RCODE_SERVFAIL && this.events !== null) this.events.dnsServfail(pkt);
    if (isTruncated(h.flags)) c[DNS_TRUNCATED]++;
    if (s < 0) s = this.sameDirection(pkt);
    if (s < 0) {
      c[DNS_UNMATCHED]++;
      return;
    }
    const st = t.state[s]!;
    // As Wireshark, a response's own question (when it has one) decides for the responses after it.
    if (h.qtype >= 0) t.state[s] = (st & PHASE) | (h.qtype === AXFR || h.qtype === IXFR ? MULTI : 0);
    if ((st & PHASE) !== WAITING && (st & MULTI) === 0) {
      c[DNS_UNMATCHED]++;
      return;
    }
    const dt = now - this.reqTime[s]!;
    if (dt >= this.timeout) {
      // Expired, though advance() has not swept it yet.
      if ((st & PHASE) === WAITING) this.unanswered(s);
      else t.remove(s);
      c[DNS_UNMATCHED]++;
      return;
    }
    if ((st & PHASE) === WAITING) {
      // Answered: kept until its timeout, so that a repeated response is not taken for a new one.
      t.state[s] = (t.state[s]! & MULTI) | ANSWERED;
      this.waiting--;
    }
    if (h.cut) {
      // Wireshark matched it (before dissecting its records) but met the end of the captured data.
      c[DNS_UNTIMED]++;
      return;
    }
    let i = 0;
    while (i < NBUCKETS && dt > BOUNDS[i]!) i++;
    c[DNS_TIME_BUCKETS + i]++;
    c[DNS_TIME_SUM] += dt;
    c[DNS_TIME_COUNT]++;
    if (this.events !== null) {
      this.time[0] = dt;
      this.events.dnsAnswered(pkt, this.time);
    }
  }

  /**
   * A response that no query sent the other way explains: the query it answers may have gone the
   * same way (a host answering its own multicast query: sender and group are the same two ends).
   * Wireshark matches by conversation, which has no direction; so does this second lookup, paid
   * only by unmatched responses. The key (words 8 and 9 kept) is turned to name the sender first.
   */
  private sameDirection(pkt: DecodedPacket): number {
    const a = pkt.addrs;
    const k = this.key;
    k[0] = a[0]!; k[1] = a[1]!; k[2] = a[2]!; k[3] = a[3]!;
    k[4] = a[4]!; k[5] = a[5]!; k[6] = a[6]!; k[7] = a[7]!;
    k[8] = (pkt.srcPort << 16) | pkt.dstPort;
    return this.queries.find(k, this.queries.hash(k));
  }

  /** Ends the queries older than dns.timeout at packet time `now`. */
  advance(now: number): void {
    this.fragments.advance(now);
    const t = this.queries;
    for (let s = t.oldest(); s >= 0 && now - this.reqTime[s]! >= this.timeout; s = t.oldest()) {
      if ((t.state[s]! & PHASE) === WAITING) this.unanswered(s);
      else t.remove(s);
    }
  }

  /**
   * A query that got no response. One sent to a multicast group (mDNS, LLMNR: any number of hosts,
   * or none, answer from their own addresses) is not unanswered: it is forgotten uncounted.
   */
  private unanswered(s: number): void {
    this.waiting--;
    // The key names the server at words 4..7 and the IP version in the low bits of word 9.
    const k = this.queries.keys;
    const b = s * 10;
    const version = k[b + 9]! & 15;
    const first = k[b + 4]! >>> 0;
    if (version === 4 ? first >>> 28 === 0xe : first >>> 24 === 0xff) {
      this.queries.remove(s);
      return;
    }
    this.perInterface[this.reqIface[s]!]![DNS_UNANSWERED]++;
    const events = this.events;
    if (events !== null) {
      for (let i = 0; i < 4; i++) this.server[i] = k[b + 4 + i]! >>> 0;
      events.dnsUnanswered(this.server, version);
    }
    this.queries.remove(s);
  }
}
