/**
 * Flow records (FlowRecordBatch columns) as rows of the flows table (FLOW_COLUMNS order), straight
 * from the key words: no FlowRecord object and no address text per row.
 *
 * A field the label configuration aggregates away (flows.labels) is NULL: an address or port that
 * is not a label, proto when it is not. An aggregated address (flows.aggregate) is stored as the
 * prefix the key holds, e.g. 10.1.2.0/24. tcp_flags is the OR of the TCP flags bytes of the
 * record's packets, 0 when none was TCP (as flows-json prints it); tcp_handshake_rtt (seconds) is
 * NULL unless the record's flow completed a TCP handshake, tcp_retransmissions 0 for other protocols.
 */
import type { FlowKeyProjection } from '../../flow/flow-key';
import { KEY_WORDS } from '../../flow/flow-key';
import { END_REASONS } from '../../flow/flow-record-batch';
import type { FlowRecordBatch } from '../../flow/flow-record-batch';
import type { CopyBinaryWriter } from './copy-binary';
import type { RowEncoder } from './row-encoder';
import { TextCache, storableTime } from './row-encoder';
import { FLOW_COLUMNS } from './schema-sql';

export class FlowRowEncoder implements RowEncoder<FlowRecordBatch> {
  readonly columns = FLOW_COLUMNS;
  private readonly host: Buffer;
  private readonly text = new TextCache();
  private readonly reasons: Buffer[];
  private readonly src4: number;
  private readonly src6: number;
  private readonly dst4: number;
  private readonly dst6: number;
  private readonly hasProto: boolean;
  private readonly hasSrcPort: boolean;
  private readonly hasDstPort: boolean;

  /** @param interfaceName the name of an interface index (capture order, or replayed file). */
  constructor(proj: FlowKeyProjection, host: string, private readonly interfaceName: (index: number) => string) {
    this.host = Buffer.from(host, 'utf8');
    this.reasons = END_REASONS.map((r) => Buffer.from(r, 'utf8'));
    this.src4 = proj.addressBits(false, 4);
    this.src6 = proj.addressBits(false, 6);
    this.dst4 = proj.addressBits(true, 4);
    this.dst6 = proj.addressBits(true, 6);
    this.hasProto = proj.protoMask !== 0;
    this.hasSrcPort = proj.srcPortMask !== 0;
    this.hasDstPort = proj.dstPortMask !== 0;
  }

  time(b: FlowRecordBatch, i: number): number {
    return b.lastSeen[i]!;
  }

  valid(b: FlowRecordBatch, i: number): boolean {
    return storableTime(b.firstSeen[i]!) && storableTime(b.lastSeen[i]!);
  }

  encode(w: CopyBinaryWriter, b: FlowRecordBatch, i: number): void {
    const k = b.keys;
    const o = i * KEY_WORDS;
    const version = (k[o + 8]! >>> 8) & 0xff;
    w.row(FLOW_COLUMNS.length);
    w.timestamp(b.firstSeen[i]!);
    w.timestamp(b.lastSeen[i]!);
    w.bytes(this.host);
    w.bytes(this.text.get(this.interfaceName(b.interfaces[i]!)));
    this.address(w, k, o, version, version === 4 ? this.src4 : this.src6);
    this.address(w, k, o + 4, version, version === 4 ? this.dst4 : this.dst6);
    if (this.hasProto) w.int16(k[o + 8]! & 0xff);
    else w.null();
    if (this.hasSrcPort) w.int32(k[o + 9]! >>> 16);
    else w.null();
    if (this.hasDstPort) w.int32(k[o + 9]! & 0xffff);
    else w.null();
    w.int64(b.packets[i]!);
    w.int64(b.bytes[i]!);
    w.int16(b.tcpFlags[i]!);
    w.bytes(this.reasons[b.endReasons[i]!]!);
    const rtt = b.tcpHandshakeRtt[i]!;
    if (Number.isNaN(rtt)) w.null();
    else w.float64(rtt);
    w.int32(b.tcpRetransmissions[i]!);
  }

  private address(w: CopyBinaryWriter, k: Int32Array, o: number, version: number, bits: number): void {
    if (bits < 0 || (version !== 4 && version !== 6)) w.null();
    else if (version === 4) w.inet4(k[o]!, bits);
    else w.inet6(k[o]!, k[o + 1]!, k[o + 2]!, k[o + 3]!, bits);
  }
}
