/**
 * The web configuration file (`--web.config.file`, `web_config_file`), in the format of the
 * Prometheus exporter-toolkit, so users reuse the files they have for node_exporter and friends:
 *
 *   tls_server_config:
 *     cert_file: server.crt          # relative paths are relative to this file's directory
 *     key_file: server.key
 *     client_auth_type: NoClientCert # RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert
 *     client_ca_file: ca.crt         # required by the two Verify types
 *     min_version: TLS12             # TLS10, TLS11, TLS12, TLS13
 *     max_version: TLS13
 *   http_server_config:
 *     headers: {Strict-Transport-Security: max-age=31536000}
 *   basic_auth_users:
 *     alice: $2y$10$...              # bcrypt (htpasswd -nBC 10 alice)
 *
 * Unknown keys, bad values and unreadable files stop netmon at start-up (exit 2) naming the file
 * and the key. Keys of exporter-toolkit that netmon does not implement (cipher_suites,
 * curve_preferences, prefer_server_cipher_suites, client_allowed_sans, http2) are refused as
 * unknown rather than silently ignored.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { NetmonError } from '../errors';
import { parseValidatedYaml } from '../config/load';
import { field, object, oneOf, optional, recordOf, section, string } from '../config/validate';
import type { Problem } from '../config/validate';

export const CLIENT_AUTH_TYPES = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];
const TLS_VERSIONS = ['TLS10', 'TLS11', 'TLS12', 'TLS13'] as const;
type TlsVersionName = (typeof TLS_VERSIONS)[number];
export const NODE_TLS_VERSION: Readonly<Record<TlsVersionName, 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'>> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

/** Headers exporter-toolkit lets a web configuration set (the others belong to the server). */
const SETTABLE_HEADERS = ['Strict-Transport-Security', 'X-Content-Type-Options', 'X-Frame-Options', 'X-XSS-Protection', 'Content-Security-Policy'];

const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

const schema = object({
  tls_server_config: optional(
    object({
      cert_file: field(string(), ''),
      key_file: field(string(), ''),
      client_auth_type: field(oneOf(CLIENT_AUTH_TYPES), 'NoClientCert'),
      client_ca_file: field(string(), ''),
      min_version: field(oneOf(TLS_VERSIONS), 'TLS12'),
      max_version: field(oneOf(TLS_VERSIONS), 'TLS13'),
    }),
  ),
  http_server_config: section(
    object({
      headers: field(
        recordOf((k) => (SETTABLE_HEADERS.some((h) => h.toLowerCase() === k.toLowerCase()) ? undefined : `a web configuration may set only ${SETTABLE_HEADERS.join(', ')}`), string()),
        () => ({}),
      ),
    }),
  ),
  basic_auth_users: field(
    recordOf(
      (k) => (k === '' || k.includes(':') ? 'a user name is not empty and has no ":"' : undefined),
      string({ check: (s) => (BCRYPT.test(s) ? undefined : 'expected a bcrypt hash ($2a$, $2b$ or $2y$, e.g. from htpasswd -nBC 10 USER)') }),
    ),
    () => ({}),
  ),
});

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string | undefined;
}

export interface WebConfig {
  /** The file it was read from (for messages). */
  readonly file: string;
  readonly tls:
    | (TlsFiles & {
        readonly clientAuth: ClientAuthType;
        readonly minVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
        readonly maxVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
      })
    | undefined;
  /** User name → bcrypt hash. */
  readonly users: ReadonlyMap<string, string>;
  readonly headers: Readonly<Record<string, string>>;
}

function validate(raw: unknown): { config: ReturnType<typeof schema>; problems: Problem[] } {
  const problems: Problem[] = [];
  const config = schema(raw ?? {}, [], problems);
  const t = config.tls_server_config;
  if (t !== undefined) {
    if (t.cert_file === '') problems.push({ path: ['tls_server_config', 'cert_file'], message: 'required with tls_server_config' });
    if (t.key_file === '') problems.push({ path: ['tls_server_config', 'key_file'], message: 'required with tls_server_config' });
    const verify = t.client_auth_type === 'VerifyClientCertIfGiven' || t.client_auth_type === 'RequireAndVerifyClientCert';
    if (verify && t.client_ca_file === '') problems.push({ path: ['tls_server_config', 'client_ca_file'], message: `required with client_auth_type ${t.client_auth_type}` });
    if (TLS_VERSIONS.indexOf(t.max_version) < TLS_VERSIONS.indexOf(t.min_version)) problems.push({ path: ['tls_server_config', 'max_version'], message: `expected a version at least min_version (${t.min_version})` });
  }
  const reworded = problems.map((p) => (p.message.startsWith('unknown key') ? { ...p, message: 'unknown key (netmon reads the exporter-toolkit web configuration: tls_server_config, http_server_config.headers, basic_auth_users)' } : p));
  return { config, problems: reworded };
}

/** Reads and validates a web configuration file; throws NetmonError (exit 2) naming the file and key. */
export function loadWebConfig(file: string): WebConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new NetmonError('NETMON_ERR_CONFIG_UNREADABLE', `cannot read web configuration file ${file}: ${reason}`);
  }
  const c = parseValidatedYaml(text, file, validate);
  const dir = dirname(resolve(file));
  const t = c.tls_server_config;
  const tls =
    t === undefined
      ? undefined
      : {
          certFile: resolve(dir, t.cert_file),
          keyFile: resolve(dir, t.key_file),
          caFile: t.client_ca_file === '' ? undefined : resolve(dir, t.client_ca_file),
          clientAuth: t.client_auth_type,
          minVersion: NODE_TLS_VERSION[t.min_version],
          maxVersion: NODE_TLS_VERSION[t.max_version],
        };
  return { file, tls, users: new Map(Object.entries(c.basic_auth_users)), headers: { ...c.http_server_config.headers } };
}
