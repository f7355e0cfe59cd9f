import type { DecodedPacket } from '../decode/packet';
import type { AnalysisEvents } from './detectors';
import { TCP_EVENT_HANDSHAKE, TCP_EVENT_RETRANSMISSION } from '../flow/flow-record';
import type { TcpFlowEvent, TcpFlowLinks } from '../flow/flow-record';
import { TCP_HANDSHAKE_RTT_BUCKETS } from '../metrics/catalog';
import { END_CAPACITY, END_REPLACED, TcpConnections } from './tcp-connections';
import type { TcpConnectionOwner } from './tcp-connections';
import {
  TCP_DATA_SEGMENTS, TCP_ESTABLISHED, TCP_FRAGMENTED_INCOMPLETE, TCP_FRAGMENTED_REASSEMBLED, TCP_REFUSED, TCP_RETRANSMISSIONS, TCP_RTT_BUCKETS, TCP_RTT_COUNT, TCP_RTT_SUM, TCP_TIMEOUT, TCP_WORDS, TCP_ZERO_WINDOW,
} from './tcp-counters';
import type { TcpCounters } from './tcp-counters';
import { TcpFragments } from './tcp-fragments';
import type { TcpFragmentLossSink } from './tcp-fragments';
import { tcpPayloadLength } from './tcp-segment';
import { A_ANY_RETRANSMISSION, A_SHOWN, A_ZERO_WINDOW, analyzeSequence, Dir, DirFlags, inOrder, Slot, SlotF, State } from './tcp-sequence';

export interface TcpAnalyzerOptions {
  /** Connections tracked at most (tcp.max_connections). */
  readonly maxConnections: number;
  /** A connection without packets for this long is forgotten (seconds), unless it is established. */
  readonly idleTimeout: number;
  /**
   * An established connection (its responder answered, no FIN or RST seen) is forgotten after this
   * long without packets instead (seconds; at least idleTimeout).
   */
  readonly establishedTimeout: number;
  /** A SYN unanswered (no SYN-ACK, no RST) this long counts as result="timeout" (seconds). */
  readonly synTimeout: number;
  /** TCP datagrams in IP fragments reassembled at once (tcp.max_fragmented). */
  readonly maxFragmented: number;
}


const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;
const NBUCKETS = TCP_HANDSHAKE_RTT_BUCKETS.length;
const BOUNDS = Float64Array.from(TCP_HANDSHAKE_RTT_BUCKETS);

/**
 * TCP health from the packets, per connection (both directions, in a bounded table):
 *  - handshake RTT as Wireshark's tcp.analysis.initial_rtt: from the most recent SYN (without ACK)
 *    to the first segment with ACK and without SYN, in either direction, once per connection. For a
 *    connection refused with RST+ACK that segment is the RST, as in Wireshark. It counts on the
 *    first segment from there that Wireshark analyses (A_SHOWN), where tshark shows the field;
 *  - connection results: established (SYN-ACK seen, then that ACK), refused (RST from the responder
 *    before any SYN-ACK), timeout (no SYN-ACK nor RST within tcp.syn_timeout), for connections that
 *    open with a SYN while netmon watches;
 *  - retransmissions (tshark's tcp.analysis.retransmission: plain, fast and spurious) and zero
 *    windows by Wireshark's sequence analysis (tcp-sequence.ts), with Wireshark's stream rules: a SYN
 *    whose sequence number differs from the connection's first one starts a new connection (port
 *    reuse); the same one is a retransmitted SYN.
 * A segment in IP fragments is analysed once they complete it, at the fragment completing it
 * (tcp-fragments.ts), as Wireshark analyses its reassembled segment; an IPv6 atomic fragment
 * (offset 0, no more) is a whole segment.
 */
export class TcpAnalyzer implements TcpCounters, TcpConnectionOwner, TcpFlowEvent, TcpFragmentLossSink {
  readonly perInterface: Float64Array[] = [];
  evictions = 0;
  /** The handshake RTT measured on the last packet (valid when observe() returned TCP_EVENT_HANDSHAKE). */
  eventRtt = 0;
  private readonly table: TcpConnections;
  private readonly synTimeout: number;
  private readonly fragments: TcpFragments;
  /** Per interface: 1 when it is a live capture with netmon's own snap length (fragments cut by it are reassembled). */
  private readonly ownSnap: number[] = [];
  private viewOf: Buffer | null = null;
  private dv: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  /** The flow table's links (when its key is the exact 5-tuple), or null: every packet looks its connection up. */
  private links: TcpFlowLinks | null = null;
  /** The detectors, told of each retransmission (null: detectors off). */
  private events: AnalysisEvents | null = null;
  /**
   * Per connection direction (slot * 2 + dir), what events.tcpRetransmission returned for its last
   * retransmission: a hint that spares the detector a lookup (allocated on the first one).
   */
  private pathHints = new Int32Array(0);

  constructor(o: TcpAnalyzerOptions) {
    this.table = new TcpConnections(o.maxConnections, o.idleTimeout, Math.max(o.idleTimeout, o.establishedTimeout), this);
    this.synTimeout = o.synTimeout;
    this.fragments = new TcpFragments(o.maxFragmented, this);
  }

  get connections(): number {
    return this.table.size;
  }

  /** `ownSnap`: the interface is a live capture with netmon's snap length. */
  addInterface(ownSnap = false): void {
    this.perInterface.push(new Float64Array(TCP_WORDS));
    this.ownSnap.push(ownSnap ? 1 : 0);
  }

  /** Names the paths of retransmitted segments to the detectors. */
  setEvents(events: AnalysisEvents): void {
    this.events = events;
  }

  /** Lets each flow slot remember its connection (one direction of it): no hash lookup per packet. */
  attachFlows(links: TcpFlowLinks): void {
    this.links = links;
  }

  /**
   * A TCP segment with a decoded header (l4Offset >= 0), counted in flow slot `flowSlot` (-1: none);
   * returns TCP_EVENT_* bits for its flow record. Not an IP fragment (callers pass those to
   * fragment()), except an IPv6 atomic one (offset 0, no more), which is a whole segment.
   */
  observe(ifIndex: number, buf: Buffer, pkt: DecodedPacket, flowSlot: number): number {
    const links = this.links;
    const link = links !== null && flowSlot >= 0 ? links.tcpLink(flowSlot) : -1;
    if (link >= 0 && (pkt.tcpFlags & (SYN | FIN | RST)) === 0) {
      const n = inOrder(this.table.i, this.table.f, link, this.view(buf), buf, pkt);
      if (n >= 0) {
        if (n > 0) this.perInterface[ifIndex]![TCP_DATA_SEGMENTS]++;
        return 0;
      }
    }
    return this.segment(ifIndex, buf, pkt, flowSlot, link);
  }

  /**
   * An IP fragment of a TCP datagram (not an IPv6 atomic fragment: observe() takes those). As in
   * Wireshark, a capture file's fragment cut by its snap length is not reassembled (netmon's own
   * snap length cuts none); Wireshark dissects an IPv4 first fragment so cut, but makes no
   * sequence analysis of a fragment (tshark 4.0 checked), so neither is it analysed here. The
   * segment a fragment completes is analysed, in no flow record.
   */
  fragment(ifIndex: number, buf: Buffer, pkt: DecodedPacket): void {
    const l3 = pkt.l3Offset;
    const end = pkt.ipVersion === 4 ? l3 + ((buf[l3 + 2]! << 8) | buf[l3 + 3]!) : l3 + 40 + ((buf[l3 + 4]! << 8) | buf[l3 + 5]!);
    if (end > pkt.capEnd && this.ownSnap[ifIndex] === 0) return;
    const f = this.fragments;
    if (!f.add(ifIndex, buf, pkt)) return;
    this.perInterface[ifIndex]![TCP_FRAGMENTED_REASSEMBLED]++;
    this.segment(ifIndex, f.frame, f.segment, -1, -1);
  }

  tcpFragmentsIncomplete(ifIndex: number): void {
    this.perInterface[ifIndex]![TCP_FRAGMENTED_INCOMPLETE]++;
  }

  /** A DataView on the packet's buffer (made again only when the capture hands out another buffer). */
  private view(buf: Buffer): DataView<ArrayBufferLike> {
    if (buf !== this.viewOf) {
      this.viewOf = buf;
      this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    return this.dv;
  }

  /** Every other segment: the handshake, results, Wireshark's whole sequence analysis. */
  private segment(ifIndex: number, buf: Buffer, pkt: DecodedPacket, flowSlot: number, link: number): number {
    const t = this.table;
    const now = pkt.ts;
    const flags = pkt.tcpFlags;
    const l4 = pkt.l4Offset;
    const seq = (buf[l4 + 4]! << 24) | (buf[l4 + 5]! << 16) | (buf[l4 + 6]! << 8) | buf[l4 + 7]!;
    let s: number;
    let dir: number;
    let keyed = link < 0;
    if (link >= 0) {
      s = link >> 1;
      dir = link & 1;
    } else {
      s = t.find(pkt);
      dir = t.dir;
      if (s >= 0) this.link(s, dir, flowSlot);
    }
    if (s >= 0 && (flags & (SYN | ACK)) === SYN) {
      const fb = s * Slot.WORDS + Slot.DIR + dir * Dir.WORDS;
      if ((t.i[fb + Dir.FLAGS]! & DirFlags.BASE_SEQ_SET) !== 0) {
        if (seq !== t.i[fb + Dir.BASE_SEQ]) {
          // A new connection on the same ports (Wireshark: a new stream); a SYN of the old one still
          // waiting for an answer timed out.
          t.end(s, END_REPLACED);
          s = -1;
        } else {
          // Retransmitted SYN: restore nextseq so that it is analysed as a retransmission.
          t.i[fb + Dir.NEXTSEQ] = t.i[fb + Dir.MAXSEQTOBEACKED]!;
        }
      }
    }
    if (s < 0) {
      if (!keyed) {
        t.find(pkt); // the key for create()
        keyed = true;
      }
      s = t.create(pkt);
      this.link(s, dir, flowSlot);
      const b = s * Slot.WORDS + Slot.DIR;
      t.i[b + Dir.WINDOW] = -1;
      t.i[b + Dir.WORDS + Dir.WINDOW] = -1;
      t.i[s * Slot.WORDS + Slot.STATE]! |= (dir === 1 ? State.INITIATOR_B : 0) | (ifIndex << State.IFACE_SHIFT);
      if ((flags & (SYN | ACK)) === SYN) {
        t.i[s * Slot.WORDS + Slot.STATE]! |= State.ATTEMPT;
        t.f[s * SlotF.WORDS + SlotF.SYN_TIME] = now;
        t.waitSyn(s);
      }
    } else {
      t.f[s * SlotF.WORDS + SlotF.LAST] = now;
    }
    const i = t.i;
    const f = t.f;
    const sb = s * Slot.WORDS + Slot.STATE;
    if ((flags & (SYN | ACK)) === (SYN | ACK)) {
      const fb = s * Slot.WORDS + Slot.DIR + dir * Dir.WORDS;
      if ((i[fb + Dir.FLAGS]! & DirFlags.BASE_SEQ_SET) !== 0 && seq !== i[fb + Dir.BASE_SEQ]) i[fb + Dir.BASE_SEQ] = seq;
    }
    const c = this.perInterface[ifIndex]!;
    const seglen = tcpPayloadLength(buf, pkt);
    let ev = 0;
    let a = 0;
    if (seglen >= 0) {
      if (seglen > 0 || (flags & (SYN | FIN)) !== 0) c[TCP_DATA_SEGMENTS]++;
      a = analyzeSequence(i, f, s, dir, buf, pkt, seglen);
      if ((a & A_ANY_RETRANSMISSION) !== 0) {
        c[TCP_RETRANSMISSIONS]++;
        ev = TCP_EVENT_RETRANSMISSION;
        if (this.events !== null) this.noteRetransmission(this.events, pkt, s * 2 + dir);
      }
      if ((a & A_ZERO_WINDOW) !== 0) c[TCP_ZERO_WINDOW]++;
    }
    let st = i[sb]!;
    if ((flags & (FIN | RST)) !== 0) st |= State.CLOSING;
    if (((st & State.INITIATOR_B) !== 0 ? 1 : 0) !== dir) {
      // From the other end than the connection's first packet (the responder).
      t.protect(s, pkt);
      if ((st & (State.ATTEMPT | State.SYNACK | State.DONE)) === State.ATTEMPT) {
        if ((flags & (SYN | ACK)) === (SYN | ACK)) {
          st |= State.SYNACK;
          t.unwaitSyn(s);
        } else if ((flags & (RST | SYN)) === RST) {
          st |= State.DONE;
          t.unwaitSyn(s);
          c[TCP_REFUSED]++;
        }
      }
    }
    const fo = s * SlotF.WORDS;
    if ((flags & (SYN | ACK)) === SYN) {
      f[fo + SlotF.MRU_SYN] = now;
      if (f[fo + SlotF.FIRST_RTT] === 0) st |= State.RTT_PENDING;
    } else if ((flags & (SYN | ACK)) === ACK && f[fo + SlotF.MRU_SYN] !== 0 && f[fo + SlotF.FIRST_RTT] === 0) {
      const rtt = now - f[fo + SlotF.MRU_SYN]!;
      f[fo + SlotF.FIRST_RTT] = rtt;
      if (rtt !== 0 && (st & (State.ATTEMPT | State.SYNACK | State.DONE)) === (State.ATTEMPT | State.SYNACK)) {
        st |= State.DONE;
        c[TCP_ESTABLISHED]++;
      }
    }
    // The RTT counts on the first segment from its measure on that Wireshark analyses (the one
    // acknowledging the SYN-ACK, when that was seen): tshark shows initial_rtt only on those, so a
    // connection whose SYN-ACK was not captured and that then carries nothing (a TFO SYN, then a
    // FIN) has none.
    if ((st & State.RTT_PENDING) !== 0 && (a & A_SHOWN) !== 0 && f[fo + SlotF.FIRST_RTT] !== 0) {
      const rtt = f[fo + SlotF.FIRST_RTT]!;
      st &= ~State.RTT_PENDING;
      let k = 0;
      while (k < NBUCKETS && rtt > BOUNDS[k]!) k++;
      c[TCP_RTT_BUCKETS + k]++;
      c[TCP_RTT_SUM] += rtt;
      c[TCP_RTT_COUNT]++;
      this.eventRtt = rtt;
      ev |= TCP_EVENT_HANDSHAKE;
    }
    // The table's own bits may have changed meanwhile (protect, unwaitSyn): keep the current ones.
    i[sb] = (st & ~State.TABLE_BITS) | (i[sb]! & State.TABLE_BITS);
    return ev;
  }

  /** Expires by packet time: unanswered SYNs and idle connections. */
  advance(now: number): void {
    this.table.advance(now, this.synTimeout);
    this.fragments.advance(now);
  }

  synExpired(s: number): void {
    this.timedOut(s);
  }

  /**
   * Idle or replaced, a connection whose SYN still waits for an answer timed out; evicted, it did not.
   * Its flows forget it.
   */
  ended(s: number, reason: number): void {
    const i = this.table.i;
    if (reason === END_CAPACITY) this.evictions++;
    else if ((i[s * Slot.WORDS + Slot.STATE]! & State.ON_SYN_LIST) !== 0) this.timedOut(s);
    const links = this.links;
    if (links === null) return;
    for (let d = 0; d < 2; d++) {
      const f = i[s * Slot.WORDS + Slot.DIR + d * Dir.WORDS + Dir.FLOW]! - 1;
      if (f >= 0) links.clearTcpLink(f, s * 2 + d);
    }
  }

  private noteRetransmission(events: AnalysisEvents, pkt: DecodedPacket, d: number): void {
    if (this.pathHints.length === 0) this.pathHints = new Int32Array(this.table.capacity * 2).fill(-1);
    this.pathHints[d] = events.tcpRetransmission(pkt, this.pathHints[d]!);
  }

  private link(s: number, dir: number, flowSlot: number): void {
    const links = this.links;
    if (links === null || flowSlot < 0) return;
    links.setTcpLink(flowSlot, s * 2 + dir);
    this.table.i[s * Slot.WORDS + Slot.DIR + dir * Dir.WORDS + Dir.FLOW] = flowSlot + 1;
  }

  private timedOut(s: number): void {
    const sb = s * Slot.WORDS + Slot.STATE;
    const st = this.table.i[sb]!;
    if ((st & (State.ATTEMPT | State.SYNACK | State.DONE)) !== State.ATTEMPT) return;
    this.table.i[sb] = st | State.DONE;
    this.perInterface[st >>> State.IFACE_SHIFT]![TCP_TIMEOUT]++;
  }
}
