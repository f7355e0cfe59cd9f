/**
 * Source-routed and mobile variants of Ethernet frames of IPv4 and IPv6 packets, for the oracle
 * tests: the packet's endpoints stay what they were for Wireshark, while the header shows another
 * address. IPv4 gets a loose or strict source route whose last address is the real destination
 * (the header's is a waypoint); IPv6 gets a segment routing (type 4), type 0 or Mobile IPv6 (type 2)
 * routing header with Segments Left 1 and the real destination in it, or a Home Address option
 * with the real source (the header's is a care-of address).
 */
import { ETH, inetChecksum, ipv4Bytes, ipv6Bytes, randomIpv4, randomIpv6 } from './frames';

export type Route = 'ipv4-lsr' | 'ipv4-ssr' | 'ipv6-srh' | 'ipv6-rh0' | 'ipv6-rh2' | 'ipv6-home';

const V4: readonly Route[] = ['ipv4-lsr', 'ipv4-ssr'];
const V6: readonly Route[] = ['ipv6-srh', 'ipv6-rh0', 'ipv6-rh2', 'ipv6-home'];

/** `frame` with a route of kind `how` (of its IP version) added, or null when it cannot carry one. */
export function route(frame: Buffer, how: Route, rand: () => number): Buffer | null {
  const ethType = frame.readUInt16BE(12);
  const ip = frame.subarray(14);
  if (ethType === ETH.IPV4 && how.startsWith('ipv4')) {
    if ((ip[0]! & 15) !== 5) return null;
    const h = Buffer.from(ip.subarray(0, 20));
    const options = Buffer.alloc(8, 1); // NOP padding after the route
    options[0] = how === 'ipv4-lsr' ? 131 : 137;
    options[1] = 7;
    options[2] = 4; // the pointer at the route's first (and last) address
    h.copy(options, 3, 16, 20); // the real destination
    ipv4Bytes(randomIpv4(rand)).copy(h, 16); // the next hop
    h[0] = 0x47;
    h.writeUInt16BE(ip.readUInt16BE(2) + 8, 2);
    h.writeUInt16BE(0, 10);
    const header = Buffer.concat([h, options]);
    header.writeUInt16BE(inetChecksum(header), 10);
    return Buffer.concat([frame.subarray(0, 14), header, ip.subarray(20)]);
  }
  if (ethType === ETH.IPV6 && how.startsWith('ipv6')) {
    const nh = ip[6]!;
    if (nh !== 6 && nh !== 17) return null;
    const h = Buffer.from(ip.subarray(0, 40));
    const ext = Buffer.alloc(24);
    ext[0] = nh;
    ext[1] = 2;
    if (how === 'ipv6-home') {
      ext[2] = 201;
      ext[3] = 16;
      h.copy(ext, 4, 8, 24); // the home address: the real source
      ext[20] = 1; // PadN of 2 bytes
      ext[21] = 2;
      ipv6Bytes(randomIpv6(rand)).copy(h, 8); // the care-of address
      h[6] = 60;
    } else {
      ext[2] = how === 'ipv6-srh' ? 4 : how === 'ipv6-rh0' ? 0 : 2;
      ext[3] = 1;
      h.copy(ext, 8, 24, 40); // the real destination (SRH: segment list [0], Last Entry 0)
      ipv6Bytes(randomIpv6(rand)).copy(h, 24); // the next segment
      h[6] = 43;
    }
    h.writeUInt16BE(ip.readUInt16BE(4) + 24, 4);
    return Buffer.concat([frame.subarray(0, 14), h, ext, ip.subarray(40)]);
  }
  return null;
}

/**
 * A share `share` of `frames` routed, each in a way of its IP version picked at random; counts the
 * frames routed by kind.
 */
export function routeSome<F extends { data: Buffer; ts: number }>(frames: readonly F[], rand: () => number, share: number): { frames: F[]; routed: Map<Route, number> } {
  const routed = new Map<Route, number>();
  const out = frames.map((f) => {
    if (rand() >= share) return f;
    const v4 = f.data.readUInt16BE(12) === ETH.IPV4;
    const kinds = v4 ? V4 : V6;
    const how = kinds[Math.floor(rand() * kinds.length)]!;
    const data = route(f.data, how, rand);
    if (data === null) return f;
    routed.set(how, (routed.get(how) ?? 0) + 1);
    return { ...f, data };
  });
  return { frames: out, routed };
}
