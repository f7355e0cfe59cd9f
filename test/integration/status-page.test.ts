/**
 * The status page in headless Chromium (Debian's chromium driven by playwright-core; root only):
 * `netmon run` captures on a veth while tcpreplay sends UDP and TCP flows at a fixed rate from
 * inside a test-made namespace; the page, fed by the API alone, must show the interface up, its
 * throughput in the chart, the named filters counting, and the flows sent in its table (also
 * through the filter box, and a bad filter's message). A screenshot is written under
 * dist/test-artifacts/; NETMON_UPDATE_SCREENSHOT=1 also writes docs/status-page.png for the README.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type * as Playwright from 'playwright-core';
import { ethIpv4Tcp, ethIpv4Udp } from '../support/frames';
import { freePort } from '../support/free-port';
import { startNetmon } from '../support/netmon-cli';
import { liveSkipReason } from '../support/netns';
import type { VethNs } from '../support/netns';
import { startLiveRun } from '../support/live-run';
import type { LiveRun } from '../support/live-run';
import { LINKTYPE_ETHERNET, writePcap } from '../support/pcap-writer';
import { htpasswd, makeCa, makeCert, tlsToolsMissing } from '../support/tls-material';

// The page's globals, as the functions evaluated in the browser see them (this file compiles without the DOM types).
declare const document: { querySelectorAll(s: string): ArrayLike<unknown> & Iterable<unknown>; getElementById(id: string): { textContent: string | null } | null };
declare const window: unknown;
interface HTMLElement {
  children: ArrayLike<{ textContent: string | null }>;
}

const CHROMIUM = '/usr/bin/chromium';
const skip = liveSkipReason()
  ?? (existsSync(CHROMIUM) ? undefined : 'chromium is not installed')
  ?? (spawnSync('tcpreplay', ['--version']).status === 0 ? undefined : 'tcpreplay is not installed');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const root = join(__dirname, '..', '..', '..');

/** Flags for a root sandbox; without the background-networking ones Chromium calls out on its own. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('the status page in Chromium', { skip, timeout: 120_000 }, () => {
  let v: VethNs;
  let dir: string;
  let base: string;
  let run: LiveRun | undefined;
  let context: Playwright.BrowserContext | undefined;

  before(async () => {
    run = await startLiveRun('nmt-page-', 'flows:\n  idle_timeout: 60s\nfilters:\n  web: tcp port 443\n  dns: udp dst port 53\n  ssh: tcp port 22\n');
    ({ v, dir, base } = run);
  });

  after(async () => {
    await context?.close();
    await run?.stop();
  });

  it('shows capture health, the throughput chart, named filters and the flows sent, updated live', async () => {
    const { chromium } = require('playwright-core') as typeof Playwright;
    context = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 1100 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/`);
    await page.waitForSelector('#live.on', { timeout: 10_000 });
    assert.match(await page.textContent('#description') ?? '', new RegExp(`Capturing on ${v.host}`));

    // ~6 s of traffic at 2 000 packets/s: DNS queries from 20 ports, an HTTPS flow, SSH.
    const frames: Buffer[] = [];
    for (let i = 0; i < 12_000; i++) {
      const k = i % 6;
      if (k < 3) frames.push(ethIpv4Udp({ src: v.peerAddr, dst: '198.19.53.53', sport: 50000 + (i % 20), dport: 53 }, Buffer.alloc(40)));
      else if (k < 5) frames.push(ethIpv4Tcp({ src: v.peerAddr, dst: '198.19.44.3', sport: 44321, dport: 443 }, Buffer.alloc(900)));
      else frames.push(ethIpv4Tcp({ src: v.peerAddr, dst: v.hostAddr, sport: 52222, dport: 22 }, Buffer.alloc(120)));
    }
    const file = join(dir, 'page.pcap');
    writePcap(file, frames.map((data) => ({ data, ts: 1_700_000_000 })), { linkType: LINKTYPE_ETHERNET });
    const replay = spawn('ip', ['netns', 'exec', v.ns, 'tcpreplay', '-q', '-K', '-i', v.peer, '--pps=2000', file], { stdio: 'ignore' });
    try {
      const rowText = async (sel: string) => (await page.$$eval(`${sel} tbody tr`, (rows) => rows.map((r) => Array.from((r as HTMLElement).children, (c) => c.textContent).join(' '))));
      await page.waitForFunction((ip) => [...document.querySelectorAll('#flows tbody tr')].some((r) => Array.from((r as HTMLElement).children, (c) => c.textContent).join(' ').includes(`${ip}:44321`)), v.peerAddr, { timeout: 15_000 });
      // The chart's series for the interface holds a throughput near 2 000 packets/s of these sizes.
      await page.waitForFunction((name) => {
        const s = (window as unknown as { __netmon: { series: Map<string, (number | null)[]> } }).__netmon.series.get(name);
        return s !== undefined && s.filter((x) => x !== null && x > 1e6).length >= 3;
      }, v.host, { timeout: 15_000 });
      const captures = await rowText('#captures');
      assert.equal(captures.length, 1);
      assert.match(captures[0]!, new RegExp(`^${v.host}\\s+up\\s`));
      const filters = await rowText('#filters');
      assert.deepEqual(filters.map((r) => r.split(/\s/)[0]), ['web', 'dns', 'ssh']);
      for (const r of filters) assert.match(r, /^\w+\s+[1-9][\d,]*\s/, `filter row counts: ${r}`);
      const flows = await rowText('#flows');
      assert.ok(flows.some((r) => r.includes(`${v.peerAddr}:44321`) && r.includes('198.19.44.3:443') && /\btcp\b/.test(r)), flows.join('\n'));
      assert.ok(flows.some((r) => r.includes('198.19.53.53:53') && /\budp\b/.test(r)), flows.join('\n'));
      // The chart is drawn: uPlot's canvas is there with the interface in its legend.
      assert.ok(await page.$('#chart canvas'));
      assert.match(await page.textContent('#chart .u-legend') ?? '', new RegExp(v.host));

      // Rates of flows come from two polls of /api/v1/flows.
      await page.waitForFunction(() => [...document.querySelectorAll('#flows tbody tr')].some((r) => /\d[kMGT]?b\/s/.test(Array.from((r as HTMLElement).children, (c) => c.textContent).join(' '))), undefined, { timeout: 10_000 });
      const artifacts = join(root, 'dist', 'test-artifacts');
      mkdirSync(artifacts, { recursive: true });
      const shot = join(artifacts, 'status-page.png');
      await page.screenshot({ path: shot, fullPage: true });
      process.stdout.write(`# status page screenshot: ${shot}\n`);
      if (process.env['NETMON_UPDATE_SCREENSHOT'] === '1') copyFileSync(shot, join(root, 'docs', 'status-page.png'));

      await page.fill('#flow-filter', 'udp');
      await page.click('#flow-form button');
      await page.waitForFunction(() => {
        const rows = [...document.querySelectorAll('#flows tbody tr')].map((r) => Array.from((r as HTMLElement).children, (c) => c.textContent).join(' '));
        return rows.length > 0 && rows.every((r) => /\budp\b/.test(r));
      }, undefined, { timeout: 10_000 });
      assert.equal((await rowText('#flows')).length, 20, 'the 20 DNS flows');
      await page.fill('#flow-filter', 'tcp[13] & 2 != 0');
      await page.click('#flow-form button');
      await page.waitForFunction(() => (document.getElementById('flow-error')?.textContent ?? '') !== '', undefined, { timeout: 10_000 });
      assert.match(await page.textContent('#flow-error') ?? '', /transport header byte 13/);
      assert.deepEqual(errors, []);
    } finally {
      replay.kill();
    }
  });
});

describe('the status page through TLS and basic auth', { skip: (existsSync(CHROMIUM) ? undefined : 'chromium is not installed') ?? tlsToolsMissing(), timeout: 60_000 }, () => {
  it('loads and updates with the password, and is refused without it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmt-page-tls-'));
    let netmon: ReturnType<typeof startNetmon> | undefined;
    let ctx: Playwright.BrowserContext | undefined;
    try {
      const ca = makeCa(dir);
      const srv = makeCert(dir, ca, 'srv');
      writeFileSync(join(dir, 'web.yml'), `tls_server_config:\n  cert_file: ${srv.cert}\n  key_file: ${srv.key}\nbasic_auth_users:\n  ${htpasswd('viewer', 'pw').replace(':', ': ')}\n`);
      const frames = Array.from({ length: 5 }, (_, i) => ethIpv4Udp({ src: '198.18.9.1', dst: '198.18.9.2', sport: 7000 + i, dport: 53 }, Buffer.alloc(10)));
      writePcap(join(dir, 'x.pcap'), frames.map((data, i) => ({ data, ts: 1_700_000_000 + i })), { linkType: LINKTYPE_ETHERNET });
      const port = await freePort();
      netmon = startNetmon(['replay', join(dir, 'x.pcap'), '--serve', '--listen', `127.0.0.1:${port}`, '--web.config.file', join(dir, 'web.yml'), '--log-level', 'warn']);
      const { chromium } = require('playwright-core') as typeof Playwright;
      const launch = (creds?: { username: string; password: string }) => chromium.launchPersistentContext(join(dir, `profile-${creds === undefined ? 'anon' : 'user'}`), {
        executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, ignoreHTTPSErrors: true, ...(creds !== undefined ? { httpCredentials: creds } : {}),
      });
      ctx = await launch({ username: 'viewer', password: 'pw' });
      const page = await ctx.newPage();
      const end = Date.now() + 20_000;
      for (;;) {
        const r = await page.goto(`https://127.0.0.1:${port}/`).catch(() => null);
        if (r?.status() === 200) break;
        if (Date.now() > end || netmon.exitCode !== null) assert.fail(`page not served: ${netmon.output.stderr}`);
        await sleep(200);
      }
      await page.waitForSelector('#live.on', { timeout: 10_000 });
      await page.waitForFunction(() => document.querySelectorAll('#flows tbody tr').length === 5, undefined, { timeout: 10_000 });
      await ctx.close();
      ctx = await launch();
      // A browser without the password is challenged (Chromium shows no page), an API call gets 401.
      const anon = await ctx.newPage();
      await assert.rejects(anon.goto(`https://127.0.0.1:${port}/`), /ERR_INVALID_AUTH_CREDENTIALS/);
      assert.equal((await ctx.request.get(`https://127.0.0.1:${port}/api/v1/status`)).status(), 401);
    } finally {
      await ctx?.close();
      if (netmon !== undefined && netmon.exitCode === null) {
        netmon.kill('SIGTERM');
        await once(netmon, 'exit');
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
