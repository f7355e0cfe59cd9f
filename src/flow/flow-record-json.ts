import type { FlowRecord } from './flow-record';

/**
 * The JSON text of a flow record: the fields of `replay --format flows-json`, of the flow stream
 * (/api/v1/flows/stream) and, without end_reason, of the active flows (/api/v1/flows). One
 * function for all of them, so a field added to FlowRecord appears everywhere once added here.
 * Addresses and numbers never need JSON escaping; end_reason is one of a few fixed words.
 */
export function flowRecordJson(r: FlowRecord, withEndReason = true): string {
  const rtt = r.tcpHandshakeRtt === null ? 'null' : r.tcpHandshakeRtt.toFixed(9);
  const head = `{"src_ip":"${r.srcIp}","dst_ip":"${r.dstIp}","proto":${r.proto},"src_port":${r.srcPort},"dst_port":${r.dstPort},"packets":${r.packets},"bytes":${r.bytes},"first_seen":${r.firstSeen.toFixed(6)},"last_seen":${r.lastSeen.toFixed(6)},"tcp_flags":${r.tcpFlags},"tcp_handshake_rtt":${rtt},"tcp_retransmissions":${r.tcpRetransmissions},"ip_version":${r.ipVersion}`;
  return withEndReason ? `${head},"end_reason":"${r.endReason}"}` : `${head}}`;
}
