import { PROTOCOLS_DATA, SERVICES_DATA } from './netbase-names';

/** Transport protocol a port name resolved to; `any` = same port for tcp and udp (PROTO_UNDEF). */
export type PortProto = 'tcp' | 'udp' | 'any';

export interface PortName {
  port: number;
  proto: PortProto;
}

let services: Map<string, PortName> | undefined;
let protocols: Map<string, number> | undefined;

/**
 * libpcap 1.10 pcap_nametoport(): look the name up for tcp, then udp; a name known for both
 * with the same port matches tcp, udp and sctp, one known for tcp first wins otherwise.
 */
export function lookupService(name: string): PortName | undefined {
  if (services === undefined) {
    services = new Map();
    for (const row of SERVICES_DATA.split(';')) {
      const [n, t, u] = row.split(' ') as [string, string, string];
      if (t !== '-') services.set(n, { port: +t, proto: u === t ? 'any' : 'tcp' });
      else services.set(n, { port: +u, proto: 'udp' });
    }
  }
  return services.get(name);
}

/** getprotobyname() over netbase's /etc/protocols (names and aliases). */
export function lookupProtocol(name: string): number | undefined {
  if (protocols === undefined) {
    protocols = new Map();
    for (const row of PROTOCOLS_DATA.split(';')) {
      const [n, v] = row.split(' ') as [string, string];
      protocols.set(n, +v);
    }
  }
  return protocols.get(name);
}
