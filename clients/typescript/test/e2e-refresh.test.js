// Token refresh in headless Chromium against a real `wsr serve --jwt-secret`: the first token
// expires a second after the connection opens, so the server sends `refresh_request` at once
// and, without an accepted `refresh`, would close the connection with 4007 at expiry + its
// 10 s grace. The client must answer with a fresh token from its `token` function and keep the
// same connection past that deadline.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { chromium } from 'playwright-core';
import { startServer } from './harness.js';
import { serveStatic } from './static.js';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SECRET = 'e2e-refresh-secret';
// The server's defaults (`ServerConfig::refresh_grace`, the JWT leeway), in milliseconds.
const REFRESH_GRACE_MS = 10_000;
const LEEWAY_MS = 5_000;
let server, site, browser, page;

const b64url = (text) => Buffer.from(text).toString('base64url');

/** An HS256 JWT for `sub` that expires `ttlMs` from now (rounded up to a whole second). */
function jwt(sub, ttlMs) {
  const exp = Math.ceil((Date.now() + ttlMs) / 1000);
  const body = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify({ sub, exp }))}`;
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
}

before(async () => {
  server = await startServer(['--jwt-secret', SECRET]);
  site = await serveStatic();
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ARGS });
  page = await (await browser.newContext()).newPage();
  page.on('pageerror', (e) => console.log('# page error:', e.message));
  await page.goto(site.url + '/');
  await page.evaluate(async () => { window.lib = await import('/dist/index.js'); });
});
after(async () => { await browser?.close(); await site?.close(); await server?.stop(); });

test('chromium: a token refresh keeps the connection past the first token\'s expiry', async () => {
  const issued = [];
  // The first token lives 1 s; every later one an hour.
  await page.exposeFunction('nextToken', () => {
    const token = jwt('alice', issued.length === 0 ? 1_000 : 3_600_000);
    issued.push(Date.now());
    return token;
  });
  await page.evaluate(async (url) => {
    window.got = [];
    window.c = new window.lib.ReliableClient(url, { token: () => window.nextToken(), backoffInitialMs: 20, backoffMaxMs: 200 });
    window.c.on('message', (m) => window.got.push(m.text));
    await window.c.send('before');
  }, server.url);
  const connectedAt = issued[0];
  for (let i = 0; i < 500 && issued.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(issued.length >= 2, `the client answered refresh_request with a new token (tokens issued: ${issued.length})`);
  // Past expiry + grace (+ the leeway, in case the server counts from there) on the same connection.
  const deadline = connectedAt + 1_000 + REFRESH_GRACE_MS + LEEWAY_MS + 1_000;
  await new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())));
  const result = await page.evaluate(async () => {
    await window.c.send('after');
    for (let i = 0; i < 1000 && window.got.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    const stats = { ...window.c.stats, state: window.c.state };
    await window.c.close();
    return { got: window.got, stats };
  });
  assert.deepEqual(result.got, ['before', 'after']);
  assert.equal(result.stats.reconnects, 0, 'no reconnect: the refreshed connection was never closed');
  assert.equal(result.stats.state, 'open');
  console.log(`# chromium refresh: tokens issued ${issued.length}, connection kept ${Date.now() - connectedAt} ms past a token of 1 s, reconnects 0`);
});
