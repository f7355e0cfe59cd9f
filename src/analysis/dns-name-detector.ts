import { finishHash, KeyTable, mixHash } from './key-table';
import { EMPTY_TOP_LIST, TopSelector } from './top-list';
import type { TopList } from './top-list';
import { WindowCounts } from './window-counts';

/** Key words: the name's length in bytes, then its wire form (at most 255 bytes), letters lowercased. */
const NAME_WIDTH = 1 + 64;
const MAX_NAME = 255;

/**
 * The query names that fail (off by default: `detect.max_dns_names`, 0): per name of the question
 * of a response with RCODE NXDOMAIN or SERVFAIL, those responses within the window, so that
 * NetmonDnsServfailRatio and a burst of NXDOMAINs come with the names behind them (a broken zone, a
 * mistyped search domain, a client looking up random names: DGA malware, a tunnel). Names compare as
 * DNS compares them: ASCII letters without case. Only a question captured whole and without a
 * compression pointer counts (a pointer in the first question is malformed: there is nothing before it
 * to point to); a message reassembled from IP fragments or split across TCP segments has no name here.
 * Keys leave as the other detectors' do (idle for a whole window, or evicted when the table is full:
 * one-off names first). Names are label values, so they are privacy and cardinality: at most
 * `detect.top_n` series per gauge, and the whole feature is off unless asked for. The table is
 * allocated on the first failing response.
 */
export class DnsNameDetector {
  private names: KeyTable | null = null;
  private nxdomains = new WindowCounts(0);
  private servfails = new WindowCounts(0);
  private selector: TopSelector | null = null;

  constructor(private readonly maxNames: number) {}

  get size(): number {
    return this.names?.size ?? 0;
  }

  get evictions(): number {
    return this.names?.evictions ?? 0;
  }

  /**
   * A response with RCODE `rcode` (2 SERVFAIL, 3 NXDOMAIN) whose first question's name starts at
   * buf[at] (its labels and QTYPE checked to lie in the captured bytes: readQtype).
   */
  failed(buf: Buffer, at: number, rcode: number, step: number): void {
    if (this.names === null) {
      this.names = new KeyTable(NAME_WIDTH, 0, this.maxNames);
      this.nxdomains = new WindowCounts(this.maxNames);
      this.servfails = new WindowCounts(this.maxNames);
      this.selector = new TopSelector(this.maxNames);
    }
    const t = this.names;
    const k = t.key;
    k.fill(0);
    // Pack the wire form (length bytes included, the final zero not), lowercasing letters.
    let n = 0;
    for (let q = at; ; ) {
      const len = buf[q]!;
      if (len === 0) break;
      if ((len & 0xc0) !== 0 || n + 1 + len > MAX_NAME) return;
      for (let j = 0; j <= len; j++, n++) {
        let b = buf[q + j]!;
        if (j > 0 && b >= 0x41 && b <= 0x5a) b |= 0x20;
        k[1 + (n >> 2)]! |= b << ((n & 3) * 8);
      }
      q += len + 1;
    }
    k[0] = n;
    const words = 1 + ((n + 3) >> 2);
    let h = t.seed;
    for (let j = 0; j < words; j++) h = mixHash(h, k[j]!);
    const s = t.upsert(finishHash(h), words, step);
    if (t.added) {
      this.nxdomains.reset(s, step);
      this.servfails.reset(s, step);
    }
    (rcode === 3 ? this.nxdomains : this.servfails).add(s, step, 1);
  }

  expire(step: number): void {
    this.names?.expire(step);
  }

  /** Top n names by NXDOMAIN responses and by SERVFAIL responses in the window, labelled name. */
  report(n: number, step: number): { nxdomain: TopList; servfail: TopList } {
    return { nxdomain: this.top(this.nxdomains, n, step), servfail: this.top(this.servfails, n, step) };
  }

  private top(counts: WindowCounts, n: number, step: number): TopList {
    const t = this.names;
    const sel = this.selector;
    if (t === null || sel === null) return EMPTY_TOP_LIST;
    const { slots, scores } = sel.topOf(t, counts, n, step);
    return { values: Float64Array.from(scores), labels: slots.map((s) => nameText(t.rec, s * t.stride)) };
  }
}

/**
 * Presentation form of the name stored at rec[base] (length word, then the packed wire form): labels
 * joined by dots, without the final one; the root is "."; a dot or backslash inside a label is escaped
 * with a backslash, and bytes that are not printable ASCII as \DDD (RFC 1035 section 5.1, as dig
 * prints them), so that a label value is always plain ASCII.
 */
export function nameText(rec: Int32Array, base: number): string {
  const n = rec[base]!;
  if (n === 0) return '.';
  const byte = (i: number) => (rec[base + 1 + (i >> 2)]! >>> ((i & 3) * 8)) & 255;
  let out = '';
  for (let i = 0; i < n; ) {
    const len = byte(i);
    if (i > 0) out += '.';
    for (let j = 1; j <= len; j++) {
      const b = byte(i + j);
      if (b === 0x2e || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
      else if (b > 0x20 && b < 0x7f) out += String.fromCharCode(b);
      else out += `\\${String(b).padStart(3, '0')}`;
    }
    i += len + 1;
  }
  return out;
}
