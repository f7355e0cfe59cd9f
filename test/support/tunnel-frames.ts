/**
 * Tunnel headers for tests: GRE (RFC 2784/2890, PPTP's version 1), ERSPAN II/III, VXLAN, Geneve
 * GTP-U, L2TP, Teredo, VXLAN-GPE and CAPWAP, and wrap(), which puts an Ethernet frame of generated traffic inside one of them.
 */
import { ETH, ethernet, ipv4, ipv6, PROTO, udp } from './frames';
import { wifiData } from './wifi-frames';

export const GRE_PROTO = { IPV4: 0x0800, IPV6: 0x86dd, TEB: 0x6558, MPLS: 0x8847, PPP: 0x880b, ERSPAN2: 0x88be, ERSPAN3: 0x22eb } as const;

/** A GRE header (version 0, or 1 for PPTP with key and optional acknowledgement) before `payload`. */
export function gre(o: { protocol: number; checksum?: boolean; key?: number; seq?: number; version?: 0 | 1; ack?: number }, payload: Buffer = Buffer.alloc(0)): Buffer {
  const words: number[] = [];
  let flags = o.version ?? 0;
  if (o.checksum) {
    flags |= 0x8000;
    words.push(0);
  }
  if (o.key !== undefined) {
    flags |= 0x2000;
    words.push(o.key);
  }
  if (o.seq !== undefined) {
    flags |= 0x1000;
    words.push(o.seq);
  }
  if (o.ack !== undefined) {
    flags |= 0x0080;
    words.push(o.ack);
  }
  const h = Buffer.alloc(4 + 4 * words.length);
  h.writeUInt16BE(flags, 0);
  h.writeUInt16BE(o.protocol, 2);
  words.forEach((w, i) => h.writeUInt32BE(w >>> 0, 4 + 4 * i));
  return Buffer.concat([h, payload]);
}

/** ERSPAN type II (8 bytes, version 1) or type III (12 bytes, version 2, `platform`: 8 more) before an Ethernet frame. */
export function erspan(type: 2 | 3, frame: Buffer, platform = false): Buffer {
  const h = Buffer.alloc(type === 2 ? 8 : platform ? 20 : 12);
  h[0] = (type === 2 ? 1 : 2) << 4;
  h[1] = 7; // VLAN 7
  h.writeUInt16BE(0x0123, 2); // session id
  if (type === 3 && platform) h[11] = 1;
  return Buffer.concat([h, frame]);
}

/** A VXLAN header (RFC 7348: I flag, 24-bit VNI) before an Ethernet frame. */
export function vxlan(vni: number, frame: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = 0x08;
  h.writeUInt32BE((vni << 8) >>> 0, 4);
  return Buffer.concat([h, frame]);
}

/** A Geneve header (RFC 8926) with `optionWords` 4-byte words of options before `payload` of EtherType `protocol`. */
export function geneve(o: { protocol: number; optionWords?: number; vni?: number }, payload: Buffer): Buffer {
  const n = o.optionWords ?? 0;
  const h = Buffer.alloc(8 + 4 * n);
  h[0] = n & 0x3f;
  h.writeUInt16BE(o.protocol, 2);
  h.writeUInt32BE(((o.vni ?? 1) << 8) >>> 0, 4);
  if (n > 0) {
    // One option: class 0x0103, type 1, length n - 1 words, filled with a pattern.
    h.writeUInt16BE(0x0103, 8);
    h[10] = 1;
    h[11] = (n - 1) & 0x1f;
    for (let i = 12; i < h.length; i++) h[i] = i & 0xff;
  }
  return Buffer.concat([h, payload]);
}

/** A GTP-U G-PDU header (version 1, PT 1) before an IP packet; `extension` adds a PDU session container. */
export function gtpu(o: { teid: number; extension?: boolean }, packet: Buffer): Buffer {
  const ext = o.extension ? Buffer.from([1, 0x10, 0x05, 0]) : Buffer.alloc(0); // one 4-byte extension, next type 0
  const opt = o.extension ? Buffer.from([0, 0, 0, 0x85]) : Buffer.alloc(0); // seq, N-PDU, next extension type 0x85
  const h = Buffer.alloc(8);
  h[0] = 0x30 | (o.extension ? 0x04 : 0);
  h[1] = 0xff;
  h.writeUInt16BE(opt.length + ext.length + packet.length, 2);
  h.writeUInt32BE(o.teid >>> 0, 4);
  return Buffer.concat([h, opt, ext, packet]);
}

/**
 * An L2TPv2 data message (RFC 2661) before a PPP frame of `packet`: `length`, `sequence` and
 * `offset` (that many padding bytes) add the optional fields; `hdlc` the PPP address and control
 * bytes; `compressed` a one-byte PPP protocol field.
 */
export function l2tp(o: { length?: boolean; sequence?: boolean; offset?: number; hdlc?: boolean; compressed?: boolean }, packet: Buffer): Buffer {
  const v4 = packet[0]! >> 4 === 4;
  const proto = o.compressed ? Buffer.from([v4 ? 0x21 : 0x57]) : Buffer.from([0x00, v4 ? 0x21 : 0x57]);
  const ppp = Buffer.concat([o.hdlc ? Buffer.from([0xff, 0x03]) : Buffer.alloc(0), proto, packet]);
  const fields: number[] = [];
  let flags = 0x0002;
  if (o.length) flags |= 0x4000;
  fields.push(0x1234, 0x0042); // tunnel and session ids
  if (o.sequence) {
    flags |= 0x0800;
    fields.push(7, 9);
  }
  if (o.offset !== undefined) {
    flags |= 0x0200;
    fields.push(o.offset);
  }
  const h = Buffer.alloc(2 + (o.length ? 2 : 0) + 2 * fields.length + (o.offset ?? 0), 0xee);
  h.writeUInt16BE(flags, 0);
  let at = 2;
  if (o.length) {
    h.writeUInt16BE(h.length + ppp.length, 2);
    at = 4;
  }
  for (const f of fields) {
    h.writeUInt16BE(f, at);
    at += 2;
  }
  return Buffer.concat([h, ppp]);
}

/** Teredo's authentication header (ids of `idLen` and `authLen` bytes) and/or origin indication before an IPv6 packet. */
export function teredo(o: { auth?: { idLen: number; authLen: number }; origin?: boolean }, packet: Buffer): Buffer {
  const parts: Buffer[] = [];
  if (o.auth) {
    const h = Buffer.alloc(4 + o.auth.idLen + o.auth.authLen + 9, 0x5a);
    h.writeUInt16BE(1, 0);
    h[2] = o.auth.idLen;
    h[3] = o.auth.authLen;
    h[h.length - 1] = 0; // confirmation byte
    parts.push(h);
  }
  if (o.origin) parts.push(Buffer.from([0, 0, 0xf0, 0x0f, 0x3f, 0xff, 0xfd, 0xfe])); // port and address obfuscated (inverted)
  return Buffer.concat([...parts, packet]);
}

/** A VXLAN-GPE header (flags I and P, next protocol: 1 IPv4, 2 IPv6, 3 Ethernet, 5 MPLS) before `payload`. */
export function vxlanGpe(next: number, vni: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = 0x0c;
  h[3] = next;
  h.writeUInt32BE((vni << 8) >>> 0, 4);
  return Buffer.concat([h, payload]);
}

/**
 * A CAPWAP data channel header (RFC 5415 section 4.3) before `frame`: an 802.3 frame, or (`wlan`: the T
 * flag, binding 1) an 802.11 one, whose frame control bytes the caller swapped as Cisco's access points
 * do. `radioMac` adds the optional radio MAC address, `wireless` the 802.11 frame info (RSSI, SNR,
 * rate), each with its length byte and padded to 4 bytes, as HLEN counts them; `flags` sets others
 * (0x80 fragment, 0x08 keep-alive); `dtls` makes the preamble's type 1 (a DTLS record follows).
 */
export function capwap(o: { wlan?: boolean; radioMac?: boolean; wireless?: boolean; flags?: number; dtls?: boolean; wbid?: number }, frame: Buffer): Buffer {
  const parts: Buffer[] = [];
  if (o.radioMac) parts.push(Buffer.from([6, 0x02, 0x00, 0x00, 0x00, 0xa0, 0x01, 0])); // length, EUI-48, 1 byte of padding
  if (o.wireless) parts.push(Buffer.from([4, 0xc4, 0x28, 0x00, 0x36, 0, 0, 0])); // length, RSSI -60, SNR 40, 5.4 Mb/s, padding
  const hlen = 8 + parts.reduce((n, b) => n + b.length, 0);
  const h = Buffer.alloc(8);
  h[0] = o.dtls ? 1 : 0;
  const w = ((hlen / 4) << 19) | (1 << 14) | ((o.wbid ?? 1) << 9) | (o.wlan ? 0x100 : 0) | (o.wireless ? 0x20 : 0) | (o.radioMac ? 0x10 : 0) | (o.flags ?? 0);
  h[1] = w >>> 16;
  h[2] = (w >>> 8) & 0xff;
  h[3] = w & 0xff;
  return Buffer.concat([h, ...parts, frame]);
}

/** An 802.11 data frame with its two frame control bytes swapped, as a Cisco access point puts it in CAPWAP. */
export function swappedFc(frame: Buffer): Buffer {
  const f = Buffer.from(frame);
  f[0] = frame[1]!;
  f[1] = frame[0]!;
  return f;
}

/** The tunnels wrap() makes. */
export const WRAPS = ['ipip', 'ipip6', 'gre', 'gre-teb', 'gre-mpls', 'pptp', 'erspan2', 'erspan3', 'vxlan', 'geneve', 'gtpu', 'l2tp', 'teredo', 'vxlan-gpe', 'gre-udp', 'mpls-udp', 'vxlan-in-gre', 'capwap', 'capwap-wlan', 'gre-aruba'] as const;
export type Wrap = (typeof WRAPS)[number];

/** The `tunnel` label values of netmon_tunnel_packets_total a frame of each wrap counts in (once per level). */
export const WRAP_TUNNELS: Readonly<Record<Wrap, readonly string[]>> = {
  ipip: ['ipip'], ipip6: ['ipip'], gre: ['gre'], 'gre-teb': ['gre'], 'gre-mpls': ['gre'], pptp: ['gre'], erspan2: ['gre'], erspan3: ['gre'],
  vxlan: ['vxlan'], geneve: ['geneve'], gtpu: ['gtpu'], l2tp: ['l2tp'], teredo: ['teredo'], 'vxlan-gpe': ['vxlan_gpe'], 'gre-udp': ['gre_udp'], 'mpls-udp': ['mpls_udp'], 'vxlan-in-gre': ['gre', 'vxlan'], capwap: ['capwap'], 'capwap-wlan': ['capwap'], 'gre-aruba': ['gre'],
};

/** Whether tunnel `how` carries the Ethernet frame `frame` (Teredo carries IPv6 only). */
export function carries(how: Wrap, frame: Buffer): boolean {
  return how !== 'teredo' || frame.readUInt16BE(12) === ETH.IPV6;
}

/**
 * Wraps frames at random (`share` of them, each in one of WRAPS; a frame that would grow beyond
 * `maxLength`, an interface's MTU, or that the tunnel does not carry, stays as it is); returns the
 * frames and what netmon_tunnel_packets_total must count.
 */
export function wrapSome<F extends { data: Buffer; ts: number }>(frames: readonly F[], rand: () => number, share: number, maxLength = Infinity): { frames: F[]; tunnels: Map<string, number> } {
  const tunnels = new Map<string, number>();
  let n = 0;
  const out = frames.map((f) => {
    if (rand() >= share) return f;
    const how = WRAPS[Math.floor(rand() * WRAPS.length)]!;
    if (!carries(how, f.data)) return f;
    const data = wrap(how, f.data, ++n);
    if (data.length > maxLength) return f;
    for (const t of WRAP_TUNNELS[how]) tunnels.set(t, (tunnels.get(t) ?? 0) + 1);
    return { ...f, data };
  });
  return { frames: out, tunnels };
}

/**
 * The Ethernet frame `frame` (of an IPv4 or IPv6 packet) inside tunnel `how`, between fixed tunnel
 * endpoints, as a new Ethernet frame: the IP packet alone (IP in IP over IPv4 or IPv6, GRE, GRE's
 * MPLS, PPTP's PPP, GTP-U, L2TP's PPP, Teredo (IPv6 only: see carries()), VXLAN-GPE (every other
 * frame), MPLS in UDP, CAPWAP's and Aruba GRE's 802.11 after LLC/SNAP) or the whole frame (GRE's transparent Ethernet,
 * ERSPAN, VXLAN, Geneve, CAPWAP's 802.3).
 */
export function wrap(how: Wrap, frame: Buffer, n: number): Buffer {
  const ethType = frame.readUInt16BE(12);
  const ip = frame.subarray(14);
  const v4 = ethType === ETH.IPV4;
  const over4 = (proto: number, payload: Buffer) => ethernet({ etherType: ETH.IPV4 }, ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto, id: n & 0xffff }, payload));
  const over6 = (nextHeader: number, payload: Buffer) => ethernet({ etherType: ETH.IPV6 }, ipv6({ src: '2001:db8:ffff::1', dst: '2001:db8:ffff::2', nextHeader }, payload));
  const overUdp = (dport: number, payload: Buffer) => over4(PROTO.UDP, udp({ sport: 49152 + (n % 16000), dport }, payload));
  switch (how) {
    case 'ipip':
      return over4(v4 ? 4 : 41, ip);
    case 'ipip6':
      return over6(v4 ? 4 : 41, ip);
    case 'gre':
      return over4(47, gre({ protocol: v4 ? GRE_PROTO.IPV4 : GRE_PROTO.IPV6, key: n % 3 === 0 ? 42 : undefined, seq: n % 2 === 0 ? n : undefined, checksum: n % 5 === 0 }, ip));
    case 'gre-teb':
      return over6(47, gre({ protocol: GRE_PROTO.TEB, key: 7 }, frame));
    case 'gre-mpls':
      return over4(47, gre({ protocol: GRE_PROTO.MPLS }, Buffer.concat([Buffer.from([0x00, 0x06, 0x41, 0x40]), ip]))); // label 100, bottom of stack
    case 'pptp':
      return over4(47, gre({ protocol: GRE_PROTO.PPP, version: 1, key: 0x00400001, seq: n, ack: n % 2 === 0 ? n - 1 : undefined }, Buffer.concat([Buffer.from([0xff, 0x03, 0x00, v4 ? 0x21 : 0x57]), ip])));
    case 'erspan2':
      return over4(47, gre({ protocol: GRE_PROTO.ERSPAN2, seq: n }, erspan(2, frame)));
    case 'erspan3':
      return over4(47, gre({ protocol: GRE_PROTO.ERSPAN3, seq: n }, erspan(3, frame, n % 2 === 0)));
    case 'vxlan':
      return overUdp(4789, vxlan(5000, frame));
    case 'geneve':
      return overUdp(6081, geneve({ protocol: n % 2 === 0 ? GRE_PROTO.TEB : ethType, optionWords: n % 3 }, n % 2 === 0 ? frame : ip));
    case 'gtpu':
      return over4(PROTO.UDP, udp({ sport: 2152, dport: 2152 }, gtpu({ teid: 0x1000 + (n % 7), extension: n % 2 === 0 }, ip)));
    case 'l2tp':
      return overUdp(1701, l2tp({ length: n % 2 === 0, sequence: n % 3 === 0, offset: n % 4 === 0 ? n % 5 : undefined, hdlc: n % 5 !== 0, compressed: n % 7 === 0 }, ip));
    case 'teredo':
      return overUdp(3544, teredo({ auth: n % 3 === 0 ? { idLen: n % 4, authLen: n % 5 } : undefined, origin: n % 2 === 0 }, ip));
    case 'vxlan-gpe':
      return overUdp(4790, n % 2 === 0 ? vxlanGpe(3, 77, frame) : vxlanGpe(v4 ? 1 : 2, 77, ip));
    case 'gre-udp':
      return overUdp(4754, gre({ protocol: v4 ? GRE_PROTO.IPV4 : GRE_PROTO.IPV6, key: n % 2 === 0 ? 9 : undefined }, ip));
    case 'mpls-udp':
      return overUdp(6635, Buffer.concat([Buffer.from([0x00, 0x0c, 0x81, 0x40]), ip])); // label 200, bottom of stack
    case 'vxlan-in-gre':
      return over4(47, gre({ protocol: GRE_PROTO.IPV4 }, overUdp(4789, vxlan(6000, frame)).subarray(14)));
    case 'capwap':
      return overUdp(5247, capwap({ radioMac: n % 3 === 0 }, frame));
    case 'gre-aruba':
      return over4(47, gre({ protocol: 0x8200 + 0x10 * (n % 24) }, wifiData(ethType, ip, { qos: n % 2 === 0 })));
    case 'capwap-wlan':
      return overUdp(5247, capwap({ wlan: true, radioMac: n % 3 === 1, wireless: n % 2 === 0 }, swappedFc(wifiData(ethType, ip, { qos: n % 2 === 1 }))));
  }
}
