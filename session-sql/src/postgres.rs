//! [`PostgresStore`]: store-mode sessions in PostgreSQL (feature `postgres`).

use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use session_core::StoreError;
use session_core::store::{
    Move, MoveOutcome, Record, SaveOutcome, SessionStore, StoreFuture, StoreKey, UserSession,
};
use sqlx::Executor as _;
use sqlx::postgres::{PgConnectOptions, PgPool};

use crate::config::{ConfigError, SqlStoreConfig};
use crate::move_rows::finish_move;
use crate::row::{self, Bound, bind_record, db_revision, db_time};
use crate::sql::{Dialect, Statements};

const BACKEND: &str = "postgres";

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
/// Cloning is cheap and shares the pool. See the [crate docs](crate) for
/// the schema, the cost of each operation and how outages are reported.
#[derive(Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    sql: Statements,
    table: String,
    operation_timeout: Duration,
    cleanup_batch: i64,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("table", &self.inner.table)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// A store on `url` (`postgres://user:password@host:port/database`)
    /// with the default [`SqlStoreConfig`]. Connects lazily: the first
    /// operation (or [`migrate`](Self::migrate)) opens the first connection.
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
        config.identifiers()?;
        let pool = crate::pool_options(&config).connect_lazy_with(options);
        Self::from_pool(pool, config)
    }

    /// A store on an existing pool (its own acquire timeout and size apply;
    /// those of `config` are ignored).
    pub fn from_pool(pool: PgPool, config: SqlStoreConfig) -> Result<Self, ConfigError> {
        let (schema, table) = config.identifiers()?;
        let sql = Statements::new(Dialect::Postgres, schema.as_ref(), &table);
        let table = match &schema {
            Some(schema) => format!("{}.{}", schema.as_str(), table.as_str()),
            None => table.as_str().to_owned(),
        };
        Ok(PostgresStore {
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
    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    /// The DDL [`migrate`](Self::migrate) runs: the schema (if configured),
    /// the table and its two indexes, all `IF NOT EXISTS`. For applying the
    /// schema with your own migration tool instead.
    pub fn migration_sql(&self) -> &str {
        &self.inner.sql.migration
    }

    /// Creates the table and its indexes if they do not exist.
    ///
    /// Safe to run from several instances at once: the DDL runs in one
    /// transaction under a transaction-level advisory lock, so concurrent
    /// callers take turns and all but the first find everything in place.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.bounded("migrate", self.migrate_in_transaction()).await
    }

    async fn migrate_in_transaction(&self) -> Result<(), sqlx::Error> {
        let mut tx = self.inner.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1, 0)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *tx)
            .await?;
        // Through `Executor` (a boxed future): `RawSql::execute`'s future
        // is not `Send` for every lifetime, which `tokio::spawn` needs.
        (&mut *tx)
            .execute(sqlx::raw_sql(&self.inner.sql.migration))
            .await?;
        tx.commit().await
    }

    async fn move_in_transaction(&self, step: &Move) -> Result<MoveOutcome, sqlx::Error> {
        let sql = &self.inner.sql;
        let mut tx = self.inner.pool.begin().await?;
        // The routes' locks order this move with a `delete_user` of either
        // user (whose rows all live on their route): without them, a
        // logout-everywhere that started before the move commits would miss
        // the new row. Taken in ascending order so two moves cannot deadlock.
        let (from, to) = (step.from().route(), step.to().route());
        let (low, high) = if from <= to { (from, to) } else { (to, from) };
        sqlx::query("SELECT pg_advisory_xact_lock($1, $2), pg_advisory_xact_lock($1, $3)")
            .bind(ROUTE_LOCK)
            .bind(i32::from(low))
            .bind(i32::from(high))
            .execute(&mut *tx)
            .await?;
        finish_move(tx, sql, step, sqlx::postgres::PgQueryResult::rows_affected).await
    }

    async fn delete_user_rows(
        &self,
        namespace: &str,
        user: &str,
        keep: Option<&StoreKey>,
    ) -> Result<u64, sqlx::Error> {
        let sql = &self.inner.sql;
        let mut tx = self.inner.pool.begin().await?;
        // See `move_in_transaction`: waits for a move of this user's
        // session, so the DELETE below sees the row it wrote. Under READ
        // COMMITTED a lone DELETE takes its snapshot first, waits on the
        // old row's lock, then skips it as deleted and never sees the new
        // one: without this lock the conformance race
        // (`move_session_racing_delete_user_never_leaves_a_live_row`)
        // failed in 4 of 6 runs.
        sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
            .bind(ROUTE_LOCK)
            .bind(i32::from(StoreKey::user_route(namespace, user)))
            .execute(&mut *tx)
            .await?;
        let deleted = match keep {
            Some(keep) => {
                sqlx::query(&sql.delete_user_keeping)
                    .bind(namespace)
                    .bind(user)
                    .bind(keep.as_bytes().as_slice())
                    .execute(&mut *tx)
                    .await?
            }
            None => {
                sqlx::query(&sql.delete_user)
                    .bind(namespace)
                    .bind(user)
                    .execute(&mut *tx)
                    .await?
            }
        };
        tx.commit().await?;
        Ok(deleted.rows_affected())
    }
}

crate::store_impl::impl_session_store!(PostgresStore);
crate::store_impl::impl_shared_methods!(
    PostgresStore,
    "Rows locked by another instance's cleanup are skipped, so several instances may run it at once."
);
