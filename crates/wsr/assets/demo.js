// The demo page served by `wsr serve` at `/`: a chat room and a token stream over one session.
import { ReliableClient } from './index.js';

const $ = (id) => document.getElementById(id);
const url = new URL('/ws', location.href);
url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
const client = new ReliableClient(url.href, { heartbeatTimeoutMs: 5000, backoffMaxMs: 2000 });
window.demo = client;

function render() {
  const s = client.stats;
  $('state').textContent = client.state;
  $('sent').textContent = s.sent;
  $('acked').textContent = s.acked;
  $('delivered').textContent = s.delivered;
  $('resumed').textContent = s.resumed;
  $('rtt').textContent = s.rttMs ?? '-';
}
setInterval(render, 100);
client.on('state', render);

let streamText = '';
client.on('message', (m) => {
  if (m.stream) {
    streamText += m.text ?? '';
    $('stream-out').textContent = streamText;
    if (m.stream.last) $('stream-status').textContent = m.stream.digestOk ? 'complete, digest OK' : 'digest MISMATCH';
    else $('stream-status').textContent = `chunk ${m.stream.index}`;
  } else if (m.text !== undefined && !m.text.startsWith('joined ')) {
    $('chat-log').textContent += m.text + '\n';
  }
  render();
});
client.on('state', ({ state }) => { if (state === 'open' && client.stats.resumed === 0) void client.send('/join lobby').catch(() => {}); });

$('chat-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('chat-input').value;
  if (text) { client.send(`/say lobby ${text}`).catch(() => {}); $('chat-input').value = ''; }
});
$('stream-start').addEventListener('click', () => {
  streamText = '';
  client.send('/stream 200').catch(() => {});
});
$('cut').addEventListener('click', () => client.cut());
