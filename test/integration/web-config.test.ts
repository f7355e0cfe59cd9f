/**
 * Every endpoint behind a web configuration (exporter-toolkit format), checked with curl against
 * `netmon replay --serve`: TLS with a certificate from a test-made CA (openssl), basic auth with a
 * `$2y$` hash from htpasswd; 200 with the password, 401 with a wrong or no password, nothing over
 * plain HTTP, the configured header on every answer, a rotated certificate served without a
 * restart, `netmon tail` through TLS and auth, and exit 2 naming the key or file for bad files.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ETH, ethernet, ipv4, PROTO, tcp, TCP_FLAGS, udp } from '../support/frames';
import { freePort } from '../support/free-port';
import { CLI, runNetmon, startNetmon } from '../support/netmon-cli';
import { writePcap } from '../support/pcap-writer';
import { LINKTYPE_ETHERNET } from '../support/pcap-writer';
import { htpasswd, makeCa, makeCert, tlsToolsMissing } from '../support/tls-material';

const skip = tlsToolsMissing() ?? (spawnSync('curl', ['--version']).status === 0 ? undefined : 'curl is not installed');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Curl {
  code: number | null;
  status: string;
  body: string;
  stderr: string;
}

function curl(args: readonly string[]): Curl {
  const r = spawnSync('curl', ['-sS', '--max-time', '10', '-w', '\n%{http_code}', ...args], { encoding: 'utf8' });
  const i = r.stdout.lastIndexOf('\n');
  return { code: r.status, status: r.stdout.slice(i + 1), body: r.stdout.slice(0, i), stderr: r.stderr };
}

async function until<T>(what: string, ms: number, fn: () => T | undefined): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

const A = '198.18.7.1', B = '198.18.7.2';

describe('web configuration: TLS, basic auth, headers', { skip, timeout: 90_000 }, () => {
  let dir: string;
  let ca: { cert: string; key: string };
  let base: string;
  let netmon: ReturnType<typeof startNetmon>;
  let pcap: string;
  const auth = ['--cacert', '', '-u', 'alice:s3cret pass'];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nmt-webcfg-'));
    ca = makeCa(dir);
    auth[1] = ca.cert;
    const s1 = makeCert(dir, ca, 'server-one');
    copyFileSync(s1.cert, join(dir, 'tls.crt'));
    copyFileSync(s1.key, join(dir, 'tls.key'));
    const frames = [
      ...Array.from({ length: 3 }, (_, i) => ethernet({ etherType: ETH.IPV4 }, ipv4({ src: A, dst: B, proto: PROTO.TCP }, tcp({ sport: 40001, dport: 443, flags: i === 0 ? TCP_FLAGS.SYN : TCP_FLAGS.ACK }, Buffer.alloc(i * 100))))),
      ...Array.from({ length: 2 }, () => ethernet({ etherType: ETH.IPV4 }, ipv4({ src: A, dst: B, proto: PROTO.UDP }, udp({ sport: 5000, dport: 53 }, Buffer.alloc(30))))),
    ];
    pcap = join(dir, 'traffic.pcap');
    writePcap(pcap, frames.map((data, i) => ({ data, ts: 1_700_000_000 + i / 10 })), { linkType: LINKTYPE_ETHERNET });
    // Relative paths are relative to the web configuration file, as in exporter-toolkit.
    writeFileSync(join(dir, 'web.yml'), `tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\nbasic_auth_users:\n  ${htpasswd('alice', 's3cret pass').replace(':', ': ')}\n  bob: ${htpasswd('bob', 'other').split(':')[1]}\n`);
    const port = await freePort();
    base = `https://127.0.0.1:${port}`;
    netmon = startNetmon(['replay', pcap, '--serve', '--listen', `127.0.0.1:${port}`, '--web.config.file', join(dir, 'web.yml'), '--log-level', 'warn']);
    await until('netmon ready over TLS', 20_000, () => (netmon.exitCode !== null ? assert.fail(netmon.output.stderr) : curl([...auth, `${base}/readyz`]).status === '200' ? true : undefined));
  });

  after(async () => {
    if (netmon !== undefined && netmon.exitCode === null) {
      netmon.kill('SIGKILL');
      await once(netmon, 'exit');
    }
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('answers /metrics and /api/v1/flows with the password, 401 without or with a wrong one, nothing over plain HTTP', () => {
    const m = curl([...auth, `${base}/metrics`]);
    assert.equal(m.status, '200');
    assert.match(m.body, /netmon_packets_total\{interface="traffic.pcap"\} 5\n/);
    const f = curl([...auth, `${base}/api/v1/flows?sort=packets`]);
    assert.equal(f.status, '200');
    const flows = (JSON.parse(f.body) as { flows: { src_port: number; packets: number }[] }).flows;
    assert.deepEqual(flows.map((x) => [x.src_port, x.packets]), [[40001, 3], [5000, 2]]);
    for (const path of ['/metrics', '/api/v1/flows', '/', '/api/v1/status', '/api/v1/flows/stream', '/healthz']) {
      assert.equal(curl(['--cacert', ca.cert, `${base}${path}`]).status, '401', `no password: ${path}`);
      assert.equal(curl(['--cacert', ca.cert, '-u', 'alice:wrong', `${base}${path}`]).status, '401', `wrong password: ${path}`);
      assert.equal(curl(['--cacert', ca.cert, '-u', 'mallory:s3cret pass', `${base}${path}`]).status, '401', `unknown user: ${path}`);
    }
    assert.equal(curl(['--cacert', ca.cert, '-u', 'bob:other', `${base}/metrics`]).status, '200', 'second user');
    const challenge = spawnSync('curl', ['-sS', '-D', '-', '-o', '/dev/null', '--cacert', ca.cert, `${base}/metrics`], { encoding: 'utf8' }).stdout;
    assert.match(challenge, /www-authenticate: Basic realm="netmon"/i);
    assert.match(challenge, /x-frame-options: deny/i);
    const plain = curl([`http://${base.slice('https://'.length)}/metrics`]);
    assert.notEqual(plain.code, 0, 'plain HTTP fails');
    assert.equal(plain.status, '000', 'no HTTP answer over plain HTTP');
    assert.doesNotMatch(plain.body, /netmon_/);
  });

  it('serves a rotated certificate to new connections without a restart', async () => {
    const subject = (): string => /subject: (.*)/.exec(spawnSync('curl', ['-sS', '-v', '-o', '/dev/null', ...auth, `${base}/healthz`], { encoding: 'utf8' }).stderr)?.[1] ?? '';
    assert.match(subject(), /CN=server-one/);
    const s2 = makeCert(dir, ca, 'server-two');
    // As cert-manager and friends do: new files renamed into place.
    copyFileSync(s2.key, join(dir, 'tls.key.new'));
    copyFileSync(s2.cert, join(dir, 'tls.crt.new'));
    renameSync(join(dir, 'tls.key.new'), join(dir, 'tls.key'));
    renameSync(join(dir, 'tls.crt.new'), join(dir, 'tls.crt'));
    await until('the new certificate', 10_000, () => (/CN=server-two/.test(subject()) ? true : undefined));
    assert.equal(curl([...auth, `${base}/metrics`]).status, '200');
  });

  it('netmon tail works through TLS and basic auth; a wrong password is exit 2', async () => {
    const pw = join(dir, 'password');
    writeFileSync(pw, 's3cret pass\n');
    writeFileSync(join(dir, 'wrong'), 'nope\n');
    const bad = spawnSync(process.execPath, [CLI, 'tail', '--url', base, '--user', 'alice', '--password-file', join(dir, 'wrong'), '--cacert', ca.cert], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /401.*--password-file/);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    const tail = spawn(process.execPath, [CLI, 'tail', '--url', base, '--user', 'alice', '--password-file', pw, '--cacert', ca.cert], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    tail.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    tail.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    try {
      await until('tail connected to the flow stream', 15_000, () => (/netmon_stream_clients\{stream="flows"\} 1\n/.test(curl([...auth, `${base}/metrics`]).body) ? true : undefined));
      // Stopping the replay delivers the records of the flows still active (end_reason "end").
      netmon.kill('SIGTERM');
      const [code] = (await once(netmon, 'exit')) as [number];
      assert.equal(code, 0, netmon.output.stderr);
      await until('the two records', 10_000, () => (out.split('\n').filter(Boolean).length >= 2 ? true : undefined));
      const lines = out.split('\n').filter(Boolean).sort();
      assert.equal(lines.length, 2, out);
      assert.match(lines[0]!, new RegExp(`^2023-11-14 22:13:20\\.000 ${A}:40001 > ${B}:443 tcp packets=3 bytes=\\d+ duration=0\\.200s end=end$`));
      assert.match(lines[1]!, new RegExp(`^2023-11-14 22:13:20\\.300 ${A}:5000 > ${B}:53 udp packets=2 bytes=\\d+ duration=0\\.100s end=end$`));
      // The server is gone: tail keeps trying, and Ctrl-C ends it with 0.
      await until('tail retrying', 10_000, () => (/retrying in/.test(err) ? true : undefined));
    } finally {
      tail.kill('SIGINT');
    }
    const [code] = (await once(tail, 'exit')) as [number];
    assert.equal(code, 0, err);
  });
});

describe('bad web configurations stop netmon with exit 2 naming the file and key', { skip }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'nmt-webcfg-bad-'));
    const ca = makeCa(dir);
    makeCert(dir, ca, 'srv');
    writePcap(join(dir, 'x.pcap'), [{ data: ethernet({ etherType: ETH.IPV4 }, ipv4({ src: A, dst: B, proto: PROTO.UDP }, udp({ sport: 1, dport: 2 }))), ts: 1 }], { linkType: LINKTYPE_ETHERNET });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases: Array<[string, string, RegExp]> = [
    ['unknown key', 'tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n', /bad\.yml:4: tls_server_config\.cipher_suites: unknown key/],
    ['unknown top-level key', 'basic_auth_user:\n  a: b\n', /bad\.yml:1: basic_auth_user: unknown key/],
    ['missing certificate file', 'tls_server_config:\n  cert_file: nope.crt\n  key_file: srv.key\n', /cannot read .*nope\.crt \(tls_server_config: cert_file\): no such file/],
    ['key of another certificate', 'tls_server_config:\n  cert_file: srv.crt\n  key_file: ca.key\n', /bad\.yml: tls_server_config: .*srv\.crt/],
    ['not a bcrypt hash', 'basic_auth_users:\n  alice: plaintext\n', /bad\.yml:2: basic_auth_users\.alice: expected a bcrypt hash/],
    ['header netmon owns', 'http_server_config:\n  headers:\n    Content-Type: text/html\n', /bad\.yml:3: http_server_config\.headers\.Content-Type: invalid name/],
    ['client CA missing for verification', 'tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\n  client_auth_type: RequireAndVerifyClientCert\n', /tls_server_config\.client_ca_file: required with client_auth_type RequireAndVerifyClientCert/],
  ];
  for (const [name, text, want] of cases) {
    it(name, () => {
      writeFileSync(join(dir, 'bad.yml'), text);
      const r = runNetmon(['replay', join(dir, 'x.pcap'), '--serve', '--listen', '127.0.0.1:1', '--web.config.file', join(dir, 'bad.yml')], 30_000);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, want);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      // check-config checks the web configuration its web_config_file names, the same way.
      writeFileSync(join(dir, 'netmon.yml'), 'web_config_file: bad.yml\n'); // relative to netmon.yml
      const c = runNetmon(['check-config', join(dir, 'netmon.yml')]);
      assert.equal(c.code, 2, c.stderr);
      assert.match(c.stderr, want);
    });
  }
  it('an unreadable web configuration file', () => {
    const r = runNetmon(['replay', join(dir, 'x.pcap'), '--serve', '--web.config.file', join(dir, 'absent.yml')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read web configuration file .*absent\.yml: no such file/);
  });
});
