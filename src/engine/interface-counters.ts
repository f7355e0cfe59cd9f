import { PACKET_SIZE_BUCKETS } from '../metrics/catalog';

const BUCKETS = PACKET_SIZE_BUCKETS;
const NBUCKETS = BUCKETS.length + 1; // + the +Inf bucket

/**
 * Bucket index of every frame length below SMALL_LEN, so that the common frame finds its bucket
 * with one table load; longer ones continue the search from SMALL_START, the first bucket whose
 * bound is at least SMALL_LEN.
 */
const SMALL_LEN = 2048;
const SIZE_INDEX = new Uint8Array(SMALL_LEN);
for (let len = 0, i = 0; len < SMALL_LEN; len++) {
  while (i < BUCKETS.length && len > BUCKETS[i]!) i++;
  SIZE_INDEX[len] = i;
}
const SMALL_START = SIZE_INDEX[SMALL_LEN - 1]!;

/** Flag indexes, matching TCP_FLAG_NAMES in the catalog. */
const SYN = 0, SYNACK = 1, FIN = 2, RST = 3, PSH = 4, ACK = 5, URG = 6, ECE = 7, CWR = 8;

/**
 * Per-interface counters updated on the packet path: plain numbers and typed arrays, no allocation.
 */
export class InterfaceCounters {
  readonly name: string;
  packets = 0;
  bytes = 0;
  /** Non-cumulative counts per PACKET_SIZE_BUCKETS bound, the last one +Inf. */
  readonly sizeBuckets = new Float64Array(NBUCKETS);
  /**
   * TCP segments per value of the flags byte: one increment per segment on the packet path; the
   * per-flag counters (tcpFlags) are derived from it when read.
   */
  private readonly flagBytes = new Float64Array(256);
  private readonly flagTotals = new Float64Array(9);

  constructor(name: string) {
    this.name = name;
  }

  /** Sum of the wire lengths counted (the size histogram's _sum): the byte count itself. */
  get sizeSum(): number {
    return this.bytes;
  }

  /**
   * TCP segments per flag, indexed like TCP_FLAG_NAMES (synack: SYN and ACK set; syn: SYN without
   * ACK; every other flag counts whatever else is set, RFC 9293 section 3.1). Computed on each read
   * into one reused array.
   */
  get tcpFlags(): Float64Array {
    const t = this.flagTotals;
    t.fill(0);
    const fb = this.flagBytes;
    for (let flags = 0; flags < 256; flags++) {
      const n = fb[flags]!;
      if (n === 0) continue;
      if ((flags & 0x02) !== 0) {
        if ((flags & 0x10) !== 0) t[SYNACK]! += n;
        else t[SYN]! += n;
      }
      if ((flags & 0x01) !== 0) t[FIN]! += n;
      if ((flags & 0x04) !== 0) t[RST]! += n;
      if ((flags & 0x08) !== 0) t[PSH]! += n;
      if ((flags & 0x10) !== 0) t[ACK]! += n;
      if ((flags & 0x20) !== 0) t[URG]! += n;
      if ((flags & 0x40) !== 0) t[ECE]! += n;
      if ((flags & 0x80) !== 0) t[CWR]! += n;
    }
    return t;
  }

  countFrame(wireLen: number): void {
    this.packets++;
    this.bytes += wireLen;
    let i = wireLen < SMALL_LEN ? SIZE_INDEX[wireLen]! : SMALL_START;
    while (i < BUCKETS.length && wireLen > BUCKETS[i]!) i++;
    this.sizeBuckets[i]!++;
  }

  /** Counts a TCP segment's flags byte (0..255). */
  countTcpFlags(flags: number): void {
    this.flagBytes[flags]!++;
  }
}
