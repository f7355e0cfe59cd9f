import { PACKET_SIZE_BUCKETS } from '../metrics/catalog';

const BUCKETS = PACKET_SIZE_BUCKETS;
const NBUCKETS = BUCKETS.length + 1; // + the +Inf bucket

/** Flag indexes, matching TCP_FLAG_NAMES in the catalog. */
const SYN = 0, SYNACK = 1, FIN = 2, RST = 3, PSH = 4, ACK = 5, URG = 6, ECE = 7, CWR = 8;

/**
 * Per-interface counters updated on the packet path: plain numbers and typed arrays, no allocation.
 */
export class InterfaceCounters {
  readonly name: string;
  packets = 0;
  bytes = 0;
  /** Indexed like TCP_FLAG_NAMES. */
  readonly tcpFlags = new Float64Array(9);
  /** Non-cumulative counts per PACKET_SIZE_BUCKETS bound, the last one +Inf. */
  readonly sizeBuckets = new Float64Array(NBUCKETS);
  sizeSum = 0;

  constructor(name: string) {
    this.name = name;
  }

  countFrame(wireLen: number): void {
    this.packets++;
    this.bytes += wireLen;
    this.sizeSum += wireLen;
    let i = 0;
    while (i < BUCKETS.length && wireLen > BUCKETS[i]!) i++;
    this.sizeBuckets[i]!++;
  }

  /** Counts a TCP segment's flags byte (RFC 9293 section 3.1). */
  countTcpFlags(flags: number): void {
    const f = this.tcpFlags;
    if ((flags & 0x02) !== 0) {
      if ((flags & 0x10) !== 0) f[SYNACK]!++;
      else f[SYN]!++;
    }
    if ((flags & 0x01) !== 0) f[FIN]!++;
    if ((flags & 0x04) !== 0) f[RST]!++;
    if ((flags & 0x08) !== 0) f[PSH]!++;
    if ((flags & 0x10) !== 0) f[ACK]!++;
    if ((flags & 0x20) !== 0) f[URG]!++;
    if ((flags & 0x40) !== 0) f[ECE]!++;
    if ((flags & 0x80) !== 0) f[CWR]!++;
  }
}
