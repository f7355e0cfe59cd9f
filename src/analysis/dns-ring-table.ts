import { hashDelete } from '../flow/flow-hash';

/**
 * A bounded hash table of fixed-width Int32 keys whose slots are handed out in arrival order, as a
 * ring: the oldest entry is always at the tail, so expiry by age and eviction when full are O(1)
 * and allocate nothing. An entry removed early (answered, replaced) leaves its ring position until
 * the tail passes it, so the table holds the entries of the last `capacity` insertions. Callers keep
 * their per-entry data in their own arrays indexed by slot.
 *
 * The arrays are allocated on first use: a configuration that never meets DNS pays nothing.
 */
export class DnsRingTable {
  readonly capacity: number;
  readonly keyWords: number;
  /** Key words of slot s: keys[s * keyWords ...]. */
  keys = new Int32Array(0);
  /** 0: free or removed; otherwise a state the caller chose (nonzero). */
  state = new Uint8Array(0);
  private hashes = new Int32Array(0);
  /** Pairs (hash, slot + 1), linear probing, load <= 0.5; slot + 1 = 0 marks an empty bucket. */
  private table = new Int32Array(0);
  private mask = 0;
  private tail = 0;
  /** Ring positions in use from the tail (live or removed but not yet passed). */
  private used = 0;
  /** Ring positions from the tail already passed by the caller's sweep (swept()). */
  private sweptCount = 0;
  private readonly seed = (Math.random() * 0x100000000) | 0;
  /** Live entries. */
  size = 0;

  constructor(capacity: number, keyWords: number) {
    this.capacity = capacity;
    this.keyWords = keyWords;
  }

  private ensure(): void {
    if (this.state.length !== 0) return;
    const n = this.capacity;
    let size = 16;
    while (size < n * 2) size *= 2;
    this.mask = size - 1;
    this.table = new Int32Array(size * 2);
    this.keys = new Int32Array(n * this.keyWords);
    this.state = new Uint8Array(n);
    this.hashes = new Int32Array(n);
  }

  /** Hash of the first keyWords words of `key` (multiply-xorshift per word, murmur3 finaliser). */
  hash(key: Int32Array): number {
    let h = this.seed;
    for (let i = 0; i < this.keyWords; i++) {
      h = Math.imul(h ^ key[i]!, 0x85ebca6b);
      h ^= h >>> 13;
    }
    h = Math.imul(h, 0xc2b2ae35);
    return h ^ (h >>> 16);
  }

  /** The live slot holding `key` (hash h), or -1. */
  find(key: Int32Array, h: number): number {
    if (this.size === 0) return -1;
    const t = this.table;
    const k = this.keys;
    const w = this.keyWords;
    const mask = this.mask;
    for (let i = h & mask, e = t[2 * i + 1]!; e !== 0; i = (i + 1) & mask, e = t[2 * i + 1]!) {
      if (t[2 * i] !== h) continue;
      const b = (e - 1) * w;
      let j = 0;
      while (j < w && k[b + j] === key[j]) j++;
      if (j === w) return e - 1;
    }
    return -1;
  }

  /**
   * The slot the next insert() will use. When it is live (state != 0) the table is full and that is
   * the oldest entry: the caller accounts for it and remove()s it before inserting.
   */
  nextSlot(): number {
    this.ensure();
    this.passRemoved();
    return this.used === this.capacity ? this.tail : (this.tail + this.used) % this.capacity;
  }

  /** Inserts `key` (hash h) with `state` (nonzero) in nextSlot(), which must not be live; returns the slot. */
  insert(key: Int32Array, h: number, state: number): number {
    const s = this.nextSlot();
    const w = this.keyWords;
    const k = this.keys;
    for (let j = 0, b = s * w; j < w; j++) k[b + j] = key[j]!;
    this.state[s] = state;
    this.hashes[s] = h;
    const t = this.table;
    let i = h & this.mask;
    while (t[2 * i + 1] !== 0) i = (i + 1) & this.mask;
    t[2 * i] = h;
    t[2 * i + 1] = s + 1;
    this.used++;
    this.size++;
    return s;
  }

  remove(s: number): void {
    if (this.state[s] === 0) return;
    this.state[s] = 0;
    hashDelete(this.table, this.mask, s, this.hashes[s]!);
    this.size--;
  }

  /**
   * The oldest slot the caller's sweep has not passed (live or removed: state 0), or -1. A second
   * cursor behind the tail, for a caller that acts on entries at one age (a query becoming
   * unanswered) and removes them at a later one.
   */
  unswept(): number {
    this.passRemoved();
    return this.sweptCount < this.used ? (this.tail + this.sweptCount) % this.capacity : -1;
  }

  /** Moves the sweep past the slot unswept() returned. */
  swept(): void {
    this.sweptCount++;
  }

  /** The oldest live slot, or -1 when empty. */
  oldest(): number {
    this.passRemoved();
    return this.used > 0 ? this.tail : -1;
  }

  private passRemoved(): void {
    const st = this.state;
    while (this.used > 0 && st[this.tail] === 0) {
      this.tail = this.tail + 1 === this.capacity ? 0 : this.tail + 1;
      this.used--;
      if (this.sweptCount > 0) this.sweptCount--;
    }
  }
}
