// Browser test of the Topics view against `mdsp up --kafka` on the suite's
// real 3-node Kafka cluster (ctest's kafka_cluster fixture; its folder is
// MDSP_KAFKA_CLUSTER): a replay of a small CSV with one bad line into a topic
// prefix of this test's own, then Debian's chromium, headless through
// playwright-core, opens /#topics and must show the view reading Kafka, the
// ticks' partitions with leader, replicas and ISR, a message decoded with its
// schema, the process group's lag and the dead letter's reason. Keeps a
// screenshot.
import { randomBytes } from 'node:crypto';
import { rmSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { check, startMdsp, testDir, until } from './harness.mjs';

const bin = process.env.MDSP_BIN;
const clusterDir = process.env.MDSP_KAFKA_CLUSTER;
if (!bin || !clusterDir) {
  console.error('MDSP_BIN must name the built mdsp binary and MDSP_KAFKA_CLUSTER the running Kafka cluster\'s ' +
    'folder: run this through ctest, whose kafka_cluster fixture starts one');
  process.exit(2);
}
// Only the nodes' plaintext ports are read from the cluster's state.
const bootstrap = JSON.parse(readFileSync(path.join(clusterDir, 'cluster.json'), 'utf8')).nodes
  .map((n) => `127.0.0.1:${n.port}`).join(',');
const dir = testDir('mdsp-topics-kafka-');
const screenshot = process.env.MDSP_SCREENSHOT || path.join(dir, 'topics-kafka.png');
const prefix = `browser-${randomBytes(4).toString('hex')}.`;
const ticksTopic = `${prefix}market.ticks`;
const group = `${prefix}process`;


// 60 trades of two symbols, one line whose price is not a number.
const lines = ['time,symbol,price,size'];
for (let i = 0; i < 60; i++) {
  const t = new Date(Date.UTC(2024, 0, 2, 10, 0, 0) + i * 1000).toISOString();
  lines.push(`${t},${i % 2 ? 'AAPL' : 'MSFT'},${(190 + i / 10).toFixed(2)},${1 + (i % 7)}`);
  if (i === 30) lines.push(`${t},AAPL,twelve,3`);
}
const csv = path.join(dir, 'trades.csv');
writeFileSync(csv, lines.join('\n') + '\n');

const { proc: mdsp, port, log } = await startMdsp(bin, ['up', '--kafka', bootstrap, '--set', `kafka.topic_prefix=${prefix}`, '--set',
  `kafka.group=${group}`, '--set', 'kafka.partitions=2', '-d', path.join(dir, 'data'), '--http', '127.0.0.1:0',
  '--source', `replay:${csv}`]);
const base = `http://127.0.0.1:${port}`;
const api = async (p) => (await fetch(`${base}${p}`)).json();

let browser;
let failed = false;
try {
  await until(async () => {
    const t = (await api('/api/v1/topics')).topics.find((x) => x.name === ticksTopic);
    const g = (await api('/api/v1/groups')).groups.find((x) => x.id === group);
    return t && t.messages === 60 && g && g.offsets.some((o) => o.committed !== null);
  }, 'the replay in Kafka and the process group\'s first commit', 120000, 200);
  await until(async () => (await api('/api/v1/deadletters')).letters.length === 1, 'the dead letter', 120000, 200);

  browser = await chromium.launchPersistentContext(path.join(dir, 'chromium-profile'), {
    executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1440, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const limits = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname.endsWith('/messages')) limits.push(Number(u.searchParams.get('limit')));
  });
  await page.goto(`${base}/#topics`);

  // Other tests' topics share the cluster: open this test's own.
  await page.waitForSelector(`#topics-body tr[data-topic="${ticksTopic}"]`, { timeout: 30000 });
  check((await page.textContent('#topics-source')) === 'kafka', 'the view says it reads Kafka');
  await page.click(`#topics-body tr[data-topic="${ticksTopic}"]`);
  await page.waitForFunction((n) => document.querySelector('#topics-body tr.selected')?.dataset.topic === n,
    ticksTopic, { timeout: 10000 });
  // The partitions come with the topic's own request, after the selection.
  await page.waitForFunction(() => document.querySelectorAll('#partitions-body tr').length === 2, null,
    { timeout: 10000 }).catch(() => {});
  const parts = await page.$$eval('#partitions-body tr', (rs) => rs.map((r) => [...r.children].map((c) => c.textContent)));
  const apiParts = (await api(`/api/v1/topics/${encodeURIComponent(ticksTopic)}`)).partitions;
  check(parts.length === 2 && parts.every((row, i) => row[4] === String(apiParts[i].leader)
    && row[5] === apiParts[i].replicas.join(',') && row[6] === apiParts[i].isr.join(',') && row[5] !== ''),
  `partitions shown with leader, replicas and ISR: ${JSON.stringify(parts)}`);

  await page.waitForSelector('#messages-body td.decoded', { timeout: 30000 });
  const decoded = await page.textContent('#messages-body tr:last-child td.decoded');
  const v = JSON.parse(decoded);
  check(['AAPL', 'MSFT'].includes(v.symbol) && typeof v.price === 'number' && v.source.startsWith('replay'),
    `a message read from Kafka, decoded with its schema: ${decoded.slice(0, 80)}`);

  const lag = await page.textContent(`#groups-body tr[data-group="${group}"] td.lag`);
  const apiLag = (await api('/api/v1/groups')).groups.find((g) => g.id === group).lag;
  check(lag === String(apiLag), `the process group's lag is shown (${lag})`);

  await page.waitForSelector('#letters-body td.reason', { timeout: 30000 });
  const reason = await page.textContent('#letters-body td.reason');
  const letter = (await api('/api/v1/deadletters')).letters[0];
  check(reason === letter.reason && /twelve|price/i.test(reason), `the dead letter's reason is shown: ${reason}`);
  check(limits.length > 0 && limits.every((l) => l > 0 && l <= 100), `each page asked for at most 100: ${limits.join(',')}`);

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
