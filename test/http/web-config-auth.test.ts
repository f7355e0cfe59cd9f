import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { BasicAuth } from '../../src/http/web-config-auth';

const HAVE_HTPASSWD = spawnSync('htpasswd', ['-nbB', 'u', 'p']).status === 0;
const req = (user: string, password: string, raw?: string) => ({ headers: { authorization: raw ?? `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } }) as unknown as IncomingMessage;

describe('basic auth against htpasswd bcrypt hashes', { skip: HAVE_HTPASSWD ? undefined : 'htpasswd is not installed' }, () => {
  const hash = spawnSync('htpasswd', ['-nbBC', '6', 'alice', 'pa:ss wörd'], { encoding: 'utf8' }).stdout.trim().split(':')[1]!;
  it('accepts the password ($2y$, a colon and UTF-8 in it), refuses wrong, unknown, missing and malformed', async () => {
    assert.match(hash, /^\$2y\$06\$/);
    const auth = new BasicAuth(new Map([['alice', hash]]));
    assert.equal(await auth.check(req('alice', 'pa:ss wörd')), true);
    assert.equal(await auth.check(req('alice', 'pa:ss word')), false);
    assert.equal(await auth.check(req('bob', 'pa:ss wörd')), false);
    assert.equal(await auth.check({ headers: {} } as IncomingMessage), false);
    assert.equal(await auth.check(req('', '', 'Bearer abc')), false);
    assert.equal(await auth.check(req('', '', 'Basic !!!')), false);
  });
  it('pays bcrypt once per user and password, not per request', async () => {
    const auth = new BasicAuth(new Map([['alice', hash]]));
    let calls = 0;
    const real = require('bcryptjs') as { compare(a: string, b: string): Promise<boolean> };
    (auth as unknown as { bcrypt: unknown }).bcrypt = { compare: (a: string, b: string) => (calls++, real.compare(a, b)) };
    for (let i = 0; i < 20; i++) assert.equal(await auth.check(req('alice', 'pa:ss wörd')), true);
    for (let i = 0; i < 5; i++) assert.equal(await auth.check(req('alice', 'nope')), false);
    assert.equal(calls, 2);
  });
});
