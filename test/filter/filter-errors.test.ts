/**
 * One test per compile error: the filter name, the 1-based column of the offending token and
 * what was expected. Each rejected expression is one libpcap 1.10.3 rejects as well (checked
 * with `tcpdump -d`), except the primitives netmon does not implement, marked below.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter, FilterError } from '../../src/filter/compile-filter';

function err(expr: string, name = 'f'): FilterError {
  try {
    compileFilter(name, expr);
  } catch (e) {
    assert.ok(e instanceof FilterError, `not a FilterError: ${String(e)}`);
    return e;
  }
  assert.fail(`"${expr}" compiled`);
}

/** [expression, column, expected, got] */
const CASES: ReadonlyArray<[string, number, string, string]> = [
  // lexical
  ['port 80 @ 1', 9, 'an operator, a keyword, a number or an address', '@'],
  ['ip proto \\', 10, 'a name after "\\"', '\\'],
  ['port 08', 6, 'an octal number (leading 0)', '08'],
  ['len > 4294967296', 7, 'a number that fits in 32 bits', '4294967296'],
  // grammar
  ['port 80 port 81', 9, '"and", "or" or the end of the expression', 'port'],
  ['port 80)', 8, 'no unmatched ")"', ')'],
  ['(port 80', 9, '")"', ''],
  ['ip[0]', 6, 'a comparison (=, !=, <, <=, >, >=)', ''],
  ['1.2.3.4', 1, 'a primitive (host, net, port, portrange, proto, tcp, udp, ...), "not" or "("', '1.2.3.4'],
  ['less foo', 6, 'a length in bytes after "less"', 'foo'],
  ['src proto 6', 5, 'an address after the direction', 'proto'],
  ['tcp or 80', 8, 'a primitive (host, net, port, ...) before this value: there are no qualifiers to reuse', '80'],
  ['port', 5, 'a port number or service name after "port"', ''],
  ['host', 5, 'an IPv4 or IPv6 address after "host"', ''],
  ['net and', 5, 'a network address after "net"', 'and'],
  ['ip proto', 9, 'a protocol number or \\name after "proto"', ''],
  ['net 10.0.0.0/x', 14, 'a mask length after "/"', 'x'],
  ['net 10.0.0.0 mask 8', 19, 'a dotted network mask after "mask"', '8'],
  ['net ::/x', 8, 'a prefix length after "/"', 'x'],
  ['ip[0:3] = 1', 6, 'a load size of 1, 2 or 4', '3'],
  ['ip[0 = 1', 6, '"]" or ":size]"', '='],
  ['ip[0] = foo', 9, 'a number, "len" or a header load such as tcp[13]', 'foo'],
  // constant checks of libpcap's gen_arth(): only the operand's first statement counts
  ['ip[0] / 0 = 1', 9, 'a non-zero divisor', '0'],
  ['len / ip[0] = 1', 7, 'a non-zero divisor', 'ip'],
  ['ip[0] / (2 - 2) = 1', 9, 'a non-zero divisor', '('],
  ['ip[0] % 0 = 1', 9, 'a non-zero modulus', '0'],
  ['ip[0] << 32 = 1', 10, 'a shift count of at most 31', '32'],
  ['len >> ip[40] = 1', 8, 'a shift count of at most 31', 'ip'],
  // unsupported by netmon (tcpdump accepts these)
  ['vlan 10', 1, 'a primitive netmon supports (netmon does not support "vlan")', 'vlan'],
  ['ether host 1:2:3:4:5:6', 1, 'a primitive netmon supports (netmon does not support "ether")', 'ether'],
  ['tcp or gateway foo', 8, 'a primitive netmon supports (netmon does not support "gateway")', 'gateway'],
  ['ether[0] = 1', 1, 'a primitive netmon supports (netmon does not support "ether")', 'ether'],
  // qualifiers and values
  ['ip6 host 1.2.3.4', 10, 'an IPv6 address after "ip6" (it qualifies an IPv4 address here)', '1.2.3.4'],
  ['ip6 net 10', 9, 'an IPv6 address after "ip6" (it qualifies an IPv4 address here)', '10'],
  ['ip host ::1', 9, 'an IPv4 address after "ip" (it qualifies an IPv6 address here)', '::1'],
  ['tcp host 1.2.3.4', 10, 'no "tcp" qualifier before a host or network', '1.2.3.4'],
  ['ip port 80', 9, 'tcp, udp or sctp as the protocol of "port", not "ip"', '80'],
  ['port 70000', 6, 'a port number from 0 to 65535', '70000'],
  ['portrange 1-70000', 11, 'a port number from 0 to 65535', '1-70000'],
  ['udp port ssh', 10, 'a udp service name ("ssh" is tcp only)', 'ssh'],
  ['udp portrange ssh-ssh', 15, 'a udp service name ("ssh-ssh" is tcp only)', 'ssh-ssh'],
  ['tcp port ntp', 10, 'a tcp service name ("ntp" is udp only)', 'ntp'],
  ['tcp proto 6', 11, '"ip" or "ip6" before "proto", not "tcp"', '6'],
  ['host 1.2.3.256', 6, 'a valid IPv4 address', '1.2.3.256'],
  ['net 10.0.0.0/33', 14, 'a mask length of at most 32', '33'],
  ['net 10.0.0.0 mask 255.255.255.256', 19, 'a valid dotted network mask', '255.255.255.256'],
  ['net 10.0.0.1/8', 5, 'a network address with no bits set outside its mask', '10.0.0.1'],
  ['net 1.2.3.4 mask 255.0.0.0', 5, 'a network address with no bits set outside its mask', '1.2.3.4'],
  ['host 10.0.0.0/8', 6, 'a host address without a mask ("/len" and "mask" are for "net")', '10.0.0.0'],
  ['net ::/129', 8, 'a prefix length of at most 128', '129'],
  ['net ::1/64', 5, 'a network address with no bits set outside its prefix', '::1'],
  ['host ::/64', 6, 'a host address without a prefix length ("/len" is for "net")', '::'],
  ['port foo', 6, 'a port number or service name after "port"', 'foo'],
  ['port 80-90', 6, 'a port number or service name after "port"', '80-90'],
  ['tcp portrange foo', 15, 'a port number or service name after "portrange"', 'foo'],
  ['portrange 1-foo', 11, 'a port number or service name after "portrange"', '1-foo'],
  ['ip proto \\nosuchproto', 10, 'a protocol number or a name from /etc/protocols after "proto"', 'nosuchproto'],
  ['host example.com', 6, 'an IPv4 or IPv6 address (netmon does not resolve host names)', 'example.com'],
  ['port 80 or example', 12, 'a port number or service name after "port"', 'example'],
  ['src foo', 5, 'an IPv4 or IPv6 address (netmon does not resolve host names)', 'foo'],
];

for (const [expr, column, expected, got] of CASES) {
  test(`rejects ${JSON.stringify(expr)}: ${expected}`, () => {
    const e = err(expr);
    assert.equal(e.filterName, 'f');
    assert.equal(e.expected, expected);
    assert.equal(e.column, column);
    assert.equal(e.got, got);
  });
}

test('message format names the filter, the column, what was expected and what was found', () => {
  const e = err('tcp portrange foo', 'web');
  assert.equal(e.message, 'filter "web": column 15: expected a port number or service name after "portrange", got "foo"');
  assert.equal(err('port', 'dns').message, 'filter "dns": column 5: expected a port number or service name after "port", got end of expression');
});

test('accepts what tcpdump accepts, including expressions it proves empty', () => {
  for (const expr of [
    '', 'tcp and udp', 'port 80 and not port 80', 'ip6 proto 6 and ip[0] = 1', 'net 10', 'host 10.1',
    'net 10.1.2.0 mask 255.255.255', 'portrange 20-10', 'portrange 80', 'ip proto \\tcp', 'proto \\udp',
    'port \\http', 'ip6 proto \\ipv6-frag', 'host ::1/128', 'net 0.0.0.0/0', 'src and dst port 80',
    'dst or src host 1.2.3.4', 'port 0x50', 'port 010', 'len = 0X10', 'tcp[-1] = 0', 'ip[4294967295] = 1',
    'udp portrange 80-ntp', 'portrange ssh-http', 'udp portrange domain-http', 'port 80 and (443 or 8080)',
    'icmp6[icmp6type] = icmp6-multicastrouterterm', 'tcp[tcpflags] & (tcp-ece|tcp-cwr) != 0', '1 = 1',
  ]) {
    assert.doesNotThrow(() => compileFilter('ok', expr), expr);
  }
});
