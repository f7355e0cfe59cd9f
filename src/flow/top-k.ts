/**
 * Partially orders candidates so that positions [0, k) hold the k largest scores (in no particular
 * order). Hoare-partition quickselect with a median-of-three pivot: O(n) on average, and even on
 * many equal scores (a flood of identical flows) because Hoare's scheme splits runs of equal keys
 * in the middle. `scores` and `ids` are permuted together.
 */
export function selectTopK(scores: Float64Array, ids: Int32Array, n: number, k: number): void {
  if (k <= 0 || k >= n) return;
  const target = k - 1;
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const a = scores[lo]!;
    const b = scores[(lo + hi) >>> 1]!;
    const c = scores[hi]!;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (scores[i]! > pivot) i++;
      while (scores[j]! < pivot) j--;
      if (i <= j) {
        const ts = scores[i]!;
        scores[i] = scores[j]!;
        scores[j] = ts;
        const ti = ids[i]!;
        ids[i] = ids[j]!;
        ids[j] = ti;
        i++;
        j--;
      }
    }
    // Now [lo, j] >= pivot >= [i, hi], and (j, i) equals the pivot.
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return;
  }
}
