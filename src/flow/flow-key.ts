import { ExpositionWriter } from './flow-exposition';
import { escapeLabelValue } from './label-text';
import { ipv4Text, ipv6Text, prefixMaskWord } from './ip-text';
import { FLOW_LABEL_ORDER } from './flow-options';
import type { FlowLabel, FlowTableOptions } from './flow-options';
import { protoName } from './proto-name';

/**
 * Flow keys are the projection of a packet's 5-tuple on the configured labels: fields that are not
 * labels become 0 and aggregated addresses are masked to their prefix, so that one key is one label
 * set (one series) and aggregation also cuts the number of flows held in memory.
 *
 * Layout: the first KEY_WORDS signed 32-bit words of a slot's Int32 record (flow-lists.ts):
 *   0..3 source address, 4..7 destination address (IPv4 in words 0 and 4, the rest 0),
 *   8    (ipVersion << 8) | ipProto,
 *   9    (srcPort << 16) | dstPort.
 */
export const KEY_WORDS = 10;

/** Masks applied to a packet's fields to get its key, and the inverse: key words to text. */
export class FlowKeyProjection {
  /** Label names in canonical order, restricted to the configured ones. */
  readonly labelNames: readonly FlowLabel[];
  /** Masks for IPv4 (word 0) and IPv6 (words 0..3) addresses. */
  readonly srcMask4: number;
  readonly dstMask4: number;
  readonly srcMask6: Int32Array;
  readonly dstMask6: Int32Array;
  /**
   * 0xff when an address is a label, else 0: without address labels IPv4 and IPv6 flows with equal
   * proto/ports must share a key, or two series would carry the same label set.
   */
  readonly versionMask: number;
  readonly protoMask: number;
  readonly srcPortMask: number;
  readonly dstPortMask: number;
  private readonly srcPrefix4: number;
  private readonly srcPrefix6: number;
  private readonly dstPrefix4: number;
  private readonly dstPrefix6: number;
  private readonly has: ReadonlySet<FlowLabel>;
  private readonly scratch = new ExpositionWriter();
  /** Escaped label value of each protocol number. */
  private readonly protoText: readonly string[] = Array.from({ length: 256 }, (_, p) => escapeLabelValue(protoName(p)));

  constructor(options: Pick<FlowTableOptions, 'labels' | 'aggregate'>) {
    const has = new Set(options.labels);
    this.has = has;
    this.labelNames = FLOW_LABEL_ORDER.filter((l) => has.has(l));
    const src = has.has('src_ip');
    const dst = has.has('dst_ip');
    this.srcPrefix4 = src ? options.aggregate.src_ip?.ipv4 ?? 32 : 0;
    this.srcPrefix6 = src ? options.aggregate.src_ip?.ipv6 ?? 128 : 0;
    this.dstPrefix4 = dst ? options.aggregate.dst_ip?.ipv4 ?? 32 : 0;
    this.dstPrefix6 = dst ? options.aggregate.dst_ip?.ipv6 ?? 128 : 0;
    this.srcMask4 = prefixMaskWord(this.srcPrefix4, 0);
    this.dstMask4 = prefixMaskWord(this.dstPrefix4, 0);
    this.srcMask6 = Int32Array.from([0, 1, 2, 3], (i) => prefixMaskWord(this.srcPrefix6, i));
    this.dstMask6 = Int32Array.from([0, 1, 2, 3], (i) => prefixMaskWord(this.dstPrefix6, i));
    this.versionMask = src || dst ? 0xff : 0;
    this.protoMask = has.has('proto') ? 0xff : 0;
    this.srcPortMask = has.has('src_port') ? 0xffff : 0;
    this.dstPortMask = has.has('dst_port') ? 0xffff : 0;
  }

  /** Address text of one side of key `keys[base..]`: '' when not a label, "net/len" when aggregated. */
  addressText(keys: Int32Array, base: number, dst: boolean): string {
    const label: FlowLabel = dst ? 'dst_ip' : 'src_ip';
    if (!this.has.has(label)) return '';
    const version = (keys[base + 8]! >>> 8) & 0xff;
    const o = base + (dst ? 4 : 0);
    if (version === 4) {
      const p = dst ? this.dstPrefix4 : this.srcPrefix4;
      const t = ipv4Text(keys[o]!);
      return p < 32 ? `${t}/${p}` : t;
    }
    const p = dst ? this.dstPrefix6 : this.srcPrefix6;
    const t = ipv6Text(keys[o]!, keys[o + 1]!, keys[o + 2]!, keys[o + 3]!);
    return p < 128 ? `${t}/${p}` : t;
  }

  /**
   * Prefix length kept of one side's address for an IPv4 (version 4) or IPv6 key: 32/128 for full
   * addresses, less when aggregated, -1 when that address is not a label (the key holds zeros).
   */
  addressBits(dst: boolean, version: number): number {
    if (!this.has.has(dst ? 'dst_ip' : 'src_ip')) return -1;
    if (version === 4) return dst ? this.dstPrefix4 : this.srcPrefix4;
    return dst ? this.dstPrefix6 : this.srcPrefix6;
  }

  /**
   * The `name="value",...` label text of a key (built once, when the flow gets its series). Written
   * into a byte buffer and sliced once, so each label text is one flat string (a rope of template
   * pieces would cost several hundred bytes of heap per series). Address and port text only uses
   * [0-9a-f.:/], which never needs escaping; protocol names go through escapeLabelValue().
   */
  labelText(keys: Int32Array, base: number): string {
    const w = this.scratch;
    w.reset();
    let sep = '';
    if (this.has.has('src_ip')) {
      this.writeAddress(w, 'src_ip="', keys, base, false);
      sep = ',';
    }
    if (this.has.has('dst_ip')) {
      this.writeAddress(w, `${sep}dst_ip="`, keys, base, true);
      sep = ',';
    }
    if (this.protoMask !== 0) {
      w.text(`${sep}proto="`);
      w.text(this.protoText[keys[base + 8]! & 0xff]!);
      w.text('"');
      sep = ',';
    }
    if (this.srcPortMask !== 0) {
      w.text(`${sep}src_port="`);
      w.uint(keys[base + 9]! >>> 16);
      w.text('"');
      sep = ',';
    }
    if (this.dstPortMask !== 0) {
      w.text(`${sep}dst_port="`);
      w.uint(keys[base + 9]! & 0xffff);
      w.text('"');
    }
    return w.finish();
  }

  private writeAddress(w: ExpositionWriter, head: string, keys: Int32Array, base: number, dst: boolean): void {
    w.text(head);
    const version = (keys[base + 8]! >>> 8) & 0xff;
    const o = base + (dst ? 4 : 0);
    if (version === 4) {
      const a = keys[o]!;
      w.uint((a >>> 24) & 255); w.text('.');
      w.uint((a >>> 16) & 255); w.text('.');
      w.uint((a >>> 8) & 255); w.text('.');
      w.uint(a & 255);
      const p = dst ? this.dstPrefix4 : this.srcPrefix4;
      if (p < 32) { w.text('/'); w.uint(p); }
    } else {
      w.text(ipv6Text(keys[o]!, keys[o + 1]!, keys[o + 2]!, keys[o + 3]!));
      const p = dst ? this.dstPrefix6 : this.srcPrefix6;
      if (p < 128) { w.text('/'); w.uint(p); }
    }
    w.text('"');
  }

  /** The label text of the overflow series: every flow label "other". */
  overflowLabelText(): string {
    return this.labelNames.map((n) => `${n}="other"`).join(',');
  }

  ipVersion(keys: Int32Array, base: number): 0 | 4 | 6 {
    const v = (keys[base + 8]! >>> 8) & 0xff;
    return v === 4 ? 4 : v === 6 ? 6 : 0;
  }

  proto(keys: Int32Array, base: number): number {
    return this.protoMask === 0 ? -1 : keys[base + 8]! & 0xff;
  }
}
