/** Why a flow record ended. */
export type FlowEndReason = 'idle' | 'active' | 'capacity' | 'end';

/**
 * One finished flow record: what the record hook receives (and the end-of-replay snapshot).
 *
 * Fields aggregated away by the label configuration are reported as the key holds them: an address
 * that is not a label is '' (and ipVersion 0 when neither address is a label, since IPv4 and IPv6
 * traffic then share one key), a prefix-aggregated address is the prefix text ("10.1.2.0/24"),
 * proto -1 when it is not a label, ports 0.
 */
export interface FlowRecord {
  ipVersion: 0 | 4 | 6;
  srcIp: string;
  dstIp: string;
  proto: number;
  srcPort: number;
  dstPort: number;
  /** Packets and wire bytes of this record (since its first packet or its last active-timeout cut). */
  packets: number;
  bytes: number;
  /** Packet timestamps (seconds since the epoch) of the record's first and last packet. */
  firstSeen: number;
  lastSeen: number;
  /**
   * OR of the TCP flags bytes of the record's packets (FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10
   * URG 0x20 ECE 0x40 CWR 0x80, as NetFlow/IPFIX tcpControlBits); 0 for other protocols.
   */
  tcpFlags: number;
  /**
   * Handshake RTT in seconds (Wireshark's tcp.analysis.initial_rtt) when the segment that completed
   * the handshake belongs to this record (the client's flow, usually its first record); else null.
   */
  tcpHandshakeRtt: number | null;
  /** Segments of this record that are retransmissions (tshark's tcp.analysis.retransmission). */
  tcpRetransmissions: number;
  /** Snapshots taken by FlowTable.forEachActive carry 'end': that is how they end at end of replay. */
  endReason: FlowEndReason;
}

/** Bits of the events the TCP analyser reports for a packet (FlowTable.noteTcp). */
export const TCP_EVENT_RETRANSMISSION = 1;
export const TCP_EVENT_HANDSHAKE = 2;

/** What the TCP analyser tells the flow table about the packet it just analysed (see FlowTable.noteTcp). */
export interface TcpFlowEvent {
  /** The handshake RTT measured on that packet, seconds (when its event says so). */
  readonly eventRtt: number;
}

/**
 * Per-flow links of the TCP analyser (implemented by the flow table when its key is the exact
 * 5-tuple, so that a flow is one direction of one connection): a packet's flow slot then leads to its
 * connection without a second hash lookup. A link is a number >= 0 the analyser chose.
 */
export interface TcpFlowLinks {
  /** The link of flow slot `slot`, or -1. */
  tcpLink(slot: number): number;
  setTcpLink(slot: number, link: number): void;
  /** Removes the link of `slot` if it is `link` (the connection ended). */
  clearTcpLink(slot: number, link: number): void;
}

/**
 * The one hook every ended flow record goes through (sinks: PostgreSQL, live stream). Called
 * synchronously from observe()/advance()/endAll(); it must not call back into the table. The record
 * is a fresh object the hook may keep.
 */
export type FlowRecordHook = (record: FlowRecord) => void;
