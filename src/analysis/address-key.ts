import { ipv4Text, ipv6Text } from '../flow/ip-text';
import { finishHash, mixHash } from './key-table';

/**
 * Detector keys hold each address as its first word at one offset and, for IPv6, its other three
 * words at another (0 for IPv4), so that the words an IPv4 key is decided by come first: an IPv4 key
 * is written, hashed and compared on those alone (KeyTable.find's `n`), a third of an IPv6 key.
 */

/** Writes the address at addrs[from..from+3] (DecodedPacket.addrs) as key[first] and key[rest..rest+2]. */
export function putAddress(key: Int32Array, first: number, rest: number, addrs: Uint32Array, from: number, ipVersion: number): void {
  key[first] = addrs[from]! | 0;
  if (ipVersion === 6) {
    key[rest] = addrs[from + 1]! | 0;
    key[rest + 1] = addrs[from + 2]! | 0;
    key[rest + 2] = addrs[from + 3]! | 0;
  } else {
    key[rest] = 0;
    key[rest + 1] = 0;
    key[rest + 2] = 0;
  }
}

/** Hash of the first n words of a key, and for IPv6 the rest up to `width`. */
export function keyHash(seed: number, k: Int32Array, n: number, ipVersion: number, width: number): number {
  let h = seed;
  const end = ipVersion === 6 ? width : n;
  for (let i = 0; i < end; i++) h = mixHash(h, k[i]!);
  return finishHash(h);
}

/** Label text of the address stored as words[first] and words[rest..rest+2] (scrape time only). */
export function addressText(words: Int32Array, first: number, rest: number, ipVersion: number): string {
  return ipVersion === 4 ? ipv4Text(words[first]!) : ipv6Text(words[first]!, words[rest]!, words[rest + 1]!, words[rest + 2]!);
}
