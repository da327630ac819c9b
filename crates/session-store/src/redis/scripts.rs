//! The Lua scripts: each operation is one script, so it is atomic in Redis and costs one
//! round trip. They mirror `logic.rs`. Every script answers `{status, detail...}`.
//!
//! Layout per session: a hash `<prefix>:{<id>}:m` (subject, digest, epoch, ended, progress,
//! last, bytes) and a stream `<prefix>:{<id>}:log` whose entry ids are `<seq>-0` with one
//! field `b`, the frame. Both expire after the resume window; every claim and write
//! refreshes it. The braces keep both keys in one cluster slot.
//!
//! The digest comparison is not constant time in Lua; it compares SHA-256 digests of
//! 256-bit random tokens, so timing tells an attacker about a digest, which gives no way back
//! to a token.

/// Records a new session (ARGV: subject, digest, window ms).
pub(crate) const CREATE: &str = r#"
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[1], 'subject', ARGV[1], 'digest', ARGV[2], 'epoch', '0',
  'ended', '', 'progress', '', 'last', '0', 'bytes', '0')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {'ok', ''}
"#;

/// Checks the credentials and bumps the epoch (ARGV: digest, subject, window ms).
pub(crate) const CLAIM: &str = r#"
local m = redis.call('HMGET', KEYS[1], 'digest', 'subject', 'ended')
if not m[1] then return {'lost', 'expired'} end
if m[1] ~= ARGV[1] or m[2] ~= ARGV[2] then return {'lost', 'unauthorized'} end
if m[3] and m[3] ~= '' then return {'lost', m[3]} end
local epoch = redis.call('HINCRBY', KEYS[1], 'epoch', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return {'ok', tostring(epoch)}
"#;

/// Applies a batch as the owner at an epoch (ARGV: epoch, window ms, max log bytes,
/// progress JSON or '', peer ack or '', n, then n pairs of seq and frame).
pub(crate) const WRITE: &str = r#"
local m = redis.call('HMGET', KEYS[1], 'epoch', 'ended', 'last', 'bytes')
if not m[1] then return {'lost', 'expired'} end
if m[2] and m[2] ~= '' then return {'lost', m[2]} end
if m[1] ~= ARGV[1] then return {'fenced', m[1]} end
local last = tonumber(m[3])
local bytes = tonumber(m[4])
local n = tonumber(ARGV[6])
local gone = {}
if ARGV[5] ~= '' then gone = redis.call('XRANGE', KEYS[2], '-', ARGV[5] .. '-0') end
for _, entry in ipairs(gone) do bytes = bytes - string.len(entry[2][2]) end
for i = 0, n - 1 do
  local seq = tonumber(ARGV[7 + 2 * i])
  if seq ~= last + 1 + i then return {'order', tostring(seq), tostring(last + i)} end
  bytes = bytes + string.len(ARGV[8 + 2 * i])
end
if bytes > tonumber(ARGV[3]) then return {'full', tostring(bytes)} end
for i = 0, n - 1 do
  redis.call('XADD', KEYS[2], ARGV[7 + 2 * i] .. '-0', 'b', ARGV[8 + 2 * i])
end
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'progress', ARGV[4]) end
if ARGV[5] ~= '' then
  redis.call('XTRIM', KEYS[2], 'MINID', tostring(tonumber(ARGV[5]) + 1) .. '-0')
end
redis.call('HSET', KEYS[1], 'last', tostring(last + n), 'bytes', tostring(bytes))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return {'ok', ''}
"#;

/// Everything about a session: `{hash as a flat list, log entries, PTTL of the hash}`.
pub(crate) const LOAD: &str = r#"
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then return {{}, {}, -2} end
return {h, redis.call('XRANGE', KEYS[2], '-', '+'), redis.call('PTTL', KEYS[1])}
"#;

/// Marks a session ended and drops its log (ARGV: reason, tombstone ttl ms, epoch).
pub(crate) const END: &str = r#"
local m = redis.call('HMGET', KEYS[1], 'epoch', 'ended')
if not m[1] then return {'ok', ''} end
if (not m[2] or m[2] == '') and m[1] ~= ARGV[3] then return {'fenced', m[1]} end
redis.call('HSET', KEYS[1], 'ended', ARGV[1], 'bytes', '0')
redis.call('DEL', KEYS[2])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {'ok', ''}
"#;
