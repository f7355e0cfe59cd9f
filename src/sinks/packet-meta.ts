/**
 * Reading the rows of a PacketMetaBatch on the consumer side: the rows of one subscription, the
 * counts reported for it, and one row as a plain record (the fields of the packet stream and of the
 * PostgreSQL packet table). Never payload: these are header fields only.
 */
import type { PacketMetaBatch } from '../engine/packet-tap';
import { ipv4Text, ipv6Text } from '../flow/ip-text';

export interface PacketMeta {
  /** Seconds since the epoch. */
  readonly ts: number;
  readonly interface: string;
  readonly ipVersion: number;
  /** Address text ('' when the packet has none, e.g. not IP and not ARP). */
  readonly srcIp: string;
  readonly dstIp: string;
  /** IP protocol number, -1 when not IP. */
  readonly proto: number;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly tcpFlags: number;
  readonly window: number;
  /** Original length on the wire. */
  readonly length: number;
}

function addressText(batch: PacketMetaBatch, i: number, dst: boolean): string {
  const a = batch.addrs;
  const o = i * 8 + (dst ? 4 : 0);
  const v = batch.ipVersion[i]!;
  if (v === 6) return ipv6Text(a[o]!, a[o + 1]!, a[o + 2]!, a[o + 3]!);
  if (v === 4 || a[o] !== 0) return ipv4Text(a[o]!);
  return '';
}

/** Row i as a record; `interfaces` names the interface indexes (capture order, or replayed files). */
export function packetMetaAt(batch: PacketMetaBatch, i: number, interfaces: readonly string[]): PacketMeta {
  return {
    ts: batch.ts[i]!,
    interface: interfaces[batch.iface[i]!] ?? String(batch.iface[i]),
    ipVersion: batch.ipVersion[i]!,
    srcIp: addressText(batch, i, false),
    dstIp: addressText(batch, i, true),
    proto: batch.proto[i]!,
    srcPort: batch.srcPort[i]!,
    dstPort: batch.dstPort[i]!,
    seq: batch.seq[i]!,
    ack: batch.ack[i]!,
    tcpFlags: batch.tcpFlags[i]!,
    window: batch.window[i]!,
    length: batch.wireLen[i]!,
  };
}

/** Indexes of the rows of subscription `id`, in capture order. */
export function rowsOf(batch: PacketMetaBatch, id: number): number[] {
  const rows: number[] = [];
  for (let i = 0; i < batch.count; i++) if (batch.sub[i] === id) rows.push(i);
  return rows;
}

/** The matches the capture side could not deliver to subscription `id` (rate cap, full buffer). */
export function lostOf(batch: PacketMetaBatch, id: number): number {
  const j = batch.lostIds.indexOf(id);
  return j < 0 ? 0 : batch.lostCounts[j]!;
}

/** The packets that matched subscription `id`'s filter (delivered or not). */
export function matchedOf(batch: PacketMetaBatch, id: number): number {
  const j = batch.matchedIds.indexOf(id);
  return j < 0 ? 0 : batch.matchedCounts[j]!;
}
