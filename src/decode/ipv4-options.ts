/**
 * IPv4 options (RFC 791 section 3.1) as far as they change what the packet is for the analysis, read
 * as Wireshark 4.0 does (epan/dissectors/packet-ip.c, Debian 12's tshark 4.0.17):
 *  - a loose or strict source route (131, 137) whose pointer is still inside the route makes the
 *    last address of the route the packet's destination (Wireshark's get_dst_offset: the header's
 *    destination is then only the current hop, "Via"), so the packet belongs to the conversation,
 *    TCP stream and DNS exchange of its final destination;
 *  - an option too short for the fields Wireshark's dissector of that option reads (a Security
 *    option of length 2, say) makes Wireshark stop the whole frame at IPv4 ("Malformed Packet"): its
 *    TCP or UDP header is not dissected, so it takes part in no TCP stream or DNS exchange.
 * The walk stops where Wireshark's dissect_ip_options stops without error: at End of Options, at a
 * length byte past the options, a length below 2, or an option running past the header.
 */

/** Bit of ipv4Options' result: Wireshark throws on an option (the frame ends at IPv4). */
export const IPV4_OPTIONS_MALFORMED = 0x100;
/** Mask of ipv4Options' result: the offset of the source route's destination address, or 0. */
export const IPV4_OPTIONS_DST = 0xff;

const EOL = 0;
const NOP = 1;
const LSR = 131;
const SSR = 137;
const QS = 25;
const CIPSO = 134;

/**
 * The option length below which Wireshark 4.0's dissector for option `type` reads past the option
 * (an exception), or 2 for options it reads nothing of (unknown ones, Selective Directed Broadcast).
 * Quick-Start is handled by the caller (what it reads depends on its function field).
 */
function minimumLength(type: number): number {
  switch (type) {
    case 130: // Security: classification level at byte 2
    case 133: // Extended Security: format code at byte 2
    case 7: // Record Route: pointer
    case LSR:
    case SSR:
      return 3;
    case 68: // Timestamp: pointer and overflow/flag byte
    case 136: // Stream Identifier: 2 bytes
    case 11: // MTU Probe
    case 12: // MTU Reply
    case 148: // Router Alert: 2 bytes
      return 4;
    case 134: // CIPSO: the 4-byte domain of interpretation
      return 6;
    case 82: // Traceroute: ID, outbound and return hop counts, originator
      return 12;
    default:
      return 2;
  }
}

/**
 * Whether Wireshark 4.0's walk of the tags of the CIPSO option at `o` (length `len`, FIPS 188)
 * reads past the option: its length checks let a tag run one byte over (`offset + taglen - 1 >
 * offset_max`), and an unknown tag's length byte is read even when it is the option's last byte.
 */
function cipsoThrows(buf: Buffer, o: number, len: number): boolean {
  let t = 6;
  while (t < len) {
    const tag = buf[o + t]!;
    const tl = t + 1 < len ? buf[o + t + 1]! : 1;
    if (tag === 0) {
      t++;
      continue;
    }
    if (tag === 1 || tag === 2 || tag === 5) {
      if (tl < 4 || tl > 34 || t + tl - 1 > len) return false;
      t += 3;
      if (t >= len) return true; // the sensitivity level
      t++;
      if (tl > 4) {
        const catEnd = t + tl - 4;
        if (tag === 1) {
          if (catEnd > len) return true; // the category bitmap
          t = catEnd;
        } else {
          // Enumerated (2) categories are 2-byte values, ranged (5) ones pairs of them.
          while (t + 2 <= catEnd) {
            if (t + 2 > len) return true;
            if (tag === 5 && t + 4 <= catEnd) {
              if (t + 4 > len) return true;
              t += 4;
            } else {
              t += 2;
            }
          }
        }
      }
      continue;
    }
    if (tag === 6 || tag === 7) {
      if (tl < (tag === 6 ? 4 : 2) || tl > 34 || t + tl - 1 > len) return false;
      if (t + tl > len) return true; // the tag's data
      t += tl;
      continue;
    }
    return t + 1 >= len; // unknown tag: its length byte is read, then the walk stops
  }
  return false;
}

/**
 * Walks the options of the IPv4 header at `p` (header length `hlen` > 20, all of it captured), as
 * Wireshark does twice: get_dst_offset finds the first source route (a malformed option before it
 * does not stop that walk) and dissect_ip_options dissects each option (an exception there ends the
 * frame). Returns IPV4_OPTIONS_MALFORMED or 0, ORed with the offset from `p` of the destination
 * address that replaces the header's (the last 4 bytes of the first source-route option, when its
 * pointer is valid), or 0.
 */
export function ipv4Options(buf: Buffer, p: number, hlen: number): number {
  let dst = 0;
  let malformed = 0;
  let routeSeen = false;
  const end = p + hlen;
  let o = p + 20;
  while (o < end && (malformed === 0 || !routeSeen)) {
    const type = buf[o]!;
    if (type === EOL) break;
    if (type === NOP) {
      o++;
      continue;
    }
    if (o + 1 >= end) break; // the length byte is past the options
    const len = buf[o + 1]!;
    if (len < 2 || o + len > end) break;
    if ((type === LSR || type === SSR) && !routeSeen) {
      routeSeen = true;
      if (len >= 3) {
        const ptr = buf[o + 2]!;
        if (ptr >= 4 && (ptr & 3) === 0 && ptr <= len) dst = o + len - 4 - p;
      }
    }
    if (malformed === 0) {
      let min = minimumLength(type);
      if (type === QS) {
        // Quick-Start reads its function at byte 2, then a request (0) or a report (8) up to byte 7.
        min = 3;
        if (len >= 3) {
          const fn = buf[o + 2]! >>> 4;
          if (fn === 0 || fn === 8) min = 8;
        }
      }
      if (len < min || (type === CIPSO && len > 6 && cipsoThrows(buf, o, len))) malformed = IPV4_OPTIONS_MALFORMED;
    }
    o += len;
  }
  return malformed | dst;
}
