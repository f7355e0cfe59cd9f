/**
 * Tapped packets (PacketMetaBatch rows) as rows of the packets table (PACKET_COLUMNS order): header
 * fields only, never payload. seq, ack, tcp_flags and window are NULL for packets that are not TCP;
 * addresses are NULL for packets without any (not IP, not ARP); proto NULL when not IP.
 */
import type { PacketMetaBatch } from '../../engine/packet-tap';
import type { CopyBinaryWriter } from './copy-binary';
import type { RowEncoder } from './row-encoder';
import { TextCache, storableTime } from './row-encoder';
import { PACKET_COLUMNS } from './schema-sql';

export class PacketRowEncoder implements RowEncoder<PacketMetaBatch> {
  readonly columns = PACKET_COLUMNS;
  private readonly host: Buffer;
  private readonly text = new TextCache();

  constructor(host: string, private readonly interfaceName: (index: number) => string) {
    this.host = Buffer.from(host, 'utf8');
  }

  time(b: PacketMetaBatch, i: number): number {
    return b.ts[i]!;
  }

  valid(b: PacketMetaBatch, i: number): boolean {
    return storableTime(b.ts[i]!);
  }

  encode(w: CopyBinaryWriter, b: PacketMetaBatch, i: number): void {
    const v = b.ipVersion[i]!;
    const a = b.addrs;
    const o = i * 8;
    w.row(PACKET_COLUMNS.length);
    w.timestamp(b.ts[i]!);
    w.bytes(this.host);
    w.bytes(this.text.get(this.interfaceName(b.iface[i]!)));
    for (let side = 0; side < 8; side += 4) {
      if (v === 6) w.inet6(a[o + side]!, a[o + side + 1]!, a[o + side + 2]!, a[o + side + 3]!, 128);
      else if (v === 4 || a[o + side] !== 0) w.inet4(a[o + side]!, 32);
      else w.null();
    }
    const proto = b.proto[i]!;
    if (proto < 0) w.null();
    else w.int16(proto);
    w.int32(b.srcPort[i]!);
    w.int32(b.dstPort[i]!);
    if (proto === 6) {
      w.int64(b.seq[i]!);
      w.int64(b.ack[i]!);
      w.int16(b.tcpFlags[i]!);
      w.int32(b.window[i]!);
    } else {
      w.null();
      w.null();
      w.null();
      w.null();
    }
    w.int32(b.wireLen[i]!);
  }
}
