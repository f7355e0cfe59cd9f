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

/** Bytes per row in a batch's buffer (the columns below, in this order: 8-byte ones first, for alignment). */
const F64_COLUMNS = 5; // packets, bytes, firstSeen, lastSeen, tcpHandshakeRtt
const U32_COLUMNS = 1; // tcpRetransmissions
const U8_COLUMNS = 3; // endReasons, tcpFlags, interfaces
const ROW_BYTES = F64_COLUMNS * 8 + KEY_WORDS * 4 + U32_COLUMNS * 4 + U8_COLUMNS;

/** Views of every column of `rows` rows laid out in one buffer (see ROW_BYTES). */
function columns(buffer: ArrayBuffer, rows: number): Omit<FlowRecordBatch, 'count'> {
  let o = 0;
  const f64 = (): Float64Array => {
    const a = new Float64Array(buffer, o, rows);
    o += rows * 8;
    return a;
  };
  const packets = f64();
  const bytes = f64();
  const firstSeen = f64();
  const lastSeen = f64();
  const tcpHandshakeRtt = f64();
  const keys = new Int32Array(buffer, o, rows * KEY_WORDS);
  o += rows * KEY_WORDS * 4;
  const tcpRetransmissions = new Uint32Array(buffer, o, rows);
  o += rows * 4;
  const u8 = (): Uint8Array => {
    const a = new Uint8Array(buffer, o, rows);
    o += rows;
    return a;
  };
  return { keys, packets, bytes, firstSeen, lastSeen, tcpHandshakeRtt, tcpRetransmissions, endReasons: u8(), tcpFlags: u8(), interfaces: u8() };
}

/**
 * A fixed-capacity batch being filled by the flow table. The table claims a row with claim() and
 * writes its columns directly; take() returns the filled rows as a FlowRecordBatch of their own and
 * empties the builder for reuse. Every column lives in one ArrayBuffer, so a batch is one copy and
 * one allocation (a typed array of its own per column costs more than writing the records: V8 tracks
 * every ArrayBuffer), and one buffer in a structured clone.
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
  private readonly buffer: ArrayBuffer;

  constructor(readonly capacity: number) {
    this.buffer = new ArrayBuffer(capacity * ROW_BYTES);
    const c = columns(this.buffer, capacity);
    this.keys = c.keys;
    this.packets = c.packets;
    this.bytes = c.bytes;
    this.firstSeen = c.firstSeen;
    this.lastSeen = c.lastSeen;
    this.endReasons = c.endReasons;
    this.tcpFlags = c.tcpFlags;
    this.interfaces = c.interfaces;
    this.tcpHandshakeRtt = c.tcpHandshakeRtt;
    this.tcpRetransmissions = c.tcpRetransmissions;
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  /** The index of a free row (the caller fills every column), or -1 when full. */
  claim(): number {
    return this.count < this.capacity ? this.count++ : -1;
  }

  /** The filled rows as a batch of their own (a copy), and the builder emptied. */
  take(): FlowRecordBatch {
    const n = this.count;
    this.count = 0;
    if (n === this.capacity) return { count: n, ...columns(this.buffer.slice(0), n) };
    const out = columns(new ArrayBuffer(n * ROW_BYTES), n);
    out.keys.set(this.keys.subarray(0, n * KEY_WORDS));
    out.packets.set(this.packets.subarray(0, n));
    out.bytes.set(this.bytes.subarray(0, n));
    out.firstSeen.set(this.firstSeen.subarray(0, n));
    out.lastSeen.set(this.lastSeen.subarray(0, n));
    out.endReasons.set(this.endReasons.subarray(0, n));
    out.tcpFlags.set(this.tcpFlags.subarray(0, n));
    out.interfaces.set(this.interfaces.subarray(0, n));
    out.tcpHandshakeRtt.set(this.tcpHandshakeRtt.subarray(0, n));
    out.tcpRetransmissions.set(this.tcpRetransmissions.subarray(0, n));
    return { count: n, ...out };
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
