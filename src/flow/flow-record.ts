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
  /** Snapshots taken by FlowTable.forEachActive carry 'end': that is how they end at end of replay. */
  endReason: FlowEndReason;
}

/**
 * The one hook every ended flow record goes through (sinks: PostgreSQL, live stream). Called
 * synchronously from observe()/advance()/endAll(); it must not call back into the table. The record
 * is a fresh object the hook may keep.
 */
export type FlowRecordHook = (record: FlowRecord) => void;
