import type { DecodedPacket } from '../decode/packet';
import { addressText, keyHash, putAddress } from './address-key';
import { KeyTable, PROBATION } from './key-table';
import { EMPTY_TOP_LIST, TopSelector } from './top-list';
import type { TopList } from './top-list';
import { WindowCounts } from './window-counts';

/**
 * Path key: the source's and destination's first words, IP version, then their other words (see
 * address-key.ts): an IPv4 key is its first three words.
 */
const PATH_WIDTH = 9;
const IPV4_WORDS = 3;

/**
 * Retransmitting paths, by name: per (source, destination) address pair, the TCP segments the TCP
 * analyser found retransmitted within the sliding window (the sender is the source), fed on those
 * events only. NetmonTcpRetransmitRatio alerts per interface; this gauge says between which hosts.
 * `detect.max_sources` keys, leaving as the reset detector's do. The tables are allocated on the
 * first retransmission.
 */
export class RetransmissionDetector {
  private paths: KeyTable | null = null;
  private counts = new WindowCounts(0);
  private selector: TopSelector | null = null;

  constructor(private readonly maxPaths: number) {}

  /** Pairs tracked now, and evicted because the table was full. */
  get size(): number {
    return this.paths?.size ?? 0;
  }

  get evictions(): number {
    return this.paths?.evictions ?? 0;
  }

  /**
   * A retransmitted segment of pkt's source to its destination. `hint` is the slot the previous one
   * of the same connection direction went to (or -1): when it still holds this pair, no hash lookup.
   * Returns the slot, for the caller to pass as the next hint.
   */
  retransmission(pkt: DecodedPacket, step: number, hint: number): number {
    const st0 = this.paths;
    if (st0 !== null && hint >= 0 && this.holds(st0, hint, pkt)) {
      st0.touch(hint, step);
      if (st0.segment(hint) === PROBATION) st0.promote(hint);
      this.counts.add(hint, step, 1);
      return hint;
    }
    if (this.paths === null) {
      this.paths = new KeyTable(PATH_WIDTH, 0, this.maxPaths);
      this.counts = new WindowCounts(this.maxPaths);
      this.selector = new TopSelector(this.maxPaths);
    }
    const st = this.paths;
    const k = st.key;
    const v = pkt.ipVersion;
    putAddress(k, 0, 3, pkt.addrs, 0, v);
    putAddress(k, 1, 6, pkt.addrs, 4, v);
    k[2] = v;
    const n = v === 4 ? IPV4_WORDS : PATH_WIDTH;
    const s = st.upsert(keyHash(st.seed, k, n, v, PATH_WIDTH), n, step);
    if (st.added) this.counts.reset(s, step);
    this.counts.add(s, step, 1);
    return s;
  }

  /** Whether live slot `s` holds pkt's (source, destination) pair (the key layout above). */
  private holds(st: KeyTable, s: number, pkt: DecodedPacket): boolean {
    if (s >= st.slotLimit || !st.inUse(s)) return false;
    const r = st.rec;
    const b = s * st.stride;
    const a = pkt.addrs;
    const v = pkt.ipVersion;
    if (r[b] !== (a[0]! | 0) || r[b + 1] !== (a[4]! | 0) || r[b + 2] !== v) return false;
    return v === 4 || (r[b + 3] === (a[1]! | 0) && r[b + 4] === (a[2]! | 0) && r[b + 5] === (a[3]! | 0) &&
      r[b + 6] === (a[5]! | 0) && r[b + 7] === (a[6]! | 0) && r[b + 8] === (a[7]! | 0));
  }

  expire(step: number): void {
    this.paths?.expire(step);
  }

  /** Top n paths by retransmitted segments in the window, labelled src_ip, dst_ip. */
  report(n: number, step: number): TopList {
    const st = this.paths;
    const sel = this.selector;
    if (st === null || sel === null) return EMPTY_TOP_LIST;
    const { slots, scores } = sel.topOf(st, this.counts, n, step);
    const r = st.rec;
    return {
      values: Float64Array.from(scores),
      labels: slots.flatMap((s) => {
        const b = s * st.stride;
        const v = r[b + 2]!;
        return [addressText(r, b, b + 3, v), addressText(r, b + 1, b + 6, v)];
      }),
    };
  }
}
