import type { CaptureFileReader } from './capture-file';
import { CaptureFileError } from './file-errors';
import type { FileSource } from './file-source';
import type { PacketCallback } from './packet-callback';

/**
 * Reader of pcapng files (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/).
 *
 * A file is one or more sections; each starts with a Section Header Block whose byte-order magic
 * decides the byte order of the whole section, and has its own list of interfaces (IDBs) that
 * packet blocks refer to by index. Packet blocks: Enhanced (EPB), Simple (SPB) and the obsolete
 * Packet Block (PB). Every other block (NRB, ISB, DSB, custom, unknown) is skipped by its length.
 */
const BT_SHB = 0x0a0d0d0a;
const BT_IDB = 1;
const BT_PB = 2;
const BT_SPB = 3;
const BT_EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BYTE_ORDER_MAGIC_SWAPPED = 0x4d3c2b1a;
const OPT_ENDOFOPT = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;
/**
 * Largest block accepted: a 128 MiB packet (libpcap's largest per-link maximum, D-Bus) plus room
 * for headers and options. Anything bigger is damage, not a reason to allocate.
 */
const MAX_BLOCK_LEN = 128 * 1024 * 1024 + 64 * 1024;
const TWO_32 = 4294967296;

function u32le(b: Buffer, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}
function u32be(b: Buffer, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

export class PcapngFileReader implements CaptureFileReader {
  readonly path: string;
  readonly format = 'pcapng' as const;
  buf: Buffer;
  offset = 0;
  capLen = 0;
  wireLen = 0;
  ts = 0;
  linkType = 0;
  interfaceIndex = 0;
  /** Number of sections seen so far. */
  sections = 0;

  private readonly src: FileSource;
  /** Byte order of the current section. */
  private le = true;
  /** Per interface of the current section, indexed by interface id. */
  private readonly ifLinkType: number[] = [];
  private readonly ifSnaplen: number[] = [];
  /** Timestamp units per second (10^n or 2^n from if_tsresol; 10^6 by default). */
  private readonly ifTsDiv: number[] = [];
  /** if_tsoffset, seconds added to every timestamp of the interface. */
  private readonly ifTsOffset: number[] = [];
  /** Index in src.buf of the next block. */
  private cur = 0;

  constructor(path: string, src: FileSource) {
    this.path = path;
    this.src = src;
    this.buf = src.buf;
  }

  get position(): number {
    return this.src.base + this.cur;
  }

  /** Number of interfaces defined in the current section. */
  get interfaceCount(): number {
    return this.ifLinkType.length;
  }

  /**
   * Fast path for the common block, a well-formed little-endian EPB already in the buffer; any
   * other case (other blocks, big-endian, refills, damage) goes through the general nextBlock().
   * Keeping this function small lets V8 optimise it as a whole.
   */
  next(): boolean {
    const b = this.buf;
    const o = this.cur;
    const avail = this.src.end - o;
    if (this.le && avail >= 32 && u32le(b, o) === BT_EPB) {
      const len = u32le(b, o + 4);
      const iface = u32le(b, o + 8);
      const capLen = u32le(b, o + 20);
      if (len <= avail && (len & 3) === 0 && capLen <= len - 32 && iface < this.ifLinkType.length && u32le(b, o + len - 4) === len) {
        this.capLen = capLen;
        this.wireLen = u32le(b, o + 24);
        this.offset = o + 28;
        this.interfaceIndex = iface;
        this.linkType = this.ifLinkType[iface];
        this.ts = (u32le(b, o + 12) * TWO_32 + u32le(b, o + 16)) / this.ifTsDiv[iface] + this.ifTsOffset[iface];
        this.cur = o + len;
        return true;
      }
    }
    return this.nextBlock();
  }

  /**
   * Push-style reading (see CaptureFileReader.readPackets): well-formed little-endian EPBs lying
   * whole in the buffer are parsed by readRun() in a tight loop over local variables and handed to
   * `onPacket` directly; any other block, a refill, damage or the end of the file goes through
   * next(). The loop is a method of its own for the reason given in PcapFileReader.readPackets.
   */
  readPackets(onPacket: PacketCallback, max: number): number {
    let n = 0;
    while (n < max && this.next()) {
      onPacket(this.buf, this.offset, this.capLen, this.wireLen, this.ts, this.linkType);
      n++;
      if (this.le) n = this.readRun(onPacket, n, max, this.buf, this.src.end, this.cur);
    }
    return n;
  }

  /**
   * Hands out the EPBs from index o of b (valid up to end) that lie whole there, while n < max;
   * returns n. No field is read at entry (see PcapFileReader.readRun). Interfaces are only added by
   * blocks that go through next(), so the interface arrays do not change during the loop.
   */
  private readRun(onPacket: PacketCallback, n: number, max: number, b: Buffer, end: number, o: number): number {
    while (n < max && end - o >= 32 && u32le(b, o) === BT_EPB) {
      const ifLinkType = this.ifLinkType;
      const len = u32le(b, o + 4);
      const iface = u32le(b, o + 8);
      const capLen = u32le(b, o + 20);
      if (len > end - o || (len & 3) !== 0 || capLen > len - 32 || iface >= ifLinkType.length || u32le(b, o + len - 4) !== len) break;
      const ts = (u32le(b, o + 12) * TWO_32 + u32le(b, o + 16)) / this.ifTsDiv[iface]! + this.ifTsOffset[iface]!;
      const data = o + 28;
      o += len;
      // Kept current before the callback, so `position` is right if it throws.
      this.cur = o;
      onPacket(b, data, capLen, u32le(b, data - 4), ts, ifLinkType[iface]!);
      n++;
    }
    return n;
  }

  private nextBlock(): boolean {
    const src = this.src;
    for (;;) {
      let o = this.cur;
      if (src.end - o < 12) {
        o = this.cur = src.fill(o, 12);
        this.buf = src.buf;
        const have = src.end - o;
        if (have < 12) {
          if (have === 0) return false;
          throw this.damage(o, `truncated block header (${have} of at least 12 bytes)`);
        }
      }
      let b = this.buf;
      const type = this.le ? u32le(b, o) : u32be(b, o);
      if (type === BT_SHB) {
        const bom = u32le(b, o + 8);
        if (bom === BYTE_ORDER_MAGIC) this.le = true;
        else if (bom === BYTE_ORDER_MAGIC_SWAPPED) this.le = false;
        else throw this.damage(o, `section header has an invalid byte-order magic 0x${u32be(b, o + 8).toString(16).padStart(8, '0')}`);
      } else if (this.sections === 0) {
        throw this.damage(o, 'file does not start with a section header block');
      }
      const le = this.le;
      const len = le ? u32le(b, o + 4) : u32be(b, o + 4);
      if (len < 12 || (len & 3) !== 0) throw this.damage(o, `invalid block total length ${len} (block type 0x${type.toString(16)})`);
      if (len > MAX_BLOCK_LEN) throw this.damage(o, `block total length ${len} exceeds the maximum of ${MAX_BLOCK_LEN}`);
      if (src.end - o < len) {
        o = this.cur = src.fill(o, len);
        b = this.buf = src.buf;
        if (src.end - o < len) {
          throw this.damage(o, `truncated block: type 0x${type.toString(16)}, length ${len}, ${src.end - o} bytes present`);
        }
      }
      const trailer = le ? u32le(b, o + len - 4) : u32be(b, o + len - 4);
      if (trailer !== len) throw this.damage(o, `block trailing length ${trailer} differs from its leading length ${len}`);
      this.cur = o + len;

      switch (type) {
        case BT_EPB:
        case BT_PB: {
          if (len < 32) throw this.damage(o, `packet block too short (${len} bytes)`);
          const iface = type === BT_EPB ? (le ? u32le(b, o + 8) : u32be(b, o + 8)) : le ? b[o + 8] | (b[o + 9] << 8) : (b[o + 8] << 8) | b[o + 9];
          if (iface >= this.ifLinkType.length) throw this.undefinedInterface(o, iface);
          const hi = le ? u32le(b, o + 12) : u32be(b, o + 12);
          const lo = le ? u32le(b, o + 16) : u32be(b, o + 16);
          const capLen = le ? u32le(b, o + 20) : u32be(b, o + 20);
          if (capLen > len - 32) throw this.damage(o, `packet block captured length ${capLen} does not fit in its ${len}-byte block`);
          this.capLen = capLen;
          this.wireLen = le ? u32le(b, o + 24) : u32be(b, o + 24);
          this.offset = o + 28;
          this.interfaceIndex = iface;
          this.linkType = this.ifLinkType[iface];
          // Float seconds: exact for microsecond units; for finer units the double rounding error
          // stays far below a microsecond, which is the precision promised (no BigInt per packet).
          this.ts = (hi * TWO_32 + lo) / this.ifTsDiv[iface] + this.ifTsOffset[iface];
          return true;
        }
        case BT_SPB: {
          if (len < 16) throw this.damage(o, `simple packet block too short (${len} bytes)`);
          if (this.ifLinkType.length === 0) throw this.undefinedInterface(o, 0);
          const wireLen = le ? u32le(b, o + 8) : u32be(b, o + 8);
          // The SPB has no captured length: it is the original length cut to interface 0's snaplen
          // (0 = unlimited), and never more than the block holds (the last bytes may be padding).
          let capLen = Math.min(wireLen, len - 16);
          const snap = this.ifSnaplen[0];
          if (snap !== 0 && capLen > snap) capLen = snap;
          this.capLen = capLen;
          this.wireLen = wireLen;
          this.offset = o + 12;
          this.interfaceIndex = 0;
          this.linkType = this.ifLinkType[0];
          // An SPB carries no timestamp; Wireshark and libpcap report 0 too.
          this.ts = 0;
          return true;
        }
        case BT_IDB:
          this.readInterface(b, o, len);
          break;
        case BT_SHB:
          this.readSectionHeader(b, o, len);
          break;
        default:
          // NRB, ISB, DSB, custom and unknown blocks carry nothing netmon counts.
          break;
      }
    }
  }

  close(): void {
    this.src.close();
  }

  private readSectionHeader(b: Buffer, o: number, len: number): void {
    if (len < 28) throw this.damage(o, `section header block too short (${len} bytes)`);
    const major = this.le ? b.readUInt16LE(o + 12) : b.readUInt16BE(o + 12);
    const minor = this.le ? b.readUInt16LE(o + 14) : b.readUInt16BE(o + 14);
    // Only major version 1 exists; libpcap and Wireshark refuse others, as the layout may differ.
    if (major !== 1) throw this.damage(o, `unsupported pcapng version ${major}.${minor}`);
    this.sections++;
    this.ifLinkType.length = 0;
    this.ifSnaplen.length = 0;
    this.ifTsDiv.length = 0;
    this.ifTsOffset.length = 0;
  }

  private readInterface(b: Buffer, o: number, len: number): void {
    if (len < 20) throw this.damage(o, `interface description block too short (${len} bytes)`);
    const le = this.le;
    const linkType = le ? b.readUInt16LE(o + 8) : b.readUInt16BE(o + 8);
    const snaplen = le ? u32le(b, o + 12) : u32be(b, o + 12);
    let div = 1e6;
    let offset = 0;
    const end = o + len - 4;
    let p = o + 16;
    while (end - p >= 4) {
      const code = le ? b.readUInt16LE(p) : b.readUInt16BE(p);
      const olen = le ? b.readUInt16LE(p + 2) : b.readUInt16BE(p + 2);
      if (code === OPT_ENDOFOPT) break;
      if (olen > end - p - 4) throw this.damage(o, `interface option ${code} of length ${olen} overruns its block`);
      if (code === OPT_IF_TSRESOL && olen >= 1) {
        const r = b[p + 4];
        // Top bit set: negative power of 2; else negative power of 10.
        div = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
      } else if (code === OPT_IF_TSOFFSET && olen >= 8) {
        const hi = le ? b.readInt32LE(p + 8) : b.readInt32BE(p + 4);
        const lo = le ? u32le(b, p + 4) : u32be(b, p + 8);
        offset = hi * TWO_32 + lo;
      }
      p += 4 + ((olen + 3) & ~3);
    }
    this.ifLinkType.push(linkType);
    this.ifSnaplen.push(snaplen);
    this.ifTsDiv.push(div);
    this.ifTsOffset.push(offset);
  }

  private undefinedInterface(o: number, iface: number): CaptureFileError {
    return this.damage(o, `packet refers to interface ${iface}, but the section defines ${this.ifLinkType.length}`);
  }

  private damage(bufIndex: number, reason: string): CaptureFileError {
    return new CaptureFileError(this.path, this.src.base + bufIndex, reason);
  }
}
