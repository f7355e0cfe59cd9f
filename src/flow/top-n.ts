/**
 * The k largest scores among many, in O(k) memory: a min-heap of the best k seen so far (the
 * weakest at the root, replaced when a better one arrives). For the active-flows query, which
 * scans the whole flow table but must not allocate per flow nor hold more than the k it returns.
 */
export class TopN {
  private readonly scores: Float64Array;
  private readonly ids: Int32Array;
  size = 0;

  constructor(readonly k: number) {
    this.scores = new Float64Array(Math.max(1, k));
    this.ids = new Int32Array(Math.max(1, k));
  }

  /** Offers id with score; kept when fewer than k are held or it beats the weakest (ties: the first offered stays). */
  offer(id: number, score: number): void {
    const s = this.scores;
    const d = this.ids;
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (s[p]! <= score) break;
        s[i] = s[p]!;
        d[i] = d[p]!;
        i = p;
      }
      s[i] = score;
      d[i] = id;
      return;
    }
    if (this.k === 0 || score <= s[0]!) return;
    // Sift the new element down from the root.
    const n = this.size;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && s[r]! < s[l]! ? r : l;
      if (s[c]! >= score) break;
      s[i] = s[c]!;
      d[i] = d[c]!;
      i = c;
    }
    s[i] = score;
    d[i] = id;
  }

  /** The ids held, best first (the heap is emptied). */
  drainDescending(): number[] {
    const out = new Array<number>(this.size);
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i < this.size; i++) pairs.push([this.scores[i]!, this.ids[i]!]);
    pairs.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    for (let i = 0; i < pairs.length; i++) out[i] = pairs[i]![1];
    this.size = 0;
    return out;
  }
}
