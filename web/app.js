// The status page: polls /api/v1/status every second and /api/v1/flows every two, and draws the
// capture health, per-interface throughput (uPlot), named filters and the top flows. Rates are the
// differences between two polls. Everything comes from netmon's own API (relative URLs, so the
// page also works behind a path prefix and with basic auth: the browser resends the credentials).
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './app.css';

const STATUS_MS = 1000;
const FLOWS_MS = 2000;
/** Points kept per series: ten minutes at one a second. */
const HISTORY = 600;
const PROTO = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6', 132: 'sctp' };

const $ = (id) => document.getElementById(id);
const state = { prev: null, times: [], series: new Map(), chart: null, chartKeys: '', flowPrev: new Map(), flowFilter: '', flowSort: 'bytes' };
window.__netmon = state; // read by the browser test

function si(n, unit) {
  if (!Number.isFinite(n)) return '-';
  const units = ['', 'k', 'M', 'G', 'T'];
  let i = 0;
  while (Math.abs(n) >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${n.toFixed(i === 0 || n >= 100 ? 0 : 1)}${units[i]}${unit}`;
}
const count = (n) => n.toLocaleString('en-US');
const text = (s) => document.createTextNode(String(s));

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    if (typeof c === 'object' && c !== null) {
      if (c.cls) td.className = c.cls;
      td.appendChild(text(c.v));
    } else {
      td.appendChild(text(c));
    }
    tr.appendChild(td);
  }
  return tr;
}

function fill(tbody, rows, empty) {
  tbody.replaceChildren(...(rows.length > 0 ? rows : [row([{ v: empty, cls: 'small' }])]));
}

async function getJson(url) {
  const r = await fetch(url, { cache: 'no-store' });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw Object.assign(new Error(body.error ?? `${r.status} ${r.statusText}`), { status: r.status });
  return body;
}

function setLive(on, why) {
  const el = $('live');
  el.className = `live ${on ? 'on' : 'off'}`;
  el.textContent = on ? 'live' : why;
}

function rate(now, prev, key, dt) {
  if (prev === null || prev[key] === undefined || dt <= 0) return NaN;
  return Math.max(0, (now - prev[key]) / dt);
}

function drawChart(keys) {
  const el = $('chart');
  const sig = keys.join('\u0000');
  if (state.chart !== null && state.chartKeys === sig) return;
  state.chart?.destroy();
  state.chartKeys = sig;
  const colors = ['#1a73e8', '#e8710a', '#188038', '#d01884', '#9334e6', '#12b5cb'];
  state.chart = new uPlot(
    {
      width: Math.max(300, el.clientWidth - 2),
      height: 260,
      scales: { x: { time: true } },
      axes: [{}, { values: (_u, v) => v.map((x) => si(x, 'b/s')), size: 70 }],
      series: [{}, ...keys.map((k, i) => ({ label: `${k} bits/s`, stroke: colors[i % colors.length], width: 2, value: (_u, v) => si(v, 'b/s') }))],
    },
    [state.times, ...keys.map((k) => state.series.get(k))],
    el,
  );
}

function updateStatus(s) {
  const prev = state.prev;
  const dt = prev === null ? 0 : s.time - prev.time;
  const prevIf = new Map((prev?.interfaces ?? []).map((i) => [i.name, i]));
  const caps = new Map(s.captures.map((c) => [c.name, c]));
  const rows = [];
  state.times.push(s.time);
  if (state.times.length > HISTORY) state.times.shift();
  for (const i of s.interfaces) {
    const p = prevIf.get(i.name) ?? null;
    const pps = rate(i.packets, p, 'packets', dt);
    const bps = rate(i.bytes, p, 'bytes', dt) * 8;
    const c = caps.get(i.name);
    let hist = state.series.get(i.name);
    if (hist === undefined) {
      hist = state.times.slice(0, -1).map(() => null);
      state.series.set(i.name, hist);
    }
    hist.push(Number.isFinite(bps) ? bps : null);
    if (hist.length > HISTORY) hist.shift();
    rows.push(row([
      i.name,
      c === undefined ? { v: 'replay', cls: 'small' } : { v: c.up ? 'up' : 'down', cls: c.up ? 'up' : 'down' },
      { v: count(i.packets), cls: 'num' }, { v: si(i.bytes, 'B'), cls: 'num' },
      { v: si(pps, ''), cls: 'num' }, { v: si(bps, 'b/s'), cls: 'num' },
      { v: c === undefined ? '-' : count(c.droppedKernel), cls: 'num' }, { v: c === undefined ? '-' : count(c.droppedInterface), cls: 'num' },
    ]));
  }
  for (const [name, hist] of state.series) {
    if (!s.interfaces.some((i) => i.name === name)) { hist.push(null); if (hist.length > HISTORY) hist.shift(); }
  }
  fill($('captures').tBodies[0], rows, 'no interface yet');
  $('totals').textContent = `${count(s.activeFlows)} active flows · ${count(s.decodeErrors)} malformed frames · ${count(s.flowRecordsDropped)} flow records dropped · stream clients: ${s.streams.flows.clients} flows, ${s.streams.packets.clients} packets${s.streams.packets.enabled ? '' : ' (off)'}`;
  const prevF = new Map((prev?.filters ?? []).map((f) => [f.name, f]));
  fill($('filters').tBodies[0], s.filters.map((f) => {
    const p = prevF.get(f.name) ?? null;
    return row([f.name, { v: count(f.packets), cls: 'num' }, { v: si(f.bytes, 'B'), cls: 'num' }, { v: si(rate(f.packets, p, 'packets', dt), ''), cls: 'num' }, { v: si(rate(f.bytes, p, 'bytes', dt) * 8, 'b/s'), cls: 'num' }]);
  }), 'no named filters configured (config key filters)');
  state.prev = s;
  drawChart([...state.series.keys()]);
  state.chart.setData([state.times, ...[...state.series.keys()].map((k) => state.series.get(k))]);
}

const endpoint = (ip, port, proto) => (proto === 6 || proto === 17 || proto === 132 ? (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`) : ip);

function updateFlows(r) {
  const seen = new Map();
  const rows = r.flows.map((f) => {
    const key = `${f.src_ip} ${f.dst_ip} ${f.proto} ${f.src_port} ${f.dst_port}`;
    const p = state.flowPrev.get(key);
    const dt = p === undefined ? 0 : r.time - p.time;
    const bps = p !== undefined && dt > 0 && f.bytes >= p.bytes ? ((f.bytes - p.bytes) * 8) / dt : NaN;
    seen.set(key, { bytes: f.bytes, time: r.time });
    return row([
      { v: endpoint(f.src_ip, f.src_port, f.proto), cls: 'mono' }, { v: endpoint(f.dst_ip, f.dst_port, f.proto), cls: 'mono' },
      PROTO[f.proto] ?? f.proto, { v: count(f.packets), cls: 'num' }, { v: si(f.bytes, 'B'), cls: 'num' },
      { v: si(bps, 'b/s'), cls: 'num' }, { v: `${Math.max(0, r.packet_time - f.first_seen).toFixed(0)} s`, cls: 'num' },
    ]);
  });
  state.flowPrev = seen;
  fill($('flows').tBodies[0], rows, state.flowFilter === '' ? 'no active flows' : 'no active flow matches the filter');
  $('flow-count').textContent = `${r.flows.length} of ${count(r.matched)} matching flows (${count(r.active_flows)} active)`;
}

async function pollStatus() {
  try {
    updateStatus(await getJson('api/v1/status'));
    setLive(true);
  } catch (e) {
    setLive(false, e.status === 401 ? 'unauthorized' : 'reconnecting');
  }
  setTimeout(pollStatus, STATUS_MS);
}

async function pollFlows() {
  const q = new URLSearchParams({ limit: '25', sort: state.flowSort });
  if (state.flowFilter !== '') q.set('filter', state.flowFilter);
  try {
    updateFlows(await getJson(`api/v1/flows?${q}`));
    $('flow-error').textContent = '';
  } catch (e) {
    if (e.status === 400) $('flow-error').textContent = e.message;
  }
  clearTimeout(state.flowTimer);
  state.flowTimer = setTimeout(pollFlows, FLOWS_MS);
}

$('flow-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  state.flowFilter = $('flow-filter').value.trim();
  state.flowSort = $('flow-sort').value;
  state.flowPrev = new Map();
  void pollFlows();
});
window.addEventListener('resize', () => state.chart?.setSize({ width: Math.max(300, $('chart').clientWidth - 2), height: 260 }));

void pollStatus();
void pollFlows();
