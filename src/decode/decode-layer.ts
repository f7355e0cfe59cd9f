/**
 * Layers a decode error can be attributed to. Values index `DECODE_LAYER_NAMES` and the
 * `netmon_decode_errors_total{layer}` counters.
 */
export const DecodeLayer = {
  /** Link type netmon does not decode (counted per frame, named once in the log). */
  UNSUPPORTED_LINK: 0,
  ETHERNET: 1,
  VLAN: 2,
  SLL: 3,
  SLL2: 4,
  NULL: 5,
  ARP: 6,
  IPV4: 7,
  IPV6: 8,
  TCP: 9,
  UDP: 10,
  SCTP: 11,
  ICMP: 12,
  ICMPV6: 13,
  PPPOE: 14,
  MPLS: 15,
  PPP: 16,
  CHDLC: 17,
  /** Tunnel headers (src/decode/tunnel.ts) cut short or malformed. */
  GRE: 18,
  VXLAN: 19,
  GENEVE: 20,
  GTPU: 21,
  /** IEEE 802.11 and the headers before it (radiotap, PPI). */
  IEEE80211: 22,
  RADIOTAP: 23,
  PPI: 24,
  /** Linux netfilter log (LINKTYPE_NFLOG) header and TLVs. */
  NFLOG: 25,
  /** FDDI (LINKTYPE_FDDI) header. */
  FDDI: 26,
  /** L2TP (version 2, over UDP) header. */
  L2TP: 27,
  /** Teredo (IPv6 over UDP) authentication and origin indication headers. */
  TEREDO: 28,
  /** ARCNET (LINKTYPE_ARCNET_BSD, LINKTYPE_ARCNET_LINUX) header. */
  ARCNET: 29,
  /** IP over InfiniBand (LINKTYPE_IPOIB) headers. */
  IPOIB: 30,
  /** CAPWAP data channel (RFC 5415) header. */
  CAPWAP: 31,
} as const;

export type DecodeLayerId = (typeof DecodeLayer)[keyof typeof DecodeLayer];

/** Label values for `netmon_decode_errors_total{layer}`, indexed by DecodeLayer. */
export const DECODE_LAYER_NAMES: readonly string[] = [
  'unsupported_link',
  'ethernet',
  'vlan',
  'sll',
  'sll2',
  'null',
  'arp',
  'ipv4',
  'ipv6',
  'tcp',
  'udp',
  'sctp',
  'icmp',
  'icmpv6',
  'pppoe',
  'mpls',
  'ppp',
  'chdlc',
  'gre',
  'vxlan',
  'geneve',
  'gtpu',
  'ieee80211',
  'radiotap',
  'ppi',
  'nflog',
  'fddi',
  'l2tp',
  'teredo',
  'arcnet',
  'ipoib',
  'capwap',
];

/** Returned by the decoder when the frame decoded without error. */
export const DECODE_OK = -1;
