// The mdsp dashboard: one candle series at a time (symbol and interval
// pickers), live over /api/v1/stream, the latest prices of every symbol and
// the pipeline's health.
import { CandleChart } from './chart.js';
import { LiveStream } from './stream.js';
import { LatestTable, HealthPanel } from './panels.js';
import { TopicsView } from './topics.js';
import { QualityPanel } from './quality.js';

const INTERVALS = [
  ['1s', 1], ['1m', 60], ['5m', 300], ['1h', 3600], ['1d', 86400],
];

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const state = {
  symbol: params.get('symbol') || localStorage.getItem('mdsp.symbol') || null,
  interval: params.get('interval') || localStorage.getItem('mdsp.interval') || '1m',
  loadSeq: 0,
  loads: 0,
};

const chart = new CandleChart($('chart'), $('legend'));
const table = new LatestTable($('latest-body'), $('filter'), $('symbol-count'), (s) => pick(s, state.interval));
const health = new HealthPanel($('health'));
const quality = new QualityPanel($('quality'));

function intervalSeconds(name) {
  const e = INTERVALS.find(([n]) => n === name);
  return e ? e[1] : 60;
}

function setStatus(s, reason) {
  const el = $('status');
  el.className = `status ${s}`;
  el.textContent = s === 'live' ? 'live' : s === 'connecting' ? 'connecting…' : 'reconnecting…';
  el.title = reason || '';
}

async function loadCandles() {
  if (!state.symbol) return;
  const seq = ++state.loadSeq;
  const q = `symbol=${encodeURIComponent(state.symbol)}&interval=${state.interval}&limit=1000`;
  $('chart-title').textContent = `${state.symbol} · ${state.interval}`;
  try {
    const r = await fetch(`/api/v1/candles?${q}`);
    const j = await r.json();
    if (seq !== state.loadSeq) return; // a newer pick won
    if (!r.ok) throw new Error(j.message || `HTTP ${r.status}`);
    chart.setCandles(j.candles);
    state.loads += 1;
    $('chart-error').textContent = '';
  } catch (e) {
    if (seq === state.loadSeq) $('chart-error').textContent = `cannot load candles: ${e.message}`;
  }
}

function pick(symbol, interval) {
  if (!symbol) return;
  state.symbol = symbol;
  state.interval = interval;
  localStorage.setItem('mdsp.symbol', symbol);
  localStorage.setItem('mdsp.interval', interval);
  $('symbol').value = symbol;
  for (const b of document.querySelectorAll('#intervals button')) {
    b.classList.toggle('active', b.dataset.interval === interval);
  }
  table.select(symbol);
  const url = new URL(location.href);
  url.searchParams.set('symbol', symbol);
  url.searchParams.set('interval', interval);
  history.replaceState(null, '', url);
  // Subscribe first, then load: an update racing the load replaces its bar.
  stream.subscribeSeries(symbol, interval);
  loadCandles();
}

// One message of the live stream (http/live_hub.h).
function onStreamMessage(m) {
  if (m.type === 'candle') {
    if (m.symbol === state.symbol && m.interval === state.interval) chart.applyCandle(m.candle);
  } else if (m.type === 'fillers') {
    if (m.symbol === state.symbol && m.interval === state.interval) {
      chart.applyFillers(m, intervalSeconds(state.interval), 1000);
    }
  } else if (m.type === 'latest') {
    table.update(m.tick);
    addSymbol(m.tick.symbol);
    if (m.tick.symbol === state.symbol) chart.applyTick(m.tick, intervalSeconds(state.interval));
  } else if (m.type === 'error') {
    console.warn('stream:', m.message);
  }
}

const stream = new LiveStream(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/stream`, {
  onStatus: setStatus,
  onReconnect: loadCandles,
  onMessage: onStreamMessage,
});

const known = new Set();
function addSymbol(s) {
  if (known.has(s)) return;
  known.add(s);
  const opts = [...known].sort();
  const dl = $('symbols');
  dl.innerHTML = '';
  for (const o of opts) {
    const e = document.createElement('option');
    e.value = o;
    dl.appendChild(e);
  }
}

function setupPickers() {
  const box = $('intervals');
  for (const [name] of INTERVALS) {
    const b = document.createElement('button');
    b.textContent = name;
    b.dataset.interval = name;
    b.addEventListener('click', () => pick(state.symbol, name));
    box.appendChild(b);
  }
  const input = $('symbol');
  const choose = () => {
    const v = input.value.trim();
    if (!v) return;
    const exact = [...known].find((s) => s.toUpperCase() === v.toUpperCase());
    if (exact) pick(exact, state.interval);
  };
  input.addEventListener('change', choose);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') choose();
  });
  input.addEventListener('focus', () => input.select());
}

async function start() {
  setupPickers();
  stream.connect();
  stream.subscribeLatest();
  try {
    const r = await fetch('/api/v1/symbols');
    const j = await r.json();
    for (const s of j.symbols) addSymbol(s);
    if (!state.symbol || !known.has(state.symbol)) state.symbol = j.symbols[0] || null;
  } catch (e) {
    $('chart-error').textContent = `cannot list symbols: ${e.message}`;
  }
  try {
    const r = await fetch('/api/v1/latest');
    const j = await r.json();
    for (const t of j.latest) table.update(t);
  } catch (e) {
    /* the stream fills the table */
  }
  if (state.symbol) pick(state.symbol, state.interval);
  else $('chart-error').textContent = 'no symbols yet: waiting for the first ticks';
  health.refresh();
  setInterval(() => health.refresh(), 1000);
  quality.refresh();
  setInterval(() => quality.refresh(), 5000);
  setInterval(() => {
    if (!state.symbol && known.size) pick([...known].sort()[0], state.interval);
  }, 1000);
}

// Markets (the chart) or Topics, from the URL's hash so a link can open either.
const topicsView = new TopicsView($('topics-view'));
function showView() {
  const topics = location.hash === '#topics';
  $('markets-view').hidden = topics;
  $('topics-view').hidden = !topics;
  $('tab-markets').classList.toggle('active', !topics);
  $('tab-topics').classList.toggle('active', topics);
  document.body.classList.toggle('topics-mode', topics);
  if (topics) topicsView.show();
}
window.addEventListener('hashchange', showView);

// Read-only hooks for tests and the curious.
window.mdspChart = {
  candleCount: () => chart.bars.length,
  lastCandle: () => chart.bars[chart.bars.length - 1] || null,
  updates: () => chart.updates,
  loads: () => state.loads,
  symbol: () => state.symbol,
  interval: () => state.interval,
  latestRows: () => table.rows.size,
  // Hands a message to the live stream's handler, as the server would.
  receive: (m) => onStreamMessage(m),
};

start();
showView();
