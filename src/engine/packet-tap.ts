/**
 * Header metadata of selected packets for the outputs that ask for it (packet stream clients, the
 * PostgreSQL packet sink). Each subscription has a compiled tcpdump filter and a rate cap; the tap
 * runs in the capture process, so only packets some subscriber asked for ever leave it, as columns
 * of a fixed-size row buffer delivered in batches by flush() (outside the ring reader's loop).
 *
 * Per packet: nothing at all without subscriptions (the pipeline holds no tap then); with some, one
 * filter call per subscription and, for a match, one row of typed-array writes. A match that the
 * rate cap refuses, or that finds the row buffer full, is counted as lost for its subscription and
 * reported with the next batch. Never payload: only the header fields below.
 *
 * The rate cap is a token bucket in packet time (a burst of one second's worth, refilled at `rate`
 * per second of packet timestamps): live capture timestamps follow the clock, and a replay is capped
 * the same way whatever its speed, so results do not depend on how fast a file is read.
 */
import type { DecodedPacket } from '../decode/packet';
import type { FilterPredicate } from '../filter/compile-filter';

/** Packet header metadata rows (plain data, cloneable): row i is sub[i], ts[i], ... */
export interface PacketMetaBatch {
  readonly count: number;
  /** The subscription each row is for. */
  readonly sub: Int32Array;
  readonly ts: Float64Array;
  /** Index of the interface (capture order; in a replay, the file order). */
  readonly iface: Uint8Array;
  /** 4 or 6; 0 for non-IP packets (ARP: protocol addresses in words 0 and 4). */
  readonly ipVersion: Uint8Array;
  /** 8 words per row as DecodedPacket.addrs: source words 0..3, destination 4..7. */
  readonly addrs: Uint32Array;
  /** IP protocol, -1 when not IP. */
  readonly proto: Int16Array;
  readonly srcPort: Uint16Array;
  readonly dstPort: Uint16Array;
  /** TCP sequence and acknowledgement numbers, flags and window (0 when not TCP or the header is cut). */
  readonly seq: Uint32Array;
  readonly ack: Uint32Array;
  readonly tcpFlags: Uint8Array;
  readonly window: Uint16Array;
  /** Original length on the wire. */
  readonly wireLen: Uint32Array;
  /** Per subscription with losses since the previous batch: its id and the matches not delivered. */
  readonly lostIds: Int32Array;
  readonly lostCounts: Float64Array;
  /** Per subscription with matches since the previous batch: its id and how many matched. */
  readonly matchedIds: Int32Array;
  readonly matchedCounts: Float64Array;
}

interface Subscription {
  readonly id: number;
  readonly match: FilterPredicate;
  readonly rate: number;
  tokens: number;
  lastTs: number;
  matched: number;
  lost: number;
}

export const DEFAULT_TAP_ROWS = 16384;

export class PacketTap {
  private readonly subs: Subscription[] = [];
  private count = 0;
  private readonly sub: Int32Array;
  private readonly ts: Float64Array;
  private readonly iface: Uint8Array;
  private readonly ipVersion: Uint8Array;
  private readonly addrs: Uint32Array;
  private readonly proto: Int16Array;
  private readonly srcPort: Uint16Array;
  private readonly dstPort: Uint16Array;
  private readonly seq: Uint32Array;
  private readonly ack: Uint32Array;
  private readonly tcpFlags: Uint8Array;
  private readonly window: Uint16Array;
  private readonly wireLen: Uint32Array;
  private flushScheduled = false;
  private synchronous = false;
  private readonly schedule: (fn: () => void) => void;
  private readonly flushNow = (): void => this.flush();

  /**
   * @param deliver hands a batch to the consumers; false when it cannot take it now (its rows then
   *   count as lost for their subscriptions, in the next batch).
   * @param capacity rows held between flushes (the bound on memory).
   */
  constructor(private readonly deliver: (batch: PacketMetaBatch) => boolean, readonly capacity = DEFAULT_TAP_ROWS, schedule?: (fn: () => void) => void) {
    this.sub = new Int32Array(capacity);
    this.ts = new Float64Array(capacity);
    this.iface = new Uint8Array(capacity);
    this.ipVersion = new Uint8Array(capacity);
    this.addrs = new Uint32Array(capacity * 8);
    this.proto = new Int16Array(capacity);
    this.srcPort = new Uint16Array(capacity);
    this.dstPort = new Uint16Array(capacity);
    this.seq = new Uint32Array(capacity);
    this.ack = new Uint32Array(capacity);
    this.tcpFlags = new Uint8Array(capacity);
    this.window = new Uint16Array(capacity);
    this.wireLen = new Uint32Array(capacity);
    this.schedule = schedule ?? ((fn) => void setImmediate(fn));
  }

  get subscriptions(): number {
    return this.subs.length;
  }

  /** Adds a subscription (rate: packets per second at most, >= 1). */
  add(id: number, match: FilterPredicate, rate: number): void {
    this.remove(id);
    this.subs.push({ id, match, rate, tokens: rate, lastTs: -Infinity, matched: 0, lost: 0 });
  }

  remove(id: number): void {
    const i = this.subs.findIndex((s) => s.id === id);
    if (i >= 0) this.subs.splice(i, 1);
  }

  /** In a replay (no ring to starve) a full row buffer is flushed on the spot instead of losing rows. */
  setSynchronous(on: boolean): void {
    this.synchronous = on;
  }

  /** One decoded packet (packet path: no allocation). */
  observe(ifIndex: number, buf: Buffer, pkt: DecodedPacket): void {
    const subs = this.subs;
    for (let k = 0; k < subs.length; k++) {
      const s = subs[k]!;
      if (!s.match(buf, pkt)) continue;
      s.matched++;
      const t = pkt.ts;
      if (t > s.lastTs) {
        s.tokens = Math.min(s.rate, s.tokens + (s.lastTs === -Infinity ? s.rate : (t - s.lastTs) * s.rate));
        s.lastTs = t;
      }
      if (s.tokens < 1) {
        s.lost++;
        continue;
      }
      if (this.count === this.capacity) {
        if (this.synchronous) this.flush();
        else {
          s.lost++;
          continue;
        }
      }
      s.tokens -= 1;
      this.row(s.id, ifIndex, buf, pkt);
    }
  }

  private row(id: number, ifIndex: number, buf: Buffer, pkt: DecodedPacket): void {
    const i = this.count++;
    this.sub[i] = id;
    this.ts[i] = pkt.ts;
    this.iface[i] = ifIndex;
    this.ipVersion[i] = pkt.ipVersion;
    const a = pkt.addrs;
    const o = i * 8;
    const addrs = this.addrs;
    addrs[o] = a[0]!; addrs[o + 1] = a[1]!; addrs[o + 2] = a[2]!; addrs[o + 3] = a[3]!;
    addrs[o + 4] = a[4]!; addrs[o + 5] = a[5]!; addrs[o + 6] = a[6]!; addrs[o + 7] = a[7]!;
    this.proto[i] = pkt.ipProto;
    this.srcPort[i] = pkt.srcPort;
    this.dstPort[i] = pkt.dstPort;
    const l4 = pkt.l4Offset;
    if (pkt.ipProto === 6 && l4 >= 0) {
      this.seq[i] = buf.readUInt32BE(l4 + 4);
      this.ack[i] = buf.readUInt32BE(l4 + 8);
      this.tcpFlags[i] = pkt.tcpFlags;
      this.window[i] = buf.readUInt16BE(l4 + 14);
    } else {
      this.seq[i] = 0;
      this.ack[i] = 0;
      this.tcpFlags[i] = 0;
      this.window[i] = 0;
    }
    this.wireLen[i] = pkt.wireLen;
    if (!this.flushScheduled && this.count * 2 >= this.capacity) {
      this.flushScheduled = true;
      this.schedule(this.flushNow);
    }
  }

  /** Delivers the rows and the per-subscription counts gathered since the last flush. */
  flush(): void {
    this.flushScheduled = false;
    const n = this.count;
    const withLost = this.subs.filter((s) => s.lost > 0);
    const withMatched = this.subs.filter((s) => s.matched > 0);
    if (n === 0 && withLost.length === 0 && withMatched.length === 0) return;
    const batch: PacketMetaBatch = {
      count: n,
      sub: this.sub.slice(0, n),
      ts: this.ts.slice(0, n),
      iface: this.iface.slice(0, n),
      ipVersion: this.ipVersion.slice(0, n),
      addrs: this.addrs.slice(0, n * 8),
      proto: this.proto.slice(0, n),
      srcPort: this.srcPort.slice(0, n),
      dstPort: this.dstPort.slice(0, n),
      seq: this.seq.slice(0, n),
      ack: this.ack.slice(0, n),
      tcpFlags: this.tcpFlags.slice(0, n),
      window: this.window.slice(0, n),
      wireLen: this.wireLen.slice(0, n),
      lostIds: Int32Array.from(withLost, (s) => s.id),
      lostCounts: Float64Array.from(withLost, (s) => s.lost),
      matchedIds: Int32Array.from(withMatched, (s) => s.id),
      matchedCounts: Float64Array.from(withMatched, (s) => s.matched),
    };
    this.count = 0;
    for (const s of withLost) s.lost = 0;
    for (const s of withMatched) s.matched = 0;
    if (this.deliver(batch)) return;
    // Not taken: its rows are lost for their subscriptions, reported with the next batch.
    for (let i = 0; i < n; i++) {
      const s = this.subs.find((x) => x.id === batch.sub[i]);
      if (s !== undefined) s.lost++;
    }
    // The matches were reported in the refused batch: report them again.
    for (let j = 0; j < batch.matchedIds.length; j++) {
      const s = this.subs.find((x) => x.id === batch.matchedIds[j]);
      if (s !== undefined) s.matched += batch.matchedCounts[j]!;
    }
    for (let j = 0; j < batch.lostIds.length; j++) {
      const s = this.subs.find((x) => x.id === batch.lostIds[j]);
      if (s !== undefined) s.lost += batch.lostCounts[j]!;
    }
  }
}
