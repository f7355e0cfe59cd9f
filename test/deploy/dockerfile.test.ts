/**
 * The Dockerfile's structure, read as a parser would (no Docker engine runs here): two stages on the
 * same slim Node.js LTS image, a final stage with the libpcap runtime library and nothing to build
 * with, only the bundle, bin/ and production dependencies copied, netmon as ENTRYPOINT, the shipped
 * config as CMD, the metrics port exposed, a HEALTHCHECK on /healthz, OCI labels; and a
 * .dockerignore that lets through exactly what the Dockerfile copies.
 *
 * Then the final stage's /app is assembled from this checkout as the Dockerfile lays it out
 * (production dependencies only, the cap addon stripped by the Dockerfile's own commands) and run:
 * the image's ENTRYPOINT + CMD inside a test-made network namespace (root), answering the
 * HEALTHCHECK command and capturing. That proves the copied paths are all netmon needs at run time.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { aptPackages, dockerignore, execForm, labelPairs, parseDockerfile } from '../support/dockerfile';
import type { Instruction, Stage } from '../support/dockerfile';
import { createVethNs, liveSkipReason } from '../support/netns';
import type { VethNs } from '../support/netns';

const ROOT = [join(__dirname, '..', '..', '..'), process.cwd()].find((d) => existsSync(join(d, 'Dockerfile')))!;
const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const build = stages[0]!;
const final = stages[stages.length - 1]!;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; license: string; engines: { node: string }; scripts: { build: string } };
const listenPort = Number(/:(\d+)$/.exec((parse(readFileSync(join(ROOT, 'config.yaml'), 'utf8')) as { listen: string }).listen)![1]);

const of = (s: Stage, keyword: string): Instruction[] => s.instructions.filter((i) => i.keyword === keyword);
const last = (s: Stage, keyword: string): Instruction => {
  const all = of(s, keyword);
  assert.ok(all.length > 0, `no ${keyword} in the stage FROM ${s.from}`);
  return all[all.length - 1]!;
};

/** COPY's sources and destination, and its --from stage (undefined: the build context). */
function copies(s: Stage): { from: string | undefined; sources: string[]; dest: string }[] {
  return of(s, 'COPY').map((c) => {
    const words = c.args.split(' ');
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
    const paths = words.filter((w) => !w.startsWith('--'));
    return { from, sources: paths.slice(0, -1), dest: paths[paths.length - 1]! };
  });
}

describe('Dockerfile', () => {
  it('has a build stage and a final stage on the same pinned slim Node.js LTS image', () => {
    assert.equal(stages.length, 2, stages.map((s) => s.from).join(', '));
    assert.equal(build.name, 'build');
    assert.equal(final.from, build.from, 'same image in both stages: the code cache is made by the Node.js that runs it');
    const m = /^node:(\d+)-(bookworm|trixie)-slim$/.exec(final.from);
    assert.ok(m !== null, `${final.from}: want node:<major>-<bookworm|trixie>-slim, pinned by tag`);
    const major = Number(m[1]);
    assert.equal(major % 2, 0, `Node.js ${major} is not an LTS line`);
    const minimum = Number(/(\d+)/.exec(pkg.engines.node)![1]);
    assert.ok(major >= minimum, `Node.js ${major} is below package.json engines ${pkg.engines.node}`);
  });

  it('builds the addon and the bundle in the build stage, then keeps production dependencies only', () => {
    const installed = of(build, 'RUN').flatMap((r) => aptPackages(r.args));
    for (const p of ['libpcap-dev', 'build-essential', 'python3']) assert.ok(installed.includes(p), `build stage installs ${p}`);
    const runs = of(build, 'RUN').map((r) => r.args).join(' && ');
    assert.match(runs, /npm ci\b/);
    assert.match(runs, /npm run build\b/);
    assert.match(runs, /npm prune --omit=dev\b/);
    // patches/ is there before npm ci, whose postinstall applies it and rebuilds cap.
    const order = build.instructions.map((i) => `${i.keyword} ${i.args}`);
    const patches = order.findIndex((s) => /^COPY patches\b/.test(s));
    const ci = order.findIndex((s) => /npm ci\b/.test(s));
    assert.ok(patches >= 0 && patches < ci, 'COPY patches before npm ci');
  });

  it('copies every script `npm run build` runs into the build stage before it', () => {
    const scripts = [...pkg.scripts.build.matchAll(/\bnode (scripts\/[\w.-]+\.js)/g)].map((m) => m[1]!);
    assert.ok(scripts.length >= 3, `scripts found in "build": ${scripts.join(', ')}`);
    const copied = copies(build).filter((c) => c.from === undefined).flatMap((c) => c.sources);
    for (const s of scripts) assert.ok(copied.includes(s) || copied.includes('scripts'), `the build stage does not COPY ${s}, which npm run build runs`);
  });

  it('final stage: the libpcap runtime library only, no compiler, headers or Python', () => {
    const installed = of(final, 'RUN').flatMap((r) => aptPackages(r.args));
    assert.ok(installed.length > 0, 'the final stage installs libpcap');
    for (const p of installed) assert.match(p, /^libpcap0\.8(t64)?$/, `final stage installs ${p}`);
    const runs = of(final, 'RUN').map((r) => r.args).join('\n');
    assert.doesNotMatch(runs, /\bnpm\b|\bgcc\b|\bmake\b|node-gyp|-dev\b/);
    assert.match(runs, /rm -rf \/var\/lib\/apt\/lists/);
  });

  it('final stage copies the bundle, bin/, package.json, production node_modules and the config; no sources or tests', () => {
    const c = copies(final);
    const fromBuild = c.filter((x) => x.from === 'build').flatMap((x) => x.sources).sort();
    assert.deepEqual(fromBuild, ['/app/bin', '/app/dist/bundle', '/app/node_modules', '/app/package.json']);
    const fromContext = c.filter((x) => x.from === undefined);
    assert.deepEqual(fromContext.map((x) => [x.sources, x.dest]), [[['config.yaml'], '/etc/netmon/config.yaml']]);
    for (const x of c) {
      for (const s of x.sources) assert.doesNotMatch(s, /(^|\/)(src|test|bench|tsconfig\.json|\.)$/, `final stage copies ${s}`);
      assert.ok(x.from === undefined || x.from === 'build', `COPY --from=${x.from}`);
    }
    // The addon's C++ sources and build tree are removed in the build stage, before the copy.
    const runs = of(build, 'RUN').map((r) => r.args).join(' ');
    assert.match(runs, /cd node_modules\/cap && .*rm -rf build deps src test binding\.gyp/);
  });

  it('runs netmon as the entrypoint with the shipped config, as UID 0 (capabilities do the rest)', () => {
    assert.deepEqual(execForm(last(final, 'ENTRYPOINT').args), ['node', '/app/bin/netmon.js']);
    assert.deepEqual(execForm(last(final, 'CMD').args), ['run', '--config', '/etc/netmon/config.yaml']);
    assert.equal(last(final, 'WORKDIR').args, '/app');
    // Kubernetes and Docker grant added capabilities to a non-root user only through file
    // capabilities, which no_new_privs (allowPrivilegeEscalation: false) ignores.
    assert.match(last(final, 'USER').args, /^(0|root)(:(0|root))?$/);
  });

  it('exposes the config port and checks /healthz on it', () => {
    assert.deepEqual(of(final, 'EXPOSE').map((e) => e.args), [String(listenPort)]);
    const hc = last(final, 'HEALTHCHECK').args;
    const cmd = execForm(hc.slice(hc.indexOf('CMD ') + 4));
    assert.ok(cmd !== undefined, 'HEALTHCHECK CMD in exec form (the slim image has no curl)');
    assert.equal(cmd[0], 'node');
    assert.ok(cmd.join(' ').includes(`http://127.0.0.1:${listenPort}/healthz`), cmd.join(' '));
  });

  it('carries the OCI labels: source, version and licenses from package.json', () => {
    const labels = new Map(of(final, 'LABEL').flatMap((l) => [...labelPairs(l.args)]));
    assert.ok(labels.has('org.opencontainers.image.source'));
    assert.equal(labels.get('org.opencontainers.image.version'), pkg.version);
    assert.equal(labels.get('org.opencontainers.image.licenses'), pkg.license);
    assert.equal(labels.get('org.opencontainers.image.title'), 'netmon');
  });
});

describe('.dockerignore', () => {
  const ignore = dockerignore(readFileSync(join(ROOT, '.dockerignore'), 'utf8'));
  /** Every file of the build context a COPY from the context reads. */
  const copiedFromContext = (): string[] => {
    const out: string[] = [];
    for (const s of stages) {
      for (const c of copies(s)) {
        if (c.from !== undefined) continue;
        for (const src of c.sources) {
          const abs = join(ROOT, src);
          assert.ok(existsSync(abs), `COPY ${src}: not in the repository`);
          if (statSync(abs).isDirectory()) {
            for (const f of readdirSync(abs, { recursive: true, withFileTypes: true })) {
              if (f.isFile()) out.push(relative(ROOT, join(f.parentPath, f.name)));
            }
          } else out.push(src);
        }
      }
    }
    return out;
  };

  it('lets through every file a COPY reads', () => {
    const files = copiedFromContext();
    assert.ok(files.includes('src/cli.ts') && files.includes('patches/cap+0.2.1.patch'), files.slice(0, 5).join(', '));
    for (const f of files) assert.equal(ignore.excluded(f), false, `${f} is copied but .dockerignore excludes it`);
  });

  it('keeps out the host build, dependencies, tests, captures, deploy files and .git', () => {
    for (const f of ['node_modules/cap/build/Release/cap.node', 'dist/bundle/cli.js', 'test/support/netns.ts', 'bench/replay-throughput.ts', '.git/HEAD', 'deploy/kubernetes/base/daemonset.yaml', 'capture.pcap', 'docs/kubernetes.md', 'scripts/test.sh', 'README.md']) {
      assert.equal(ignore.excluded(f), true, `${f} would be sent to the builder`);
    }
    // Of the tracked files, only what the Dockerfile copies goes in.
    const tracked = execFileSync('git', ['-C', ROOT, 'ls-files'], { encoding: 'utf8' }).split('\n').filter((f) => f !== '');
    const copied = new Set(copiedFromContext());
    for (const f of tracked) if (!ignore.excluded(f) && existsSync(join(ROOT, f))) assert.ok(copied.has(f), `${f} is in the build context but no COPY reads it`);
  });
});

/** Top-level packages of the production dependency tree (npm ls --omit=dev), relative to ROOT. */
function productionPackages(): string[] {
  const out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const top = new Set<string>();
  for (const line of out.split('\n')) {
    const rel = relative(ROOT, line.trim());
    const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(rel);
    if (m !== null) top.add(`node_modules/${m[1]}`);
  }
  return [...top].sort();
}

const imageSkip = existsSync(join(ROOT, 'dist', 'bundle', 'cli.js')) ? liveSkipReason() : 'not built (npm run build)';

describe("the final stage's files run netmon", { skip: imageSkip, timeout: 60_000 }, () => {
  let dir: string;
  let app: string;
  let etc: string;
  let v: VethNs;
  let netmon: ChildProcess | undefined;
  let stderr = '';

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'netmon-image-'));
    app = join(dir, 'app');
    etc = join(dir, 'etc', 'netmon');
    mkdirSync(app);
    mkdirSync(etc, { recursive: true });
    // COPY --from=build /app/X ./X: the build stage's /app is this checkout after npm run build,
    // with node_modules cut to the production tree as npm prune --omit=dev leaves it.
    for (const c of copies(final)) {
      for (const src of c.sources) {
        if (c.from === undefined) {
          cpSync(join(ROOT, src), c.dest.replace(/^\/etc\/netmon/, etc));
          continue;
        }
        const rel = src.replace(/^\/app\//, '');
        if (rel === 'node_modules') {
          // Hard links where /tmp is on the same file system (nothing below writes into a file: the
          // stripping only renames and unlinks), else a copy.
          const packages = productionPackages();
          const linked = spawnSync('cp', ['-al', '--parents', ...packages, app], { cwd: ROOT, stdio: 'ignore' }).status === 0;
          if (!linked) execFileSync('cp', ['-a', '--parents', ...packages, app], { cwd: ROOT });
        } else cpSync(join(ROOT, rel), join(app, rel), { recursive: true });
      }
    }
    // The build stage's own commands after npm (which needs the network and the toolchain).
    const last = of(build, 'RUN').map((r) => r.args).pop()!;
    const steps = last.split(' && ').filter((s) => !s.startsWith('npm '));
    execFileSync('sh', ['-ec', steps.join(' && ').replaceAll('/tmp/cap.node', join(dir, 'cap.node'))], { cwd: app });
    v = createVethNs();
  });

  after(async () => {
    if (netmon !== undefined && netmon.exitCode === null && netmon.signalCode === null) {
      netmon.kill('SIGKILL');
      await once(netmon, 'exit');
    }
    v?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('holds no dev dependency, no addon sources and no netmon sources', () => {
    for (const p of ['typescript', 'esbuild', 'kubernetes-models', '@types']) assert.equal(existsSync(join(app, 'node_modules', p)), false, `${p} in the image`);
    const cap = readdirSync(join(app, 'node_modules', 'cap'), { recursive: true }) as string[];
    for (const f of cap) assert.doesNotMatch(f, /^(src|deps|test)\b|\.(cc|c|h|gyp|gypi|mk|o)$|Makefile/, `node_modules/cap/${f} in the image`);
    assert.deepEqual(readdirSync(join(app, 'node_modules', 'cap', 'build'), { recursive: true }).sort(), ['Release', 'Release/cap.node']);
    assert.deepEqual(readdirSync(app).sort(), ['bin', 'dist', 'node_modules', 'package.json']);
    assert.deepEqual(readdirSync(join(app, 'dist')), ['bundle']);
  });

  it('starts as ENTRYPOINT + CMD, answers the HEALTHCHECK and captures', async () => {
    const argv = [...execForm(last(final, 'ENTRYPOINT').args)!, ...execForm(last(final, 'CMD').args)!].map((a) =>
      a.replace(/^\/app\//, `${app}/`).replace(/^\/etc\/netmon\//, `${etc}/`),
    );
    assert.equal(argv[0], 'node');
    // Inside the namespace port 10847 is free whatever runs on this machine; the only
    // non-loopback interface is the veth, which netmon picks by default.
    netmon = spawn('ip', ['netns', 'exec', v.ns, process.execPath, ...argv.slice(1)], { stdio: ['ignore', 'ignore', 'pipe'] });
    netmon.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const hc = last(final, 'HEALTHCHECK').args;
    const check = execForm(hc.slice(hc.indexOf('CMD ') + 4))!;
    const healthy = (): boolean => spawnSync('ip', ['netns', 'exec', v.ns, process.execPath, ...check.slice(1)], { timeout: 10_000 }).status === 0;
    const end = Date.now() + 20_000;
    while (!healthy()) {
      assert.ok(netmon.exitCode === null, `netmon exited ${netmon.exitCode}: ${stderr}`);
      assert.ok(Date.now() < end, `HEALTHCHECK never passed: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const metrics = spawnSync('ip', ['netns', 'exec', v.ns, process.execPath, '-e', `fetch('http://127.0.0.1:${listenPort}/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))`], {
      encoding: 'utf8',
      timeout: 10_000,
    }).stdout;
    assert.match(metrics, new RegExp(`^netmon_capture_up\\{interface="${v.peer}"\\} 1$`, 'm'), stderr);
    assert.match(metrics, new RegExp(`^netmon_build_info\\{version="${pkg.version.replace(/\./g, '\\.')}"`, 'm'));
    netmon.kill('SIGTERM');
    const [code] = (await once(netmon, 'exit')) as [number | null];
    assert.equal(code, 0, stderr);
  });
});
