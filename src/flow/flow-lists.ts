/** LRU segment holding flows that have had one packet so far. */
export const PROBATION = 0;
/** LRU segment holding flows that have had more than one packet. */
export const PROTECTED = 1;

/**
 * Each slot owns a 128-byte block; REC_WORDS is its stride in 32-bit words. Words 0..15 (the first
 * cache line) are the Int32 record: the key words 0..9, the state, the list links and the hash, so
 * that a packet of a known flow touches one line here; the second half holds the counters
 * (Float64, see flow-table.ts).
 */
export const REC_WORDS = 32;
export const R_STATE = 10;
export const R_LRU_PREV = 11;
export const R_LRU_NEXT = 12;
export const R_FIFO_PREV = 13;
export const R_FIFO_NEXT = 14;
export const R_HASH = 15;

/**
 * Intrusive doubly linked lists over flow slots, -1 terminated, stored in the per-slot Int32 records:
 * two LRU segments (ordered by last packet, oldest at head) and a FIFO of current records (ordered by
 * first packet, for the active timeout). All operations are O(1).
 */
export class FlowLists {
  readonly head = new Int32Array([-1, -1]);
  readonly tail = new Int32Array([-1, -1]);
  readonly count = new Int32Array(2);
  fifoHead = -1;
  fifoTail = -1;
  private r: Int32Array;

  constructor(records: Int32Array) {
    this.r = records;
  }

  /** Points the lists at grown slot storage (the records were copied over, links included). */
  setRecords(records: Int32Array): void {
    this.r = records;
  }

  reset(): void {
    this.head.fill(-1);
    this.tail.fill(-1);
    this.count.fill(0);
    this.fifoHead = -1;
    this.fifoTail = -1;
  }

  lruAppend(s: number, seg: number): void {
    const r = this.r;
    const t = this.tail[seg]!;
    r[s * REC_WORDS + R_LRU_PREV] = t;
    r[s * REC_WORDS + R_LRU_NEXT] = -1;
    if (t < 0) this.head[seg] = s;
    else r[t * REC_WORDS + R_LRU_NEXT] = s;
    this.tail[seg] = s;
    this.count[seg]!++;
  }

  lruUnlink(s: number, seg: number): void {
    const r = this.r;
    const head = this.head;
    const tail = this.tail;
    const p = r[s * REC_WORDS + R_LRU_PREV]!;
    const n = r[s * REC_WORDS + R_LRU_NEXT]!;
    const pNext = p * REC_WORDS + R_LRU_NEXT;
    const nPrev = n * REC_WORDS + R_LRU_PREV;
    // Branch-free on purpose (every array is an Int32Array, so each store is one monomorphic site):
    // this runs per packet inlined in the packet path, and unlinking a segment's tail may first
    // happen long after that code was optimised; an `if` arm never run before would deoptimise it.
    (p < 0 ? head : r)[p < 0 ? seg : pNext] = n;
    (n < 0 ? tail : r)[n < 0 ? seg : nPrev] = p;
    this.count[seg]!--;
  }

  /** Moves s from segment `from` to the most recent end of segment `to` (which may be the same). */
  lruMove(s: number, from: number, to: number): void {
    if (from === to && this.tail[to] === s) return;
    this.lruUnlink(s, from);
    this.lruAppend(s, to);
  }

  fifoAppend(s: number): void {
    const r = this.r;
    const t = this.fifoTail;
    r[s * REC_WORDS + R_FIFO_PREV] = t;
    r[s * REC_WORDS + R_FIFO_NEXT] = -1;
    if (t < 0) this.fifoHead = s;
    else r[t * REC_WORDS + R_FIFO_NEXT] = s;
    this.fifoTail = s;
  }

  fifoUnlink(s: number): void {
    const r = this.r;
    const p = r[s * REC_WORDS + R_FIFO_PREV]!;
    const n = r[s * REC_WORDS + R_FIFO_NEXT]!;
    if (p < 0) this.fifoHead = n;
    else r[p * REC_WORDS + R_FIFO_NEXT] = n;
    if (n < 0) this.fifoTail = p;
    else r[n * REC_WORDS + R_FIFO_PREV] = p;
  }
}
