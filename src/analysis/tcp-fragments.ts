import { decodeLink } from '../decode/decode-frame';
import { DECODE_OK } from '../decode/decode-layer';
import { LinkType } from '../decode/link-types';
import { DecodedPacket } from '../decode/packet';
import { IpReassembly } from './ip-reassembly';
import type { ReassemblyOwner } from './ip-reassembly';

/**
 * TCP segments carried in IP fragments, put together for the TCP analysis. Wireshark reassembles
 * IP fragments and analyses the TCP segment once, in the frame that completes it (ip-reassembly.ts
 * decides when), so: every fragment of a TCP datagram is followed, the bytes of its first 60
 * (the TCP header, options included) are kept as they pass, and when the datagram is complete
 * add() makes `segment` the packet the analyser reads: the TCP header after a plain IP header
 * whose length says the datagram's, the endpoints of the fragments, the time of the one completing
 * it. No payload is kept. A fragment repeating bytes already received does not change them.
 * Bounded by `capacity` datagrams at once (oldest dropped first), each 30 s at most, and MAX_RANGES holes.
 */

/** DnsRingTable state of a datagram whose fragments are TCP (all of them say so). */
const TCP = 2;
/** The longest TCP header (data offset 15). */
const HEADER = 60;
/**
 * Holes a datagram's fragments may leave at once: evasion tools send a segment as 8-byte fragments
 * in random order (a 1 400-byte one as 175 of them leaves ~45 holes at worst on average); 1 KiB per slot.
 */
const MAX_RANGES = 128;

/** Told of each TCP datagram given up incomplete (a fragment missing, too old, or pushed out). */
export interface TcpFragmentLossSink {
  /** Its first fragment seen came on interface ifIndex. */
  tcpFragmentsIncomplete(ifIndex: number): void;
}

export class TcpFragments implements ReassemblyOwner {
  /** After add() returned true: the reassembled segment (addrs, ports, flags, offsets, ts, ifIndex). */
  readonly segment = new DecodedPacket();
  /** The bytes `segment` is decoded from: a plain IP header, then the TCP header. */
  readonly frame = Buffer.alloc(40 + HEADER);
  private readonly reassembly: IpReassembly;
  private readonly loss: TcpFragmentLossSink;
  /** Bytes 0..59 of each datagram as received, and which (two 30-bit masks per slot). */
  private header = new Uint8Array(0);
  private have = new Int32Array(0);

  constructor(capacity: number, loss: TcpFragmentLossSink) {
    this.reassembly = new IpReassembly(capacity, this, MAX_RANGES);
    this.loss = loss;
  }

  /**
   * One IP fragment (not an IPv6 atomic one) of a TCP datagram, captured whole or by netmon's own
   * snap length. True when it completes a datagram whose TCP header was captured: `segment` is it.
   */
  add(ifIndex: number, buf: Buffer, pkt: DecodedPacket): boolean {
    const r = this.reassembly;
    const s = r.slot(ifIndex, buf, pkt);
    if (s < 0) return false;
    if (this.header.length === 0) {
      this.header = new Uint8Array(r.table.capacity * HEADER);
      this.have = new Int32Array(r.table.capacity * 2);
    }
    const t = r.table.state;
    if (t[s] !== TCP) {
      t[s] = TCP;
      this.have[2 * s] = 0;
      this.have[2 * s + 1] = 0;
    }
    const off = pkt.fragOffset;
    if (off < HEADER) this.keep(s, buf, r.start, Math.min(r.length, HEADER - off, pkt.capEnd - r.start), off);
    if (!r.add(s, pkt)) return false;
    const total = r.datagramLength(s);
    const ok = this.build(s, total, pkt);
    r.release(s);
    return ok;
  }

  /** Gives up the datagrams whose first fragment came 30 s or more before `now`. */
  advance(now: number): void {
    this.reassembly.advance(now);
  }

  /** An incomplete segment is not analysed (by Wireshark either), only counted. */
  droppedIncomplete(s: number): void {
    this.loss.tcpFragmentsIncomplete(this.reassembly.iface[s]!);
  }

  /** Keeps the `n` bytes at buf[from] as bytes `off`... of datagram s, where not received before. */
  private keep(s: number, buf: Buffer, from: number, n: number, off: number): void {
    const h = this.header;
    const base = s * HEADER;
    for (let i = 0; i < n; i++) {
      const d = off + i;
      const w = 2 * s + (d < 30 ? 0 : 1);
      const bit = 1 << (d < 30 ? d : d - 30);
      if ((this.have[w]! & bit) !== 0) continue;
      this.have[w]! |= bit;
      h[base + d] = buf[from + i]!;
    }
  }

  /** Whether bytes [0, n) of datagram s were received. */
  private received(s: number, n: number): boolean {
    const lo = this.have[2 * s]!;
    const hi = this.have[2 * s + 1]!;
    const loWant = n >= 30 ? 0x3fffffff : (1 << n) - 1;
    const hiWant = n <= 30 ? 0 : (1 << (n - 30)) - 1;
    return (lo & loWant) === loWant && (hi & hiWant) === hiWant;
  }

  /** Decodes complete datagram s (`total` bytes) into `segment`, with the endpoints and time of `pkt`. */
  private build(s: number, total: number, pkt: DecodedPacket): boolean {
    if (!this.received(s, 20)) return false;
    const h = this.header;
    const base = s * HEADER;
    const hl = (h[base + 12]! >>> 4) << 2;
    if (hl < 20 || hl > total || !this.received(s, hl)) return false;
    const f = this.frame;
    const v4 = pkt.ipVersion === 4;
    const ipLen = v4 ? 20 : 40;
    if (v4 && ipLen + total > 0xffff) return false;
    f.fill(0, 0, ipLen);
    if (v4) {
      f[0] = 0x45;
      f.writeUInt16BE(ipLen + total, 2);
      f[9] = 6;
    } else {
      f[0] = 0x60;
      f.writeUInt16BE(total, 4);
      f[6] = 6;
    }
    for (let i = 0; i < hl; i++) f[ipLen + i] = h[base + i]!;
    const seg = this.segment;
    seg.wireLen = ipLen + total;
    if (decodeLink(f, 0, ipLen + hl, LinkType.RAW, seg) !== DECODE_OK || seg.l4Offset < 0) return false;
    // The endpoints the fragments' headers gave (a source route's end, a home address...).
    seg.addrs.set(pkt.addrs);
    seg.ts = pkt.ts;
    seg.ifIndex = pkt.ifIndex;
    seg.vlanId = pkt.vlanId;
    return true;
  }
}
