#!/usr/bin/env node
'use strict';
// The Node.js netmon needs, as package.json "engines" says (test/integration/node-version.test.ts
// checks they agree). Checked first, and this file is written in syntax that any Node.js parses, so
// an older one prints this one line and exits 2 instead of failing somewhere inside the bundle.
var NODE_FLOOR = [22, 15];
var running = process.versions.node.split('.').map(Number);
if (running[0] < NODE_FLOOR[0] || (running[0] === NODE_FLOOR[0] && running[1] < NODE_FLOOR[1])) {
  process.stderr.write('netmon: needs Node.js ' + NODE_FLOOR.join('.') + ' or newer; this is Node.js v' + process.versions.node + ' (' + process.execPath + ')\n');
  process.exit(2);
}

// Runs the bundled CLI (one file, see "build" in package.json: it starts faster than the module
// graph under dist/src) with the V8 code cache that `npm run build` made for it and this Node.js
// (scripts/build-code-cache.js; one file per Node.js release, so builds on 24 and 26 keep both): the
// bytecode of what a start-up runs (argument parsing, YAML, the configuration checks, the filter
// compiler) is read instead of compiled again, which saves ~20 ms of a start with a configuration
// file. The cache is used only when it was made from this very bundle by this very Node.js;
// otherwise, or without it, the bundle compiles as usual.
var createHash = require('node:crypto').createHash;
var fs = require('node:fs');
var Module = require('node:module');
var path = require('node:path');
var vm = require('node:vm');

var file = path.join(__dirname, '..', 'dist', 'bundle', 'cli.js');
var source = fs.readFileSync(file, 'utf8');
var stamp = 'netmon code cache ' + process.version + ' ' + process.arch + ' ' + createHash('sha256').update(source).digest('hex') + '\n';
var cachedData;
try {
  var cache = fs.readFileSync(file + '.' + process.version + '-' + process.arch + '.cache');
  if (cache.subarray(0, stamp.length).toString('latin1') === stamp) cachedData = cache.subarray(stamp.length);
} catch (e) {
  // No cache for this Node.js (a build without one, or by another Node.js): compile as usual.
}
var script = new vm.Script(Module.wrap(source), { filename: file, cachedData: cachedData });
var bundle = new Module(file, module);
bundle.filename = file;
script.runInThisContext().call(bundle.exports, bundle.exports, Module.createRequire(file), bundle, file, path.dirname(file));
var cacheOut = process.env.NETMON_WRITE_CODE_CACHE;
if (cacheOut) {
  process.once('exit', function () {
    fs.writeFileSync(cacheOut, Buffer.concat([Buffer.from(stamp, 'latin1'), script.createCachedData()]));
  });
}
bundle.exports.runCli();
