/**
 * bin/netmon.js runs the bundle with the V8 code cache the build made (scripts/build-code-cache.js),
 * one file per Node.js release. The build must leave a cache stamped for this very bundle and
 * Node.js that V8 accepts, keep the caches other Node.js releases made for the same bundle (npm test
 * builds on 26, then on 24), and a cache that belongs to another bundle must be ignored, not fed to
 * V8 (whose own check is only the source length).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import vm from 'node:vm';

const root = join(__dirname, '..', '..', '..');
const bundle = join(root, 'dist', 'bundle', 'cli.js');
/** The cache file of this Node.js, as bin/netmon.js names it. */
const cacheName = `cli.js.${process.version}-${process.arch}.cache`;

function stamp(source: Buffer, version = process.version): string {
  return `netmon code cache ${version} ${process.arch} ${createHash('sha256').update(source).digest('hex')}\n`;
}

test('the build leaves a code cache stamped for the bundle and this Node.js, which V8 accepts', () => {
  const cache = readFileSync(join(root, 'dist', 'bundle', cacheName));
  const source = readFileSync(bundle);
  const want = stamp(source);
  assert.equal(cache.subarray(0, want.length).toString('latin1'), want);
  assert.ok(cache.length > want.length + 100_000, `cache of ${cache.length} bytes holds the bytecode of a start-up`);
  // As bin/netmon.js compiles the bundle: V8 rejects a cache made by another V8 or for other flags.
  const script = new vm.Script(Module.wrap(source.toString('utf8')), { filename: bundle, cachedData: cache.subarray(want.length) });
  assert.equal(script.cachedDataRejected, false);
});

test('a build keeps the caches other Node.js releases made for the same bundle and removes stale ones', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netmon-code-cache-'));
  try {
    for (const d of ['bin', 'scripts', join('dist', 'bundle')]) mkdirSync(join(dir, d), { recursive: true });
    for (const f of ['bin/netmon.js', 'scripts/build-code-cache.js', 'package.json', 'dist/bundle/cli.js']) copyFileSync(join(root, f), join(dir, f));
    const out = join(dir, 'dist', 'bundle');
    const source = readFileSync(bundle);
    // Another release's cache of this bundle (kept), another bundle's (removed), the old single file (removed).
    writeFileSync(join(out, `cli.js.v99.1.0-${process.arch}.cache`), `${stamp(source, 'v99.1.0')}bytecode`);
    writeFileSync(join(out, `cli.js.v98.1.0-${process.arch}.cache`), `${stamp(Buffer.from('another bundle'), 'v98.1.0')}bytecode`);
    writeFileSync(join(out, 'cli.js.cache'), `${stamp(source)}bytecode`);
    const r = spawnSync(process.execPath, [join(dir, 'scripts', 'build-code-cache.js')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(out).sort(), ['cli.js', cacheName, `cli.js.v99.1.0-${process.arch}.cache`].sort());
    assert.equal(readFileSync(join(out, `cli.js.v99.1.0-${process.arch}.cache`), 'latin1'), `${stamp(source, 'v99.1.0')}bytecode`);
    assert.ok(existsSync(join(out, cacheName)));
    assert.equal(readFileSync(join(out, cacheName)).subarray(0, stamp(source).length).toString('latin1'), stamp(source));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a cache made for another bundle of the same length is ignored', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netmon-code-cache-'));
  try {
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'dist', 'bundle'), { recursive: true });
    copyFileSync(join(root, 'bin', 'netmon.js'), join(dir, 'bin', 'netmon.js'));
    copyFileSync(join(root, 'package.json'), join(dir, 'package.json'));
    // The same length, one character changed: V8 alone would accept the cache for it.
    const source = readFileSync(bundle, 'utf8');
    const i = source.indexOf('configuration is valid');
    assert.ok(i > 0);
    const changed = `${source.slice(0, i)}configuration is VALID${source.slice(i + 'configuration is valid'.length)}`;
    writeFileSync(join(dir, 'dist', 'bundle', 'cli.js'), changed);
    copyFileSync(join(root, 'dist', 'bundle', cacheName), join(dir, 'dist', 'bundle', cacheName));
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'filters:\n  dns: udp port 53\n');
    const r = spawnSync(process.execPath, [join(dir, 'bin', 'netmon.js'), 'check-config', config], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    // The changed text is printed: the changed source ran, not bytecode cached from the original.
    assert.equal(r.stdout, `${config}: configuration is VALID\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
