//! [`SqlStore`]: the one store type, over either database; the public names
//! [`PostgresStore`](crate::PostgresStore) and
//! [`SqliteStore`](crate::SqliteStore) are this type on each.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use session_core::StoreError;
use session_core::store::{
    Move, MoveOutcome, Record, SaveOutcome, SessionStore, StoreFuture, StoreKey, UserSession,
};
use sqlx::{Connection, Pool};

use crate::backend::Backend;
use crate::config::{ConfigError, SqlStoreConfig};
use crate::shared::Inner;

/// Store-mode sessions in one SQL table, on database `DB`: use it as
/// [`PostgresStore`](crate::PostgresStore) or
/// [`SqliteStore`](crate::SqliteStore), whose pages give each database's
/// constructors.
///
/// Cloning is cheap and shares the pool. See the [crate docs](crate) for
/// the schema, the cost of each operation, concurrency and how outages are
/// reported.
pub struct SqlStore<DB: Backend> {
    inner: Arc<Inner<DB>>,
}

impl<DB: Backend> Clone for SqlStore<DB> {
    fn clone(&self) -> Self {
        SqlStore {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<DB: Backend> fmt::Debug for SqlStore<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl<DB: Backend> SqlStore<DB> {
    /// A store on an existing pool (its own acquire timeout and size apply;
    /// those of `config` are ignored).
    pub fn from_pool(pool: Pool<DB>, config: SqlStoreConfig) -> Result<Self, ConfigError> {
        Ok(SqlStore {
            inner: Arc::new(Inner::new(pool, &config)?),
        })
    }

    /// A store whose pool (`config`'s size and acquire timeout) connects
    /// with `options` at first use. `config` is checked first, so an
    /// invalid one never builds a pool.
    pub(crate) fn connect_lazy(
        options: <DB::Connection as Connection>::Options,
        config: SqlStoreConfig,
    ) -> Result<Self, ConfigError> {
        config.identifiers()?;
        let pool = crate::pool_options(&config).connect_lazy_with(options);
        Self::from_pool(pool, config)
    }

    /// Checks that the database answers (a connection from the pool,
    /// pinged, within the operation timeout), so a wrong URL or a database
    /// that is down fails at start-up rather than at the first request:
    ///
    /// ```no_run
    /// # async fn boot() -> Result<(), Box<dyn std::error::Error>> {
    /// let store = session_sql::PostgresStore::new("postgres://app@127.0.0.1/app")?;
    /// store.ping().await?; // fail fast, before serving
    /// store.migrate().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] naming the backend and what failed.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }

    /// The pool, for the application's own queries or for closing it.
    pub fn pool(&self) -> &Pool<DB> {
        &self.inner.pool
    }

    /// The DDL [`migrate`](Self::migrate) runs to create what is missing:
    /// the schema (PostgreSQL, if configured), the table as this version
    /// defines it and its two indexes, all `IF NOT EXISTS`. For applying
    /// the schema with your own migration tool instead; a table created by
    /// an earlier version also needs [`upgrade_sql`](Self::upgrade_sql).
    pub fn migration_sql(&self) -> &str {
        self.inner.migration_sql()
    }

    /// The statements that bring a table created by an earlier version up
    /// to date, for your own migration tool (run them once, on such a table
    /// only: they are not `IF NOT EXISTS`). [`migrate`](Self::migrate) does
    /// this by itself, adding only the columns the table lacks:
    ///
    /// ```sql
    /// ALTER TABLE "session_seal_sessions" ADD COLUMN client_addr TEXT;
    /// ALTER TABLE "session_seal_sessions" ADD COLUMN user_agent TEXT;
    /// ALTER TABLE "session_seal_sessions" ADD COLUMN fingerprint BYTEA;
    /// ```
    ///
    /// (`BLOB` for the last one on SQLite.) The columns are nullable without a default: on PostgreSQL (11 and
    /// later) and SQLite the change rewrites no row, and existing rows read
    /// with no metadata.
    pub fn upgrade_sql(&self) -> String {
        self.inner.upgrade_sql()
    }

    /// Creates the table and its indexes if they do not exist, and adds
    /// the columns a table created by an earlier version lacks (see
    /// [`upgrade_sql`](Self::upgrade_sql)).
    ///
    /// Safe to run from several instances, tasks or processes at once: the
    /// DDL runs in one write transaction (on PostgreSQL under a
    /// transaction-level advisory lock), so concurrent callers take turns
    /// and all but the first find everything in place.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        DB::migrate(&self.inner).await
    }

    /// Deletes every row that expired at or before `now` (Unix seconds), in
    /// batches of [`SqlStoreConfig::cleanup_batch`] rows (one statement
    /// each, never one unbounded `DELETE`), and returns how many.
    ///
    /// Stops after 1000 batches per call; the rest goes at the next call.
    /// On PostgreSQL, rows locked by another instance's cleanup are skipped,
    /// so several instances may run it at once. On SQLite, each batch is one
    /// short write transaction, so requests get the write lock between
    /// batches.
    pub async fn delete_expired(&self, now: u64) -> Result<u64, StoreError> {
        DB::delete_expired(&self.inner, now).await
    }

    /// Runs [`delete_expired`](Self::delete_expired) with the system clock
    /// every `interval` (a zero interval counts as one millisecond), forever: spawn it next to the
    /// server and abort or drop it to stop. Errors are logged
    /// (`tracing::warn!`) and the next round tries again.
    pub async fn continuously_delete_expired(self, interval: Duration) {
        let backend = DB::LABEL;
        let mut ticker = tokio::time::interval(interval.max(Duration::from_millis(1)));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match self.delete_expired(session_core::unix_now()).await {
                Ok(0) => {}
                Ok(deleted) => {
                    tracing::debug!(target: crate::TRACING_TARGET, backend, deleted, "deleted expired sessions")
                }
                Err(error) => {
                    tracing::warn!(target: crate::TRACING_TARGET, backend, %error, "deleting expired sessions failed")
                }
            }
        }
    }
}

impl<DB: Backend> SessionStore for SqlStore<DB> {
    fn load<'a>(&'a self, key: &'a StoreKey, now: u64) -> StoreFuture<'a, Option<Record>> {
        Box::pin(DB::load(&self.inner, key, now))
    }

    fn save<'a>(
        &'a self,
        key: &'a StoreKey,
        record: &'a Record,
        expected: Option<u64>,
        now: u64,
    ) -> StoreFuture<'a, SaveOutcome> {
        Box::pin(DB::save(&self.inner, key, record, expected, now))
    }

    fn move_session<'a>(&'a self, change: &'a Move) -> StoreFuture<'a, MoveOutcome> {
        Box::pin(DB::move_session(&self.inner, change))
    }

    fn delete<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, bool> {
        Box::pin(DB::delete(&self.inner, key))
    }

    fn touch<'a>(&'a self, key: &'a StoreKey, expires_at: u64, now: u64) -> StoreFuture<'a, bool> {
        Box::pin(DB::touch(&self.inner, key, expires_at, now))
    }

    fn list_user<'a>(
        &'a self,
        namespace: &'a str,
        user: &'a str,
        now: u64,
    ) -> StoreFuture<'a, Vec<UserSession>> {
        Box::pin(DB::list_user(&self.inner, namespace, user, now))
    }

    fn delete_user<'a>(
        &'a self,
        namespace: &'a str,
        user: &'a str,
        keep: Option<&'a StoreKey>,
    ) -> StoreFuture<'a, usize> {
        Box::pin(DB::delete_user(&self.inner, namespace, user, keep))
    }
}
