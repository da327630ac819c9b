/**
 * A client of the ws-reliable protocol (docs/protocol.md) over the platform `WebSocket`
 * (browsers, Node >= 22, or Node 20 with `--experimental-websocket`).
 */
import { JSON_SUBPROTOCOL, decode, encode, payloadBytes, sha256Hex, toBase64 } from './codec.js';
import { Emitter } from './emitter.js';
/** Why `send` failed, or how the session ended. */
export class ReliableError extends Error {
    /** `full`, `ended`, or a `session_lost` reason (`expired`, `unauthorized`, ...). */
    reason;
    constructor(reason, message) {
        super(message ? `${reason}: ${message}` : reason);
        this.reason = reason;
    }
}
const DEFAULTS = { maxBuffered: 10_000, backoffInitialMs: 100, backoffMaxMs: 5_000, ackEvery: 64, ackDelayMs: 10, heartbeatTimeoutMs: 35_000 };
/** A reliable session with a ws-reliable server. */
export class ReliableClient extends Emitter {
    url;
    /** Counters since construction. */
    stats = { sent: 0, acked: 0, delivered: 0, resumed: 0, reconnects: 0 };
    opts;
    ws;
    session;
    nextSeq = 1;
    replay = [];
    lastReceived = 0;
    consumed = 0;
    acked = 0;
    ackTimer;
    attempt = 0;
    lastSignOfLife = Date.now();
    watchdog;
    chain = Promise.resolve();
    streams = new Map();
    inbox = [];
    waiters = [];
    ended;
    finSeq;
    closeWaiters = [];
    attached = false;
    /** Current connection state. */
    state = 'connecting';
    constructor(url, options = {}) {
        super();
        this.url = url;
        this.opts = { ...DEFAULTS, tokenCarrier: 'subprotocol', ...options };
        void this.connect();
    }
    /** Session id once welcomed. */
    get sessionId() {
        return this.session?.id;
    }
    /**
     * Sends a text or bytes message. Throws `ReliableError('full')` at once when the replay
     * buffer is full and `ReliableError('ended')` after the session ended; the promise resolves
     * when the server's application consumed the message (its ack) and rejects if the session is
     * lost first (it is marked handled, so ignoring it raises no unhandled rejection).
     */
    send(payload, options = {}) {
        const frame = { seq: 0 };
        if (options.id !== undefined)
            frame.id = options.id;
        if (typeof payload === 'string')
            frame.text = payload;
        else
            frame.b64 = toBase64(payload);
        return this.enqueue(frame);
    }
    /** Opens an outgoing stream `id` (§9); the last chunk carries the SHA-256 digest. */
    openStream(id) {
        const parts = [];
        let index = 0;
        const chunk = (text, last, digest) => {
            const frame = { seq: 0, stream: { id, index: index++ }, text };
            if (last)
                Object.assign(frame.stream, { last: true, digest });
            return this.enqueue(frame);
        };
        return {
            write: (text) => {
                parts.push(new TextEncoder().encode(text));
                return chunk(text, false);
            },
            finish: async (text = '') => {
                parts.push(new TextEncoder().encode(text));
                const digest = await sha256Hex(parts);
                return chunk(text, true, digest);
            },
        };
    }
    /** Sends a state-sync message (§10), e.g. `{sync:{version:0}}`; answers arrive as `statesync` events. */
    sendState(message) {
        return this.enqueue({ seq: 0, state: true, text: JSON.stringify(message) });
    }
    /** Resolves when everything sent so far was acknowledged. */
    async flush() {
        await Promise.all(this.replay.map((o) => new Promise((res) => {
            const { resolve, reject } = o;
            o.resolve = () => { resolve(); res(); };
            o.reject = (e) => { reject(e); res(); };
        })));
    }
    /**
     * Close handshake (§8.1): waits for every send to be acked, sends the close marker and
     * resolves once the server acked it; rejects if the session is lost first.
     */
    async close() {
        if (this.ended === 'closed')
            return;
        if (this.ended)
            throw this.ended;
        await this.flush();
        if (this.finSeq === undefined) {
            const done = this.enqueue({ seq: 0, fin: true, text: '' });
            this.finSeq = this.nextSeq - 1;
            await done;
        }
    }
    /** Async iteration over delivered messages (used when no `message` listener is set). */
    [Symbol.asyncIterator]() {
        return {
            next: () => {
                const m = this.inbox.shift();
                if (m) {
                    this.consume(m.seq);
                    return Promise.resolve({ value: m, done: false });
                }
                if (this.ended)
                    return Promise.resolve({ value: undefined, done: true });
                return new Promise((resolve) => this.waiters.push(resolve));
            },
        };
    }
    enqueue(frame) {
        if (this.ended || this.finSeq !== undefined)
            throw new ReliableError('ended');
        if (this.replay.length >= this.opts.maxBuffered)
            throw new ReliableError('full', `${this.replay.length} messages unacknowledged`);
        frame.seq = this.nextSeq++;
        let out;
        const promise = new Promise((resolve, reject) => {
            out = { frame, sentAt: Date.now(), resolve, reject };
        });
        promise.catch(() => { });
        this.replay.push(out);
        this.stats.sent++;
        if (this.attached)
            this.write({ data: frame });
        return promise;
    }
    write(frame) {
        if (this.ws?.readyState === 1)
            this.ws.send(encode(frame));
    }
    setState(state, recovered = false) {
        this.state = state;
        this.emit('state', { state, recovered });
    }
    async connect() {
        const Ws = this.opts.WebSocket ?? globalThis.WebSocket;
        let url = this.url;
        const protocols = [JSON_SUBPROTOCOL];
        try {
            const t = this.opts.token;
            const token = typeof t === 'function' ? await t() : t;
            if (token !== undefined && this.opts.tokenCarrier === 'query')
                url += (url.includes('?') ? '&' : '?') + 'access_token=' + encodeURIComponent(token);
            else if (token !== undefined)
                protocols.push('bearer.' + token);
        }
        catch (e) {
            this.scheduleReconnect();
            return;
        }
        if (this.ended)
            return;
        const ws = new Ws(url, protocols);
        this.ws = ws;
        this.lastSignOfLife = Date.now();
        this.startWatchdog();
        ws.onopen = () => this.onOpen(ws);
        ws.onmessage = (ev) => this.onMessage(ws, ev.data);
        ws.onclose = (ev) => this.onClose(ws, ev.code);
        ws.onerror = () => { };
    }
    onOpen(ws) {
        if (ws !== this.ws)
            return;
        this.lastSignOfLife = Date.now();
        const resume = this.session && { session: this.session.id, token: this.session.token, last_received: this.lastReceived };
        this.write(resume ? { hello: { resume } } : { hello: {} });
        this.startWatchdog();
    }
    onMessage(ws, data) {
        if (ws !== this.ws)
            return;
        this.lastSignOfLife = Date.now();
        const frame = typeof data === 'string' ? decode(data) : undefined;
        if (!frame)
            return this.protocolError(4000, 'malformed frame');
        if ('welcome' in frame)
            return this.onWelcome(frame.welcome);
        if ('data' in frame)
            return this.onData(frame.data);
        if ('ack' in frame)
            return this.onAck(frame.ack.up_to);
        if ('session_lost' in frame) {
            const { reason, message } = frame.session_lost;
            return reason === 'closed' && this.finSeq !== undefined ? this.end('closed') : this.end(new ReliableError(reason, message));
        }
        if ('refresh_request' in frame)
            return void this.refresh();
        // `error`: the server closes after it; wait for the close and resume.
    }
    onWelcome(w) {
        const recovered = this.session !== undefined;
        if (recovered && (!w.resumed || w.session !== this.session.id))
            return this.end(new ReliableError('protocol_violation', 'welcome did not resume the session'));
        if (w.last_received >= this.nextSeq)
            return this.protocolError(4003, 'welcome last_received beyond sent');
        this.session = { id: w.session, token: w.token };
        this.attached = true;
        this.attempt = 0;
        if (recovered)
            this.stats.resumed++;
        if (this.consumed > 0)
            this.sendAck();
        for (const o of this.replay)
            if (o.frame.seq > w.last_received)
                this.write({ data: o.frame });
        this.setState('open', recovered);
    }
    onData(frame) {
        if (frame.seq <= this.lastReceived) {
            if (this.consumed > this.acked)
                this.sendAck();
            return;
        }
        if (frame.seq !== this.lastReceived + 1)
            return this.protocolError(4004, `sequence gap: expected ${this.lastReceived + 1}, got ${frame.seq}`);
        this.lastReceived = frame.seq;
        this.chain = this.chain.then(() => this.process(frame)).catch(() => { });
    }
    async process(frame) {
        if (this.ended)
            return;
        if (frame.fin) {
            this.consume(frame.seq);
            this.sendAck();
            return this.end('closed');
        }
        if (frame.state) {
            try {
                this.emit('statesync', JSON.parse(frame.text ?? 'null'));
            }
            catch { /* listener errors stay local */ }
            return this.consume(frame.seq);
        }
        const m = { seq: frame.seq };
        if (frame.b64 !== undefined)
            m.bytes = payloadBytes(frame);
        else
            m.text = frame.text ?? '';
        if (frame.id !== undefined)
            m.id = frame.id;
        if (frame.stream) {
            const s = frame.stream;
            const open = this.streams.get(s.id) ?? { index: 0, parts: [] };
            if (s.index !== open.index)
                return this.end(new ReliableError('protocol_violation', `stream ${s.id}: chunk ${s.index}, expected ${open.index}`));
            open.index++;
            open.parts.push(payloadBytes(frame));
            m.stream = { id: s.id, index: s.index, last: s.last === true };
            if (s.last) {
                this.streams.delete(s.id);
                m.stream.digestOk = s.digest !== undefined && (await sha256Hex(open.parts)) === s.digest.toLowerCase();
            }
            else
                this.streams.set(s.id, open);
        }
        this.deliver(m);
    }
    deliver(m) {
        this.stats.delivered++;
        if (this.listenerCount('message') > 0) {
            this.consume(m.seq);
            this.emit('message', m);
            return;
        }
        const waiter = this.waiters.shift();
        if (waiter) {
            this.consume(m.seq);
            waiter({ value: m, done: false });
        }
        else
            this.inbox.push(m);
    }
    consume(seq) {
        this.consumed = Math.max(this.consumed, seq);
        if (this.consumed - this.acked >= this.opts.ackEvery)
            this.sendAck();
        else if (!this.ackTimer)
            this.ackTimer = setTimeout(() => this.sendAck(), this.opts.ackDelayMs);
    }
    sendAck() {
        clearTimeout(this.ackTimer);
        this.ackTimer = undefined;
        if (!this.attached)
            return;
        this.write({ ack: { up_to: this.consumed } });
        this.acked = this.consumed;
    }
    onAck(upTo) {
        if (upTo >= this.nextSeq)
            return this.protocolError(4003, 'ack beyond sent');
        const now = Date.now();
        while (this.replay.length > 0 && this.replay[0].frame.seq <= upTo) {
            const o = this.replay.shift();
            this.stats.acked++;
            this.stats.rttMs = now - o.sentAt;
            o.resolve();
        }
        if (this.finSeq !== undefined && upTo >= this.finSeq)
            this.end('closed');
    }
    async refresh() {
        const t = this.opts.token;
        if (typeof t !== 'function')
            return;
        try {
            this.write({ refresh: { token: await t() } });
        }
        catch { /* no token now: the server closes 4007 and we reconnect */ }
    }
    protocolError(code, message) {
        this.write({ error: { code, message } });
        this.ws?.close(code, 'protocol error');
    }
    onClose(ws, _code) {
        if (ws !== this.ws)
            return;
        this.attached = false;
        this.ws = undefined;
        clearInterval(this.watchdog);
        if (!this.ended)
            this.scheduleReconnect();
    }
    scheduleReconnect() {
        this.setState('reconnecting');
        const cap = Math.min(this.opts.backoffMaxMs, this.opts.backoffInitialMs * 2 ** this.attempt++);
        this.stats.reconnects++;
        setTimeout(() => void this.connect(), Math.random() * cap);
    }
    startWatchdog() {
        clearInterval(this.watchdog);
        const timeout = this.opts.heartbeatTimeoutMs;
        if (timeout <= 0)
            return;
        this.watchdog = setInterval(() => {
            const now = Date.now();
            const waiting = this.replay.length > 0 && now - this.replay[0].sentAt > timeout;
            if ((waiting || !this.attached) && now - this.lastSignOfLife > timeout)
                this.cut(4009);
        }, Math.min(1000, timeout / 4));
    }
    /** Drops the current connection (a test and demo hook: "cut the connection"); the client resumes. */
    cut(code = 4009) {
        const ws = this.ws;
        if (!ws)
            return;
        this.onClose(ws, code);
        try {
            ws.close(code === 4009 ? 4009 : 1000, 'cut');
        }
        catch { /* already closing */ }
    }
    end(outcome) {
        if (this.ended)
            return;
        this.ended = outcome;
        clearInterval(this.watchdog);
        const error = outcome === 'closed' ? new ReliableError('closed') : outcome;
        for (const o of this.replay.splice(0))
            o.reject(error);
        for (const w of this.waiters.splice(0))
            w({ value: undefined, done: true });
        this.setState(outcome === 'closed' ? 'closed' : 'lost');
        if (outcome !== 'closed')
            this.emit('lost', outcome);
        const ws = this.ws;
        setTimeout(() => ws?.close(1000, 'session ended'), this.opts.ackDelayMs);
    }
}
