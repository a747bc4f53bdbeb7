// Browser test of the Topics view against `mdsp up` on the embedded log: a
// replay of a small CSV with one bad line (so there is a dead letter), then
// Debian's chromium, headless through playwright-core, opens /#topics and
// must show the topics, a message decoded with its schema, the process
// group's lag and the dead letter's reason; paging and the page bound are
// checked in the page and against the API. Keeps a screenshot.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { check, startMdsp, testDir, until } from './harness.mjs';

const bin = process.env.MDSP_BIN;
if (!bin) {
  console.error('MDSP_BIN must name the built mdsp binary');
  process.exit(2);
}
const dir = testDir('mdsp-topics-');
const screenshot = process.env.MDSP_SCREENSHOT || path.join(dir, 'topics.png');


// 150 trades of two symbols, one line whose price is not a number.
const lines = ['time,symbol,price,size'];
for (let i = 0; i < 150; i++) {
  const t = new Date(Date.UTC(2024, 0, 2, 10, 0, 0) + i * 1000).toISOString();
  lines.push(`${t},${i % 2 ? 'AAPL' : 'MSFT'},${(190 + i / 10).toFixed(2)},${1 + (i % 7)}`);
  if (i === 70) lines.push(`${t},AAPL,twelve,3`);
}
const csv = path.join(dir, 'trades.csv');
writeFileSync(csv, lines.join('\n') + '\n');

const { proc: mdsp, port, log } = await startMdsp(bin, ['up', '-d', path.join(dir, 'data'), '--http', '127.0.0.1:0', '--source', `replay:${csv}`]);
const base = `http://127.0.0.1:${port}`;
const api = async (p) => (await fetch(`${base}${p}`)).json();

let browser;
let failed = false;
try {
  // The replay is processed: every tick is in the log and the process group has caught up.
  const ticks = await until(async () => {
    const t = (await api('/api/v1/topics')).topics.find((x) => x.name === 'market.ticks');
    const g = (await api('/api/v1/groups')).groups.find((x) => x.id === 'mdsp-process');
    return t && t.messages === 150 && g && g.offsets.every((o) => o.end_offset === 0 || o.committed === o.end_offset) ? t : null;
  }, 'the replay in market.ticks and processed');
  await until(async () => (await api('/api/v1/deadletters')).letters.length === 1, 'the dead letter');

  // The bound: however much is asked, a page is at most 100 messages; beyond it, 400 naming limit.
  const busy = ticks.partitions.find((p) => p.end_offset > 0);
  const big = await fetch(`${base}/api/v1/topics/market.ticks/messages?partition=${busy.partition}&offset=0&limit=1000`);
  check(big.status === 400 && (await big.json()).parameter === 'limit', 'limit=1000 is 400 naming limit');
  const nope = await fetch(`${base}/api/v1/topics/no.such.topic`);
  check(nope.status === 404 && (await nope.json()).topic === 'no.such.topic', 'an unknown topic is 404 naming it');

  browser = await chromium.launchPersistentContext(path.join(dir, 'chromium-profile'), {
    executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1440, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // Every request the page makes for messages, to check it never asks for more than a page.
  const limits = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname.endsWith('/messages')) limits.push(Number(u.searchParams.get('limit')));
  });
  await page.goto(`${base}/#topics`);

  await page.waitForSelector('#topics-body tr[data-topic="market.ticks"]', { timeout: 30000 });
  const names = await page.$$eval('#topics-body tr', (rs) => rs.map((r) => r.dataset.topic));
  check(['market.ticks', 'market.deadletter'].every((n) => names.includes(n)), `topics listed: ${names.join(', ')}`);
  check((await page.textContent('#topics-source')) === 'embedded', 'the view says it reads the embedded log');

  await page.waitForSelector('#messages-body td.decoded', { timeout: 30000 });
  const decoded = await page.textContent('#messages-body tr:last-child td.decoded');
  const v = JSON.parse(decoded);
  check(['AAPL', 'MSFT'].includes(v.symbol) && typeof v.price === 'number' && v.source.startsWith('replay'),
    `a message decoded with its schema: ${decoded.slice(0, 80)}`);

  const lag = await page.textContent('#groups-body tr[data-group="mdsp-process"] td.lag');
  const apiLag = (await api('/api/v1/groups')).groups.find((g) => g.id === 'mdsp-process').lag;
  check(lag === String(apiLag), `the process group's lag is shown (${lag})`);

  await page.waitForSelector('#letters-body td.reason', { timeout: 30000 });
  const reason = await page.textContent('#letters-body td.reason');
  const letter = (await api('/api/v1/deadletters')).letters[0];
  check(reason === letter.reason && /twelve|price/i.test(reason), `the dead letter's reason is shown: ${reason}`);
  // Filtering by a text that is not in it empties the table.
  await page.fill('#letter-text', 'no such words');
  await page.click('#letter-go');
  await page.waitForFunction(() => document.querySelectorAll('#letters-body tr').length === 0, null, { timeout: 10000 });
  check(true, 'a dead-letter filter that matches nothing shows none');

  // Paging: the newest page first, then older, then newer again.
  const first = await page.$$eval('#messages-body tr', (rs) => rs.map((r) => Number(r.dataset.offset)));
  await page.click('#msg-prev');
  await page.waitForFunction((o) => Number(document.querySelector('#messages-body tr').dataset.offset) < o, first[0],
    { timeout: 10000 });
  const older = await page.$$eval('#messages-body tr', (rs) => rs.map((r) => Number(r.dataset.offset)));
  check(older[older.length - 1] === first[0] - 1, `older page ends just before the newest (${older[0]}..${older[older.length - 1]})`);
  await page.click('#msg-next');
  await page.waitForFunction((o) => Number(document.querySelector('#messages-body tr').dataset.offset) === o, first[0],
    { timeout: 10000 });
  check(true, 'newer page comes back');
  // An offset typed in.
  await page.fill('#msg-offset', '3');
  await page.press('#msg-offset', 'Enter');
  await page.waitForFunction(() => document.querySelector('#messages-body tr')?.dataset.offset === '3', null,
    { timeout: 10000 });
  check(true, 'a typed offset opens the page there');
  check(limits.length > 0 && limits.every((l) => l > 0 && l <= 100), `the page asked for at most 100 messages each time: ${limits.join(',')}`);

  // Back to the newest page and every letter for the picture.
  await page.fill('#letter-text', '');
  await page.click('#letter-go');
  await page.waitForSelector('#letters-body td.reason');
  await page.fill('#msg-offset', '');
  await page.click('#msg-go');
  await page.waitForSelector('#messages-body td.decoded');
  await page.screenshot({ path: screenshot });
  console.log(`screenshot: ${screenshot}`);
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
