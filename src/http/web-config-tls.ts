/**
 * TLS for the HTTP server from a web configuration: the certificate, key and client CA are read at
 * start-up (an unreadable or invalid one stops netmon naming the file) and read again when they
 * change on disk, so a rotated certificate is served to the next connection without a restart
 * (as exporter-toolkit does). Changes are looked for before each new connection (three stat calls);
 * files caught mid-rotation (a key that does not match its certificate yet) keep the previous
 * context and are tried again at the next connection.
 */
import { readFileSync, statSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { SecureContext, TLSSocket } from 'node:tls';
import type * as https from 'node:https';
import { NetmonError } from '../errors';
import type { Logger } from '../log';
import type { WebConfig } from './web-config';

type Tls = NonNullable<WebConfig['tls']>;

interface Material {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer | undefined;
}

function stamp(files: readonly (string | undefined)[]): string {
  return files.map((f) => {
    if (f === undefined) return '-';
    try {
      const s = statSync(f);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      return 'missing';
    }
  }).join('|');
}

function read(tls: Tls, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new NetmonError('NETMON_ERR_CONFIG_UNREADABLE', `cannot read ${file} (tls_server_config: ${file === tls.certFile ? 'cert_file' : file === tls.keyFile ? 'key_file' : 'client_ca_file'}): ${reason}`);
  }
}

function readMaterial(tls: Tls): Material {
  return { cert: read(tls, tls.certFile), key: read(tls, tls.keyFile), ca: tls.caFile === undefined ? undefined : read(tls, tls.caFile) };
}

function contextOptions(tls: Tls, m: Material) {
  return { cert: m.cert, key: m.key, ca: m.ca, minVersion: tls.minVersion, maxVersion: tls.maxVersion };
}

/** The https.createServer options of a web configuration (throws NetmonError, exit 2, for bad files). */
export function tlsServerOptions(web: WebConfig): https.ServerOptions {
  const tls = web.tls!;
  const m = readMaterial(tls);
  try {
    createSecureContext(contextOptions(tls, m));
  } catch (err) {
    throw new NetmonError('NETMON_ERR_CONFIG_INVALID', `invalid configuration: ${web.file}: tls_server_config: ${tls.certFile} / ${tls.keyFile}${tls.caFile !== undefined ? ` / ${tls.caFile}` : ''}: ${(err as Error).message}`);
  }
  const verify = tls.clientAuth === 'RequireAndVerifyClientCert';
  return {
    ...contextOptions(tls, m),
    requestCert: tls.clientAuth !== 'NoClientCert',
    rejectUnauthorized: verify,
  };
}

/** Re-reads the TLS files before a connection when they changed (see the module comment). */
export function watchTlsFiles(server: https.Server, web: WebConfig, log: Logger): void {
  const tls = web.tls!;
  const files = [tls.certFile, tls.keyFile, tls.caFile];
  let last = stamp(files);
  server.prependListener('connection', () => {
    const now = stamp(files);
    if (now === last) return;
    try {
      const m = readMaterial(tls);
      server.setSecureContext(contextOptions(tls, m));
      last = now;
      log.info({ cert_file: tls.certFile }, 'TLS certificate reloaded');
    } catch (err) {
      log.warn({ err: (err as Error).message, cert_file: tls.certFile }, 'TLS files changed but cannot be loaded yet: keeping the previous certificate');
    }
  });
}

/**
 * Whether a request's client certificate satisfies client_auth_type (the handshake already
 * enforced RequireAndVerifyClientCert): undefined when it does, else why not.
 */
export function clientCertProblem(web: WebConfig, socket: TLSSocket): string | undefined {
  const type = web.tls?.clientAuth ?? 'NoClientCert';
  if (type === 'NoClientCert' || type === 'RequestClientCert') return undefined;
  const cert = socket.getPeerCertificate();
  const given = cert !== null && Object.keys(cert).length > 0;
  if (type === 'RequireAnyClientCert') return given ? undefined : 'a client certificate is required';
  if (type === 'VerifyClientCertIfGiven') return !given || socket.authorized ? undefined : `client certificate not valid: ${String(socket.authorizationError)}`;
  return undefined;
}

export type { SecureContext };
