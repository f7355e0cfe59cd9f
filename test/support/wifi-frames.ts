/**
 * IEEE 802.11 frames for tests (link types 105, 127 radiotap and 192 PPI): data frames carrying a
 * network-layer packet after LLC/SNAP, and the frames that carry none (beacons, null data,
 * protected ones).
 */
import { macBytes } from './frames';

export const LT_80211 = { IEEE802_11: 105, RADIOTAP: 127, PPI: 192 } as const;

export interface DataFrameOptions {
  /** 4-address frame (to and from the DS). */
  wds?: boolean;
  /** QoS data subtype (2-byte QoS control). */
  qos?: boolean;
  /** Order bit with QoS: 4-byte HT control. */
  ht?: boolean;
  /** Protected (encrypted) body. */
  protect?: boolean;
  /** Pad the MAC header to 4 bytes (radiotap DATAPAD). */
  pad?: boolean;
  /** 802.1H bridge tunnel OUI (00 00 f8) instead of RFC 1042's. */
  bridgeTunnel?: boolean;
  /** Fragment number in the sequence control field. */
  fragment?: number;
  moreFragments?: boolean;
  /** Sequence number (Wireshark reassembles fragments by addresses and sequence number). */
  seq?: number;
  /** A-MSDU present bit in the QoS control. */
  amsdu?: boolean;
}

/** An 802.11 data frame: MAC header, LLC/SNAP with `etherType`, then `payload`. */
export function wifiData(etherType: number, payload: Buffer, o: DataFrameOptions = {}): Buffer {
  let hlen = o.wds ? 30 : 24;
  const qosAt = hlen;
  if (o.qos) hlen += o.ht ? 6 : 2;
  const padded = o.pad ? (hlen + 3) & ~3 : hlen;
  const h = Buffer.alloc(padded);
  h[0] = (2 << 2) | ((o.qos ? 8 : 0) << 4);
  h[1] = (o.wds ? 0x03 : 0x01) | (o.protect ? 0x40 : 0) | (o.qos && o.ht ? 0x80 : 0) | (o.moreFragments ? 0x04 : 0);
  h.writeUInt16LE(44, 2); // duration
  macBytes('02:00:00:00:0a:01').copy(h, 4);
  macBytes('02:00:00:00:0a:02').copy(h, 10);
  macBytes('02:00:00:00:0a:03').copy(h, 16);
  h.writeUInt16LE((((o.seq ?? 123) & 0xfff) << 4) | (o.fragment ?? 0), 22);
  if (o.wds) macBytes('02:00:00:00:0a:04').copy(h, 24);
  if (o.qos) h[qosAt] = 5 | (o.amsdu ? 0x80 : 0);
  const llc = Buffer.from([0xaa, 0xaa, 0x03, 0, 0, o.bridgeTunnel ? 0xf8 : 0, etherType >> 8, etherType & 0xff]);
  return Buffer.concat([h, llc, payload]);
}

/** A beacon (management frame) and a null data frame: no network layer. */
export function wifiBeacon(): Buffer {
  const h = Buffer.alloc(24 + 12);
  h[0] = 0x80;
  macBytes('ff:ff:ff:ff:ff:ff').copy(h, 4);
  return Buffer.concat([h, Buffer.from([0, 4, 0x74, 0x65, 0x73, 0x74])]);
}

export function wifiNull(): Buffer {
  const h = Buffer.alloc(24);
  h[0] = 0x48; // type data, subtype null
  h[1] = 0x11;
  return h;
}

/**
 * A radiotap header before `frame`: with `tsft` the TSFT field (8 bytes, 8-aligned), the Flags field
 * (FCS when `fcs`: 4 bytes are appended after the frame; DATAPAD with `pad`), a rate byte, and
 * `extraBitmaps` more present words (bit 31 chaining them).
 */
export function radiotap(frame: Buffer, o: { tsft?: boolean; fcs?: boolean; pad?: boolean; extraBitmaps?: number } = {}): Buffer {
  const words = 1 + (o.extraBitmaps ?? 0);
  const present: number[] = [];
  for (let i = 0; i < words; i++) present.push(i + 1 < words ? 0x80000000 : 0);
  present[0] = (present[0]! | (o.tsft ? 0x01 : 0) | 0x02 | 0x04) >>> 0;
  let off = 4 + 4 * words;
  const fields: Array<[number, Buffer]> = [];
  if (o.tsft) {
    off = (off + 7) & ~7;
    fields.push([off, Buffer.alloc(8, 0x11)]);
    off += 8;
  }
  fields.push([off, Buffer.from([(o.fcs ? 0x10 : 0) | (o.pad ? 0x20 : 0)])]);
  off += 1;
  fields.push([off, Buffer.from([0x0c])]); // rate 6 Mb/s
  off += 1;
  const h = Buffer.alloc(off);
  h.writeUInt16LE(off, 2);
  present.forEach((w, i) => h.writeUInt32LE(w, 4 + 4 * i));
  for (const [at, b] of fields) b.copy(h, at);
  return Buffer.concat([h, frame, o.fcs ? Buffer.from([0xde, 0xad, 0xbe, 0xef]) : Buffer.alloc(0)]);
}

/** A PPI header naming link type 105 with one 802.11-Common field (FCS flag when `fcs`: 4 bytes appended). */
export function ppi(frame: Buffer, o: { fcs?: boolean } = {}): Buffer {
  const common = Buffer.alloc(4 + 20);
  common.writeUInt16LE(2, 0);
  common.writeUInt16LE(20, 2);
  common.writeUInt16LE(o.fcs ? 1 : 0, 4 + 8);
  common.writeUInt16LE(2437, 4 + 12); // channel frequency
  const h = Buffer.alloc(8);
  h.writeUInt16LE(8 + common.length, 2);
  h.writeUInt32LE(105, 4);
  return Buffer.concat([h, common, frame, o.fcs ? Buffer.from([0xde, 0xad, 0xbe, 0xef]) : Buffer.alloc(0)]);
}
