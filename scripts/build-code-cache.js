'use strict';
// Makes dist/bundle/cli.js.<node version>-<arch>.cache, the V8 code cache bin/netmon.js loads the
// CLI with on this Node.js: runs `netmon check-config` on a configuration with named filters of many
// shapes, then has V8 serialise the bytecode of every function that run compiled (start-up, YAML,
// the configuration checks, the filter compiler). Part of `npm run build`; a cache that does not
// match the bundle or the Node.js running it is ignored, so a stale one costs nothing but its
// benefit. The caches other Node.js releases made for this same bundle are kept (npm test builds on
// 26 and 24 in turn); those made for another bundle, which no start can use, are removed.
const { execFileSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { closeSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const root = join(__dirname, '..');
const bundleDir = join(root, 'dist', 'bundle');
const bundleHash = createHash('sha256').update(readFileSync(join(bundleDir, 'cli.js'))).digest('hex');
for (const name of readdirSync(bundleDir)) {
  if (!/^cli\.js\.(.+\.)?cache$/.test(name)) continue;
  const head = Buffer.alloc(200);
  const fd = openSync(join(bundleDir, name), 'r');
  const n = readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  // The stamp's first line, written by bin/netmon.js: "netmon code cache VERSION ARCH SHA256".
  const words = head.subarray(0, n).toString('latin1').split('\n')[0].split(' ');
  if (name === 'cli.js.cache' || words[5] !== bundleHash) rmSync(join(bundleDir, name), { force: true });
}
const dir = mkdtempSync(join(tmpdir(), 'netmon-code-cache-'));
try {
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `# What a start-up with named filters compiles.
listen: 127.0.0.1:10847
log:
  level: warn
flows:
  max_series: 1000
filters:
  dns: udp port 53 or tcp port 53
  web: tcp dst portrange 80-443
  syn: tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn
  payments:
    expr: net 10.20.0.0/16 and not port 22
    description: traffic to and from the payments subnet
  v6: ip6 and src net 2001:db8::/32 and udp
  icmp: icmp[icmptype] = icmp-echo or icmp6
  big: greater 1000 or less 64
  frag: ip[6:2] & 0x1fff != 0 and host 192.0.2.1
  arp: arp or rarp
  odd: tcp[tcp[12] >> 4] = 0 or ip[2:2] / 2 > 700
`);
  execFileSync(process.execPath, [join(root, 'bin', 'netmon.js'), 'check-config', config], {
    env: { ...process.env, NETMON_WRITE_CODE_CACHE: join(bundleDir, `cli.js.${process.version}-${process.arch}.cache`) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
