//! [`Ops`]: what a [`SqlStore`](crate::SqlStore) does, written once for
//! both databases. The same statements (from [`Statements`]), the same row
//! codec, the same timeouts and error mapping; only what [`Driver`] names
//! differs: how a write transaction begins (and which locks it holds), and
//! how a statement's affected rows are read.

use std::fmt;
use std::future::Future;

use session_core::StoreError;
use session_core::store::{Move, MoveOutcome, Record, SaveOutcome, StoreKey, UserSession};
use sqlx::{
    ColumnIndex, Connection as _, Decode, Encode, Executor, FromRow, IntoArguments, Pool, Row, Type,
};

use crate::backend::{Driver, Write, begin_migration};
use crate::config::{ConfigError, Identifier, SqlStoreConfig};
use crate::row::{self, Bound, Columns, Unreadable, bind_record, db_revision, db_time};
use crate::sql::Statements;

/// Most batches one `delete_expired` call deletes.
const MAX_CLEANUP_BATCHES: usize = 1000;

/// What a store or a revocation feed holds: its pool, the statements of
/// its table (`S`, a store's by default) and its settings. Public in name
/// only, as a type in [`Ops`]' signatures must be.
pub struct Inner<DB: Driver, S = Statements> {
    /// The pool every operation runs on.
    pub(crate) pool: Pool<DB>,
    pub(crate) sql: S,
    /// The table's name as configured (schema-qualified), for log events.
    pub(crate) table: String,
    /// The settings it was built with: the timeouts and the cleanup batch.
    pub(crate) config: SqlStoreConfig,
}

impl<DB: Driver> fmt::Debug for Inner<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(DB::STORE)
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

impl<DB: Driver, S> Inner<DB, S> {
    /// On `pool` with `config`'s settings, for `table` (in `schema`) and
    /// its statements `sql`.
    pub(crate) fn with_sql(
        pool: Pool<DB>,
        config: &SqlStoreConfig,
        schema: Option<&Identifier>,
        table: &Identifier,
        sql: S,
    ) -> Self {
        Inner {
            pool,
            sql,
            table: table.display_in(schema),
            config: config.clone(),
        }
    }

    /// Runs `work` within the operation timeout, turning every driver error
    /// (pool timeout, refused or dropped connection, SQL error) and the
    /// timeout into [`StoreError::Unavailable`] naming the backend and the
    /// operation.
    pub(crate) async fn bounded<T>(
        &self,
        operation: &'static str,
        work: impl Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, StoreError> {
        let backend = DB::LABEL;
        let timeout = self.config.operation_timeout;
        match tokio::time::timeout(timeout, work).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(StoreError::with_source(
                format!("{backend} {operation}: {error}"),
                error,
            )),
            Err(_) => Err(StoreError::unavailable(format_args!(
                "{backend} {operation}: no answer within {timeout:?}"
            ))),
        }
    }
}

impl<DB: Driver> Inner<DB> {
    /// A store on `pool` with `config`'s table, timeout and cleanup batch.
    pub(crate) fn new(pool: Pool<DB>, config: &SqlStoreConfig) -> Result<Self, ConfigError> {
        let (schema, table) = config.identifiers()?;
        let sql = Statements::new(DB::DIALECT, schema.as_ref(), &table);
        Ok(Inner::with_sql(pool, config, schema.as_ref(), &table, sql))
    }

    /// The DDL `migrate` runs to create what is missing.
    pub(crate) fn migration_sql(&self) -> &str {
        &self.sql.migration
    }

    /// The statements that add the columns a table of the first schema
    /// lacks, one per line.
    pub(crate) fn upgrade_sql(&self) -> String {
        self.sql
            .add_columns
            .iter()
            .map(|(_, add)| format!("{add};\n"))
            .collect()
    }
}

/// A store's operations on database `Self`, one for each method of
/// [`SessionStore`](session_core::store::SessionStore) and of the stores'
/// maintenance.
///
/// A trait rather than methods bound by sqlx's long `where` clause, so that
/// the clause is written once, on the one `impl` below: a generic caller
/// (`SqlStore<DB>`) needs only `DB: Ops`. Public in name only, as a
/// requirement of [`Backend`](crate::Backend) must be.
pub trait Ops: Driver {
    /// See [`SessionStore::load`](session_core::store::SessionStore::load).
    fn load<'a>(
        inner: &'a Inner<Self>,
        key: &'a StoreKey,
        now: u64,
    ) -> impl Future<Output = Result<Option<Record>, StoreError>> + Send + 'a;
    /// See [`SessionStore::save`](session_core::store::SessionStore::save).
    fn save<'a>(
        inner: &'a Inner<Self>,
        key: &'a StoreKey,
        record: &'a Record,
        expected: Option<u64>,
        now: u64,
    ) -> impl Future<Output = Result<SaveOutcome, StoreError>> + Send + 'a;
    /// See [`SessionStore::move_session`](session_core::store::SessionStore::move_session).
    fn move_session<'a>(
        inner: &'a Inner<Self>,
        step: &'a Move,
    ) -> impl Future<Output = Result<MoveOutcome, StoreError>> + Send + 'a;
    /// See [`SessionStore::delete`](session_core::store::SessionStore::delete).
    fn delete<'a>(
        inner: &'a Inner<Self>,
        key: &'a StoreKey,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send + 'a;
    /// See [`SessionStore::touch`](session_core::store::SessionStore::touch).
    fn touch<'a>(
        inner: &'a Inner<Self>,
        key: &'a StoreKey,
        expires_at: u64,
        now: u64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send + 'a;
    /// See [`SessionStore::list_user`](session_core::store::SessionStore::list_user).
    fn list_user<'a>(
        inner: &'a Inner<Self>,
        namespace: &'a str,
        user: &'a str,
        now: u64,
    ) -> impl Future<Output = Result<Vec<UserSession>, StoreError>> + Send + 'a;
    /// See [`SessionStore::delete_user`](session_core::store::SessionStore::delete_user).
    fn delete_user<'a>(
        inner: &'a Inner<Self>,
        namespace: &'a str,
        user: &'a str,
        keep: Option<&'a StoreKey>,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send + 'a;
    /// Runs the DDL in one write transaction, so concurrent callers take
    /// turns and all but the first find everything in place: creates the
    /// table and indexes if missing, then adds each column of
    /// [`ADDED_COLUMNS`](crate::sql::ADDED_COLUMNS) the table lacks (one
    /// created by an earlier version).
    fn migrate(inner: &Inner<Self>) -> impl Future<Output = Result<(), StoreError>> + Send + '_;
    /// Deletes up to [`MAX_CLEANUP_BATCHES`] batches of rows expired at
    /// `now`: how many rows.
    fn delete_expired(
        inner: &Inner<Self>,
        now: u64,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send + '_;
}

/// The bounds are sqlx's for binding, running and decoding the columns'
/// types on `DB`; both `sqlx::Postgres` and `sqlx::Sqlite` meet them.
impl<DB> Ops for DB
where
    DB: Driver,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q [u8]>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'r> String: Decode<'r, DB> + Type<DB>,
    for<'r> Vec<u8>: Decode<'r, DB> + Type<DB>,
    (i64,): for<'r> FromRow<'r, DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn load(
        inner: &Inner<DB>,
        key: &StoreKey,
        now: u64,
    ) -> Result<Option<Record>, StoreError> {
        let query = sqlx::query(&inner.sql.load)
            .bind(key.as_bytes().as_slice())
            .bind(db_time(now));
        let row = inner
            .bounded("load", query.fetch_optional(&inner.pool))
            .await?;
        Ok(row.and_then(|row| inner.readable(Columns(&row).record())))
    }

    async fn save(
        inner: &Inner<DB>,
        key: &StoreKey,
        record: &Record,
        expected: Option<u64>,
        now: u64,
    ) -> Result<SaveOutcome, StoreError> {
        record.check_route(key)?;
        let bound = Bound::new(record);
        let query = match expected {
            None => bind_record(sqlx::query(&inner.sql.create), key, &bound).bind(db_time(now)),
            Some(expected) => bind_record(sqlx::query(&inner.sql.update), key, &bound)
                .bind(db_revision(expected))
                .bind(db_time(now)),
        };
        let done = inner.bounded("save", query.execute(&inner.pool)).await?;
        Ok(if DB::rows_affected(&done) == 1 {
            SaveOutcome::Saved
        } else {
            SaveOutcome::Conflict
        })
    }

    /// In the backend's write transaction (and locks): with `expected`, the
    /// row at `from` must be live at `now` and at that revision
    /// ([`MoveOutcome::Gone`], [`MoveOutcome::Conflict`]); a live row
    /// already at `to` is a [`MoveOutcome::Conflict`] too, with the delete
    /// undone. The transaction is committed when the row moved, rolled back
    /// otherwise.
    async fn move_session(inner: &Inner<DB>, step: &Move) -> Result<MoveOutcome, StoreError> {
        let (from, to, record, now) = (step.from(), step.to(), step.record(), step.now());
        let write = Write::Move {
            from: from.route(),
            to: to.route(),
        };
        inner
            .bounded("move_session", async {
                let mut tx = DB::begin_write(&inner.pool, write).await?;
                if let Some(expected) = step.expected() {
                    let current: Option<i64> = sqlx::query_scalar(&inner.sql.revision_for_move)
                        .bind(from.as_bytes().as_slice())
                        .bind(db_time(now))
                        .fetch_optional(&mut *tx)
                        .await?;
                    let refused = match current {
                        None => Some(MoveOutcome::Gone),
                        Some(revision) if revision != db_revision(expected) => {
                            Some(MoveOutcome::Conflict)
                        }
                        Some(_) => None,
                    };
                    if let Some(outcome) = refused {
                        // Ends the transaction (and releases its locks) now,
                        // not when the connection is next used.
                        tx.rollback().await?;
                        return Ok(outcome);
                    }
                }
                sqlx::query(&inner.sql.delete)
                    .bind(from.as_bytes().as_slice())
                    .execute(&mut *tx)
                    .await?;
                let bound = Bound::new(record);
                let created = bind_record(sqlx::query(&inner.sql.create), to, &bound)
                    .bind(db_time(now))
                    .execute(&mut *tx)
                    .await?;
                if DB::rows_affected(&created) != 1 {
                    // A live row holds `to`: undo the delete.
                    tx.rollback().await?;
                    return Ok(MoveOutcome::Conflict);
                }
                tx.commit().await?;
                Ok(MoveOutcome::Moved)
            })
            .await
    }

    async fn delete(inner: &Inner<DB>, key: &StoreKey) -> Result<bool, StoreError> {
        let query = sqlx::query(&inner.sql.delete).bind(key.as_bytes().as_slice());
        let done = inner.bounded("delete", query.execute(&inner.pool)).await?;
        Ok(DB::rows_affected(&done) > 0)
    }

    async fn touch(
        inner: &Inner<DB>,
        key: &StoreKey,
        expires_at: u64,
        now: u64,
    ) -> Result<bool, StoreError> {
        let query = sqlx::query(&inner.sql.touch)
            .bind(key.as_bytes().as_slice())
            .bind(db_time(now))
            .bind(db_time(expires_at))
            .bind(db_time(now));
        let done = inner.bounded("touch", query.execute(&inner.pool)).await?;
        Ok(DB::rows_affected(&done) > 0)
    }

    async fn list_user(
        inner: &Inner<DB>,
        namespace: &str,
        user: &str,
        now: u64,
    ) -> Result<Vec<UserSession>, StoreError> {
        let query = sqlx::query(&inner.sql.list_user)
            .bind(namespace)
            .bind(user)
            .bind(db_time(now));
        let rows = inner
            .bounded("list_user", query.fetch_all(&inner.pool))
            .await?;
        Ok(rows
            .iter()
            .filter_map(|row| inner.readable(Columns(row).user_session()))
            .collect())
    }

    /// One statement, on the pool or in the backend's write transaction
    /// (and locks) where it needs one.
    async fn delete_user(
        inner: &Inner<DB>,
        namespace: &str,
        user: &str,
        keep: Option<&StoreKey>,
    ) -> Result<usize, StoreError> {
        let query = match keep {
            Some(keep) => sqlx::query(&inner.sql.delete_user_keeping)
                .bind(namespace)
                .bind(user)
                .bind(keep.as_bytes().as_slice()),
            None => sqlx::query(&inner.sql.delete_user)
                .bind(namespace)
                .bind(user),
        };
        let done = inner
            .bounded("delete_user", async {
                if !DB::USER_DELETE_IN_TRANSACTION {
                    return query.execute(&inner.pool).await;
                }
                let write = Write::UserDelete(StoreKey::user_route(namespace, user));
                let mut tx = DB::begin_write(&inner.pool, write).await?;
                let done = query.execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(done)
            })
            .await?;
        Ok(usize::try_from(DB::rows_affected(&done)).unwrap_or(usize::MAX))
    }

    async fn migrate(inner: &Inner<DB>) -> Result<(), StoreError> {
        inner
            .bounded("migrate", async {
                let mut tx = begin_migration(&inner.pool, &inner.sql.migration).await?;
                // Only the columns that are missing: on PostgreSQL even an
                // `ADD COLUMN IF NOT EXISTS` takes the table's exclusive
                // lock, which every instance's start would queue requests
                // behind.
                let mut columns = sqlx::query(&inner.sql.columns);
                for arg in &inner.sql.columns_args {
                    columns = columns.bind(arg.as_str());
                }
                let present: Vec<String> = columns
                    .fetch_all(&mut *tx)
                    .await?
                    .iter()
                    .filter_map(|row| row.try_get::<String, usize>(0).ok())
                    .collect();
                for (column, add) in &inner.sql.add_columns {
                    if !present.iter().any(|name| name == column) {
                        sqlx::query(add).execute(&mut *tx).await?;
                    }
                }
                tx.commit().await
            })
            .await
    }

    /// In batches of `cleanup_batch` rows, one statement each (never one
    /// unbounded `DELETE`); the rest goes at the next call.
    async fn delete_expired(inner: &Inner<DB>, now: u64) -> Result<u64, StoreError> {
        let cleanup_batch = i64::from(inner.config.cleanup_batch);
        let mut deleted = 0;
        for _ in 0..MAX_CLEANUP_BATCHES {
            let query = sqlx::query(&inner.sql.delete_expired_batch)
                .bind(db_time(now))
                .bind(cleanup_batch);
            let done = inner
                .bounded("delete_expired", query.execute(&inner.pool))
                .await?;
            let batch = DB::rows_affected(&done);
            deleted += batch;
            if batch < cleanup_batch.unsigned_abs() {
                break;
            }
        }
        Ok(deleted)
    }
}

impl<DB: Driver> Inner<DB> {
    /// `decoded`, or `None` (the row reads as absent) after logging why it
    /// could not be read.
    fn readable<T>(&self, decoded: Result<T, Unreadable>) -> Option<T> {
        decoded
            .map_err(|unreadable| row::warn_unreadable(DB::LABEL, &self.table, &unreadable))
            .ok()
    }

    /// Checks the database answers: one connection from the pool, pinged,
    /// within the operation timeout.
    pub(crate) async fn ping(&self) -> Result<(), StoreError> {
        self.bounded("ping", async {
            let mut connection = self.pool.acquire().await?;
            connection.ping().await
        })
        .await
    }
}
