import type { DecodedPacket } from '../decode/packet';
import { DnsRingTable } from './dns-ring-table';

/**
 * Which IP datagrams carried in fragments are complete, as Wireshark's reassembly decides it
 * (packet-ip.c and packet-ipv6.c: fragment_add_check, the datagram keyed by its addresses and
 * identification, see KEY_WORDS): every fragment is followed until the fragments cover the
 * datagram (by their wire lengths: netmon's own capture keeps 256 bytes of each), in any order,
 * repeated ones counting once. No payload is kept: the owner (DNS, TCP) reads what its analysis
 * needs from the fragments as they pass, keyed by the slot slot() returns.
 * Bounded: at most `capacity` datagrams at once (oldest dropped first), each dropped
 * REASSEMBLY_TIMEOUT after its first fragment came (or its first seen), or when its fragments
 * leave more than `maxRanges` disjoint byte ranges (holes) at once (fragments usually arrive in
 * order: one range); the owner is told of each datagram dropped incomplete.
 */

/** Seconds a datagram may take to complete (Linux's net.ipv4.ipfrag_time default). */
export const REASSEMBLY_TIMEOUT = 30;
/**
 * Key words: source 0-3, destination 4-7, identification, VLAN << 8 | IP version. As Wireshark 4.0
 * (tshark on Debian 12, checked), the VLAN separates IPv4 datagrams of private or link-local
 * addresses only (the same addresses may be reused on two VLANs); never IPv6 ones.
 */
const KEY_WORDS = 10;

/** The state slot() gives a new datagram (DnsRingTable.state); owners set their own ones above it. */
export const FRAGMENTS_UNKNOWN = 1;

/** Told of each datagram given up incomplete (a fragment missing, too old, or pushed out). */
export interface ReassemblyOwner {
  /** Slot s is about to be forgotten; its table state is still the owner's. */
  droppedIncomplete(s: number): void;
}

export class IpReassembly {
  /** The datagrams' table: its keys (KEY_WORDS per slot) and the owners' per-slot state. */
  readonly table: DnsRingTable;
  /** Of the fragment slot() last took: its payload's offset in the packet's buffer and its length. */
  start = 0;
  length = 0;
  /** The interface of slot s's first fragment seen. */
  iface = new Uint16Array(0);
  private readonly owner: ReassemblyOwner;
  private readonly maxRanges: number;
  private readonly key = new Int32Array(KEY_WORDS);
  /** The datagram's length once its last fragment came, else -1. */
  private total = new Int32Array(0);
  /** Sorted disjoint [start, end) ranges received: maxRanges pairs per slot, rangeCount[s] in use. */
  private ranges = new Int32Array(0);
  private rangeCount = new Uint8Array(0);
  private firstTime = new Float64Array(0);

  constructor(capacity: number, owner: ReassemblyOwner, maxRanges: number) {
    this.table = new DnsRingTable(capacity, KEY_WORDS);
    this.owner = owner;
    this.maxRanges = maxRanges;
  }

  /** Datagrams being reassembled. */
  get size(): number {
    return this.table.size;
  }

  /**
   * The slot of the datagram of IP fragment `pkt` (pkt.isFragment, not an IPv6 atomic fragment),
   * created (state FRAGMENTS_UNKNOWN) for its first fragment seen; sets start and length to this
   * fragment's payload. -1 for a fragment without payload or an IPv6 one whose fragment header
   * was not captured. The caller reads what it needs of the fragment, then calls add().
   */
  slot(ifIndex: number, buf: Buffer, pkt: DecodedPacket): number {
    const l3 = pkt.l3Offset;
    let id: number;
    let start: number;
    let end: number;
    if (pkt.ipVersion === 4) {
      id = (buf[l3 + 4]! << 8) | buf[l3 + 5]!;
      start = l3 + pkt.ipHeaderLen;
      end = l3 + ((buf[l3 + 2]! << 8) | buf[l3 + 3]!);
    } else {
      const q = ipv6FragmentHeader(buf, l3, pkt.capEnd);
      if (q < 0) return -1;
      id = buf.readInt32BE(q + 4);
      start = q + 8;
      end = l3 + 40 + ((buf[l3 + 4]! << 8) | buf[l3 + 5]!);
    }
    if (end <= start) return -1;
    this.start = start;
    this.length = end - start;
    const t = this.table;
    const k = this.key;
    const a = pkt.addrs;
    for (let i = 0; i < 8; i++) k[i] = a[i]!;
    k[8] = id;
    k[9] = pkt.ipVersion === 4 && (local(a[0]!) || local(a[4]!)) ? ((pkt.vlanId & 0xffff) << 8) | 4 : pkt.ipVersion;
    const h = t.hash(k);
    const s = t.find(k, h);
    return s >= 0 ? s : this.create(k, h, ifIndex, pkt.ts);
  }

  /**
   * Adds the fragment slot() took (of `pkt`, datagram slot s) to its datagram. Returns true when
   * the datagram is now complete (the caller analyses it, then calls release); a datagram whose
   * fragments leave too many holes is given up (the owner told).
   */
  add(s: number, pkt: DecodedPacket): boolean {
    const off = pkt.fragOffset;
    if (!pkt.fragMore) this.total[s] = off + this.length;
    if (!this.receive(s, off, off + this.length)) {
      this.drop(s);
      return false;
    }
    const r = s * this.maxRanges * 2;
    const total = this.total[s]!;
    return total >= 0 && this.rangeCount[s] === 1 && this.ranges[r] === 0 && this.ranges[r + 1]! >= total;
  }

  /** The length of complete datagram s (its transport header and payload). */
  datagramLength(s: number): number {
    return this.total[s]!;
  }

  /** Forgets datagram s (complete, or of no interest to the owner). */
  release(s: number): void {
    this.table.remove(s);
  }

  /** Gives up the datagrams whose first fragment came REASSEMBLY_TIMEOUT or more before `now`. */
  advance(now: number): void {
    const t = this.table;
    if (t.size === 0) return;
    for (let s = t.oldest(); s >= 0 && now - this.firstTime[s]! >= REASSEMBLY_TIMEOUT; s = t.oldest()) this.drop(s);
  }

  private create(k: Int32Array, h: number, ifIndex: number, now: number): number {
    const t = this.table;
    const n = t.nextSlot();
    if (t.state[n] !== 0) this.drop(n);
    const s = t.insert(k, h, FRAGMENTS_UNKNOWN);
    if (this.total.length === 0) this.allocate(t.capacity);
    this.total[s] = -1;
    this.rangeCount[s] = 0;
    this.firstTime[s] = now;
    this.iface[s] = ifIndex;
    return s;
  }

  private allocate(n: number): void {
    this.total = new Int32Array(n);
    this.ranges = new Int32Array(n * this.maxRanges * 2);
    this.rangeCount = new Uint8Array(n);
    this.firstTime = new Float64Array(n);
    this.iface = new Uint16Array(n);
  }

  /** Adds [from, to) to slot s's ranges, merging what it overlaps or touches; false when there are too many. */
  private receive(s: number, from: number, to: number): boolean {
    const r = this.ranges;
    const base = s * this.maxRanges * 2;
    const n = this.rangeCount[s]!;
    if (n === 0) {
      r[base] = from;
      r[base + 1] = to;
      this.rangeCount[s] = 1;
      return true;
    }
    // The first range ending at or after `from`, and the first starting after `to`: those between merge.
    let i = 0;
    while (i < n && r[base + 2 * i + 1]! < from) i++;
    let j = i;
    while (j < n && r[base + 2 * j]! <= to) j++;
    if (i < j) {
      from = Math.min(from, r[base + 2 * i]!);
      to = Math.max(to, r[base + 2 * (j - 1) + 1]!);
    }
    const count = n - (j - i) + 1;
    if (count > this.maxRanges) return false;
    // Move the ranges from j on to follow the new one at i (a few words: no copyWithin call).
    const shift = i + 1 - j;
    if (shift < 0) {
      for (let x = base + 2 * j; x < base + 2 * n; x++) r[x + 2 * shift] = r[x]!;
    } else if (shift > 0) {
      for (let x = base + 2 * n - 1; x >= base + 2 * j; x--) r[x + 2] = r[x]!;
    }
    r[base + 2 * i] = from;
    r[base + 2 * i + 1] = to;
    this.rangeCount[s] = count;
    return true;
  }

  private drop(s: number): void {
    this.owner.droppedIncomplete(s);
    this.table.remove(s);
  }
}

/** An IPv4 address (host order) in 10/8, 172.16/12, 192.168/16 (RFC 1918) or 169.254/16 (RFC 3927). */
function local(a: number): boolean {
  return a >>> 24 === 10 || a >>> 20 === 0xac1 || a >>> 16 === 0xc0a8 || a >>> 16 === 0xa9fe;
}

/**
 * Offset of the fragment header of the IPv6 packet at l3 (the decoder found one), or -1. Walks the
 * extension headers before it: hop-by-hop, routing, destination options, mobility, HIP, shim6 (8-byte
 * units) and AH (4-byte units).
 */
function ipv6FragmentHeader(buf: Buffer, l3: number, capEnd: number): number {
  let nh = buf[l3 + 6]!;
  let q = l3 + 40;
  for (let i = 0; i < 16 && q + 8 <= capEnd; i++) {
    if (nh === 44) return q;
    if (nh === 0 || nh === 43 || nh === 60 || nh === 135 || nh === 139 || nh === 140) {
      nh = buf[q]!;
      q += (buf[q + 1]! + 1) * 8;
    } else if (nh === 51) {
      nh = buf[q]!;
      q += (buf[q + 1]! + 2) * 4;
    } else {
      return -1;
    }
  }
  return -1;
}
