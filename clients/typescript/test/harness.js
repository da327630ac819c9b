// Test harness: a real `wsr serve` (WSR_BIN, default ../../target/debug/wsr) and a TCP fault
// proxy in front of it (reset every connection, stall for N ms), both on 127.0.0.1, port 0.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
export const WSR_BIN = process.env.WSR_BIN ?? path.resolve(here, '../../../target/debug/wsr');

/** Starts `wsr serve` on a free port; resolves to { url, port, stop }. */
export function startServer(args = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(WSR_BIN, ['serve', '--addr', '127.0.0.1:0', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, RUST_LOG: 'info', NO_COLOR: '1' },
    });
    let log = '';
    const timer = setTimeout(() => reject(new Error(`wsr serve printed no address:\n${log}`)), 20_000);
    child.on('error', reject);
    child.stderr.on('data', (chunk) => {
      log += chunk;
      const m = /ws:\/\/127\.0\.0\.1:(\d+)\/ws/.exec(log);
      if (m && timer) {
        clearTimeout(timer);
        const port = Number(m[1]);
        resolve({ port, url: `ws://127.0.0.1:${port}/ws`, http: `http://127.0.0.1:${port}`, stop: () => stop(child), log: () => log });
      }
    });
  });
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGKILL');
  });
}

/** A TCP proxy to 127.0.0.1:`target` with faults the test drives. */
export async function startProxy(target) {
  const pairs = new Set();
  let stalledUntil = 0;
  const faults = { resets: 0, stalls: 0 };
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    const pair = { client, upstream };
    pairs.add(pair);
    const pipe = (from, to) => from.on('data', (chunk) => {
      const wait = stalledUntil - Date.now();
      if (wait > 0) {
        from.pause();
        setTimeout(() => { to.write(chunk); from.resume(); }, wait);
      } else to.write(chunk);
    });
    pipe(client, upstream);
    pipe(upstream, client);
    const drop = () => { pairs.delete(pair); client.destroy(); upstream.destroy(); };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  return {
    port,
    url: `ws://127.0.0.1:${port}/ws`,
    faults,
    connections: () => pairs.size,
    /** TCP-resets every connection through the proxy. */
    resetAll() {
      if (pairs.size > 0) faults.resets++;
      for (const { client, upstream } of pairs) { client.resetAndDestroy(); upstream.resetAndDestroy(); }
      pairs.clear();
    },
    /** Holds every byte in both directions for `ms`. */
    stall(ms) { faults.stalls++; stalledUntil = Date.now() + ms; },
    close() { for (const { client, upstream } of pairs) { client.destroy(); upstream.destroy(); } return new Promise((r) => server.close(r)); },
  };
}

/** Resolves when `predicate()` is true, polling every 10 ms, or rejects after `ms`. */
export async function waitUntil(predicate, ms = 20_000, what = 'condition') {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
