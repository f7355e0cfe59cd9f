import { closeSync, fstatSync, openSync } from 'node:fs';
import { CaptureFileError, CaptureFileOpenError, NotACaptureFileError, describeFsError } from './file-errors';
import { FileSource, INITIAL_CHUNK } from './file-source';
import { CompressedFileSource, compressionOf } from './compressed-source';
import { PcapFileReader, type PcapVariant } from './pcap-file';
import { PcapngFileReader } from './pcapng-file';
import type { PacketCallback } from './packet-callback';

export { CaptureFileError, CaptureFileOpenError, NotACaptureFileError };

/**
 * Pull-based, synchronous reader of one capture file. Per packet it allocates nothing: the fields
 * describe the current packet and are overwritten by the next call to next(); `buf` is the reader's
 * own buffer, so the bytes [offset, offset + capLen) are valid only until then.
 *
 * Usage:
 *   const r = openCaptureFile(path);
 *   try { while (r.next()) onPacket(r.buf, r.offset, r.capLen, r.wireLen, r.ts, r.linkType); }
 *   finally { r.close(); }
 */
export interface CaptureFileReader {
  readonly path: string;
  readonly format: 'pcap' | 'pcapng';
  /** Buffer holding the current packet. */
  buf: Buffer;
  /** Index in `buf` of the first captured byte of the current packet. */
  offset: number;
  /** Captured length (bytes present in the file). */
  capLen: number;
  /** Original length on the wire, as the file states it (it may be smaller than capLen in odd files). */
  wireLen: number;
  /** Timestamp, float seconds since the epoch (microsecond precision). */
  ts: number;
  /** LINKTYPE_* of the current packet. */
  linkType: number;
  /** pcapng interface id within its section (0 for pcap). */
  interfaceIndex: number;
  /** Advances to the next packet; false at a clean end of file. Throws CaptureFileError on damage. */
  next(): boolean;
  /**
   * Push-style reading, the fast way to replay: hands up to `max` packets (Infinity: all) to
   * `onPacket`, in order, and returns how many; fewer than `max` means the end of the file. Damage
   * throws CaptureFileError after the packets before it were handed out, as with next(). The packet
   * fields above are not kept up to date during the call (only `position` is).
   */
  readPackets(onPacket: PacketCallback, max: number): number;
  /** Byte offset in the file just past the current packet (where the next record starts). */
  readonly position: number;
  /** Closes the file; idempotent. */
  close(): void;
}

/** Magic numbers, as read big-endian from the first four bytes of the file. */
const PCAP_MAGICS: ReadonlyArray<[number, boolean, PcapVariant]> = [
  [0xa1b2c3d4, false, 'usec'],
  [0xd4c3b2a1, true, 'usec'],
  [0xa1b23c4d, false, 'nsec'],
  [0x4d3cb2a1, true, 'nsec'],
  // "Modified" pcap (Alexey Kuznetzov's patched libpcap): 24-byte record headers.
  [0xa1b2cd34, false, 'modified'],
  [0x34cdb2a1, true, 'modified'],
];
/** pcapng Section Header Block type; palindromic, so byte order does not matter here. */
const PCAPNG_SHB = 0x0a0d0d0a;

/**
 * Opens a classic pcap or pcapng file, chosen by its magic number (not by its name), or one of them
 * gzip- or zstd-compressed (inflated as it is read: compressed-source.ts).
 * Throws CaptureFileOpenError (missing, unreadable, a directory), NotACaptureFileError (empty or
 * unknown magic), or CaptureFileError (a capture whose file header is damaged).
 */
export interface OpenCaptureFileOptions {
  /** Initial read buffer size in bytes (default 512 KiB); it grows for bigger records. Small values are for tests. */
  bufferSize?: number;
}

export function openCaptureFile(path: string, opts: OpenCaptureFileOptions = {}): CaptureFileReader {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const { errno, detail } = describeFsError(err);
    throw new CaptureFileOpenError(path, errno, detail);
  }
  try {
    let regular: boolean;
    let size: number;
    try {
      const st = fstatSync(fd);
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      regular = st.isFile();
      size = regular ? st.size : -1;
    } catch (err) {
      const { errno, detail } = describeFsError(err);
      throw new CaptureFileOpenError(path, errno, detail);
    }
    const chunk = Math.max(opts.bufferSize ?? INITIAL_CHUNK, 64);
    let src = new FileSource(path, fd, size, regular, chunk);
    src.fill(0, 4);
    if (src.end === 0) throw new NotACaptureFileError(path, 'empty file, not a pcap or pcapng capture');
    // gzip or zstd: the capture inside is read as it is inflated.
    const compression = compressionOf(src.buf, src.end);
    if (compression !== null) {
      src = new CompressedFileSource(path, fd, regular, compression, src.buf.subarray(0, src.end), chunk);
      src.fill(0, 4);
      if (src.end === 0) throw new NotACaptureFileError(path, `${compression}-compressed empty file, not a pcap or pcapng capture`);
    }
    const magic = src.end >= 4 ? src.buf.readUInt32BE(0) : -1;
    if (magic === PCAPNG_SHB) return new PcapngFileReader(path, src);
    for (const [m, le, variant] of PCAP_MAGICS) {
      if (magic === m) return new PcapFileReader(path, src, le, variant);
    }
    const shown = src.buf.subarray(0, Math.min(src.end, 8)).toString('hex');
    // LZ4's frame magic (tshark reads LZ4-compressed captures; netmon does not).
    const lz4 = compression === null && src.end >= 4 && src.buf.readUInt32LE(0) === 0x184d2204 ? '; it looks LZ4-compressed: decompress it first (lz4 -d)' : '';
    throw new NotACaptureFileError(path, `not a pcap or pcapng capture (${compression !== null ? `${compression}-compressed; decompressed, it ` : ''}starts with 0x${shown}${src.end > 8 ? '…' : ''}${lz4})`);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // Already failing; the original error is the one to report.
    }
    throw err;
  }
}
