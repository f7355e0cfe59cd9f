import { decodeRawIp } from './raw-ip';
import type { DecodedPacket } from './packet';

/**
 * The packet an ICMP or ICMPv6 error message quotes: destination unreachable, source quench,
 * redirect, time exceeded and parameter problem (RFC 792) carry the IP header and at least 8 bytes
 * of the datagram that caused them (Linux and RFC 1812 routers: up to 576 bytes in all), ICMPv6's
 * destination unreachable, packet too big, time exceeded and parameter problem (RFC 4443 section 2.4
 * (c)) as much as fits in 1 280 bytes. Wireshark dissects the quoted packet; so does the DNS
 * analysis (dns-analyzer.ts, icmpError).
 */
export function decodeIcmpQuote(buf: Buffer, outer: DecodedPacket, inner: DecodedPacket): boolean {
  const t = outer.icmpType;
  if (outer.ipProto === 1) {
    if (t !== 3 && t !== 4 && t !== 5 && t !== 11 && t !== 12) return false;
  } else if (outer.ipProto !== 58 || t < 1 || t > 4) {
    return false;
  }
  inner.resetInside(outer);
  decodeRawIp(buf, outer.l4Offset + 8, outer.ipProto === 1 ? 0x0800 : 0x86dd, inner);
  return inner.ipVersion !== 0;
}
