//! [`SqliteStore`]: store-mode sessions in SQLite (feature `sqlite`).

use std::path::Path;
use std::str::FromStr;

use sqlx::Transaction;
use sqlx::sqlite::{
    Sqlite, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteQueryResult,
};

use crate::SqlStore;
use crate::backend::{Backend, Driver, Write};
use crate::config::{ConfigError, SqlStoreConfig};
use crate::sql::Dialect;

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
pub type SqliteStore = SqlStore<Sqlite>;

impl SqlStore<Sqlite> {
    /// A store in the database file at `path` (created if missing), with
    /// `config`. Opens the file lazily: the first operation (or
    /// [`migrate`](SqlStore::migrate)) does. Fails only on an invalid setting.
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
    /// [`migrate`](SqlStore::migrate) first, as for a file.
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
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(config.operation_timeout);
        Self::connect_lazy(options, config)
    }
}

impl Backend for Sqlite {}

impl Driver for Sqlite {
    const LABEL: &'static str = "sqlite";
    const STORE: &'static str = "SqliteStore";
    const DIALECT: Dialect = Dialect::Sqlite;
    /// One statement, so one write under SQLite's single write lock: a
    /// concurrent move lands wholly before or after it.
    const USER_DELETE_IN_TRANSACTION: bool = false;

    fn rows_affected(done: &SqliteQueryResult) -> u64 {
        done.rows_affected()
    }

    /// Holds the write lock from the first statement, whatever `write` is:
    /// every other write (a save, a `delete_user`, a migration) comes
    /// wholly before or after this one.
    async fn begin_write(
        pool: &SqlitePool,
        _write: Write,
    ) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        pool.begin_with(BEGIN_WRITE).await
    }
}
