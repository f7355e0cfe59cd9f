/**
 * pcap link types netmon decodes (https://www.tcpdump.org/linktypes.html).
 * Values are LINKTYPE_* as written in pcap/pcapng files and reported by libpcap for live captures.
 */
export const LinkType = {
  /** BSD loopback: 4-byte address family in the capturing host's byte order. */
  NULL: 0,
  ETHERNET: 1,
  /** Raw IP as written by some BSDs (DLT_RAW is 12 on most, 14 on OpenBSD). */
  RAW_12: 12,
  RAW_14: 14,
  RAW: 101,
  /** OpenBSD loopback: like NULL but the address family is in network byte order. */
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
  /** PPP, with or without HDLC-like framing (RFC 1661, 1662). */
  PPP: 9,
  PPP_HDLC: 50,
  /** PPPoE header, no Ethernet (RFC 2516). */
  PPP_ETHER: 51,
  /** Cisco HDLC. */
  C_HDLC: 104,
  /** IEEE 802.11 without a radio header (no FCS, as Wireshark assumes). */
  IEEE802_11: 105,
  /** Radiotap header, then 802.11. */
  IEEE802_11_RADIOTAP: 127,
  /** Per-Packet Information header, then (when it names link type 105) 802.11. */
  PPI: 192,
  /** Linux netfilter log messages (NFLOG): TLVs, one of them the IP packet. */
  NFLOG: 239,
  /** FDDI: frame control, addresses, then LLC/SNAP in asynchronous LLC frames. */
  FDDI: 10,
  /** ARCNET: BSD's (no offset field, exception frames) and Linux's (a 2-byte offset). */
  ARCNET_BSD: 7,
  ARCNET_LINUX: 129,
  /** IP over InfiniBand: a 40-byte pseudo header, then RFC 4391's 4-byte header. */
  IPOIB: 242,
} as const;

/** Link types decodeFrame understands; any other is counted as `unsupported_link`. */
export const SUPPORTED_LINK_TYPES: ReadonlySet<number> = new Set<number>(Object.values(LinkType));

const NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  [LinkType.NULL, 'NULL'],
  [LinkType.ETHERNET, 'EN10MB'],
  [LinkType.RAW_12, 'RAW(12)'],
  [LinkType.RAW_14, 'RAW(14)'],
  [LinkType.RAW, 'RAW'],
  [LinkType.LOOP, 'LOOP'],
  [LinkType.LINUX_SLL, 'LINUX_SLL'],
  [LinkType.IPV4, 'IPV4'],
  [LinkType.IPV6, 'IPV6'],
  [LinkType.LINUX_SLL2, 'LINUX_SLL2'],
  [LinkType.PPP, 'PPP'],
  [LinkType.PPP_HDLC, 'PPP_HDLC'],
  [LinkType.PPP_ETHER, 'PPP_ETHER'],
  [LinkType.C_HDLC, 'C_HDLC'],
  [LinkType.IEEE802_11, 'IEEE802_11'],
  [LinkType.IEEE802_11_RADIOTAP, 'IEEE802_11_RADIOTAP'],
  [LinkType.PPI, 'PPI'],
  [LinkType.NFLOG, 'NFLOG'],
  [LinkType.FDDI, 'FDDI'],
  [LinkType.ARCNET_BSD, 'ARCNET'],
  [LinkType.ARCNET_LINUX, 'ARCNET_LINUX'],
  [LinkType.IPOIB, 'IPOIB'],
  // Common unsupported ones, so log messages say what the capture actually is.
  [119, 'IEEE802_11_PRISM'],
  [163, 'IEEE802_11_AVS'],
  [220, 'USB_LINUX_MMAPPED'],
  [253, 'NETLINK'],
]);

/** Human-readable name of a link type for log messages, e.g. "EN10MB (1)" or "unknown (147)". */
export function linkTypeName(lt: number): string {
  return `${NAMES.get(lt) ?? 'unknown'} (${lt})`;
}
