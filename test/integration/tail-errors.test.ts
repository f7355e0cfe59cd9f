/**
 * `netmon tail` without a server: bad arguments are one line and exit 2; an unreachable server is
 * retried with backoff until Ctrl-C, which exits 0.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { freePort } from '../support/free-port';
import { CLI, runNetmon } from '../support/netmon-cli';

test('bad --url, --filter, --rate and credentials options: one line, exit 2', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--url', 'ftp://host'], /--url: expected an http:\/\/ or https:\/\/ URL/],
    [['--url', 'not a url'], /--url: expected an http:\/\/ or https:\/\/ URL/],
    [['--filter', 'tcp port'], /--filter: column 9: expected a port number/],
    [['--packets', '--rate', 'fast'], /--rate: expected packets per second/],
    [['--rate', '10'], /--rate goes with --packets/],
    [['--user', 'alice'], /--user and --password-file go together/],
    [['--user', 'a', '--password-file', '/nonexistent/pw'], /--password-file: cannot read \/nonexistent\/pw: no such file/],
    [['--url', 'http://127.0.0.1:1', '--cacert', '/etc/hostname'], /--cacert needs an https:\/\/ --url/],
    [['extra'], /unexpected argument "extra"/],
  ];
  for (const [args, re] of cases) {
    const r = runNetmon(['tail', ...args], 20_000);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('an unreachable server is retried with backoff until Ctrl-C, which exits 0', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'tail', '--url', `http://127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const end = Date.now() + 15_000;
  while ((err.match(/retrying in/g) ?? []).length < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  assert.match(err, /ECONNREFUSED.*retrying in 0\.5 s\n.*retrying in 1\.0 s\n.*retrying in 2\.0 s/s);
  child.kill('SIGINT');
  const [code] = (await once(child, 'exit')) as [number];
  assert.equal(code, 0);
});
