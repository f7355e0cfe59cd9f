import type { DetectorReport, Detectors } from '../analysis/detectors';
import type { DnsAnalyzer } from '../analysis/dns-analyzer';
import type { TcpAnalyzer } from '../analysis/tcp-analyzer';
import type { PacketCallback } from '../capture/packet-callback';
import { decodeLink } from '../decode/decode-frame';
import { linkTypeName } from '../decode/link-types';
import { DECODE_LAYER_NAMES, DECODE_OK, DecodeLayer } from '../decode/decode-layer';
import { DecodedPacket } from '../decode/packet';
import type { FilterSetCounter } from '../filter/compile-filter';
import type { FlowTable } from '../flow/flow-table';
import type { Logger } from '../log';
import { InterfaceCounters } from './interface-counters';
import type { PacketTap } from './packet-tap';
import { TUNNEL_NAMES } from '../decode/tunnel-kind';
import { TunnelAnalysis } from './tunnel-analysis';
import type { TunnelOptions } from './tunnel-analysis';

/** The named filters, compiled at start-up into one counting function (filter i counts into index i). */
export interface NamedFilters {
  readonly names: readonly string[];
  /** null when no filter is configured. */
  readonly set: FilterSetCounter | null;
  /** What `set` counts into (see FilterSetCounter.flush). */
  readonly packets: Float64Array;
  readonly bytes: Float64Array;
}

/** DNS and TCP analysers fed by the pipeline (null: disabled in the configuration). */
export interface PacketAnalyzers {
  readonly dns: DnsAnalyzer | null;
  readonly tcp: TcpAnalyzer | null;
  /** Tunnels whose inner packets the two analyse (null or absent: none). */
  readonly tunnels?: TunnelOptions | null;
}

/** The link type decodeError() is given for an inner packet's error (never UNSUPPORTED_LINK, so unused). */
const linkTypeOfInner = -1;

const NO_TUNNEL_PACKETS = new Float64Array(TUNNEL_NAMES.length);

/** Number of first packets that each run tick(): see there. */
const WARM_TICKS = 64;
/** A packet this many seconds past the clock ticks only when the next one confirms it (see clock()). */
const MAX_JUMP = 3600;

/** Malformed packets are logged at most once per layer per this many milliseconds (they are all counted). */
const DECODE_LOG_INTERVAL_MS = 60_000;

/**
 * The per-packet path: decode → interface counters → flow table, detectors, DNS and TCP analysis → named filters. Everything here is
 * synchronous, allocation-free and touches no metrics library; metrics are read from these counters at
 * scrape time.
 */
export class PacketPipeline {
  readonly flows: FlowTable;
  /** Scan, SYN flood and RST detectors; null when `detect.enabled` is false. */
  readonly detectors: Detectors | null;
  readonly interfaces: InterfaceCounters[] = [];
  readonly filterNames: readonly string[];
  readonly decodeErrors = new Float64Array(DECODE_LAYER_NAMES.length);
  /** DNS and TCP analysis (src/analysis/dns-*, tcp-*), or null when disabled. */
  readonly dns: DnsAnalyzer | null;
  readonly tcp: TcpAnalyzer | null;
  /** The DNS and TCP analysis inside tunnels; null when tunnels are off or neither analysis runs. */
  readonly tunnels: TunnelAnalysis | null;
  /** Non-zero for a DNS port (dns.ports), a UDP tunnel port, or 0 (no ports) with DNS; null when neither is watched. */
  private readonly portMap: Uint8Array | null;
  /** Latest packet timestamp seen (the replay clock). */
  lastTs = 0;
  /** Header metadata of the packets some output subscribed to (capture-outputs.ts); null: none. */
  private tap: PacketTap | null = null;

  private readonly pkt = new DecodedPacket();
  private readonly filterSet: FilterSetCounter | null;
  private readonly countFilters: FilterSetCounter['count'] | null;
  private readonly filterPacketCounts: Float64Array;
  private readonly filterByteCounts: Float64Array;
  private readonly log: Logger;
  private nextTick = 0;
  /** The last packet jumped more than MAX_JUMP past the clock and did not tick (see clock()). */
  private jumpHeld = false;
  /** Packets that still tick on arrival (see tick()). */
  private warmTicks = WARM_TICKS;
  private readonly unsupportedLinks = new Set<number>();
  private readonly lastDecodeLog = new Float64Array(DECODE_LAYER_NAMES.length);
  private readonly decodeErrorsAtLastLog = new Float64Array(DECODE_LAYER_NAMES.length);

  constructor(flows: FlowTable, filters: NamedFilters, log: Logger, detectors: Detectors | null = null, analyzers: PacketAnalyzers = { dns: null, tcp: null }) {
    this.flows = flows;
    this.detectors = detectors;
    this.dns = analyzers.dns;
    this.tcp = analyzers.tcp;
    const t = analyzers.tunnels;
    this.tunnels = t != null && (this.dns !== null || this.tcp !== null) ? new TunnelAnalysis(t, this.dns, this.tcp, (layer) => this.decodeError(layer, linkTypeOfInner)) : null;
    this.portMap = this.tunnels === null ? (this.dns === null ? null : Uint8Array.from(this.dns.portMap)) : this.tunnels.withUdpPorts(this.dns?.portMap);
    // ICMP has no ports (0 here): its errors may quote a DNS message (see ported()).
    if (this.portMap !== null && this.dns !== null) this.portMap[0] = 1;
    this.filterNames = filters.names;
    this.filterSet = filters.set;
    this.countFilters = this.filterSet?.count ?? null;
    this.filterPacketCounts = filters.packets;
    this.filterByteCounts = filters.bytes;
    this.log = log;
  }

  /** Packets matching each named filter (index as in filterNames), up to date. */
  get filterPackets(): Float64Array {
    this.filterSet?.flush();
    return this.filterPacketCounts;
  }

  /** Wire bytes of the packets matching each named filter, up to date. */
  get filterBytes(): Float64Array {
    this.filterSet?.flush();
    return this.filterByteCounts;
  }

  /** Inner packets the DNS and TCP analysis decoded, by Tunnel (zeros when tunnels are off). */
  get tunnelPackets(): Float64Array {
    return this.tunnels?.decoded ?? NO_TUNNEL_PACKETS;
  }

  get detectorsEnabled(): boolean {
    return this.detectors !== null;
  }

  /** The detectors' exported values now (undefined when they do not run). */
  get detections(): DetectorReport | undefined {
    return this.detectors?.report();
  }

  /** Sets (or, with null, removes) the packet tap every decoded packet goes through. */
  setTap(tap: PacketTap | null): void {
    this.tap = tap;
  }

  /**
   * Registers an interface (or replayed file) and returns the callback its capture feeds. `live`: a
   * capture with netmon's own snap length (the DNS analysis then counts a cut message as whole).
   */
  addInterface(name: string, live = false): PacketCallback {
    let ifIndex = this.interfaces.findIndex((c) => c.name === name);
    if (ifIndex < 0) {
      ifIndex = this.interfaces.length;
      this.interfaces.push(new InterfaceCounters(name));
      this.dns?.addInterface(live);
      this.tcp?.addInterface(live);
    }
    const ic = this.interfaces[ifIndex]!;
    const index = ifIndex;
    const pkt = this.pkt;
    // The timestamp (a double) is stored here, not passed on: this small closure is inlined into
    // the capture loop, while handle() may not be (with filters it is big), and a double passed to
    // a call that is not inlined is boxed: a heap allocation per packet.
    return (buf, offset, capLen, wireLen, ts, linkType) => {
      pkt.ts = ts;
      pkt.ifIndex = index;
      this.handle(ic, index, buf, offset, capLen, wireLen, linkType);
    };
  }

  /**
   * The time a replay ends at: the clock, or the last packet's time when the capture's times went
   * back before its end (its last packets then decide what is still active, not the earlier ones).
   */
  get endTs(): number {
    return this.pkt.ts < this.lastTs ? this.pkt.ts : this.lastTs;
  }

  /** Advances the flow clock without a packet (live capture on a quiet link). */
  tick(now: number): void {
    if (now > this.lastTs) this.lastTs = now;
    // The next tick is due a second of packet time later, except that the first WARM_TICKS packets
    // all tick: V8 starts collecting type feedback for a function only after a few calls, so a call
    // made on the first packet alone would reach the optimised packet path a second later without
    // feedback and deoptimise it (tens of ms in a replay). Ticking more often changes no result:
    // expiry is exact whenever it runs.
    if (this.warmTicks > 0) {
      this.warmTicks--;
      this.nextTick = -Infinity;
    } else {
      this.nextTick = Math.floor(this.lastTs) + 1;
    }
    this.flows.advance(this.lastTs);
    this.detectors?.advance(this.lastTs);
    this.dns?.advance(this.lastTs);
    this.tcp?.advance(this.lastTs);
  }

  /**
   * A packet at or past the next tick. A packet more than MAX_JUMP seconds after the clock ticks
   * only when the next one confirms the jump: a single damaged timestamp (years ahead, between
   * packets of the present, as in public captures) would otherwise end every connection, query and
   * flow at once, which tshark, reading each time as it is, does not. The next packet always comes
   * here (nextTick -Infinity) and ticks: at its own time when the jump was one packet's damage.
   */
  private clock(ts: number): void {
    if (ts - this.lastTs > MAX_JUMP && !this.jumpHeld && this.lastTs !== 0) {
      this.jumpHeld = true;
      this.nextTick = -Infinity;
      return;
    }
    this.jumpHeld = false;
    this.tick(ts);
  }

  /** One packet; its timestamp is already in this.pkt.ts (see addInterface). */
  private handle(ic: InterfaceCounters, ifIndex: number, buf: Buffer, offset: number, capLen: number, wireLen: number, linkType: number): void {
    ic.countFrame(wireLen);
    const pkt = this.pkt;
    const ts = pkt.ts;
    pkt.wireLen = wireLen;
    const err = decodeLink(buf, offset, capLen, linkType, pkt);
    if (err !== DECODE_OK) this.decodeError(err, linkType);
    if (pkt.ipProto === 6 && pkt.l4Offset >= 0) ic.countTcpFlags(pkt.tcpFlags);
    // Not while the packet times are behind the clock (a capture file's times went back, as in
    // files joined end to end): expiring then, at the clock's time, would end the connections,
    // queries and flows of the packets after the jump at once, as if idle since their first packet.
    if (ts >= this.nextTick && ts >= this.lastTs) this.clock(ts);
    if (pkt.ipVersion !== 0) {
      const slot = this.flows.observe(pkt);
      const detectors = this.detectors;
      if (detectors !== null) detectors.observe(pkt, buf);
      // TCP analysis: one call per TCP segment; its events (retransmission, handshake RTT) go to the flow's record.
      // A fragment (an IPv6 atomic one is a whole segment) waits for the rest of its segment.
      const tcp = this.tcp;
      if (tcp !== null && pkt.ipProto === 6) {
        if (pkt.isFragment && (pkt.fragOffset !== 0 || pkt.fragMore)) {
          tcp.fragment(ifIndex, buf, pkt);
        } else if (pkt.l4Offset >= 0) {
          const events = tcp.observe(ifIndex, buf, pkt, slot);
          if (events !== 0) this.flows.noteTcp(slot, events, tcp);
        }
      }
    }
    // DNS analysis and UDP tunnels: only packets to or from one of their ports get past this check;
    // IP-protocol tunnels (GRE, IP in IP) and later IP fragments have no transport header that
    // netmon decodes.
    const portMap = this.portMap;
    if (portMap !== null && pkt.l4Offset >= 0) {
      if ((portMap[pkt.srcPort]! | portMap[pkt.dstPort]!) !== 0) this.ported(ifIndex, buf, pkt);
    } else if (portMap !== null && pkt.l4Offset < 0 && pkt.ipVersion !== 0) {
      this.unported(ifIndex, buf, pkt);
    }
    // All filters in one generated function: one monomorphic call per packet, not one per filter.
    const countFilters = this.countFilters;
    if (countFilters !== null) countFilters(buf, pkt, wireLen);
    const tap = this.tap;
    if (tap !== null) tap.observe(ifIndex, buf, pkt);
  }

  /** A packet to or from a DNS port or a UDP tunnel port, or without ports (ICMP...). */
  private ported(ifIndex: number, buf: Buffer, pkt: DecodedPacket): void {
    const dns = this.dns;
    if (dns !== null) {
      if ((dns.portMap[pkt.srcPort]! | dns.portMap[pkt.dstPort]!) !== 0) dns.observe(ifIndex, buf, pkt);
      else if (pkt.icmpType >= 0) dns.icmpError(ifIndex, buf, pkt);
    }
    if (this.tunnels !== null) this.tunnelled(ifIndex, buf, pkt);
  }

  /** An IP packet without a transport header: a tunnel (GRE, IP in IP), or a fragment DNS may reassemble. */
  private unported(ifIndex: number, buf: Buffer, pkt: DecodedPacket): void {
    const dns = this.dns;
    if (dns !== null && pkt.isFragment && pkt.ipProto === 17) dns.fragment(ifIndex, buf, pkt);
    else if (this.tunnels !== null) this.tunnelled(ifIndex, buf, pkt);
  }

  /** The DNS and TCP analysis of the packet inside, when `pkt` is a tunnel. */
  private tunnelled(ifIndex: number, buf: Buffer, pkt: DecodedPacket): void {
    const tunnels = this.tunnels!;
    const kind = tunnels.kindOf(pkt);
    if (kind !== 0) tunnels.observe(ifIndex, buf, pkt, kind);
  }

  private decodeError(layer: number, linkType: number): void {
    this.decodeErrors[layer]!++;
    if (layer === DecodeLayer.UNSUPPORTED_LINK) {
      if (!this.unsupportedLinks.has(linkType)) {
        this.unsupportedLinks.add(linkType);
        this.log.warn({ linkType, linkTypeName: linkTypeName(linkType) }, 'link type not decoded: its frames are counted in netmon_decode_errors_total{layer="unsupported_link"} and netmon_packets_total only');
      }
      return;
    }
    const now = Date.now();
    if (now - this.lastDecodeLog[layer]! >= DECODE_LOG_INTERVAL_MS) {
      const total = this.decodeErrors[layer]!;
      this.log.warn(
        { layer: DECODE_LAYER_NAMES[layer], since_last_log: total - this.decodeErrorsAtLastLog[layer]!, total },
        'malformed or truncated packet header',
      );
      this.lastDecodeLog[layer] = now;
      this.decodeErrorsAtLastLog[layer] = total;
    }
  }
}
