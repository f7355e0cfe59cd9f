import type { DecodedPacket } from '../decode/packet';
import { hashDelete } from '../flow/flow-hash';
import { Slot, SlotF, State } from './tcp-sequence';

/** List of a connection: no packet from the responder yet / both directions seen. */
export const PROBATION = 0;
export const PROTECTED = 1;
const SYN_LIST = 2;

/** Why a connection left the table. */
export const END_IDLE = 0;
export const END_CAPACITY = 1;
/** A SYN with another initial sequence number started a new connection on the same ports. */
export const END_REPLACED = 2;

/** The analyser, told about connections that end or wait too long for a SYN's answer. */
export interface TcpConnectionOwner {
  ended(slot: number, reason: number): void;
  synExpired(slot: number): void;
}

/**
 * The bounded connection table of the TCP analyser: open addressing over (endpoints, ports, IP
 * version), slots in typed arrays of `capacity` slots allocated on the first connection (zeroed memory
 * the kernel maps only when written: slots are used from the first on, so the table is resident in
 * proportion to the connections it held; growing by copies would leave the old arrays as garbage,
 * which a SYN flood filling the table made a third of its size again), and a hash index that doubles
 * as needed. No per-packet list moves:
 * a connection is appended to its list when created (probation) and when its responder first answers
 * (protected); advance() ends a list head idle for `idleTimeout` (an established one: for
 * `establishedTimeout`) and gives one that was active since it was queued, or is established and
 * idle for less, a second chance at the tail. When full, the oldest probation connection (a SYN
 * nobody answered: scans, floods) is evicted before any protected one; probation connections hold at
 * most half the table (the oldest goes when a new one would exceed that), so that a flood of SYNs
 * makes only half of it resident and leaves the other half to connections that get answers.
 */
export class TcpConnections {
  i = new Int32Array(0);
  f = new Float64Array(0);
  /** Direction of the packet last passed to find(): 0 when it goes A → B. */
  dir = 0;
  size = 0;
  private table = new Int32Array(0);
  private mask = 0;
  private slots = 0;
  private highWater = 0;
  private freeHead = -1;
  private readonly head = new Int32Array([-1, -1, -1]);
  private readonly tail = new Int32Array([-1, -1, -1]);
  private readonly count = new Int32Array(3);
  private readonly key = new Int32Array(10);
  private readonly seed = (Math.random() * 0x100000000) | 0;
  /** Hash of the last find()'s key. (Int32Array: an int32 kept in a field could need a heap number.) */
  private readonly kh = new Int32Array(1);
  /** Packet time of the current operation (doubles are not passed to calls that may not be inlined: boxing). */
  private now = 0;

  /** Connections on probation at most: half the table (a SYN flood never needs more of it). */
  private readonly probationMax: number;

  /**
   * `idleTimeout`: a connection without packets this long ends, unless it is established (protected,
   * no FIN or RST seen: State.CLOSING unset), which ends after `establishedTimeout` (>= idleTimeout).
   */
  constructor(readonly capacity: number, private readonly idleTimeout: number, private readonly establishedTimeout: number, private readonly owner: TcpConnectionOwner) {
    this.probationMax = Math.max(1, capacity >> 1);
  }

  /** The slot of pkt's connection, or -1 (then create() makes it); sets dir. */
  find(pkt: DecodedPacket): number {
    const a = pkt.addrs;
    const k = this.key;
    // Order the endpoints: A is the lower address (unsigned, word by word), then the lower port.
    let c = 0;
    for (let j = 0; j < 4 && c === 0; j++) c = (a[j]! >>> 0) < (a[4 + j]! >>> 0) ? -1 : (a[j]! >>> 0) > (a[4 + j]! >>> 0) ? 1 : 0;
    if (c === 0) c = pkt.srcPort < pkt.dstPort ? -1 : pkt.srcPort > pkt.dstPort ? 1 : 0;
    const d = c > 0 ? 1 : 0;
    const x = d * 4;
    const y = 4 - x;
    k[0] = a[x]!; k[1] = a[x + 1]!; k[2] = a[x + 2]!; k[3] = a[x + 3]!;
    k[4] = a[y]!; k[5] = a[y + 1]!; k[6] = a[y + 2]!; k[7] = a[y + 3]!;
    k[Slot.PORTS] = d === 0 ? (pkt.srcPort << 16) | pkt.dstPort : (pkt.dstPort << 16) | pkt.srcPort;
    k[Slot.VERSION] = pkt.ipVersion;
    this.dir = d;
    let h = this.seed;
    for (let j = 0; j < 10; j++) {
      h = Math.imul(h ^ k[j]!, 0x85ebca6b);
      h ^= h >>> 13;
    }
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    this.kh[0] = h;
    if (this.size === 0) return -1;
    const t = this.table;
    const r = this.i;
    const mask = this.mask;
    for (let q = h & mask, e = t[2 * q + 1]!; e !== 0; q = (q + 1) & mask, e = t[2 * q + 1]!) {
      if (t[2 * q] !== h) continue;
      const b = (e - 1) * Slot.WORDS;
      if (r[b + Slot.PORTS] === k[Slot.PORTS] && r[b] === k[0] && r[b + 4] === k[4] && r[b + 1] === k[1] && r[b + 2] === k[2] &&
          r[b + 3] === k[3] && r[b + 5] === k[5] && r[b + 6] === k[6] && r[b + 7] === k[7] && r[b + Slot.VERSION] === k[Slot.VERSION]) return e - 1;
    }
    return -1;
  }

  /** A zeroed slot for the key of the last find() (which returned -1), on the probation list, at pkt.ts. */
  create(pkt: DecodedPacket): number {
    this.now = pkt.ts;
    if (this.count[PROBATION]! >= this.probationMax) {
      this.end(this.head[PROBATION]!, END_CAPACITY);
    } else if (this.size >= this.capacity) {
      const victim = this.head[PROBATION]! >= 0 ? this.head[PROBATION]! : this.head[PROTECTED]!;
      this.end(victim, END_CAPACITY);
    }
    if (this.size + 1 > this.slots || (this.size + 1) * 2 > this.mask + 1) this.grow();
    let s = this.freeHead;
    if (s >= 0) this.freeHead = this.i[s * Slot.WORDS + Slot.NEXT]!;
    else s = this.highWater++;
    const r = this.i;
    const b = s * Slot.WORDS;
    // Loops, not fill(): TypedArray fill with bounds is a runtime call costing more than these stores.
    for (let j = Slot.HASH; j < Slot.WORDS; j++) r[b + j] = 0;
    const f = this.f;
    for (let j = s * SlotF.WORDS, e = j + SlotF.WORDS; j < e; j++) f[j] = 0;
    for (let j = 0; j < 10; j++) r[b + j] = this.key[j]!;
    const h = this.kh[0]!;
    r[b + Slot.HASH] = h;
    const t = this.table;
    let q = h & this.mask;
    while (t[2 * q + 1] !== 0) q = (q + 1) & this.mask;
    t[2 * q] = h;
    t[2 * q + 1] = s + 1;
    this.size++;
    this.f[s * SlotF.WORDS + SlotF.LAST] = this.now;
    this.append(s, PROBATION);
    return s;
  }

  /** The responder answered: the connection leaves probation (its packet's time in pkt.ts). */
  protect(s: number, pkt: DecodedPacket): void {
    if ((this.i[s * Slot.WORDS + Slot.STATE]! & State.PROTECTED) !== 0) return;
    this.now = pkt.ts;
    this.unlink(s, PROBATION);
    this.append(s, PROTECTED);
  }

  /** Puts s on the SYN-wait list (ordered by SYN time, SlotF.SYN_TIME). */
  waitSyn(s: number): void {
    const st = s * Slot.WORDS + Slot.STATE;
    if ((this.i[st]! & State.ON_SYN_LIST) !== 0) this.link(s, SYN_LIST, -1);
    this.link(s, SYN_LIST, 1);
    this.i[st]! |= State.ON_SYN_LIST;
  }

  /** Takes s off the SYN-wait list (answered, refused, timed out, ended). */
  unwaitSyn(s: number): void {
    const st = s * Slot.WORDS + Slot.STATE;
    if ((this.i[st]! & State.ON_SYN_LIST) === 0) return;
    this.link(s, SYN_LIST, -1);
    this.i[st]! &= ~State.ON_SYN_LIST;
  }

  /** Expires by packet time: SYNs unanswered for synTimeout, connections idle for idleTimeout. */
  advance(now: number, synTimeout: number): void {
    this.now = now;
    const f = this.f;
    for (let s = this.head[SYN_LIST]!; s >= 0 && now - f[s * SlotF.WORDS + SlotF.SYN_TIME]! >= synTimeout; s = this.head[SYN_LIST]!) {
      this.unwaitSyn(s);
      this.owner.synExpired(s);
    }
    const limit = now - this.idleTimeout;
    const establishedLimit = now - this.establishedTimeout;
    for (let list = PROBATION; list <= PROTECTED; list++) {
      for (let s = this.head[list]!; s >= 0 && f[s * SlotF.WORDS + SlotF.QUEUED]! <= limit; s = this.head[list]!) {
        const last = f[s * SlotF.WORDS + SlotF.LAST]!;
        // Idle, and not an established connection that may still resume (idle past idleTimeout, it
        // is queued again and looked at once per idleTimeout until establishedTimeout).
        if (last <= limit && (list === PROBATION || (this.i[s * Slot.WORDS + Slot.STATE]! & State.CLOSING) !== 0 || last <= establishedLimit)) {
          this.end(s, END_IDLE);
        } else {
          this.unlink(s, list);
          this.append(s, list);
        }
      }
    }
  }

  /** Ends s: the owner is told first, then the slot is freed. */
  end(s: number, reason: number): void {
    this.owner.ended(s, reason);
    const b = s * Slot.WORDS;
    this.unwaitSyn(s);
    this.unlink(s, (this.i[b + Slot.STATE]! & State.PROTECTED) !== 0 ? PROTECTED : PROBATION);
    hashDelete(this.table, this.mask, s, this.i[b + Slot.HASH]!);
    this.i[b + Slot.VERSION] = 0;
    this.i[b + Slot.NEXT] = this.freeHead;
    this.freeHead = s;
    this.size--;
  }

  /** Appends s to `list`, queued at this.now. */
  private append(s: number, list: number): void {
    this.link(s, list, 1);
    const st = s * Slot.WORDS + Slot.STATE;
    this.i[st] = list === PROTECTED ? this.i[st]! | State.PROTECTED : this.i[st]! & ~State.PROTECTED;
    this.f[s * SlotF.WORDS + SlotF.QUEUED] = this.now;
  }

  private unlink(s: number, list: number): void {
    this.link(s, list, -1);
  }

  /** op 1: append s to `list`; op -1: unlink it. The SYN list uses its own link words. */
  private link(s: number, list: number, op: number): void {
    const r = this.i;
    const pw = list === SYN_LIST ? Slot.SYN_PREV : Slot.PREV;
    const nw = list === SYN_LIST ? Slot.SYN_NEXT : Slot.NEXT;
    const b = s * Slot.WORDS;
    if (op > 0) {
      const t = this.tail[list]!;
      r[b + pw] = t;
      r[b + nw] = -1;
      if (t < 0) this.head[list] = s;
      else r[t * Slot.WORDS + nw] = s;
      this.tail[list] = s;
      this.count[list]!++;
    } else {
      const p = r[b + pw]!;
      const n = r[b + nw]!;
      if (p < 0) this.head[list] = n;
      else r[p * Slot.WORDS + nw] = n;
      if (n < 0) this.tail[list] = p;
      else r[n * Slot.WORDS + pw] = p;
      this.count[list]!--;
    }
  }

  /** Allocates the slot arrays (once) and doubles the hash table as needed. */
  private grow(): void {
    if (this.size + 1 > this.slots) {
      this.i = new Int32Array(this.capacity * Slot.WORDS);
      this.f = new Float64Array(this.capacity * SlotF.WORDS);
      this.slots = this.capacity;
    }
    let size = Math.max(16, this.mask + 1);
    while ((this.size + 1) * 2 > size) size *= 2;
    if (size === this.mask + 1 && this.table.length > 0) return;
    const old = this.table;
    const t = new Int32Array(size * 2);
    const mask = size - 1;
    for (let j = 0; j < old.length; j += 2) {
      const e = old[j + 1]!;
      if (e === 0) continue;
      let q = old[j]! & mask;
      while (t[2 * q + 1] !== 0) q = (q + 1) & mask;
      t[2 * q] = old[j]!;
      t[2 * q + 1] = e;
    }
    this.table = t;
    this.mask = mask;
  }
}
