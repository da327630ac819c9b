// The client in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
// against a real `wsr serve` through the fault proxy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startServer, startProxy } from './harness.js';
import { serveStatic } from './static.js';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
let server, proxy, site, browser, context, page;

before(async () => {
  server = await startServer();
  proxy = await startProxy(server.port);
  site = await serveStatic();
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ARGS });
  context = await browser.newContext();
  page = await context.newPage();
  page.on('pageerror', (e) => console.log('# page error:', e.message));
  await page.goto(site.url + '/');
  await page.evaluate(async () => { window.lib = await import('/dist/index.js'); });
});
after(async () => { await browser?.close(); await site?.close(); await proxy?.close(); await server?.stop(); });

const stats = () => page.evaluate(() => ({ ...window.c.stats, state: window.c.state, got: window.got.length }));

test('chromium: 1,000 messages each way across resets and stalls, 0 lost/dup/reordered', async () => {
  await page.evaluate((url) => {
    window.got = [];
    window.c = new window.lib.ReliableClient(url, { backoffInitialMs: 20, backoffMaxMs: 200, heartbeatTimeoutMs: 2000 });
    window.c.on('message', (m) => window.got.push(m.text));
    window.acks = [];
  }, proxy.url);
  const N = 1000;
  for (let batch = 0; batch < 10; batch++) {
    await page.evaluate(([from, n]) => {
      for (let i = from; i < from + n; i++) window.acks.push(window.c.send(`m${i}`));
    }, [batch * 100, 100]);
    if (batch % 3 === 1) proxy.stall(300);
    await new Promise((r) => setTimeout(r, 30));
    let open = false;
    while (!open) { open = (await stats()).state === 'open'; if (!open) await new Promise((r) => setTimeout(r, 10)); }
    proxy.resetAll();
  }
  await page.evaluate(() => Promise.all(window.acks));
  let s = await stats();
  while (s.got < N) { await new Promise((r) => setTimeout(r, 20)); s = await stats(); }
  const got = await page.evaluate(async () => { await window.c.close(); return window.got; });
  assert.deepEqual(got, Array.from({ length: N }, (_, i) => `m${i}`));
  s = await stats();
  assert.equal(s.state, 'closed');
  assert.ok(proxy.faults.resets >= 9, `resets ${proxy.faults.resets}`);
  assert.ok(s.resumed >= 9, `resumed ${s.resumed}`);
  console.log(`# chromium e2e: ${N} messages each way, ${proxy.faults.resets} resets, ${proxy.faults.stalls} stalls, resumed ${s.resumed}; lost 0, duplicated 0, reordered 0`);
});

test('chromium: a stream resumed across cuts, digest checked', async () => {
  await page.evaluate((url) => {
    window.got = [];
    window.c = new window.lib.ReliableClient(url, { backoffInitialMs: 20, backoffMaxMs: 200, heartbeatTimeoutMs: 2000 });
    window.c.on('message', (m) => { if (m.stream) window.got.push(m); });
    window.c.send('/stream 40');
  }, proxy.url);
  for (const want of [5, 20]) {
    let s = await stats();
    while (s.got < want) { await new Promise((r) => setTimeout(r, 20)); s = await stats(); }
    proxy.resetAll();
  }
  let s = await stats();
  while (s.got < 40) { await new Promise((r) => setTimeout(r, 20)); s = await stats(); }
  const chunks = await page.evaluate(() => window.got.map((m) => [m.stream.index, m.text, m.stream.digestOk ?? null]));
  assert.deepEqual(chunks.map((c) => c[0]), Array.from({ length: 40 }, (_, i) => i));
  assert.equal(chunks[39][2], true);
  assert.ok(s.resumed >= 2, `resumed ${s.resumed}`);
  await page.evaluate(() => window.c.close());
});

test('chromium: resumes after the tab was offline longer than the heartbeat timeout', async () => {
  await page.evaluate((url) => {
    window.got = [];
    window.c = new window.lib.ReliableClient(url, { backoffInitialMs: 20, backoffMaxMs: 200, heartbeatTimeoutMs: 1000 });
    window.c.on('message', (m) => window.got.push(m.text));
    return window.c.send('before');
  }, proxy.url);
  await context.setOffline(true);
  await page.evaluate(() => { window.pending = window.c.send('during'); });
  await new Promise((r) => setTimeout(r, 2500));
  await context.setOffline(false);
  await page.evaluate(() => window.pending);
  let s = await stats();
  while (s.got < 2) { await new Promise((r) => setTimeout(r, 20)); s = await stats(); }
  assert.deepEqual(await page.evaluate(() => window.got), ['before', 'during']);
  assert.ok(s.resumed >= 1, `resumed ${s.resumed}`);
  await page.evaluate(() => window.c.close());
});

test('chromium: the demo page served by wsr at / shows the guarantee (counters, not pixels)', async () => {
  const demo = await context.newPage();
  await demo.goto(server.http + '/');
  const text = (id) => demo.textContent(`#${id}`);
  const until = async (pred, what) => {
    for (let i = 0; i < 1000 && !(await pred()); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(await pred(), what);
  };
  await until(async () => (await text('state')) === 'open', 'demo connected');
  await demo.fill('#chat-input', 'hello from the demo');
  await demo.click('#chat-form button');
  await until(async () => (await text('chat-log')).includes('hello from the demo'), 'chat echo');
  await demo.click('#stream-start');
  await until(async () => (await text('stream-status')).startsWith('chunk 2'), 'stream started');
  await demo.click('#cut');
  await until(async () => Number(await text('resumed')) >= 1 && (await text('state')) === 'open', 'resumed');
  await until(async () => (await text('stream-status')) === 'complete, digest OK', 'stream complete');
  await until(async () => (await text('sent')) === (await text('acked')), 'all acked');
  assert.ok(Number(await text('delivered')) >= 201, `delivered ${await text('delivered')}`);
  await demo.screenshot({ path: 'test-results/demo.png', fullPage: true });
  console.log(`# demo: sent ${await text('sent')}, acked ${await text('acked')}, delivered ${await text('delivered')}, resumed ${await text('resumed')}, rtt ${await text('rtt')} ms; screenshot test-results/demo.png`);
  await demo.close();
});
