/**
 * bin/netmon.js runs the bundle with the V8 code cache the build made (scripts/build-code-cache.js).
 * The build must leave a cache stamped for this very bundle and Node.js, and a cache that belongs to
 * another bundle must be ignored, not fed to V8 (whose own check is only the source length).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const root = join(__dirname, '..', '..', '..');
const bundle = join(root, 'dist', 'bundle', 'cli.js');

function stamp(source: Buffer): string {
  return `netmon code cache ${process.version} ${process.arch} ${createHash('sha256').update(source).digest('hex')}\n`;
}

test('the build leaves a code cache stamped for the bundle and this Node.js', () => {
  const cache = readFileSync(`${bundle}.cache`);
  const want = stamp(readFileSync(bundle));
  assert.equal(cache.subarray(0, want.length).toString('latin1'), want);
  assert.ok(cache.length > want.length + 100_000, `cache of ${cache.length} bytes holds the bytecode of a start-up`);
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
    copyFileSync(`${bundle}.cache`, join(dir, 'dist', 'bundle', 'cli.js.cache'));
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
