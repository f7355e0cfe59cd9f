/**
 * The per-client bounded writer of the streams over real loopback sockets: a client that reads gets
 * every item in order; one that stops reading is cut off (stalled, or buffer_full when more is owed
 * than its queue holds) with a last {"lost": N} line, and sent + lost always equals what it was owed.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { StreamClient, streamHeaders } from '../../src/api/stream-client';
import type { StreamClientOptions, StreamItem } from '../../src/api/stream-client';
import { StreamStats } from '../../src/api/stream-stats';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function item(i: number, lines = 1): StreamItem {
  const text = Array.from({ length: lines }, (_, k) => `{"n":${i},"k":${k},"pad":"${'x'.repeat(200)}"}`);
  return { count: lines, size: 0, bytes: (format) => Buffer.from(text.map((l) => (format === 'sse' ? `data: ${l}\n\n` : `${l}\n`)).join('')) };
}

async function serve(onRes: (res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => onRes(res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` };
}

function get(url: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => request(url, { agent: false }, resolve).on('error', reject).end());
}

const OPTS: StreamClientOptions = { format: 'ndjson', bufferBytes: 64 * 1024, maxPendingItems: 1_000_000, maxPendingBytes: Infinity, stallMs: 400 };

async function readAll(res: IncomingMessage): Promise<string> {
  let s = '';
  res.setEncoding('utf8');
  for await (const d of res) s += d as string;
  return s;
}

describe('StreamClient', () => {
  it('gives a reading client every item, in order, however far ahead the writer is', async () => {
    const stats = new StreamStats();
    let client: StreamClient | undefined;
    const { server, url } = await serve((res) => {
      streamHeaders(res, 'ndjson');
      client = new StreamClient(res, 'flows', OPTS, stats, () => {});
    });
    const res = await get(url);
    const text = readAll(res);
    for (let i = 0; i < 3000; i++) client!.push(item(i, 4)); // ~2.6 MB at once, 40x the socket buffer bound
    await sleep(50);
    client!.end();
    const lines = (await text).trim().split('\n').map((l) => JSON.parse(l) as { n: number; k: number });
    assert.equal(lines.length, 12000);
    lines.forEach((l, j) => assert.deepEqual([l.n, l.k], [Math.floor(j / 4), j % 4]));
    assert.equal(stats.sent.flows, 12000);
    assert.equal(stats.lost.flows, 0);
    assert.equal(stats.clients.flows, 0);
    server.closeAllConnections();
    server.close();
  });

  it('cuts off a client that takes nothing while data waits (stalled), counting what it was owed', async () => {
    const stats = new StreamStats();
    let client: StreamClient | undefined;
    const { server, url } = await serve((res) => {
      streamHeaders(res, 'ndjson');
      client = new StreamClient(res, 'flows', OPTS, stats, () => {});
    });
    const res = await get(url);
    res.pause();
    // More than the kernel's socket buffers take on loopback (a few MB), so some waits in netmon.
    let pushed = 0;
    for (; pushed < 100_000; pushed++) client!.push(item(pushed));
    assert.equal(stats.clients.flows, 1);
    const end = Date.now() + 5000;
    while (stats.dropped.flows.stalled === 0 && Date.now() < end) {
      client!.checkStall(Date.now());
      await sleep(50);
    }
    assert.equal(stats.dropped.flows.stalled, 1);
    assert.equal(stats.clients.flows, 0);
    // What it can still take: everything written before, then the lost line.
    res.resume();
    const lines = (await readAll(res)).trim().split('\n');
    const last = JSON.parse(lines.at(-1)!) as { lost: number };
    assert.equal(lines.length - 1 + last.lost, pushed);
    assert.equal(stats.sent.flows + stats.lost.flows, pushed);
    assert.equal(stats.lost.flows, last.lost);
    server.closeAllConnections();
    server.close();
  });

  it('cuts off a client owed more than its queue holds (buffer_full), with the lost count as an SSE event', async () => {
    const stats = new StreamStats();
    let client: StreamClient | undefined;
    const { server, url } = await serve((res) => {
      streamHeaders(res, 'sse');
      client = new StreamClient(res, 'packets', { ...OPTS, format: 'sse', maxPendingItems: 500 }, stats, () => {});
    });
    const res = await get(url);
    res.pause();
    let pushed = 0;
    while (!client!.isClosed && pushed < 100_000) client!.push(item(pushed++));
    assert.ok(client!.isClosed);
    assert.equal(stats.dropped.packets.buffer_full, 1);
    res.resume();
    const text = await readAll(res);
    const m = /event: lost\ndata: \{"lost":(\d+)\}\n\n$/.exec(text);
    assert.ok(m !== null, text.slice(-200));
    assert.equal(text.split('\n\n').filter((e) => e.startsWith('data: ')).length + Number(m[1]), pushed);
    server.closeAllConnections();
    server.close();
  });
});
