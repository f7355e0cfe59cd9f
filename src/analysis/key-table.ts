import { hashDelete } from '../flow/flow-hash';
import { WINDOW_STEPS } from './window-counts';

/** Segment of keys seen once so far (a scan probe, a flood packet): evicted first. */
export const PROBATION = 0;
/** Segment of keys that proved to be more than a one-off: evicted when probation is empty or this one is too large. */
export const PROTECTED = 1;

/** The protected segment may fill at most this share of the table (the rest is for new keys). */
const PROTECTED_SHARE = 0.75;

/** Told about a slot the table is about to free (evicted or expired), while its record is intact. */
export interface SlotSink {
  dropped(slot: number): void;
}

/** Words of a record used by the table itself after the key: list prev, list next, state, step, hash. */
const OWN_WORDS = 5;

/** One round of the key hash (callers hash their key words in an order and number of their choice). */
export function mixHash(h: number, w: number): number {
  h = Math.imul(h ^ w, 0x85ebca6b);
  return (h << 13) | (h >>> 19);
}

/** The last step of the key hash (murmur3's finaliser). */
export function finishHash(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * The detectors' shared bounded table: a fixed number of slots, each holding a key of `width` 32-bit
 * words, found through an open-addressing hash table of (hash, slot + 1) pairs (linear probing,
 * backward-shift deletion, load <= 0.5). The caller hashes the key (mixHash/finishHash from `seed`,
 * so that an IPv4 key need not hash the zero words of its IPv6 form) and passes the hash along.
 *
 * Every live slot belongs to one list per (segment, window step it was last touched in), FIFO within
 * a step. That one structure serves both ways keys leave:
 *  - expiry: when the window moves on, the lists of the steps that left it are dropped whole;
 *  - eviction when full ("small and idle first", like the flow table's segmented LRU): a new key
 *    enters probation, the caller promotes it when it proves to be more than a one-off, and the victim
 *    is the oldest probation key (the oldest protected one when probation is empty or protected holds
 *    more than 3/4 of the table). Each eviction is counted.
 * A table made with `lists` false (the scan detector's derived tables, which never fill up) skips all
 * of that and is a plain bounded hash table.
 *
 * Each slot is one Int32 record of `stride` words: the key, the table's own words, then `userWords`
 * words for the caller (at `userBase`), rounded up to a whole 64-byte cache line, so that a packet
 * touches one line of slot data per table: under a flood every packet misses every table, and lines,
 * not instructions, are the cost. Everything is allocated at construction (the capacity is a budget
 * that floods do reach); nothing here allocates afterwards. A key is looked up by writing it into
 * `key` and calling find(hash); insert() then adds that same key.
 *
 * Memory: stride * 4 bytes per slot (64 for every table here) plus 16 for the hash table.
 */
export class KeyTable {
  readonly capacity: number;
  readonly width: number;
  /** Words per slot record; slot s's record starts at s * stride. */
  readonly stride: number;
  /** Offset of the caller's words in a record. */
  readonly userBase: number;
  /** The records: key words from 0, the caller's from userBase. */
  readonly rec: Int32Array;
  /** The key to find or insert; callers write its `width` words here first. */
  readonly key: Int32Array;
  /** Keys held now. */
  size = 0;
  /** Keys evicted because the table was full. */
  evictions = 0;
  /** Whether the last upsert() inserted its key. */
  added = false;
  /** Random per-table seed of the key hash: remote hosts choose the keys, so do not let them choose collisions. */
  readonly seed: number;

  private readonly table: Int32Array;
  private readonly mask: number;
  private readonly oPrev: number;
  private readonly oNext: number;
  /** Record word holding 0 for a free slot, else 1 + its segment. */
  private readonly oState: number;
  private readonly oStep: number;
  private readonly oHash: number;
  private readonly lists: boolean;
  /** List (segment, step): index segment * WINDOW_STEPS + step % WINDOW_STEPS. */
  private readonly head = new Int32Array(2 * WINDOW_STEPS).fill(-1);
  private readonly tail = new Int32Array(2 * WINDOW_STEPS).fill(-1);
  private readonly segCount = new Int32Array(2);
  private readonly protectedCap: number;
  private readonly sink: SlotSink | undefined;
  private freeHead = -1;
  private highWater = 0;
  /** Steps up to this one have been expired. */
  private expiredThrough = -1;
  /** Hash of `key` computed by the last find(), reused by insert(). */
  private lastHash = 0;

  constructor(width: number, userWords: number, capacity: number, sink?: SlotSink, lists = true) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 26) throw new RangeError(`key table: capacity must be an integer in [1, 2^26], got ${capacity}`);
    this.width = width;
    this.capacity = capacity;
    this.sink = sink;
    this.lists = lists;
    this.oPrev = width;
    this.oNext = width + 1;
    this.oState = width + 2;
    this.oStep = width + 3;
    this.oHash = width + 4;
    this.userBase = width + OWN_WORDS;
    this.stride = (this.userBase + userWords + 15) & ~15;
    this.key = new Int32Array(width);
    this.rec = new Int32Array(capacity * this.stride);
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.mask = size - 1;
    this.table = new Int32Array(size * 2);
    this.protectedCap = Math.max(1, Math.floor(capacity * PROTECTED_SHARE));
    this.seed = (Math.random() * 0x100000000) | 0;
  }

  /** One past the highest slot ever used: live slots are in [0, slotLimit) with inUse() true. */
  get slotLimit(): number {
    return this.highWater;
  }

  inUse(slot: number): boolean {
    return this.rec[slot * this.stride + this.oState] !== 0;
  }

  /** Segment of a live slot (PROBATION or PROTECTED). */
  segment(slot: number): number {
    return this.rec[slot * this.stride + this.oState]! - 1;
  }

  /** Window step a live slot was last touched in. */
  step(slot: number): number {
    return this.rec[slot * this.stride + this.oStep]!;
  }

  /**
   * Slot holding `key` (whose hash is h), or -1. Only the first `n` words are compared: callers lay
   * keys out so that those decide (an IPv4 key's other words are 0, and its version word differs
   * from an IPv6 key's).
   */
  find(h: number, n: number): number {
    const k = this.key;
    const w = n;
    this.lastHash = h;
    const t = this.table;
    const rec = this.rec;
    const stride = this.stride;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = t[2 * i + 1]!;
      if (e === 0) return -1;
      if (t[2 * i] !== h) continue;
      const base = (e - 1) * stride;
      let j = 0;
      while (j < w && rec[base + j] === k[j]) j++;
      if (j === w) return e - 1;
    }
  }

  /**
   * Frees a slot if the table is full, evicting its oldest key (see the class comment) as of the
   * window ending at `step`; returns whether it evicted. Only for tables with lists.
   */
  makeRoom(step: number): boolean {
    if (this.size < this.capacity) return false;
    const c = this.segCount;
    const seg = c[PROBATION] === 0 || c[PROTECTED]! > this.protectedCap ? PROTECTED : PROBATION;
    let victim = -1;
    for (let j = step - WINDOW_STEPS + 1; victim < 0 && j <= step; j++) victim = this.head[seg * WINDOW_STEPS + (j % WINDOW_STEPS)]!;
    this.evictions++;
    this.sink?.dropped(victim);
    // The sink may have removed the victim itself.
    if (this.inUse(victim)) this.remove(victim);
    return true;
  }

  /**
   * Adds `key`, which the last find() did not find (and whose words are unchanged since), into
   * probation at `step`; evicts first if the table is full. Returns its slot. The caller's words of
   * the record are not cleared.
   */
  insert(step: number): number {
    if (this.lists) this.makeRoom(step);
    let s: number;
    if (this.freeHead >= 0) {
      s = this.freeHead;
      this.freeHead = this.rec[s * this.stride + this.oNext]!;
    } else {
      s = this.highWater++;
    }
    const base = s * this.stride;
    this.rec.set(this.key, base);
    const h = this.lastHash;
    const t = this.table;
    const mask = this.mask;
    let i = h & mask;
    while (t[2 * i + 1] !== 0) i = (i + 1) & mask;
    t[2 * i] = h;
    t[2 * i + 1] = s + 1;
    this.rec[base + this.oStep] = step;
    this.rec[base + this.oHash] = h;
    this.rec[base + this.oState] = PROBATION + 1;
    if (this.lists) this.append(s, PROBATION, step);
    this.size++;
    return s;
  }

  /**
   * The slot of `key` (hash h; the first n words decide, as in find()): when found, touched at `step`
   * and promoted (a key seen twice is no one-off); otherwise inserted at `step`, and `added` is set
   * (the caller then starts its own words of the slot afresh).
   */
  upsert(h: number, n: number, step: number): number {
    const s = this.find(h, n);
    this.added = s < 0;
    if (s < 0) return this.insert(step);
    this.touch(s, step);
    this.promote(s);
    return s;
  }

  /** Marks a live slot as seen in `step` (at least its current step). */
  touch(slot: number, step: number): void {
    const o = slot * this.stride;
    const old = this.rec[o + this.oStep]!;
    if (old === step) return;
    this.rec[o + this.oStep] = step;
    if (!this.lists) return;
    const seg = this.rec[o + this.oState]! - 1;
    this.unlink(slot, seg, old);
    this.append(slot, seg, step);
  }

  /** Moves a live slot to the protected segment (same step). */
  promote(slot: number): void {
    const o = slot * this.stride;
    if (this.rec[o + this.oState] === PROTECTED + 1) return;
    this.rec[o + this.oState] = PROTECTED + 1;
    if (!this.lists) return;
    const step = this.rec[o + this.oStep]!;
    this.unlink(slot, PROBATION, step);
    this.append(slot, PROTECTED, step);
  }

  /** Drops (telling the sink) every key last touched in a step that has left the window ending at `step`. */
  expire(step: number): void {
    const limit = step - WINDOW_STEPS;
    let from = this.expiredThrough + 1;
    // After a long gap every list is drained once, not once per skipped step.
    if (limit - from >= WINDOW_STEPS) from = limit - WINDOW_STEPS + 1;
    for (let j = from; j <= limit; j++) {
      for (let seg = PROBATION; seg <= PROTECTED; seg++) {
        const l = seg * WINDOW_STEPS + (j % WINDOW_STEPS);
        // A list holds one step at a time (expire runs at every step change); the test keeps a
        // later step's keys safe should a caller skip a call.
        for (let s = this.head[l]!; s >= 0 && this.rec[s * this.stride + this.oStep]! <= limit; s = this.head[l]!) {
          this.sink?.dropped(s);
          if (this.inUse(s)) this.remove(s);
        }
      }
    }
    if (limit > this.expiredThrough) this.expiredThrough = limit;
  }

  remove(slot: number): void {
    const base = slot * this.stride;
    const rec = this.rec;
    hashDelete(this.table, this.mask, slot, rec[base + this.oHash]!);
    if (this.lists) this.unlink(slot, rec[base + this.oState]! - 1, rec[base + this.oStep]!);
    rec[base + this.oState] = 0;
    rec[base + this.oNext] = this.freeHead;
    this.freeHead = slot;
    this.size--;
  }

  private append(s: number, seg: number, step: number): void {
    const rec = this.rec;
    const stride = this.stride;
    const l = seg * WINDOW_STEPS + (step % WINDOW_STEPS);
    const t = this.tail[l]!;
    rec[s * stride + this.oPrev] = t;
    rec[s * stride + this.oNext] = -1;
    if (t < 0) this.head[l] = s;
    else rec[t * stride + this.oNext] = s;
    this.tail[l] = s;
    this.segCount[seg]!++;
  }

  private unlink(s: number, seg: number, step: number): void {
    const rec = this.rec;
    const stride = this.stride;
    const l = seg * WINDOW_STEPS + (step % WINDOW_STEPS);
    const p = rec[s * stride + this.oPrev]!;
    const n = rec[s * stride + this.oNext]!;
    if (p < 0) this.head[l] = n;
    else rec[p * stride + this.oNext] = n;
    if (n < 0) this.tail[l] = p;
    else rec[n * stride + this.oPrev] = p;
    this.segCount[seg]!--;
  }
}
