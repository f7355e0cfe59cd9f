import { writeSync } from 'node:fs';
import type { FlowRecord } from '../flow/flow-table';

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
    const line = `{"src_ip":"${r.srcIp}","dst_ip":"${r.dstIp}","proto":${r.proto},"src_port":${r.srcPort},"dst_port":${r.dstPort},"packets":${r.packets},"bytes":${r.bytes},"first_seen":${r.firstSeen.toFixed(6)},"last_seen":${r.lastSeen.toFixed(6)},"tcp_flags":${r.tcpFlags},"tcp_handshake_rtt":${r.tcpHandshakeRtt === null ? 'null' : r.tcpHandshakeRtt.toFixed(9)},"tcp_retransmissions":${r.tcpRetransmissions},"ip_version":${r.ipVersion},"end_reason":"${r.endReason}"}\n`;
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
