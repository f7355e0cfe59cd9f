import { TCP_HANDSHAKE_RTT_BUCKETS } from '../metrics/catalog';

/** Layout of one interface's TCP counters (one Float64Array per interface, as dns-counters.ts). */
export const TCP_RTT_BUCKETS = 0; // non-cumulative, the last is +Inf
export const TCP_RTT_SUM = TCP_RTT_BUCKETS + TCP_HANDSHAKE_RTT_BUCKETS.length + 1;
export const TCP_RTT_COUNT = TCP_RTT_SUM + 1;
export const TCP_ESTABLISHED = TCP_RTT_COUNT + 1;
export const TCP_REFUSED = TCP_ESTABLISHED + 1;
export const TCP_TIMEOUT = TCP_REFUSED + 1;
export const TCP_RETRANSMISSIONS = TCP_TIMEOUT + 1;
export const TCP_ZERO_WINDOW = TCP_RETRANSMISSIONS + 1;
export const TCP_DATA_SEGMENTS = TCP_ZERO_WINDOW + 1;
export const TCP_FRAGMENTED_REASSEMBLED = TCP_DATA_SEGMENTS + 1;
export const TCP_FRAGMENTED_INCOMPLETE = TCP_FRAGMENTED_REASSEMBLED + 1;
export const TCP_WORDS = TCP_FRAGMENTED_INCOMPLETE + 1;

/** What the TCP families read: the analyser itself (replay) or its snapshot (`netmon run`). */
export interface TcpCounters {
  /** Per interface, in the pipeline's interface order: TCP_* layout. */
  readonly perInterface: readonly Float64Array[];
  /** Connections tracked now. */
  readonly connections: number;
  /** Connections dropped because the table was full (tcp.max_connections). */
  readonly evictions: number;
}

export function snapshotTcpCounters(c: TcpCounters): TcpCounters {
  return { perInterface: c.perInterface.map((a) => a.slice()), connections: c.connections, evictions: c.evictions };
}
