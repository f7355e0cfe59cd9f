import { DECODE_OK, DecodeLayer } from './decode-layer';
import type { DecodedPacket } from './packet';
import { decodeNetwork } from './network';

const ERR_NFLOG = DecodeLayer.NFLOG;
const NFULA_PACKET_HDR = 1;
const NFULA_PAYLOAD = 9;
const NFPROTO_IPV4 = 2;
const NFPROTO_IPV6 = 10;

/**
 * LINKTYPE_NFLOG (239): Linux netfilter log messages (`tcpdump -i nflog:N`, iptables' NFLOG target).
 * A 4-byte header (address family, version, resource id), then TLVs: a 16-bit length (its 4 bytes
 * included) and a 16-bit type, in the byte order of the host that captured them, each padded to 4
 * bytes. The packet is the value of the NFULA_PAYLOAD TLV: decoded by the EtherType of the
 * NFULA_PACKET_HDR TLV when it names one, else by the family, as Wireshark does (packet-nflog.c);
 * a TLV shorter than its header ends the frame with nothing decoded, as there. The byte order is
 * little-endian (every Linux host netmon runs on, and most captures) unless the first TLV's length
 * only fits big-endian.
 */
export function decodeNflog(buf: Buffer, p: number, out: DecodedPacket): number {
  const end = out.capEnd;
  if (p + 4 > end) return ERR_NFLOG;
  const family = buf[p]!;
  let q = p + 4;
  const wireEnd = out.wireEnd;
  let le = true;
  if (q + 2 <= end) {
    const l = buf[q]! | (buf[q + 1]! << 8);
    const b = (buf[q]! << 8) | buf[q + 1]!;
    if ((l < 4 || q + l > wireEnd) && b >= 4 && q + b <= wireEnd) le = false;
  }
  let hwProtocol = 0;
  let payload = -1;
  let payloadEnd = 0;
  while (q + 4 <= end) {
    const len = le ? buf[q]! | (buf[q + 1]! << 8) : (buf[q]! << 8) | buf[q + 1]!;
    const type = (le ? buf[q + 2]! | (buf[q + 3]! << 8) : (buf[q + 2]! << 8) | buf[q + 3]!) & 0x7fff;
    if (len < 4) return ERR_NFLOG;
    if (type === NFULA_PACKET_HDR && len === 8 && q + 6 <= end) hwProtocol = (buf[q + 4]! << 8) | buf[q + 5]!;
    if (type === NFULA_PAYLOAD) {
      payload = q + 4;
      payloadEnd = q + len;
    }
    q += (len + 3) & ~3;
  }
  if (payload < 0) return DECODE_OK; // a log message without the packet
  const etherType = hwProtocol !== 0 ? hwProtocol : family === NFPROTO_IPV4 ? 0x0800 : family === NFPROTO_IPV6 ? 0x86dd : 0;
  if (etherType === 0) return DECODE_OK;
  if (payloadEnd < end) out.capEnd = payloadEnd;
  return decodeNetwork(buf, payload, etherType, out);
}
