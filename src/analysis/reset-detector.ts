import type { DecodedPacket } from '../decode/packet';
import { addressText, keyHash, putAddress } from './address-key';
import { KeyTable } from './key-table';
import { TopSelector } from './top-list';
import type { TopList } from './top-list';
import { WindowCounts } from './window-counts';

/** Source key: source's first word, IP version, its other words (see address-key.ts). */
const SOURCE_WIDTH = 5;

/**
 * Resets: per source address, the TCP segments with RST it sent within the sliding window (the
 * per-interface rate is netmon_tcp_flags_total{flag="rst"}). `detect.max_sources` keys; a key leaves
 * when it has sent nothing for a whole window, or when the table is full and it is evicted: sources
 * that sent a single RST go first, then the oldest.
 */
export class ResetDetector {
  readonly sources: KeyTable;
  private readonly counts: WindowCounts;
  private readonly selector: TopSelector;

  constructor(maxSources: number) {
    this.sources = new KeyTable(SOURCE_WIDTH, 0, maxSources);
    this.counts = new WindowCounts(maxSources);
    this.selector = new TopSelector(maxSources);
  }

  rst(pkt: DecodedPacket, step: number): void {
    const st = this.sources;
    const k = st.key;
    const v = pkt.ipVersion;
    putAddress(k, 0, 2, pkt.addrs, 0, v);
    k[1] = v;
    const n = v === 4 ? 2 : SOURCE_WIDTH;
    const s = st.upsert(keyHash(st.seed, k, n, v, SOURCE_WIDTH), n, step);
    if (st.added) this.counts.reset(s, step);
    this.counts.add(s, step, 1);
  }

  expire(step: number): void {
    this.sources.expire(step);
  }

  /** Top n sources by RSTs sent in the window, labelled src_ip. */
  report(n: number, step: number): TopList {
    const st = this.sources;
    const sel = this.selector;
    const { slots, scores } = sel.topOf(st, this.counts, n, step);
    return {
      values: Float64Array.from(scores),
      labels: slots.map((s) => addressText(st.rec, s * st.stride, s * st.stride + 2, st.rec[s * st.stride + 1]!)),
    };
  }
}
