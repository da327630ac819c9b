/** Frames of docs/protocol.md §3 and the JSON codec (`wsr.v1.json`, §3.2). */
/** The JSON subprotocol. */
export const JSON_SUBPROTOCOL = 'wsr.v1.json';
const KINDS = ['hello', 'welcome', 'data', 'ack', 'session_lost', 'error', 'refresh_request', 'refresh'];
/** Encodes a frame as one text message. */
export function encode(frame) {
    return JSON.stringify(frame);
}
/** Decodes one text message; `undefined` when it is not a frame (error 4000). */
export function decode(text) {
    let value;
    try {
        value = JSON.parse(text);
    }
    catch {
        return undefined;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
        return undefined;
    const keys = Object.keys(value);
    if (keys.length !== 1 || !KINDS.includes(keys[0]))
        return undefined;
    const body = value[keys[0]];
    if (typeof body !== 'object' || body === null)
        return undefined;
    if (keys[0] === 'data' && typeof body.seq !== 'number')
        return undefined;
    if (keys[0] === 'ack' && typeof body.up_to !== 'number')
        return undefined;
    return value;
}
/** Bytes of base64 (RFC 4648 §4). */
export function fromBase64(b64) {
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++)
        out[i] = bin.charCodeAt(i);
    return out;
}
/** Base64 (with padding) of bytes. */
export function toBase64(bytes) {
    let bin = '';
    for (let i = 0; i < bytes.length; i++)
        bin += String.fromCharCode(bytes[i]);
    return btoa(bin);
}
/** Payload bytes of a data frame: UTF-8 of `text`, or decoded `b64`. */
export function payloadBytes(frame) {
    if (frame.b64 !== undefined)
        return fromBase64(frame.b64);
    return new TextEncoder().encode(frame.text ?? '');
}
/** Lower-case hex SHA-256 (Web Crypto) of the concatenation of `parts`. */
export async function sha256Hex(parts) {
    let length = 0;
    for (const p of parts)
        length += p.length;
    const all = new Uint8Array(length);
    let at = 0;
    for (const p of parts) {
        all.set(p, at);
        at += p.length;
    }
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
    return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
