//! [`PostgresStore`]: store-mode sessions in PostgreSQL (feature `postgres`).

use std::str::FromStr;

use sqlx::Transaction;
use sqlx::postgres::{PgConnectOptions, PgPool, PgQueryResult, Postgres};

use crate::SqlStore;
use crate::backend::{Backend, Driver, Write};
use crate::config::{ConfigError, SqlStoreConfig};
use crate::sql::Dialect;

/// First key of the advisory locks this store takes (`"SSM1"`/`"SSR1"` in
/// ASCII), so they do not collide with an application's own: the
/// migration's lock, and one lock per route (the second key).
const MIGRATION_LOCK: i32 = 0x5353_4D31;
const ROUTE_LOCK: i32 = 0x5353_5231;

/// Store-mode sessions in one PostgreSQL table: the production backend
/// for several app servers sharing one database.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use session_sql::{PostgresStore, SqlStoreConfig};
///
/// let store = PostgresStore::with_config(
///     "postgres://app:secret@127.0.0.1:5432/app",
///     SqlStoreConfig::default().table("sessions"),
/// )?;
/// store.migrate().await?; // idempotent; safe from every instance at once
/// tokio::spawn(store.clone().continuously_delete_expired(std::time::Duration::from_secs(300)));
/// # Ok(()) }
/// ```
///
/// [`migrate`](SqlStore::migrate) and
/// [`delete_expired`](SqlStore::delete_expired) are safe from every
/// instance at once. Cloning is cheap and shares the pool. See the
/// [crate docs](crate) for the schema, the cost of each operation and how
/// outages are reported.
pub type PostgresStore = SqlStore<Postgres>;

impl SqlStore<Postgres> {
    /// A store on `url` (`postgres://user:password@host:port/database`)
    /// with the default [`SqlStoreConfig`]. Connects lazily: the first
    /// operation (or [`migrate`](SqlStore::migrate)) opens the first connection.
    pub fn new(url: &str) -> Result<Self, ConfigError> {
        Self::with_config(url, SqlStoreConfig::default())
    }

    /// A store on `url` with `config`. Connects lazily; fails only on an
    /// unparsable URL or an invalid setting (a table or schema name that is
    /// not a plain identifier, say).
    pub fn with_config(url: &str, config: SqlStoreConfig) -> Result<Self, ConfigError> {
        let options = PgConnectOptions::from_str(url).map_err(|error| ConfigError::InvalidUrl {
            message: error.to_string(),
        })?;
        Self::with_options(options, config)
    }

    /// A store connecting with `options` (for settings a URL cannot carry).
    pub fn with_options(
        options: PgConnectOptions,
        config: SqlStoreConfig,
    ) -> Result<Self, ConfigError> {
        Self::connect_lazy(options, config)
    }
}

impl Backend for Postgres {}

impl Driver for Postgres {
    const LABEL: &'static str = "postgres";
    const STORE: &'static str = "PostgresStore";
    const DIALECT: Dialect = Dialect::Postgres;
    /// For the route's advisory lock (see `begin_write`).
    const USER_DELETE_IN_TRANSACTION: bool = true;

    fn rows_affected(done: &PgQueryResult) -> u64 {
        done.rows_affected()
    }

    /// Begins a transaction and takes `write`'s transaction-level advisory
    /// locks, which it holds until it ends.
    async fn begin_write(
        pool: &PgPool,
        write: Write,
    ) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        let mut tx = pool.begin().await?;
        let lock = match write {
            // A revocation's prune and insert need no lock of ours.
            Write::Revocation => return Ok(tx),
            // Concurrent migrations take turns.
            Write::Migration => {
                sqlx::query("SELECT pg_advisory_xact_lock($1, 0)").bind(MIGRATION_LOCK)
            }
            // The routes' locks order this move with a `delete_user` of
            // either user (whose rows all live on their route): without
            // them, a logout-everywhere that started before the move
            // commits would miss the new row. Taken in ascending order so
            // two moves cannot deadlock.
            Write::Move { from, to } => {
                let (low, high) = if from <= to { (from, to) } else { (to, from) };
                sqlx::query("SELECT pg_advisory_xact_lock($1, $2), pg_advisory_xact_lock($1, $3)")
                    .bind(ROUTE_LOCK)
                    .bind(i32::from(low))
                    .bind(i32::from(high))
            }
            // Waits for a move of this user's session, so the DELETE that
            // follows sees the row it wrote. Under READ COMMITTED a lone
            // DELETE takes its snapshot first, waits on the old row's lock,
            // then skips it as deleted and never sees the new one: without
            // this lock the conformance race
            // (`move_session_racing_delete_user_never_leaves_a_live_row`)
            // failed most of the time.
            Write::UserDelete(route) => sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
                .bind(ROUTE_LOCK)
                .bind(i32::from(route)),
        };
        lock.execute(&mut *tx).await?;
        Ok(tx)
    }
}
