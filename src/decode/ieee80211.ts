import { DECODE_OK, DecodeLayer } from './decode-layer';
import type { DecodedPacket } from './packet';
import { decodeLlcSnap } from './llc-snap';

const ERR_80211 = DecodeLayer.IEEE80211;
const ERR_RADIOTAP = DecodeLayer.RADIOTAP;
const ERR_PPI = DecodeLayer.PPI;

/** Frame control flags (second byte). */
const TO_DS = 0x01;
const FROM_DS = 0x02;
const MORE_FRAGMENTS = 0x04;
const PROTECTED = 0x40;
const ORDER = 0x80;

/**
 * An IEEE 802.11 frame at `p` (LINKTYPE_IEEE802_11 105, or after a radiotap or PPI header). Data
 * frames carry a network layer after an RFC 1042 or 802.1H LLC/SNAP header (AA AA 03, OUI 000000 or
 * 0000F8, EtherType), which is decoded as after an Ethernet header. The MAC header is 24 bytes, 30
 * with four addresses (to and from the DS), 2 more with QoS control (the QoS data subtypes), 4 more
 * with HT control (QoS and the order bit), rounded up to 4 bytes when the radiotap header says the
 * driver padded it (`dataPad`). Not decoded and not errors, as Wireshark shows no IP in them without
 * keys or reassembly: management and control frames, data frames without a body (null data),
 * protected (encrypted) ones, fragments followed by more (Wireshark reassembles them), A-MSDUs,
 * non-SNAP payloads. A last fragment is decoded as it is: alone, Wireshark dissects it so too; after
 * its earlier fragments, Wireshark dissects the reassembled frame, whose headers were in the first
 * fragment, while this body's bytes are no LLC header, so netmon decodes nothing from it.
 */
export function decodeIeee80211(buf: Buffer, p: number, dataPad: boolean, out: DecodedPacket): number {
  if (p + 2 > out.capEnd) return ERR_80211;
  return decodeIeee80211Fc(buf, p, buf[p]!, buf[p + 1]!, dataPad, out);
}

/**
 * The 802.11 frame at `p` whose frame control bytes are `fc0` (version, type, subtype) and `fc1`
 * (flags): as decodeIeee80211, for a caller that reads them otherwise (CAPWAP's byte-swapped field).
 */
export function decodeIeee80211Fc(buf: Buffer, p: number, fc0: number, fc1: number, dataPad: boolean, out: DecodedPacket): number {
  const end = out.capEnd;
  if ((fc0 & 0x03) !== 0 || ((fc0 >> 2) & 0x03) !== 2) return DECODE_OK; // not version 0, or not a data frame
  const subtype = fc0 >> 4;
  if ((subtype & 0x04) !== 0) return DECODE_OK; // no data
  const qos = (subtype & 0x08) !== 0;
  let hlen = (fc1 & (TO_DS | FROM_DS)) === (TO_DS | FROM_DS) ? 30 : 24;
  const qosAt = p + hlen;
  if (qos) hlen += (fc1 & ORDER) !== 0 ? 6 : 2;
  if (dataPad) hlen = (hlen + 3) & ~3;
  if (p + hlen > end) return ERR_80211;
  if ((fc1 & (PROTECTED | MORE_FRAGMENTS)) !== 0) return DECODE_OK;
  if (qos && (buf[qosAt]! & 0x80) !== 0) return DECODE_OK; // A-MSDU
  return decodeLlcSnap(buf, p + hlen, ERR_80211, out);
}

/** Radiotap flags field bit: the MAC header is padded to 4 bytes. */
const RT_DATAPAD = 0x20;

/**
 * A radiotap header (LINKTYPE_IEEE802_11_RADIOTAP 127; radiotap.org): version 0, its length
 * (little-endian), present bitmaps (more while bit 31 is set), then the fields in bit order, each
 * aligned to its size from the header's start. Only the Flags field (bit 1, after TSFT, bit 0, 8
 * bytes) matters here: with DATAPAD the MAC header is padded to 4 bytes. Its FCS bit (the frame ends
 * in a 4-byte FCS) changes nothing netmon reads: lengths come from the IP header, and the FCS stays
 * in the captured bytes, as for libpcap's filters (Wireshark takes it off the 802.11 payload).
 */
export function decodeRadiotap(buf: Buffer, p: number, out: DecodedPacket): number {
  const len = radioHeaderLength(buf, p, out.capEnd);
  if (len < 0) return ERR_RADIOTAP;
  const present = (buf[p + 4]! | (buf[p + 5]! << 8) | (buf[p + 6]! << 16) | (buf[p + 7]! << 24)) >>> 0;
  let o = 8;
  for (let w = p + 4; (buf[w + 3]! & 0x80) !== 0; w += 4) {
    if (o + 4 > len) return ERR_RADIOTAP;
    o += 4;
  }
  let flags = 0;
  if ((present & 0x02) !== 0) {
    if ((present & 0x01) !== 0) o = ((o + 7) & ~7) + 8;
    if (o >= len) return ERR_RADIOTAP;
    flags = buf[p + o]!;
  }
  return decodeIeee80211(buf, p + len, (flags & RT_DATAPAD) !== 0, out);
}

/**
 * A PPI header (LINKTYPE_PPI 192, the Per-Packet Information header of CACE's specification):
 * version 0, flags, length and the link type of what follows (little-endian). Only an 802.11 frame
 * (link type 105) after it is decoded; its fields (radio information) are skipped.
 */
export function decodePpi(buf: Buffer, p: number, out: DecodedPacket): number {
  const len = radioHeaderLength(buf, p, out.capEnd);
  if (len < 0) return ERR_PPI;
  const dlt = (buf[p + 4]! | (buf[p + 5]! << 8) | (buf[p + 6]! << 16) | (buf[p + 7]! << 24)) >>> 0;
  if (dlt !== 105) return DECODE_OK;
  return decodeIeee80211(buf, p + len, false, out);
}

/**
 * Radiotap and PPI headers start alike: version 0, a byte of padding or flags, the header's length
 * (little-endian, 8 at least, captured whole), then 4 bytes of their own. Returns that length, or -1.
 */
function radioHeaderLength(buf: Buffer, p: number, end: number): number {
  if (p + 8 > end || buf[p] !== 0) return -1;
  const len = buf[p + 2]! | (buf[p + 3]! << 8);
  return len < 8 || p + len > end ? -1 : len;
}
