'use strict';
// Builds the status page (web/) into dist/bundle/web: the script bundled with uPlot and the CSS
// (esbuild, part of `npm run build`), and index.html. netmon serves these itself; nothing is
// loaded from a CDN.
const { buildSync } = require('esbuild');
const { copyFileSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const out = join(root, 'dist', 'bundle', 'web');
mkdirSync(out, { recursive: true });
buildSync({
  entryPoints: [join(root, 'web', 'app.js')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  outfile: join(out, 'app.js'),
  logLevel: 'warning',
});
copyFileSync(join(root, 'web', 'index.html'), join(out, 'index.html'));
