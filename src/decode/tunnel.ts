import { DECODE_OK, DecodeLayer } from './decode-layer';
import type { DecodedPacket } from './packet';
import { decodeCapwap } from './capwap';
import { decodeEthernet } from './ethernet';
import { decodeIeee80211 } from './ieee80211';
import { decodeNetwork } from './network';
import { decodePpp } from './ppp';
import { decodeRawIp } from './raw-ip';
import { Tunnel } from './tunnel-kind';

/** Returned by decodeTunnel when the tunnel carries nothing netmon decodes (not an error). */
export const TUNNEL_EMPTY = -2;

const ERR_GRE = DecodeLayer.GRE;
const ERR_VXLAN = DecodeLayer.VXLAN;
const ERR_GENEVE = DecodeLayer.GENEVE;
const ERR_GTPU = DecodeLayer.GTPU;
const ERR_L2TP = DecodeLayer.L2TP;
const ERR_TEREDO = DecodeLayer.TEREDO;

/**
 * Decodes the packet that `outer` (a decoded IP packet of tunnel `kind`: IP protocol 4 or 41, GRE, or
 * UDP to a port of one of the UDP tunnels) carries into `inner` (reset first). The inner packet keeps
 * the outer frame's offset, captured end, wire length and time, so lengths computed from it (a TCP
 * segment's payload) are the frame's. Returns DECODE_OK, the DecodeLayer of the first error, or
 * TUNNEL_EMPTY when the payload is not one netmon decodes (GRE keys nothing but IP, Ethernet, MPLS,
 * PPP or ERSPAN; GTP-U messages other than G-PDU; L2TP control messages
 * and L2TPv3; a payload that decodes without error to no IP: ARP, LCP, an 802.11 management frame...).
 * Headers as Wireshark dissects them by default: GRE (RFC 2784, 2890, RFC 1701 routing, PPTP's
 * version 1 of RFC 2637), ERSPAN types I to III, Aruba's 802.11 frames, VXLAN (RFC 7348), Geneve (RFC 8926) and GTP-U
 * (3GPP TS 29.281, extension headers included), L2TP version 2 data messages (RFC 2661), Teredo
 * (RFC 4380), VXLAN-GPE (IPv4, IPv6, Ethernet or MPLS inside), GRE in UDP (RFC 8086), MPLS in UDP
 * (RFC 7510) and CAPWAP data (RFC 5415, capwap.ts).
 */
export function decodeTunnel(buf: Buffer, outer: DecodedPacket, kind: number, inner: DecodedPacket): number {
  inner.resetInside(outer);
  const r = decodeKind(buf, outer, kind, inner);
  return r === DECODE_OK && inner.ipVersion === 0 ? TUNNEL_EMPTY : r;
}

/** decodeTunnel's dispatch by tunnel kind, into `inner` (reset). */
function decodeKind(buf: Buffer, outer: DecodedPacket, kind: number, inner: DecodedPacket): number {
  const end = outer.capEnd;
  if (kind === Tunnel.IPIP) {
    const p = outer.l3Offset + outer.ipHeaderLen;
    return decodeRawIp(buf, p, outer.ipProto === 4 ? 0x0800 : 0x86dd, inner);
  }
  if (kind === Tunnel.GRE) return decodeGre(buf, outer.l3Offset + outer.ipHeaderLen, end, inner);
  const p = outer.l4Offset + 8;
  if (kind === Tunnel.VXLAN) {
    if (p + 8 > end) return ERR_VXLAN;
    return decodeEthernet(buf, p + 8, inner);
  }
  if (kind === Tunnel.GENEVE) {
    if (p + 8 > end) return ERR_GENEVE;
    const q = p + 8 + ((buf[p]! & 0x3f) << 2);
    if (q > end) return ERR_GENEVE;
    return decodeCarried(buf, q, (buf[p + 2]! << 8) | buf[p + 3]!, inner);
  }
  if (kind === Tunnel.GTPU) return decodeGtpu(buf, p, end, inner);
  if (kind === Tunnel.L2TP) return decodeL2tp(buf, p, end, inner);
  if (kind === Tunnel.TEREDO) return decodeTeredo(buf, p, end, inner);
  if (kind === Tunnel.VXLAN_GPE) {
    if (p + 8 > end) return ERR_VXLAN;
    const next = buf[p + 3]!;
    if (next === 3) return decodeEthernet(buf, p + 8, inner);
    const etherType = next === 1 ? 0x0800 : next === 2 ? 0x86dd : next === 5 ? 0x8847 : 0;
    return etherType === 0 ? TUNNEL_EMPTY : decodeCarried(buf, p + 8, etherType, inner);
  }
  if (kind === Tunnel.GRE_UDP) return decodeGre(buf, p, end, inner);
  if (kind === Tunnel.MPLS_UDP) return decodeCarried(buf, p, 0x8847, inner);
  if (kind === Tunnel.CAPWAP) return decodeCapwap(buf, p, end, inner);
  return TUNNEL_EMPTY;
}

/** The payload of a tunnel header that names it by EtherType: Ethernet (0x6558), else the network layer. */
function decodeCarried(buf: Buffer, p: number, etherType: number, inner: DecodedPacket): number {
  if (etherType === 0x6558) return decodeEthernet(buf, p, inner);
  return decodeNetwork(buf, p, etherType, inner);
}

/** GRE at `p`: flags and version, protocol type, then the optional fields the flags announce. */
function decodeGre(buf: Buffer, p: number, end: number, inner: DecodedPacket): number {
  if (p + 4 > end) return ERR_GRE;
  const flags = (buf[p]! << 8) | buf[p + 1]!;
  const version = flags & 7;
  if (version > 1) return TUNNEL_EMPTY;
  const proto = (buf[p + 2]! << 8) | buf[p + 3]!;
  let q = p + 4;
  if ((flags & 0xc000) !== 0) q += 4; // checksum and offset, present when C or R is set
  if ((flags & 0x2000) !== 0) q += 4; // key
  if ((flags & 0x1000) !== 0) q += 4; // sequence number
  if (version === 1 && (flags & 0x0080) !== 0) q += 4; // PPTP acknowledgement number
  if ((flags & 0x4000) !== 0) {
    // RFC 1701 source routing: entries of address family (2), offset (1), length (1) and `length`
    // bytes, up to one with family 0 and length 0. Each step advances q by at least 4.
    for (;;) {
      if (q + 4 > end) return ERR_GRE;
      const af = (buf[q]! << 8) | buf[q + 1]!;
      const len = buf[q + 3]!;
      q += 4 + len;
      if (af === 0 && len === 0) break;
    }
  }
  if (q > end) return ERR_GRE;
  if (q === end) return TUNNEL_EMPTY; // a PPTP acknowledgement, a keepalive cut short
  if (proto === 0x880b) return decodePpp(buf, q, inner);
  if (proto === 0x88be) {
    // ERSPAN: type II has an 8-byte header and a GRE sequence number; type I has neither.
    if ((flags & 0x1000) === 0) return decodeEthernet(buf, q, inner);
    if (q + 8 > end) return ERR_GRE;
    return decodeEthernet(buf, q + 8, inner);
  }
  if (proto === 0x22eb) {
    // ERSPAN type III: a 12-byte header, and an 8-byte platform subheader when its O bit is set.
    if (q + 12 > end) return ERR_GRE;
    return decodeEthernet(buf, q + 12 + ((buf[q + 11]! & 1) !== 0 ? 8 : 0), inner);
  }
  if (proto >= 0x8200 && proto <= 0x8370 && (proto & 0x0f) === 0) {
    // Aruba's access points send their clients' 802.11 frames to the controller in GRE with these
    // protocol types, which Wireshark hands to its 802.11 dissector (no FCS); zeek's `gre-aruba` trace.
    return decodeIeee80211(buf, q, false, inner);
  }
  return decodeCarried(buf, q, proto, inner);
}

/**
 * GTP-U at `p`: version 1 (the first byte's top three bits), 8 bytes, 4 more when any of the E, S,
 * PN flags is set, then the extension headers (length in 4-byte units, the next type in the last
 * byte). A G-PDU (type 255) carries an IP packet, IPv4 or IPv6 by its first nibble, as Wireshark reads it.
 */
function decodeGtpu(buf: Buffer, p: number, end: number, inner: DecodedPacket): number {
  if (p + 8 > end) return ERR_GTPU;
  const b0 = buf[p]!;
  if (b0 >> 5 !== 1 || (b0 & 0x10) === 0 || buf[p + 1] !== 0xff) return TUNNEL_EMPTY;
  let q = p + 8;
  if ((b0 & 0x07) !== 0) {
    if (q + 4 > end) return ERR_GTPU;
    let next = buf[q + 3]!;
    q += 4;
    // Each extension header is at least 4 bytes long, so the walk advances and is bounded by end.
    while (next !== 0) {
      if (q + 1 > end) return ERR_GTPU;
      const len = buf[q]! << 2;
      if (len === 0 || q + len > end) return ERR_GTPU;
      next = buf[q + len - 1]!;
      q += len;
    }
  }
  if (q >= end) return TUNNEL_EMPTY;
  const v = buf[q]! >> 4;
  if (v !== 4 && v !== 6) return TUNNEL_EMPTY;
  return decodeRawIp(buf, q, 0x0800, inner);
}

/**
 * L2TP at `p` (RFC 2661 section 3.1): flags and version (2 bytes), the length when L is set, tunnel
 * and session ids (4), Ns and Nr when S is set, the offset size and that much padding when O is set,
 * then a PPP frame, its address and control bytes optional: as Wireshark 4.0 dissects L2TPv2 data
 * messages (the length field is not used to end the payload). Control messages (T set) and other
 * versions (L2TPv3 over UDP, whose payload's kind Wireshark learns from the control connection) carry
 * nothing netmon decodes.
 */
function decodeL2tp(buf: Buffer, p: number, end: number, inner: DecodedPacket): number {
  if (p + 2 > end) return ERR_L2TP;
  const control = (buf[p]! << 8) | buf[p + 1]!;
  if ((control & 0x8000) !== 0 || (control & 0x000f) !== 2) return TUNNEL_EMPTY;
  let q = p + 2 + ((control & 0x4000) !== 0 ? 2 : 0) + 4 + ((control & 0x0800) !== 0 ? 4 : 0);
  if ((control & 0x0200) !== 0) {
    if (q + 2 > end) return ERR_L2TP;
    q += 2 + ((buf[q]! << 8) | buf[q + 1]!);
  }
  if (q > end) return ERR_L2TP;
  if (q === end) return TUNNEL_EMPTY; // no payload
  return decodePpp(buf, q, inner);
}

/**
 * Teredo at `p` (RFC 4380 section 5.1.1): an authentication header (type 1: client id and
 * authentication value lengths, those bytes, an 8-byte nonce and a confirmation byte), an origin
 * indication (type 0, 8 bytes), either, both or neither, then an IPv6 packet, which is what Wireshark
 * dissects whatever its version says.
 */
function decodeTeredo(buf: Buffer, p: number, end: number, inner: DecodedPacket): number {
  let q = p;
  if (q + 2 > end) return ERR_TEREDO;
  let type = (buf[q]! << 8) | buf[q + 1]!;
  if (type === 1) {
    if (q + 4 > end) return ERR_TEREDO;
    q += 4 + buf[q + 2]! + buf[q + 3]! + 9;
    if (q + 2 > end) return ERR_TEREDO;
    type = (buf[q]! << 8) | buf[q + 1]!;
  }
  if (type === 0) q += 8;
  if (q > end) return ERR_TEREDO;
  if (q === end) return TUNNEL_EMPTY; // a bubble's origin indication alone
  return decodeNetwork(buf, q, 0x86dd, inner);
}
