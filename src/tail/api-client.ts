/**
 * The HTTP side of `netmon tail`: GET requests to a netmon API with optional basic auth and a CA
 * certificate, as a JSON document or as a stream of lines. Failures are typed so the command can
 * tell what is worth retrying (the server is down or restarting) from what is not (a bad filter,
 * wrong credentials, an endpoint that is off: exit 2).
 */
import { request as httpRequest } from 'node:http';
import type { IncomingMessage, RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface ApiTarget {
  readonly base: URL;
  readonly authorization: string | undefined;
  readonly ca: Buffer | undefined;
}

/** The server answered, but not with what was asked: retrying will not help (except 503). */
export class ApiRefused extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
  get retryable(): boolean {
    return this.status === 503 || this.status >= 500;
  }
}

function options(t: ApiTarget, path: string, accept: string): { url: URL; opts: RequestOptions } {
  const url = new URL(path, t.base);
  const headers: Record<string, string> = { Accept: accept };
  if (t.authorization !== undefined) headers['Authorization'] = t.authorization;
  return { url, opts: { method: 'GET', headers, ...(t.ca !== undefined ? { ca: t.ca } : {}), timeout: 10_000 } };
}

function open(t: ApiTarget, path: string, accept: string): Promise<IncomingMessage> {
  const { url, opts } = options(t, path, accept);
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, opts, (res) => {
      if (res.statusCode === 200) {
        req.setTimeout(0);
        resolve(res);
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body = (body + d).slice(0, 4000)));
      res.on('end', () => {
        let message = body.trim();
        try {
          message = (JSON.parse(body) as { error?: string }).error ?? message;
        } catch {
          // not JSON
        }
        reject(new ApiRefused(res.statusCode ?? 0, `${url.pathname}: ${res.statusCode} ${res.statusMessage ?? ''}${message !== '' ? `: ${message}` : ''}`));
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end();
  });
}

/** GET path as JSON. */
export async function getJson<T>(t: ApiTarget, path: string): Promise<T> {
  const res = await open(t, path, 'application/json');
  let body = '';
  res.setEncoding('utf8');
  for await (const chunk of res) body += chunk as string;
  return JSON.parse(body) as T;
}

/**
 * Streams path line by line to onLine until the server ends the response or the connection breaks
 * (resolves), or the request is refused (rejects). `onOpen` runs once the stream is established.
 */
export async function streamLines(t: ApiTarget, path: string, onOpen: () => void, onLine: (line: string) => void): Promise<void> {
  const res = await open(t, path, 'application/x-ndjson');
  onOpen();
  let rest = '';
  res.setEncoding('utf8');
  await new Promise<void>((resolve) => {
    res.on('data', (d: string) => {
      const text = rest + d;
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        const line = text.slice(start, nl);
        start = nl + 1;
        if (line !== '') onLine(line);
      }
      rest = text.slice(start);
    });
    res.on('end', resolve);
    res.on('error', () => resolve());
    res.on('close', resolve);
  });
}
