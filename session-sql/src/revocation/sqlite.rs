//! [`SqliteRevocationFeed`]: the table, polled by each follower (feature
//! `sqlite`).

use std::path::Path;

use sqlx::sqlite::{Sqlite, SqliteConnectOptions};

use super::{FeedInner, FeedSql, Follow, PAGE, SqlRevocationFeed, heartbeat};
use crate::row::db_time;
use crate::{ConfigError, SqlStoreConfig, SqliteStore};
use session_core::StoreError;
use session_core::revocation::RevocationTable;

/// Revocations in a SQLite table, polled by each follower once a
/// heartbeat: the feed for an app on one machine, with revocations that
/// survive a restart.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use session_sql::{SqlStoreConfig, SqliteRevocationFeed};
///
/// let feed = SqliteRevocationFeed::open("/var/lib/app/sessions.db", SqlStoreConfig::default())?;
/// feed.migrate().await?; // the table `session_seal_sessions_revocations`
/// // Revocations::builder::<AppSessions>(feed).start()
/// # Ok(()) }
/// ```
///
/// `follow` replays the window (`SELECT … WHERE at >= <window start>`, in
/// the same statement as the last row's id), calls
/// [`RevocationTable::heard`], then once a heartbeat reads the rows after
/// the last id it has seen (up to 1000 per statement) and calls `heard`
/// after each successful poll. Ids only grow (`AUTOINCREMENT`, one writer
/// at a time), so the poll misses nothing, and it also sees revocations
/// written by other processes on the file, such as `session-seal revoke`.
/// A poll that fails ends `follow` with an error; the caller's next call
/// replays the window.
///
/// The file is opened as [`SqliteStore::open`] opens it (WAL, a busy
/// timeout of the operation timeout); the feed may share the store's file.
/// See [`SqlRevocationFeed`] for the table.
pub type SqliteRevocationFeed = SqlRevocationFeed<Sqlite>;

impl SqlRevocationFeed<Sqlite> {
    /// A feed in the database file at `path` (created if missing), with
    /// `config` (the table is the config's table name with `_revocations`).
    /// Opens the file lazily; fails only on an invalid setting.
    pub fn open(path: impl AsRef<Path>, config: SqlStoreConfig) -> Result<Self, ConfigError> {
        let store = SqliteStore::open(path, config.clone())?;
        Self::from_pool(store.pool().clone(), config)
    }

    /// A feed on a `sqlite:` URL, with `config`, as [`SqliteStore::with_url`]
    /// (`sqlite::memory:` gives a private in-memory database, for one
    /// process).
    pub fn with_url(url: &str, config: SqlStoreConfig) -> Result<Self, ConfigError> {
        let store = SqliteStore::with_url(url, config.clone())?;
        Self::from_pool(store.pool().clone(), config)
    }

    /// A feed connecting with `options`, to which it adds what
    /// [`SqliteStore::with_options`] adds (WAL, a busy timeout).
    pub fn with_options(
        options: SqliteConnectOptions,
        config: SqlStoreConfig,
    ) -> Result<Self, ConfigError> {
        let store = SqliteStore::with_options(options, config.clone())?;
        Self::from_pool(store.pool().clone(), config)
    }
}

impl Follow for Sqlite {
    async fn follow(inner: &FeedInner<Sqlite>, table: &RevocationTable) -> Result<(), StoreError> {
        let rows = inner
            .bounded(
                "replay revocations",
                sqlx::query(&inner.sql.replay)
                    .bind(db_time(table.window_start()))
                    .fetch_all(&inner.pool),
            )
            .await?;
        let mut cursor = Sqlite::deliver_rows(inner, table, &rows)?.unwrap_or(0);
        table.heard();
        loop {
            tokio::time::sleep(heartbeat(table)).await;
            // Page after page until a short one: each page moves the
            // cursor past its rows, so this ends.
            loop {
                let rows = inner
                    .bounded(
                        "poll revocations",
                        sqlx::query(&inner.sql.after)
                            .bind(cursor)
                            .fetch_all(&inner.pool),
                    )
                    .await?;
                if let Some(last) = Sqlite::deliver_rows(inner, table, &rows)? {
                    cursor = last;
                }
                if i64::try_from(rows.len()).unwrap_or(i64::MAX) < PAGE {
                    break;
                }
            }
            table.heard();
        }
    }
}
