/**
 * TLS material for tests, made by openssl (Debian) in a temp dir: a CA, and server certificates
 * for 127.0.0.1 signed by it (each with its own common name, so a test can tell which one a
 * server presents), and a client certificate. Basic-auth hashes come from htpasswd (apache2-utils),
 * so the `$2y$` bcrypt variant users have is what the tests check.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';

export function tlsToolsMissing(): string | undefined {
  if (spawnSync('openssl', ['version']).status !== 0) return 'openssl is not installed';
  if (spawnSync('htpasswd', ['-nbB', 'u', 'p']).status !== 0) return 'htpasswd (apache2-utils) is not installed';
  return undefined;
}

const openssl = (args: readonly string[]): void => {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
};

/** CA key and certificate in dir: ca.key, ca.crt. */
export function makeCa(dir: string, name = 'ca'): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=netmon test ${name}`]);
  return { cert, key };
}

/** A certificate with common name `cn` for 127.0.0.1 (or a client certificate), signed by the CA. */
export function makeCert(dir: string, ca: { cert: string; key: string }, cn: string, opts: { client?: boolean } = {}): { cert: string; key: string } {
  const key = join(dir, `${cn}.key`);
  const csr = join(dir, `${cn}.csr`);
  const cert = join(dir, `${cn}.crt`);
  const ext = join(dir, `${cn}.ext`);
  require('node:fs').writeFileSync(ext, opts.client === true ? 'extendedKeyUsage=clientAuth\n' : 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`]);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext]);
  return { cert, key };
}

/** `user:hash` of htpasswd -B (bcrypt, `$2y$`), cost 5 to keep tests quick. */
export function htpasswd(user: string, password: string): string {
  return execFileSync('htpasswd', ['-nbBC', '5', user, password], { encoding: 'utf8' }).trim();
}
