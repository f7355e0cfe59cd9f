/**
 * Network namespace + veth pair for live-capture tests (root only). Each pair has unique names
 * (host side `nmt<rand>h`, namespace side `nmt<rand>n`, namespace `nmt<rand>`) and a random /30
 * from 198.18.0.0/15, the RFC 2544 benchmarking range, so nothing real is ever addressed. Traffic
 * is only sent from inside the namespace onto its own veth. IPv6 is disabled on both ends so the
 * kernel sends no router/neighbour solicitations that would disturb exact packet counts.
 *
 * Everything is deleted by destroy(), by withVethNs() also on failure, and at process exit for
 * anything a crashed test left behind.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface VethNs {
  /** Network namespace name. */
  readonly ns: string;
  /** Host-side interface (in the test's namespace): capture here. */
  readonly host: string;
  /** Namespace-side interface: send from here. */
  readonly peer: string;
  readonly hostAddr: string;
  readonly peerAddr: string;
  /** Runs argv inside the namespace; throws with stderr on a non-zero exit. */
  exec(argv: readonly string[], timeoutMs?: number): string;
  /** Deletes the host side (which deletes the pair), as an unplugged NIC would vanish. */
  deleteLink(): void;
  /** Re-creates the pair after deleteLink(), same names and addresses. */
  recreateLink(): void;
  /** Deletes the pair and the namespace; idempotent. */
  destroy(): void;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Why live tests cannot run here, or undefined if they can. */
export function liveSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'live capture tests need Linux network namespaces';
  if (!isRoot()) return 'live capture tests need root (network namespaces, veth, packet sockets)';
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.status !== 0) return `"ip netns" is not usable: ${r.stderr || r.error?.message}`;
  return undefined;
}

const live = new Set<VethNs>();
process.on('exit', () => {
  for (const v of live) v.destroy();
});

function ip(args: readonly string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
}

function quiet(args: readonly string[]): void {
  spawnSync('ip', args, { stdio: 'ignore', timeout: 10_000 });
}

/** A random /30 inside 198.18.0.0/15: [.1 host, .2 namespace]. */
function randomSubnet(): [string, string] {
  const block = randomBytes(2).readUInt16BE(0) & 0x7fff; // 2^15 /30 blocks in a /15
  const base = (198 << 24) + (18 << 16) + block * 4;
  const dotted = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  return [dotted(base + 1), dotted(base + 2)];
}

export function createVethNs(): VethNs {
  const id = randomBytes(3).toString('hex');
  const ns = `nmt${id}`;
  const host = `nmt${id}h`;
  const peer = `nmt${id}n`;
  const [hostAddr, peerAddr] = randomSubnet();

  const createLink = (): void => {
    ip(['link', 'add', host, 'type', 'veth', 'peer', 'name', peer, 'netns', ns]);
    execFileSync('sysctl', ['-qw', `net.ipv6.conf.${host}.disable_ipv6=1`], { stdio: 'ignore' });
    execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', `net.ipv6.conf.${peer}.disable_ipv6=1`], { stdio: 'ignore' });
    ip(['addr', 'add', `${hostAddr}/30`, 'dev', host]);
    ip(['-n', ns, 'addr', 'add', `${peerAddr}/30`, 'dev', peer]);
    ip(['link', 'set', host, 'up']);
    ip(['-n', ns, 'link', 'set', peer, 'up']);
  };

  let destroyed = false;
  const v: VethNs = {
    ns,
    host,
    peer,
    hostAddr,
    peerAddr,
    exec(argv, timeoutMs = 30_000) {
      const r = spawnSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8', timeout: timeoutMs });
      if (r.status !== 0) throw new Error(`${argv.join(' ')} in ${ns} failed (${r.status ?? r.signal}): ${r.stderr || r.error?.message}`);
      return r.stdout;
    },
    deleteLink() {
      quiet(['link', 'del', host]);
    },
    recreateLink() {
      createLink();
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      live.delete(v);
      quiet(['link', 'del', host]);
      quiet(['netns', 'del', ns]);
    },
  };
  live.add(v);
  try {
    ip(['netns', 'add', ns]);
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    createLink();
  } catch (err) {
    v.destroy();
    throw err;
  }
  return v;
}

/** Runs fn with a fresh veth pair and always deletes it afterwards. */
export async function withVethNs<T>(fn: (v: VethNs) => Promise<T> | T): Promise<T> {
  const v = createVethNs();
  try {
    return await fn(v);
  } finally {
    v.destroy();
  }
}
