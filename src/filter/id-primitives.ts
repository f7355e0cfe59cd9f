import type { Bool } from './filter-ir';
import { FilterSyntaxError } from './filter-error';
import type { Token } from './lexer';
import { maskV4, maskV6, parseV4, parseV6 } from './ip-address';
import type { PortProto } from './names';
import { lookupProtocol, lookupService } from './names';
import { hostV4, hostV6, portProtos, portRange, protoNumber } from './primitives';
import type { Qual } from './qualifiers';

/**
 * The meaning of an id (number, address or name) under its qualifiers: libpcap's gen_ncode(),
 * gen_mcode(), gen_mcode6() and gen_scode(), with the same acceptance rules.
 */
function fail(t: Token, expected: string): never {
  throw new FilterSyntaxError(t.col, expected, t.text);
}

function portWord(q: Qual): string {
  return `a port number or service name after "${q.addr}"`;
}

function checkV4Proto(t: Token, q: Qual): void {
  if (q.proto === '' || q.proto === 'ip' || q.proto === 'arp' || q.proto === 'rarp') return;
  if (q.proto === 'ip6') fail(t, 'an IPv6 address after "ip6" (it qualifies an IPv4 address here)');
  fail(t, `no "${q.proto}" qualifier before a host or network`);
}

function checkPortProto(t: Token, q: Qual): void {
  if (q.proto === '' || q.proto === 'tcp' || q.proto === 'udp' || q.proto === 'sctp') return;
  fail(t, `tcp, udp or sctp as the protocol of "${q.addr}", not "${q.proto}"`);
}

function checkPort(t: Token, n: number): number {
  if (n > 65535) fail(t, 'a port number from 0 to 65535');
  return n;
}

/** Ports of the named protocol only, or tcp+udp+sctp ("any"), after libpcap's conflict checks. */
function portSet(t: Token, q: Qual, real: PortProto, what: string): number[] {
  if (q.proto === '') return portProtos(real);
  if (real !== 'any' && real !== q.proto) fail(t, `a ${q.proto} service name (${what} is ${real} only)`);
  return portProtos(q.proto);
}

/** A plain number: an IPv4 host (net: promoted short network number), a port or a protocol. */
export function genNum(t: Token, q: Qual): Bool {
  const v = t.num;
  switch (q.addr) {
    case 'port':
    case 'portrange':
      checkPortProto(t, q);
      checkPort(t, v);
      return portRange(v, v, portProtos(q.proto), q.dir, q.addr === 'portrange');
    case 'proto':
      if (q.proto !== '' && q.proto !== 'ip' && q.proto !== 'ip6') fail(t, `"ip" or "ip6" before "proto", not "${q.proto}"`);
      return protoNumber(v, q.proto);
    default: {
      checkV4Proto(t, q);
      let value = v;
      let mask = 0xffffffff;
      if (q.addr === 'net') {
        // `net 10` means 10.0.0.0/8: shift the number up while its top byte is zero.
        while (value !== 0 && (value & 0xff000000) === 0) {
          value = (value << 8) >>> 0;
          mask = (mask << 8) >>> 0;
        }
      }
      return hostV4(value, mask, q.dir, q.proto);
    }
  }
}

export interface MaskSpec {
  len?: number;
  mask?: string;
  tok: Token;
}

/** Dotted IPv4 address, possibly short (`10.1` = 10.1.0.0/16), with optional /len or mask. */
export function genHid(t: Token, q: Qual, m?: MaskSpec): Bool {
  if (q.addr === 'port' || q.addr === 'portrange') fail(t, portWord(q));
  if (q.addr === 'proto') fail(t, 'a protocol number or \\name after "proto"');
  const a = parseV4(t.text);
  if (a === undefined) fail(t, 'a valid IPv4 address');
  if (m === undefined) {
    checkV4Proto(t, q);
    return hostV4(a.value, maskV4(a.bits), q.dir, q.proto);
  }
  let mask: number;
  if (m.len !== undefined) {
    if (m.len > 32) fail(m.tok, 'a mask length of at most 32');
    mask = maskV4(m.len);
  } else {
    const mm = parseV4(m.mask!);
    if (mm === undefined) fail(m.tok, 'a valid dotted network mask');
    mask = mm.value;
  }
  if ((a.value & ~mask) !== 0) fail(t, 'a network address with no bits set outside its mask');
  if (q.addr === 'host') fail(t, 'a host address without a mask ("/len" and "mask" are for "net")');
  checkV4Proto(t, q);
  return hostV4(a.value, mask, q.dir, q.proto);
}

/** IPv6 address with optional /len (host only with /128). */
export function genHid6(t: Token, q: Qual, lenTok?: Token): Bool {
  if (q.addr === 'port' || q.addr === 'portrange') fail(t, portWord(q));
  if (q.addr === 'proto') fail(t, 'a protocol number or \\name after "proto"');
  const words = parseV6(t.text);
  if (words === undefined) fail(t, 'a valid IPv6 address');
  const len = lenTok === undefined ? 128 : lenTok.num;
  if (len > 128) fail(lenTok!, 'a prefix length of at most 128');
  const masks = maskV6(len);
  for (let i = 0; i < 4; i++) {
    if ((words[i]! & ~masks[i]!) !== 0) fail(t, 'a network address with no bits set outside its prefix');
  }
  if (lenTok !== undefined && q.addr === 'host' && len !== 128) {
    fail(t, 'a host address without a prefix length ("/len" is for "net")');
  }
  if (q.proto === 'ip') fail(t, 'an IPv4 address after "ip" (it qualifies an IPv6 address here)');
  if (q.proto !== '' && q.proto !== 'ip6') fail(t, `no "${q.proto}" qualifier before a host or network`);
  return hostV6(words, masks, q.dir);
}

function portOrName(t: Token, q: Qual, s: string): { port: number; proto: PortProto } {
  if (/^[0-9]+$/.test(s)) return { port: checkPort(t, parseInt(s, 10)), proto: 'any' };
  const r = lookupService(s);
  if (r === undefined) fail(t, portWord(q));
  return r;
}

/** A name: service (port, portrange), protocol (proto); host names are never resolved. */
export function genName(t: Token, q: Qual): Bool {
  const name = t.text;
  switch (q.addr) {
    case 'port': {
      checkPortProto(t, q);
      const r = lookupService(name);
      if (r === undefined) fail(t, portWord(q));
      return portRange(r.port, r.port, portSet(t, q, r.proto, `"${name}"`), q.dir, false);
    }
    case 'portrange': {
      checkPortProto(t, q);
      const dash = name.indexOf('-');
      if (dash <= 0 || dash === name.length - 1) fail(t, portWord(q));
      const a = portOrName(t, q, name.slice(0, dash));
      const b = portOrName(t, q, name.slice(dash + 1));
      const real: PortProto = a.proto === b.proto ? a.proto : 'any';
      return portRange(a.port, b.port, portSet(t, q, real, `"${name}"`), q.dir, true);
    }
    case 'proto': {
      if (q.proto !== '' && q.proto !== 'ip' && q.proto !== 'ip6') fail(t, `"ip" or "ip6" before "proto", not "${q.proto}"`);
      const n = lookupProtocol(name);
      if (n === undefined) fail(t, 'a protocol number or a name from /etc/protocols after "proto"');
      return protoNumber(n, q.proto);
    }
    default:
      return fail(t, 'an IPv4 or IPv6 address (netmon does not resolve host names)');
  }
}
