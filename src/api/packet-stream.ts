/**
 * /api/v1/packets/stream: header metadata of the packets a client's filter selects, at most `rate`
 * a second. Each client is its own subscription in the capture process (filter and rate cap are
 * applied there, so only what some client asked for leaves it); what the cap or the capture side's
 * buffer kept back arrives as counts and is written to the client as a line
 * `{"lost": L, "matched": M}` after that batch's packets (M: packets that matched since the
 * previous such report). Never payload.
 */
import type { ServerResponse } from 'node:http';
import type { PacketMetaBatch } from '../engine/packet-tap';
import { lostOf, matchedOf, packetMetaAt, rowsOf } from '../sinks/packet-meta';
import type { PacketSubscription, RecordBus } from '../sinks/record-bus';
import { StreamClient, streamHeaders } from './stream-client';
import type { StreamClientOptions, StreamFormat, StreamItem } from './stream-client';
import type { StreamStats } from './stream-stats';

/** One packet as a JSON object (the fields of the packet stream). */
function packetJson(batch: PacketMetaBatch, i: number, interfaces: readonly string[]): string {
  const p = packetMetaAt(batch, i, interfaces);
  return `{"ts":${p.ts.toFixed(6)},"interface":${JSON.stringify(p.interface)},"ip_version":${p.ipVersion},"src_ip":"${p.srcIp}","dst_ip":"${p.dstIp}","proto":${p.proto},"src_port":${p.srcPort},"dst_port":${p.dstPort},"seq":${p.seq},"ack":${p.ack},"tcp_flags":${p.tcpFlags},"window":${p.window},"length":${p.length}}`;
}

class OwnChunk implements StreamItem {
  readonly size: number;
  constructor(readonly count: number, private readonly b: Buffer) {
    this.size = b.length;
  }
  bytes(): Buffer {
    return this.b;
  }
}

export class PacketStream {
  private readonly clients = new Set<StreamClient>();

  constructor(
    private readonly bus: RecordBus,
    private readonly interfaces: () => readonly string[],
    private readonly stats: StreamStats,
    private readonly opts: Omit<StreamClientOptions, 'format'>,
  ) {}

  get size(): number {
    return this.clients.size;
  }

  /** Streams packets matching `filter` (validated by the caller) at most `rate` a second to `res`. */
  add(res: ServerResponse, format: StreamFormat, filter: string, rate: number): void {
    streamHeaders(res, format);
    let sub: PacketSubscription | undefined;
    const client = new StreamClient(res, 'packets', { ...this.opts, format }, this.stats, () => {
      this.clients.delete(client);
      sub?.close();
    });
    this.clients.add(client);
    sub = this.bus.subscribePackets(filter, rate, (batch, id) => {
      const rows = rowsOf(batch, id);
      if (rows.length > 0) {
        const names = this.interfaces();
        const text = rows.map((i) => (format === 'sse' ? `data: ${packetJson(batch, i, names)}\n\n` : `${packetJson(batch, i, names)}\n`)).join('');
        client.push(new OwnChunk(rows.length, Buffer.from(text)));
      }
      const lost = lostOf(batch, id);
      if (lost > 0) {
        this.stats.lost.packets += lost;
        const line = `{"lost":${lost},"matched":${matchedOf(batch, id)}}`;
        client.note(format === 'sse' ? `event: lost\ndata: ${line}\n\n` : `${line}\n`);
      }
    });
    if (client.isClosed) sub.close();
  }

  checkStalls(now: number): void {
    for (const c of this.clients) c.checkStall(now);
  }

  endAll(): void {
    for (const c of [...this.clients]) c.end();
  }
}
