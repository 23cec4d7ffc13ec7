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

/// How many times a migration tries to begin when SQLite answers
/// `SQLITE_BUSY` despite the busy timeout. Two stores that open a new
/// database file together both switch it to WAL journaling on their first
/// connection, which needs the file's exclusive lock; now and then one of
/// them is refused at once (`(code: 5) database is locked`, seen in the
/// test of two concurrent migrations), which is how SQLite answers a lock
/// conflict that waiting could deadlock, and SQLite's remedy for that is to
/// try again. The next connection finds the file in WAL mode already, or
/// waits under the busy timeout for the one switching it; the migration is
/// idempotent.
const MIGRATION_ATTEMPTS: usize = 3;

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
    /// wholly before or after this one. A migration, usually the first use
    /// of a pool, tries again when refused at once (see
    /// [`MIGRATION_ATTEMPTS`]).
    async fn begin_write(
        pool: &SqlitePool,
        write: Write,
    ) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        let attempts = match write {
            Write::Migration => MIGRATION_ATTEMPTS,
            _ => 1,
        };
        let mut attempt = 1;
        loop {
            match pool.begin_with(BEGIN_WRITE).await {
                Err(error) if attempt < attempts && is_busy(&error) => attempt += 1,
                result => return result,
            }
        }
    }
}

/// Whether `error` is SQLite's `SQLITE_BUSY` (primary result code 5, in
/// any of its extended forms).
fn is_busy(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|error| error.code())
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| code & 0xff == 5)
}

#[cfg(test)]
mod tests {
    use sqlx::{Connection as _, SqliteConnection};

    use super::*;

    /// A lock held by one connection, and another that may not wait for it.
    #[tokio::test]
    async fn busy_is_sqlite_busy_and_nothing_else() {
        let path = std::env::temp_dir().join(format!(
            "session-sql-busy-{}-{}.db",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.as_nanos())
        ));
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .busy_timeout(std::time::Duration::ZERO);
        let mut holder = SqliteConnection::connect_with(&options)
            .await
            .expect("open");
        sqlx::raw_sql("BEGIN EXCLUSIVE")
            .execute(&mut holder)
            .await
            .expect("lock");
        let mut other = SqliteConnection::connect_with(&options)
            .await
            .expect("open");
        let busy = sqlx::raw_sql(BEGIN_WRITE)
            .execute(&mut other)
            .await
            .expect_err("the file is locked");
        assert!(is_busy(&busy), "{busy}");
        let syntax = sqlx::raw_sql("BEGIN SIDEWAYS")
            .execute(&mut other)
            .await
            .expect_err("not SQL");
        assert!(!is_busy(&syntax), "{syntax}");
        assert!(!is_busy(&sqlx::Error::PoolTimedOut));
        drop((holder, other));
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let mut file = path.clone().into_os_string();
            file.push(suffix);
            let _ = std::fs::remove_file(file);
        }
    }
}
