import { writeSync } from 'node:fs';
import type { FlowRecord } from '../flow/flow-table';
import { flowRecordJson } from '../flow/flow-record-json';

const FLUSH_BYTES = 1 << 20;

/**
 * Writes flow records as NDJSON (one object per line) to a file descriptor, buffered, synchronously
 * (records are produced while replaying; a synchronous write keeps their order and bounds memory).
 */
export class FlowNdjsonWriter {
  private readonly fd: number;
  private pending: string[] = [];
  private pendingBytes = 0;
  /** Set when the reader went away (EPIPE, e.g. `| head`): further records are dropped quietly. */
  private closed = false;
  count = 0;

  constructor(fd: number) {
    this.fd = fd;
  }

  readonly write = (r: FlowRecord): void => {
    const line = `${flowRecordJson(r)}\n`;
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.count++;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  };

  flush(): void {
    if (this.pending.length === 0 || this.closed) return;
    const buf = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingBytes = 0;
    let off = 0;
    while (off < buf.length) {
      try {
        off += writeSync(this.fd, buf, off);
      } catch (err) {
        // stdout may be a non-blocking pipe: wait for it to drain rather than lose records.
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') {
          this.closed = true;
          return;
        }
        if (code !== 'EAGAIN') throw err;
      }
    }
  }
}
