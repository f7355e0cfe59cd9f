import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';

/*
 * The packet path calls functions of other modules through their CommonJS exports object
 * (`decode_frame_1.decodeLink(...)`). A re-export (`export { x } from './y'`) compiles to an accessor
 * on that object, which turns it into a dictionary: V8's optimised code then looks the function up
 * with a generic LoadIC call, per packet (measured: ~95 instructions per packet, 3.4% of a replay's
 * instructions, when decode-frame re-exported two names). So the modules the packet path reads from export data
 * properties only.
 */
const DIRS = ['decode', 'analysis', 'flow', 'filter', 'engine'];
const ALLOWED = new Set([
  // Not read per packet: the pipeline holds a FlowTable instance, the filter set is generated code.
  'flow/flow-table.js:FlowTableStats',
  'filter/compile-filter.js:FilterError',
]);

test('modules on the packet path have no accessor exports (re-exports)', () => {
  const src = dirname(dirname(require.resolve('../../src/decode/decode-frame')));
  const found: string[] = [];
  let modules = 0;
  for (const d of DIRS) {
    for (const f of readdirSync(join(src, d)).filter((n) => n.endsWith('.js'))) {
      const exports = require(join(src, d, f)) as object;
      modules++;
      for (const [name, desc] of Object.entries(Object.getOwnPropertyDescriptors(exports))) {
        if (desc.get !== undefined && !ALLOWED.has(`${d}/${f}:${name}`)) found.push(`${d}/${f}: ${name}`);
      }
    }
  }
  assert.ok(modules > 20, `only ${modules} modules found under ${src}`);
  assert.deepEqual(found, [], 'import these from the module that defines them instead of re-exporting them');
});
