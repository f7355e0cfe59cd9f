import type { CaptureFileReader } from './capture-file';
import { CaptureFileError } from './file-errors';
import type { FileSource } from './file-source';
import type { PacketCallback } from './packet-callback';
import { maxCapLenForLinkType } from './file-limits';

/** Classic pcap flavours: microsecond, nanosecond, and Kuznetzov's "modified" (24-byte records). */
export type PcapVariant = 'usec' | 'nsec' | 'modified';

const FILE_HEADER_LEN = 24;
/**
 * libpcap sf-pcap.c: files written by libpcap before 2.3 stored caplen and len the other way round;
 * 2.3 files may or may not. tcpdump swaps them back, so we do the same.
 */
const NOT_SWAPPED = 0;
const MAYBE_SWAPPED = 1;
const SWAPPED = 2;
/** The biggest snaplen we let a file header raise the per-record limit to (libpcap's largest, DBUS). */
const SNAPLEN_CEILING = 128 * 1024 * 1024;

/**
 * Reader of classic libpcap files (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/):
 * a 24-byte file header, then records of a 16-byte header (ts_sec, ts_frac, caplen, len) + data.
 */
export class PcapFileReader implements CaptureFileReader {
  readonly path: string;
  readonly format = 'pcap' as const;
  buf: Buffer;
  offset = 0;
  capLen = 0;
  wireLen = 0;
  ts = 0;
  linkType: number;
  interfaceIndex = 0;
  /** File header fields, for diagnostics. */
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly snaplen: number;

  private readonly src: FileSource;
  private readonly le: boolean;
  private readonly recordHeaderLen: number;
  private readonly fracDivisor: number;
  /** A fraction at or above this reads as Wireshark reads it (see time()); readRun() leaves it to next(). */
  private readonly fracWraps: number;
  private readonly nanosecond: boolean;
  private readonly maxCapLen: number;
  /** maxCapLen for readRun(), or -1 when lengths may be swapped (those records go through next()). */
  private readonly fastMaxCapLen: number;
  private readonly lengthsSwapped: number;
  /** Index in src.buf of the next record header. */
  private cur: number;

  constructor(path: string, src: FileSource, littleEndian: boolean, variant: PcapVariant) {
    this.path = path;
    this.src = src;
    this.le = littleEndian;
    this.recordHeaderLen = variant === 'modified' ? 24 : 16;
    this.nanosecond = variant === 'nsec';
    this.fracDivisor = this.nanosecond ? 1e9 : 1e6;
    this.fracWraps = this.nanosecond ? 2 ** 31 : Math.ceil(2 ** 31 / 1000);
    src.fill(0, FILE_HEADER_LEN);
    if (src.end < FILE_HEADER_LEN) {
      src.close();
      throw new CaptureFileError(path, 0, `truncated pcap file header (${src.end} of ${FILE_HEADER_LEN} bytes)`);
    }
    const b = src.buf;
    this.buf = b;
    this.versionMajor = littleEndian ? b.readUInt16LE(4) : b.readUInt16BE(4);
    this.versionMinor = littleEndian ? b.readUInt16LE(6) : b.readUInt16BE(6);
    this.snaplen = littleEndian ? b.readUInt32LE(16) : b.readUInt32BE(16);
    const network = littleEndian ? b.readUInt32LE(20) : b.readUInt32BE(20);
    // The upper bits of the network field carry the FCS length (LT_FCS_LENGTH); the link type is below.
    this.linkType = network & 0xffff;
    if (this.versionMajor < 2) {
      src.close();
      throw new CaptureFileError(path, 4, `unsupported (archaic) pcap version ${this.versionMajor}.${this.versionMinor}`);
    }
    this.lengthsSwapped =
      this.versionMajor === 2 && this.versionMinor < 3 ? SWAPPED : this.versionMajor === 2 && this.versionMinor === 3 ? MAYBE_SWAPPED : NOT_SWAPPED;
    // libpcap refuses records above its per-link-type maximum (256 KiB for most); we also honour a
    // larger snaplen declared by the file, since some writers capture jumbo frames that way.
    this.maxCapLen = Math.max(maxCapLenForLinkType(this.linkType), Math.min(this.snaplen, SNAPLEN_CEILING));
    this.fastMaxCapLen = this.lengthsSwapped === NOT_SWAPPED ? this.maxCapLen : -1;
    this.cur = FILE_HEADER_LEN;
  }

  get position(): number {
    return this.src.base + this.cur;
  }

  /**
   * The general path (refills, damage, swapped lengths). readRun() repeats its record-header parsing
   * on purpose: a shared helper returning four numbers would allocate or add a call per packet on the
   * hot path. Keep the two in step; the reader tests compare both paths record by record.
   */
  next(): boolean {
    const src = this.src;
    const hl = this.recordHeaderLen;
    let o = this.cur;
    if (src.end - o < hl) {
      o = this.cur = src.fill(o, hl);
      this.buf = src.buf;
      const have = src.end - o;
      if (have < hl) {
        if (have === 0) return false;
        throw new CaptureFileError(this.path, src.base + o, `truncated record header (${have} of ${hl} bytes)`);
      }
    }
    let b = this.buf;
    let sec: number, frac: number, capLen: number, wireLen: number;
    if (this.le) {
      sec = (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
      frac = (b[o + 4] | (b[o + 5] << 8) | (b[o + 6] << 16) | (b[o + 7] << 24)) >>> 0;
      capLen = (b[o + 8] | (b[o + 9] << 8) | (b[o + 10] << 16) | (b[o + 11] << 24)) >>> 0;
      wireLen = (b[o + 12] | (b[o + 13] << 8) | (b[o + 14] << 16) | (b[o + 15] << 24)) >>> 0;
    } else {
      sec = ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
      frac = ((b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7]) >>> 0;
      capLen = ((b[o + 8] << 24) | (b[o + 9] << 16) | (b[o + 10] << 8) | b[o + 11]) >>> 0;
      wireLen = ((b[o + 12] << 24) | (b[o + 13] << 16) | (b[o + 14] << 8) | b[o + 15]) >>> 0;
    }
    if (this.lengthsSwapped !== NOT_SWAPPED && (this.lengthsSwapped === SWAPPED || capLen > wireLen)) {
      const t = capLen;
      capLen = wireLen;
      wireLen = t;
    }
    if (capLen > this.maxCapLen) {
      throw new CaptureFileError(
        this.path,
        src.base + o,
        `record captured length ${capLen} exceeds the maximum of ${this.maxCapLen} (snaplen ${this.snaplen})`,
      );
    }
    // caplen > len is tolerated, as by libpcap/tcpdump and Wireshark: some writers produce it.
    const recLen = hl + capLen;
    if (src.end - o < recLen) {
      o = this.cur = src.fill(o, recLen);
      b = this.buf = src.buf;
      if (src.end - o < recLen) {
        throw new CaptureFileError(
          this.path,
          src.base + o,
          `truncated record: ${capLen} captured bytes announced, ${src.end - o - hl} present`,
        );
      }
    }
    this.offset = o + hl;
    this.capLen = capLen;
    this.wireLen = wireLen;
    this.ts = frac < this.fracWraps ? sec + frac / this.fracDivisor : this.time(sec, frac);
    this.cur = o + recLen;
    return true;
  }

  /**
   * Push-style reading (see CaptureFileReader.readPackets). Records that lie whole in the buffer and
   * need no special handling are parsed by readRun() in a tight loop over local variables and handed
   * to `onPacket` directly; everything else (refills, swapped lengths, damage, end of file) goes
   * through next(), once per buffer-full. The current-packet fields describe the last packet handed
   * out by next() only.
   *
   * The loop is a method of its own so that it is what V8 optimises: code that runs once per buffer
   * (this loop) would otherwise sit in the optimised code with little or no type feedback (it first
   * runs before the feedback vector exists) and deoptimise it at the first refill.
   */
  readPackets(onPacket: PacketCallback, max: number): number {
    let n = 0;
    while (n < max && this.next()) {
      onPacket(this.buf, this.offset, this.capLen, this.wireLen, this.ts, this.linkType);
      n++;
      n = this.readRun(onPacket, n, max, this.buf, this.src.end, this.cur);
    }
    return n;
  }

  /**
   * Hands out the records from index o of b (valid up to end) that lie whole there, while n < max;
   * returns n. It reads no field at entry, only inside the loop: code that runs only at entry on the
   * first call runs before V8 collects type feedback, and would deoptimise this loop at the second.
   */
  private readRun(onPacket: PacketCallback, n: number, max: number, b: Buffer, end: number, o: number): number {
    while (n < max && end - o >= this.recordHeaderLen) {
      const hl = this.recordHeaderLen;
      let sec: number, frac: number, capLen: number, wireLen: number;
      if (this.le) {
        sec = (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
        frac = (b[o + 4] | (b[o + 5] << 8) | (b[o + 6] << 16) | (b[o + 7] << 24)) >>> 0;
        capLen = (b[o + 8] | (b[o + 9] << 8) | (b[o + 10] << 16) | (b[o + 11] << 24)) >>> 0;
        wireLen = (b[o + 12] | (b[o + 13] << 8) | (b[o + 14] << 16) | (b[o + 15] << 24)) >>> 0;
      } else {
        sec = ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
        frac = ((b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7]) >>> 0;
        capLen = ((b[o + 8] << 24) | (b[o + 9] << 16) | (b[o + 10] << 8) | b[o + 11]) >>> 0;
        wireLen = ((b[o + 12] << 24) | (b[o + 13] << 16) | (b[o + 14] << 8) | b[o + 15]) >>> 0;
      }
      // Anything the fast loop does not handle is left to next(), which re-reads this header.
      if (capLen > this.fastMaxCapLen || end - o - hl < capLen || frac >= this.fracWraps) break;
      const data = o + hl;
      o = data + capLen;
      // Kept current before the callback, so `position` is right if it throws.
      this.cur = o;
      onPacket(b, data, capLen, wireLen, sec + frac / this.fracDivisor, this.linkType);
      n++;
    }
    return n;
  }

  /**
   * The time of a record whose fraction is out of range (a damaged header, or a writer that does not
   * carry microseconds into seconds), as Wireshark 4.0 reads it (wiretap/libpcap.c): nanoseconds are
   * the fraction, times 1000 for microsecond files, in 32-bit arithmetic, kept in a signed 32-bit
   * int. Fractions up to 2^31 ns are then what they say (1 500 000 µs is 1.5 s more); above that they
   * wrap (tcpflow's `bug8.pcap`: 8 915 240 µs reads as 0.325305408 s).
   */
  private time(sec: number, frac: number): number {
    return sec + (this.nanosecond ? frac | 0 : Math.imul(frac, 1000)) / 1e9;
  }

  close(): void {
    this.src.close();
  }
}
