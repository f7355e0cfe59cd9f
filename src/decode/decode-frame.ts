import { decodeArcnet } from './arcnet';
import { DecodeLayer } from './decode-layer';
import type { DecodedPacket } from './packet';
import { decodeEthernet } from './ethernet';
import { decodeFddi } from './fddi';
import { decodeIpoib } from './ipoib';
import { decodeIeee80211, decodePpi, decodeRadiotap } from './ieee80211';
import { LinkType } from './link-types';
import { decodeNflog } from './nflog';
import { decodeNullLoop } from './null-loop';
import { decodeCiscoHdlc, decodePpp, decodePppEther } from './ppp';
import { decodeRawIp } from './raw-ip';
import { decodeSll } from './sll';
import { decodeSll2 } from './sll2';

/**
 * Decodes one frame, buf[offset, offset + capLen), into `out` (reset first).
 * Returns DECODE_OK, or the DecodeLayer of the first error; fields decoded before the error stay
 * set (e.g. IP addresses when the TCP header is truncated). Never throws and never reads outside
 * [offset, capEnd): a capLen reaching past the buffer is clamped to the buffer.
 */
export function decodeFrame(
  buf: Buffer,
  offset: number,
  capLen: number,
  wireLen: number,
  ts: number,
  linkType: number,
  out: DecodedPacket,
): number {
  out.wireLen = wireLen;
  out.ts = ts;
  return decodeLink(buf, offset, capLen, linkType, out);
}

/**
 * decodeFrame() for callers that set out.wireLen and out.ts themselves: the packet path, where a
 * double argument (the timestamp) to a call that is not inlined would be boxed, allocating per packet.
 */
export function decodeLink(buf: Buffer, offset: number, capLen: number, linkType: number, out: DecodedPacket): number {
  out.reset();
  out.linkType = linkType;
  // Defensive clamping: a caller passing a bogus offset or length must not make us read garbage.
  // (NaN fails every comparison, hence the negated forms.)
  if (!(offset >= 0 && offset <= buf.length) || Math.floor(offset) !== offset) {
    offset = 0;
    capLen = 0;
  }
  let capEnd = Math.floor(offset + capLen);
  if (!(capEnd >= offset)) capEnd = offset;
  if (capEnd > buf.length) capEnd = buf.length;
  out.frameOffset = offset;
  out.capEnd = capEnd;
  out.wireEnd = offset + out.wireLen;
  switch (linkType) {
    case LinkType.ETHERNET:
      return decodeEthernet(buf, offset, out);
    case LinkType.LINUX_SLL:
      return decodeSll(buf, offset, out);
    case LinkType.LINUX_SLL2:
      return decodeSll2(buf, offset, out);
    case LinkType.RAW:
    case LinkType.RAW_12:
    case LinkType.RAW_14:
    case LinkType.IPV4:
      return decodeRawIp(buf, offset, 0x0800, out);
    case LinkType.IPV6:
      return decodeRawIp(buf, offset, 0x86dd, out);
    case LinkType.NULL:
      return decodeNullLoop(buf, offset, false, out);
    case LinkType.LOOP:
      return decodeNullLoop(buf, offset, true, out);
    default:
      return decodeOtherLink(buf, offset, linkType, out);
  }
}

/** The rarer link types, out of the common switch (as decodeNetwork does with EtherTypes). */
function decodeOtherLink(buf: Buffer, offset: number, linkType: number, out: DecodedPacket): number {
  if (linkType === LinkType.PPP || linkType === LinkType.PPP_HDLC) return decodePpp(buf, offset, out);
  if (linkType === LinkType.C_HDLC) return decodeCiscoHdlc(buf, offset, out);
  if (linkType === LinkType.PPP_ETHER) return decodePppEther(buf, offset, out);
  if (linkType === LinkType.IEEE802_11_RADIOTAP) return decodeRadiotap(buf, offset, out);
  if (linkType === LinkType.IEEE802_11) return decodeIeee80211(buf, offset, false, out);
  if (linkType === LinkType.PPI) return decodePpi(buf, offset, out);
  if (linkType === LinkType.NFLOG) return decodeNflog(buf, offset, out);
  if (linkType === LinkType.FDDI) return decodeFddi(buf, offset, out);
  if (linkType === LinkType.IPOIB) return decodeIpoib(buf, offset, out);
  if (linkType === LinkType.ARCNET_BSD || linkType === LinkType.ARCNET_LINUX) return decodeArcnet(buf, offset, linkType === LinkType.ARCNET_LINUX, out);
  return DecodeLayer.UNSUPPORTED_LINK;
}
