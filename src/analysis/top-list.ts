import { selectTopK } from '../flow/top-k';
import type { KeyTable } from './key-table';
import type { WindowCounts } from './window-counts';

/**
 * The top N keys of one detector gauge, as exported: series i has value values[i] and label values
 * labels[i * L] .. labels[i * L + L - 1] for the gauge's L label names. Plain typed array + strings,
 * so it crosses to the HTTP process of `netmon run` as is.
 */
export interface TopList {
  readonly values: Float64Array;
  readonly labels: readonly string[];
}

export const EMPTY_TOP_LIST: TopList = { values: new Float64Array(0), labels: [] };

/**
 * Chooses the top N slots by score at scrape time, with scratch space for a table of `capacity`
 * slots allocated once. Only positive scores count; the result is sorted by descending score (ties
 * by slot) so that the exposition is stable.
 */
export class TopSelector {
  private readonly scores: Float64Array;
  private readonly ids: Int32Array;
  private n = 0;

  constructor(capacity: number) {
    this.scores = new Float64Array(capacity);
    this.ids = new Int32Array(capacity);
  }

  begin(): void {
    this.n = 0;
  }

  offer(slot: number, score: number): void {
    if (!(score > 0)) return;
    this.scores[this.n] = score;
    this.ids[this.n] = slot;
    this.n++;
  }

  /** The top k live slots of `table` by their sums in `counts` over the window ending at `step`. */
  topOf(table: KeyTable, counts: WindowCounts, k: number, step: number): { slots: number[]; scores: number[] } {
    this.begin();
    for (let s = 0; s < table.slotLimit; s++) if (table.inUse(s)) this.offer(s, counts.sum(s, step));
    return this.top(k);
  }

  /** The chosen slots and their scores, best first. */
  top(k: number): { slots: number[]; scores: number[] } {
    const n = this.n;
    const kk = Math.min(k, n);
    selectTopK(this.scores, this.ids, n, kk);
    const order = Array.from({ length: kk }, (_, i) => i);
    order.sort((a, b) => this.scores[b]! - this.scores[a]! || this.ids[a]! - this.ids[b]!);
    return { slots: order.map((i) => this.ids[i]!), scores: order.map((i) => this.scores[i]!) };
  }
}
