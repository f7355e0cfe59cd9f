import { DECODE_OK, DecodeLayer } from './decode-layer';
import { decodeNetwork } from './network';
import type { DecodedPacket } from './packet';

const ERR_ARCNET = DecodeLayer.ARCNET;

/** ARCNET protocol ids (tcpdump's arcnet.h, Wireshark's arcnet_pids.h). */
const IP_1051 = 0xf0;
const ARP_1051 = 0xf1;
const IP_1201 = 0xd4;
const ARP_1201 = 0xd5;
const IPV6 = 0xc4;
const DIAGNOSE = 0x80;
const BACNET = 0xcd;

/**
 * LINKTYPE_ARCNET_BSD (7) and LINKTYPE_ARCNET_LINUX (129), as Wireshark dissects them
 * (packet-arcnet.c): source and destination ids (1 byte each), on Linux a 2-byte offset, the
 * protocol id; then, except for the RFC 1051 protocols, diagnostics and BACnet, RFC 1201's split flag
 * and 2-byte sequence number (on BSD an exception frame, split flag 0xff, adds 2 bytes of padding and
 * repeats protocol id and split flag first). IP (RFC 1051's and RFC 1201's ids), IPv6 and ARP are
 * decoded as if they followed those EtherTypes; other protocols (IPX, AppleTalk...) carry no network
 * layer netmon decodes, which is not an error.
 */
export function decodeArcnet(buf: Buffer, p: number, linux: boolean, out: DecodedPacket): number {
  const end = out.capEnd;
  let q = p + (linux ? 4 : 2);
  if (q + 1 > end) return ERR_ARCNET;
  let id = buf[q]!;
  q++;
  if (id !== IP_1051 && id !== ARP_1051 && id !== DIAGNOSE && id !== BACNET) {
    if (q + 1 > end) return ERR_ARCNET;
    if (!linux && buf[q] === 0xff) {
      if (q + 4 > end) return ERR_ARCNET;
      id = buf[q + 3]!;
      q += 4;
    }
    q += 3; // split flag, sequence number
    if (q > end) return ERR_ARCNET;
  }
  const etherType = id === IP_1051 || id === IP_1201 ? 0x0800 : id === IPV6 ? 0x86dd : id === ARP_1051 || id === ARP_1201 ? 0x0806 : 0;
  return etherType === 0 ? DECODE_OK : decodeNetwork(buf, q, etherType, out);
}
