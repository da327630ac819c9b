/** Frames of docs/protocol.md §3 and the JSON codec (`wsr.v1.json`, §3.2). */

/** The JSON subprotocol. */
export const JSON_SUBPROTOCOL = 'wsr.v1.json';

/** Stream part of a data frame (§9). */
export interface StreamPart {
  id: string;
  index: number;
  last?: boolean;
  /** 64 hex digits, on the last chunk. */
  digest?: string;
}

/** A data frame (§3.1). Exactly one of `text` / `b64`. */
export interface DataFrame {
  seq: number;
  id?: string;
  stream?: StreamPart;
  state?: boolean;
  fin?: boolean;
  text?: string;
  b64?: string;
}

/** Every frame, in the externally tagged JSON form. */
export type Frame =
  | { hello: { resume?: { session: string; token: string; last_received: number } } }
  | { welcome: { session: string; token: string; resumed: boolean; last_received: number; resume_window_ms: number } }
  | { data: DataFrame }
  | { ack: { up_to: number } }
  | { session_lost: { reason: string; message?: string } }
  | { error: { code: number; message?: string } }
  | { refresh_request: { deadline_ms: number } }
  | { refresh: { token: string } };

const KINDS = ['hello', 'welcome', 'data', 'ack', 'session_lost', 'error', 'refresh_request', 'refresh'];

/** Encodes a frame as one text message. */
export function encode(frame: Frame): string {
  return JSON.stringify(frame);
}

/** Decodes one text message; `undefined` when it is not a frame (error 4000). */
export function decode(text: string): Frame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1 || !KINDS.includes(keys[0])) return undefined;
  const body = (value as Record<string, unknown>)[keys[0]];
  if (typeof body !== 'object' || body === null) return undefined;
  if (keys[0] === 'data' && typeof (body as DataFrame).seq !== 'number') return undefined;
  if (keys[0] === 'ack' && typeof (body as { up_to: unknown }).up_to !== 'number') return undefined;
  return value as Frame;
}

/** Bytes of base64 (RFC 4648 §4). */
export function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Base64 (with padding) of bytes. */
export function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
  return btoa(bin);
}

/** Payload bytes of a data frame: UTF-8 of `text`, or decoded `b64`. */
export function payloadBytes(frame: DataFrame): Uint8Array {
  if (frame.b64 !== undefined) return fromBase64(frame.b64);
  return new TextEncoder().encode(frame.text ?? '');
}

/** Lower-case hex SHA-256 (Web Crypto) of the concatenation of `parts`. */
export async function sha256Hex(parts: Uint8Array[]): Promise<string> {
  let length = 0;
  for (const p of parts) length += p.length;
  const all = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
