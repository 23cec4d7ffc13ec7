//! [`RedisStore`]: store-mode sessions in Redis (feature `redis`); the type's
//! docs describe the key layout.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, LazyLock, OnceLock};
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{Client, RedisError, Script, Value};

use super::{MoveOutcome, Record, SaveOutcome, SessionStore, StoreFuture, StoreKey, UserSession};
use crate::error::StoreError;
use crate::spec::is_namespace;

/// Reconnect attempts after a failed connect before an operation gives up:
/// one, so an outage answers within about two connection timeouts instead of
/// redis-rs's default six backed-off retries.
const RECONNECT_RETRIES: usize = 1;
/// Shortest pause before a reconnect attempt.
const RECONNECT_MIN_DELAY: Duration = Duration::from_millis(100);
/// Longest pause before a reconnect attempt.
const RECONNECT_MAX_DELAY: Duration = Duration::from_millis(500);
/// Longest TTL set on a key (about 68 years, `i32::MAX` seconds): Redis
/// rejects expiry times that overflow its millisecond clock, and no session
/// lives this long (`max_age` is capped at 400 days).
const MAX_TTL_SECS: u64 = 2_147_483_647;

// Field names of a row hash. The Lua scripts below spell the same names.
const NAMESPACE: &str = "namespace";
const USER: &str = "user";
const VERSION: &str = "version";
const DATA: &str = "data";
const REVISION: &str = "revision";
const CREATED_AT: &str = "created_at";
const TOUCHED_AT: &str = "touched_at";
const EXPIRES_AT: &str = "expires_at";

/// Helpers every script starts with.
///
/// `canon` accepts exactly what the Rust decoder accepts (decimal digits that
/// fit the field's integer type) so that "live" means the same on both sides:
/// a row the Rust side cannot decode is absent for the scripts too.
/// Numbers are compared as canonical decimal strings, never as Lua numbers
/// (doubles), so revisions and times beyond 2^53 compare exactly.
macro_rules! lua_prelude {
    () => {
        r#"
-- Redis before 5 replicates scripts verbatim and refuses writes after
-- SMEMBERS or TTL; replicating the effects instead works on every version.
if redis.replicate_commands then redis.replicate_commands() end

local U64_MAX = '18446744073709551615'
local U32_MAX = '4294967295'

local function canon(s, max)
  if type(s) ~= 'string' or not string.match(s, '^%d+$') then return nil end
  s = string.gsub(s, '^0+', '')
  if s == '' then s = '0' end
  if #s > #max or (#s == #max and s > max) then return nil end
  return s
end

local function greater(a, b)
  if #a ~= #b then return #a > #b end
  return a > b
end

-- Whether `s` is valid UTF-8 (as Rust's `String::from_utf8` decides:
-- no overlong forms, surrogates or code points above U+10FFFF).
local function is_utf8(s)
  local i, n = 1, #s
  while i <= n do
    local c = string.byte(s, i)
    local len
    if c < 0x80 then len = 1
    elseif c >= 0xC2 and c <= 0xDF then len = 2
    elseif c >= 0xE0 and c <= 0xEF then len = 3
    elseif c >= 0xF0 and c <= 0xF4 then len = 4
    else return false end
    if i + len - 1 > n then return false end
    for j = i + 1, i + len - 1 do
      local d = string.byte(s, j)
      if d < 0x80 or d > 0xBF then return false end
    end
    local d = string.byte(s, i + 1)
    if (c == 0xE0 and d < 0xA0) or (c == 0xED and d > 0x9F)
      or (c == 0xF0 and d < 0x90) or (c == 0xF4 and d > 0x8F) then
      return false
    end
    i = i + len
  end
  return true
end

local function is_hash(key)
  return redis.call('TYPE', key).ok == 'hash'
end

-- The revision of the well-formed row at `key` if it expires after `now`;
-- nil for a missing, expired or undecodable row.
local function live_revision(key, now)
  if not is_hash(key) then return nil end
  local f = redis.call('HMGET', key, 'namespace', 'version', 'data', 'revision',
    'created_at', 'touched_at', 'expires_at', 'user')
  if not f[1] or #f[1] > 64 or not string.match(f[1], '^[a-z0-9_.-]+$') then return nil end
  if not f[3] or (f[8] and not is_utf8(f[8])) then return nil end
  if not canon(f[2], U32_MAX) or not canon(f[5], U64_MAX) or not canon(f[6], U64_MAX) then
    return nil
  end
  local revision = canon(f[4], U64_MAX)
  local expires = canon(f[7], U64_MAX)
  if not revision or not expires or not greater(expires, now) then return nil end
  return revision
end

local function index_key(prefix, namespace, user)
  return prefix .. namespace .. ':' .. user
end

-- Removes `member` from the index of the row at `key`, if it has a user.
local function unindex(key, prefix, member)
  if not is_hash(key) then return end
  local owner = redis.call('HMGET', key, 'namespace', 'user')
  if owner[1] and owner[2] then
    redis.call('SREM', index_key(prefix, owner[1], owner[2]), member)
  end
end

-- An index must outlive every row in it: only ever lengthen its TTL.
local function extend(key, ttl)
  if redis.call('TTL', key) < ttl then redis.call('EXPIRE', key, ttl) end
end
"#
    };
}

/// KEYS: row. Returns nil (no key), the key's type name (not a hash: the row
/// is corrupt), or the hash's fields and values.
static LOAD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        lua_prelude!(),
        r#"
local kind = redis.call('TYPE', KEYS[1]).ok
if kind == 'none' then return false end
if kind ~= 'hash' then return kind end
return redis.call('HGETALL', KEYS[1])
"#
    ))
});

/// KEYS: row. ARGV: expected revision ('' for none), now, ttl, key hex, user
/// index prefix, namespace, user, has user ('1'/'0'), version, data,
/// revision, created_at, touched_at, expires_at. Returns 1 (saved) or 0
/// (conflict).
static SAVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        lua_prelude!(),
        r#"
local row = KEYS[1]
local current = live_revision(row, ARGV[2])
if ARGV[1] == '' then
  if current then return 0 end
elseif current ~= ARGV[1] then
  return 0
end
local ttl = tonumber(ARGV[3])
unindex(row, ARGV[5], ARGV[4])
redis.call('DEL', row)
redis.call('HSET', row, 'namespace', ARGV[6], 'version', ARGV[9], 'data', ARGV[10],
  'revision', ARGV[11], 'created_at', ARGV[12], 'touched_at', ARGV[13], 'expires_at', ARGV[14])
redis.call('EXPIRE', row, ttl)
if ARGV[8] == '1' then
  redis.call('HSET', row, 'user', ARGV[7])
  local index = index_key(ARGV[5], ARGV[6], ARGV[7])
  redis.call('SADD', index, ARGV[4])
  extend(index, ttl)
end
return 1
"#
    ))
});

/// KEYS: old row, new row. ARGV: expected revision of the old row ('' for
/// any), now, ttl, old key hex, new key hex, user index prefix, namespace,
/// user, has user ('1'/'0'), version, data, revision, created_at,
/// touched_at, expires_at. Returns 1 (moved), 0 (conflict) or 2 (the old
/// row is gone).
static MOVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        lua_prelude!(),
        r#"
local old, new = KEYS[1], KEYS[2]
if live_revision(new, ARGV[2]) then return 0 end
if ARGV[1] ~= '' then
  local current = live_revision(old, ARGV[2])
  if not current then return 2 end
  if current ~= ARGV[1] then return 0 end
end
local ttl = tonumber(ARGV[3])
unindex(old, ARGV[6], ARGV[4])
redis.call('DEL', old)
unindex(new, ARGV[6], ARGV[5])
redis.call('DEL', new)
redis.call('HSET', new, 'namespace', ARGV[7], 'version', ARGV[10], 'data', ARGV[11],
  'revision', ARGV[12], 'created_at', ARGV[13], 'touched_at', ARGV[14], 'expires_at', ARGV[15])
redis.call('EXPIRE', new, ttl)
if ARGV[9] == '1' then
  redis.call('HSET', new, 'user', ARGV[8])
  local index = index_key(ARGV[6], ARGV[7], ARGV[8])
  redis.call('SADD', index, ARGV[5])
  extend(index, ttl)
end
return 1
"#
    ))
});

/// KEYS: row. ARGV: user index prefix, key hex. Returns how many rows were
/// deleted (0 or 1).
static DELETE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        lua_prelude!(),
        r#"
unindex(KEYS[1], ARGV[1], ARGV[2])
return redis.call('DEL', KEYS[1])
"#
    ))
});

/// KEYS: row. ARGV: now, touched_at, expires_at, ttl, user index prefix, key
/// hex. Returns 1 (touched) or 0 (no live row).
static TOUCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        lua_prelude!(),
        r#"
local row = KEYS[1]
if not live_revision(row, ARGV[1]) then return 0 end
local ttl = tonumber(ARGV[4])
redis.call('HSET', row, 'touched_at', ARGV[2], 'expires_at', ARGV[3])
redis.call('EXPIRE', row, ttl)
local owner = redis.call('HMGET', row, 'namespace', 'user')
if owner[1] and owner[2] then
  local index = index_key(ARGV[5], owner[1], owner[2])
  redis.call('SADD', index, ARGV[6])
  extend(index, ttl)
end
return 1
"#
    ))
});

/// KEYS: user index. ARGV: row prefix, namespace, user. For each member
/// whose row is this user's hash, returns {member, namespace, user, version,
/// revision, created_at, touched_at, expires_at, data present (1/0)};
/// removes members whose row is gone or belongs to someone else.
static LIST_USER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        lua_prelude!(),
        r#"
local out = {}
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local row = ARGV[1] .. member
  local kind = redis.call('TYPE', row).ok
  if kind == 'hash' then
    local f = redis.call('HMGET', row, 'namespace', 'user', 'version', 'revision',
      'created_at', 'touched_at', 'expires_at')
    if f[1] == ARGV[2] and f[2] == ARGV[3] then
      table.insert(out, {member, f[1], f[2], f[3], f[4], f[5], f[6], f[7],
        redis.call('HEXISTS', row, 'data')})
    else
      redis.call('SREM', KEYS[1], member)
    end
  elseif kind == 'none' then
    redis.call('SREM', KEYS[1], member)
  end
end
return out
"#
    ))
});

/// KEYS: user index. ARGV: row prefix, key hex to keep ('' for none),
/// namespace, user. Deletes every indexed row of this user but the kept one
/// and returns how many.
static DELETE_USER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        lua_prelude!(),
        r#"
local removed = 0
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if member ~= ARGV[2] then
    local row = ARGV[1] .. member
    if is_hash(row) then
      local owner = redis.call('HMGET', row, 'namespace', 'user')
      if owner[1] == ARGV[3] and owner[2] == ARGV[4] then
        removed = removed + redis.call('DEL', row)
      end
    end
    redis.call('SREM', KEYS[1], member)
  end
end
return removed
"#
    ))
});

/// Settings of a [`RedisStore`].
///
/// Start from [`Default`] and change what you need, with the chainable
/// setters or through the public fields:
///
/// ```
/// use std::time::Duration;
/// use session_core::store::RedisStoreConfig;
///
/// let config = RedisStoreConfig::default()
///     .key_prefix("shop")
///     .response_timeout(Duration::from_millis(500));
/// assert_eq!(config.key_prefix, "shop");
/// assert_eq!(config.connection_timeout, Duration::from_secs(2));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedisStoreConfig {
    /// Prepended (with `:`) to every key the store writes, so several apps
    /// or environments can share one Redis. Default `session-seal`.
    pub key_prefix: String,
    /// How long one command may wait for Redis's answer. Default 2 s.
    pub response_timeout: Duration,
    /// How long one connection attempt may take. Default 2 s.
    pub connection_timeout: Duration,
}

impl Default for RedisStoreConfig {
    fn default() -> Self {
        RedisStoreConfig {
            key_prefix: "session-seal".to_owned(),
            response_timeout: Duration::from_secs(2),
            connection_timeout: Duration::from_secs(2),
        }
    }
}

impl RedisStoreConfig {
    /// Sets the field `key_prefix`.
    #[must_use]
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// Sets the field `response_timeout`.
    #[must_use]
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// Sets the field `connection_timeout`.
    #[must_use]
    pub fn connection_timeout(mut self, timeout: Duration) -> Self {
        self.connection_timeout = timeout;
        self
    }
}

/// Store-mode sessions in Redis (feature `redis`).
///
/// Rows survive restarts of the app and are shared by every server instance
/// using the same Redis and key prefix ([`RedisStoreConfig`]). Cloning is
/// cheap and shares the connection.
///
/// The connection is opened on first use and re-opened after a failure, so
/// an app can start while Redis is briefly down. While Redis is unreachable
/// every operation fails with [`StoreError::Unavailable`] after at most
/// about two connection timeouts plus one response timeout; it never waits
/// indefinitely. It needs a Tokio runtime, and the connection belongs to the
/// runtime of the first operation.
///
/// ```no_run
/// use std::time::Duration;
/// use session_core::store::{RedisStore, RedisStoreConfig};
///
/// # async fn start() -> Result<(), session_core::StoreError> {
/// let store = RedisStore::with_config(
///     "redis://127.0.0.1:6379",
///     RedisStoreConfig::default().key_prefix("shop"),
/// )?;
/// store.ping().await?; // readiness: is Redis answering?
/// # Ok(()) }
/// ```
///
/// # Layout
///
/// With the default prefix `session-seal`:
///
/// | key | type | holds |
/// |---|---|---|
/// | `session-seal:row:{StoreKey hex}` | hash | `namespace`, `user` (absent for anonymous sessions), `version`, `data` (raw bytes), `revision`, `created_at`, `touched_at`, `expires_at` (decimal) |
/// | `session-seal:user:{namespace}:{user}` | set | the `StoreKey` hex of each of that user's rows |
///
/// A row expires in Redis (`EXPIRE`) when its session does, and its stored
/// `expires_at` is also compared with the caller's `now`, so a row reads as
/// absent from the second its session ends even if Redis has not evicted it
/// yet. An index set lives at least as long as the longest row in it. Each
/// operation is one Lua script, so a compare-and-set and its index update are
/// atomic. The scripts derive index key names from row contents, so the
/// store needs a single Redis server (or a primary with replicas), not Redis
/// Cluster. Keep Redis's default `maxmemory-policy noeviction`: a policy that
/// evicts keys early could drop an index set and let a user's sessions escape
/// "log out everywhere".
///
/// A row that cannot be decoded (a missing field, a malformed number, a key
/// of another type) reads as absent and is logged as a warning (target
/// `session_seal`) that names its key, never its contents.
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    config: RedisStoreConfig,
    /// Created by the first operation rather than by the constructor: redis-rs
    /// spawns a task when it builds a manager, which needs a Tokio runtime,
    /// and a constructor that works anywhere is easier to use.
    manager: OnceLock<ConnectionManager>,
    /// `{prefix}:row:`
    row_prefix: String,
    /// `{prefix}:user:`
    user_prefix: String,
}

impl RedisStore {
    /// A store on the Redis server at `url` (`redis://[user:password@]host[:port][/db]`,
    /// or `rediss://` with TLS support compiled into redis-rs) with the
    /// default [`RedisStoreConfig`].
    ///
    /// Does not connect: only a URL that does not parse is an error.
    pub fn new(url: &str) -> Result<Self, StoreError> {
        Self::with_config(url, RedisStoreConfig::default())
    }

    /// Like [`new`](Self::new), with `config`.
    pub fn with_config(url: &str, config: RedisStoreConfig) -> Result<Self, StoreError> {
        // redis-rs's URL errors are fixed texts, never the URL (which may
        // hold a password).
        let client = Client::open(url).map_err(unavailable)?;
        let row_prefix = format!("{}:row:", config.key_prefix);
        let user_prefix = format!("{}:user:", config.key_prefix);
        Ok(RedisStore {
            inner: Arc::new(Inner {
                client,
                config,
                manager: OnceLock::new(),
                row_prefix,
                user_prefix,
            }),
        })
    }

    /// The prefix of every key this store writes.
    pub fn key_prefix(&self) -> &str {
        &self.inner.config.key_prefix
    }

    /// Checks that Redis answers, e.g. for a readiness probe.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut connection = self.connection()?;
        ::redis::cmd("PING")
            .query_async::<Value>(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// The shared connection manager, created on first use.
    fn connection(&self) -> Result<ConnectionManager, StoreError> {
        if let Some(manager) = self.inner.manager.get() {
            return Ok(manager.clone());
        }
        let config = &self.inner.config;
        let manager_config = ConnectionManagerConfig::new()
            .set_number_of_retries(RECONNECT_RETRIES)
            .set_min_delay(RECONNECT_MIN_DELAY)
            .set_max_delay(RECONNECT_MAX_DELAY)
            .set_response_timeout(Some(config.response_timeout))
            .set_connection_timeout(Some(config.connection_timeout));
        let manager =
            ConnectionManager::new_lazy_with_config(self.inner.client.clone(), manager_config)
                .map_err(unavailable)?;
        // Two first calls racing each build one; the loser's is dropped
        // before it ever connected.
        Ok(self.inner.manager.get_or_init(|| manager).clone())
    }

    fn row_key(&self, key: &StoreKey) -> String {
        format!("{}{}", self.inner.row_prefix, key.to_hex())
    }

    fn index_key(&self, namespace: &str, user: &str) -> String {
        format!("{}{namespace}:{user}", self.inner.user_prefix)
    }
}

impl fmt::Debug for RedisStore {
    /// The key prefix only: the URL may carry a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("key_prefix", &self.inner.config.key_prefix)
            .finish_non_exhaustive()
    }
}

/// A Redis failure as the store's error. The message is redis-rs's: an I/O,
/// protocol or server error text. Replies are read as raw [`Value`]s and
/// decoded here, so no conversion error (which could quote a reply, and with
/// it session data) ever reaches this function.
fn unavailable(error: RedisError) -> StoreError {
    StoreError::unavailable(error)
}

/// Seconds Redis should keep a row expiring at `expires_at`, counted from
/// the caller's `now` (so a fake clock in tests still gives a sane TTL).
fn ttl_secs(expires_at: u64, now: u64) -> u64 {
    expires_at.saturating_sub(now).clamp(1, MAX_TTL_SECS)
}

/// A script's integer reply.
fn integer(reply: &Value) -> Result<i64, StoreError> {
    match reply {
        Value::Int(n) => Ok(*n),
        _ => Err(StoreError::unavailable(
            "unexpected reply from a session-seal Redis script",
        )),
    }
}

/// Why a stored row could not be read. Names fields, never their values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Corrupt {
    /// The key holds something other than a hash.
    NotAHash,
    /// The reply did not have the shape the script returns.
    Shape,
    /// A required field is absent.
    Missing(&'static str),
    /// A field is present but not what it should be.
    Invalid(&'static str),
}

impl fmt::Display for Corrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Corrupt::NotAHash => f.write_str("the key is not a hash"),
            Corrupt::Shape => f.write_str("unexpected reply shape"),
            Corrupt::Missing(field) => write!(f, "field `{field}` is missing"),
            Corrupt::Invalid(field) => write!(f, "field `{field}` is invalid"),
        }
    }
}

/// Logs an unreadable row, which then reads as absent.
fn warn_corrupt(key: &str, reason: Corrupt) {
    tracing::warn!(
        target: "session_seal",
        key,
        %reason,
        "unreadable session row in Redis; treating it as absent"
    );
}

/// Everything of a row but its data.
#[derive(Debug, PartialEq, Eq)]
struct Meta {
    namespace: String,
    user: Option<String>,
    version: u32,
    revision: u64,
    created_at: u64,
    touched_at: u64,
    expires_at: u64,
}

/// Reads a row's fields through `get` (field name → raw value).
fn decode_meta<'a>(get: impl Fn(&'static str) -> Option<&'a [u8]>) -> Result<Meta, Corrupt> {
    let namespace = text(get(NAMESPACE), NAMESPACE)?;
    if !is_namespace(&namespace) {
        return Err(Corrupt::Invalid(NAMESPACE));
    }
    let user = match get(USER) {
        Some(bytes) => Some(text(Some(bytes), USER)?),
        None => None,
    };
    Ok(Meta {
        namespace,
        user,
        version: number(get(VERSION), VERSION)?,
        revision: number(get(REVISION), REVISION)?,
        created_at: number(get(CREATED_AT), CREATED_AT)?,
        touched_at: number(get(TOUCHED_AT), TOUCHED_AT)?,
        expires_at: number(get(EXPIRES_AT), EXPIRES_AT)?,
    })
}

fn text(bytes: Option<&[u8]>, field: &'static str) -> Result<String, Corrupt> {
    let bytes = bytes.ok_or(Corrupt::Missing(field))?;
    String::from_utf8(bytes.to_vec()).map_err(|_| Corrupt::Invalid(field))
}

/// Plain decimal digits that fit `T` (no sign, no spaces), as the scripts'
/// `canon` accepts.
fn number<T: FromStr>(bytes: Option<&[u8]>, field: &'static str) -> Result<T, Corrupt> {
    let bytes = bytes.ok_or(Corrupt::Missing(field))?;
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return Err(Corrupt::Invalid(field));
    }
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|digits| digits.parse().ok())
        .ok_or(Corrupt::Invalid(field))
}

/// A row from the LOAD script's `HGETALL` reply (field, value, field, value…).
fn decode_row(items: &[Value]) -> Result<Record, Corrupt> {
    let mut fields: Vec<(&[u8], &[u8])> = Vec::with_capacity(items.len() / 2);
    let mut pairs = items.chunks_exact(2);
    for pair in &mut pairs {
        match pair {
            [Value::BulkString(name), Value::BulkString(value)] => {
                fields.push((name.as_slice(), value.as_slice()));
            }
            _ => return Err(Corrupt::Shape),
        }
    }
    if !pairs.remainder().is_empty() {
        return Err(Corrupt::Shape);
    }
    let get = |name: &'static str| {
        fields
            .iter()
            .find(|(field, _)| *field == name.as_bytes())
            .map(|(_, value)| *value)
    };
    let meta = decode_meta(get)?;
    let data = get(DATA).ok_or(Corrupt::Missing(DATA))?.to_vec();
    Ok(Record {
        namespace: meta.namespace,
        user: meta.user,
        version: meta.version,
        data,
        revision: meta.revision,
        created_at: meta.created_at,
        touched_at: meta.touched_at,
        expires_at: meta.expires_at,
    })
}

/// One entry of the LIST_USER script's reply: the member's hex and, if it
/// decodes, its row's metadata.
fn decode_listed(entry: &Value) -> Result<(StoreKey, Meta), (String, Corrupt)> {
    const FIELDS: [&str; 7] = [
        NAMESPACE, USER, VERSION, REVISION, CREATED_AT, TOUCHED_AT, EXPIRES_AT,
    ];
    let Value::Array(items) = entry else {
        return Err((String::new(), Corrupt::Shape));
    };
    let [Value::BulkString(member), rest @ ..] = items.as_slice() else {
        return Err((String::new(), Corrupt::Shape));
    };
    let member_text = String::from_utf8_lossy(member).into_owned();
    let [values @ .., has_data] = rest else {
        return Err((member_text, Corrupt::Shape));
    };
    if values.len() != FIELDS.len() {
        return Err((member_text, Corrupt::Shape));
    }
    let Some(key) = std::str::from_utf8(member)
        .ok()
        .and_then(StoreKey::from_hex)
    else {
        return Err((member_text, Corrupt::Invalid("index member")));
    };
    let get = |name: &'static str| {
        FIELDS
            .iter()
            .zip(values)
            .find(|(field, _)| **field == name)
            .and_then(|(_, value)| match value {
                Value::BulkString(bytes) => Some(bytes.as_slice()),
                _ => None,
            })
    };
    let meta = decode_meta(get).map_err(|reason| (member_text.clone(), reason))?;
    if *has_data != Value::Int(1) {
        return Err((member_text, Corrupt::Missing(DATA)));
    }
    Ok((key, meta))
}

impl SessionStore for RedisStore {
    fn load<'a>(&'a self, key: &'a StoreKey, now: u64) -> StoreFuture<'a, Option<Record>> {
        Box::pin(async move {
            let mut connection = self.connection()?;
            let reply: Value = LOAD
                .key(self.row_key(key))
                .invoke_async(&mut connection)
                .await
                .map_err(unavailable)?;
            let decoded = match reply {
                Value::Nil => return Ok(None),
                Value::Array(items) => decode_row(&items),
                _ => Err(Corrupt::NotAHash),
            };
            match decoded {
                Ok(record) => Ok(Some(record).filter(|record| record.expires_at > now)),
                Err(reason) => {
                    warn_corrupt(&key.to_hex(), reason);
                    Ok(None)
                }
            }
        })
    }

    fn save<'a>(
        &'a self,
        key: &'a StoreKey,
        record: &'a Record,
        expected: Option<u64>,
        now: u64,
    ) -> StoreFuture<'a, SaveOutcome> {
        Box::pin(async move {
            record.check_route(key)?;
            let mut connection = self.connection()?;
            let mut invocation = SAVE.key(self.row_key(key));
            invocation
                .arg(expected.map_or_else(String::new, |revision| revision.to_string()))
                .arg(now)
                .arg(ttl_secs(record.expires_at, now))
                .arg(key.to_hex())
                .arg(&self.inner.user_prefix)
                .arg(&record.namespace)
                .arg(record.user.as_deref().unwrap_or(""))
                .arg(if record.user.is_some() { "1" } else { "0" })
                .arg(record.version)
                .arg(record.data.as_slice())
                .arg(record.revision)
                .arg(record.created_at)
                .arg(record.touched_at)
                .arg(record.expires_at);
            let reply: Value = invocation
                .invoke_async(&mut connection)
                .await
                .map_err(unavailable)?;
            Ok(if integer(&reply)? == 1 {
                SaveOutcome::Saved
            } else {
                SaveOutcome::Conflict
            })
        })
    }

    fn move_session<'a>(
        &'a self,
        from: &'a StoreKey,
        expected: Option<u64>,
        to: &'a StoreKey,
        record: &'a Record,
        now: u64,
    ) -> StoreFuture<'a, MoveOutcome> {
        Box::pin(async move {
            record.check_route(to)?;
            let mut connection = self.connection()?;
            let mut invocation = MOVE.key(self.row_key(from));
            invocation
                .key(self.row_key(to))
                .arg(expected.map_or_else(String::new, |revision| revision.to_string()))
                .arg(now)
                .arg(ttl_secs(record.expires_at, now))
                .arg(from.to_hex())
                .arg(to.to_hex())
                .arg(&self.inner.user_prefix)
                .arg(&record.namespace)
                .arg(record.user.as_deref().unwrap_or(""))
                .arg(if record.user.is_some() { "1" } else { "0" })
                .arg(record.version)
                .arg(record.data.as_slice())
                .arg(record.revision)
                .arg(record.created_at)
                .arg(record.touched_at)
                .arg(record.expires_at);
            let reply: Value = invocation
                .invoke_async(&mut connection)
                .await
                .map_err(unavailable)?;
            Ok(match integer(&reply)? {
                1 => MoveOutcome::Moved,
                2 => MoveOutcome::Gone,
                _ => MoveOutcome::Conflict,
            })
        })
    }

    fn delete<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut connection = self.connection()?;
            let reply: Value = DELETE
                .key(self.row_key(key))
                .arg(&self.inner.user_prefix)
                .arg(key.to_hex())
                .invoke_async(&mut connection)
                .await
                .map_err(unavailable)?;
            Ok(integer(&reply)? > 0)
        })
    }

    fn touch<'a>(
        &'a self,
        key: &'a StoreKey,
        touched_at: u64,
        expires_at: u64,
        now: u64,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut connection = self.connection()?;
            let reply: Value = TOUCH
                .key(self.row_key(key))
                .arg(now)
                .arg(touched_at)
                .arg(expires_at)
                .arg(ttl_secs(expires_at, now))
                .arg(&self.inner.user_prefix)
                .arg(key.to_hex())
                .invoke_async(&mut connection)
                .await
                .map_err(unavailable)?;
            Ok(integer(&reply)? == 1)
        })
    }

    fn list_user<'a>(
        &'a self,
        namespace: &'a str,
        user: &'a str,
        now: u64,
    ) -> StoreFuture<'a, Vec<UserSession>> {
        Box::pin(async move {
            let mut connection = self.connection()?;
            let reply: Value = LIST_USER
                .key(self.index_key(namespace, user))
                .arg(&self.inner.row_prefix)
                .arg(namespace)
                .arg(user)
                .invoke_async(&mut connection)
                .await
                .map_err(unavailable)?;
            let Value::Array(entries) = reply else {
                return Err(StoreError::unavailable(
                    "unexpected reply from a session-seal Redis script",
                ));
            };
            let mut sessions = Vec::with_capacity(entries.len());
            for entry in &entries {
                match decode_listed(entry) {
                    Ok((key, meta)) if meta.expires_at > now => sessions.push(UserSession {
                        key,
                        created_at: meta.created_at,
                        touched_at: meta.touched_at,
                        expires_at: meta.expires_at,
                    }),
                    Ok(_) => {}
                    Err((member, reason)) => warn_corrupt(&member, reason),
                }
            }
            // The key breaks ties so the order does not depend on Redis's
            // set iteration order.
            sessions.sort_by_key(|session| (session.created_at, session.key));
            Ok(sessions)
        })
    }

    fn delete_user<'a>(
        &'a self,
        namespace: &'a str,
        user: &'a str,
        keep: Option<&'a StoreKey>,
    ) -> StoreFuture<'a, usize> {
        Box::pin(async move {
            let mut connection = self.connection()?;
            let reply: Value = DELETE_USER
                .key(self.index_key(namespace, user))
                .arg(&self.inner.row_prefix)
                .arg(keep.map_or_else(String::new, StoreKey::to_hex))
                .arg(namespace)
                .arg(user)
                .invoke_async(&mut connection)
                .await
                .map_err(unavailable)?;
            Ok(usize::try_from(integer(&reply)?).unwrap_or(0))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(text: &str) -> Value {
        Value::BulkString(text.as_bytes().to_vec())
    }

    fn hgetall(pairs: &[(&str, &str)]) -> Vec<Value> {
        pairs
            .iter()
            .flat_map(|(field, value)| [bulk(field), bulk(value)])
            .collect()
    }

    const GOOD: [(&str, &str); 8] = [
        ("namespace", "admin"),
        ("user", "42"),
        ("version", "3"),
        ("data", "{\"secret\":1}"),
        ("revision", "7"),
        ("created_at", "100"),
        ("touched_at", "150"),
        ("expires_at", "200"),
    ];

    #[test]
    fn decodes_a_well_formed_row() {
        let record = decode_row(&hgetall(&GOOD)).expect("decodes");
        assert_eq!(
            record,
            Record {
                namespace: "admin".into(),
                user: Some("42".into()),
                version: 3,
                data: b"{\"secret\":1}".to_vec(),
                revision: 7,
                created_at: 100,
                touched_at: 150,
                expires_at: 200,
            }
        );
        let anonymous: Vec<_> = GOOD.iter().copied().filter(|(f, _)| *f != "user").collect();
        assert_eq!(
            decode_row(&hgetall(&anonymous)).expect("decodes").user,
            None
        );
    }

    #[test]
    fn rejects_broken_rows_by_field_never_by_value() {
        let with = |field: &str, value: Option<&str>| {
            let pairs: Vec<(&str, &str)> = GOOD
                .iter()
                .copied()
                .filter_map(|(f, v)| {
                    if f == field {
                        value.map(|x| (f, x))
                    } else {
                        Some((f, v))
                    }
                })
                .collect();
            decode_row(&hgetall(&pairs))
        };
        assert_eq!(with("data", None), Err(Corrupt::Missing(DATA)));
        assert_eq!(with("version", None), Err(Corrupt::Missing(VERSION)));
        assert_eq!(
            with("revision", Some("seven")),
            Err(Corrupt::Invalid(REVISION))
        );
        assert_eq!(
            with("revision", Some("-1")),
            Err(Corrupt::Invalid(REVISION))
        );
        assert_eq!(
            with("revision", Some("+1")),
            Err(Corrupt::Invalid(REVISION))
        );
        assert_eq!(
            with("version", Some("4294967296")),
            Err(Corrupt::Invalid(VERSION))
        );
        assert_eq!(
            with("expires_at", Some("18446744073709551616")),
            Err(Corrupt::Invalid(EXPIRES_AT))
        );
        assert_eq!(
            with("namespace", Some("Admin:x")),
            Err(Corrupt::Invalid(NAMESPACE))
        );
        let mut odd = hgetall(&GOOD);
        odd.pop();
        assert_eq!(decode_row(&odd), Err(Corrupt::Shape));
        let reason = with("revision", Some("seven"))
            .expect_err("invalid")
            .to_string();
        assert!(!reason.contains("seven"), "{reason}");
    }

    #[test]
    fn decodes_listed_entries() {
        let key = StoreKey::from_bytes([7; 32]);
        let mut entry = vec![Value::BulkString(key.to_hex().into_bytes())];
        for field in [
            NAMESPACE, USER, VERSION, REVISION, CREATED_AT, TOUCHED_AT, EXPIRES_AT,
        ] {
            let value = GOOD.iter().find(|(f, _)| *f == field).map(|(_, v)| *v);
            entry.push(bulk(value.expect("field")));
        }
        entry.push(Value::Int(1));
        let (decoded, meta) = decode_listed(&Value::Array(entry.clone())).expect("decodes");
        assert_eq!(decoded, key);
        assert_eq!(
            (meta.created_at, meta.touched_at, meta.expires_at),
            (100, 150, 200)
        );

        let mut no_data = entry.clone();
        no_data.pop();
        no_data.push(Value::Int(0));
        assert!(matches!(
            decode_listed(&Value::Array(no_data)),
            Err((_, Corrupt::Missing(DATA)))
        ));
        let mut bad_member = entry;
        bad_member[0] = bulk("not-a-key");
        assert!(matches!(
            decode_listed(&Value::Array(bad_member)),
            Err((member, Corrupt::Invalid(_))) if member == "not-a-key"
        ));
    }

    #[test]
    fn ttl_is_at_least_one_second_and_bounded() {
        assert_eq!(ttl_secs(200, 100), 100);
        assert_eq!(ttl_secs(100, 100), 1);
        assert_eq!(ttl_secs(50, 100), 1);
        assert_eq!(ttl_secs(u64::MAX, 0), MAX_TTL_SECS);
    }

    #[test]
    fn construction_is_lazy_and_only_a_bad_url_fails() {
        // No runtime and no server here: building the store must not connect.
        let store = RedisStore::new("redis://127.0.0.1:1").expect("valid url");
        assert_eq!(store.key_prefix(), "session-seal");
        assert!(RedisStore::new("not a url").is_err());
        assert!(RedisStore::new("http://127.0.0.1").is_err());
    }

    #[test]
    fn debug_shows_the_prefix_and_never_the_url() {
        let store = RedisStore::with_config(
            "redis://alice:hunter2@db.internal:6380/3",
            RedisStoreConfig::default().key_prefix("shop"),
        )
        .expect("valid url");
        let debug = format!("{store:?}");
        assert!(debug.contains("shop"), "{debug}");
        for secret in ["alice", "hunter2", "db.internal", "6380"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        let error = RedisStore::new("redis://alice:hunter2@[::1").expect_err("bad url");
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }

    #[test]
    fn config_defaults_and_setters() {
        let config = RedisStoreConfig::default();
        assert_eq!(config.key_prefix, "session-seal");
        assert_eq!(config.response_timeout, Duration::from_secs(2));
        assert_eq!(config.connection_timeout, Duration::from_secs(2));
        let config = config
            .key_prefix("x")
            .response_timeout(Duration::from_millis(5))
            .connection_timeout(Duration::from_millis(6));
        assert_eq!(config.key_prefix, "x");
        assert_eq!(config.response_timeout, Duration::from_millis(5));
        assert_eq!(config.connection_timeout, Duration::from_millis(6));
    }
}
