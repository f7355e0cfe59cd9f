/**
 * The rows a table writer holds, in arrival order, as references into the batches they came in
 * (no copy per row): each chunk is a batch plus the row indexes taken from it. The bound is the
 * writer's (max_queue); this only keeps order and counts.
 */
interface Chunk<B> {
  readonly batch: B;
  /** Row indexes into batch, or null for rows start..end-1 themselves. */
  readonly rows: Int32Array | null;
  pos: number;
  readonly end: number;
  /** When the chunk arrived (ms, wall clock): flush_interval counts from the oldest row waiting. */
  readonly arrivedMs: number;
}

export class RecordQueue<B> {
  /** Rows waiting. */
  size = 0;
  private chunks: Chunk<B>[] = [];
  private head = 0;

  /** Rows start..end-1 of `batch` (or rows[start..end-1] when an index list is given). */
  push(batch: B, rows: Int32Array | null, start: number, end: number, arrivedMs: number): void {
    if (end <= start) return;
    this.chunks.push({ batch, rows, pos: start, end, arrivedMs });
    this.size += end - start;
  }

  /** Arrival time of the oldest row waiting (Infinity when empty). */
  get oldestArrivalMs(): number {
    return this.head < this.chunks.length ? this.chunks[this.head]!.arrivedMs : Infinity;
  }

  /** Removes up to `max` rows from the front, calling visit(batch, row) for each in order; returns how many. */
  take(max: number, visit: (batch: B, row: number) => void): number {
    let n = 0;
    while (n < max && this.head < this.chunks.length) {
      const c = this.chunks[this.head]!;
      const stop = Math.min(c.end, c.pos + (max - n));
      const rows = c.rows;
      for (let j = c.pos; j < stop; j++) visit(c.batch, rows === null ? j : rows[j]!);
      n += stop - c.pos;
      c.pos = stop;
      if (c.pos === c.end) this.chunks[this.head++] = undefined as unknown as Chunk<B>;
    }
    if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
    this.size -= n;
    return n;
  }

  /** Empties the queue; returns the rows it held. */
  clear(): number {
    const n = this.size;
    this.chunks = [];
    this.head = 0;
    this.size = 0;
    return n;
  }
}
