/**
 * netmon run the way the DaemonSet's container runs it, and counting every packet sent (root only).
 *
 * From `kubectl kustomize deploy/kubernetes/base`: the container's args, its added capabilities and
 * the ConfigMap's config.yaml (promiscuous: true as shipped). netmon starts as UID 0 with the
 * capability sets a container runtime gives such a container (containerd since 1.6.2, CRI-O):
 * bounding = permitted = effective = the added capabilities, inheritable = ambient = none, plus
 * no_new_privs (allowPrivilegeEscalation: false), via setpriv(1). It runs in a mount namespace of
 * its own where every file system but /proc, /sys and /dev is read-only (readOnlyRootFilesystem:
 * true). Each netmon process's /proc/PID/status is checked to be exactly that.
 *
 * It captures on the host end of a veth pair whose other end is in a namespace the test created;
 * tcpreplay sends frames built here from inside that namespace. The oracle is the frame list:
 * count, wire bytes and per-flow counts must be exact, with no drops. The interface's promiscuity
 * count shows that promiscuous mode really was set with NET_RAW alone. Controls: without NET_RAW
 * capture fails (so the capability set is what decides), and `--interface any` with a capture
 * filter counts the same frames (Linux cooked headers, 16 bytes, in place of Ethernet's 14).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port';
import { TCP_FLAGS, ethIpv4Tcp, ethIpv4Udp } from '../support/frames';
import { kustomize, kustomizeSkipReason, KUBE } from '../support/kubernetes';
import type { K8sObject } from '../support/kubernetes';
import { CLI, parseExposition } from '../support/netmon-cli';
import { LINKTYPE_ETHERNET, writePcap } from '../support/pcap-writer';
import { createVethNs, liveSkipReason } from '../support/netns';
import type { VethNs } from '../support/netns';

function tool(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}
const skip =
  liveSkipReason() ??
  kustomizeSkipReason() ??
  (tool('tcpreplay', ['--version']) ? undefined : 'tcpreplay is not installed') ??
  (tool('setpriv', ['--version']) && tool('unshare', ['--version']) && tool('findmnt', ['--version']) ? undefined : 'setpriv/unshare/findmnt (util-linux) missing');

/** Linux capability numbers (linux/capability.h). */
const CAPS = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT',
  'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE',
  'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ',
  'PERFMON', 'BPF', 'CHECKPOINT_RESTORE',
];
const mask = (names: readonly string[]): bigint =>
  names.reduce((m, n) => {
    const bit = CAPS.indexOf(n);
    assert.ok(bit >= 0, `unknown capability ${n}`);
    return m | (1n << BigInt(bit));
  }, 0n);

/**
 * Runs "$@" in a private mount namespace with every mount but /proc, /sys and /dev read-only (after
 * checking that writes fail), as UID 0 with only the capabilities in $CAPS (setpriv syntax, e.g.
 * "+net_raw", or "" for none) and no_new_privs.
 */
const WRAPPER = `
findmnt -rno TARGET,FSTYPE,OPTIONS | while read -r target fstype options; do
  case "$target" in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*) continue;; esac
  case "$fstype" in nsfs) continue;; esac
  case ",$options," in *,ro,*) continue;; esac
  mount -o remount,bind,ro "$target"
done
for d in / "$TMPDIR_CHECK" "$REPO_CHECK"; do
  if touch "$d/.netmon-rw-probe" 2>/dev/null; then rm -f "$d/.netmon-rw-probe"; echo "still writable: $d" >&2; exit 97; fi
done
exec setpriv --reuid=0 --regid=0 --clear-groups --inh-caps=-all --ambient-caps=-all --bounding-set=-all$CAPS --no-new-privs -- "$@"
`;

interface Status {
  CapInh: bigint;
  CapPrm: bigint;
  CapEff: bigint;
  CapBnd: bigint;
  CapAmb: bigint;
  NoNewPrivs: string;
  Uid: string;
}
function procStatus(pid: number): Status {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (k: string): string => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(s)![1]!.trim();
  const hex = (k: string): bigint => BigInt(`0x${field(k)}`);
  return { CapInh: hex('CapInh'), CapPrm: hex('CapPrm'), CapEff: hex('CapEff'), CapBnd: hex('CapBnd'), CapAmb: hex('CapAmb'), NoNewPrivs: field('NoNewPrivs'), Uid: field('Uid') };
}
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}
function promiscuity(iface: string): number {
  const r = spawnSync('ip', ['-d', '-j', 'link', 'show', 'dev', iface], { encoding: 'utf8' });
  return (JSON.parse(r.stdout) as { promiscuity: number }[])[0]!.promiscuity;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('netmon with the DaemonSet container\'s privileges', { skip, timeout: 120_000 }, () => {
  let v: VethNs;
  let dir: string;
  let args: string[];
  let added: string[];
  let configFile: string;
  let config: string;
  const running: ChildProcess[] = [];

  before(() => {
    const objs = kustomize(join(KUBE, 'base'));
    const ds = objs.find((o) => o.kind === 'DaemonSet') as K8sObject & {
      spec: { template: { spec: { containers: { args: string[]; securityContext: { capabilities: { add: string[] } } }[]; volumes: { configMap: { name: string } }[] } } };
    };
    const c = ds.spec.template.spec.containers[0]!;
    args = c.args;
    added = c.securityContext.capabilities.add;
    const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === ds.spec.template.spec.volumes[0]!.configMap.name)!;
    config = (cm.data as Record<string, string>)['config.yaml']!;
    dir = mkdtempSync(join(tmpdir(), 'netmon-caps-'));
    // Where the ConfigMap is mounted in the pod: /etc/netmon/config.yaml.
    configFile = join(dir, 'config.yaml');
    writeFileSync(configFile, config);
    v = createVethNs();
  });

  after(async () => {
    for (const p of running) {
      if (p.exitCode === null && p.signalCode === null) {
        p.kill('SIGKILL');
        await once(p, 'exit');
      }
    }
    v?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** Starts netmon as the container would, with `extra` flags (interface, listen) after the DaemonSet's args. */
  const start = (caps: readonly string[], extra: readonly string[]): ChildProcess & { stderr: NonNullable<ChildProcess['stderr']>; log: string[] } => {
    const argv = args.map((a) => (a === '/etc/netmon/config.yaml' ? configFile : a));
    const capArg = caps.map((c) => `,+${c.toLowerCase()}`).join('');
    const p = spawn('unshare', ['--mount', '--', 'sh', '-ec', WRAPPER, 'sh', process.execPath, CLI, ...argv, ...extra], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, CAPS: capArg, TMPDIR_CHECK: dir, REPO_CHECK: join(CLI, '..', '..') },
    }) as ChildProcess & { stderr: NonNullable<ChildProcess['stderr']>; log: string[] };
    p.log = [];
    p.stderr.setEncoding('utf8').on('data', (d: string) => p.log.push(d));
    running.push(p);
    return p;
  };
  const get = async (url: string): Promise<{ status: number; text: string } | undefined> => {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
      return { status: r.status, text: await r.text() };
    } catch {
      return undefined;
    }
  };
  const waitFor = async <T>(what: string, ms: number, p: { log: string[]; exitCode: number | null }, probe: () => Promise<T | undefined>): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const x = await probe();
      if (x !== undefined) return x;
      assert.ok(p.exitCode === null, `netmon exited ${p.exitCode} while waiting for ${what}: ${p.log.join('')}`);
      assert.ok(Date.now() < end, `timed out waiting for ${what}: ${p.log.join('')}`);
      await sleep(50);
    }
  };
  const stop = async (p: ChildProcess & { log: string[] }): Promise<void> => {
    p.kill('SIGTERM');
    const [code] = (await once(p, 'exit')) as [number | null];
    assert.equal(code, 0, p.log.join(''));
  };

  /** Frames from the namespace to the host end (foreign destination MAC: the kernel drops them after capture, answers nothing). */
  const frames = (): Buffer[] => {
    const out: Buffer[] = [];
    for (let i = 0; i < 300; i++) out.push(ethIpv4Udp({ src: v.peerAddr, dst: v.hostAddr, sport: 40000 + (i % 3), dport: 9000 }, Buffer.alloc(18 + ((i * 37) % 1400))));
    for (let i = 0; i < 100; i++) out.push(ethIpv4Tcp({ src: v.peerAddr, dst: v.hostAddr, sport: 50000, dport: 443, flags: i === 0 ? TCP_FLAGS.SYN : TCP_FLAGS.ACK }, Buffer.alloc((i * 53) % 1400)));
    return out;
  };
  const send = (name: string, list: readonly Buffer[]): void => {
    const file = join(dir, name);
    writePcap(file, list.map((data) => ({ data, ts: 1_700_000_000 })), { linkType: LINKTYPE_ETHERNET });
    v.exec(['tcpreplay', '-q', '-K', '-i', v.peer, '--topspeed', file], 60_000);
  };

  it('the DaemonSet adds NET_RAW only, and the ConfigMap keeps promiscuous mode on', () => {
    assert.deepEqual(added, ['NET_RAW']);
    assert.match(config, /^\s+promiscuous: true\b/m);
  });

  it('as UID 0 with only NET_RAW, no_new_privs and a read-only root: promiscuous capture counts every frame sent', async () => {
    const port = await freePort();
    assert.equal(promiscuity(v.host), 0);
    const p = start(added, ['--interface', v.host, '--listen', `127.0.0.1:${port}`]);
    const base = `http://127.0.0.1:${port}`;
    await waitFor('/readyz', 20_000, p, async () => ((await get(`${base}/readyz`))?.status === 200 ? true : undefined));

    // Both processes (HTTP, capture) hold exactly the DaemonSet's capabilities.
    const want = mask(added);
    const pids = [p.pid!, ...childrenOf(p.pid!)];
    assert.equal(pids.length, 2, `netmon's processes: ${pids.join(', ')}`);
    for (const pid of pids) {
      const s = procStatus(pid);
      assert.deepEqual(
        { bnd: s.CapBnd, prm: s.CapPrm, eff: s.CapEff, inh: s.CapInh, amb: s.CapAmb, nnp: s.NoNewPrivs, uid: s.Uid.split(/\s+/)[0] },
        { bnd: want, prm: want, eff: want, inh: 0n, amb: 0n, nnp: '1', uid: '0' },
        `/proc/${pid}/status`,
      );
    }
    // Promiscuous mode was set (PACKET_ADD_MEMBERSHIP needs only NET_RAW on the packet socket).
    assert.equal(promiscuity(v.host), 1);

    const sent = frames();
    send('caps.pcap', sent);
    const key = `{interface="${v.host}"}`;
    const m = await waitFor('every frame counted', 15_000, p, async () => {
      const r = await get(`${base}/metrics`);
      const x = r === undefined ? undefined : parseExposition(r.text);
      return x !== undefined && (x.get(`netmon_packets_total${key}`) ?? 0) >= sent.length ? x : undefined;
    });
    await sleep(300); // anything extra would arrive within the 100 ms capture timeout
    const final = parseExposition((await get(`${base}/metrics`))!.text);
    assert.equal(final.get(`netmon_packets_total${key}`), sent.length);
    assert.equal(final.get(`netmon_bytes_total${key}`), sent.reduce((n, f) => n + f.length, 0));
    assert.equal(m.get(`netmon_capture_up${key}`), 1);
    for (const reason of ['kernel', 'interface']) assert.equal(final.get(`netmon_capture_dropped_packets_total{interface="${v.host}",reason="${reason}"}`), 0);
    // Per flow: three UDP flows of 100 frames, one TCP flow of 100.
    for (let s = 0; s < 3; s++) {
      const f = `{src_ip="${v.peerAddr}",dst_ip="${v.hostAddr}",proto="udp",src_port="${40000 + s}",dst_port="9000"}`;
      assert.equal(final.get(`netmon_flow_packets_total${f}`), 100, f);
      assert.equal(final.get(`netmon_flow_bytes_total${f}`), sent.slice(0, 300).filter((_, i) => i % 3 === s).reduce((n, x) => n + x.length, 0), f);
    }
    const t = `{src_ip="${v.peerAddr}",dst_ip="${v.hostAddr}",proto="tcp",src_port="50000",dst_port="443"}`;
    assert.equal(final.get(`netmon_flow_packets_total${t}`), 100);
    assert.equal(final.get(`netmon_tcp_flags_total{interface="${v.host}",flag="syn"}`), 1);
    await stop(p);
    assert.equal(promiscuity(v.host), 0, 'promiscuous mode ends with netmon');
  });

  it('control: without NET_RAW the capture cannot open (so the capability set is what decides)', async () => {
    const port = await freePort();
    const p = start([], ['--interface', v.host, '--listen', `127.0.0.1:${port}`]);
    const base = `http://127.0.0.1:${port}`;
    await waitFor('the capture to fail', 20_000, p, async () => (p.log.join('').includes('Operation not permitted') ? true : undefined));
    const ready = await waitFor('/readyz', 10_000, p, async () => get(`${base}/readyz`));
    assert.equal(ready.status, 503);
    const m = parseExposition((await get(`${base}/metrics`))!.text);
    assert.equal(m.get(`netmon_capture_up{interface="${v.host}"}`), 0);
    assert.equal(procStatus(p.pid!).CapEff, 0n);
    await stop(p);
  });

  it('--interface any with a capture filter, NET_RAW only: the same frames, counted with cooked headers', async () => {
    const port = await freePort();
    const filter = `src host ${v.peerAddr} and dst host ${v.hostAddr}`;
    const p = start(added, ['--interface', 'any', '--capture-filter', filter, '--listen', `127.0.0.1:${port}`]);
    const base = `http://127.0.0.1:${port}`;
    await waitFor('/readyz', 20_000, p, async () => ((await get(`${base}/readyz`))?.status === 200 ? true : undefined));
    const sent = frames();
    send('any.pcap', sent);
    await waitFor('every frame counted', 15_000, p, async () => {
      const r = await get(`${base}/metrics`);
      return r !== undefined && (parseExposition(r.text).get('netmon_packets_total{interface="any"}') ?? 0) >= sent.length ? true : undefined;
    });
    await sleep(300);
    const m = parseExposition((await get(`${base}/metrics`))!.text);
    assert.equal(m.get('netmon_packets_total{interface="any"}'), sent.length);
    // LINKTYPE_LINUX_SLL: the 14-byte Ethernet header is replaced by the 16-byte cooked header.
    assert.equal(m.get('netmon_bytes_total{interface="any"}'), sent.reduce((n, f) => n + f.length - 14 + 16, 0));
    assert.equal(m.get('netmon_decode_errors_total{layer="unsupported_link"}'), 0);
    assert.equal(m.get('netmon_decode_errors_total{layer="sll"}'), 0);
    const t = `{src_ip="${v.peerAddr}",dst_ip="${v.hostAddr}",proto="tcp",src_port="50000",dst_port="443"}`;
    assert.equal(m.get(`netmon_flow_packets_total${t}`), 100);
    // libpcap does not put interfaces in promiscuous mode for "any" (docs/kubernetes.md says so).
    assert.equal(promiscuity(v.host), 0);
    await stop(p);
  });
});
