#!/usr/bin/env node
'use strict';
// Runs the bundled CLI (one file, see "build" in package.json: it starts faster than the module
// graph under dist/src) with the V8 code cache that `npm run build` made for it
// (scripts/build-code-cache.js): the bytecode of what a start-up runs (argument parsing, YAML, the
// configuration checks, the filter compiler) is read instead of compiled again, which saves
// ~20 ms of a start with a configuration file. The cache is used only when it was made from this
// very bundle by this very Node.js; otherwise, or without it, the bundle compiles as usual.
const { createHash } = require('node:crypto');
const { readFileSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

const file = join(__dirname, '..', 'dist', 'bundle', 'cli.js');
const source = readFileSync(file, 'utf8');
const stamp = `netmon code cache ${process.version} ${process.arch} ${createHash('sha256').update(source).digest('hex')}\n`;
let cachedData;
try {
  const cache = readFileSync(`${file}.cache`);
  if (cache.subarray(0, stamp.length).toString('latin1') === stamp) cachedData = cache.subarray(stamp.length);
} catch {
  // No cache (a build without one): compile as usual.
}
const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
const bundle = new Module(file, module);
bundle.filename = file;
script.runInThisContext().call(bundle.exports, bundle.exports, Module.createRequire(file), bundle, file, dirname(file));
const cacheOut = process.env.NETMON_WRITE_CODE_CACHE;
if (cacheOut) {
  process.once('exit', () => writeFileSync(cacheOut, Buffer.concat([Buffer.from(stamp, 'latin1'), script.createCachedData()])));
}
bundle.exports.runCli();
