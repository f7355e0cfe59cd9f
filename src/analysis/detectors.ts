import type { DecodedPacket } from '../decode/packet';
import { resolveDetectOptions } from './detect-options';
import { DnsNameDetector } from './dns-name-detector';
import { DnsServerDetector } from './dns-server-detector';
import type { DetectOptions } from './detect-options';
import { ResetDetector } from './reset-detector';
import { RetransmissionDetector } from './retransmission-detector';
import { ScanDetector } from './scan-detector';
import { SynFloodDetector } from './syn-flood-detector';
import { EMPTY_TOP_LIST } from './top-list';
import type { TopList } from './top-list';
import { WINDOW_STEPS } from './window-counts';

export type { DetectOptions } from './detect-options';
export type { TopList } from './top-list';

/** The detectors, in the order of DetectorReport.keys / .evictions (the `detector` label). */
export const DETECTOR_NAMES: readonly string[] = ['scan', 'syn_flood', 'resets', 'dns_servers', 'retransmissions', 'dns_names'];

/** What the detector families export, computed at scrape time. */
export interface DetectorReport {
  readonly windowSeconds: number;
  /** Sources by distinct (destination, port) contacts (label src_ip). */
  readonly scanPorts: TopList;
  /** Sources by distinct destinations (label src_ip). */
  readonly scanHosts: TopList;
  /** Destinations by unanswered SYNs (labels dst_ip, dst_port). */
  readonly synUnanswered: TopList;
  /** Sources by RSTs sent (label src_ip). */
  readonly rstSent: TopList;
  /** DNS servers by SERVFAIL responses sent, and by queries left unanswered (label server_ip). */
  readonly dnsServfail: TopList;
  readonly dnsUnanswered: TopList;
  /** DNS servers by the time clients waited on their timed responses (seconds), and those responses (same servers, same order). */
  readonly dnsWait: TopList;
  readonly dnsTimed: TopList;
  /** DNS servers by their messages in IP fragments that never completed (label server_ip). */
  readonly dnsFragmentsLost: TopList;
  /** (source, destination) pairs by TCP segments retransmitted (labels src_ip, dst_ip). */
  readonly tcpRetransmissions: TopList;
  /** Query names by NXDOMAIN and by SERVFAIL responses (label name; empty unless detect.max_dns_names). */
  readonly dnsNxdomainNames: TopList;
  readonly dnsServfailNames: TopList;
  /** Keys tracked now and keys evicted because a table was full, per detector (DETECTOR_NAMES). */
  readonly keys: Float64Array;
  readonly evictions: Float64Array;
}

/**
 * The DNS and TCP analysers' events whose hosts the detectors name (src/analysis/dns-analyzer.ts,
 * tcp-analyzer.ts): called on those events only (a DNS response, a query expiring, a retransmitted
 * segment), never for other packets.
 */
export interface AnalysisEvents {
  /** A DNS response with RCODE SERVFAIL (its source is the server). */
  dnsServfail(pkt: DecodedPacket): void;
  /**
   * A DNS response with RCODE SERVFAIL (2) or NXDOMAIN (3) whose first question's name, captured
   * whole, starts at buf[at].
   */
  dnsFailedName(pkt: DecodedPacket, buf: Buffer, at: number, rcode: number): void;
  /** A DNS query to the server at server[0..3] (DecodedPacket.addrs layout) got no response. */
  dnsUnanswered(server: Uint32Array, ipVersion: number): void;
  /** A DNS response (its source is the server) timed from its query: times[0] seconds. */
  dnsAnswered(pkt: DecodedPacket, times: Float64Array): void;
  /** A DNS message from or to the server at server[0..3] came in IP fragments, and one never came. */
  dnsFragmentLost(server: Uint32Array, ipVersion: number): void;
  /**
   * A TCP segment the analyser found retransmitted (its source sent it again). `hint` is what this
   * returned for the previous retransmission of the same connection direction (-1 for none): it
   * spares the lookup of the pair when the same connection keeps retransmitting.
   */
  tcpRetransmission(pkt: DecodedPacket, hint: number): number;
}

const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;
const ICMP = 1;
const ICMPV6 = 58;
const UDP = 17;

/**
 * Attack detectors fed by the packet pipeline, one call per IP packet: scans and host sweeps
 * (ScanDetector), SYN floods (SynFloodDetector) and RST sources (ResetDetector), over a sliding window
 * of packet time (WINDOW_STEPS steps); and, fed by the DNS and TCP analysers' events (AnalysisEvents),
 * failing and slow DNS servers (DnsServerDetector), retransmitting paths (RetransmissionDetector) and,
 * when asked for (detect.max_dns_names), failing query names (DnsNameDetector).
 * Each has its own bounded tables (KeyTable); nothing here allocates per packet, and the top N of
 * each gauge is chosen only at scrape time.
 *
 * A contact (ScanDetector) is a packet that opens a conversation:
 *  - a TCP segment with neither ACK nor RST: a SYN, or a FIN, NULL or Xmas probe;
 *  - an ICMP echo request or ICMPv6 echo request (port 0);
 *  - a UDP datagram that the destination answered with ICMP port unreachable (ICMPv6: port
 *    unreachable): the error quotes the datagram's header, which names the prober, the target and
 *    the port. A UDP scan mostly hits closed ports, so it shows this way, while ordinary UDP (DNS,
 *    QUIC, a third of some links' packets) costs nothing: which datagram opens a conversation is not
 *    visible in UDP itself.
 * Every other packet costs two or three field tests: the common TCP segment (ACK without SYN or
 * RST) and UDP datagram do nothing here.
 */
export class Detectors implements AnalysisEvents {
  readonly options: DetectOptions;
  private readonly scan: ScanDetector;
  private readonly syn: SynFloodDetector;
  private readonly resets: ResetDetector;
  private readonly dnsServers: DnsServerDetector;
  private readonly retransmissions: RetransmissionDetector;
  /** Failing query names (null: detect.max_dns_names 0, the default). */
  private readonly dnsNames: DnsNameDetector | null;
  private readonly stepSeconds: number;
  /** Current step, counted from `origin` so that it stays a small integer (see WindowCounts). */
  private step = 0;
  private origin = NaN;
  private nextStepAt = -Infinity;
  private changed = true;
  private cached: DetectorReport | undefined;
  /** The quoted datagram's addresses of an ICMP error, laid out as DecodedPacket.addrs. */
  private readonly quoted = new Uint32Array(8);

  constructor(options: Partial<DetectOptions> = {}) {
    this.options = resolveDetectOptions(options);
    this.scan = new ScanDetector(this.options.maxContacts);
    this.syn = new SynFloodDetector(this.options.maxTargets);
    this.resets = new ResetDetector(this.options.maxSources);
    this.dnsServers = new DnsServerDetector(this.options.maxSources);
    this.retransmissions = new RetransmissionDetector(this.options.maxSources);
    this.dnsNames = this.options.maxDnsNames > 0 ? new DnsNameDetector(this.options.maxDnsNames) : null;
    this.stepSeconds = this.options.window / WINDOW_STEPS;
  }

  /** One IP packet (pkt.ipVersion is 4 or 6) in `buf` (read only for the datagram an ICMP error quotes). */
  observe(pkt: DecodedPacket, buf: Buffer): void {
    const proto = pkt.ipProto;
    if (proto === 6) {
      const f = pkt.tcpFlags;
      // The common segment: ACK without SYN or RST.
      if ((f & (TCP_SYN | TCP_RST | TCP_ACK)) === TCP_ACK || pkt.l4Offset < 0) return;
      this.tcp(pkt, f);
    } else if ((proto === ICMP || proto === ICMPV6) && pkt.l4Offset >= 0) {
      this.icmp(pkt, buf);
    }
  }

  private tcp(pkt: DecodedPacket, f: number): void {
    if (pkt.ts >= this.nextStepAt) this.advance(pkt.ts);
    const step = this.step;
    if ((f & (TCP_ACK | TCP_RST)) === 0) {
      this.scan.contact(pkt.addrs, pkt.ipVersion, 6, pkt.dstPort, step);
      if ((f & TCP_SYN) !== 0) this.syn.syn(pkt, step);
    } else if ((f & (TCP_SYN | TCP_ACK | TCP_RST)) === (TCP_SYN | TCP_ACK)) {
      this.syn.synAck(pkt, step);
    }
    if ((f & TCP_RST) !== 0) this.resets.rst(pkt, step);
    this.changed = true;
  }

  private icmp(pkt: DecodedPacket, buf: Buffer): void {
    const type = pkt.icmpType;
    const v6 = pkt.ipProto === ICMPV6;
    if (type === (v6 ? 128 : 8)) {
      if (pkt.ts >= this.nextStepAt) this.advance(pkt.ts);
      this.scan.contact(pkt.addrs, pkt.ipVersion, pkt.ipProto, 0, this.step);
      this.changed = true;
      return;
    }
    // Port unreachable: ICMP type 3 code 3 (RFC 792), ICMPv6 type 1 code 4 (RFC 4443 3.1).
    if (v6 ? type !== 1 || pkt.icmpCode !== 4 : type !== 3 || pkt.icmpCode !== 3) return;
    const q = pkt.l4Offset + 8;
    const end = pkt.capEnd;
    const a = this.quoted;
    let port: number;
    if (!v6) {
      if (q + 20 > end || buf[q]! >> 4 !== 4 || buf[q + 9] !== UDP) return;
      const udp = q + (buf[q]! & 15) * 4;
      if (udp + 4 > end) return;
      a.fill(0);
      a[0] = buf.readUInt32BE(q + 12);
      a[4] = buf.readUInt32BE(q + 16);
      port = (buf[udp + 2]! << 8) | buf[udp + 3]!;
    } else {
      // Only a UDP header right after the quoted IPv6 header (as netmon's flow key reads ports).
      if (q + 44 > end || buf[q]! >> 4 !== 6 || buf[q + 6] !== UDP) return;
      for (let i = 0; i < 4; i++) {
        a[i] = buf.readUInt32BE(q + 8 + 4 * i);
        a[4 + i] = buf.readUInt32BE(q + 24 + 4 * i);
      }
      port = (buf[q + 42]! << 8) | buf[q + 43]!;
    }
    if (pkt.ts >= this.nextStepAt) this.advance(pkt.ts);
    this.scan.contact(a, v6 ? 6 : 4, UDP, port, this.step);
    this.changed = true;
  }

  dnsServfail(pkt: DecodedPacket): void {
    if (pkt.ts >= this.nextStepAt) this.advance(pkt.ts);
    this.dnsServers.servfail(pkt.addrs, 0, pkt.ipVersion, this.step);
    this.changed = true;
  }

  dnsFailedName(pkt: DecodedPacket, buf: Buffer, at: number, rcode: number): void {
    const names = this.dnsNames;
    if (names === null) return;
    if (pkt.ts >= this.nextStepAt) this.advance(pkt.ts);
    names.failed(buf, at, rcode, this.step);
    this.changed = true;
  }

  /** Called while the DNS analyser expires queries at the tick, after this.advance() for that tick. */
  dnsUnanswered(server: Uint32Array, ipVersion: number): void {
    this.dnsServers.noResponse(server, 0, ipVersion, this.step);
    this.changed = true;
  }

  dnsAnswered(pkt: DecodedPacket, times: Float64Array): void {
    if (pkt.ts >= this.nextStepAt) this.advance(pkt.ts);
    this.dnsServers.answered(pkt.addrs, 0, pkt.ipVersion, this.step, times, 0);
    this.changed = true;
  }

  /** Called when the DNS analyser gives up a datagram: at a packet or a tick, after this.advance() for it. */
  dnsFragmentLost(server: Uint32Array, ipVersion: number): void {
    this.dnsServers.fragmentLost(server, 0, ipVersion, this.step);
    this.changed = true;
  }

  tcpRetransmission(pkt: DecodedPacket, hint: number): number {
    if (pkt.ts >= this.nextStepAt) this.advance(pkt.ts);
    this.changed = true;
    return this.retransmissions.retransmission(pkt, this.step, hint);
  }

  /** Moves the window forward to packet time `ts` (also without packets: live capture ticks). */
  advance(ts: number): void {
    if (ts < this.nextStepAt) return;
    const abs = Math.floor(ts / this.stepSeconds);
    if (this.origin !== this.origin) this.origin = abs - WINDOW_STEPS;
    // At least one step on: ts reached nextStepAt even if the division rounds below it. `| 0` keeps
    // the field a small integer: a double passed to the detectors' (not inlined) methods would be
    // boxed, a heap allocation per packet.
    const step = Math.max(abs - this.origin, this.step + 1) | 0;
    this.step = step;
    this.nextStepAt = (step + this.origin + 1) * this.stepSeconds;
    this.scan.expire(step);
    this.syn.expire(step);
    this.resets.expire(step);
    this.dnsServers.expire(step);
    this.retransmissions.expire(step);
    this.dnsNames?.expire(step);
    this.changed = true;
  }

  /** The exported values (recomputed only when something changed since the last call). */
  report(): DetectorReport {
    if (!this.changed && this.cached !== undefined) return this.cached;
    const n = this.options.topN;
    const scan = this.scan.report(n);
    const dns = this.dnsServers.report(n, this.step);
    const names = this.dnsNames?.report(n, this.step);
    this.cached = {
      windowSeconds: this.options.window,
      scanPorts: scan.ports,
      scanHosts: scan.hosts,
      synUnanswered: this.syn.report(n, this.step),
      rstSent: this.resets.report(n, this.step),
      dnsServfail: dns.servfail,
      dnsUnanswered: dns.unanswered,
      dnsWait: dns.wait,
      dnsTimed: dns.timed,
      dnsFragmentsLost: dns.fragmentsLost,
      tcpRetransmissions: this.retransmissions.report(n, this.step),
      dnsNxdomainNames: names?.nxdomain ?? EMPTY_TOP_LIST,
      dnsServfailNames: names?.servfail ?? EMPTY_TOP_LIST,
      keys: Float64Array.of(
        this.scan.contacts.size, this.syn.targets.size, this.resets.sources.size, this.dnsServers.size, this.retransmissions.size, this.dnsNames?.size ?? 0,
      ),
      evictions: Float64Array.of(
        this.scan.contacts.evictions, this.syn.targets.evictions, this.resets.sources.evictions, this.dnsServers.evictions, this.retransmissions.evictions,
        this.dnsNames?.evictions ?? 0,
      ),
    };
    this.changed = false;
    return this.cached;
  }
}
