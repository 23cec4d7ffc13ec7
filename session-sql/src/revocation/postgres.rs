//! [`PostgresRevocationFeed`]: the table, and `LISTEN`/`NOTIFY` to push
//! each new row to the followers (feature `postgres`).

use sqlx::Executor as _;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions, Postgres};
use tokio::time::Instant;

use super::{FeedInner, FeedSql, Follow, SqlRevocationFeed, heartbeat};
use crate::row::db_time;
use crate::{ConfigError, PostgresStore, SqlStoreConfig};
use session_core::StoreError;
use session_core::revocation::RevocationTable;

/// Revocations in a PostgreSQL table, pushed to every follower with
/// `LISTEN`/`NOTIFY`: the feed for several app servers sharing one
/// database.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use session_sql::{PostgresRevocationFeed, SqlStoreConfig};
///
/// let feed = PostgresRevocationFeed::with_config(
///     "postgres://app:secret@127.0.0.1:5432/app",
///     SqlStoreConfig::default().table("sessions"),
/// )?;
/// feed.migrate().await?; // the table `sessions_revocations`
/// // Revocations::builder::<AppSessions>(feed).start()
/// # Ok(()) }
/// ```
///
/// `publish` writes the row and calls `pg_notify` with the revocation's
/// message in one transaction; PostgreSQL delivers the notification at
/// commit. The channel is the table's name (with a schema,
/// `<schema>_<table>_revocations`; cut and hashed past 63 bytes).
///
/// `follow` opens a connection of its own (not one of the pool's, which it
/// would hold for as long as it follows), `LISTEN`s, and only then replays
/// the window (`SELECT … WHERE at >= <window start>`) over it, so a
/// revocation committed in between is seen one way or the other. Then it
/// waits for notifications; whenever one heartbeat passes without one, it
/// sends `SELECT 1` over the same connection, and each answer (or
/// notification) calls [`RevocationTable::heard`]. A lost connection ends
/// `follow` with an error; the caller's next `follow` listens and replays
/// again, so nothing committed meanwhile is lost.
///
/// Each follower is one more connection to the database: count them in
/// `max_connections` on the server. That connection is opened with the
/// pool's connect options, not its `after_connect` hook: name a schema in
/// [`SqlStoreConfig::schema`] (or in the connect options), not in a hook's
/// `SET search_path`. See [`SqlRevocationFeed`] for the table.
pub type PostgresRevocationFeed = SqlRevocationFeed<Postgres>;

impl SqlRevocationFeed<Postgres> {
    /// A feed on `url` (`postgres://user:password@host:port/database`) with
    /// the default [`SqlStoreConfig`] (table `session_seal_sessions_revocations`).
    /// Connects lazily.
    pub fn new(url: &str) -> Result<Self, ConfigError> {
        Self::with_config(url, SqlStoreConfig::default())
    }

    /// A feed on `url` with `config`: the pool's settings, the table (the
    /// config's table name with `_revocations`) and the operation timeout,
    /// as [`PostgresStore::with_config`]. Connects lazily; fails only on an
    /// unparsable URL or an invalid setting.
    pub fn with_config(url: &str, config: SqlStoreConfig) -> Result<Self, ConfigError> {
        let store = PostgresStore::with_config(url, config.clone())?;
        Self::from_pool(store.pool().clone(), config)
    }

    /// A feed connecting with `options` (for settings a URL cannot carry).
    pub fn with_options(
        options: PgConnectOptions,
        config: SqlStoreConfig,
    ) -> Result<Self, ConfigError> {
        let store = PostgresStore::with_options(options, config.clone())?;
        Self::from_pool(store.pool().clone(), config)
    }
}

impl Follow for Postgres {
    async fn follow(
        inner: &FeedInner<Postgres>,
        table: &RevocationTable,
    ) -> Result<(), StoreError> {
        // A pool of one connection, made with the shared pool's options: it
        // reconnects nothing by itself, and ends with this call.
        let options = (*inner.pool.connect_options()).clone();
        let own = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(inner.config.acquire_timeout)
            .idle_timeout(None)
            .max_lifetime(None)
            .test_before_acquire(false)
            .connect_lazy_with(options);
        let mut listener = inner
            .bounded("listen for revocations", async {
                let mut listener = PgListener::connect_with(&own).await?;
                listener.ignore_pool_close_event(true);
                // A lost connection makes `try_recv` answer `None` at once
                // instead of reconnecting within it: this call ends, and
                // the next one replays.
                listener.eager_reconnect(false);
                listener.listen(&inner.sql.channel).await?;
                Ok(listener)
            })
            .await?;
        // Listening already: whatever commits from here on is notified,
        // whatever committed before is in the replay (or both).
        let rows = inner
            .bounded(
                "replay revocations",
                sqlx::query(&inner.sql.replay)
                    .bind(db_time(table.window_start()))
                    .fetch_all(&mut listener),
            )
            .await?;
        Postgres::deliver_rows(inner, table, &rows)?;
        table.heard();
        let mut heard_at = Instant::now();
        loop {
            // Cancelling `try_recv` at the deadline loses nothing: with its
            // connection open (and `eager_reconnect` off) it awaits only
            // the reading of the next whole message, which sqlx 0.8 keeps
            // in its buffer until complete, and a notification that
            // arrives during the `SELECT 1` below goes to the listener's
            // own queue, which `try_recv` drains first.
            let next = tokio::time::timeout_at(heard_at + heartbeat(table), listener.try_recv());
            match next.await {
                Ok(Ok(Some(notification))) => {
                    inner.deliver_message(table, notification.payload());
                }
                Ok(Ok(None)) => {
                    return Err(StoreError::unavailable(
                        "postgres revocations: the listening connection was lost",
                    ));
                }
                Ok(Err(error)) => {
                    return Err(StoreError::with_source(
                        format!("postgres revocations: {error}"),
                        error,
                    ));
                }
                Err(_) => {
                    inner
                        .bounded("ping the revocation listener", listener.execute("SELECT 1"))
                        .await?;
                }
            }
            // A notification or an answer: the connection is alive.
            table.heard();
            heard_at = Instant::now();
        }
    }
}
