/**
 * netmon needs the Node.js of package.json "engines"; bin/netmon.js on an older one prints one line
 * naming the version it needs and exits 2, never a syntax error or a stack trace. Tested with a real
 * old Node.js when the machine has one (Debian's and Ubuntu's own are 20 or older), and on the
 * boundary with this Node.js told it is another version.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, test } from 'node:test';
import { CLI } from '../support/netmon-cli';

const root = join(__dirname, '..', '..', '..');
const engines = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
const floorMatch = /^>=(\d+)\.(\d+)$/.exec(engines);
const dir = mkdtempSync(join(tmpdir(), 'netmon-node-version-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function older(version: string): boolean {
  const [major, minor] = version.split('.').map(Number) as [number, number];
  const [fMajor, fMinor] = [Number(floorMatch![1]), Number(floorMatch![2])];
  return major < fMajor || (major === fMajor && minor < fMinor);
}

/** A Node.js older than the floor on this machine (the system's, or another on PATH), if any. */
function oldNode(): { path: string; version: string } | undefined {
  const candidates = ['/usr/bin/node', '/usr/local/bin/node', ...(process.env['PATH'] ?? '').split(delimiter).map((d) => join(d, 'node'))];
  for (const path of new Set(candidates)) {
    if (!existsSync(path)) continue;
    const r = spawnSync(path, ['-p', 'process.versions.node'], { encoding: 'utf8', timeout: 10_000 });
    const version = r.stdout?.trim();
    if (r.status === 0 && version && older(version)) return { path, version };
  }
  return undefined;
}

function assertRefused(r: ReturnType<typeof spawnSync>, node: string, version: string): void {
  assert.equal(r.status, 2, `exit code: ${String(r.stderr)}`);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `netmon: needs Node.js ${floorMatch![1]}.${floorMatch![2]} or newer; this is Node.js v${version} (${node})\n`);
}

test('package.json "engines" is a floor of at least 22, which this Node.js meets', () => {
  assert.ok(floorMatch, `engines.node is ">=MAJOR.MINOR": ${engines}`);
  assert.ok(Number(floorMatch[1]) >= 22);
  assert.equal(older(process.versions.node), false, `the suite runs on a supported Node.js, not ${process.version}`);
});

const old = oldNode();
test(`an older Node.js (${old ? `${old.path}, v${old.version}` : 'none on this machine'}) gets one line naming the version needed, exit 2`, { skip: old ? false : 'no Node.js older than package.json "engines" on this machine' }, () => {
  const { path, version } = old!;
  for (const args of [['--version'], ['run', '--interface', 'lo'], ['replay', join(dir, 'missing.pcap'), '--format', 'flows-json'], ['check-config', join(dir, 'missing.yaml')]]) {
    const r = spawnSync(path, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
    assertRefused(r, path, version);
  }
});

test('the check is at the floor exactly: MAJOR.MINOR-1 refused, MAJOR.MINOR and later run', () => {
  const major = Number(floorMatch![1]);
  const minor = Number(floorMatch![2]);
  const run = (version: string) => {
    const preload = join(dir, `as-${version}.js`);
    writeFileSync(preload, `Object.defineProperty(process, 'versions', { value: { ...process.versions, node: ${JSON.stringify(version)} } });\n`);
    return spawnSync(process.execPath, ['--require', preload, CLI, '--version'], { encoding: 'utf8', timeout: 30_000 });
  };
  for (const version of [`${major}.${minor - 1}.9`, `${major - 1}.${minor + 5}.0`, '0.10.48']) assertRefused(run(version), process.execPath, version);
  for (const version of [`${major}.${minor}.0`, `${major}.${minor + 1}.0`, `${major + 1}.0.0`]) {
    const r = run(version);
    assert.equal(r.status, 0, `${version}: ${r.stderr}`);
    assert.match(r.stdout, /^netmon \d+\.\d+\.\d+\n$/);
  }
});
