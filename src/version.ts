import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** netmon's version, from package.json (compiled code lives in dist/src, two levels below it). */
export const VERSION: string = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
