//! [`SqliteStore`]: store-mode sessions in SQLite (feature `sqlite`).

use std::fmt;
use std::future::Future;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use session_core::StoreError;
use session_core::store::{
    Move, MoveOutcome, Record, SaveOutcome, SessionStore, StoreFuture, StoreKey, UserSession,
};
use sqlx::Executor as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool};

use crate::config::{ConfigError, SqlStoreConfig};
use crate::move_rows::finish_move;
use crate::row::{self, Bound, bind_record, db_revision, db_time};
use crate::sql::{Dialect, Statements};

const BACKEND: &str = "sqlite";

/// Opens a write transaction at once, taking SQLite's write lock (waiting
/// up to the busy timeout), instead of at its first write: a deferred
/// transaction that reads first can fail with `SQLITE_BUSY` when another
/// connection writes in between.
const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// Store-mode sessions in one SQLite table: the durable default for an
/// app on a single machine (sessions survive a restart; no server to run).
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use session_sql::{SqliteStore, SqlStoreConfig};
///
/// let store = SqliteStore::open("/var/lib/app/sessions.db", SqlStoreConfig::default())?;
/// store.migrate().await?; // idempotent
/// tokio::spawn(store.clone().continuously_delete_expired(std::time::Duration::from_secs(300)));
/// # Ok(()) }
/// ```
///
/// The database file is opened in WAL mode (readers do not wait for the
/// writer) and created if missing; writes take SQLite's single write lock,
/// waiting up to [`SqlStoreConfig::operation_timeout`] for it. Several
/// processes may share the file on one machine, never over a network file
/// system. Cloning is cheap and shares the pool. See the [crate docs](crate) for
/// the schema, the cost of each operation and how outages are reported.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: SqlitePool,
    sql: Statements,
    table: String,
    operation_timeout: Duration,
    cleanup_batch: i64,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("table", &self.inner.table)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// A store in the database file at `path` (created if missing), with
    /// `config`. Opens the file lazily: the first operation (or
    /// [`migrate`](Self::migrate)) does. Fails only on an invalid setting.
    pub fn open(path: impl AsRef<Path>, config: SqlStoreConfig) -> Result<Self, ConfigError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        Self::with_options(options, config)
    }

    /// A store on a `sqlite:` URL (`sqlite:///var/lib/app/sessions.db`,
    /// `sqlite:sessions.db?mode=rwc`), with `config`. `sqlite::memory:`
    /// gives [`in_memory`](Self::in_memory)'s single-connection pool.
    pub fn with_url(url: &str, config: SqlStoreConfig) -> Result<Self, ConfigError> {
        if url.starts_with("sqlite::memory:") {
            return Self::in_memory(config);
        }
        let options =
            SqliteConnectOptions::from_str(url).map_err(|error| ConfigError::InvalidUrl {
                message: error.to_string(),
            })?;
        Self::with_options(options, config)
    }

    /// A store in a private in-memory database, for tests and demos: it
    /// lives in the pool's one connection (opened at first use, then kept
    /// open for good) and ends with the store. Run
    /// [`migrate`](Self::migrate) first, as for a file.
    pub fn in_memory(config: SqlStoreConfig) -> Result<Self, ConfigError> {
        config.identifiers()?;
        let options = SqliteConnectOptions::from_str("sqlite::memory:").map_err(|error| {
            ConfigError::InvalidUrl {
                message: error.to_string(),
            }
        })?;
        let pool = crate::pool_options(&config)
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_lazy_with(options);
        Self::from_pool(pool, config)
    }

    /// A store connecting with `options`, to which it adds WAL journaling
    /// and a busy timeout of [`SqlStoreConfig::operation_timeout`].
    pub fn with_options(
        options: SqliteConnectOptions,
        config: SqlStoreConfig,
    ) -> Result<Self, ConfigError> {
        config.identifiers()?;
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(config.operation_timeout);
        let pool = crate::pool_options(&config).connect_lazy_with(options);
        Self::from_pool(pool, config)
    }

    /// A store on an existing pool (its own acquire timeout and size apply;
    /// those of `config` are ignored).
    pub fn from_pool(pool: SqlitePool, config: SqlStoreConfig) -> Result<Self, ConfigError> {
        let (schema, table) = config.identifiers()?;
        let sql = Statements::new(Dialect::Sqlite, schema.as_ref(), &table);
        let table = match &schema {
            Some(schema) => format!("{}.{}", schema.as_str(), table.as_str()),
            None => table.as_str().to_owned(),
        };
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                pool,
                sql,
                table,
                operation_timeout: config.operation_timeout,
                cleanup_batch: i64::from(config.cleanup_batch),
            }),
        })
    }

    /// The pool, for the application's own queries or for closing it.
    pub fn pool(&self) -> &SqlitePool {
        &self.inner.pool
    }

    /// The DDL [`migrate`](Self::migrate) runs: the table and its two
    /// indexes, all `IF NOT EXISTS`. For applying the
    /// schema with your own migration tool instead.
    pub fn migration_sql(&self) -> &str {
        &self.inner.sql.migration
    }

    /// Creates the table and its indexes if they do not exist.
    ///
    /// Safe to run from several tasks or processes at once: the DDL runs in
    /// one write transaction, so callers take turns and all but the first
    /// find everything in place.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.bounded("migrate", self.migrate_in_transaction()).await
    }

    async fn migrate_in_transaction(&self) -> Result<(), sqlx::Error> {
        let mut tx = self.inner.pool.begin_with(BEGIN_WRITE).await?;
        // Through `Executor` (a boxed future): `RawSql::execute`'s future
        // is not `Send` for every lifetime, which `tokio::spawn` needs.
        (&mut *tx)
            .execute(sqlx::raw_sql(&self.inner.sql.migration))
            .await?;
        tx.commit().await
    }

    async fn move_in_transaction(&self, step: &Move) -> Result<MoveOutcome, sqlx::Error> {
        let sql = &self.inner.sql;
        // Holds the write lock from the first read: every other write
        // (a save, a `delete_user`) comes wholly before or after the move.
        let tx = self.inner.pool.begin_with(BEGIN_WRITE).await?;
        finish_move(
            tx,
            sql,
            step,
            sqlx::sqlite::SqliteQueryResult::rows_affected,
        )
        .await
    }

    async fn delete_user_rows(
        &self,
        namespace: &str,
        user: &str,
        keep: Option<&StoreKey>,
    ) -> Result<u64, sqlx::Error> {
        // One statement, so one write under SQLite's single write lock:
        // a concurrent move lands wholly before or after it.
        let sql = &self.inner.sql;
        let done = match keep {
            Some(keep) => {
                sqlx::query(&sql.delete_user_keeping)
                    .bind(namespace)
                    .bind(user)
                    .bind(keep.as_bytes().as_slice())
                    .execute(&self.inner.pool)
                    .await?
            }
            None => {
                sqlx::query(&sql.delete_user)
                    .bind(namespace)
                    .bind(user)
                    .execute(&self.inner.pool)
                    .await?
            }
        };
        Ok(done.rows_affected())
    }
}

crate::store_impl::impl_session_store!(SqliteStore);
crate::store_impl::impl_shared_methods!(
    SqliteStore,
    "Each batch is one short write transaction, so requests get the write lock between batches."
);
