/**
 * The default interface is the default route's: parsers on real /proc tables, and defaultInterface()
 * inside a test-made network namespace (root) whose default route the test moves between two
 * interfaces, so libpcap's own order cannot be what picks the answer.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { defaultRouteInterfaces, parseIpv4DefaultRoutes, parseIpv6DefaultRoutes } from '../../src/capture/default-route';
import { liveSkipReason, withVethNs } from '../support/netns';

// A VM's tables (cat /proc/net/route; cat /proc/net/ipv6_route), trailing spaces as the kernel pads.
const VM_ROUTE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0                                                                               
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0                                                                               
`;
const VM_ROUTE6 = `fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0
00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000004 00000000 80200001       lo
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
`;

// A Kubernetes node (Calico): pod routes on cali* veths, a tunnel, two default routes by metric.
const NODE_ROUTE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
cali3f2a1b4c5d6\t0A0A0102\t00000000\t0005\t0\t0\t0\tFFFFFFFF\t0\t0\t0
tunl0\t00C00A0A\t0B01000A\t0003\t0\t0\t0\t00FFFFFF\t0\t0\t0
ens6\t00000000\t0100000A\t0003\t0\t0\t200\t00000000\t0\t0\t0
ens5\t00000000\t0101000A\t0003\t0\t0\t100\t00000000\t0\t0\t0
ens5\t0000000A\t00000000\t0001\t0\t0\t100\t0000FFFF\t0\t0\t0
`;

describe('default route parsing', () => {
  it('finds the IPv4 default route and ignores the prefix routes', () => {
    assert.deepEqual(parseIpv4DefaultRoutes(VM_ROUTE), [{ iface: 'eth0', metric: 0 }]);
  });
  it('orders IPv4 default routes by metric', () => {
    assert.deepEqual(defaultRouteInterfaces(NODE_ROUTE, ''), ['ens5', 'ens6']);
  });
  it('finds the IPv6 default route and skips the unreachable ::/0 on lo', () => {
    assert.deepEqual(parseIpv6DefaultRoutes(VM_ROUTE6), [{ iface: 'eth0', metric: 0x400 }]);
  });
  it('puts IPv4 first and names an interface once', () => {
    assert.deepEqual(defaultRouteInterfaces(VM_ROUTE, VM_ROUTE6), ['eth0']);
    assert.deepEqual(defaultRouteInterfaces('', VM_ROUTE6), ['eth0']);
    assert.deepEqual(defaultRouteInterfaces('', ''), []);
  });
  it('ignores a route that is not up and a reject route', () => {
    const down = NODE_ROUTE.replace('ens5\t00000000\t0101000A\t0003', 'ens5\t00000000\t0101000A\t0002');
    assert.deepEqual(defaultRouteInterfaces(down, ''), ['ens6']);
    const reject = NODE_ROUTE.replace('ens6\t00000000\t0100000A\t0003', 'ens6\t00000000\t0100000A\t0201');
    assert.deepEqual(defaultRouteInterfaces(reject, ''), ['ens5']);
  });
});

const INTERFACES_JS = join(__dirname, '..', '..', 'src', 'capture', 'interfaces.js');

describe('defaultInterface() in a network namespace', { skip: liveSkipReason(), timeout: 30_000 }, () => {
  it('follows the default route from one interface to another', () =>
    withVethNs((v) => {
      // A second interface: one end of a veth pair made inside the namespace (no dummy module needed).
      const dummy = `${v.ns}a`;
      const inNs = (...args: string[]): void => {
        v.exec(args);
      };
      inNs('ip', 'link', 'add', dummy, 'type', 'veth', 'peer', 'name', `${v.ns}b`);
      inNs('ip', 'link', 'set', dummy, 'up');
      inNs('ip', 'link', 'set', `${v.ns}b`, 'up');
      inNs('ip', 'addr', 'add', '198.18.255.1/30', 'dev', dummy);
      const pick = (): string => {
        const r = spawnSync('ip', ['netns', 'exec', v.ns, process.execPath, '-e', `process.stdout.write(String(require(${JSON.stringify(INTERFACES_JS)}).defaultInterface()))`], {
          encoding: 'utf8',
          timeout: 10_000,
        });
        assert.equal(r.status, 0, r.stderr);
        return r.stdout;
      };
      // No default route: libpcap's first interface that is up, one of the two.
      const first = pick();
      assert.ok(first === v.peer || first === dummy || first === `${v.ns}b`, first);
      inNs('ip', 'route', 'add', 'default', 'via', v.hostAddr, 'dev', v.peer);
      assert.equal(pick(), v.peer);
      inNs('ip', 'route', 'replace', 'default', 'via', '198.18.255.2', 'dev', dummy);
      assert.equal(pick(), dummy);
      // The default route's interface going down hands the choice back to libpcap's order.
      inNs('ip', 'link', 'set', dummy, 'down');
      assert.equal(pick(), v.peer);
    }));
});
