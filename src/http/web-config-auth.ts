/**
 * HTTP basic authentication against the bcrypt hashes of a web configuration (basic_auth_users).
 *
 * bcrypt costs tens of milliseconds by design; a Prometheus server scraping every 15 s with the
 * same password must not pay it each time, so verified (user, password) pairs are remembered, as
 * exporter-toolkit does: the cache is keyed by a SHA-256 of user, hash and password (the password
 * itself is not kept), holds at most CACHE_ENTRIES results and forgets the oldest. Unknown users
 * are checked against a dummy hash so that a response's timing does not tell which users exist;
 * bcrypt's own comparison is constant-time.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type * as Bcrypt from 'bcryptjs';

const CACHE_ENTRIES = 256;
/** bcrypt of a random string, cost 10: what an unknown user is compared with. */
const DUMMY_HASH = '$2y$10$LmQzfBwVZe9/wgHbqMzH1uE/FOmllJQRVpusPESd8zpx0roVfiiUu';

export class BasicAuth {
  private readonly cache = new Map<string, boolean>();
  private bcrypt: typeof Bcrypt | undefined;

  constructor(private readonly users: ReadonlyMap<string, string>) {}

  /** Resolves true when the request carries a valid user and password. */
  async check(req: IncomingMessage): Promise<boolean> {
    const h = req.headers.authorization;
    if (h === undefined || !/^basic /i.test(h)) return false;
    const text = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon < 0) return false;
    const user = text.slice(0, colon);
    const password = text.slice(colon + 1);
    const hash = this.users.get(user);
    const key = createHash('sha256').update(user).update('\0').update(hash ?? '').update('\0').update(password).digest('hex');
    const known = this.cache.get(key);
    if (known !== undefined) return known;
    this.bcrypt ??= require('bcryptjs') as typeof Bcrypt;
    const ok = (await this.bcrypt.compare(password, hash ?? DUMMY_HASH)) && hash !== undefined;
    if (this.cache.size >= CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, ok);
    return ok;
  }
}
