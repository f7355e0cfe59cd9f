/**
 * The detectors' sliding window is WINDOW_STEPS steps of window / WINDOW_STEPS seconds each: a value
 * "in the window" is what was counted in the current step and the WINDOW_STEPS - 1 before it, so it
 * covers between 5/6 of the window and all of it, and a burst leaves the window one step at a time.
 */
export const WINDOW_STEPS = 6;

/** Doubles per slot: the step last written, WINDOW_STEPS counters, padding to one 64-byte line. */
const STRIDE = 8;

/**
 * Per-slot counts over the last WINDOW_STEPS steps: a ring of WINDOW_STEPS counters per slot and the
 * step last written, in one cache line. A slot's ring is brought forward lazily (the counters of the
 * steps it skipped are zeroed when it is next written), so a step change costs nothing for slots that
 * are not written. Steps are small integers counted from the detectors' origin (see Detectors), never
 * epoch values.
 */
export class WindowCounts {
  private readonly c: Float64Array;

  constructor(capacity: number) {
    this.c = new Float64Array(capacity * STRIDE);
  }

  /** Starts a slot afresh at `step` (a new key). */
  reset(slot: number, step: number): void {
    const b = slot * STRIDE;
    this.c.fill(0, b + 1, b + 1 + WINDOW_STEPS);
    this.c[b] = step;
  }

  /** Step at which the slot was last written. */
  lastStep(slot: number): number {
    return this.c[slot * STRIDE]!;
  }

  /** Adds n (may be negative) to the slot's count of `step` (never below its last step). */
  add(slot: number, step: number, n: number): void {
    this.c[this.forward(slot, step)]! += n;
  }

  /**
   * add() of values[i]: for a double the caller holds in an array, since a double passed to a call
   * that is not inlined is boxed (a heap allocation per call).
   */
  addFrom(slot: number, step: number, values: Float64Array, i: number): void {
    this.c[this.forward(slot, step)]! += values[i]!;
  }

  /** Brings the slot's ring forward to `step` (zeroing the steps it skipped); returns the index of step's counter. */
  private forward(slot: number, step: number): number {
    const c = this.c;
    const b = slot * STRIDE;
    let l = c[b]!;
    if (step > l) {
      if (step - l >= WINDOW_STEPS) c.fill(0, b + 1, b + 1 + WINDOW_STEPS);
      else while (l < step) c[b + 1 + (++l % WINDOW_STEPS)] = 0;
      c[b] = step;
    }
    return b + 1 + (step % WINDOW_STEPS);
  }

  /** Sum of the slot's counts in the window ending at step `now` (>= its last step). */
  sum(slot: number, now: number): number {
    const c = this.c;
    const b = slot * STRIDE;
    const l = c[b]!;
    let s = 0;
    for (let j = Math.max(now - WINDOW_STEPS + 1, l - WINDOW_STEPS + 1); j <= l; j++) s += c[b + 1 + (j % WINDOW_STEPS)]!;
    return s;
  }
}
