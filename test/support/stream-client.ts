/**
 * A test client of netmon's streams: keeps every NDJSON line (or SSE event) it reads, or, with
 * `stall`, connects and never reads (its socket's receive window fills and stays full).
 */
import { request } from 'node:http';
import type { ClientRequest, IncomingMessage } from 'node:http';

export interface StreamTap {
  /** Parsed JSON objects of the data lines (SSE: data of events without a name). */
  readonly records: Record<string, unknown>[];
  /** Named SSE events and NDJSON objects with a "lost" key. */
  readonly lost: Record<string, unknown>[];
  status: number;
  ended: boolean;
  /** Sum of the "packets" field of the records (flow stream). */
  packets(): number;
  close(): void;
}

export function openStream(url: string, opts: { sse?: boolean; stall?: boolean; onLine?: (line: string) => void } = {}): Promise<StreamTap> {
  return new Promise((resolve, reject) => {
    let req: ClientRequest;
    const tap: StreamTap = {
      records: [],
      lost: [],
      status: 0,
      ended: false,
      packets: () => tap.records.reduce((n, r) => n + (r['packets'] as number), 0),
      close: () => req.destroy(),
    };
    req = request(url, { headers: { Accept: opts.sse === true ? 'text/event-stream' : 'application/x-ndjson' } }, (res: IncomingMessage) => {
      tap.status = res.statusCode ?? 0;
      if (opts.stall === true) {
        // Never read: pause the stream so the kernel's receive buffer fills and stays full.
        res.pause();
        resolve(tap);
        return;
      }
      let rest = '';
      let event = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        const text = rest + d;
        let start = 0;
        for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
          const line = text.slice(start, nl);
          start = nl + 1;
          opts.onLine?.(line);
          if (opts.sse === true) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) {
              const v = JSON.parse(line.slice(6)) as Record<string, unknown>;
              (event === '' ? tap.records : tap.lost).push(v);
            } else if (line === '') event = '';
            continue;
          }
          if (line === '') continue;
          const v = JSON.parse(line) as Record<string, unknown>;
          ('lost' in v ? tap.lost : tap.records).push(v);
        }
        rest = text.slice(start);
      });
      res.on('end', () => (tap.ended = true));
      res.on('close', () => (tap.ended = true));
      resolve(tap);
    });
    req.on('error', (err) => {
      tap.ended = true;
      if (tap.status === 0) reject(err);
    });
    req.end();
  });
}

/** A reading client that only counts: records (lines), the sum of their "packets", lost lines. */
export interface Counter {
  records: number;
  packets: number;
  lost: number;
  ended: boolean;
  close(): void;
}

const PACKETS_KEY = Buffer.from('"packets":');
const SRC_PORT_KEY = Buffer.from('"src_port":');

/**
 * Counts as it reads, cheaply (no JSON parsing, so that fifty of them in one process keep up with a
 * burst): records, the sum of their packets, lost lines; with `srcPorts`, how many records had each
 * source port: srcPorts[port] += packets.
 */
export function countingClient(url: string, srcPorts?: Uint16Array): Promise<Counter> {
  return new Promise((resolve, reject) => {
    const c: Counter = { records: 0, packets: 0, lost: 0, ended: false, close: () => req.destroy() };
    let carry: Buffer = Buffer.alloc(0);
    const req = request(url, (res) => {
      if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
      res.on('data', (d: Buffer) => {
        const b = carry.length > 0 ? Buffer.concat([carry, d]) : d;
        let start = 0;
        for (let nl = b.indexOf(10, start); nl >= 0; nl = b.indexOf(10, start)) {
          if (b[start + 2] === 0x6c /* {"lost" */) c.lost++;
          else {
            c.records++;
            let at = b.indexOf(PACKETS_KEY, start) + PACKETS_KEY.length;
            let n = 0;
            while (b[at]! >= 48 && b[at]! <= 57) n = n * 10 + b[at++]! - 48;
            c.packets += n;
            if (srcPorts !== undefined) {
              let p = b.indexOf(SRC_PORT_KEY, start) + SRC_PORT_KEY.length;
              let port = 0;
              while (b[p]! >= 48 && b[p]! <= 57) port = port * 10 + b[p++]! - 48;
              srcPorts[port]! += n;
            }
          }
          start = nl + 1;
        }
        carry = b.subarray(start);
      });
      res.on('close', () => (c.ended = true));
      resolve(c);
    });
    req.on('error', () => (c.ended = true));
    req.end();
  });
}
