/**
 * PostgreSQL's binary COPY format (https://www.postgresql.org/docs/current/sql-copy.html, "Binary
 * Format"): a signature and header, then per row a field count and per field its byte length
 * (-1: NULL) and its value in the type's binary send format, then a -1 trailer. The server parses
 * it without text conversion (no timestamp or inet parsing), which is what makes COPY the cheap
 * way in. Pure code over a growing Buffer; one writer is reused for every batch.
 */

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Microseconds between the Unix epoch and PostgreSQL's (2000-01-01 00:00:00 UTC). */
const PG_EPOCH_US = 946_684_800_000_000;
const TWO_32 = 4_294_967_296;
/** PGSQL_AF_INET and PGSQL_AF_INET6 of the inet send format (src/include/utils/inet.h). */
const PGSQL_AF_INET = 2;
const PGSQL_AF_INET6 = 3;

export class CopyBinaryWriter {
  private buf: Buffer;
  private off = 0;

  constructor(initialBytes = 1 << 20) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Starts a new COPY stream (signature, flags 0, no header extension). */
  begin(): void {
    this.off = 0;
    this.room(19);
    SIGNATURE.copy(this.buf, 0);
    this.buf.writeInt32BE(0, 11);
    this.buf.writeInt32BE(0, 15);
    this.off = 19;
  }

  /** Starts a row of `fields` fields; the caller reserves room for the row's fixed part with room(). */
  row(fields: number): void {
    this.room(2);
    this.buf.writeInt16BE(fields, this.off);
    this.off += 2;
  }

  /** Makes sure `bytes` more bytes fit. */
  room(bytes: number): void {
    if (this.off + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.off + bytes) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  null(): void {
    this.room(4);
    this.buf.writeInt32BE(-1, this.off);
    this.off += 4;
  }

  int16(v: number): void {
    this.room(6);
    const b = this.buf;
    b.writeInt32BE(2, this.off);
    b.writeInt16BE(v, this.off + 4);
    this.off += 6;
  }

  int32(v: number): void {
    this.room(8);
    const b = this.buf;
    b.writeInt32BE(4, this.off);
    b.writeInt32BE(v, this.off + 4);
    this.off += 8;
  }

  /** A double precision (float8). */
  float64(v: number): void {
    this.room(12);
    const b = this.buf;
    b.writeInt32BE(8, this.off);
    b.writeDoubleBE(v, this.off + 4);
    this.off += 12;
  }

  /** A bigint from an integral double (exact up to 2^53, which counters never reach). */
  int64(v: number): void {
    this.room(12);
    const b = this.buf;
    const hi = Math.floor(v / TWO_32);
    b.writeInt32BE(8, this.off);
    b.writeInt32BE(hi, this.off + 4);
    b.writeUInt32BE(v - hi * TWO_32, this.off + 8);
    this.off += 12;
  }

  /** A timestamptz from seconds since the Unix epoch, rounded to the microsecond (its resolution). */
  timestamp(seconds: number): void {
    this.int64(Math.round(seconds * 1e6) - PG_EPOCH_US);
  }

  /** Text already encoded as UTF-8 (repeated values: host, interface, end reason). */
  bytes(value: Buffer): void {
    this.room(4 + value.length);
    this.buf.writeInt32BE(value.length, this.off);
    value.copy(this.buf, this.off + 4);
    this.off += 4 + value.length;
  }

  text(value: string): void {
    this.room(4 + value.length * 3);
    const n = this.buf.write(value, this.off + 4, 'utf8');
    this.buf.writeInt32BE(n, this.off);
    this.off += 4 + n;
  }

  /** An IPv4 inet from its address word (as in flow keys: first octet in the high byte). */
  inet4(word: number, bits: number): void {
    this.room(12);
    const b = this.buf;
    const o = this.off;
    b.writeInt32BE(8, o);
    b[o + 4] = PGSQL_AF_INET;
    b[o + 5] = bits;
    b[o + 6] = 0; // inet, not cidr
    b[o + 7] = 4;
    b.writeInt32BE(word | 0, o + 8);
    this.off += 12;
  }

  /** An IPv6 inet from its four address words. */
  inet6(w0: number, w1: number, w2: number, w3: number, bits: number): void {
    this.room(24);
    const b = this.buf;
    const o = this.off;
    b.writeInt32BE(20, o);
    b[o + 4] = PGSQL_AF_INET6;
    b[o + 5] = bits;
    b[o + 6] = 0;
    b[o + 7] = 16;
    b.writeInt32BE(w0 | 0, o + 8);
    b.writeInt32BE(w1 | 0, o + 12);
    b.writeInt32BE(w2 | 0, o + 16);
    b.writeInt32BE(w3 | 0, o + 20);
    this.off += 24;
  }

  /** Ends the stream and returns it (a copy: the writer's buffer is reused by the next begin()). */
  finish(): Buffer {
    this.room(2);
    this.buf.writeInt16BE(-1, this.off);
    this.off += 2;
    return Buffer.from(this.buf.subarray(0, this.off));
  }
}
