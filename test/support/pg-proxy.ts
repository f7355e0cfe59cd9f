/**
 * A TCP proxy in front of a test PostgreSQL that reads the client's protocol messages
 * (https://www.postgresql.org/docs/current/protocol-message-formats.html) and can fail a
 * connection at the worst moment for a writer: after the server has committed but before the
 * client hears so. When armed, it forwards the next simple-query "COMMIT" to the server, waits for
 * the server's reply (sent only once the commit is durable) and then cuts both sockets without
 * passing the reply on. The client sees a failed COMMIT for a transaction that did commit.
 */
import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

export interface PgProxy {
  readonly port: number;
  /** Cut the connection after the server answers the next COMMIT (its reply is never delivered). */
  armCommitCut(): void;
  /** COMMITs whose reply was withheld so far. */
  readonly commitsCut: number;
  close(): Promise<void>;
}

const COMMIT = Buffer.from('COMMIT\0', 'latin1');

export async function startPgProxy(targetPort: number): Promise<PgProxy> {
  let armed = false;
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    sockets.add(client);
    sockets.add(upstream);
    let pending = Buffer.alloc(0);
    let startup = true;
    /** Set once a COMMIT was forwarded while armed: the server's next bytes are its reply. */
    let cutOnReply = false;
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      // Forward whole messages only, so that a COMMIT can be recognised before it is sent.
      for (;;) {
        if (startup) {
          if (pending.length < 4) return;
          const len = pending.readInt32BE(0);
          if (pending.length < len) return;
          upstream.write(pending.subarray(0, len));
          pending = pending.subarray(len);
          // SSLRequest (80877103) is followed by another untyped startup message; netmon's tests use no TLS.
          startup = false;
          continue;
        }
        if (pending.length < 5) return;
        const len = pending.readInt32BE(1);
        if (pending.length < 1 + len) return;
        const msg = pending.subarray(0, 1 + len);
        pending = pending.subarray(1 + len);
        if (armed && msg[0] === 0x51 && msg.subarray(5).equals(COMMIT)) {
          armed = false;
          cutOnReply = true;
        }
        upstream.write(msg);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (cutOnReply) {
        cuts++;
        cut();
        return;
      }
      client.write(chunk);
    });
    const close = (s: Socket): void => {
      sockets.delete(s);
      cut();
    };
    client.on('close', () => close(client));
    upstream.on('close', () => close(upstream));
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    armCommitCut() {
      armed = true;
    },
    get commitsCut() {
      return cuts;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
