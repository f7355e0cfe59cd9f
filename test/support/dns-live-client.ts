/**
 * A DNS client for the kernel live test (test/integration/dns-kernel-live.test.ts), run inside the
 * test's namespace: `node dns-live-client.js SERVER COUNT`. Sends COUNT queries to SERVER:53, one
 * after the other, each from a new UDP socket on a port of its own (FIRST_PORT + i: no query meets an
 * answer owed to an earlier one on a reused port), and waits for each answer (at most 10 s, so that a
 * loaded machine's late answer does not meet a closed port). The query
 * names tell the test's responder what to do: big* (an answer larger than the MTU: the kernel
 * fragments it), twice* (answered twice; the socket is closed after the first, so the kernel answers
 * the second with an ICMP port unreachable quoting it), nx* (NXDOMAIN), a* (a plain answer). Prints
 * the number of answers received.
 */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { dnsMessage } from './dns-tcp-frames';

/** The i-th query's source port; the namespace the client runs in has no other sockets. */
const FIRST_PORT = 20_000;

export const LIVE_NAME_KINDS = ['big', 'twice', 'nx', 'a'] as const;

/** The query name of the i-th query. */
export const liveQueryName = (i: number): string => `${LIVE_NAME_KINDS[i % LIVE_NAME_KINDS.length]}${i}.example`;

async function main(server: string, count: number): Promise<void> {
  let answered = 0;
  for (let i = 0; i < count; i++) {
    const s = createSocket('udp4');
    s.bind(FIRST_PORT + i);
    await once(s, 'listening');
    const answer = once(s, 'message').then(() => true);
    s.send(dnsMessage({ id: i, response: false, qtype: i % 3 === 0 ? 28 : 1, name: liveQueryName(i) }), 53, server);
    const got = await Promise.race([answer, new Promise<boolean>((r) => setTimeout(() => r(false), 10_000).unref())]);
    if (got) answered++;
    s.close();
  }
  process.stdout.write(`${answered}\n`);
}

if (require.main === module) {
  void main(process.argv[2]!, Number(process.argv[3]));
}
