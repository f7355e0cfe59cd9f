import type { DnsAnalyzer } from '../analysis/dns-analyzer';
import type { TcpAnalyzer } from '../analysis/tcp-analyzer';
import { DECODE_OK } from '../decode/decode-layer';
import { DecodedPacket } from '../decode/packet';
import { decodeTunnel, TUNNEL_EMPTY } from '../decode/tunnel';
import { Tunnel, TUNNEL_NAMES } from '../decode/tunnel-kind';

export interface TunnelOptions {
  readonly vxlanPorts: readonly number[];
  readonly genevePorts: readonly number[];
  readonly gtpuPorts: readonly number[];
  readonly l2tpPorts: readonly number[];
  readonly teredoPorts: readonly number[];
  readonly vxlanGpePorts: readonly number[];
  readonly greUdpPorts: readonly number[];
  readonly mplsUdpPorts: readonly number[];
  readonly capwapPorts: readonly number[];
}

/** Tunnels inside tunnels are followed this deep (outer packet not counted). */
export const MAX_TUNNEL_DEPTH = 4;

/**
 * The DNS and TCP analysis of packets inside tunnels (IP in IP, GRE, and over UDP VXLAN, Geneve, GTP-U, L2TP, Teredo, VXLAN-GPE, GRE, MPLS, CAPWAP), as
 * Wireshark analyses the TCP and DNS it dissects inside them: kindOf() tells whether a decoded packet
 * is one (a table load for every IP packet), observe() decodes the packet it carries into a
 * DecodedPacket of its own and hands that to the analysers. A TCP connection inside a tunnel is found
 * by its own 5-tuple (the flow the pipeline counted is the outer one). Nothing here allocates.
 */
export class TunnelAnalysis {
  /** Per IP protocol: Tunnel.IPIP (4, 41), Tunnel.GRE (47), Tunnel.UDP (17: the ports decide), else 0. */
  private readonly protoKinds = new Uint8Array(256);
  /** Per UDP port: the Tunnel of the tunnels.*_ports list it is in. */
  private readonly portKinds = new Uint8Array(65536);
  /** Two packets, alternately the inner one and (for a tunnel inside it) its outer one. */
  private readonly packets = [new DecodedPacket(), new DecodedPacket()];
  /** Packets whose inner packet was decoded, by Tunnel (outermost first for nested ones). */
  readonly decoded = new Float64Array(TUNNEL_NAMES.length);

  constructor(
    o: TunnelOptions,
    private readonly dns: DnsAnalyzer | null,
    private readonly tcp: TcpAnalyzer | null,
    /** Counts a decode error of an inner packet (its DecodeLayer). */
    private readonly decodeError: (layer: number) => void,
  ) {
    this.protoKinds[4] = Tunnel.IPIP;
    this.protoKinds[41] = Tunnel.IPIP;
    this.protoKinds[47] = Tunnel.GRE;
    let udp = false;
    const udpKinds = [
      [o.vxlanPorts, Tunnel.VXLAN], [o.genevePorts, Tunnel.GENEVE], [o.gtpuPorts, Tunnel.GTPU], [o.l2tpPorts, Tunnel.L2TP],
      [o.teredoPorts, Tunnel.TEREDO], [o.vxlanGpePorts, Tunnel.VXLAN_GPE], [o.greUdpPorts, Tunnel.GRE_UDP], [o.mplsUdpPorts, Tunnel.MPLS_UDP], [o.capwapPorts, Tunnel.CAPWAP],
    ] as const;
    for (const [ports, kind] of udpKinds) {
      for (const port of ports) {
        this.portKinds[port] = kind;
        udp = true;
      }
    }
    if (udp) this.protoKinds[17] = Tunnel.UDP;
  }

  /** A port map marking the UDP tunnel ports and those `ports` marks (the DNS ports), for the pipeline's one check. */
  withUdpPorts(ports: Uint8Array | undefined): Uint8Array {
    const m = ports === undefined ? new Uint8Array(65536) : Uint8Array.from(ports);
    for (let p = 0; p < 65536; p++) if (this.portKinds[p] !== 0) m[p] = 1;
    return m;
  }

  /**
   * The Tunnel that decoded packet `pkt` is, or 0. UDP is a tunnel by its destination port, else by
   * its source port (the reply of a tunnel endpoint that answers from the well-known port).
   * Fragments are not (Wireshark reassembles them first; netmon reassembles only DNS).
   */
  kindOf(pkt: DecodedPacket): number {
    const k = this.protoKinds[pkt.ipProto & 255]!;
    if (k === 0 || pkt.isFragment) return 0;
    if (k !== Tunnel.UDP) return k;
    if (pkt.l4Offset < 0) return 0;
    const d = this.portKinds[pkt.dstPort]!;
    return d !== 0 ? d : this.portKinds[pkt.srcPort]!;
  }

  /** Analyses the packet that `pkt`, a tunnel of `kind`, carries (and those it carries in turn). */
  observe(ifIndex: number, buf: Buffer, pkt: DecodedPacket, kind: number): void {
    let outer = pkt;
    for (let depth = 0; depth < MAX_TUNNEL_DEPTH && kind !== 0; depth++) {
      const inner = this.packets[depth & 1]!;
      const err = decodeTunnel(buf, outer, kind, inner);
      if (err === TUNNEL_EMPTY) return;
      if (inner.ipVersion !== 0) this.decoded[kind]++;
      if (err !== DECODE_OK) this.decodeError(err);
      if (inner.ipVersion === 0) return;
      const tcp = this.tcp;
      if (tcp !== null && inner.ipProto === 6) {
        if (inner.isFragment && (inner.fragOffset !== 0 || inner.fragMore)) tcp.fragment(ifIndex, buf, inner);
        else if (inner.l4Offset >= 0) tcp.observe(ifIndex, buf, inner, -1);
      }
      const dns = this.dns;
      if (dns !== null) {
        if (inner.isFragment && inner.ipProto === 17) dns.fragment(ifIndex, buf, inner);
        else if (inner.l4Offset >= 0 && (dns.portMap[inner.srcPort]! | dns.portMap[inner.dstPort]!) !== 0) dns.observe(ifIndex, buf, inner);
        else if (inner.icmpType >= 0) dns.icmpError(ifIndex, buf, inner);
      }
      outer = inner;
      kind = this.kindOf(inner);
    }
  }
}
