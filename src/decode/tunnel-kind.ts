/**
 * Tunnels whose inner packet netmon decodes for the DNS and TCP analysis (flows and named filters
 * stay on the outer packet, the one on the wire). Values index TUNNEL_NAMES. UDP marks the IP
 * protocol whose ports decide (VXLAN, Geneve, GTP-U, L2TP, Teredo, VXLAN-GPE, GRE and MPLS in UDP, CAPWAP); it is
 * not a tunnel itself.
 */
export const Tunnel = { NONE: 0, IPIP: 1, GRE: 2, VXLAN: 3, GENEVE: 4, GTPU: 5, L2TP: 6, TEREDO: 7, VXLAN_GPE: 8, GRE_UDP: 9, MPLS_UDP: 10, CAPWAP: 11, UDP: 12 } as const;

/** Tunnel names, indexed by Tunnel (the UDP slot unused). */
export const TUNNEL_NAMES: readonly string[] = ['none', 'ipip', 'gre', 'vxlan', 'geneve', 'gtpu', 'l2tp', 'teredo', 'vxlan_gpe', 'gre_udp', 'mpls_udp', 'capwap'];
