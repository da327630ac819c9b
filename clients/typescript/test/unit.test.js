// The client's state machine against a scripted fake WebSocket (no network).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReliableClient, ReliableError, decode, sha256Hex } from '../dist/index.js';

class FakeSocket {
  static all = [];
  constructor(url, protocols) {
    this.url = url; this.protocols = protocols; this.readyState = 0; this.sent = [];
    new.target.all.push(this);
    queueMicrotask(() => { this.readyState = 1; this.onopen?.(); });
  }
  send(text) { this.sent.push(decode(text)); }
  close(code) { if (this.readyState === 3) return; this.readyState = 3; this.onclose?.({ code }); }
  serve(frame) { this.onmessage?.({ data: JSON.stringify(frame) }); }
  drop() { this.readyState = 3; this.onclose?.({ code: 1006 }); }
}
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
let Current = FakeSocket;
const last = () => Current.all.at(-1);
const welcome = (extra = {}) => ({ welcome: { session: 's1', token: 't1', resumed: false, last_received: 0, resume_window_ms: 1000, ...extra } });

function client(options = {}) {
  Current = class extends FakeSocket { static all = []; };
  return new ReliableClient('ws://x/ws', { WebSocket: Current, backoffInitialMs: 1, heartbeatTimeoutMs: 0, ...options });
}

test('hello, welcome, send resolves on the ack; token as a subprotocol or in the query', async () => {
  const c = client({ token: 'abc' });
  await tick();
  assert.deepEqual(last().protocols, ['wsr.v1.json', 'bearer.abc']);
  assert.deepEqual(last().sent[0], { hello: {} });
  last().serve(welcome());
  const acked = c.send('hi');
  assert.deepEqual(last().sent[1], { data: { seq: 1, text: 'hi' } });
  last().serve({ ack: { up_to: 1 } });
  await acked;
  assert.equal(c.stats.acked, 1);
  const q = client({ token: 'a b', tokenCarrier: 'query' });
  await tick();
  assert.equal(last().url, 'ws://x/ws?access_token=a%20b');
  assert.deepEqual(last().protocols, ['wsr.v1.json']);
  void q;
});

test('resume: last_received sent, unacked frames after the server\'s last_received replayed, re-ack first', async () => {
  const c = client();
  const got = [];
  c.on('message', (m) => got.push(m.text));
  await tick();
  last().serve(welcome());
  c.send('a'); c.send('b'); c.send('c');
  last().serve({ data: { seq: 1, text: 'x' } });
  await tick(20);
  last().drop();
  await tick(20);
  assert.deepEqual(last().sent[0], { hello: { resume: { session: 's1', token: 't1', last_received: 1 } } });
  last().serve(welcome({ resumed: true, last_received: 1 }));
  assert.deepEqual(last().sent.slice(1), [
    { ack: { up_to: 1 } },
    { data: { seq: 2, text: 'b' } },
    { data: { seq: 3, text: 'c' } },
  ]);
  last().serve({ data: { seq: 1, text: 'x' } }); // duplicate: dropped
  last().serve({ data: { seq: 2, text: 'y' } });
  await tick(20);
  assert.deepEqual(got, ['x', 'y']);
  assert.equal(c.stats.resumed, 1);
});

test('a sequence gap is error 4004 and a reconnect; a full buffer throws at once', async () => {
  const c = client({ maxBuffered: 2 });
  await tick();
  last().serve(welcome());
  const first = last();
  first.serve({ data: { seq: 2, text: 'gap' } });
  assert.equal(first.sent.at(-1).error.code, 4004);
  assert.equal(first.readyState, 3);
  c.send('1'); c.send('2');
  assert.throws(() => c.send('3'), (e) => e instanceof ReliableError && e.reason === 'full');
});

test('session_lost rejects pending sends (handled) and ends iteration', async () => {
  const c = client();
  const lost = [];
  c.on('lost', (e) => lost.push(e.reason));
  await tick();
  last().serve(welcome());
  const pending = c.send('x');
  last().serve({ session_lost: { reason: 'expired' } });
  await assert.rejects(pending, (e) => e.reason === 'expired');
  assert.deepEqual(lost, ['expired']);
  assert.equal((await c[Symbol.asyncIterator]().next()).done, true);
  assert.throws(() => c.send('y'), (e) => e.reason === 'ended');
});

test('close handshake: fin after everything acked, closed on its ack; a stream digest is checked', async () => {
  const c = client();
  const got = [];
  c.on('message', (m) => got.push(m));
  await tick();
  last().serve(welcome());
  const parts = ['The ', 'end'].map((t) => new TextEncoder().encode(t));
  const digest = await sha256Hex(parts);
  last().serve({ data: { seq: 1, stream: { id: 's', index: 0 }, text: 'The ' } });
  last().serve({ data: { seq: 2, stream: { id: 's', index: 1, last: true, digest }, text: 'end' } });
  last().serve({ data: { seq: 3, stream: { id: 't', index: 0, last: true, digest: '00'.repeat(32) }, text: 'bad' } });
  await tick(20);
  assert.deepEqual(got.map((m) => m.stream.digestOk ?? null), [null, true, false]);
  c.send('m');
  const closing = c.close();
  last().serve({ ack: { up_to: 1 } });
  await tick();
  assert.deepEqual(last().sent.at(-1), { data: { seq: 2, fin: true, text: '' } });
  last().serve({ ack: { up_to: 2 } });
  await closing;
  assert.equal(c.state, 'closed');
});

test('refresh_request is answered with a fresh token', async () => {
  let n = 0;
  client({ token: () => `tok${++n}` });
  await tick();
  last().serve(welcome());
  last().serve({ refresh_request: { deadline_ms: 1000 } });
  await tick();
  assert.deepEqual(last().sent.at(-1), { refresh: { token: 'tok2' } });
});
