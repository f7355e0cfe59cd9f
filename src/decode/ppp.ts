import { DECODE_OK, DecodeLayer } from './decode-layer';
import type { DecodedPacket } from './packet';
import { decodeNetwork } from './network';
import { decodePppProtocol } from './ppp-protocol';
import { decodePppoeSession } from './pppoe';

const ERR_PPP = DecodeLayer.PPP;
const ERR_CHDLC = DecodeLayer.CHDLC;
/** Cisco HDLC address bytes (unicast, multicast). */
const CHDLC_UNICAST = 0x0f;
const CHDLC_MULTICAST = 0x8f;

/**
 * LINKTYPE_PPP (9) and LINKTYPE_PPP_HDLC (50): a frame starting 0xff 0x03 is PPP in HDLC-like
 * framing (RFC 1662: address and control, then the PPP header), one starting 0x0f or 0x8f is Cisco
 * PPP with HDLC framing (RFC 1547 4.3.1: see decodeCiscoHdlc), anything else starts with the PPP
 * protocol field; as libpcap documents these link types and Wireshark dissects them.
 */
export function decodePpp(buf: Buffer, p: number, out: DecodedPacket): number {
  if (p + 1 > out.capEnd) return ERR_PPP;
  const first = buf[p]!;
  if (first === CHDLC_UNICAST || first === CHDLC_MULTICAST) return decodeCiscoHdlc(buf, p, out);
  if (first === 0xff) {
    if (p + 2 > out.capEnd) return ERR_PPP;
    return decodePppProtocol(buf, p + 2, ERR_PPP, out);
  }
  return decodePppProtocol(buf, p, ERR_PPP, out);
}

/**
 * LINKTYPE_C_HDLC (104), Cisco HDLC: address(1) control(1) protocol(2), the protocol an EtherType
 * (0x0800 IPv4, 0x86dd IPv6, 0x8847 MPLS...), then the network layer.
 */
export function decodeCiscoHdlc(buf: Buffer, p: number, out: DecodedPacket): number {
  if (p + 4 > out.capEnd) return ERR_CHDLC;
  const proto = (buf[p + 2]! << 8) | buf[p + 3]!;
  // As after Ethernet: a value below 0x0600 is no EtherType, and names no network layer.
  if (proto < 0x0600) return DECODE_OK;
  return decodeNetwork(buf, p + 4, proto, out);
}

/** LINKTYPE_PPP_ETHER (51): the frame starts with a PPPoE header (RFC 2516), no Ethernet header. */
export function decodePppEther(buf: Buffer, p: number, out: DecodedPacket): number {
  out.etherType = 0x8864;
  out.l3Offset = p;
  return decodePppoeSession(buf, p, out);
}
