/**
 * Traffic for the live-capture benchmark: classic pcap files of minimum-size (60-byte) Ethernet/IPv4/UDP
 * frames spread round robin over `flows` flows, written straight from one template frame so that a
 * million frames take well under a second to generate. Only the ports vary between flows, so the IPv4
 * header checksum of the template stays valid; the UDP checksum is 0, "not computed", which RFC 768
 * allows over IPv4.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { ethIpv4Udp } from '../test/support/frames';

export interface FlowTrafficOptions {
  packets: number;
  /** Distinct 5-tuples, at most 50 000 x 1000. */
  flows: number;
  src: string;
  dst: string;
  /** Destination MAC; the default is not the capturing veth's, so the host kernel drops the frames after capture. */
  dstMac?: string;
}

/** Ports of flow f: src 10000 + f mod 50000, dst 9000 + f div 50000. */
export function flowPorts(f: number): { sport: number; dport: number } {
  return { sport: 10_000 + (f % 50_000), dport: 9000 + Math.floor(f / 50_000) };
}

/** Writes the pcap; returns the length of every frame (they all have the same). */
export function writeFlowTraffic(file: string, o: FlowTrafficOptions): number {
  const frame = ethIpv4Udp({ src: o.src, dst: o.dst, sport: 0, dport: 0 }, Buffer.alloc(18));
  if (o.dstMac !== undefined) Buffer.from(o.dstMac.split(':').map((h) => parseInt(h, 16))).copy(frame, 0);
  frame.writeUInt16BE(0, 40); // UDP checksum: none
  const rec = 16 + frame.length;
  const chunkRecords = 65_536;
  const chunk = Buffer.alloc(chunkRecords * rec);
  for (let i = 0; i < chunkRecords; i++) {
    const o2 = i * rec;
    chunk.writeUInt32LE(1_700_000_000, o2);
    chunk.writeUInt32LE(0, o2 + 4);
    chunk.writeUInt32LE(frame.length, o2 + 8);
    chunk.writeUInt32LE(frame.length, o2 + 12);
    frame.copy(chunk, o2 + 16);
  }
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65_535, 16);
  header.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, header);
    for (let done = 0; done < o.packets; ) {
      const n = Math.min(chunkRecords, o.packets - done);
      for (let i = 0; i < n; i++) {
        const { sport, dport } = flowPorts((done + i) % o.flows);
        chunk.writeUInt16BE(sport, i * rec + 16 + 34);
        chunk.writeUInt16BE(dport, i * rec + 16 + 36);
      }
      writeSync(fd, chunk, 0, n * rec);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return frame.length;
}
