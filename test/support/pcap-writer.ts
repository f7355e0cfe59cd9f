/**
 * Writers of capture files for tests: classic pcap and pcapng, to disk or to a Buffer (so a test can
 * truncate or corrupt bytes before writing it). Independent of the readers in src/capture: this
 * follows the formats as specified and is itself checked against tcpdump and tshark
 * (test/capture/capture-file-oracle.test.ts).
 *
 *   writePcap('/tmp/x.pcap', [{ data: frame, ts: 1700000000.25 }], { linkType: 1 });
 *   writePcapng('/tmp/x.pcapng', [{ interfaces: [{ linkType: 1 }], blocks: [{ kind: 'epb', data: frame, ts: 1.5 }] }]);
 *
 * Timestamps are float seconds; they are split into integer seconds and a rounded fraction, so
 * 1700000000.000001 is written as 1700000000 s + 1 µs, not 0 µs after float error.
 */
import { writeFileSync } from 'node:fs';

export interface PcapPacket {
  /** Captured bytes, written as they are. */
  data: Buffer;
  /** Timestamp, float seconds since the epoch. */
  ts: number;
  /** Original length on the wire; default data.length. */
  origLen?: number;
}

export interface PcapOptions {
  /** LINKTYPE_* written in the header's network field. */
  linkType: number;
  /** Big-endian file (magic a1b2c3d4 as bytes); default little-endian. */
  bigEndian?: boolean;
  /** Nanosecond timestamps (magic a1b23c4d); default microseconds. */
  nanosecond?: boolean;
  /** Header snaplen; default 262144. Packets are not cut to it: tests control data exactly. */
  snaplen?: number;
}

/** LINKTYPE_ETHERNET, for convenience. */
export const LINKTYPE_ETHERNET = 1;

/** Splits float seconds into integer seconds and a fraction in `unitsPerSecond` units, without float error. */
function splitTs(ts: number, unitsPerSecond: number): { sec: number; frac: number } {
  let sec = Math.floor(ts);
  let frac = Math.round((ts - sec) * unitsPerSecond);
  if (frac >= unitsPerSecond) {
    sec += 1;
    frac -= unitsPerSecond;
  }
  return { sec, frac };
}

/** A classic pcap file as a Buffer. */
export function pcapBuffer(packets: readonly PcapPacket[], opts: PcapOptions): Buffer {
  const be = opts.bigEndian === true;
  const units = opts.nanosecond === true ? 1e9 : 1e6;
  const parts: Buffer[] = [];
  const hdr = Buffer.alloc(24);
  const w32 = (b: Buffer, v: number, o: number): void => {
    if (be) b.writeUInt32BE(v >>> 0, o);
    else b.writeUInt32LE(v >>> 0, o);
  };
  w32(hdr, opts.nanosecond === true ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  if (be) {
    hdr.writeUInt16BE(2, 4);
    hdr.writeUInt16BE(4, 6);
  } else {
    hdr.writeUInt16LE(2, 4);
    hdr.writeUInt16LE(4, 6);
  }
  // thiszone (8) and sigfigs (12) stay 0, as every modern writer leaves them.
  w32(hdr, opts.snaplen ?? 262144, 16);
  w32(hdr, opts.linkType, 20);
  parts.push(hdr);
  for (const p of packets) {
    const rec = Buffer.alloc(16);
    const { sec, frac } = splitTs(p.ts, units);
    w32(rec, sec, 0);
    w32(rec, frac, 4);
    w32(rec, p.data.length, 8);
    w32(rec, p.origLen ?? p.data.length, 12);
    parts.push(rec, p.data);
  }
  return Buffer.concat(parts);
}

export function writePcap(path: string, packets: readonly PcapPacket[], opts: PcapOptions): void {
  writeFileSync(path, pcapBuffer(packets, opts));
}

export interface PcapngInterface {
  linkType: number;
  /** IDB snaplen; default 0 (no limit). Also caps the captured length of SPBs. */
  snaplen?: number;
  /**
   * Raw if_tsresol option byte: n means 10^-n s, 0x80 | n means 2^-n s. Omitted: no option
   * (the default resolution, microseconds).
   */
  tsresol?: number;
  /** if_tsoffset option, whole seconds added to the interface's timestamps. Omitted: no option. */
  tsoffset?: number;
}

export type PcapngBlock =
  /**
   * Packet blocks. epb: Enhanced Packet Block (type 6); opb: obsolete Packet Block (type 2);
   * spb: Simple Packet Block (type 3; no interface, no timestamp: the reader infers the captured
   * length as min(origLen, snaplen of interface 0), so data should have exactly that length).
   * iface defaults to 0, ts to 0, origLen to data.length.
   */
  | { kind: 'epb' | 'spb' | 'opb'; iface?: number; data: Buffer; ts?: number; origLen?: number }
  /** Any other block, written as type + length + body (padded to 4 bytes) + length. */
  | { kind: 'unknown'; type: number; body: Buffer };

export interface PcapngSection {
  /** Big-endian section; default little-endian. */
  bigEndian?: boolean;
  /** IDBs, written right after the SHB in this order (interface ids 0, 1, ...). */
  interfaces: PcapngInterface[];
  blocks: PcapngBlock[];
}

/** Units per second of an if_tsresol byte, as a BigInt (the timestamp is a 64-bit count of units). */
function tsUnits(tsresol: number | undefined): bigint {
  if (tsresol === undefined) return 1000000n;
  return tsresol & 0x80 ? 1n << BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol);
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** A pcapng file as a Buffer. */
export function pcapngBuffer(sections: readonly PcapngSection[]): Buffer {
  const parts: Buffer[] = [];
  for (const s of sections) {
    const be = s.bigEndian === true;
    const w32 = (b: Buffer, v: number, o: number): void => {
      if (be) b.writeUInt32BE(v >>> 0, o);
      else b.writeUInt32LE(v >>> 0, o);
    };
    const w16 = (b: Buffer, v: number, o: number): void => {
      if (be) b.writeUInt16BE(v, o);
      else b.writeUInt16LE(v, o);
    };
    /** Writes one block: type, total length, body (zero-padded to 4), total length again. */
    const block = (type: number, body: Buffer): void => {
      const total = 12 + pad4(body.length);
      const b = Buffer.alloc(total);
      w32(b, type, 0);
      w32(b, total, 4);
      body.copy(b, 8);
      w32(b, total, total - 4);
      parts.push(b);
    };
    const shb = Buffer.alloc(16);
    w32(shb, 0x1a2b3c4d, 0);
    w16(shb, 1, 4);
    w16(shb, 0, 6);
    shb.writeInt32LE(-1, 8); // section length -1: unspecified (same bytes in both orders)
    shb.writeInt32LE(-1, 12);
    block(0x0a0d0d0a, shb);

    for (const i of s.interfaces) {
      const opts: Buffer[] = [];
      if (i.tsresol !== undefined) {
        const o = Buffer.alloc(8);
        w16(o, 9, 0);
        w16(o, 1, 2);
        o[4] = i.tsresol;
        opts.push(o);
      }
      if (i.tsoffset !== undefined) {
        const o = Buffer.alloc(12);
        w16(o, 14, 0);
        w16(o, 8, 2);
        if (be) o.writeBigInt64BE(BigInt(i.tsoffset), 4);
        else o.writeBigInt64LE(BigInt(i.tsoffset), 4);
        opts.push(o);
      }
      if (opts.length > 0) opts.push(Buffer.alloc(4)); // opt_endofopt
      const idb = Buffer.alloc(8);
      w16(idb, i.linkType, 0);
      w32(idb, i.snaplen ?? 0, 4);
      block(1, Buffer.concat([idb, ...opts]));
    }

    for (const blk of s.blocks) {
      if (blk.kind === 'unknown') {
        block(blk.type, blk.body);
        continue;
      }
      const origLen = blk.origLen ?? blk.data.length;
      if (blk.kind === 'spb') {
        const h = Buffer.alloc(4);
        w32(h, origLen, 0);
        block(3, Buffer.concat([h, blk.data]));
        continue;
      }
      const ifaceId = blk.iface ?? 0;
      const iface = s.interfaces[ifaceId];
      // Timestamp in interface units: integer seconds and rounded fraction, then exact 64-bit math.
      const units = tsUnits(iface?.tsresol);
      const rel = (blk.ts ?? 0) - (iface?.tsoffset ?? 0);
      const sec = Math.floor(rel);
      let frac = BigInt(Math.round((rel - sec) * Number(units)));
      if (frac > units) frac = units;
      const t = BigInt(sec) * units + frac;
      const h = Buffer.alloc(20);
      if (blk.kind === 'epb') {
        w32(h, ifaceId, 0);
      } else {
        w16(h, ifaceId, 0);
        w16(h, 0, 2); // drops_count
      }
      w32(h, Number(t >> 32n), 4);
      w32(h, Number(t & 0xffffffffn), 8);
      w32(h, blk.data.length, 12);
      w32(h, origLen, 16);
      block(blk.kind === 'epb' ? 6 : 2, Buffer.concat([h, blk.data]));
    }
  }
  return Buffer.concat(parts);
}

export function writePcapng(path: string, sections: readonly PcapngSection[]): void {
  writeFileSync(path, pcapngBuffer(sections));
}
