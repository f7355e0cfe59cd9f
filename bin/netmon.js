#!/usr/bin/env node
'use strict';
// The bundled build (one file per process, see "build" in package.json) starts faster than the
// module graph under dist/src: a replay of a small capture is dominated by start-up.
require('../dist/bundle/cli.js').runCli();
