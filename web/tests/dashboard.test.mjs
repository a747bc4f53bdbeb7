// Browser test of the dashboard: `mdsp up` with the simulator on an ephemeral
// port, Debian's chromium driven headless by playwright-core. Checks that the
// page loads from the binary, the chart draws candles, live updates arrive,
// and changing symbol and interval reloads the data; keeps a screenshot.
// Waits are for conditions (with generous limits), never timing asserts.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { check, startMdsp, testDir, until } from './harness.mjs';

const bin = process.env.MDSP_BIN;
if (!bin) {
  console.error('MDSP_BIN must name the built mdsp binary');
  process.exit(2);
}
const dir = testDir('mdsp-browser-');
const screenshot = process.env.MDSP_SCREENSHOT || path.join(dir, 'dashboard.png');


const symbols = ['BTC/USD', 'ETH/USD', 'AAPL', 'MSFT', 'EUR/USD', 'XAU/USD'];
const { proc: mdsp, port, log } = await startMdsp(bin, ['up', '-d', path.join(dir, 'data'), '--http', '127.0.0.1:0',
  '--set', `sim.symbols=${symbols.join(',')}`, '--set', 'sim.rate=200']);
const base = `http://127.0.0.1:${port}`;

const chromeArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
let browser;
let failed = false;
try {
  // The assets come from the binary with their types and validators.
  const index = await fetch(`${base}/`);
  check(index.status === 200 && index.headers.get('content-type').startsWith('text/html'), 'GET / is the dashboard (text/html)');
  const app = await fetch(`${base}/app.js`);
  check(app.status === 200 && app.headers.get('content-type').startsWith('text/javascript'), 'GET /app.js is JavaScript');
  const again = await fetch(`${base}/app.js`, { headers: { 'If-None-Match': app.headers.get('etag') } });
  check(again.status === 304, 'a matching If-None-Match gets 304');

  await until(async () => (await (await fetch(`${base}/api/v1/symbols`)).json()).symbols.length === symbols.length,
    'the simulator\'s symbols in the store');

  // A fresh profile (--user-data-dir) in the test's own folder.
  browser = await chromium.launchPersistentContext(path.join(dir, 'chromium-profile'), {
    executablePath: '/usr/bin/chromium', args: chromeArgs, headless: true, viewport: { width: 1440, height: 860 },
  });
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}/?symbol=BTC%2FUSD&interval=1m`);

  await page.waitForFunction(() => window.mdspChart && window.mdspChart.candleCount() > 0, null, { timeout: 60000 });
  check(true, 'the chart draws candles');
  await page.waitForFunction(() => document.getElementById('status').classList.contains('live'), null, { timeout: 30000 });
  check(true, 'the WebSocket is live');
  const u0 = await page.evaluate(() => window.mdspChart.updates());
  await page.waitForFunction((u) => window.mdspChart.updates() > u, u0, { timeout: 30000 });
  check(true, 'a live update moved the chart');
  await page.waitForFunction((n) => window.mdspChart.latestRows() >= n, symbols.length, { timeout: 30000 });
  check(true, 'the latest-prices table lists every symbol');

  // Another symbol from the searchable picker.
  let loads = await page.evaluate(() => window.mdspChart.loads());
  await page.fill('#symbol', 'aapl');
  await page.press('#symbol', 'Enter');
  await page.waitForFunction((l) => window.mdspChart.symbol() === 'AAPL' && window.mdspChart.loads() > l
    && window.mdspChart.candleCount() > 0, loads, { timeout: 30000 });
  const apiLast = (await (await fetch(`${base}/api/v1/candles?symbol=AAPL&interval=1m&limit=1`)).json()).candles[0];
  const chartLast = await page.evaluate(() => window.mdspChart.lastCandle());
  check(chartLast.time >= apiLast.time - 60, 'changing the symbol reloads AAPL\'s candles');

  // Another interval.
  loads = await page.evaluate(() => window.mdspChart.loads());
  await page.click('#intervals button[data-interval="1s"]');
  await page.waitForFunction((l) => window.mdspChart.interval() === '1s' && window.mdspChart.loads() > l
    && window.mdspChart.candleCount() > 0, loads, { timeout: 30000 });
  check(new URL(page.url()).searchParams.get('interval') === '1s', 'changing the interval reloads 1s candles');

  // A row click picks its symbol too.
  loads = await page.evaluate(() => window.mdspChart.loads());
  await page.click('#latest-body tr:has-text("ETH/USD")');
  await page.waitForFunction((l) => window.mdspChart.symbol() === 'ETH/USD' && window.mdspChart.loads() > l,
    loads, { timeout: 30000 });
  check(true, 'clicking a row of the table picks its symbol');

  await page.waitForFunction(() => !/—/.test(document.querySelector('[data-k=process]').textContent)
    && !/—/.test(document.querySelector('[data-k=p99]').textContent), null, { timeout: 30000 });
  check(true, 'the pipeline-health panel shows rates and latency');
  await page.waitForFunction(() => document.querySelectorAll('#quality tr[data-check]').length >= 8,
    null, { timeout: 30000 });
  check(true, 'the data-quality panel lists its checks');

  // Enough 1s candles for a picture worth looking at.
  await page.waitForFunction(() => window.mdspChart.candleCount() >= 40, null, { timeout: 120000 });
  await page.screenshot({ path: screenshot });
  console.log(`screenshot: ${screenshot}`);

  // A run of fillers (one message for a gap of any length) draws a bar per
  // window at the previous close, the newest 1,000 of a longer run only.
  const fill = await page.evaluate(() => {
    const c = window.mdspChart;
    const last = c.lastCandle();
    const before = c.candleCount();
    c.receive({ type: 'fillers', symbol: c.symbol(), interval: c.interval(), time: last.time + 100000,
      count: 5000, close: 12.5, final: true, revision: 0 });
    const got = c.lastCandle();
    return { added: c.candleCount() - before, time: got.time - last.time, close: got.close, volume: got.volume };
  });
  check(fill.added === 1000 && fill.time === 100000 + 4999 && fill.close === 12.5 && fill.volume === 0,
    `a fillers message draws its newest 1,000 windows at the previous close: ${JSON.stringify(fill)}`);

  check(errors.length === 0, `no errors in the page${errors.length ? ': ' + errors.join('; ') : ''}`);
} catch (e) {
  failed = true;
  console.error(e.message);
  console.error(`mdsp log:\n${log().split('\n').slice(-30).join('\n')}`);
} finally {
  if (browser) await browser.close();
  mdsp.kill('SIGINT');
  await new Promise((r) => (mdsp.exitCode !== null ? r() : mdsp.on('exit', r)));
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
