/**
 * Ended flow records in columns, for the outputs that take every record (PostgreSQL sink, flow
 * stream): the flow table writes a record's key words and counters straight into preallocated typed
 * arrays (no object, no address text in the capture process: an ended flow allocates nothing), and a
 * filled batch crosses to the consumers as a few typed arrays (a structured clone of raw bytes over
 * the IPC channel of `netmon run`). Consumers turn a row into a FlowRecord with flowRecordAt().
 */
import { KEY_WORDS } from './flow-key';
import type { FlowKeyProjection } from './flow-key';
import type { FlowEndReason, FlowRecord } from './flow-record';

/** End reasons by code (the order is part of the batch format). */
export const END_REASONS: readonly FlowEndReason[] = ['idle', 'active', 'capacity', 'end'];

/** Code of each end reason in FlowRecordBatch.endReasons. */
export const END_REASON_CODE: Readonly<Record<FlowEndReason, number>> = { idle: 0, active: 1, capacity: 2, end: 3 };

/** A batch of ended flow records: row i is keys[i*KEY_WORDS ..], packets[i], ... (plain data, cloneable). */
export interface FlowRecordBatch {
  readonly count: number;
  /** KEY_WORDS words per row: the flow key as the table holds it (see flow-key.ts). */
  readonly keys: Int32Array;
  readonly packets: Float64Array;
  readonly bytes: Float64Array;
  readonly firstSeen: Float64Array;
  readonly lastSeen: Float64Array;
  /** END_REASON_CODE of each row. */
  readonly endReasons: Uint8Array;
  /** OR of the TCP flags bytes of the record's packets (0 for other protocols). */
  readonly tcpFlags: Uint8Array;
  /** Interface index of the record's first packet (capture order; in a replay, the file order). */
  readonly interfaces: Uint8Array;
  /** Handshake RTT in seconds when the record's flow completed the TCP handshake, else NaN. */
  readonly tcpHandshakeRtt: Float64Array;
  /** Segments of the record that are TCP retransmissions. */
  readonly tcpRetransmissions: Uint32Array;
}

/**
 * A fixed-capacity batch being filled by the flow table. The table claims a row with claim() and
 * writes its columns directly; take() returns the filled rows as a compact FlowRecordBatch (copies)
 * and empties the builder for reuse.
 */
export class FlowRecordBatchBuilder {
  count = 0;
  readonly keys: Int32Array;
  readonly packets: Float64Array;
  readonly bytes: Float64Array;
  readonly firstSeen: Float64Array;
  readonly lastSeen: Float64Array;
  readonly endReasons: Uint8Array;
  readonly tcpFlags: Uint8Array;
  readonly interfaces: Uint8Array;
  readonly tcpHandshakeRtt: Float64Array;
  readonly tcpRetransmissions: Uint32Array;

  constructor(readonly capacity: number) {
    this.keys = new Int32Array(capacity * KEY_WORDS);
    this.packets = new Float64Array(capacity);
    this.bytes = new Float64Array(capacity);
    this.firstSeen = new Float64Array(capacity);
    this.lastSeen = new Float64Array(capacity);
    this.endReasons = new Uint8Array(capacity);
    this.tcpFlags = new Uint8Array(capacity);
    this.interfaces = new Uint8Array(capacity);
    this.tcpHandshakeRtt = new Float64Array(capacity);
    this.tcpRetransmissions = new Uint32Array(capacity);
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  /** The index of a free row (the caller fills every column), or -1 when full. */
  claim(): number {
    return this.count < this.capacity ? this.count++ : -1;
  }

  /** The filled rows as a batch of their own, and the builder emptied. */
  take(): FlowRecordBatch {
    const n = this.count;
    this.count = 0;
    return {
      count: n,
      keys: this.keys.slice(0, n * KEY_WORDS),
      packets: this.packets.slice(0, n),
      bytes: this.bytes.slice(0, n),
      firstSeen: this.firstSeen.slice(0, n),
      lastSeen: this.lastSeen.slice(0, n),
      endReasons: this.endReasons.slice(0, n),
      tcpFlags: this.tcpFlags.slice(0, n),
      interfaces: this.interfaces.slice(0, n),
      tcpHandshakeRtt: this.tcpHandshakeRtt.slice(0, n),
      tcpRetransmissions: this.tcpRetransmissions.slice(0, n),
    };
  }
}

/** Row i of a batch as a FlowRecord (consumer side: allocates the object and the address text). */
export function flowRecordAt(batch: FlowRecordBatch, i: number, proj: FlowKeyProjection): FlowRecord {
  const b = i * KEY_WORDS;
  const k = batch.keys;
  return {
    ipVersion: proj.ipVersion(k, b),
    srcIp: proj.addressText(k, b, false),
    dstIp: proj.addressText(k, b, true),
    proto: proj.proto(k, b),
    srcPort: k[b + 9]! >>> 16,
    dstPort: k[b + 9]! & 0xffff,
    packets: batch.packets[i]!,
    bytes: batch.bytes[i]!,
    firstSeen: batch.firstSeen[i]!,
    lastSeen: batch.lastSeen[i]!,
    tcpFlags: batch.tcpFlags[i]!,
    tcpHandshakeRtt: Number.isNaN(batch.tcpHandshakeRtt[i]!) ? null : batch.tcpHandshakeRtt[i]!,
    tcpRetransmissions: batch.tcpRetransmissions[i]!,
    endReason: END_REASONS[batch.endReasons[i]!]!,
  };
}

/**
 * Where the flow table writes ended records in columns: a builder with a free row, or null when the
 * output has no room (the record is then dropped; the output counts it).
 */
export interface FlowRecordOutput {
  builder(): FlowRecordBatchBuilder | null;
  /** Counts one record that found no room. */
  dropped(): void;
}
