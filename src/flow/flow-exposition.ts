/**
 * Text exposition (Prometheus text format 0.0.4) of the per-flow counter families, written into one
 * byte buffer that is handed to the HTTP response as it is: concatenating hundreds of thousands of
 * small strings instead costs mostly garbage collection (measured: 100k series took ~3x longer), and
 * converting 25 MB to a string and back costs another ~30 ms. All text here is ASCII (names,
 * address/port digits, protocol names), hence latin1.
 */

export const FLOW_PACKETS_FAMILY = 'netmon_flow_packets_total';
export const FLOW_BYTES_FAMILY = 'netmon_flow_bytes_total';

export const FLOW_PACKETS_HELP =
  'Packets per unidirectional flow, counted from the moment the flow got its own series; flows beyond flows.max_series are summed in the series whose labels are all "other".';
export const FLOW_BYTES_HELP =
  'Original (wire) bytes per unidirectional flow, link header included, counted from the moment the flow got its own series; flows beyond flows.max_series are summed in the series whose labels are all "other".';

export class ExpositionWriter {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private off = 0;

  reset(): void {
    this.off = 0;
  }

  private reserve(n: number): void {
    if (this.off + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + n));
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  /** Appends ASCII text. */
  text(s: string): void {
    const n = s.length;
    this.reserve(n);
    if (n > 256) {
      this.off += this.buf.write(s, this.off, 'latin1');
      return;
    }
    // Short pieces: a JS loop beats the per-call cost of Buffer#write.
    const b = this.buf;
    let o = this.off;
    for (let i = 0; i < n; i++) b[o++] = s.charCodeAt(i);
    this.off = o;
  }

  /** Appends a non-negative integer held in a double (exact below 2^53), without exponent. */
  uint(v: number): void {
    this.reserve(22);
    const b = this.buf;
    if (!(v >= 0) || v > Number.MAX_SAFE_INTEGER) {
      this.off += b.write(String(v), this.off, 'latin1');
      return;
    }
    let digits = 1;
    for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
    let o = this.off + digits;
    this.off = o;
    let x = v;
    do {
      const q = Math.floor(x / 10);
      b[--o] = 48 + (x - q * 10);
      x = q;
    } while (x > 0);
  }

  /** The text written since reset(), as one flat string. */
  finish(): string {
    return this.buf.toString('latin1', 0, this.off);
  }

  /**
   * The bytes written since reset(), handed over to the caller (an HTTP response may still be sending
   * them while the next text is written): the writer continues in a new buffer sized like this text,
   * so there is no copy and no zero-filling.
   */
  take(): Buffer {
    const out = this.buf.subarray(0, this.off);
    this.buf = Buffer.allocUnsafe(Math.max(64 * 1024, this.off + (this.off >> 3)));
    this.off = 0;
    return out;
  }
}

/**
 * Writes one counter family: HELP, TYPE, sample i for i in [0, n) with label text labelText[ids[i]]
 * and value values[i], then the overflow sample.
 */
export function writeCounterFamily(
  w: ExpositionWriter,
  name: string,
  help: string,
  labelText: readonly string[],
  values: Float64Array,
  ids: Int32Array,
  n: number,
  overflowLabels: string,
  overflowValue: number,
): void {
  w.text(`# HELP ${name} ${help}\n# TYPE ${name} counter\n`);
  const prefix = `${name}{`;
  for (let i = 0; i < n; i++) {
    w.text(prefix);
    w.text(labelText[ids[i]!]!);
    w.text('} ');
    w.uint(values[i]!);
    w.text('\n');
  }
  w.text(`${prefix}${overflowLabels}} `);
  w.uint(overflowValue);
  w.text('\n');
}
