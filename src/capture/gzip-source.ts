import type { Gunzip } from 'fflate';
import { CaptureFileError } from './file-errors';
import { FileSource, readFd } from './file-source';

/**
 * Compressed bytes inflated per step. Deflate expands data at most ~1032 times, so one step yields
 * at most ~16.5 MiB (a long run of one byte value); a capture compresses 2 to 10 times, so a step
 * usually yields 32 to 160 KiB.
 */
export const COMPRESSED_CHUNK = 16 * 1024;

/**
 * A gzip-compressed capture (file.pcap.gz, file.pcapng.gz, as tshark and Wireshark read them),
 * inflated as it is read (fflate's streaming Gunzip, in JavaScript: Node's zlib has no synchronous
 * streaming API, and the format readers pull synchronously). They see the decompressed bytes through
 * FileSource, so `base`, `end` and every byte offset in their messages count decompressed bytes.
 * Concatenated gzip members are one stream, as gzip -d makes them. Memory: the compressed chunk, the
 * output of one step (see COMPRESSED_CHUNK), the 32 KiB window, and FileSource's buffer.
 * Damage ends the file with a CaptureFileError once the bytes inflated before it are read: deflate
 * data that cannot be inflated, a gzip header that is not one, or data that stops before the end of
 * its stream (the file was cut short). The output of the step that met damage (up to 16 KiB of
 * compressed data) is lost, where gzip -d and tshark read up to the damaged byte; the trailer's CRC
 * and length are not checked (a file cut inside its 8-byte trailer reads as whole).
 */
export class GzipFileSource extends FileSource {
  private readonly gunzip: Gunzip;
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
  constructor(path: string, fd: number, seekable: boolean, prefix: Buffer, chunk?: number) {
    super(path, fd, -1, seekable, chunk);
    this.prefix = Buffer.from(prefix);
    this.fileOffset = prefix.length;
    // Loaded here, not at start-up: building fflate's tables costs ~60M instructions (~15 ms), which
    // every replay of an uncompressed file would pay.
    const fflate = require('fflate') as typeof import('fflate');
    this.gunzip = new fflate.Gunzip((data) => {
      if (data.length > 0) this.out.push(data);
    });
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
      const got = readFd(this.path, this.fd, this.compressed, 0, COMPRESSED_CHUNK, this.fileOffset, this.seekable);
      this.fileOffset += got;
      last = got === 0;
      input = this.compressed.subarray(0, got);
    }
    const from = this.pushed;
    this.pushed += input.length;
    try {
      this.gunzip.push(input, last);
    } catch (err) {
      this.finished = true;
      // fflate's FlateError code 0: the data stops before the end of its stream.
      const reason =
        (err as { code?: number }).code === 0
          ? 'the gzip data stops before its end (the file was cut short)'
          : `damaged gzip data in bytes ${from}-${this.pushed} of the compressed file (${(err as Error).message})`;
      let pending = 0;
      for (const c of this.out) pending += c.length;
      this.damage = new CaptureFileError(this.path, inflated + pending - this.outAt, reason);
    }
    if (last) this.finished = true;
  }
}
