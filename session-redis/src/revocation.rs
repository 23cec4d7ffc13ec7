//! [`RedisRevocationFeed`]: revocations of cookie-mode sessions carried by
//! a Redis stream.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use redis::Value;
use session_core::StoreError;
use session_core::revocation::{FeedFuture, Revocation, RevocationFeed, RevocationTable};

use crate::connection::Dedicated;
use crate::store::unavailable;
use crate::{RedisStore, RedisStoreConfig, TRACING_TARGET};

/// The stream field holding a revocation's message.
const FIELD: &str = "m";

/// Entries read per `XRANGE` page and per `XREAD`.
const PAGE: usize = 1000;

/// How much earlier than the window the replay starts, in seconds: entry
/// ids carry the Redis server's clock, the window the application's, and
/// the two may disagree a little. Older revocations it brings are dropped
/// by their `at`.
const CLOCK_SLACK_SECS: u64 = 60;

/// Revocations carried by a Redis stream, for
/// [`Revocations`](session_core::revocation::Revocations) on one server or
/// a Redis Cluster: every process that follows it learns each revocation
/// within a round trip, and a process that starts (or reconnects) replays
/// the retention window from the stream.
///
/// ```no_run
/// # async fn start() -> Result<(), session_core::StoreError> {
/// use session_redis::{RedisRevocationFeed, RedisStoreConfig};
///
/// let feed = RedisRevocationFeed::with_config(
///     "redis://127.0.0.1:6379",
///     RedisStoreConfig::default().key_prefix("shop"),
/// )?;
/// // Revocations::builder::<AppSessions>(feed).start()
/// # let _ = feed;
/// # Ok(()) }
/// ```
///
/// # How it works
///
/// One stream, `<prefix>:revocations` (the prefix of [`RedisStoreConfig`];
/// in a cluster the key lives in one slot, which the feed's small traffic
/// does not mind). Each entry has one field, `m`, holding
/// [`Revocation::to_message`].
///
/// - `publish`: `XADD <key> MINID ~ <keep_since ms> * m <message>`, on a
///   shared connection opened at first use. The `MINID` trim drops entries
///   added before the window (by the Redis server's clock), so the stream
///   stays as small as the window's revocations.
/// - `follow`: on a connection of its own (a blocking read would hold up
///   every command behind it on a shared one), opened anew by each call,
///   first replays the window: `XRANGE <key> <start ms> + COUNT 1000`,
///   page after page, from one minute before the window's start (slack for
///   the clocks of Redis and of the application). It remembers the last
///   entry's id, calls [`RevocationTable::heard`], then loops on
///   `XREAD BLOCK <heartbeat> COUNT 1000 STREAMS <key> <last id>`, applying
///   what arrives and calling `heard` after each reply (a reply of nothing
///   after the block time proves the connection alive too). Reading from
///   the last id loses nothing published between the replay and the first
///   read.
///
/// It needs Redis 6.2 or later (`MINID` trimming, exclusive ranges).
///
/// Each reply of the following connection may take the heartbeat plus the
/// configured `response_timeout`; a connection error ends `follow` with
/// [`StoreError::Unavailable`], and the caller's next `follow` connects
/// again and replays the window, so nothing published meanwhile is lost.
///
/// An entry that is not a revocation (no `m` field, or one that does not
/// parse) is skipped with a `tracing::warn!` (target `session_seal`) naming
/// the stream and the entry's id, never its contents.
///
/// Cloning is cheap and shares the publishing connection. `Debug` shows the
/// stream key and whether it is a cluster, never a URL.
#[derive(Clone)]
pub struct RedisRevocationFeed {
    /// The connection settings and the shared publishing connection.
    store: RedisStore,
    /// `<prefix>:revocations`.
    key: Arc<str>,
}

impl RedisRevocationFeed {
    /// A feed on `url` with the default [`RedisStoreConfig`]; the URL forms
    /// are [`RedisStore::new`]'s (one server, or `redis+cluster://…`).
    ///
    /// Does not connect: only a URL that does not parse is an error.
    pub fn new(url: &str) -> Result<Self, StoreError> {
        Self::with_config(url, RedisStoreConfig::default())
    }

    /// Like [`new`](Self::new), with `config` (its key prefix names the
    /// stream; its timeouts bound connecting and each reply beyond the
    /// blocking read's own wait).
    pub fn with_config(url: &str, config: RedisStoreConfig) -> Result<Self, StoreError> {
        RedisStore::with_config(url, config).map(Self::on)
    }

    /// A feed on the Redis server or cluster that `store` talks to, under
    /// its key prefix, sharing its connection settings and publishing
    /// connection. For a cluster given as a list of nodes:
    ///
    /// ```no_run
    /// use session_redis::{RedisRevocationFeed, RedisStore};
    ///
    /// let nodes = ["redis://10.0.0.1:7001", "redis://10.0.0.2:7002"];
    /// let feed = RedisRevocationFeed::on(RedisStore::cluster(nodes)?);
    /// # Ok::<(), session_core::StoreError>(())
    /// ```
    pub fn on(store: RedisStore) -> Self {
        let key = store.layout().revocations().into();
        RedisRevocationFeed { store, key }
    }

    /// The stream's key, `<prefix>:revocations` (for operators and tests).
    pub fn stream_key(&self) -> &str {
        &self.key
    }

    /// Whether this feed talks to a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        self.store.is_cluster()
    }

    async fn publish_entry(
        &self,
        revocation: &Revocation,
        keep_since: u64,
    ) -> Result<(), StoreError> {
        let mut command = redis::cmd("XADD");
        command
            .arg(&*self.key)
            .arg("MINID")
            .arg("~")
            .arg(keep_since.saturating_mul(1000))
            .arg("*")
            .arg(FIELD)
            .arg(revocation.to_message());
        self.store.query(&command).await?;
        Ok(())
    }

    async fn follow_stream(&self, table: &RevocationTable) -> Result<(), StoreError> {
        let block = table.heartbeat().max(Duration::from_millis(1));
        let block_ms = u64::try_from(block.as_millis()).unwrap_or(u64::MAX);
        let (target, config) = self.store.target();
        let mut connection = target
            .dedicated(config, block.saturating_add(config.response_timeout))
            .await
            .map_err(unavailable)?;

        // The replay, from the start of the window (with slack).
        let start_ms = table
            .window_start()
            .saturating_sub(CLOCK_SLACK_SECS)
            .saturating_mul(1000);
        // Just before the first id the replay reads, for a stream with
        // nothing in the window yet.
        let mut cursor = match start_ms.checked_sub(1) {
            Some(before) => format!("{before}-{}", u64::MAX),
            None => "0-0".to_owned(),
        };
        let mut from = format!("{start_ms}-0");
        loop {
            let mut command = redis::cmd("XRANGE");
            command
                .arg(&*self.key)
                .arg(&from)
                .arg("+")
                .arg("COUNT")
                .arg(PAGE);
            let entries = entries(read(&mut connection, &command).await?)?;
            let full = entries.len() >= PAGE;
            for entry in entries {
                self.deliver(table, &entry);
                cursor = entry.id;
            }
            if !full {
                break;
            }
            // Exclusive: after the page's last entry.
            from = format!("({cursor}");
        }
        table.heard();

        // New entries, one blocking read after another.
        loop {
            let mut command = redis::cmd("XREAD");
            command
                .arg("BLOCK")
                .arg(block_ms)
                .arg("COUNT")
                .arg(PAGE)
                .arg("STREAMS")
                .arg(&*self.key)
                .arg(&cursor);
            for entry in read_reply(read(&mut connection, &command).await?)? {
                self.deliver(table, &entry);
                cursor = entry.id;
            }
            table.heard();
        }
    }

    /// Applies `entry`'s revocation if it is in the window; skips (and
    /// logs) one that is not a revocation.
    fn deliver(&self, table: &RevocationTable, entry: &Entry) {
        let revocation = match &entry.message {
            Some(message) => Revocation::from_message(message).map_err(|error| error.to_string()),
            None => Err(format!("no `{FIELD}` field")),
        };
        match revocation {
            Ok(revocation) if revocation.at() >= table.window_start() => table.apply(&revocation),
            Ok(_) => {}
            Err(reason) => tracing::warn!(
                target: TRACING_TARGET,
                stream = %self.key,
                id = %entry.id,
                %reason,
                "skipped a stream entry that is not a revocation"
            ),
        }
    }
}

impl fmt::Debug for RedisRevocationFeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRevocationFeed")
            .field("stream_key", &self.key)
            .field("cluster", &self.is_cluster())
            .finish()
    }
}

impl RevocationFeed for RedisRevocationFeed {
    fn publish<'a>(&'a self, revocation: &'a Revocation, keep_since: u64) -> FeedFuture<'a, ()> {
        Box::pin(self.publish_entry(revocation, keep_since))
    }

    fn follow<'a>(&'a self, table: &'a RevocationTable) -> FeedFuture<'a, ()> {
        Box::pin(self.follow_stream(table))
    }
}

/// One stream entry: its id, and its message field if it has one.
#[derive(Debug, PartialEq, Eq)]
struct Entry {
    id: String,
    message: Option<Vec<u8>>,
}

async fn read(connection: &mut Dedicated, command: &redis::Cmd) -> Result<Value, StoreError> {
    connection.query(command).await.map_err(unavailable)
}

fn unexpected_reply(command: &str) -> StoreError {
    StoreError::unavailable(format_args!("unexpected reply to a Redis {command}"))
}

/// The entries of an `XRANGE` reply (or of one stream in an `XREAD` reply):
/// `[[id, [field, value, …]], …]`.
fn entries(reply: Value) -> Result<Vec<Entry>, StoreError> {
    let Value::Array(items) = reply else {
        return Err(unexpected_reply("XRANGE"));
    };
    items
        .into_iter()
        .map(|item| entry(item).ok_or_else(|| unexpected_reply("XRANGE")))
        .collect()
}

/// One entry; `None` if it has no readable id (the cursor could not move
/// past it). Fields are a flat array (RESP2) or a map (RESP3).
fn entry(item: Value) -> Option<Entry> {
    let Value::Array(parts) = item else {
        return None;
    };
    let mut parts = parts.into_iter();
    let id = match parts.next()? {
        Value::BulkString(id) => String::from_utf8(id).ok()?,
        Value::SimpleString(id) => id,
        _ => return None,
    };
    let pairs: Vec<(Value, Value)> = match parts.next() {
        Some(Value::Array(flat)) => {
            let mut flat = flat.into_iter();
            std::iter::from_fn(|| Some((flat.next()?, flat.next()?))).collect()
        }
        Some(Value::Map(pairs)) => pairs,
        _ => Vec::new(),
    };
    let message = pairs
        .into_iter()
        .find_map(|(field, value)| match (field, value) {
            (Value::BulkString(field), Value::BulkString(value)) if field == FIELD.as_bytes() => {
                Some(value)
            }
            _ => None,
        });
    Some(Entry { id, message })
}

/// The entries of an `XREAD` reply on one stream: nothing after a timeout
/// (nil), else `[[key, entries]]` (RESP2) or `{key: entries}` (RESP3).
fn read_reply(reply: Value) -> Result<Vec<Entry>, StoreError> {
    let stream = match reply {
        Value::Nil => return Ok(Vec::new()),
        Value::Array(streams) => match streams.into_iter().next() {
            Some(Value::Array(pair)) => pair.into_iter().nth(1),
            _ => None,
        },
        Value::Map(streams) => streams.into_iter().next().map(|(_, entries)| entries),
        _ => None,
    };
    match stream {
        Some(stream) => entries(stream),
        None => Err(unexpected_reply("XREAD")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(text: &str) -> Value {
        Value::BulkString(text.as_bytes().to_vec())
    }

    #[test]
    fn entries_are_read_in_both_protocols_and_a_missing_field_is_kept_as_none() {
        let flat = Value::Array(vec![
            Value::Array(vec![
                bulk("1-0"),
                Value::Array(vec![bulk("x"), bulk("y"), bulk("m"), bulk("{}")]),
            ]),
            Value::Array(vec![bulk("2-0"), Value::Array(vec![bulk("x"), bulk("y")])]),
        ]);
        let read = entries(flat).expect("entries");
        assert_eq!(
            read,
            [
                Entry {
                    id: "1-0".into(),
                    message: Some(b"{}".to_vec())
                },
                Entry {
                    id: "2-0".into(),
                    message: None
                },
            ]
        );
        let map = Value::Map(vec![(
            bulk("k"),
            Value::Array(vec![Value::Array(vec![
                bulk("3-1"),
                Value::Map(vec![(bulk("m"), bulk("x"))]),
            ])]),
        )]);
        let read = read_reply(map).expect("entries");
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].id, "3-1");
        assert_eq!(read_reply(Value::Nil).expect("nothing"), []);
        assert!(read_reply(Value::Int(1)).is_err());
        assert!(entries(Value::Array(vec![Value::Int(1)])).is_err());
    }
}
