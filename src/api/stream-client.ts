/**
 * One client of a stream (flows or packets): what it is owed waits in its own queue of items
 * (references to chunks that may be shared with other clients), and is written to its socket only
 * while the socket holds less than `bufferBytes` not yet taken by the client. A slow client thus
 * costs its queue and its socket buffer, never the other clients, the scrapes or capture.
 *
 * Bounds, and what happens beyond them (Hubble's model: a reader that falls behind gets a lost
 * count instead of slowing the writer):
 * - the queue holds at most `maxPendingItems` items (records or packets) and, for items whose size
 *   is known, `maxPendingBytes`; an item that does not fit cuts the client off (buffer_full);
 * - a client that takes nothing for `stallMs` while data waits for it is cut off (stalled).
 * A client cut off is sent a last line `{"lost": N}` (N: what it was owed and will not get; an SSE
 * client gets it as an event named "lost"), its response ends, and its connection is closed at
 * once if it does not take that line within a second.
 */
import type { ServerResponse } from 'node:http';
import type { DropReason, StreamName, StreamStats } from './stream-stats';

export type StreamFormat = 'ndjson' | 'sse';

/** Something a client is owed: `count` records or packets, as bytes computed when first sent. */
export interface StreamItem {
  readonly count: number;
  /** Size in bytes when known before sending (own chunks), else 0 (shared chunks, bounded elsewhere). */
  readonly size: number;
  bytes(format: StreamFormat): Buffer;
}

export interface StreamClientOptions {
  readonly format: StreamFormat;
  /** Bytes the client's socket may hold that it has not taken (api.client_buffer_bytes). */
  readonly bufferBytes: number;
  readonly maxPendingItems: number;
  readonly maxPendingBytes: number;
  readonly stallMs: number;
}

/** How long a client cut off has to take its last line before its connection is closed. */
const GOODBYE_MS = 1000;
/** Largest single write to a client's socket (a slow reader completes such pieces: progress the stall check sees). */
const WRITE_PIECE = 256 * 1024;

export class StreamClient {
  private queue: Array<StreamItem | undefined> = [];
  private head = 0;
  private pendingItems = 0;
  private pendingBytes = 0;
  private closed = false;
  /** Counted out of the connected clients already. */
  private left = false;
  /** The bytes of the item at the head of the queue, and how much of them is written. */
  private current: Buffer | undefined;
  private offset = 0;
  /** Bytes the client had taken at the last stall check, and since when it has taken nothing. */
  private taken = -1;
  private idleSince = Date.now();

  constructor(
    private readonly res: ServerResponse,
    readonly stream: StreamName,
    private readonly opts: StreamClientOptions,
    private readonly stats: StreamStats,
    private readonly onGone: (c: StreamClient) => void,
  ) {
    stats.clients[stream]++;
    res.on('drain', () => this.pump());
    res.on('close', () => this.gone());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Queues an item and sends what the socket can take; cuts the client off when it does not fit. */
  push(item: StreamItem): void {
    if (this.closed) return;
    if (this.pendingItems + item.count > this.opts.maxPendingItems || this.pendingBytes + item.size > this.opts.maxPendingBytes) {
      this.cutOff('buffer_full', item.count);
      return;
    }
    this.queue.push(item);
    this.pendingItems += item.count;
    this.pendingBytes += item.size;
    this.pump();
  }

  /** Queues control text that holds no item (a packet stream's lost counts). */
  note(text: string): void {
    const b = Buffer.from(text);
    this.push({ count: 0, size: b.length, bytes: () => b });
  }

  private pump(): void {
    const res = this.res;
    while (!this.closed && this.head < this.queue.length && res.writableLength < this.opts.bufferBytes) {
      const item = this.queue[this.head]!;
      const b = (this.current ??= item.bytes(this.opts.format));
      // In pieces: a write counts as taken only once all of it is, and stall detection needs progress
      // it can see (a slow reader completes pieces; a stalled one does not).
      const end = Math.min(b.length, this.offset + WRITE_PIECE);
      res.write(end === b.length && this.offset === 0 ? b : b.subarray(this.offset, end));
      this.offset = end;
      if (end < b.length) continue;
      this.current = undefined;
      this.offset = 0;
      this.queue[this.head++] = undefined;
      this.pendingItems -= item.count;
      this.pendingBytes -= item.size;
      this.stats.sent[this.stream] += item.count;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** Called about once a second: cuts off a client that has taken nothing for stallMs while data waited. */
  checkStall(now: number): void {
    if (this.closed) return;
    const sock = this.res.socket;
    const taken = sock === null ? 0 : (sock.bytesWritten ?? 0) - sock.writableLength;
    const waiting = this.pendingItems > 0 || this.res.writableLength > 0;
    if (taken !== this.taken || !waiting) {
      this.taken = taken;
      this.idleSince = now;
      return;
    }
    if (now - this.idleSince >= this.opts.stallMs) this.cutOff('stalled', 0);
  }

  /** Ends the stream (netmon stopping): what is queued is still written, then the response ends. */
  end(): void {
    if (this.closed) return;
    for (let i = this.head; i < this.queue.length; i++) {
      const item = this.queue[i]!;
      const b = i === this.head && this.current !== undefined ? this.current.subarray(this.offset) : item.bytes(this.opts.format);
      this.res.write(b);
      this.stats.sent[this.stream] += item.count;
    }
    this.closed = true;
    this.res.end();
    this.gone();
  }

  private cutOff(reason: DropReason, alsoLost: number): void {
    if (this.closed) return;
    // An item half written is completed first, so the client never sees a line cut in two.
    if (this.current !== undefined) {
      const item = this.queue[this.head]!;
      this.res.write(this.current.subarray(this.offset));
      this.pendingItems -= item.count;
      this.stats.sent[this.stream] += item.count;
    }
    const lost = this.pendingItems + alsoLost;
    this.stats.dropped[this.stream][reason]++;
    this.stats.lost[this.stream] += lost;
    this.queue = [];
    this.head = 0;
    this.current = undefined;
    this.offset = 0;
    this.pendingItems = 0;
    this.pendingBytes = 0;
    this.closed = true;
    const line = this.opts.format === 'sse' ? `event: lost\ndata: {"lost":${lost}}\n\n` : `{"lost":${lost}}\n`;
    this.res.end(line);
    const timer = setTimeout(() => this.res.destroy(), GOODBYE_MS);
    timer.unref();
    this.res.once('close', () => clearTimeout(timer));
    this.gone();
  }

  private gone(): void {
    this.closed = true;
    if (this.left) return;
    this.left = true;
    this.queue = [];
    this.stats.clients[this.stream]--;
    this.onGone(this);
  }
}

/** Response headers of a stream in `format`. */
export function streamHeaders(res: ServerResponse, format: StreamFormat): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', format === 'sse' ? 'text/event-stream; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
}
