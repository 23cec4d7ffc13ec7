//! SQL backends for session-seal's store mode, on [sqlx](https://docs.rs/sqlx):
//! [`PostgresStore`] (feature `postgres`) for production, where several app
//! servers share one database, and [`SqliteStore`] (feature `sqlite`) as the
//! durable default for an app on one machine.
//!
//! Both are one type, [`SqlStore`], on each database (its [`Backend`]):
//! the statements, the row codec, the timeouts and the error mapping are
//! the same code, and only how a write transaction begins and what it
//! locks differ. It implements
//! [`SessionStore`](session_core::store::SessionStore) in full and passes
//! its public conformance suite on both: compare-and-set saves on the
//! revision, the atomic id move in one transaction, the per-user index
//! (`list_user`, `delete_user`, and so `max_per_user` and "log out
//! everywhere"), expiry by the caller's clock.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! # #[cfg(feature = "sqlite")] {
//! use std::sync::Arc;
//! use std::time::Duration;
//! use session_sql::{SqlStoreConfig, SqliteStore};
//!
//! let store = SqliteStore::open("sessions.db", SqlStoreConfig::default())?;
//! store.migrate().await?;
//! tokio::spawn(store.clone().continuously_delete_expired(Duration::from_secs(300)));
//! // SessionLayer::<AppSessions>::new(keyring).store(Arc::new(store))
//! # let _ = Arc::new(store);
//! # }
//! # Ok(()) }
//! ```
//!
//! # The table
//!
//! One table (default name [`DEFAULT_TABLE`]; see
//! [`SqlStoreConfig::table`] and [`SqlStoreConfig::schema`]), created by
//! `migrate()` or by running `migration_sql()` with your own tool:
//!
//! | column | PostgreSQL | SQLite | holds |
//! |---|---|---|---|
//! | `store_key` | `BYTEA` primary key | `BLOB` primary key | the 32-byte [`StoreKey`](session_core::store::StoreKey) (a hash; never the cookie's id) |
//! | `namespace` | `TEXT` | `TEXT` | the session type's namespace |
//! | `user_id` | `TEXT` null | `TEXT` null | the user, for the per-user index |
//! | `schema_version` | `BIGINT` | `INTEGER` | the payload's schema version |
//! | `data` | `BYTEA` | `BLOB` | the payload |
//! | `revision` | `BIGINT` | `INTEGER` | the compare-and-set token |
//! | `created_at`, `touched_at`, `expires_at` | `BIGINT` | `INTEGER` | Unix seconds |
//! | `client_addr` | `TEXT` null | `TEXT` null | the login's client address ([`SessionMeta`](session_core::store::SessionMeta)), `NULL` when not recorded |
//! | `user_agent` | `TEXT` null | `TEXT` null | the login's user agent (at most 256 bytes), `NULL` when not recorded |
//! | `fingerprint` | `BYTEA` null | `BLOB` null | the login's client fingerprint (16 bytes, a keyed hash; `session_core::fingerprint`), `NULL` for a type that binds none |
//!
//! Upgrading: a table created by a version without the metadata columns
//! gets them from `migrate()` (only those missing, in its transaction), or
//! from running `upgrade_sql()` once with your own tool. They are nullable
//! without a default, so no row is rewritten; existing rows read with no
//! metadata.
//!
//! Indexes: `(namespace, user_id)` where `user_id` is not null (the
//! per-user index), and `(expires_at)` (the cleanup). `CHECK`s admit only
//! rows a record can be read from (a 32-byte key, a `u32` version,
//! non-negative times), so a row the store would read as absent cannot
//! block a new session's insert. SQLite's table is `WITHOUT ROWID`
//! (clustered on the key) and `STRICT` (column types enforced).
//!
//! `data` is bytes, not `JSONB`: the store contract treats a payload as
//! opaque bytes (the conformance suite stores NUL and invalid UTF-8), and
//! the store never queries inside it, so `JSONB` would reject valid rows and
//! spend time parsing for nothing.
//!
//! Integers: both databases have only signed 64-bit integers. A revision
//! is stored bit for bit (only its equality matters, and `u64::MAX - 1`
//! and `u64::MAX` stay distinct); times are clamped to `i64::MAX`, which
//! keeps their order (a time past the year 292 billion reads back as
//! `i64::MAX`). A row holding a value no record can (a negative time, a key
//! that is not 32 bytes, a column of the wrong type) reads as absent and is
//! logged with `tracing::warn!`, naming the column, never the data.
//!
//! Names: table and schema must match `[A-Za-z_][A-Za-z0-9_]{0,62}` and are
//! used quoted (case kept). They are the only text written into a
//! statement, and they are checked when the store is built: anything else
//! is a [`ConfigError::InvalidIdentifier`]. Every value is a bind
//! parameter.
//!
//! # Cost per operation
//!
//! | operation | statements | round trips |
//! |---|---|---|
//! | `load` (every request with a session) | 1 `SELECT` by primary key | 1 |
//! | `touch` (at most once per `touch_after`) | 1 `UPDATE` | 1 |
//! | `save` (create or compare-and-set update) | 1 `INSERT … ON CONFLICT` or `UPDATE` | 1 |
//! | `delete` | 1 `DELETE` | 1 |
//! | `list_user` | 1 `SELECT` on the user index | 1 |
//! | `delete_user` | PostgreSQL: lock + `DELETE` in a transaction; SQLite: 1 `DELETE` | 4 / 1 |
//! | `move_session` (renewal, login) | a transaction: (route locks), read the old revision, delete, insert | up to 6 / up to 5 |
//!
//! On PostgreSQL, sqlx prepares each statement once per connection and
//! caches it; a connection's first use of a statement costs one more round
//! trip. sqlx pings a pooled connection before each use by default (a
//! second round trip on every read); these stores ping only connections
//! idle for 30 s or more. sqlx still sends one `Sync` when a connection
//! goes back to the pool, after the operation has returned.
//!
//! # Concurrency
//!
//! A save is one conditional statement, so two writers racing on one
//! session cannot both win. A move runs in one transaction: on PostgreSQL
//! it locks the old row (`FOR UPDATE`, so a concurrent save waits and then
//! fails its revision check) and a transaction-level advisory lock per
//! route, which `delete_user` takes too: a session's rows are always on its
//! user's route, so a logout-everywhere and a renewal of one of that user's
//! sessions take turns, and the logout never misses the renewed row. On
//! SQLite every write transaction holds the database's single write lock
//! from its start (`BEGIN IMMEDIATE`).
//!
//! # Expiry
//!
//! A row whose `expires_at` is at or before the caller's `now` reads as
//! absent at once (the database's clock is never consulted). Rows are
//! removed by [`PostgresStore::delete_expired`] /
//! [`SqliteStore::delete_expired`] (one call) or their
//! `continuously_delete_expired(interval)` (a future to spawn), which delete
//! in batches of [`SqlStoreConfig::cleanup_batch`] rows, oldest expiry
//! first, one bounded `DELETE` per batch.
//!
//! # Outages
//!
//! Every driver error (a refused or dropped connection, a pool timeout, a
//! failed statement) and every operation that outlasts
//! [`SqlStoreConfig::operation_timeout`] is
//! [`StoreError::Unavailable`](session_core::StoreError::Unavailable), which
//! the layer answers with 503 (never as "no session"). Connections are
//! opened lazily and again after a failure, so the store recovers by itself
//! when the database is back. Waiting for a connection is bounded by
//! [`SqlStoreConfig::acquire_timeout`] (2 s by default).
//!
//! # Revocations
//!
//! [`PostgresRevocationFeed`] and [`SqliteRevocationFeed`] carry
//! revocations of cookie-mode sessions (`#[session(revocable)]`) to every
//! process, in a table `<table>_revocations` next to the store's: on
//! PostgreSQL pushed with `LISTEN`/`NOTIFY`, on SQLite polled once a
//! heartbeat. Both are [`SqlRevocationFeed`]; see its page for the table.
//!
//! # Features
//!
//! - `postgres`: [`PostgresStore`] and [`PostgresRevocationFeed`].
//!   Connects without TLS: use it on a trusted network or a Unix socket.
//! - `postgres-tls`: the same over TLS (rustls, with the Mozilla root
//!   certificates of `webpki-roots`). The URL's `sslmode` picks the
//!   checks, as libpq's does:
//!
//!   | `sslmode` | encrypted | server certificate checked |
//!   |---|---|---|
//!   | `disable` | no | no |
//!   | `prefer` (the default) | if the server offers it | no |
//!   | `require` | yes, or no connection | no: this stops eavesdroppers, not a man in the middle |
//!   | `verify-ca` | yes | chains to a trusted root (`sslrootcert=/path/ca.pem`, or the Mozilla roots) |
//!   | `verify-full` | yes | as `verify-ca`, and its name matches the host |
//!
//!   For a database across a network you do not trust, use `verify-full`
//!   (with `sslrootcert` for a private CA); `sslcert` and `sslkey` add a
//!   client certificate. Without this feature, `sslmode=require` fails to
//!   connect rather than falling back to plain text.
//! - `sqlite`: [`SqliteStore`] and [`SqliteRevocationFeed`], with SQLite
//!   compiled in (no system library needed).
//!
//! The facade `session-seal` re-exports both as
//! `session_seal::store::{PostgresStore, SqliteStore}`, and the feeds as
//! `session_seal::revocation::{PostgresRevocationFeed, SqliteRevocationFeed}`,
//! under the same feature names.
#![forbid(unsafe_code)]
// On docs.rs (nightly, `--cfg docsrs`): a badge on each item a feature gates.
#![cfg_attr(docsrs, feature(doc_cfg))]
// Without a backend feature only the configuration is compiled, and its
// checks have no caller.
#![cfg_attr(not(any(feature = "postgres", feature = "sqlite")), allow(dead_code))]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod backend;
mod config;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod revocation;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod row;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod shared;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod sql;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod store;

#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use backend::Backend;
pub use config::{ConfigError, DEFAULT_TABLE, SqlStoreConfig};
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use revocation::SqlRevocationFeed;
#[cfg(feature = "postgres")]
pub use revocation::postgres::PostgresRevocationFeed;
#[cfg(feature = "sqlite")]
pub use revocation::sqlite::SqliteRevocationFeed;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
/// The sqlx version these stores are built on, for
/// `PostgresStore::from_pool` / `SqliteStore::from_pool` and connect options.
pub use sqlx;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use store::SqlStore;

/// The `tracing` target of every event this crate emits: the same
/// `session_seal` as the rest of session-seal, so one filter directive
/// covers them all.
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub(crate) const TRACING_TARGET: &str = "session_seal";

/// A pooled connection idle at least this long is pinged before use (and
/// replaced if dead); busier ones go straight to their query, so a read is
/// one round trip. sqlx's default pings before every use: a second round
/// trip on every request.
#[cfg(any(feature = "postgres", feature = "sqlite"))]
const PING_IF_IDLE_FOR: std::time::Duration = std::time::Duration::from_secs(30);

/// The pool settings both stores use: `config`'s size and acquire timeout,
/// and a ping only for connections idle [`PING_IF_IDLE_FOR`].
#[cfg(any(feature = "postgres", feature = "sqlite"))]
fn pool_options<DB: sqlx::Database>(config: &SqlStoreConfig) -> sqlx::pool::PoolOptions<DB> {
    sqlx::pool::PoolOptions::new()
        .max_connections(config.max_connections)
        .acquire_timeout(config.acquire_timeout)
        .test_before_acquire(false)
        .before_acquire(|connection, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IF_IDLE_FOR {
                    sqlx::Connection::ping(connection).await?;
                }
                Ok(true)
            })
        })
}
