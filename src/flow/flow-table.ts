import type { DecodedPacket } from '../decode/packet';
import { ExpositionWriter, FLOW_BYTES_FAMILY, FLOW_BYTES_HELP, FLOW_PACKETS_FAMILY, FLOW_PACKETS_HELP, writeCounterFamily } from './flow-exposition';
import { hashDelete } from './flow-hash';
import { FlowKeyProjection, KEY_WORDS } from './flow-key';
import { resolveFlowOptions } from './flow-options';
import type { FlowTableOptions } from './flow-options';
import { TCP_EVENT_HANDSHAKE, TCP_EVENT_RETRANSMISSION } from './flow-record';
import type { FlowEndReason, FlowRecord, FlowRecordHook, TcpFlowEvent, TcpFlowLinks } from './flow-record';
import { END_REASON_CODE } from './flow-record-batch';
import type { FlowRecordBatchBuilder, FlowRecordOutput } from './flow-record-batch';
import { FlowLists, PROBATION, PROTECTED, R_HASH, R_LRU_NEXT, R_STATE, REC_WORDS } from './flow-lists';
import { FlowTableStats } from './flow-stats';
import { selectTopK } from './top-k';
import type { TopN } from './top-n';

export type { FlowLabel, FlowTableOptions } from './flow-options';
export type { FlowEndReason, FlowRecord, FlowRecordHook } from './flow-record';
export { FlowTableStats } from './flow-stats';

/*
 * Series states of a flow slot (low 2 bits of its R_STATE word):
 *  PENDING   created since the last rebalance: its packets count in its own series counters, not yet
 *            shown. At the next rebalance it is either exported with its whole count (so a flow that
 *            wins a series at once is exact from its first packet) or its count is folded into the
 *            overflow series. Nothing was shown yet, so either way every counter stays monotonic.
 *  EXPORTED  has its own series.
 *  OVERFLOW  counts into the overflow series; its own series counters stay frozen at their last
 *            exported value, so a flow that regains a series continues from there.
 */
const FREE = 0;
const PENDING = 1;
const EXPORTED = 2;
const OVERFLOW = 3;
const STATUS = 3;
/** State bit: the flow is in the protected LRU segment (it has had more than one packet). */
const PROT_BIT = 4;
/** State bit: the flow's current record is in the first-seen FIFO (cleared by an active-timeout cut). */
const FIFO_BIT = 8;
/** State bit, only during rebalance(): the flow won a series. */
const WON_BIT = 16;
/**
 * Bits 8..15 of the state word: the OR of the TCP flags bytes of the current record's packets
 * (0 for other protocols: the decoder leaves tcpFlags 0). Kept in the state word, which every packet
 * writes anyway, so it costs no memory and one OR per packet.
 */
const FLAGS_SHIFT = 8;
const FLAGS_MASK = 0xff << FLAGS_SHIFT;
/**
 * State bit: the current record has TCP analysis results (tcpRtt, tcpRetrans of the slot are its
 * own); clear, they are stale and read as none. So a new record costs no write to those arrays.
 */
const TCP_BIT = 32;
/** State bit: tcpLinks[slot] holds the TCP analyser's link for this flow (see TcpFlowLinks). */
const LINK_BIT = 64;

/**
 * Per-slot Float64 record: every counter a packet updates, in the second 64-byte half of the slot's
 * 128-byte block (the Int32 record is the first half, see flow-lists.ts), so one packet touches one
 * page and two adjacent cache lines of slot data.
 */
const F_WORDS = 16;
const F_PACKETS = 8;
const F_BYTES = 9;
const F_WINDOW = 10;
const F_LAST = 11;
const F_SER_PACKETS = 12;
const F_SER_BYTES = 13;
const F_FIRST = 14;
/** Packet time at which the flow was last moved to its LRU tail (see LRU_GRANULE). */
const F_MOVED = 15;

/** Weight of the previous windows in the admission score (two-window style exponential decay). */
const SCORE_DECAY = 0.5;
/** Incumbent series count their score this many times: hysteresis, so that series do not flap. */
const HYSTERESIS = 2;
/** observe() runs expiry itself at most once per this many seconds of packet time. */
const EXPIRY_STEP = 1;
/**
 * An established flow is moved to its LRU tail at most once per this many seconds (capped at 1/16
 * of the idle timeout): the move touches two other flows' cache lines, which dominates a packet's
 * cost in a large table. LRU order is then by "last moved", which is at most one granule older than
 * the last packet; idle expiry checks the exact last packet time and may run up to one granule
 * late, and hit() ends a record whose idle gap was not expired yet, so records stay exact.
 */
const LRU_GRANULE = 1;
/** Slots the per-slot arrays are allocated for at first (they grow by doubling, see slotCap). */
const INITIAL_SLOTS = 4096;
/** The protected segment may fill at most this share of maxFlows (the rest is for new flows). */
const PROTECTED_SHARE = 0.75;

/**
 * Exact per-flow packet/byte counters with a lifecycle (idle and active timeouts), a memory budget
 * (maxFlows) and a Prometheus series budget (maxSeries).
 *
 * Storage is typed arrays indexed by slot, laid out so that a packet of a known flow touches about
 * four cache lines however large the table: the hash bucket (hash and slot side by side), the slot's
 * Int32 record (key, state, list links, hash: REC_WORDS), its Float64 record (counters: F_WORDS),
 * plus the LRU neighbours. Open addressing with linear probing and backward-shift deletion (no
 * tombstones). About 187 bytes per slot (64 + 64 for the records, 16-32 for the hash table at load
 * <= 0.5, 20 for rebalance scratch and the label cache, 16 for TCP analysis results and link, 1 for
 * the interface). The per-slot arrays grow with the number of slots used (see slotCap), so a table far
 * below maxFlows costs little memory.
 *
 * Memory budget policy ("small and idle first", segmented LRU): a new flow enters the probation
 * segment and moves to the protected one on its second packet. When the table is full the victim is
 * the least recently seen probation flow (one packet: a scan or flood probe), unless the protected
 * segment holds more than PROTECTED_SHARE of the table or probation is empty, in which case it is the
 * least recently seen protected flow. A flood of one-packet flows therefore only evicts its own kind.
 *
 * Series budget policy: see rebalance().
 */
export class FlowTable implements TcpFlowLinks {
  readonly options: FlowTableOptions;
  /** The key is the whole 5-tuple (no label dropped, no prefix): a flow is one direction of one connection. */
  readonly exactKeys: boolean;
  readonly stats = new FlowTableStats();
  private readonly hook: FlowRecordHook | undefined;
  /** Columnar output of ended records (sinks, streams), when some consumer wants them. */
  private recordOutput: FlowRecordOutput | null = null;
  private readonly proj: FlowKeyProjection;
  private readonly capacity: number;
  private readonly protectedCap: number;
  private readonly seed: number;

  private tableMask: number;
  /**
   * Hash table: pairs (hash, slot + 1); slot + 1 = 0 marks an empty bucket. It grows with the number
   * of flows (load <= 0.5) rather than being sized for maxFlows up front: a compact table keeps
   * lookups in cache and TLB reach when there are far fewer flows than the budget.
   */
  private table: Int32Array;
  private readonly maxTableSize: number;
  /** Per-slot Int32 records: key words 0..9 (see flow-key.ts), state, links, hash (flow-lists.ts). */
  private rec: Int32Array;
  /** Per-slot Float64 records (F_*). "ser" counters are the flow's own series (see the states above). */
  private f: Float64Array;
  /** Admission score per slot (decayed bytes of past windows); read only by rebalance(). */
  private score: Float64Array;
  /**
   * TCP analysis results of the slot's current record (valid under TCP_BIT): handshake RTT (NaN:
   * none) and retransmitted segments. Outside the 128-byte block: written only on those events.
   */
  private tcpRtt: Float64Array;
  private tcpRetrans: Uint32Array;
  /** TCP analyser links per slot (valid under LINK_BIT). */
  private tcpLinks: Int32Array;
  /**
   * Interface index (DecodedPacket.ifIndex) of the first packet of each slot's current record, for
   * the record outputs (the key has no interface). Apart from the 128-byte slot blocks, whose words
   * are all in use; written only when a record starts.
   */
  private ifaces: Uint8Array;
  /**
   * Slots the per-slot arrays hold now. They grow by doubling up to maxFlows as slots are first used
   * (growSlots), rather than being allocated for maxFlows up front: ~85 MB of typed arrays at once
   * make V8 run a full GC for "external memory pressure" at start-up, which costs more than the
   * occasional copy.
   */
  private slotCap: number;
  private readonly granule: number;
  private readonly lists: FlowLists;
  /** Cached label text of exported flows, by slot ('' otherwise). Strings exist only for series. */
  private readonly labelText: string[] = [];
  private readonly overflowLabels: string;

  /** Slots [0, highWater) have been used at least once; freed slots are chained through R_LRU_NEXT. */
  private highWater = 0;
  private freeHead = -1;

  private candScores: Float64Array;
  private candIds: Int32Array;
  private readonly exported: Int32Array;
  /** Values of exported[i]'s series at the last render: what Prometheus has seen. */
  private readonly shownPackets: Float64Array;
  private readonly shownBytes: Float64Array;
  private exportedCount = 0;
  private readonly writer = new ExpositionWriter();

  /** Latest time given to advance(); the next packet time at which observe() calls advance(). */
  private clock = -Infinity;
  private nextExpiry = -Infinity;

  // Hot-path copies of the projection masks.
  private readonly sm4: number;
  private readonly dm4: number;
  private readonly sm6a: number; private readonly sm6b: number; private readonly sm6c: number; private readonly sm6d: number;
  private readonly dm6a: number; private readonly dm6b: number; private readonly dm6c: number; private readonly dm6d: number;
  private readonly verMask: number;
  private readonly protoMask: number;
  private readonly spMask: number;
  private readonly dpMask: number;

  constructor(options: Partial<FlowTableOptions>, onRecord?: FlowRecordHook) {
    const o = resolveFlowOptions(options);
    this.options = o;
    this.hook = onRecord;
    this.proj = new FlowKeyProjection(o);
    const n = o.maxFlows;
    this.capacity = n;
    this.protectedCap = Math.max(1, Math.floor(n * PROTECTED_SHARE));
    // Random per-table seed: remote hosts choose the keys, so do not let them choose collisions.
    this.seed = (Math.random() * 0x100000000) | 0;
    let size = 16;
    while (size < n * 2) size *= 2; // load factor <= 0.5 keeps linear probes short
    this.maxTableSize = size;
    const initial = Math.min(size, 4096);
    this.tableMask = initial - 1;
    this.table = new Int32Array(initial * 2);
    const cap = Math.min(n, INITIAL_SLOTS);
    this.slotCap = cap;
    const slots = new ArrayBuffer(cap * REC_WORDS * 4);
    this.rec = new Int32Array(slots);
    this.f = new Float64Array(slots);
    this.score = new Float64Array(cap);
    this.tcpRtt = new Float64Array(cap);
    this.tcpRetrans = new Uint32Array(cap);
    this.tcpLinks = new Int32Array(cap);
    this.ifaces = new Uint8Array(cap);
    this.granule = Math.min(LRU_GRANULE, o.idleTimeout / 16);
    this.lists = new FlowLists(this.rec);
    this.candScores = new Float64Array(cap);
    this.candIds = new Int32Array(cap);
    this.exported = new Int32Array(Math.min(n, o.maxSeries));
    this.shownPackets = new Float64Array(this.exported.length);
    this.shownBytes = new Float64Array(this.exported.length);
    this.overflowLabels = this.proj.overflowLabelText();
    const p = this.proj;
    this.sm4 = p.srcMask4; this.dm4 = p.dstMask4;
    this.sm6a = p.srcMask6[0]!; this.sm6b = p.srcMask6[1]!; this.sm6c = p.srcMask6[2]!; this.sm6d = p.srcMask6[3]!;
    this.dm6a = p.dstMask6[0]!; this.dm6b = p.dstMask6[1]!; this.dm6c = p.dstMask6[2]!; this.dm6d = p.dstMask6[3]!;
    this.verMask = p.versionMask; this.protoMask = p.protoMask; this.spMask = p.srcPortMask; this.dpMask = p.dstPortMask;
    this.exactKeys = this.sm4 === -1 && this.dm4 === -1 && [...p.srcMask6, ...p.dstMask6].every((m) => m === -1) &&
      this.verMask === 0xff && this.protoMask === 0xff && this.spMask === 0xffff && this.dpMask === 0xffff;
  }

  tcpLink(slot: number): number {
    return (this.rec[slot * REC_WORDS + R_STATE]! & LINK_BIT) !== 0 ? this.tcpLinks[slot]! : -1;
  }

  setTcpLink(slot: number, link: number): void {
    if (!this.exactKeys) return;
    this.tcpLinks[slot] = link;
    this.rec[slot * REC_WORDS + R_STATE]! |= LINK_BIT;
  }

  clearTcpLink(slot: number, link: number): void {
    const sb = slot * REC_WORDS + R_STATE;
    if ((this.rec[sb]! & LINK_BIT) !== 0 && this.tcpLinks[slot] === link) this.rec[sb]! &= ~LINK_BIT;
  }

  /**
   * Counts one packet and returns its flow's slot (for noteTcp). Caller guarantees pkt.ipVersion is
   * 4 or 6. Allocation-free unless a flow ends.
   */
  observe(pkt: DecodedPacket): number {
    if (pkt.ts >= this.nextExpiry) this.advance(pkt.ts);
    const a = pkt.addrs;
    const v = pkt.ipVersion;
    let s0: number, s1: number, s2: number, s3: number, d0: number, d1: number, d2: number, d3: number;
    if (v === 4) {
      s0 = a[0]! & this.sm4; d0 = a[4]! & this.dm4;
      s1 = 0; s2 = 0; s3 = 0; d1 = 0; d2 = 0; d3 = 0;
    } else {
      s0 = a[0]! & this.sm6a; s1 = a[1]! & this.sm6b; s2 = a[2]! & this.sm6c; s3 = a[3]! & this.sm6d;
      d0 = a[4]! & this.dm6a; d1 = a[5]! & this.dm6b; d2 = a[6]! & this.dm6c; d3 = a[7]! & this.dm6d;
    }
    const w8 = ((v & this.verMask) << 8) | (pkt.ipProto & this.protoMask);
    const w9 = ((pkt.srcPort & this.spMask) << 16) | (pkt.dstPort & this.dpMask);

    // Hash: multiply-xorshift per word, murmur3 finaliser. Keys whose words 1..3 and 5..7 are all
    // zero (IPv4, or addresses not labelled) hash only their four other words: the choice depends on
    // the key alone, so equal keys still hash equally, and most packets skip six rounds.
    let h = this.seed;
    h = Math.imul(h ^ s0, 0x85ebca6b); h ^= h >>> 13;
    h = Math.imul(h ^ d0, 0x85ebca6b); h ^= h >>> 13;
    if ((s1 | s2 | s3 | d1 | d2 | d3) !== 0) {
      h = Math.imul(h ^ s1, 0x85ebca6b); h ^= h >>> 13;
      h = Math.imul(h ^ s2, 0x85ebca6b); h ^= h >>> 13;
      h = Math.imul(h ^ s3, 0x85ebca6b); h ^= h >>> 13;
      h = Math.imul(h ^ d1, 0x85ebca6b); h ^= h >>> 13;
      h = Math.imul(h ^ d2, 0x85ebca6b); h ^= h >>> 13;
      h = Math.imul(h ^ d3, 0x85ebca6b); h ^= h >>> 13;
    }
    h = Math.imul(h ^ w8, 0x85ebca6b); h ^= h >>> 13;
    h = Math.imul(h ^ w9, 0x85ebca6b); h ^= h >>> 16;
    h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;

    let table = this.table;
    let r = this.rec;
    let mask = this.tableMask;
    let i = h & mask;
    for (let e = table[2 * i + 1]!; e !== 0; e = table[2 * i + 1]!) {
      if (table[2 * i] === h) {
        const b = (e - 1) * REC_WORDS;
        if (r[b + 9] === w9 && r[b + 8] === w8 && r[b] === s0 && r[b + 4] === d0 &&
            r[b + 1] === s1 && r[b + 2] === s2 && r[b + 3] === s3 && r[b + 5] === d1 && r[b + 6] === d2 && r[b + 7] === d3) {
          // The packet is passed rather than its time and length: a double argument to a call that
          // is not inlined would be boxed (allocated) per packet.
          this.hit(e - 1, pkt);
          return e - 1;
        }
      }
      i = (i + 1) & mask;
    }

    // New flow.
    const ts = pkt.ts;
    if (this.stats.activeFlows >= this.capacity) {
      this.evictForCapacity();
      i = -1;
    } else if ((this.stats.activeFlows + 1) * 2 > mask + 1 && mask + 1 < this.maxTableSize) {
      this.growTable();
      table = this.table;
      mask = this.tableMask;
      i = -1;
    }
    if (i < 0) {
      // The table changed (eviction shifted entries, or it grew): find the empty bucket again.
      i = h & mask;
      while (table[2 * i + 1] !== 0) i = (i + 1) & mask;
    }
    const s = this.allocate();
    r = this.rec; // allocate() may have grown the slot storage
    table[2 * i] = h;
    table[2 * i + 1] = s + 1;
    const b = s * REC_WORDS;
    r[b] = s0; r[b + 1] = s1; r[b + 2] = s2; r[b + 3] = s3;
    r[b + 4] = d0; r[b + 5] = d1; r[b + 6] = d2; r[b + 7] = d3;
    r[b + 8] = w8; r[b + 9] = w9;
    r[b + R_HASH] = h;
    r[b + R_STATE] = PENDING | FIFO_BIT | (pkt.tcpFlags << FLAGS_SHIFT);
    const len = pkt.wireLen;
    const f = this.f;
    const c = s * F_WORDS;
    f[c + F_PACKETS] = 1;
    f[c + F_BYTES] = len;
    f[c + F_WINDOW] = len;
    f[c + F_LAST] = ts;
    f[c + F_SER_PACKETS] = 1;
    f[c + F_SER_BYTES] = len;
    f[c + F_FIRST] = ts;
    f[c + F_MOVED] = ts;
    this.score[s] = 0;
    this.ifaces[s] = pkt.ifIndex;
    this.lists.lruAppend(s, PROBATION);
    this.lists.fifoAppend(s);
    this.stats.activeFlows++;
    this.stats.flowsCreated++;
    return s;
  }

  /**
   * Adds the TCP analyser's events (TCP_EVENT_* bits; the RTT read from `src`) for the packet
   * observe() just counted in `slot` to that flow's current record.
   */
  noteTcp(slot: number, events: number, src: TcpFlowEvent): void {
    const sb = slot * REC_WORDS + R_STATE;
    const st = this.rec[sb]!;
    if ((st & TCP_BIT) === 0) {
      this.tcpRtt[slot] = NaN;
      this.tcpRetrans[slot] = 0;
      this.rec[sb] = st | TCP_BIT;
    }
    if ((events & TCP_EVENT_RETRANSMISSION) !== 0) this.tcpRetrans[slot]!++;
    if ((events & TCP_EVENT_HANDSHAKE) !== 0) this.tcpRtt[slot] = src.eventRtt;
  }

  /** A packet of the flow in slot s. */
  private hit(s: number, pkt: DecodedPacket): void {
    const ts = pkt.ts;
    const len = pkt.wireLen;
    const f = this.f;
    const c = s * F_WORDS;
    const sb = s * REC_WORDS + R_STATE;
    let st = this.rec[sb]!;
    // Idle gap not expired yet (advance() may lag by one LRU granule), or first packet after an
    // active-timeout cut: a new record starts. Rare, so kept out of line.
    if (f[c + F_PACKETS] === 0 || ts - f[c + F_LAST]! >= this.options.idleTimeout) st = this.restartRecord(s, st, pkt);
    st |= pkt.tcpFlags << FLAGS_SHIFT;
    f[c + F_PACKETS]++;
    f[c + F_BYTES] += len;
    f[c + F_WINDOW] += len;
    if (ts > f[c + F_LAST]!) f[c + F_LAST] = ts;
    if ((st & STATUS) === OVERFLOW) {
      this.stats.overflowPackets++;
      this.stats.overflowBytes += len;
    } else {
      f[c + F_SER_PACKETS]++;
      f[c + F_SER_BYTES] += len;
    }
    // One call site for both LRU moves (probation -> protected on the second packet, then to the
    // protected tail at most once per granule): the second packet of the first flow exercises it,
    // so the optimised code never meets it unexercised (which would deoptimise it) later.
    if ((st & PROT_BIT) === 0 || ts - f[c + F_MOVED]! >= this.granule) {
      this.lists.lruMove(s, (st & PROT_BIT) !== 0 ? PROTECTED : PROBATION, PROTECTED);
      f[c + F_MOVED] = ts;
      st |= PROT_BIT;
    }
    this.rec[sb] = st;
  }

  /**
   * Starts a new record for slot s at this packet, which hit() counts next: the previous one ended
   * idle (a gap advance() has not expired yet: the flow keeps its slot and series), or was already
   * emitted by an active-timeout cut. Returns the updated state word.
   */
  private restartRecord(s: number, st: number, pkt: DecodedPacket): number {
    const f = this.f;
    const c = s * F_WORDS;
    if (pkt.ts - f[c + F_LAST]! >= this.options.idleTimeout) {
      this.stats.evictionsIdle++;
      this.emit(s, 'idle');
      f[c + F_PACKETS] = 0;
      f[c + F_BYTES] = 0;
      if ((st & FIFO_BIT) !== 0) {
        this.lists.fifoUnlink(s);
        st &= ~FIFO_BIT;
      }
    }
    if (f[c + F_PACKETS] === 0) {
      f[c + F_FIRST] = pkt.ts;
      this.ifaces[s] = pkt.ifIndex;
      this.lists.fifoAppend(s);
      st = (st & ~(FLAGS_MASK | TCP_BIT)) | FIFO_BIT;
    }
    return st;
  }

  /** Doubles the hash table (O(flows), amortised O(1) per new flow). */
  private growTable(): void {
    const old = this.table;
    const size = (this.tableMask + 1) * 2;
    const mask = size - 1;
    const t = new Int32Array(size * 2);
    for (let j = 0; j < old.length; j += 2) {
      const e = old[j + 1]!;
      if (e === 0) continue;
      const h = old[j]!;
      let i = h & mask;
      while (t[2 * i + 1] !== 0) i = (i + 1) & mask;
      t[2 * i] = h;
      t[2 * i + 1] = e;
    }
    this.table = t;
    this.tableMask = mask;
  }

  private allocate(): number {
    const s = this.freeHead;
    if (s >= 0) {
      this.freeHead = this.rec[s * REC_WORDS + R_LRU_NEXT]!;
      return s;
    }
    if (this.highWater === this.slotCap) this.growSlots();
    this.labelText.push('');
    return this.highWater++;
  }

  /** Doubles the per-slot arrays (at most to maxFlows), keeping every slot's data and links. */
  private growSlots(): void {
    const cap = Math.min(this.capacity, this.slotCap * 2);
    const rec = new Int32Array(new ArrayBuffer(cap * REC_WORDS * 4));
    rec.set(this.rec);
    this.rec = rec;
    this.f = new Float64Array(rec.buffer);
    const score = new Float64Array(cap);
    score.set(this.score);
    this.score = score;
    const rtt = new Float64Array(cap);
    rtt.set(this.tcpRtt);
    this.tcpRtt = rtt;
    const retrans = new Uint32Array(cap);
    retrans.set(this.tcpRetrans);
    this.tcpRetrans = retrans;
    const links = new Int32Array(cap);
    links.set(this.tcpLinks);
    this.tcpLinks = links;
    const ifaces = new Uint8Array(cap);
    ifaces.set(this.ifaces);
    this.ifaces = ifaces;
    // Scratch of rebalance(), rewritten by every call: nothing to copy.
    this.candScores = new Float64Array(cap);
    this.candIds = new Int32Array(cap);
    this.lists.setRecords(rec);
    this.slotCap = cap;
  }

  private evictForCapacity(): void {
    const l = this.lists;
    const victim = l.count[PROTECTED]! > this.protectedCap || l.head[PROBATION]! < 0 ? l.head[PROTECTED]! : l.head[PROBATION]!;
    this.stats.evictionsCapacity++;
    this.endFlow(victim, 'capacity');
  }

  /** Expires flows up to packet time `now`: idle ones end, long ones are cut into a new record. */
  advance(now: number): void {
    if (!(now >= this.clock)) return; // time never goes back (NaN ignored too)
    this.clock = now;
    this.nextExpiry = now + EXPIRY_STEP;
    const l = this.lists;
    const f = this.f;
    const idleLimit = now - this.options.idleTimeout;
    // Each LRU segment is ordered by last move, at most one granule before the last packet: end
    // from the head while it is idle; a head moved long ago but not idle blocks for < 1 granule.
    for (let seg = PROBATION; seg <= PROTECTED; seg++) {
      for (let s = l.head[seg]!; s >= 0 && f[s * F_WORDS + F_MOVED]! <= idleLimit; s = l.head[seg]!) {
        if (f[s * F_WORDS + F_LAST]! > idleLimit) break;
        this.stats.evictionsIdle++;
        this.endFlow(s, 'idle');
      }
    }
    const activeLimit = now - this.options.activeTimeout;
    for (let s = l.fifoHead; s >= 0 && f[s * F_WORDS + F_FIRST]! <= activeLimit; s = l.fifoHead) {
      // NetFlow/IPFIX active timeout: emit the record, keep the flow (and its series) going.
      this.stats.evictionsActive++;
      this.emit(s, 'active');
      f[s * F_WORDS + F_PACKETS] = 0;
      f[s * F_WORDS + F_BYTES] = 0;
      l.fifoUnlink(s);
      this.rec[s * REC_WORDS + R_STATE]! &= ~FIFO_BIT;
    }
  }

  /** Ends every flow with reason 'end' (end of replay) and empties the table. */
  endAll(): void {
    for (let s = 0; s < this.highWater; s++) {
      if (this.rec[s * REC_WORDS + R_STATE] === FREE) continue;
      this.emit(s, 'end');
      this.foldIfPending(s);
      this.rec[s * REC_WORDS + R_STATE] = FREE;
      this.stats.endedAtEnd++;
    }
    this.table.fill(0);
    this.labelText.length = 0;
    this.highWater = 0;
    this.freeHead = -1;
    this.lists.reset();
    this.exportedCount = 0;
    this.stats.activeFlows = 0;
    this.stats.seriesExported = 0;
  }

  /** Calls cb with a snapshot record of every active flow that has packets in its current record. */
  forEachActive(cb: (r: FlowRecord) => void): void {
    for (let s = 0; s < this.highWater; s++) {
      if (this.rec[s * REC_WORDS + R_STATE] !== FREE && this.f[s * F_WORDS + F_PACKETS]! > 0) cb(this.record(s, 'end'));
    }
  }

  /**
   * The active flows with the most bytes (or packets) in their current record among those `match`
   * accepts (called with the key words at keys[base..]): one pass over the slots offering each to
   * `top` (a bounded heap, nothing allocated per flow), then the winners' records, best first, into
   * `out` (end reason 'end': the caller shows them as active). Returns how many flows matched.
   */
  selectActive(top: TopN, byPackets: boolean, match: ((keys: Int32Array, base: number) => boolean) | null, out: FlowRecordBatchBuilder): number {
    const r = this.rec;
    const f = this.f;
    const field = byPackets ? F_PACKETS : F_BYTES;
    let matched = 0;
    for (let s = 0; s < this.highWater; s++) {
      if (r[s * REC_WORDS + R_STATE] === FREE || f[s * F_WORDS + F_PACKETS] === 0) continue;
      if (match !== null && !match(r, s * REC_WORDS)) continue;
      matched++;
      top.offer(s, f[s * F_WORDS + field]!);
    }
    const sink: FlowRecordOutput = { builder: () => out, dropped: () => {} };
    for (const s of top.drainDescending()) this.writeRecord(s, 'end', sink);
    return matched;
  }

  /**
   * Sends every record that ends from now on to `out` as well (columns, no allocation), or stops
   * doing so (null). Records of flows still active are not sent: see forEachActive / endAll.
   */
  setRecordOutput(out: FlowRecordOutput | null): void {
    this.recordOutput = out;
  }

  private emit(s: number, reason: FlowEndReason): void {
    if (this.f[s * F_WORDS + F_PACKETS] === 0) return;
    if (this.recordOutput !== null) this.writeRecord(s, reason, this.recordOutput);
    if (this.hook === undefined) return;
    try {
      this.hook(this.record(s, reason));
    } catch {
      this.stats.hookErrors++;
    }
  }

  /** Writes slot s's record into the output's columns (or counts it dropped when there is no room). */
  private writeRecord(s: number, reason: FlowEndReason, out: FlowRecordOutput): void {
    const b = out.builder();
    const i = b === null ? -1 : b.claim();
    if (b === null || i < 0) {
      out.dropped();
      return;
    }
    const r = this.rec;
    const base = s * REC_WORDS;
    const k = b.keys;
    const kb = i * KEY_WORDS;
    // Unrolled (KEY_WORDS = 10): a third cheaper than the loop, measured per record ending.
    k[kb] = r[base]!; k[kb + 1] = r[base + 1]!; k[kb + 2] = r[base + 2]!; k[kb + 3] = r[base + 3]!; k[kb + 4] = r[base + 4]!;
    k[kb + 5] = r[base + 5]!; k[kb + 6] = r[base + 6]!; k[kb + 7] = r[base + 7]!; k[kb + 8] = r[base + 8]!; k[kb + 9] = r[base + 9]!;
    const f = this.f;
    const c = s * F_WORDS;
    b.packets[i] = f[c + F_PACKETS]!;
    b.bytes[i] = f[c + F_BYTES]!;
    b.firstSeen[i] = f[c + F_FIRST]!;
    b.lastSeen[i] = f[c + F_LAST]!;
    // Compared, not looked up: a keyed load by string costs more than the rest of the record.
    b.endReasons[i] = reason === 'idle' ? END_REASON_CODE.idle : reason === 'active' ? END_REASON_CODE.active : reason === 'capacity' ? END_REASON_CODE.capacity : END_REASON_CODE.end;
    const st = r[base + R_STATE]!;
    b.tcpFlags[i] = (st & FLAGS_MASK) >>> FLAGS_SHIFT;
    b.interfaces[i] = this.ifaces[s]!;
    b.tcpHandshakeRtt[i] = (st & TCP_BIT) !== 0 ? this.tcpRtt[s]! : NaN;
    b.tcpRetransmissions[i] = (st & TCP_BIT) !== 0 ? this.tcpRetrans[s]! : 0;
  }

  private record(s: number, endReason: FlowEndReason): FlowRecord {
    const p = this.proj;
    const r = this.rec;
    const b = s * REC_WORDS;
    const c = s * F_WORDS;
    return {
      ipVersion: p.ipVersion(r, b),
      srcIp: p.addressText(r, b, false),
      dstIp: p.addressText(r, b, true),
      proto: p.proto(r, b),
      srcPort: r[b + 9]! >>> 16,
      dstPort: r[b + 9]! & 0xffff,
      packets: this.f[c + F_PACKETS]!,
      bytes: this.f[c + F_BYTES]!,
      firstSeen: this.f[c + F_FIRST]!,
      lastSeen: this.f[c + F_LAST]!,
      tcpFlags: (r[b + R_STATE]! & FLAGS_MASK) >>> FLAGS_SHIFT,
      tcpHandshakeRtt: (r[b + R_STATE]! & TCP_BIT) !== 0 && !Number.isNaN(this.tcpRtt[s]!) ? this.tcpRtt[s]! : null,
      tcpRetransmissions: (r[b + R_STATE]! & TCP_BIT) !== 0 ? this.tcpRetrans[s]! : 0,
      endReason,
    };
  }

  /** A pending flow's count was never shown: it belongs to the overflow series. */
  private foldIfPending(s: number): void {
    if ((this.rec[s * REC_WORDS + R_STATE]! & STATUS) === PENDING) {
      const c = s * F_WORDS;
      this.stats.overflowPackets += this.f[c + F_SER_PACKETS]!;
      this.stats.overflowBytes += this.f[c + F_SER_BYTES]!;
      this.f[c + F_SER_PACKETS] = 0;
      this.f[c + F_SER_BYTES] = 0;
    }
  }

  /**
   * Removes a flow. An exported flow's series simply disappears with it: its count is NOT folded into
   * the overflow series, which would make rate() over the overflow series spike by the flow's whole
   * lifetime traffic. Only never-shown (pending) counts go to overflow.
   */
  private endFlow(s: number, reason: FlowEndReason): void {
    this.emit(s, reason);
    this.foldIfPending(s);
    const b = s * REC_WORDS;
    const st = this.rec[b + R_STATE]!;
    this.lists.lruUnlink(s, (st & PROT_BIT) !== 0 ? PROTECTED : PROBATION);
    if ((st & FIFO_BIT) !== 0) this.lists.fifoUnlink(s);
    hashDelete(this.table, this.tableMask, s, this.rec[b + R_HASH]!);
    this.rec[b + R_STATE] = FREE;
    this.labelText[s] = '';
    this.rec[b + R_LRU_NEXT] = this.freeHead;
    this.freeHead = s;
    this.stats.activeFlows--;
  }

  /**
   * Decides which flows have their own series. Called by renderFlowFamilies() only (each scrape): the
   * values at a rebalance are the values shown.
   *
   * Score = bytes of the current window + SCORE_DECAY x the previous score: heavy recent flows win.
   * When every active flow fits in maxSeries, all are exported. Otherwise the candidates are the
   * incumbents (score counted HYSTERESIS times, so a challenger must be clearly heavier to take a
   * series: no flapping) and the non-exported flows that had traffic in the window and more than
   * one packet (a flood of one-packet flows never competes, so it cannot churn series or push out
   * flows that carry traffic); the maxSeries best are exported.
   */
  private rebalance(): void {
    const n = this.highWater;
    const k = this.options.maxSeries;
    const r = this.rec;
    const f = this.f;
    const score = this.score;
    const pressure = this.stats.activeFlows > k;
    const cs = this.candScores;
    const ci = this.candIds;
    let c = 0;
    for (let s = 0; s < n; s++) {
      const x = r[s * REC_WORDS + R_STATE]!;
      if (x === FREE) continue;
      const o = s * F_WORDS;
      const sc = score[s]! * SCORE_DECAY + f[o + F_WINDOW]!;
      score[s] = sc;
      f[o + F_WINDOW] = 0;
      if (!pressure) continue;
      if ((x & STATUS) === EXPORTED) {
        cs[c] = sc * HYSTERESIS;
        ci[c++] = s;
      } else if (sc > 0 && (x & PROT_BIT) !== 0) {
        cs[c] = sc;
        ci[c++] = s;
      }
    }
    if (pressure) {
      if (c > k) {
        selectTopK(cs, ci, c, k);
        c = k;
      }
      for (let i = 0; i < c; i++) r[ci[i]! * REC_WORDS + R_STATE]! |= WON_BIT;
      // A losing incumbent's series freezes at the value last shown; what it counted since then
      // was never shown, so it moves to the overflow series (every packet counted exactly once).
      for (let i = 0; i < this.exportedCount; i++) {
        const s = this.exported[i]!;
        if ((r[s * REC_WORDS + R_STATE]! & (STATUS | WON_BIT)) !== EXPORTED) continue;
        const o = s * F_WORDS;
        this.stats.overflowPackets += f[o + F_SER_PACKETS]! - this.shownPackets[i]!;
        this.stats.overflowBytes += f[o + F_SER_BYTES]! - this.shownBytes[i]!;
        f[o + F_SER_PACKETS] = this.shownPackets[i]!;
        f[o + F_SER_BYTES] = this.shownBytes[i]!;
      }
    }
    const exported = this.exported;
    let e = 0;
    for (let s = 0; s < n; s++) {
      const sb = s * REC_WORDS + R_STATE;
      const x = r[sb]!;
      if (x === FREE) continue;
      const status = x & STATUS;
      let next: number;
      if (!pressure || (x & WON_BIT) !== 0) {
        if (status !== EXPORTED) {
          this.labelText[s] = this.proj.labelText(r, s * REC_WORDS);
          this.stats.seriesAdmitted++;
        }
        this.shownPackets[e] = f[s * F_WORDS + F_SER_PACKETS]!;
        this.shownBytes[e] = f[s * F_WORDS + F_SER_BYTES]!;
        exported[e++] = s;
        next = EXPORTED;
      } else {
        if (status === EXPORTED) {
          this.labelText[s] = '';
          this.stats.seriesDemoted++;
        }
        this.foldIfPending(s);
        next = OVERFLOW;
      }
      r[sb] = (x & ~(STATUS | WON_BIT)) | next;
    }
    this.exportedCount = e;
    this.stats.seriesExported = e;
  }

  /**
   * Rebalances the series budget, then renders netmon_flow_packets_total and netmon_flow_bytes_total
   * as exposition text bytes (ASCII), owned by the caller.
   */
  renderFlowFamilies(): Buffer {
    this.rebalance();
    const n = this.exportedCount;
    const w = this.writer;
    w.reset();
    writeCounterFamily(w, FLOW_PACKETS_FAMILY, FLOW_PACKETS_HELP, this.labelText, this.shownPackets, this.exported, n, this.overflowLabels, this.stats.overflowPackets);
    writeCounterFamily(w, FLOW_BYTES_FAMILY, FLOW_BYTES_HELP, this.labelText, this.shownBytes, this.exported, n, this.overflowLabels, this.stats.overflowBytes);
    return w.take();
  }

  /**
   * Rebalances like renderFlowFamilies() but renders nothing: returns the exported series as slot ids
   * and shown values, with the label text per slot, for a caller that renders elsewhere (the capture
   * process sends them to the HTTP process). The arrays are internal storage, valid until the next
   * rebalance: copy what must outlive it.
   */
  exportFlowSeries(): FlowSeriesExport {
    this.rebalance();
    return {
      count: this.exportedCount,
      ids: this.exported,
      packets: this.shownPackets,
      bytes: this.shownBytes,
      labelText: this.labelText,
      overflowLabels: this.overflowLabels,
    };
  }
}

/** See FlowTable.exportFlowSeries(): series i is slot ids[i] with labels labelText[ids[i]]. */
export interface FlowSeriesExport {
  readonly count: number;
  readonly ids: Int32Array;
  readonly packets: Float64Array;
  readonly bytes: Float64Array;
  readonly labelText: readonly string[];
  readonly overflowLabels: string;
}
