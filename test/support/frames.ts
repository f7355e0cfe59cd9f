/**
 * Builders of valid (or deliberately malformed, via override fields) frames for tests.
 *
 * Every builder returns a fresh Buffer: link builders take the network-layer bytes as payload,
 * network builders take the transport bytes, transport builders take application bytes. Compose:
 *
 *   ethernet({ etherType: 0x0800 }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6 },
 *     tcp({ sport: 1234, dport: 80, flags: 0x02 })))
 *
 * ipv4() and ipv6() fill in the TCP/UDP/ICMPv6 checksum of an unfragmented payload (pseudo-header,
 * RFC 793 / RFC 768 / RFC 8200 section 8.1) when the payload's checksum field is still zero, so the
 * frames look real to tshark. sctp() computes its CRC32c (RFC 9260 appendix A), icmp() its checksum.
 */

/** pcap LINKTYPE_* values used by the builders and tests (https://www.tcpdump.org/linktypes.html). */
export const LT = {
  NULL: 0,
  ETHERNET: 1,
  RAW_12: 12,
  RAW_14: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
  PPP: 9,
  PPP_HDLC: 50,
  PPP_ETHER: 51,
  C_HDLC: 104,
  NFLOG: 239,
  FDDI: 10,
  ARCNET_BSD: 7,
  ARCNET_LINUX: 129,
  IPOIB: 242,
} as const;

/** Common EtherTypes. */
export const ETH = {
  IPV4: 0x0800, ARP: 0x0806, VLAN: 0x8100, QINQ: 0x88a8, QINQ_OLD: 0x9100, IPV6: 0x86dd, PPPOE_SESSION: 0x8864, MPLS: 0x8847, MPLS_MULTICAST: 0x8848,
} as const;

/** IP protocol numbers. */
export const PROTO = {
  HOPOPT: 0, ICMP: 1, TCP: 6, UDP: 17, ROUTING: 43, FRAGMENT: 44, ESP: 50, AH: 51, ICMPV6: 58,
  NONE: 59, DSTOPTS: 60, SCTP: 132, MOBILITY: 135,
} as const;

/** TCP flag bits. */
export const TCP_FLAGS = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;

// ---------------------------------------------------------------------------------------------
// Address helpers

/** Parses a dotted-quad IPv4 address into 4 bytes. */
export function ipv4Bytes(ip: string): Buffer {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new Error(`bad IPv4 address: ${ip}`);
  const b = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    const n = Number(parts[i]);
    if (!Number.isInteger(n) || n < 0 || n > 255) throw new Error(`bad IPv4 address: ${ip}`);
    b[i] = n;
  }
  return b;
}

/** Parses an IPv6 address (with `::` compression and an optional dotted-quad tail) into 16 bytes. */
export function ipv6Bytes(ip: string): Buffer {
  const b = Buffer.alloc(16);
  let s = ip;
  const tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.', lastColon) >= 0) {
    const v4 = ipv4Bytes(s.slice(lastColon + 1));
    tail.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
    // Drop the dotted quad: its two groups come from `tail`.
    s = ip.slice(0, lastColon + 1);
    if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) throw new Error(`bad IPv6 address: ${ip}`);
  const parse = (h: string): number[] => (h === '' ? [] : h.split(':').map((g) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new Error(`bad IPv6 address: ${ip}`);
    return parseInt(g, 16);
  }));
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  const groups = halves.length === 2 ? rest.concat(tail) : head.concat(tail);
  const headGroups = halves.length === 2 ? head : [];
  const total = headGroups.length + groups.length;
  if (halves.length === 2 ? total > 7 : total !== 8) throw new Error(`bad IPv6 address: ${ip}`);
  const all = halves.length === 2
    ? headGroups.concat(new Array<number>(8 - total).fill(0), groups)
    : groups;
  for (let i = 0; i < 8; i++) b.writeUInt16BE(all[i], i * 2);
  return b;
}

/** Parses an IPv4 or IPv6 address (chosen by the presence of ':'). */
export function ipBytes(ip: string): Buffer {
  return ip.includes(':') ? ipv6Bytes(ip) : ipv4Bytes(ip);
}

/**
 * Address as the 4 big-endian 32-bit words DecodedPacket.addrs uses for one side
 * (IPv4: [addr, 0, 0, 0]); compare with `Array.from(p.addrs.subarray(0, 4))` or `(4, 8)`.
 */
export function ipToWords(ip: string): number[] {
  const b = ipBytes(ip);
  const w = [0, 0, 0, 0];
  for (let i = 0; i < b.length / 4; i++) w[i] = b.readUInt32BE(i * 4);
  return w;
}

/** Parses a MAC address "aa:bb:cc:dd:ee:ff" (or '-' separated) into 6 bytes. */
export function macBytes(mac: string): Buffer {
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6) throw new Error(`bad MAC address: ${mac}`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

// ---------------------------------------------------------------------------------------------
// Checksums

/** RFC 1071 Internet checksum of the concatenation of `bufs` (ones' complement of the ones' complement sum). */
export function inetChecksum(...bufs: Buffer[]): number {
  let sum = 0;
  let odd = -1; // pending high byte when a buffer has an odd length
  for (const b of bufs) {
    for (let i = 0; i < b.length; i++) {
      if (odd < 0) odd = b[i];
      else { sum += (odd << 8) | b[i]; odd = -1; }
    }
  }
  if (odd >= 0) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

let crc32cTable: Uint32Array | undefined;
/** CRC32c (Castagnoli) as used by SCTP (RFC 9260 appendix A); returns the value as an unsigned int. */
export function crc32c(b: Buffer): number {
  if (!crc32cTable) {
    crc32cTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
      crc32cTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < b.length; i++) crc = crc32cTable[(crc ^ b[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Fills the TCP/UDP/ICMPv6 checksum of `l4` in place if it is still zero and the header is whole. */
function fixL4Checksum(proto: number, l4: Buffer, pseudo: Buffer): void {
  const at = proto === 6 ? 16 : proto === 17 ? 6 : proto === 58 ? 2 : -1;
  if (at < 0 || l4.length < at + 2 || l4.readUInt16BE(at) !== 0) return;
  if (proto === 6 && l4.length < 20) return;
  if (proto === 17 && l4.length < 8) return;
  let c = inetChecksum(pseudo, l4);
  if (proto === 17 && c === 0) c = 0xffff; // RFC 768: a computed zero is sent as all ones
  l4.writeUInt16BE(c, at);
}

// ---------------------------------------------------------------------------------------------
// Link layer

/** One 802.1Q / 802.1ad tag; tpid defaults to 0x8100. */
export interface VlanTag { tpid?: number; vid: number; pcp?: number; dei?: boolean }

/** Ethernet II frame; `vlans` outermost first; `pad` pads to the 60-byte minimum like a real NIC. */
export function ethernet(
  o: { etherType: number; vlans?: VlanTag[]; src?: string; dst?: string; pad?: boolean },
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  const vlans = o.vlans ?? [];
  const hdr = Buffer.alloc(14 + 4 * vlans.length);
  macBytes(o.dst ?? '02:00:00:00:00:02').copy(hdr, 0);
  macBytes(o.src ?? '02:00:00:00:00:01').copy(hdr, 6);
  let p = 12;
  for (const v of vlans) {
    hdr.writeUInt16BE(v.tpid ?? 0x8100, p);
    hdr.writeUInt16BE(((v.pcp ?? 0) << 13) | (v.dei ? 0x1000 : 0) | (v.vid & 0xfff), p + 2);
    p += 4;
  }
  hdr.writeUInt16BE(o.etherType, p);
  const f = Buffer.concat([hdr, payload]);
  return o.pad && f.length < 60 ? Buffer.concat([f, Buffer.alloc(60 - f.length)]) : f;
}

/**
 * PPPoE session header (RFC 2516: ver/type 0x11, code 0, session id, length) and PPP protocol field
 * (0x0021 IPv4, 0x0057 IPv6, 0xc021 LCP...; `compressed` writes a 1-byte field) before `payload`.
 */
export function pppoeSession(o: { protocol: number; session?: number; compressed?: boolean }, payload: Buffer = Buffer.alloc(0)): Buffer {
  const proto = o.compressed ? Buffer.from([o.protocol & 0xff]) : Buffer.from([o.protocol >> 8, o.protocol & 0xff]);
  const h = Buffer.alloc(6);
  h[0] = 0x11;
  h.writeUInt16BE(o.session ?? 0x1234, 2);
  h.writeUInt16BE(proto.length + payload.length, 4);
  return Buffer.concat([h, proto, payload]);
}

/** An MPLS label stack (RFC 3032), outermost first; the last entry gets the bottom-of-stack bit. */
export function mplsStack(labels: number[], payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(4 * labels.length);
  labels.forEach((label, i) => h.writeUInt32BE((((label & 0xfffff) << 12) | (i === labels.length - 1 ? 0x100 : 0) | 64) >>> 0, 4 * i));
  return Buffer.concat([h, payload]);
}

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL 113) header: 16 bytes, protocol = EtherType. */
export function sll(
  o: { protocol: number; packetType?: number; arphrdType?: number; addr?: string },
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  const h = Buffer.alloc(16);
  const addr = macBytes(o.addr ?? '02:00:00:00:00:01');
  h.writeUInt16BE(o.packetType ?? 0, 0);
  h.writeUInt16BE(o.arphrdType ?? 1, 2);
  h.writeUInt16BE(addr.length, 4);
  addr.copy(h, 6);
  h.writeUInt16BE(o.protocol, 14);
  return Buffer.concat([h, payload]);
}

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2 276) header: 20 bytes, protocol = EtherType. */
export function sll2(
  o: { protocol: number; ifIndex?: number; packetType?: number; arphrdType?: number; addr?: string },
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  const h = Buffer.alloc(20);
  const addr = macBytes(o.addr ?? '02:00:00:00:00:01');
  h.writeUInt16BE(o.protocol, 0);
  h.writeUInt32BE(o.ifIndex ?? 1, 4);
  h.writeUInt16BE(o.arphrdType ?? 1, 8);
  h[10] = o.packetType ?? 0;
  h[11] = addr.length;
  addr.copy(h, 12);
  return Buffer.concat([h, payload]);
}

/**
 * BSD loopback header: 4-byte address family (AF_INET 2, AF_INET6 24/28/30). LINKTYPE_NULL uses the
 * capturing host's byte order (pass littleEndian = true for x86 captures); LINKTYPE_LOOP uses false.
 */
export function nullLoopback(af: number, payload: Buffer, littleEndian: boolean): Buffer {
  const h = Buffer.alloc(4);
  if (littleEndian) h.writeUInt32LE(af, 0);
  else h.writeUInt32BE(af, 0);
  return Buffer.concat([h, payload]);
}

/**
 * LINKTYPE_FDDI frame: frame control (default 0x54, asynchronous LLC), destination and source
 * addresses, then an LLC/SNAP header (RFC 1042: AA AA 03, OUI 000000) with the EtherType, unless
 * `llc` gives other LLC bytes.
 */
export function fddi(o: { fc?: number; etherType: number; llc?: Buffer }, payload: Buffer): Buffer {
  const h = Buffer.from([o.fc ?? 0x54, 0, 0x10, 0x20, 0x30, 0x40, 0x50, 0, 0x10, 0x20, 0x30, 0x40, 0x51]);
  const llc = o.llc ?? Buffer.from([0xaa, 0xaa, 0x03, 0, 0, 0, o.etherType >> 8, o.etherType & 255]);
  return Buffer.concat([h, llc, payload]);
}

/**
 * LINKTYPE_ARCNET_BSD / LINKTYPE_ARCNET_LINUX frame: source and destination ids, on Linux a 2-byte
 * offset, protocol id `id`, then, for RFC 1201 ids (not 0xf0/0xf1, 0x80, 0xcd), split flag and
 * sequence number; `exception` (BSD) writes an exception frame's header (split flag 0xff, padding,
 * the protocol id again) first.
 */
export function arcnet(o: { linux: boolean; id: number; exception?: boolean; seq?: number }, payload: Buffer): Buffer {
  const h = [0xbe, 0x00, ...(o.linux ? [0xed, 0x08] : []), o.id];
  if (o.id !== 0xf0 && o.id !== 0xf1 && o.id !== 0x80 && o.id !== 0xcd) {
    if (o.exception) h.push(0xff, 0xff, 0xff, o.id);
    h.push(0x00, (o.seq ?? 1) >> 8, (o.seq ?? 1) & 0xff);
  }
  return Buffer.concat([Buffer.from(h), payload]);
}

/**
 * LINKTYPE_IPOIB frame: the 40-byte pseudo header (zeros then the destination QPN and GID when
 * `grh` is false, else a Global Route Header), then the EtherType and 2 reserved bytes.
 */
export function ipoib(o: { etherType: number; grh?: boolean }, payload: Buffer): Buffer {
  const h = Buffer.alloc(44);
  if (o.grh) {
    h[0] = 0x60; // IP version 6 in the GRH
    h.writeUInt32BE(0x000551, 4);
    h[8] = 0xfe;
    h[9] = 0x80;
  }
  h.writeUInt32BE(0x80000550, 20);
  h[24] = 0xfe;
  h[25] = 0x80;
  h[39] = 0x51;
  h.writeUInt16BE(o.etherType, 40);
  return Buffer.concat([h, payload]);
}

/**
 * LINKTYPE_NFLOG frame (https://www.tcpdump.org/linktypes/LINKTYPE_NFLOG.html): header (family 2 or
 * 10, version 0, resource id), then TLVs, 16-bit length and type in the writer's byte order, padded
 * to 4 bytes: NFULA_PACKET_HDR (type 1: hardware protocol, hook) unless `hwProtocol` is undefined,
 * a prefix string (type 10), NFULA_PAYLOAD (type 9: the packet), then `after` more TLV types.
 */
export function nflog(o: { family: number; hwProtocol?: number; prefix?: string; littleEndian?: boolean; after?: number[] }, packet: Buffer): Buffer {
  const le = o.littleEndian !== false;
  const tlv = (type: number, value: Buffer): Buffer => {
    const h = Buffer.alloc(4);
    if (le) {
      h.writeUInt16LE(4 + value.length, 0);
      h.writeUInt16LE(type, 2);
    } else {
      h.writeUInt16BE(4 + value.length, 0);
      h.writeUInt16BE(type, 2);
    }
    return Buffer.concat([h, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
  };
  const parts: Buffer[] = [Buffer.from([o.family, 0, 0, 1])];
  if (o.hwProtocol !== undefined) parts.push(tlv(1, Buffer.from([o.hwProtocol >> 8, o.hwProtocol & 255, 3, 0])));
  if (o.prefix !== undefined) parts.push(tlv(10, Buffer.from(o.prefix + '\0', 'ascii')));
  parts.push(tlv(9, packet));
  for (const t of o.after ?? []) parts.push(tlv(t, Buffer.alloc(4, 7)));
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------
// Network layer

/** Ethernet/IPv4 ARP body (RFC 826), 28 bytes; op 1 request, 2 reply. */
export function arp(o: { op: number; senderIp: string; targetIp: string; senderMac?: string; targetMac?: string }): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16BE(1, 0); // hardware type Ethernet
  b.writeUInt16BE(0x0800, 2);
  b[4] = 6;
  b[5] = 4;
  b.writeUInt16BE(o.op, 6);
  macBytes(o.senderMac ?? '02:00:00:00:00:01').copy(b, 8);
  ipv4Bytes(o.senderIp).copy(b, 14);
  macBytes(o.targetMac ?? '00:00:00:00:00:00').copy(b, 18);
  ipv4Bytes(o.targetIp).copy(b, 24);
  return b;
}

/**
 * IPv4 packet (RFC 791) with correct header checksum and total length. `fragOffset` is in bytes
 * (multiple of 8). `ihl`, `totalLength`, `version`, `checksum` override computed values for malformed tests.
 */
export function ipv4(
  o: {
    src: string; dst: string; proto: number; ttl?: number; id?: number; df?: boolean; mf?: boolean;
    fragOffset?: number; options?: Buffer; tos?: number;
    ihl?: number; totalLength?: number; version?: number; checksum?: number; l4Checksum?: boolean;
  },
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  const opts = o.options ?? Buffer.alloc(0);
  const optLen = (opts.length + 3) & ~3;
  const hlen = 20 + optLen;
  const h = Buffer.alloc(hlen);
  h[0] = ((o.version ?? 4) << 4) | ((o.ihl ?? hlen / 4) & 0xf);
  h[1] = o.tos ?? 0;
  h.writeUInt16BE(o.totalLength ?? (hlen + payload.length) & 0xffff, 2);
  h.writeUInt16BE(o.id ?? 0, 4);
  const fo = o.fragOffset ?? 0;
  if (fo % 8 !== 0) throw new Error('fragOffset must be a multiple of 8');
  h.writeUInt16BE((o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | ((fo / 8) & 0x1fff), 6);
  h[8] = o.ttl ?? 64;
  h[9] = o.proto;
  ipv4Bytes(o.src).copy(h, 12);
  ipv4Bytes(o.dst).copy(h, 16);
  opts.copy(h, 20);
  h.writeUInt16BE(o.checksum ?? inetChecksum(h), 10);
  const l4 = Buffer.from(payload);
  if (o.l4Checksum !== false && !o.mf && fo === 0) {
    const pseudo = Buffer.alloc(12);
    h.copy(pseudo, 0, 12, 20);
    pseudo[9] = o.proto;
    pseudo.writeUInt16BE(l4.length & 0xffff, 10);
    fixL4Checksum(o.proto, l4, pseudo);
  }
  return Buffer.concat([h, l4]);
}

/** IPv6 extension header; next-header fields are chained automatically. */
export type Ipv6Ext =
  /** Hop-by-hop (0) / destination options (60); `options` are padded to 8 bytes with PadN. */
  | { type: 0 | 60; options?: Buffer; hdrExtLen?: number }
  /** Routing header (RFC 8200 4.4); `data` follows the 4 type-specific bytes. */
  | { type: 43; routingType?: number; segmentsLeft?: number; data?: Buffer; hdrExtLen?: number }
  /** Fragment header (RFC 8200 4.5): `offset` in bytes (multiple of 8). */
  | { type: 44; offset?: number; more?: boolean; id?: number }
  /** Authentication header (RFC 4302): (len + 2) * 4 bytes; `icv` defaults to 12 bytes. */
  | { type: 51; spi?: number; seq?: number; icv?: Buffer; payloadLen?: number }
  /** Mobility header (RFC 6275 6.1); its payload proto should be 59. */
  | { type: 135; mhType?: number; data?: Buffer; hdrExtLen?: number };

/** Pads a generic extension header to a multiple of 8 bytes with Pad1/PadN options (RFC 8200 4.2). */
function padOptions(body: Buffer): Buffer {
  const total = (2 + body.length + 7) & ~7;
  const pad = total - 2 - body.length;
  const b = Buffer.alloc(total);
  body.copy(b, 2);
  if (pad === 1) b[2 + body.length] = 0; // Pad1
  else if (pad >= 2) { b[2 + body.length] = 1; b[3 + body.length] = pad - 2; } // PadN
  return b;
}

/** Serializes one extension header with next header `nh`. */
function ipv6ExtBytes(e: Ipv6Ext, nh: number): Buffer {
  let b: Buffer;
  switch (e.type) {
    case 0:
    case 60:
      b = padOptions(e.options ?? Buffer.alloc(0));
      b[1] = e.hdrExtLen ?? b.length / 8 - 1;
      break;
    case 43: {
      const data = e.data ?? Buffer.alloc(0);
      b = Buffer.alloc((8 + data.length + 7) & ~7);
      b[2] = e.routingType ?? 0;
      b[3] = e.segmentsLeft ?? 0;
      data.copy(b, 8);
      b[1] = e.hdrExtLen ?? b.length / 8 - 1;
      break;
    }
    case 44: {
      b = Buffer.alloc(8);
      const off = e.offset ?? 0;
      if (off % 8 !== 0) throw new Error('fragment offset must be a multiple of 8');
      b.writeUInt16BE(((off / 8) << 3) | (e.more ? 1 : 0), 2);
      b.writeUInt32BE((e.id ?? 0) >>> 0, 4);
      break;
    }
    case 51: {
      const icv = e.icv ?? Buffer.alloc(12);
      b = Buffer.alloc(12 + icv.length);
      b[1] = e.payloadLen ?? b.length / 4 - 2;
      b.writeUInt32BE((e.spi ?? 0x100) >>> 0, 4);
      b.writeUInt32BE((e.seq ?? 1) >>> 0, 8);
      icv.copy(b, 12);
      break;
    }
    case 135: {
      const data = e.data ?? Buffer.alloc(0);
      b = Buffer.alloc((6 + data.length + 7) & ~7);
      b[2] = e.mhType ?? 0;
      data.copy(b, 6);
      b[1] = e.hdrExtLen ?? b.length / 8 - 1;
      break;
    }
  }
  b[0] = nh;
  return b;
}

/**
 * IPv6 packet (RFC 8200). `nextHeader` is the protocol after the extension chain `ext` (in order).
 * `payloadLength`, `version` override computed values for malformed tests.
 */
export function ipv6(
  o: {
    src: string; dst: string; nextHeader: number; hopLimit?: number; ext?: Ipv6Ext[];
    trafficClass?: number; flowLabel?: number; payloadLength?: number; version?: number; l4Checksum?: boolean;
  },
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  const ext = o.ext ?? [];
  const extBufs: Buffer[] = [];
  for (let i = 0; i < ext.length; i++) {
    extBufs.push(ipv6ExtBytes(ext[i], i + 1 < ext.length ? ext[i + 1].type : o.nextHeader));
  }
  const extLen = extBufs.reduce((n, b) => n + b.length, 0);
  const h = Buffer.alloc(40);
  h.writeUInt32BE((((o.version ?? 6) << 28) | ((o.trafficClass ?? 0) << 20) | ((o.flowLabel ?? 0) & 0xfffff)) >>> 0, 0);
  h.writeUInt16BE(o.payloadLength ?? (extLen + payload.length) & 0xffff, 4);
  h[6] = ext.length > 0 ? ext[0].type : o.nextHeader;
  h[7] = o.hopLimit ?? 64;
  ipv6Bytes(o.src).copy(h, 8);
  ipv6Bytes(o.dst).copy(h, 24);
  const l4 = Buffer.from(payload);
  if (o.l4Checksum !== false && !ext.some((e) => e.type === 44)) {
    const pseudo = Buffer.alloc(40);
    h.copy(pseudo, 0, 8, 40);
    pseudo.writeUInt32BE(l4.length, 32);
    pseudo[39] = o.nextHeader;
    fixL4Checksum(o.nextHeader, l4, pseudo);
  }
  return Buffer.concat([h, ...extBufs, l4]);
}

// ---------------------------------------------------------------------------------------------
// Transport layer

/** TCP segment (RFC 9293); options padded to 4 bytes; `dataOffset` overrides the computed one (in words). */
export function tcp(
  o: { sport: number; dport: number; flags: number; seq?: number; ack?: number; window?: number; options?: Buffer; dataOffset?: number; urgent?: number },
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  const opts = o.options ?? Buffer.alloc(0);
  const hlen = 20 + ((opts.length + 3) & ~3);
  const h = Buffer.alloc(hlen);
  h.writeUInt16BE(o.sport, 0);
  h.writeUInt16BE(o.dport, 2);
  h.writeUInt32BE((o.seq ?? 0) >>> 0, 4);
  h.writeUInt32BE((o.ack ?? 0) >>> 0, 8);
  h[12] = ((o.dataOffset ?? hlen / 4) & 0xf) << 4;
  h[13] = o.flags & 0xff;
  h.writeUInt16BE(o.window ?? 65535, 14);
  h.writeUInt16BE(o.urgent ?? 0, 18);
  opts.copy(h, 20);
  return Buffer.concat([h, payload]);
}

/** UDP datagram (RFC 768); `length` overrides the computed length field. */
export function udp(o: { sport: number; dport: number; length?: number }, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(o.sport, 0);
  h.writeUInt16BE(o.dport, 2);
  h.writeUInt16BE(o.length ?? (8 + payload.length) & 0xffff, 4);
  return Buffer.concat([h, payload]);
}

/** SCTP packet (RFC 9260): 12-byte common header + `payload` (chunks), with CRC32c. */
export function sctp(o: { sport: number; dport: number; vtag?: number }, payload: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.concat([Buffer.alloc(12), payload]);
  b.writeUInt16BE(o.sport, 0);
  b.writeUInt16BE(o.dport, 2);
  b.writeUInt32BE((o.vtag ?? 0) >>> 0, 4);
  b.writeUInt32LE(crc32c(b), 8); // the CRC is stored least significant byte first (RFC 9260 appendix A)
  return b;
}

/** ICMP message (RFC 792) with checksum; `rest` is the 4 bytes after the checksum (number or Buffer). */
export function icmp(o: { type: number; code: number; rest?: number | Buffer }, payload: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.concat([Buffer.alloc(8), payload]);
  b[0] = o.type;
  b[1] = o.code;
  if (Buffer.isBuffer(o.rest)) o.rest.copy(b, 4, 0, 4);
  else b.writeUInt32BE((o.rest ?? 0) >>> 0, 4);
  b.writeUInt16BE(inetChecksum(b), 2);
  return b;
}

/** ICMPv6 message (RFC 4443); checksum is filled in by ipv6() (it needs the pseudo-header). */
export function icmpv6(o: { type: number; code: number; rest?: number | Buffer }, payload: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.concat([Buffer.alloc(8), payload]);
  b[0] = o.type;
  b[1] = o.code;
  if (Buffer.isBuffer(o.rest)) o.rest.copy(b, 4, 0, 4);
  else b.writeUInt32BE((o.rest ?? 0) >>> 0, 4);
  return b;
}

// ---------------------------------------------------------------------------------------------
// Shortcuts for the common cases

/** Ethernet/IPv4/TCP frame. */
export function ethIpv4Tcp(
  o: { src: string; dst: string; sport: number; dport: number; flags?: number; vlans?: VlanTag[] },
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  return ethernet({ etherType: ETH.IPV4, vlans: o.vlans },
    ipv4({ src: o.src, dst: o.dst, proto: PROTO.TCP }, tcp({ sport: o.sport, dport: o.dport, flags: o.flags ?? TCP_FLAGS.ACK }, payload)));
}

/** Ethernet/IPv4/UDP frame. */
export function ethIpv4Udp(
  o: { src: string; dst: string; sport: number; dport: number; vlans?: VlanTag[] },
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  return ethernet({ etherType: ETH.IPV4, vlans: o.vlans },
    ipv4({ src: o.src, dst: o.dst, proto: PROTO.UDP }, udp({ sport: o.sport, dport: o.dport }, payload)));
}

/** Ethernet/IPv6/TCP frame. */
export function ethIpv6Tcp(
  o: { src: string; dst: string; sport: number; dport: number; flags?: number; vlans?: VlanTag[] },
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  return ethernet({ etherType: ETH.IPV6, vlans: o.vlans },
    ipv6({ src: o.src, dst: o.dst, nextHeader: PROTO.TCP }, tcp({ sport: o.sport, dport: o.dport, flags: o.flags ?? TCP_FLAGS.ACK }, payload)));
}

/** Ethernet/IPv6/UDP frame. */
export function ethIpv6Udp(
  o: { src: string; dst: string; sport: number; dport: number; vlans?: VlanTag[] },
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  return ethernet({ etherType: ETH.IPV6, vlans: o.vlans },
    ipv6({ src: o.src, dst: o.dst, nextHeader: PROTO.UDP }, udp({ sport: o.sport, dport: o.dport }, payload)));
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness for generated tests

/** Seeded PRNG (mulberry32) returning floats in [0, 1); same seed, same sequence. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random IPv4 address text from a prng(). */
export function randomIpv4(rand: () => number): string {
  return [0, 1, 2, 3].map(() => Math.floor(rand() * 256)).join('.');
}

/** Random IPv6 address text (8 full groups) from a prng(). */
export function randomIpv6(rand: () => number): string {
  return Array.from({ length: 8 }, () => Math.floor(rand() * 65536).toString(16)).join(':');
}
