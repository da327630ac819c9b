// The client against a real `wsr serve` through a fault proxy, under Node's WebSocket.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { ReliableClient } from '../dist/index.js';
import { startServer, startProxy, waitUntil } from './harness.js';

let server, proxy;
before(async () => { server = await startServer(); proxy = await startProxy(server.port); });
after(async () => { await proxy?.close(); await server?.stop(); });

test('1,000 echoes each way across resets and stalls: 0 lost, 0 duplicated, in order', async () => {
  const client = new ReliableClient(proxy.url, { backoffInitialMs: 20, backoffMaxMs: 200, heartbeatTimeoutMs: 2_000 });
  const got = [];
  const states = [];
  client.on('message', (m) => got.push(m.text));
  client.on('state', (s) => states.push(s));
  const N = 1000;
  const acks = [];
  for (let i = 0; i < N; i++) {
    acks.push(client.send(`m${i}`));
    if (i % 100 === 50) { await waitUntil(() => client.state === 'open', 10_000, 'open'); proxy.resetAll(); }
    if (i % 250 === 125) proxy.stall(300);
    if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(acks);
  await waitUntil(() => got.length >= N, 30_000, 'echoes');
  await client.close();
  const expected = Array.from({ length: N }, (_, i) => `m${i}`);
  assert.deepEqual(got, expected);
  assert.ok(proxy.faults.resets >= 9, `resets: ${proxy.faults.resets}`);
  assert.ok(client.stats.resumed >= 1, `resumed: ${client.stats.resumed}`);
  assert.ok(states.some((s) => s.state === 'open' && s.recovered));
  assert.equal(client.state, 'closed');
  console.log(`# node e2e: ${N} each way, ${proxy.faults.resets} resets, ${proxy.faults.stalls} stalls, resumed ${client.stats.resumed}, lost 0, dup 0, reordered 0`);
});

test('a server stream resumed across cuts arrives whole with a matching digest', async () => {
  const client = new ReliableClient(proxy.url, { backoffInitialMs: 20, backoffMaxMs: 200 });
  const chunks = [];
  client.on('message', (m) => { if (m.stream) chunks.push(m); });
  await client.send('/stream 40');
  await waitUntil(() => chunks.length >= 5, 10_000, 'first chunks');
  proxy.resetAll();
  await waitUntil(() => chunks.length >= 20, 10_000, 'more chunks');
  proxy.resetAll();
  await waitUntil(() => chunks.length >= 40, 10_000, 'all chunks');
  assert.deepEqual(chunks.map((c) => c.stream.index), Array.from({ length: 40 }, (_, i) => i));
  assert.deepEqual(chunks.map((c) => c.text), Array.from({ length: 40 }, (_, i) => `token ${i} `));
  assert.equal(chunks[39].stream.last, true);
  assert.equal(chunks[39].stream.digestOk, true);
  assert.ok(client.stats.resumed >= 2);
  await client.close();
});

test('for await iterates messages and acks on consumption', async () => {
  const client = new ReliableClient(server.url);
  await client.send('one');
  await client.send('two');
  const seen = [];
  for await (const m of client) {
    seen.push(m.text);
    if (seen.length === 2) break;
  }
  assert.deepEqual(seen, ['one', 'two']);
  await client.close();
});
