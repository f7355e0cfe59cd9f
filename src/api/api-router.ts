/**
 * The REST and streaming API (`/api/v1`), mounted by src/http/ on the server of `netmon run` and
 * `replay --serve`:
 *   GET /api/v1/flows?limit=N&sort=bytes|packets&filter=EXPR   the top N active flows now (JSON)
 *   GET /api/v1/flows/stream?filter=EXPR                       ended flow records (NDJSON, or SSE)
 *   GET /api/v1/packets/stream?filter=EXPR&rate=N              packet header metadata (api.packets)
 *   GET /api/v1/status                                         capture health and counters (the status page)
 * Filters are tcpdump expressions compiled once per request (400 with the compiler's message).
 */
import express from 'express';
import type { Request, Response } from 'express';
import { compileFilter } from '../filter/compile-filter';
import { compileFlowFilter } from '../flow/flow-filter';
import type { FlowKeyProjection } from '../flow/flow-key';
import { flowRecordAt } from '../flow/flow-record-batch';
import { flowRecordJson } from '../flow/flow-record-json';
import { MAX_TOP_FLOWS } from '../engine/engine-queries';
import type { EngineQuery, EngineQueryResult, LiveStatus, TopFlowsResult } from '../engine/engine-queries';
import type { Logger } from '../log';
import type { RecordBus } from '../sinks/record-bus';
import { FlowStream } from './flow-stream';
import { PacketStream } from './packet-stream';
import { BadRequest, compileParam, intParam, oneOfParam, stringParam } from './query-params';
import type { StreamFormat } from './stream-client';
import type { StreamName, StreamStats } from './stream-stats';

/** The `api:` configuration section. */
export interface ApiOptions {
  readonly flows_stream: boolean;
  readonly packets: boolean;
  readonly max_clients: number;
  readonly client_buffer_bytes: number;
  /** Seconds a client may take nothing while data waits for it. */
  readonly client_stall_timeout: number;
  readonly packets_max_rate: number;
}

export interface ApiSources {
  readonly options: ApiOptions;
  readonly version: string;
  describe(): string;
  readonly bus: RecordBus;
  /** The flow key layout of the flow table (labels and aggregation). */
  readonly flowKeys: FlowKeyProjection;
  /** Interface names by index (capture order, or replayed files). */
  interfaceNames(): readonly string[];
  /** Runs a query against the pipeline (the capture process in `netmon run`). */
  query(q: EngineQuery): Promise<EngineQueryResult>;
  readonly stats: StreamStats;
}

/** Records a flow client may be owed at once: the capture side's own bound (16 batches of 4 096). */
const MAX_PENDING_RECORDS = 65_536;
const DEFAULT_TOP_FLOWS = 20;
const DEFAULT_PACKET_RATE = 100;
/** Queries waiting for the pipeline at most (one runs at a time); more get 503. */
const MAX_WAITING_QUERIES = 16;
const RECENT_MS = 500;

export class Api {
  readonly router: express.Router;
  private readonly flows: FlowStream;
  private readonly packets: PacketStream;
  private readonly stallTimer: NodeJS.Timeout;
  private running: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  /** Answers of /api/v1/flows by query, reused for RECENT_MS: several pages polling cost one pass. */
  private readonly recent = new Map<string, { at: number; body: string }>();

  constructor(private readonly src: ApiSources, private readonly log: Logger) {
    const o = src.options;
    const base = { bufferBytes: o.client_buffer_bytes, stallMs: o.client_stall_timeout * 1000 };
    this.flows = new FlowStream(src.bus, src.flowKeys, src.stats, { ...base, maxPendingItems: MAX_PENDING_RECORDS, maxPendingBytes: Infinity });
    this.packets = new PacketStream(src.bus, () => src.interfaceNames(), src.stats, { ...base, maxPendingItems: Infinity, maxPendingBytes: o.client_buffer_bytes });
    this.stallTimer = setInterval(() => {
      const now = Date.now();
      this.flows.checkStalls(now);
      this.packets.checkStalls(now);
    }, 250);
    this.stallTimer.unref();
    const r = express.Router();
    r.get('/flows', (req, res) => this.handle(res, () => this.topFlows(req, res)));
    r.get('/flows/stream', (req, res) => this.handle(res, () => this.flowStream(req, res)));
    r.get('/packets/stream', (req, res) => this.handle(res, () => this.packetStream(req, res)));
    r.get('/status', (_req, res) => this.handle(res, () => this.status(res)));
    r.use((_req, res) => {
      res.status(404).json({ error: 'no such endpoint: see /api/v1/flows, /api/v1/flows/stream, /api/v1/packets/stream, /api/v1/status' });
    });
    this.router = r;
  }

  /** Ends every stream (netmon is stopping). */
  close(): void {
    clearInterval(this.stallTimer);
    this.flows.endAll();
    this.packets.endAll();
  }

  private handle(res: Response, fn: () => Promise<void> | void): void {
    Promise.resolve()
      .then(fn)
      .catch((err: unknown) => {
        if (res.headersSent) return;
        if (err instanceof BadRequest) res.status(400).json({ error: err.message });
        else if (err instanceof Busy) res.status(503).setHeader('Retry-After', '1').json({ error: err.message });
        else {
          this.log.error({ err }, 'API request failed');
          res.status(500).json({ error: (err as Error).message });
        }
      });
  }

  /** One query at a time reaches the pipeline (each one is a pass over the flow table). */
  private runQuery<T extends EngineQueryResult>(q: EngineQuery): Promise<T> {
    if (this.waiting >= MAX_WAITING_QUERIES) return Promise.reject(new Busy(`${MAX_WAITING_QUERIES} queries are waiting already`));
    this.waiting++;
    const p = this.running.then(() => this.src.query(q)).finally(() => this.waiting--);
    this.running = p.catch(() => {});
    return p as Promise<T>;
  }

  private async topFlows(req: Request, res: Response): Promise<void> {
    const q = req.query as Record<string, unknown>;
    const limit = intParam(q, 'limit', DEFAULT_TOP_FLOWS, 1, MAX_TOP_FLOWS);
    const sort = oneOfParam(q, 'sort', ['bytes', 'packets'] as const);
    const filter = stringParam(q, 'filter', '');
    if (filter !== '') compileParam(filter, (e) => compileFlowFilter(e, this.src.flowKeys));
    const key = `${limit} ${sort} ${filter}`;
    const hit = this.recent.get(key);
    if (hit !== undefined && Date.now() - hit.at < RECENT_MS) {
      res.type('application/json').send(hit.body);
      return;
    }
    const r = await this.runQuery<TopFlowsResult>({ kind: 'top-flows', limit, byPackets: sort === 'packets', filter });
    const rows: string[] = [];
    for (let i = 0; i < r.batch.count; i++) rows.push(flowRecordJson(flowRecordAt(r.batch, i, this.src.flowKeys), false));
    const body = `{"time":${(Date.now() / 1000).toFixed(3)},"packet_time":${r.now.toFixed(6)},"active_flows":${r.activeFlows},"matched":${r.matched},"sort":"${sort}","flows":[${rows.join(',')}]}\n`;
    for (const [k, v] of this.recent) if (Date.now() - v.at >= RECENT_MS) this.recent.delete(k);
    if (this.recent.size < MAX_WAITING_QUERIES) this.recent.set(key, { at: Date.now(), body });
    res.type('application/json').send(body);
  }

  private async status(res: Response): Promise<void> {
    const s = await this.runQuery<LiveStatus>({ kind: 'status' });
    const st = this.src.stats;
    res.json({
      version: this.src.version,
      description: this.src.describe(),
      ...s,
      streams: { flows: { enabled: this.src.options.flows_stream, clients: st.clients.flows }, packets: { enabled: this.src.options.packets, clients: st.clients.packets } },
    });
  }

  private admit(stream: StreamName, res: Response): boolean {
    if (this.src.stats.totalClients < this.src.options.max_clients) return true;
    this.src.stats.dropped[stream].max_clients++;
    res.status(503).setHeader('Retry-After', '5').json({ error: `too many stream clients (api.max_clients: ${this.src.options.max_clients})` });
    return false;
  }

  private flowStream(req: Request, res: Response): void {
    if (!this.src.options.flows_stream) {
      res.status(404).json({ error: 'the flow stream is off (api.flows_stream: false)' });
      return;
    }
    const q = req.query as Record<string, unknown>;
    const expr = stringParam(q, 'filter', '');
    const filter = expr === '' ? null : compileParam(expr, (e) => compileFlowFilter(e, this.src.flowKeys));
    if (!this.admit('flows', res)) return;
    this.flows.add(res, formatOf(req), filter);
  }

  private packetStream(req: Request, res: Response): void {
    if (!this.src.options.packets) {
      res.status(404).json({ error: 'the packet stream is off (enable it with api.packets: true)' });
      return;
    }
    const q = req.query as Record<string, unknown>;
    const filter = stringParam(q, 'filter', '');
    const rate = intParam(q, 'rate', Math.min(DEFAULT_PACKET_RATE, this.src.options.packets_max_rate), 1, this.src.options.packets_max_rate);
    compileParam(filter, (e) => compileFilter('filter', e));
    if (!this.admit('packets', res)) return;
    this.packets.add(res, formatOf(req), filter, rate);
  }
}

class Busy extends Error {}

/** Server-Sent Events when the client asks for them, NDJSON otherwise. */
function formatOf(req: Request): StreamFormat {
  return /\btext\/event-stream\b/.test(req.get('accept') ?? '') ? 'sse' : 'ndjson';
}
