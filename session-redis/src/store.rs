//! [`RedisStore`]: constructors and the [`SessionStore`] implementation.

use std::fmt;
use std::sync::{Arc, OnceLock};

use redis::{Client, RedisError, ScriptInvocation, Value};
use session_core::store::{
    Move, MoveOutcome, Record, SaveOutcome, SessionStore, StoreError, StoreFuture, StoreKey,
    UserSession,
};

use crate::RedisStoreConfig;
use crate::connection::{Connection, Target};
use crate::layout::Layout;
use crate::row::{Corrupt, FIELDS, decode_listed, decode_load, push_record, warn_corrupt};
use crate::scripts::{DELETE, DELETE_USER, LIST_USER, MOVE, MOVE_OUT, RESTORE, SAVE, TOUCH};

/// Longest TTL set on a key (about 68 years, `i32::MAX` seconds): Redis
/// rejects expiry times that overflow its millisecond clock, and no session
/// lives this long (`max_age` is capped at 400 days).
const MAX_TTL_SECS: u64 = 2_147_483_647;

/// How often a script is run again because the row's owner, or the user's
/// index, changed between the caller's read and the script. Each retry
/// needs a concurrent write to the same row or index in that gap, so more
/// than a couple means something is wrong.
const MAX_ATTEMPTS: usize = 8;

/// URL schemes that name a cluster: `redis+cluster://h1:p1,h2:p2`.
const CLUSTER_SCHEMES: [(&str, &str); 2] = [
    ("redis+cluster://", "redis://"),
    ("rediss+cluster://", "rediss://"),
];

/// Store-mode sessions in Redis: one server (or a primary with replicas) or
/// a Redis Cluster. See the [crate docs](crate) for the key layout and how
/// each operation runs.
///
/// Cloning is cheap and shares the connection. Construction never
/// connects: the connection is opened on first use (which needs a Tokio
/// runtime; it belongs to the runtime of the first operation) and re-opened
/// after a failure, so an app can start while Redis is briefly down. While
/// Redis (or the cluster node holding a session) is unreachable, operations
/// fail with [`StoreError::Unavailable`] within the configured timeouts;
/// they never wait indefinitely.
///
/// `Debug` shows the key prefix and whether it is a cluster, never a URL
/// (which may carry a password).
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    target: Target,
    config: RedisStoreConfig,
    layout: Layout,
    connection: OnceLock<Connection>,
}

/// Whose index a script may have to update, as the caller believes (see
/// `owner_retry` in `prelude.lua`).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Owner {
    /// An anonymous row (or none): no index.
    Anonymous,
    /// A row of this namespace and user: its index is declared.
    User(String, String),
    /// A row whose owner is not on its key's route (only a corrupted or
    /// hand-written row): leave every index alone.
    Skip,
}

/// What `move_out.lua` took out of the old slot, to put back if the second
/// half of a cross-slot move fails.
struct Taken {
    /// The owner the script ran with (whose index and epoch to declare).
    owner: Owner,
    /// The row's remaining lifetime in milliseconds.
    pttl: i64,
    /// The row as `DUMP` serialized it.
    dump: Vec<u8>,
    /// The owner's epoch counter when the row was taken out.
    epoch: Vec<u8>,
}

impl RedisStore {
    /// A store on `url` with the default [`RedisStoreConfig`]:
    ///
    /// - `redis://[user:password@]host[:port][/db]` (or `rediss://` with TLS
    ///   support compiled into redis-rs): one server.
    /// - `redis+cluster://[user:password@]host:port[,host:port…]` (or
    ///   `rediss+cluster://`): a Redis Cluster, found through any of the
    ///   listed nodes; as [`cluster`](Self::cluster).
    ///
    /// Does not connect: only a URL that does not parse is an error (whose
    /// message never quotes the URL).
    pub fn new(url: &str) -> Result<Self, StoreError> {
        Self::with_config(url, RedisStoreConfig::default())
    }

    /// Like [`new`](Self::new), with `config`.
    pub fn with_config(url: &str, config: RedisStoreConfig) -> Result<Self, StoreError> {
        if let Some(nodes) = cluster_nodes(url)? {
            return Self::cluster_with_config(nodes, config);
        }
        // redis-rs's URL errors are fixed texts, never the URL.
        let client = Client::open(url).map_err(unavailable)?;
        Self::build(Target::Server(client), config)
    }

    /// A store on the Redis Cluster reachable through `nodes`
    /// (`redis://[user:password@]host:port` each; one live node is enough
    /// to find the others), with the default [`RedisStoreConfig`].
    ///
    /// ```no_run
    /// use session_redis::RedisStore;
    ///
    /// let store = RedisStore::cluster(["redis://10.0.0.1:7001", "redis://10.0.0.2:7002"])?;
    /// // The same, as one URL:
    /// let same = RedisStore::new("redis+cluster://10.0.0.1:7001,10.0.0.2:7002")?;
    /// # Ok::<(), session_core::StoreError>(())
    /// ```
    pub fn cluster<I>(nodes: I) -> Result<Self, StoreError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        Self::cluster_with_config(nodes, RedisStoreConfig::default())
    }

    /// Like [`cluster`](Self::cluster), with `config`.
    pub fn cluster_with_config<I>(nodes: I, config: RedisStoreConfig) -> Result<Self, StoreError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let nodes: Vec<String> = nodes
            .into_iter()
            .map(|node| node.as_ref().to_owned())
            .collect();
        if nodes.is_empty() {
            return Err(StoreError::unavailable(
                "a Redis Cluster needs at least one node URL",
            ));
        }
        let target = Target::cluster(&nodes, &config).map_err(unavailable)?;
        Self::build(target, config)
    }

    fn build(target: Target, config: RedisStoreConfig) -> Result<Self, StoreError> {
        let layout = Layout::new(&config.key_prefix).ok_or_else(|| {
            StoreError::unavailable("a RedisStore key prefix must not contain `{` or `}`")
        })?;
        Ok(RedisStore {
            inner: Arc::new(Inner {
                target,
                config,
                layout,
                connection: OnceLock::new(),
            }),
        })
    }

    /// The prefix of every key this store writes.
    pub fn key_prefix(&self) -> &str {
        self.inner.layout.prefix()
    }

    /// Whether this store talks to a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        self.inner.target.is_cluster()
    }

    /// The Redis key of the row stored under `key`:
    /// `<prefix>:{<route>}:row:<key hex>`, the route as four hex digits
    /// (for operators and tests; the store needs no help to find it).
    pub fn row_key(&self, key: &StoreKey) -> String {
        self.inner.layout.row(key)
    }

    /// The Redis key of the index of `user`'s sessions in `namespace`:
    /// `<prefix>:{<user route>}:user:<namespace>:<user>`, in the same hash
    /// slot as every row of that user.
    pub fn user_index_key(&self, namespace: &str, user: &str) -> String {
        self.inner.layout.index(namespace, user)
    }

    /// Checks that Redis answers, e.g. for a readiness probe. On a cluster,
    /// every primary must answer.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.connection()?
            .query(&redis::cmd("PING"))
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// The layout of this store's keys.
    pub(crate) fn layout(&self) -> &Layout {
        &self.inner.layout
    }

    /// What this store talks to, and its settings: for a revocation feed's
    /// dedicated connections.
    pub(crate) fn target(&self) -> (&Target, &RedisStoreConfig) {
        (&self.inner.target, &self.inner.config)
    }

    /// Runs one command on the shared connection.
    pub(crate) async fn query(&self, command: &redis::Cmd) -> Result<Value, StoreError> {
        self.connection()?.query(command).await.map_err(unavailable)
    }

    fn connection(&self) -> Result<Connection, StoreError> {
        Connection::get(
            &self.inner.connection,
            &self.inner.target,
            &self.inner.config,
        )
        .map_err(unavailable)
    }

    async fn run(&self, invocation: &ScriptInvocation<'_>) -> Result<Value, StoreError> {
        self.connection()?
            .invoke(invocation)
            .await
            .map_err(unavailable)
    }

    /// Declares the index of `record`'s user (if it has one) as the next key.
    fn push_user_index(&self, invocation: &mut ScriptInvocation<'_>, record: &Record) {
        if let Some(user) = &record.user {
            invocation.key(self.user_index_key(&record.namespace, user));
        }
    }

    /// Adds the owner arguments of `delete.lua`, `touch.lua` and
    /// `move_out.lua` (and the owner's index as KEYS[2]).
    fn push_owner(&self, invocation: &mut ScriptInvocation<'_>, owner: &Owner) {
        match owner {
            Owner::Anonymous => invocation.arg("none").arg("").arg(""),
            Owner::Skip => invocation.arg("skip").arg("").arg(""),
            Owner::User(namespace, user) => invocation
                .key(self.inner.layout.index(namespace, user))
                .arg("user")
                .arg(namespace)
                .arg(user),
        };
    }

    /// Runs a script that unindexes the row at `key` (built by `build` for
    /// an owner guess) until its owner guess holds: a script that finds
    /// another owner answers with it, and runs again with that owner's
    /// index declared. Returns the reply and the owner it ran with.
    async fn run_owned(
        &self,
        key: &StoreKey,
        build: impl Fn(&Owner) -> ScriptInvocation<'static>,
    ) -> Result<(Value, Owner), StoreError> {
        let mut owner = Owner::Anonymous;
        for _ in 0..MAX_ATTEMPTS {
            let reply = self.run(&build(&owner)).await?;
            match owner_of(&reply, key.route()) {
                None => return Ok((reply, owner)),
                Some(found) => owner = found,
            }
        }
        Err(StoreError::unavailable(
            "a session row's owner kept changing under a Redis script",
        ))
    }

    /// Runs `list_user.lua` or `delete_user.lua` on `user`'s index: reads
    /// the members, declares each one's row, and runs again if the index
    /// gained a member in between.
    async fn run_on_index(
        &self,
        namespace: &str,
        user: &str,
        build: impl Fn() -> ScriptInvocation<'static>,
    ) -> Result<Value, StoreError> {
        let layout = &self.inner.layout;
        let index = layout.index(namespace, user);
        let route = StoreKey::user_route(namespace, user);
        for _ in 0..MAX_ATTEMPTS {
            let members = self
                .connection()?
                .query(redis::cmd("SMEMBERS").arg(&index))
                .await
                .map_err(unavailable)?;
            let mut rows = Vec::new();
            let mut junk = Vec::new();
            for member in bulk_items(members)? {
                match layout.member_row(route, &member) {
                    Some(row) => rows.push((member, row)),
                    None => junk.push(member),
                }
            }
            let mut invocation = build();
            invocation.key(&index).arg(rows.len());
            for (member, row) in &rows {
                invocation.key(row).arg(member.as_slice());
            }
            for member in &junk {
                invocation.arg(member.as_slice());
            }
            // Last: the user's epoch counter (`delete_user.lua` raises it).
            invocation.key(layout.epoch(namespace, user));
            let reply = self.run(&invocation).await?;
            if reply != Value::BulkString(b"retry".to_vec()) {
                return Ok(reply);
            }
        }
        Err(StoreError::unavailable(
            "a user's session index kept changing under a Redis script",
        ))
    }

    async fn save_row(
        &self,
        key: &StoreKey,
        record: &Record,
        expected: Option<u64>,
        now: u64,
    ) -> Result<SaveOutcome, StoreError> {
        let mut invocation = SAVE.key(self.row_key(key));
        self.push_user_index(&mut invocation, record);
        invocation
            .arg(revision_arg(expected))
            .arg(now)
            .arg(ttl_secs(record.expires_at, now))
            .arg(key.to_hex());
        push_record(&mut invocation, record);
        match integer(&self.run(&invocation).await?)? {
            1 => Ok(SaveOutcome::Saved),
            0 => Ok(SaveOutcome::Conflict),
            _ => Err(unexpected_reply()),
        }
    }

    /// The move in one script: one server, or both keys on one route.
    async fn move_at_once(&self, change: &Move) -> Result<MoveOutcome, StoreError> {
        let (from, to, record, now) = (change.from(), change.to(), change.record(), change.now());
        let expected = change.expected();
        let mut invocation = MOVE.key(self.row_key(from));
        invocation.key(self.row_key(to));
        self.push_user_index(&mut invocation, record);
        invocation
            .arg(revision_arg(expected))
            .arg(now)
            .arg(ttl_secs(record.expires_at, now))
            .arg(from.to_hex())
            .arg(to.to_hex());
        push_record(&mut invocation, record);
        match integer(&self.run(&invocation).await?)? {
            1 => Ok(MoveOutcome::Moved),
            2 => Ok(MoveOutcome::Gone),
            0 => Ok(MoveOutcome::Conflict),
            _ => Err(unexpected_reply()),
        }
    }

    /// The move between two slots of a cluster, in two steps (the crate
    /// docs describe the window between them): take the old row out of its
    /// slot, then create the new one in its slot; if that fails, put the
    /// old row back.
    async fn move_across_slots(&self, change: &Move) -> Result<MoveOutcome, StoreError> {
        let (from, to) = (change.from(), change.to());
        let taken = match self.move_out(from, change.expected(), change.now()).await? {
            Ok(taken) => taken,
            Err(outcome) => return Ok(outcome),
        };
        self.move_in(from, taken, to, change.record(), change.now())
            .await
    }

    /// The first step of [`move_across_slots`](Self::move_across_slots): on
    /// the old row's slot, check the old row and take it out. `Err` carries
    /// the outcome when nothing was taken (`Gone`, `Conflict`); `Ok(None)`
    /// means no live row was there to keep.
    async fn move_out(
        &self,
        from: &StoreKey,
        expected: Option<u64>,
        now: u64,
    ) -> Result<Result<Option<Taken>, MoveOutcome>, StoreError> {
        let (reply, owner) = self
            .run_owned(from, |owner| {
                let mut invocation = MOVE_OUT.key(self.row_key(from));
                invocation
                    .arg(revision_arg(expected))
                    .arg(now)
                    .arg(from.to_hex());
                self.push_owner(&mut invocation, owner);
                self.push_epoch(&mut invocation, owner);
                invocation
            })
            .await?;
        Ok(match reply {
            Value::Int(0) => Err(MoveOutcome::Conflict),
            Value::Int(2) => Err(MoveOutcome::Gone),
            Value::Int(1) => Ok(None),
            Value::Array(items) => match <[Value; 4]>::try_from(items) {
                Ok(
                    [
                        _,
                        Value::Int(pttl),
                        Value::BulkString(dump),
                        Value::BulkString(epoch),
                    ],
                ) => Ok(Some(Taken {
                    owner,
                    pttl,
                    dump,
                    epoch,
                })),
                _ => return Err(unexpected_reply()),
            },
            _ => return Err(unexpected_reply()),
        })
    }

    /// The second step: create the new row in its slot; if that fails, put
    /// back the row the first step took (see [`restore`](Self::restore)).
    async fn move_in(
        &self,
        from: &StoreKey,
        taken: Option<Taken>,
        to: &StoreKey,
        record: &Record,
        now: u64,
    ) -> Result<MoveOutcome, StoreError> {
        let created = self.save_row(to, record, None, now).await;
        if !matches!(created, Ok(SaveOutcome::Saved))
            && let Some(taken) = taken
        {
            self.restore(from, taken).await;
        }
        Ok(match created? {
            SaveOutcome::Saved => MoveOutcome::Moved,
            SaveOutcome::Conflict => MoveOutcome::Conflict,
        })
    }

    /// Declares the user's epoch counter as the next key, for a row with an
    /// owner (`move_out.lua`, `restore.lua`).
    fn push_epoch(&self, invocation: &mut ScriptInvocation<'_>, owner: &Owner) {
        if let Owner::User(namespace, user) = owner {
            invocation.key(self.inner.layout.epoch(namespace, user));
        }
    }

    /// Puts back the row `move_out.lua` took from `key`, unless its key was
    /// taken since or its user was logged out everywhere since. Best effort:
    /// a failure is logged, not returned (the caller reports the failure
    /// that made the restore necessary).
    async fn restore(&self, key: &StoreKey, taken: Taken) {
        let mut invocation = RESTORE.key(self.row_key(key));
        if let Owner::User(namespace, user) = &taken.owner {
            invocation.key(self.user_index_key(namespace, user));
        }
        self.push_epoch(&mut invocation, &taken.owner);
        invocation
            .arg(taken.pttl)
            .arg(taken.dump)
            .arg(taken.epoch)
            .arg(key.to_hex());
        let outcome = match self.run(&invocation).await {
            Ok(Value::Int(1)) => return,
            Ok(Value::Int(2)) => "its user was logged out everywhere meanwhile".to_owned(),
            Ok(_) => "its key was taken meanwhile".to_owned(),
            Err(error) => error.to_string(),
        };
        tracing::warn!(
            target: crate::TRACING_TARGET,
            key = %key,
            outcome,
            "a session moved between Redis Cluster slots could not be restored after the move failed; it is logged out"
        );
    }
}

impl fmt::Debug for RedisStore {
    /// The key prefix and the mode only: the URL may carry a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("key_prefix", &self.key_prefix())
            .field("cluster", &self.is_cluster())
            .finish_non_exhaustive()
    }
}

/// The node URLs of a `redis+cluster://` URL, `None` for any other scheme.
/// Errors are fixed texts: the URL may hold a password.
fn cluster_nodes(url: &str) -> Result<Option<Vec<String>>, StoreError> {
    let Some((scheme, rest)) = CLUSTER_SCHEMES
        .iter()
        .find_map(|(cluster, node)| url.strip_prefix(cluster).map(|rest| (*node, rest)))
    else {
        return Ok(None);
    };
    let invalid = || {
        StoreError::unavailable(
            "invalid Redis Cluster URL: expected redis+cluster://[user:password@]host:port[,host:port…]",
        )
    };
    let (auth, hosts) = match rest.rsplit_once('@') {
        Some((auth, hosts)) => (format!("{auth}@"), hosts),
        None => (String::new(), rest),
    };
    if hosts.contains(['/', '?', '#']) {
        return Err(invalid());
    }
    let nodes: Vec<String> = hosts
        .split(',')
        .map(|host| {
            if host.is_empty() || host.contains('@') {
                Err(invalid())
            } else {
                Ok(format!("{scheme}{auth}{host}"))
            }
        })
        .collect::<Result<_, _>>()?;
    Ok(Some(nodes))
}

/// A Redis failure as the store's error. The message is redis-rs's: an I/O,
/// protocol or server error text. Replies are read as raw [`Value`]s and
/// decoded here, so no conversion error (which could quote a reply, and with
/// it session data) ever reaches this function.
pub(crate) fn unavailable(error: RedisError) -> StoreError {
    StoreError::from_backend(error)
}

fn unexpected_reply() -> StoreError {
    StoreError::unavailable("unexpected reply from a session-seal Redis script")
}

/// Seconds Redis should keep a row expiring at `expires_at`, counted from
/// the caller's `now` (so a fake clock in tests still gives a sane TTL).
fn ttl_secs(expires_at: u64, now: u64) -> u64 {
    expires_at.saturating_sub(now).clamp(1, MAX_TTL_SECS)
}

/// An expected revision as the scripts take it: `''` for none.
fn revision_arg(expected: Option<u64>) -> String {
    expected.map_or_else(String::new, |revision| revision.to_string())
}

/// A script's integer reply.
fn integer(reply: &Value) -> Result<i64, StoreError> {
    match reply {
        Value::Int(n) => Ok(*n),
        _ => Err(unexpected_reply()),
    }
}

/// The owner in an `{'owner', namespace, user}` reply (see `owner_retry`
/// in `prelude.lua`) of a script on a row on `route`; `None` for any other
/// reply. An owner whose index would not be on the row's route (or is not
/// text) is only possible in a corrupted row: its index is left alone.
fn owner_of(reply: &Value, route: u16) -> Option<Owner> {
    let Value::Array(items) = reply else {
        return None;
    };
    let [
        Value::BulkString(tag),
        Value::BulkString(namespace),
        Value::BulkString(user),
    ] = items.as_slice()
    else {
        return None;
    };
    if tag != b"owner" {
        return None;
    }
    Some(
        match (std::str::from_utf8(namespace), std::str::from_utf8(user)) {
            (Ok(namespace), Ok(user)) if StoreKey::user_route(namespace, user) == route => {
                Owner::User(namespace.to_owned(), user.to_owned())
            }
            _ => Owner::Skip,
        },
    )
}

/// The members of an `SMEMBERS` reply (an array in RESP2, a set in RESP3).
fn bulk_items(reply: Value) -> Result<Vec<Vec<u8>>, StoreError> {
    let (Value::Array(items) | Value::Set(items)) = reply else {
        return Err(unexpected_reply());
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::BulkString(bytes) => Ok(bytes),
            _ => Err(unexpected_reply()),
        })
        .collect()
}

impl SessionStore for RedisStore {
    fn load<'a>(&'a self, key: &'a StoreKey, now: u64) -> StoreFuture<'a, Option<Record>> {
        Box::pin(async move {
            // One command, one round trip: an `HMGET` of the row's fields
            // (an `EVALSHA` would cost the server more per read, an
            // `HGETALL` the client twice the reply to parse).
            let reply = self
                .connection()?
                .query(redis::cmd("HMGET").arg(self.row_key(key)).arg(&FIELDS))
                .await;
            let decoded = match reply {
                Ok(reply) => decode_load(&reply),
                // A key of another type: a corrupt row, not an outage.
                Err(error) if error.code() == Some("WRONGTYPE") => Some(Err(Corrupt::NotAHash)),
                Err(error) => return Err(unavailable(error)),
            };
            match decoded {
                None => Ok(None),
                Some(Ok(record)) => Ok(Some(record).filter(|record| record.expires_at > now)),
                Some(Err(reason)) => {
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
            self.save_row(key, record, expected, now).await
        })
    }

    fn move_session<'a>(&'a self, change: &'a Move) -> StoreFuture<'a, MoveOutcome> {
        Box::pin(async move {
            if self.is_cluster() && change.from().route() != change.to().route() {
                self.move_across_slots(change).await
            } else {
                self.move_at_once(change).await
            }
        })
    }

    fn delete<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let (reply, _) = self
                .run_owned(key, |owner| {
                    let mut invocation = DELETE.key(self.row_key(key));
                    invocation.arg(key.to_hex());
                    self.push_owner(&mut invocation, owner);
                    invocation
                })
                .await?;
            Ok(integer(&reply)? > 0)
        })
    }

    fn touch<'a>(&'a self, key: &'a StoreKey, expires_at: u64, now: u64) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let (reply, _) = self
                .run_owned(key, |owner| {
                    let mut invocation = TOUCH.key(self.row_key(key));
                    invocation
                        .arg(now)
                        .arg(now)
                        .arg(expires_at)
                        .arg(ttl_secs(expires_at, now))
                        .arg(key.to_hex());
                    self.push_owner(&mut invocation, owner);
                    invocation
                })
                .await?;
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
            let reply = self
                .run_on_index(namespace, user, || {
                    let mut invocation = LIST_USER.arg(namespace);
                    invocation.arg(user);
                    invocation
                })
                .await?;
            let Value::Array(entries) = reply else {
                return Err(unexpected_reply());
            };
            let mut sessions = Vec::with_capacity(entries.len());
            for entry in &entries {
                match decode_listed(entry) {
                    Ok((key, meta)) if meta.expires_at > now => sessions.push(UserSession {
                        key,
                        created_at: meta.created_at,
                        touched_at: meta.touched_at,
                        expires_at: meta.expires_at,
                        meta: meta.client,
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
            let reply = self
                .run_on_index(namespace, user, || {
                    let mut invocation = DELETE_USER.arg(namespace);
                    invocation
                        .arg(user)
                        .arg(keep.map_or_else(String::new, StoreKey::to_hex));
                    invocation
                })
                .await?;
            Ok(usize::try_from(integer(&reply)?).unwrap_or(0))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(!store.is_cluster());
        assert!(RedisStore::new("not a url").is_err());
        assert!(RedisStore::new("http://127.0.0.1").is_err());
        let braced = RedisStoreConfig::default().key_prefix("a{b}");
        assert!(RedisStore::with_config("redis://127.0.0.1:1", braced).is_err());
    }

    #[test]
    fn cluster_urls_list_their_nodes_and_keep_credentials_per_node() {
        assert_eq!(cluster_nodes("redis://h:1").expect("parses"), None);
        assert_eq!(
            cluster_nodes("redis+cluster://h1:7001,h2:7002").expect("parses"),
            Some(vec!["redis://h1:7001".into(), "redis://h2:7002".into()])
        );
        assert_eq!(
            cluster_nodes("rediss+cluster://u:p@h1:7001").expect("parses"),
            Some(vec!["rediss://u:p@h1:7001".into()])
        );
        for bad in [
            "redis+cluster://",
            "redis+cluster://h1:1,,h2:2",
            "redis+cluster://h1:1/0",
            "redis+cluster://u:hunter2@h1:1,x@h2:2/",
        ] {
            let error = cluster_nodes(bad).expect_err(bad).to_string();
            assert!(!error.contains("hunter2"), "{error}");
        }
        let store = RedisStore::new("redis+cluster://127.0.0.1:1,127.0.0.1:2").expect("lazy");
        assert!(store.is_cluster());
        assert!(RedisStore::cluster(Vec::<String>::new()).is_err());
    }

    #[test]
    fn debug_shows_the_prefix_and_never_the_url() {
        for url in [
            "redis://alice:hunter2@db.internal:6380/3",
            "redis+cluster://alice:hunter2@db.internal:6380,db2.internal:6381",
        ] {
            let store =
                RedisStore::with_config(url, RedisStoreConfig::default().key_prefix("shop"))
                    .expect("valid url");
            let debug = format!("{store:?}");
            assert!(debug.contains("shop"), "{debug}");
            for secret in ["alice", "hunter2", "db.internal", "6380"] {
                assert!(!debug.contains(secret), "{debug}");
            }
        }
        let error = RedisStore::new("redis://alice:hunter2@[::1").expect_err("bad url");
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }

    #[test]
    fn owner_replies_are_recognised_and_nothing_else_is() {
        let bulk = |bytes: &[u8]| Value::BulkString(bytes.to_vec());
        let reply = |user: &[u8]| Value::Array(vec![bulk(b"owner"), bulk(b"admin"), bulk(user)]);
        let route = StoreKey::user_route("admin", "alice");
        assert_eq!(
            owner_of(&reply(b"alice"), route),
            Some(Owner::User("admin".into(), "alice".into()))
        );
        assert_eq!(
            owner_of(&reply(b"alice"), route.wrapping_add(1)),
            Some(Owner::Skip),
            "an owner off the row's route"
        );
        assert_eq!(
            owner_of(&reply(b"\xff"), route),
            Some(Owner::Skip),
            "an owner that is not text"
        );
        assert_eq!(owner_of(&Value::Int(1), route), None);
        let row = Value::Array(vec![bulk(b"row"), bulk(b"a"), bulk(b"b")]);
        assert_eq!(owner_of(&row, route), None);
    }

    /// The test cluster of `.ci/run` under a fresh key prefix, or `None`
    /// (the test skips) when `SESSION_SEAL_REDIS_CLUSTER_URLS` is unset,
    /// which fails instead under `SESSION_SEAL_REQUIRE_REDIS=1`.
    fn test_cluster(test: &str) -> Option<RedisStore> {
        let Some(urls) = std::env::var("SESSION_SEAL_REDIS_CLUSTER_URLS")
            .ok()
            .filter(|urls| !urls.is_empty())
        else {
            let required = std::env::var("SESSION_SEAL_REQUIRE_REDIS").as_deref() == Ok("1");
            assert!(!required, "{test}: set SESSION_SEAL_REDIS_CLUSTER_URLS");
            eprintln!("skipping {test}: SESSION_SEAL_REDIS_CLUSTER_URLS is not set");
            return None;
        };
        let unique = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        let prefix = format!("session-seal-test:{test}:{unique}");
        let config = RedisStoreConfig::default().key_prefix(prefix);
        Some(RedisStore::cluster_with_config(urls.split(','), config).expect("valid cluster URLs"))
    }

    /// A row of `user` in namespace `acct` and the key it lives under.
    fn row_of(user: &str, now: u64) -> (StoreKey, Record) {
        use session_core::store::SessionId;
        let key = StoreKey::derive("acct", &SessionId::generate_for("acct", Some(user)));
        let record = Record {
            namespace: "acct".into(),
            user: Some(user.into()),
            version: 1,
            data: br#"{"user":"x"}"#.to_vec(),
            revision: 1,
            created_at: now,
            touched_at: now,
            expires_at: now + 3600,
            meta: session_core::store::SessionMeta::new(
                Some(std::net::IpAddr::from([203, 0, 113, 9])),
                Some("Mozilla/5.0 (cluster test)"),
            ),
        };
        (key, record)
    }

    /// A change of user from `old` to a user on another route, whose second
    /// half is made to fail (its new key is taken by a live row), with
    /// `between` run in the window between the halves. Returns the old key.
    async fn failed_cross_slot_move(
        store: &RedisStore,
        old: &str,
        between: impl AsyncFnOnce(&RedisStore),
    ) -> StoreKey {
        let now = 1_700_000_000;
        let (from, record) = row_of(old, now);
        assert_eq!(
            store
                .save_row(&from, &record, None, now)
                .await
                .expect("save"),
            SaveOutcome::Saved
        );
        let new_user = (0..)
            .map(|n| format!("{old}-moved-{n}"))
            .find(|user| StoreKey::user_route("acct", user) != from.route())
            .expect("a user on another route");
        let (to, moved) = row_of(&new_user, now);
        let taken = store.save_row(&to, &moved, None, now).await;
        assert_eq!(
            taken.expect("save"),
            SaveOutcome::Saved,
            "the new key is taken"
        );

        let taken = store
            .move_out(&from, Some(1), now)
            .await
            .expect("first half")
            .expect("taken out");
        assert!(taken.is_some(), "a live row is kept for a restore");
        assert_eq!(store.load(&from, now).await.expect("load"), None);
        between(store).await;
        let outcome = store.move_in(&from, taken, &to, &moved, now).await;
        assert_eq!(outcome.expect("second half"), MoveOutcome::Conflict);
        from
    }

    #[tokio::test]
    async fn a_failed_cross_slot_move_puts_the_row_back() {
        let Some(store) = test_cluster("a_failed_cross_slot_move_puts_the_row_back") else {
            return;
        };
        let from = failed_cross_slot_move(&store, "ada", async |_| {}).await;
        let restored = store.load(&from, 1_700_000_000).await.expect("load");
        let restored = restored.expect("the session survives a failed move");
        assert_eq!(
            restored.meta,
            row_of("ada", 1_700_000_000).1.meta,
            "with its metadata"
        );
        let listed = store.list_user("acct", "ada", 1_700_000_000).await;
        assert_eq!(listed.expect("list").len(), 1, "and is indexed again");
    }

    #[tokio::test]
    async fn a_logout_everywhere_in_the_window_stands() {
        let Some(store) = test_cluster("a_logout_everywhere_in_the_window_stands") else {
            return;
        };
        let from = failed_cross_slot_move(&store, "bob", async |store| {
            // The row is out of its index, so this ends nothing it can see.
            let ended = store.delete_user("acct", "bob", None).await;
            assert_eq!(ended.expect("delete_user"), 0);
        })
        .await;
        let restored = store.load(&from, 1_700_000_000).await.expect("load");
        assert_eq!(restored, None, "the logout is not undone by the restore");
        let listed = store.list_user("acct", "bob", 1_700_000_000).await;
        assert_eq!(listed.expect("list"), vec![]);
    }
}
