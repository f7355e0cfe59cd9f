import { DECODE_OK, DecodeLayer } from './decode-layer';
import type { DecodedPacket } from './packet';

const ERR_TCP = DecodeLayer.TCP;

/**
 * TCP (RFC 9293 section 3.1). Ports, flags and l4Offset are set once the fixed 20-byte header is
 * present with a data offset >= 5; options cut short by the snap length are still an error.
 * A header cut short after the ports (or with a data offset below 5) is an error too, but its
 * ports are kept, as Wireshark reads them: they say which flow the segment belongs to. Its flags
 * stay 0 and l4Offset -1, so nothing downstream treats it as a decoded header.
 */
export function decodeTcp(buf: Buffer, p: number, out: DecodedPacket): number {
  if (p + 20 > out.capEnd) return truncatedPorts(buf, p, out);
  const dataOffset = (buf[p + 12] >>> 4) << 2;
  if (dataOffset < 20) return truncatedPorts(buf, p, out);
  out.l4Offset = p;
  out.srcPort = (buf[p] << 8) | buf[p + 1];
  out.dstPort = (buf[p + 2] << 8) | buf[p + 3];
  out.tcpFlags = buf[p + 13];
  if (p + dataOffset > out.capEnd) return ERR_TCP;
  return DECODE_OK;
}

function truncatedPorts(buf: Buffer, p: number, out: DecodedPacket): number {
  if (p + 4 <= out.capEnd) {
    out.srcPort = (buf[p] << 8) | buf[p + 1];
    out.dstPort = (buf[p + 2] << 8) | buf[p + 3];
  }
  return ERR_TCP;
}
