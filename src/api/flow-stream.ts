/**
 * /api/v1/flows/stream: every flow record as it ends, to every client, as NDJSON or Server-Sent
 * Events. One subscription to the record bus serves all clients (the first client switches the
 * flow records on in the capture process, the last one off). Each batch is turned into text once
 * per format and shared by every client without a filter; a client with a filter gets the rows it
 * selects (compiled once for its request, see flow/flow-filter.ts).
 */
import type { ServerResponse } from 'node:http';
import { KEY_WORDS } from '../flow/flow-key';
import type { FlowKeyProjection } from '../flow/flow-key';
import type { FlowFilter } from '../flow/flow-filter';
import { flowRecordAt } from '../flow/flow-record-batch';
import type { FlowRecordBatch } from '../flow/flow-record-batch';
import { flowRecordJson } from '../flow/flow-record-json';
import type { RecordBus } from '../sinks/record-bus';
import { StreamClient, streamHeaders } from './stream-client';
import type { StreamClientOptions, StreamFormat, StreamItem } from './stream-client';
import type { StreamStats } from './stream-stats';

/** The text of one batch, built on first use and shared by every client that is sent it. */
class FlowBatchText {
  private readonly lines: Array<string | undefined>;
  private readonly whole: Partial<Record<StreamFormat, Buffer>> = {};

  constructor(readonly batch: FlowRecordBatch, private readonly proj: FlowKeyProjection) {
    this.lines = new Array<string | undefined>(batch.count);
  }

  line(i: number): string {
    return (this.lines[i] ??= flowRecordJson(flowRecordAt(this.batch, i, this.proj)));
  }

  text(rows: readonly number[] | null, format: StreamFormat): Buffer {
    const n = rows === null ? this.batch.count : rows.length;
    const head = format === 'sse' ? 'data: ' : '';
    const tail = format === 'sse' ? '\n\n' : '\n';
    let size = 0;
    for (let j = 0; j < n; j++) size += this.line(rows === null ? j : rows[j]!).length + head.length + tail.length;
    // The lines are ASCII (addresses, numbers, fixed words): written byte for byte, no joined string.
    const b = Buffer.allocUnsafe(size);
    let o = 0;
    for (let j = 0; j < n; j++) {
      if (head !== '') o += b.write(head, o, 'latin1');
      o += b.write(this.line(rows === null ? j : rows[j]!), o, 'latin1');
      o += b.write(tail, o, 'latin1');
    }
    return b;
  }

  all(format: StreamFormat): Buffer {
    return (this.whole[format] ??= this.text(null, format));
  }
}

/** Every row of a batch (clients without a filter: shared text). */
class WholeBatch implements StreamItem {
  readonly size = 0;
  constructor(private readonly t: FlowBatchText) {}
  get count(): number {
    return this.t.batch.count;
  }
  bytes(format: StreamFormat): Buffer {
    return this.t.all(format);
  }
}

/** The rows a client's filter selected. */
class SelectedRows implements StreamItem {
  readonly size = 0;
  constructor(private readonly t: FlowBatchText, private readonly rows: number[]) {}
  get count(): number {
    return this.rows.length;
  }
  bytes(format: StreamFormat): Buffer {
    return this.t.text(this.rows, format);
  }
}

interface FlowClient {
  readonly client: StreamClient;
  readonly filter: FlowFilter | null;
}

export class FlowStream {
  private readonly clients = new Set<FlowClient>();
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly bus: RecordBus,
    private readonly proj: FlowKeyProjection,
    private readonly stats: StreamStats,
    private readonly opts: Omit<StreamClientOptions, 'format'>,
  ) {}

  get size(): number {
    return this.clients.size;
  }

  add(res: ServerResponse, format: StreamFormat, filter: FlowFilter | null): void {
    streamHeaders(res, format);
    const entry: FlowClient = {
      filter,
      client: new StreamClient(res, 'flows', { ...this.opts, format }, this.stats, () => {
        this.clients.delete(entry);
        if (this.clients.size === 0 && this.unsubscribe !== null) {
          this.unsubscribe();
          this.unsubscribe = null;
        }
      }),
    };
    this.clients.add(entry);
    this.unsubscribe ??= this.bus.subscribeFlows((b) => this.publish(b));
  }

  private publish(batch: FlowRecordBatch): void {
    const t = new FlowBatchText(batch, this.proj);
    let whole: WholeBatch | undefined;
    for (const c of this.clients) {
      if (c.filter === null) {
        c.client.push((whole ??= new WholeBatch(t)));
        continue;
      }
      const rows: number[] = [];
      for (let i = 0; i < batch.count; i++) if (c.filter(batch.keys, i * KEY_WORDS)) rows.push(i);
      if (rows.length > 0) c.client.push(new SelectedRows(t, rows));
    }
  }

  checkStalls(now: number): void {
    for (const c of this.clients) c.client.checkStall(now);
  }

  endAll(): void {
    for (const c of [...this.clients]) c.client.end();
  }
}
