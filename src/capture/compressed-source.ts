import { CaptureFileError } from './file-errors';
import { FileSource, readFd } from './file-source';

/**
 * Compressed bytes inflated per step. Deflate expands data at most ~1032 times, so one gzip step
 * yields at most ~16.5 MiB (a long run of one byte value); a capture compresses 2 to 10 times, so a
 * step usually yields 32 to 160 KiB. A zstd step yields at most what its blocks hold (128 KiB each).
 */
export const COMPRESSED_CHUNK = 16 * 1024;

export type Compression = 'gzip' | 'zstd';

/** What a compressed file starts with: gzip (RFC 1952: 1f 8b, method 8, deflate), zstd (RFC 8878: 28 b5 2f fd). */
export function compressionOf(b: Buffer, n: number): Compression | null {
  if (n >= 3 && b[0] === 0x1f && b[1] === 0x8b && b[2] === 8) return 'gzip';
  if (n >= 4 && b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return 'zstd';
  return null;
}

/** A streaming decompressor that works synchronously (fflate's Gunzip, fzstd's Decompress). */
interface Inflater {
  push(chunk: Uint8Array, final?: boolean): void;
}

/** Its "the data stops before the end of its stream" error code. */
const UNEXPECTED_EOF: Record<Compression, number> = { gzip: 0, zstd: 5 };

/**
 * A compressed capture (file.pcap.gz, file.pcapng.zst..., told by its first bytes, as tshark reads
 * them), inflated as it is read: the format readers pull bytes synchronously, and Node's zlib
 * inflates synchronously only in one call for a whole buffer, so the decompressors are fflate's
 * streaming Gunzip and fzstd's Decompress (JavaScript, synchronous). The readers see the
 * decompressed bytes through FileSource, so `base`, `end` and every byte offset in their messages
 * count decompressed bytes. Concatenated gzip members or zstd frames are one stream, as gzip -d and
 * zstd -d make them. Memory: the compressed chunk, the output of one step (see COMPRESSED_CHUNK),
 * the decompressor's window (32 KiB for gzip; zstd's frame header names its own, 8 MiB at most at
 * zstd's default levels), and FileSource's buffer.
 * Damage ends the file with a CaptureFileError once the bytes inflated before it are read: data that
 * cannot be decompressed, a header that is not one, or data that stops before the end of its stream
 * (the file was cut short). The output of the step that met damage (up to 16 KiB of compressed data,
 * or a zstd block) is lost, where gzip -d and tshark read up to the damaged byte. Checksums are not
 * checked (gzip's trailer CRC and length, zstd's optional content checksum): a file cut inside
 * gzip's 8-byte trailer reads as whole, and damage that still decompresses (inside zstd's literal
 * bytes) reaches the format readers as it is.
 */
export class CompressedFileSource extends FileSource {
  private readonly inflater: Inflater;
  private readonly compression: Compression;
  private readonly compressed = Buffer.allocUnsafe(COMPRESSED_CHUNK);
  /** Bytes of the file read so far (the next read's offset). */
  private fileOffset: number;
  /** Compressed bytes inflated so far. */
  private pushed = 0;
  /** The file's first bytes, read before the compression was known; inflated first. */
  private prefix: Buffer | null;
  /** Inflated bytes not yet read: chunks in order, the first from `outAt`. */
  private readonly out: Uint8Array[] = [];
  private outAt = 0;
  private finished = false;
  /** Damage met while inflating, thrown once the bytes inflated before it are read. */
  private damage: CaptureFileError | null = null;

  /** `prefix`: the first bytes of the file, already read from `fd` (which is positioned after them). */
  constructor(path: string, fd: number, seekable: boolean, compression: Compression, prefix: Buffer, chunk?: number) {
    super(path, fd, -1, seekable, chunk);
    this.compression = compression;
    this.prefix = Buffer.from(prefix);
    this.fileOffset = prefix.length;
    const ondata = (data: Uint8Array): void => {
      if (data.length > 0) this.out.push(data);
    };
    // Loaded here, not at start-up: building fflate's tables costs ~60M instructions (~15 ms), which
    // every replay of an uncompressed file would pay.
    if (compression === 'gzip') {
      const { Gunzip } = require('fflate') as typeof import('fflate');
      this.inflater = new Gunzip(ondata);
    } else {
      const { Decompress } = require('fzstd') as typeof import('fzstd');
      this.inflater = new Decompress(ondata);
    }
  }

  protected override read(buf: Buffer, at: number, len: number): number {
    while (this.out.length === 0) {
      if (this.damage !== null) throw this.damage;
      if (this.finished) return 0;
      this.step(this.base + at);
    }
    const first = this.out[0]!;
    const n = Math.min(len, first.length - this.outAt);
    buf.set(first.subarray(this.outAt, this.outAt + n), at);
    this.outAt += n;
    if (this.outAt === first.length) {
      this.out.shift();
      this.outAt = 0;
    }
    return n;
  }

  /** Inflates the next compressed chunk (`inflated`: decompressed bytes read so far). */
  private step(inflated: number): void {
    let input: Buffer;
    let last = false;
    if (this.prefix !== null) {
      // In COMPRESSED_CHUNK pieces too, so that one step's output stays bounded.
      input = this.prefix.subarray(0, COMPRESSED_CHUNK);
      this.prefix = this.prefix.length > COMPRESSED_CHUNK ? this.prefix.subarray(COMPRESSED_CHUNK) : null;
    } else {
      // fzstd keeps the chunks of a block it has not finished: each gets its own buffer.
      const into = this.compression === 'zstd' ? Buffer.allocUnsafe(COMPRESSED_CHUNK) : this.compressed;
      const got = readFd(this.path, this.fd, into, 0, COMPRESSED_CHUNK, this.fileOffset, this.seekable);
      this.fileOffset += got;
      last = got === 0;
      input = into.subarray(0, got);
    }
    const from = this.pushed;
    this.pushed += input.length;
    try {
      this.inflater.push(input, last);
    } catch (err) {
      this.finished = true;
      const reason =
        (err as { code?: number }).code === UNEXPECTED_EOF[this.compression]
          ? `the ${this.compression} data stops before its end (the file was cut short)`
          : `damaged ${this.compression} data in bytes ${from}-${this.pushed} of the compressed file (${(err as Error).message})`;
      let pending = 0;
      for (const c of this.out) pending += c.length;
      this.damage = new CaptureFileError(this.path, inflated + pending - this.outAt, reason);
    }
    if (last) this.finished = true;
  }
}
