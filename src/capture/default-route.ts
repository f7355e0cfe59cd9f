/**
 * The interfaces of the default routes in the kernel's main routing table (Linux /proc/net/route
 * and /proc/net/ipv6_route): the host's uplink. That is what "capture this host's traffic" means on
 * a server or a Kubernetes node, where libpcap's own order (pcap_findalldevs ranks interfaces by the
 * number their name ends with) can put a CNI bridge or a pod's veth before `ens5`.
 *
 * The parsers are pure (text in, names out) and tested on real tables; readDefaultRouteInterfaces()
 * is the I/O edge and returns [] where the files do not exist (not Linux) or cannot be read.
 */
import { readFileSync } from 'node:fs';

/** Route flags (linux/route.h). */
const RTF_UP = 0x0001;
const RTF_REJECT = 0x0200;

interface DefaultRoute {
  readonly iface: string;
  readonly metric: number;
}

/**
 * Default routes of /proc/net/route: destination and mask 0.0.0.0, up, not a reject route. Columns:
 * Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT (hex except the counts).
 */
export function parseIpv4DefaultRoutes(text: string): DefaultRoute[] {
  const out: DefaultRoute[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const flags = parseInt(f[3]!, 16);
    if (f[1] !== '00000000' || f[7] !== '00000000' || (flags & RTF_UP) === 0 || (flags & RTF_REJECT) !== 0) continue;
    out.push({ iface: f[0]!, metric: Number(f[6]) });
  }
  return out;
}

/**
 * Default routes of /proc/net/ipv6_route: ::/0, up, not a reject route (the kernel lists an
 * unreachable ::/0 on `lo`). Columns: dest dest_plen src src_plen next_hop metric refcnt use flags
 * iface, all hex but the name.
 */
export function parseIpv6DefaultRoutes(text: string): DefaultRoute[] {
  const out: DefaultRoute[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const flags = parseInt(f[8]!, 16);
    if (!/^0{32}$/.test(f[0]!) || f[1] !== '00' || (flags & RTF_UP) === 0 || (flags & RTF_REJECT) !== 0) continue;
    out.push({ iface: f[9]!, metric: parseInt(f[5]!, 16) });
  }
  return out;
}

/** Interface names of the default routes: IPv4 first, each family by ascending metric, no repeats. */
export function defaultRouteInterfaces(ipv4Table: string, ipv6Table: string): string[] {
  const byMetric = (a: DefaultRoute, b: DefaultRoute): number => a.metric - b.metric;
  const names = [...parseIpv4DefaultRoutes(ipv4Table).sort(byMetric), ...parseIpv6DefaultRoutes(ipv6Table).sort(byMetric)].map((r) => r.iface);
  return [...new Set(names)];
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The default routes' interfaces of this network namespace; [] without /proc/net (not Linux). */
export function readDefaultRouteInterfaces(): string[] {
  return defaultRouteInterfaces(readOrEmpty('/proc/net/route'), readOrEmpty('/proc/net/ipv6_route'));
}
