import type { DecodedPacket } from '../decode/packet';
import type { AnalysisEvents } from './detectors';
import { DNS_FRAGMENTED_INCOMPLETE, DNS_FRAGMENTED_REASSEMBLED, DNS_MALFORMED, DNS_WORDS } from './dns-counters';
import type { DnsCounters } from './dns-counters';
import { DnsFragments } from './dns-fragments';
import type { FragmentLossSink } from './dns-fragments';
import { DnsIcmpQuotes } from './dns-icmp-quotes';
import { DnsHeader, isResponse, readDnsHeader, recordsCaptured } from './dns-message';
import { DnsTcpStreams } from './dns-tcp-streams';
import type { DnsMessageSink } from './dns-tcp-streams';
import { DnsTransactions } from './dns-transactions';

export interface DnsAnalyzerOptions {
  /** UDP and TCP ports whose traffic is DNS (either end). */
  readonly ports: readonly number[];
  /** Seconds a query waits for its response before it counts as unanswered. */
  readonly timeout: number;
  /** Seconds an unanswered query is remembered after `timeout`, to time a late response (0: none). */
  readonly lateWindow: number;
  /** Queries remembered at most (each for `timeout` + `lateWindow`: waiting, answered, or unanswered). */
  readonly maxPending: number;
  /** DNS-over-TCP stream directions followed at most. */
  readonly maxTcpStreams: number;
  /** UDP datagrams in IP fragments reassembled at once at most. */
  readonly maxFragmented: number;
}

const TRANSPORT_UDP = 1;

/**
 * LLMNR's port (RFC 4795) is DNS over UDP only: Wireshark registers its LLMNR dissector for UDP
 * 5355 and nothing for TCP 5355 (tshark 4.0 dissects DNS over TCP on 53 and mDNS's 5353, not there;
 * suricata-verify's `llmnr-tcp` captures), and LLMNR over TCP is rare.
 */
const LLMNR_PORT = 5355;

/**
 * DNS health from the packets: queries by type, responses by RCODE, each response matched to its
 * query and timed (DnsTransactions). In a capture file, a response cut by its snap length before
 * the end of its records answers its query but is not timed, as Wireshark adds dns.time only after
 * dissecting every record; fragments cut so are not reassembled, and a TCP segment cut so is read
 * from its first byte (dns-tcp-streams.ts), as Wireshark does. Live, the snap length is netmon's own
 * and a cut message counts as whole (its length from the headers), as tshark on a full capture of
 * the link would see it.
 * Only packets on a configured port reach observe(): the pipeline checks portMap first. UDP in
 * IP fragments is analysed once reassembled (dns-fragments.ts), as Wireshark analyses it: the first
 * fragment comes through observe(), the later ones (without ports) to fragment().
 */
export class DnsAnalyzer implements DnsCounters, DnsMessageSink, FragmentLossSink {
  /** portMap[p] is 1 for a DNS port: one load per port decides whether a packet is DNS. */
  readonly portMap = new Uint8Array(65536);
  /** The DNS ports read over TCP: all but LLMNR's (see LLMNR_PORT). */
  private readonly tcpPortMap = new Uint8Array(65536);
  readonly perInterface: Float64Array[] = [];
  /**
   * Per interface, 1 when a message cut by the capture counts as whole (live: the snap length is
   * netmon's own, and tshark on a full capture of the link would see the whole message), 0 when the
   * capture's cut is Wireshark's to see (a file: cut fragments are not reassembled, cut messages not timed).
   */
  private readonly ownSnap: number[] = [];
  private readonly tx: DnsTransactions;
  private readonly tcp: DnsTcpStreams;
  private readonly fragments: DnsFragments;
  /** DNS quoted in ICMP errors (icmpError). */
  private readonly icmp: DnsIcmpQuotes;
  private readonly h = new DnsHeader();
  /** The detectors, told of lost fragments (null: detectors off); the transactions tell them the rest. */
  private events: AnalysisEvents | null = null;
  /** A lost datagram's server address, for events.dnsFragmentLost. */
  private readonly server = new Uint32Array(4);

  constructor(o: DnsAnalyzerOptions) {
    for (const p of o.ports) this.portMap[p] = 1;
    this.tcpPortMap.set(this.portMap);
    this.tcpPortMap[LLMNR_PORT] = 0;
    this.icmp = new DnsIcmpQuotes(this.portMap, this.tcpPortMap);
    this.tx = new DnsTransactions(this.perInterface, o.timeout, o.lateWindow, o.maxPending);
    this.tcp = new DnsTcpStreams(o.maxTcpStreams);
    this.fragments = new DnsFragments(o.maxFragmented, this);
  }

  get pending(): number {
    return this.tx.waiting;
  }

  /** Waiting queries dropped because the pending table was full. */
  get evictions(): number {
    return this.tx.evictions;
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
    this.tx.events = events;
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
      h.nameAt = -1; // the fragments keep the header's fields, not the message
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
    this.tx.message(ifIndex, pkt, transport, h);
  }

  /** At packet time `now`: queries become unanswered or are forgotten (DnsTransactions), fragments are given up. */
  advance(now: number): void {
    this.fragments.advance(now);
    this.tx.advance(now);
  }
}
