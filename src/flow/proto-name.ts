/**
 * Label text of IP protocol numbers: lowercase names after the IANA "Assigned Internet Protocol
 * Numbers" registry keywords (with the commonly used spelling "icmpv6" for IPv6-ICMP, RFC 4443),
 * the decimal number for the others.
 */
const NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'hopopt'],
  [1, 'icmp'],
  [2, 'igmp'],
  [4, 'ipip'],
  [6, 'tcp'],
  [17, 'udp'],
  [33, 'dccp'],
  [41, 'ipv6'],
  [46, 'rsvp'],
  [47, 'gre'],
  [50, 'esp'],
  [51, 'ah'],
  [58, 'icmpv6'],
  [88, 'eigrp'],
  [89, 'ospf'],
  [103, 'pim'],
  [112, 'vrrp'],
  [115, 'l2tp'],
  [132, 'sctp'],
  [136, 'udplite'],
  [137, 'mpls-in-ip'],
]);

export function protoName(proto: number): string {
  return NAMES.get(proto) ?? String(proto);
}
