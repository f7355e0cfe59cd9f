/**
 * The PostgreSQL sink (`sinks.postgres`): every ended flow record, and optionally the header
 * metadata of the packets a tcpdump filter selects, written to PostgreSQL. It runs where the
 * record bus is (the HTTP process of `netmon run`, the replay process), never in the capture
 * process: it subscribes to the bus and each table's writer keeps its own bounded queue, so a slow
 * or absent database costs capture nothing (records beyond max_queue are dropped and counted).
 *
 * Loaded (with `pg`) only when `sinks.postgres` is configured.
 */
import type { PostgresSinkConfig } from '../../config/postgres-schema';
import { redactUrl } from '../../config/postgres-schema';
import type { PacketMetaBatch } from '../../engine/packet-tap';
import { FlowKeyProjection } from '../../flow/flow-key';
import type { FlowTableOptions } from '../../flow/flow-options';
import type { FlowRecordBatch } from '../../flow/flow-record-batch';
import type { Logger } from '../../log';
import { lostOf, rowsOf } from '../packet-meta';
import type { RecordBus } from '../record-bus';
import { SinkStats } from '../sink-stats';
import { FlowRowEncoder } from './flow-rows';
import { PacketRowEncoder } from './packet-rows';
import { pgConnector } from './pg-session';
import type { Connector } from './pg-session';
import { flowMigrations, packetMigrations, packetsTableOf } from './schema-sql';
import { TableWriter } from './table-writer';

export interface PostgresSinkOptions {
  readonly config: PostgresSinkConfig;
  /** The flow key configuration (which fields the records hold). */
  readonly flows: Pick<FlowTableOptions, 'labels' | 'aggregate'>;
  /** The name of an interface index (capture order; in a replay, the file order). */
  readonly interfaceName: (index: number) => string;
  readonly log: Logger;
  /** A replay: never drop for room; the replay waits with whenBelow() instead. */
  readonly replay: boolean;
  /** Tests: a connector other than pg's. */
  readonly connect?: Connector;
}

export class PostgresSink {
  readonly flowStats = new SinkStats('postgres');
  readonly packetStats: SinkStats | undefined;
  private readonly flows: TableWriter<FlowRecordBatch>;
  private readonly packets: TableWriter<PacketMetaBatch> | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly mark: number;

  /** Reads password_file now (an unreadable one is a start-up error); connects in the background. */
  constructor(private readonly o: PostgresSinkOptions) {
    const c = o.config;
    const connect = o.connect ?? pgConnector({ url: c.url, passwordFile: c.password_file });
    const where = redactUrl(c.url);
    const common = {
      batchSize: c.batch_size,
      flushIntervalMs: c.flush_interval * 1000,
      maxQueue: c.max_queue,
      retentionSeconds: c.retention,
      unbounded: o.replay,
      connect,
      log: o.log,
      where,
    };
    this.flows = new TableWriter({
      ...common,
      stats: this.flowStats,
      table: c.table,
      migrations: flowMigrations(c.table),
      encoder: new FlowRowEncoder(new FlowKeyProjection(o.flows), c.host, o.interfaceName),
    });
    if (c.packets !== undefined) {
      const table = packetsTableOf(c.table);
      this.packetStats = new SinkStats('postgres_packets', true);
      this.packets = new TableWriter({ ...common, stats: this.packetStats, table, migrations: packetMigrations(table), encoder: new PacketRowEncoder(c.host, o.interfaceName) });
    }
    this.mark = Math.max(c.batch_size, Math.floor(c.max_queue / 2));
    o.log.info({ database: where, table: c.table, packets: c.packets !== undefined, host: c.host }, 'postgres sink: started');
  }

  get stats(): SinkStats[] {
    return this.packetStats === undefined ? [this.flowStats] : [this.flowStats, this.packetStats];
  }

  /** Subscribes to the bus: flow records are wanted from now on (and the packet filter tapped, if set). */
  attach(bus: RecordBus): void {
    this.unsubscribe.push(bus.subscribeFlows((b) => this.flows.offer(b, null, 0, b.count)));
    const p = this.o.config.packets;
    const writer = this.packets;
    const stats = this.packetStats;
    if (p !== undefined && writer !== undefined && stats !== undefined) {
      const sub = bus.subscribePackets(p.filter, p.max_rate, (b, id) => {
        const rows = Int32Array.from(rowsOf(b, id));
        writer.offer(b, rows, 0, rows.length);
        stats.rateLimited += lostOf(b, id);
      });
      this.unsubscribe.push(() => sub.close());
    }
  }

  /** Resolves when the queues are below half of max_queue (a replay awaits it between packet batches). */
  async whenBelowMark(): Promise<void> {
    await this.flows.whenBelow(this.mark);
    await this.packets?.whenBelow(this.mark);
  }

  /**
   * Writes what is queued and closes. Call after the capture side has delivered its last records.
   * With a timeout, what is not committed by then is dropped and counted.
   */
  async close(timeoutMs?: number): Promise<void> {
    for (const u of this.unsubscribe) u();
    await Promise.all([this.flows.close(timeoutMs), this.packets?.close(timeoutMs)]);
    const s = this.stats;
    this.o.log.info({ written: s.map((x) => x.written), dropped: s.map((x) => x.dropped) }, 'postgres sink: closed');
  }
}
