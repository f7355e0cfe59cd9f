#!/usr/bin/env python3
"""Compares `netmon replay FILE --format flows-json` with tshark, an independent decoder, per flow.

usage: scripts/compare-with-tshark.py FILE...   (netmon must be built: npm run build)

A flow is (src, dst, IP protocol, src port, dst port); ports are 0 for non-first fragments and
protocols without ports; for IPv6 the protocol is the one after the extension headers (for
fragments, the one the fragment header names). tshark runs with reassembly off, and only the first
(outer) IP header of each frame counts: netmon's flows are the packets on the wire (it decodes inside
tunnels for the DNS and TCP analysis only) and it does not decode ICMP-embedded packets.
"""
import collections, json, os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIELDS = ['frame.len', 'ip.src', 'ip.dst', 'ip.proto', 'ip.frag_offset', 'ipv6.src', 'ipv6.dst', 'ipv6.nxt',
          'ipv6.fraghdr.nxt', 'ipv6.fraghdr.offset', 'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport',
          'sctp.srcport', 'sctp.dstport', 'icmpv6.type', 'frame.protocols']

def tshark_flows(path):
    cmd = ['tshark', '-n', '-r', path, '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE',
           '-o', 'tcp.desegment_tcp_streams:FALSE', '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=f']
    for f in FIELDS:
        cmd += ['-e', f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    flows = collections.defaultdict(lambda: [0, 0])
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split('\t')))
        protos = v['frame.protocols'].split(':')
        if v['ip.src'] and ('ip' in protos and ('ipv6' not in protos or protos.index('ip') < protos.index('ipv6'))):
            src, dst, proto = v['ip.src'], v['ip.dst'], int(v['ip.proto'])
            first = int(v['ip.frag_offset'] or 0) == 0
        elif v['ipv6.src']:
            src, dst = v['ipv6.src'], v['ipv6.dst']
            if v['ipv6.fraghdr.nxt']:
                proto, first = int(v['ipv6.fraghdr.nxt']), int(v['ipv6.fraghdr.offset'] or 0) == 0
            else:
                proto, first = int(v['ipv6.nxt']), True
            # Past extension headers, the transport tshark dissected (not one inside a tunnel).
            extension = proto in (0, 43, 44, 51, 60, 135)
            for name, number in (('tcp', 6), ('udp', 17), ('sctp', 132), ('icmpv6', 58)):
                if first and extension and name in protos:
                    proto = number
                    break
        else:
            continue
        sport = dport = 0
        if first:
            for p in ('tcp', 'udp', 'sctp'):
                if v[p + '.srcport'] and {'tcp': 6, 'udp': 17, 'sctp': 132}[p] == proto:
                    sport, dport = int(v[p + '.srcport']), int(v[p + '.dstport'])
        f = flows[(src, dst, proto, sport, dport)]
        f[0] += 1
        f[1] += int(v['frame.len'])
    return flows

def netmon_flows(path):
    out = subprocess.run(['node', os.path.join(ROOT, 'bin/netmon.js'), 'replay', path, '--format', 'flows-json',
                          '--log-level', 'silent'], capture_output=True, text=True).stdout
    flows = collections.defaultdict(lambda: [0, 0])
    for line in out.splitlines():
        r = json.loads(line)
        f = flows[(r['src_ip'], r['dst_ip'], r['proto'], r['src_port'], r['dst_port'])]
        f[0] += r['packets']
        f[1] += r['bytes']
    return flows

bad = 0
for path in sys.argv[1:]:
    t, n = tshark_flows(path), netmon_flows(path)
    diff = {k for k in set(t) | set(n) if t.get(k) != n.get(k)}
    status = 'OK ' if not diff else 'DIFF'
    print(f'{status} {os.path.basename(path)}: {len(t)} flows, {sum(f[0] for f in t.values())} packets (tshark)')
    for k in sorted(diff, key=str)[:10]:
        print(f'     {k}: tshark {t.get(k)} netmon {n.get(k)}')
    bad += bool(diff)
sys.exit(1 if bad else 0)
