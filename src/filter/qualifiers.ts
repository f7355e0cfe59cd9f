/**
 * pcap-filter qualifiers (`[proto] [dir] [type] id`). libpcap's grammar hands the qualifiers of
 * the last primitive to a following bare id (`port 80 or 443`, `host a or b`), so they travel
 * through the parser as a value; `null` stands for libpcap's `qerr` (no qualifiers to reuse).
 */
export type Proto = '' | 'ip' | 'ip6' | 'arp' | 'rarp' | 'tcp' | 'udp' | 'sctp' | 'icmp' | 'icmp6';
export type Dir = '' | 'src' | 'dst' | 'or' | 'and';
export type Addr = '' | 'host' | 'net' | 'port' | 'portrange' | 'proto';

export interface Qual {
  readonly proto: Proto;
  readonly dir: Dir;
  readonly addr: Addr;
}

export const PROTO_NAMES: ReadonlySet<string> = new Set([
  'ip', 'ip6', 'arp', 'rarp', 'tcp', 'udp', 'sctp', 'icmp', 'icmp6',
]);
