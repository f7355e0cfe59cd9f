import { FilterSyntaxError } from './filter-error';
import { NUMERIC_NAMES } from './keyword-values';
import { isV6Text } from './ip-address';

/**
 * Tokenizer following libpcap 1.10's scanner.l: flex takes the LONGEST match, ties go to the
 * earlier rule (keywords, then numbers, then dotted/colon addresses, then names). Consequences
 * that tcpdump users meet: `len-1` is one name token (a syntax error), `10-20` is one name
 * token (what `portrange` wants), `tcp-syn` is the number 2.
 */
export type TokKind =
  | 'num' // value in `num`
  | 'hid' // dotted IPv4 (1 to 4 parts), text in `text`
  | 'hid6' // IPv6 address
  | 'id' // a name (service, protocol, host name), backslash escapes removed
  | 'kw' // keyword, lower case in `text`
  | 'op' // punctuation / operator
  | 'end';

export interface Token {
  kind: TokKind;
  text: string;
  num: number;
  /** 1-based column of the first character. */
  col: number;
}

/** Words libpcap treats as keywords (so they are never names), including ones netmon rejects. */
const KEYWORDS = new Set([
  'host', 'net', 'mask', 'port', 'portrange', 'proto', 'protochain', 'src', 'dst', 'and', 'or', 'not',
  'ip', 'ip6', 'arp', 'rarp', 'tcp', 'udp', 'sctp', 'icmp', 'icmp6', 'less', 'greater', 'len',
  'gateway', 'ether', 'fddi', 'tr', 'wlan', 'link', 'ppp', 'slip', 'vlan', 'mpls', 'pppoed', 'pppoes',
  'geneve', 'broadcast', 'multicast', 'inbound', 'outbound', 'igmp', 'igrp', 'pim', 'vrrp', 'carp',
  'ah', 'esp', 'atalk', 'aarp', 'decnet', 'lat', 'sca', 'moprc', 'mopdl', 'iso', 'esis', 'es-is',
  'isis', 'is-is', 'clnp', 'stp', 'ipx', 'netbeui', 'llc', 'byte', 'ifname', 'on', 'rnr', 'rulenum',
  'reason', 'rset', 'ruleset', 'srnr', 'subrulenum', 'action', 'radio', 'type', 'subtype', 'dir',
  'ra', 'ta', 'addr1', 'addr2', 'addr3', 'addr4', 'l1', 'l2', 'iih', 'lsp', 'snp', 'csnp', 'psnp',
  'atmfield', 'vpi', 'vci', 'lane', 'oamf4ec', 'oamf4sc', 'oamf4', 'oam', 'metac', 'bcc', 'sc',
  'ilmic', 'connectmsg', 'metaconnect', 'fisu', 'lssu', 'msu', 'sio', 'opc', 'dpc', 'sls',
  'hfisu', 'hlssu', 'hmsu', 'hsio', 'hopc', 'hdpc', 'hsls',
]);

const OPS = ['&&', '||', '==', '!=', '<=', '>=', '<<', '>>', '(', ')', '[', ']', ':', '!', '=', '<',
  '>', '+', '-', '*', '/', '%', '&', '|', '^'];

const RE_ID = /[A-Za-z0-9](?:[-_.A-Za-z0-9]*[.A-Za-z0-9])?/y;
const RE_NUM = /0[xX][0-9A-Fa-f]+|[0-9]+/y;
const RE_HID = /(?:[0-9]+)(?:\.[0-9]+){1,3}/y;
const RE_V6CHARS = /[0-9A-Fa-f:.]*/y;
const RE_ESCAPED = /\\[^ !()\n\t]+/y;

function matchLen(re: RegExp, s: string, pos: number): number {
  re.lastIndex = pos;
  const m = re.exec(s);
  return m === null ? 0 : m[0].length;
}

/** libpcap's stoulen(): decimal, 0x hex, leading-0 octal; more than 32 bits is an error. */
function parseNumber(text: string, col: number): number {
  let v: number;
  if (/^0[xX]/.test(text)) v = parseInt(text.slice(2), 16);
  else if (/^0[0-9]+$/.test(text)) {
    if (!/^0[0-7]+$/.test(text)) throw new FilterSyntaxError(col, 'an octal number (leading 0)', text);
    v = parseInt(text, 8);
  } else if (/^[0-9]+$/.test(text)) v = parseInt(text, 10);
  else throw new FilterSyntaxError(col, 'a number', text);
  if (!(v <= 0xffffffff)) throw new FilterSyntaxError(col, 'a number that fits in 32 bits', text);
  return v;
}

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let pos = 0;
  while (pos < src.length) {
    const ch = src[pos]!;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') { pos++; continue; }
    const col = pos + 1;
    if (ch === '\\') {
      const n = matchLen(RE_ESCAPED, src, pos);
      if (n <= 1) throw new FilterSyntaxError(col, 'a name after "\\"', ch);
      out.push({ kind: 'id', text: src.slice(pos + 1, pos + n), num: 0, col });
      pos += n;
      continue;
    }
    // Candidates, longest wins; on a tie the earlier kind wins (keyword, num, hid, hid6, id).
    const idLen = matchLen(RE_ID, src, pos);
    const numLen = matchLen(RE_NUM, src, pos);
    const hidLen = matchLen(RE_HID, src, pos);
    let v6Len = 0;
    const v6Max = matchLen(RE_V6CHARS, src, pos);
    if (v6Max > 1 && src.slice(pos, pos + v6Max).includes(':')) {
      for (let n = v6Max; n >= 2; n--) {
        if (isV6Text(src.slice(pos, pos + n))) { v6Len = n; break; }
      }
    }
    const best = Math.max(idLen, numLen, hidLen, v6Len);
    if (best > 0) {
      const text = src.slice(pos, pos + best);
      const lower = text.toLowerCase();
      if (idLen === best && (KEYWORDS.has(text) || NUMERIC_NAMES.has(text))) {
        const nv = NUMERIC_NAMES.get(text);
        if (nv !== undefined) out.push({ kind: 'num', text, num: nv, col });
        else out.push({ kind: 'kw', text: lower, num: 0, col });
      } else if (numLen === best) {
        out.push({ kind: 'num', text, num: parseNumber(text, col), col });
      } else if (hidLen === best) {
        out.push({ kind: 'hid', text, num: 0, col });
      } else if (v6Len === best) {
        out.push({ kind: 'hid6', text, num: 0, col });
      } else {
        out.push({ kind: 'id', text, num: 0, col });
      }
      pos += best;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, pos));
    if (op === undefined) throw new FilterSyntaxError(col, 'an operator, a keyword, a number or an address', ch);
    out.push({ kind: 'op', text: op, num: 0, col });
    pos += op.length;
  }
  out.push({ kind: 'end', text: '', num: 0, col: src.length + 1 });
  return out;
}
