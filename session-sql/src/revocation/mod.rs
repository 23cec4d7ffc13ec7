//! [`SqlRevocationFeed`]: revocations of cookie-mode sessions carried by a
//! table, on either database: [`PostgresRevocationFeed`](crate::PostgresRevocationFeed)
//! (with `LISTEN`/`NOTIFY`) and [`SqliteRevocationFeed`](crate::SqliteRevocationFeed)
//! (polled). The table, its statements, publishing and reading rows are
//! written once here; how a follower learns of new rows is each
//! database's own ([`Follow`], in `postgres.rs` and `sqlite.rs`).

#[cfg(feature = "postgres")]
pub(crate) mod postgres;
#[cfg(feature = "sqlite")]
pub(crate) mod sqlite;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use session_core::revocation::{FeedFuture, Revocation, RevocationFeed, RevocationTable, Revoked};
use session_core::{Namespace, StoreError};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Row, Type};

use crate::backend::{Backend, Driver, Write, begin_migration};
use crate::config::{ConfigError, Identifier, SqlStoreConfig, derived_name};
use crate::row::db_time;
use crate::shared::Inner;
use crate::sql::{Dialect, Placement, with_question_marks};

/// Rows read per statement when a follower polls for new ones.
const PAGE: i64 = 1000;

/// The shortest wait between a follower's round trips, whatever the
/// table's heartbeat says (a zero heartbeat would make it spin).
const MIN_HEARTBEAT: Duration = Duration::from_millis(1);

/// How long a follower waits before proving the feed alive again.
fn heartbeat(table: &RevocationTable) -> Duration {
    table.heartbeat().max(MIN_HEARTBEAT)
}

/// Revocations in one SQL table, on database `DB`: use it as
/// [`PostgresRevocationFeed`](crate::PostgresRevocationFeed) or
/// [`SqliteRevocationFeed`](crate::SqliteRevocationFeed), whose pages give
/// each database's constructors and how its followers learn of new rows.
///
/// # The table
///
/// `<table>_revocations` next to the store's table (the
/// [`SqlStoreConfig`]'s table and schema; a name past 63 bytes is cut and
/// hashed as index names are), created by [`migrate`](Self::migrate) or by
/// running [`migration_sql`](Self::migration_sql) with your own tool:
///
/// | column | PostgreSQL | SQLite | holds |
/// |---|---|---|---|
/// | `id` | `BIGINT` identity, primary key | `INTEGER PRIMARY KEY AUTOINCREMENT` | the order of publication |
/// | `namespace` | `TEXT` | `TEXT` | the namespace revoked |
/// | `user_key` | `TEXT` null | `TEXT` null | the user revoked; null: every user |
/// | `at` | `BIGINT` | `INTEGER` | unix seconds: sessions begun before it end |
///
/// with an index on `at`. A `publish` is one transaction: delete the rows
/// older than the window (`at < keep_since`), insert the new one (and, on
/// PostgreSQL, `NOTIFY`). A row that cannot be read as a revocation (a
/// namespace or user key out of the rules, a negative `at`) is skipped
/// with a `tracing::warn!` (target `session_seal`) naming the table, the
/// row's id and the column, never its contents.
///
/// Cloning is cheap and shares the pool. `Debug` shows the backend and the
/// table, never a URL.
pub struct SqlRevocationFeed<DB: Backend> {
    inner: Arc<FeedInner<DB>>,
}

impl<DB: Backend> Clone for SqlRevocationFeed<DB> {
    fn clone(&self) -> Self {
        SqlRevocationFeed {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<DB: Backend> fmt::Debug for SqlRevocationFeed<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlRevocationFeed")
            .field("backend", &DB::LABEL)
            .field("table", &self.inner.table)
            .finish_non_exhaustive()
    }
}

impl<DB: Backend> SqlRevocationFeed<DB> {
    /// A feed on an existing pool (its own acquire timeout and size apply;
    /// `config` names the table and bounds each operation).
    pub fn from_pool(pool: Pool<DB>, config: SqlStoreConfig) -> Result<Self, ConfigError> {
        Ok(SqlRevocationFeed {
            inner: Arc::new(FeedInner::for_feed(pool, &config)?),
        })
    }

    /// The pool, for the application's own queries or for closing it.
    pub fn pool(&self) -> &Pool<DB> {
        &self.inner.pool
    }

    /// The table's name, schema-qualified if configured (for operators
    /// and tests).
    pub fn table_name(&self) -> &str {
        &self.inner.table
    }

    /// The DDL [`migrate`](Self::migrate) runs: the schema (PostgreSQL, if
    /// configured), the table and its index, all `IF NOT EXISTS`. For
    /// applying the schema with your own migration tool instead.
    pub fn migration_sql(&self) -> &str {
        &self.inner.sql.migration
    }

    /// Creates the table and its index if they do not exist. Safe to run
    /// from several instances at once, as the store's `migrate` is.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        DB::migrate_revocations(&self.inner).await
    }
}

impl<DB: Backend> RevocationFeed for SqlRevocationFeed<DB> {
    fn publish<'a>(&'a self, revocation: &'a Revocation, keep_since: u64) -> FeedFuture<'a, ()> {
        Box::pin(DB::publish_revocation(&self.inner, revocation, keep_since))
    }

    fn follow<'a>(&'a self, table: &'a RevocationTable) -> FeedFuture<'a, ()> {
        Box::pin(DB::follow(&self.inner, table))
    }
}

/// What a feed holds: its pool, its statements and its settings, as a
/// store does. Public in name only, as a type in [`FeedSql`]' signatures
/// must be.
pub type FeedInner<DB> = Inner<DB, FeedStatements>;

impl<DB: Driver> FeedInner<DB> {
    /// A feed on `pool` with `config`'s settings, on the table named after
    /// `config`'s with `_revocations`.
    fn for_feed(pool: Pool<DB>, config: &SqlStoreConfig) -> Result<Self, ConfigError> {
        let (schema, table) = config.identifiers()?;
        let revocations = table.derived_identifier("revocations");
        let channel = match &schema {
            Some(schema) => derived_name(
                &format!("{}_{}", schema.as_str(), table.as_str()),
                "revocations",
            ),
            None => revocations.as_str().to_owned(),
        };
        let sql = FeedStatements::new(DB::DIALECT, schema.as_ref(), &revocations, channel);
        Ok(Inner::with_sql(
            pool,
            config,
            schema.as_ref(),
            &revocations,
            sql,
        ))
    }

    /// Applies the revocation of a message (a `NOTIFY` payload) if it is in
    /// the window; skips (and logs) one that is not a revocation.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    fn deliver_message(&self, table: &RevocationTable, message: &str) {
        match Revocation::from_message(message.as_bytes()) {
            Ok(revocation) => deliver(table, &revocation),
            Err(error) => tracing::warn!(
                target: crate::TRACING_TARGET,
                backend = DB::LABEL,
                table = %self.table,
                %error,
                "skipped a revocation notification that is not a revocation"
            ),
        }
    }
}

/// Applies `revocation` if it is in the window: older ones are neither
/// kept nor delivered.
fn deliver(table: &RevocationTable, revocation: &Revocation) {
    if revocation.at() >= table.window_start() {
        table.apply(revocation);
    }
}

/// The statements of a feed's table, rendered for one database, and its
/// `NOTIFY` channel. Public in name only, as a type in [`FeedInner`] must
/// be.
#[derive(Debug)]
pub struct FeedStatements {
    /// The `NOTIFY` channel (PostgreSQL): a plain identifier of at most 63
    /// bytes, derived from the schema and table names.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    channel: String,
    /// The DDL `migrate` runs (several statements).
    migration: String,
    /// `$1` keep_since: deletes the rows older than the window.
    prune: String,
    /// `$1` namespace, `$2` user key (null: every user), `$3` at.
    insert: String,
    /// `$1` channel, `$2` message (PostgreSQL only).
    notify: Option<String>,
    /// `$1` window start → `id, namespace, user_key, at` of the window's
    /// rows and of the last row, by id; one statement, so one snapshot.
    replay: String,
    /// `$1` id → the next [`PAGE`] rows after it, by id.
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    after: String,
}

impl FeedStatements {
    fn new(
        dialect: Dialect,
        schema: Option<&Identifier>,
        table: &Identifier,
        channel: String,
    ) -> Self {
        let place = Placement::new(dialect, schema, table);
        let t = &place.qualified;
        let columns = "id, namespace, user_key, at";
        let statements = FeedStatements {
            channel,
            migration: migration(&place),
            prune: format!("DELETE FROM {t} WHERE at < $1"),
            insert: format!("INSERT INTO {t} (namespace, user_key, at) VALUES ($1, $2, $3)"),
            notify: (dialect == Dialect::Postgres).then(|| "SELECT pg_notify($1, $2)".to_owned()),
            replay: format!(
                "SELECT {columns} FROM {t} \
                 WHERE at >= $1 OR id = (SELECT max(id) FROM {t}) ORDER BY id"
            ),
            after: format!("SELECT {columns} FROM {t} WHERE id > $1 ORDER BY id LIMIT {PAGE}"),
        };
        match dialect {
            Dialect::Postgres => statements,
            // `$n` → `?n`, but not in the DDL (which has no parameters).
            Dialect::Sqlite => {
                let q = with_question_marks;
                FeedStatements {
                    channel: statements.channel,
                    migration: statements.migration,
                    prune: q(statements.prune),
                    insert: q(statements.insert),
                    notify: statements.notify.map(q),
                    replay: q(statements.replay),
                    after: q(statements.after),
                }
            }
        }
    }
}

/// The table and its index on `at`.
fn migration(place: &Placement<'_>) -> String {
    let (id, integer, table_options) = match place.dialect() {
        Dialect::Postgres => (
            "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
            "BIGINT",
            "",
        ),
        // AUTOINCREMENT: an id is never used again, even after the last
        // row is deleted, so a follower's cursor never skips a new row.
        Dialect::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER", " STRICT"),
    };
    let create_schema = place.create_schema();
    let qualified = &place.qualified;
    let at_index = place.create_index("at_idx", "(at)");
    format!(
        "{create_schema}\
CREATE TABLE IF NOT EXISTS {qualified} (
    id        {id},
    namespace TEXT NOT NULL,
    user_key  TEXT,
    at        {integer} NOT NULL,
    CHECK (at >= 0)
){table_options};
{at_index}"
    )
}

/// A feed's operations on database `Self` that are the same SQL on both:
/// migrating, publishing, reading rows. Public in name only, as a
/// requirement of [`Backend`] must be.
pub trait FeedSql: Driver {
    /// Runs the DDL in one write transaction.
    fn migrate_revocations(
        inner: &FeedInner<Self>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + '_;
    /// Prunes, inserts (and notifies) in one transaction.
    fn publish_revocation<'a>(
        inner: &'a FeedInner<Self>,
        revocation: &'a Revocation,
        keep_since: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a;
    /// Applies the revocations of `rows` (of the `replay` or `after`
    /// statement) that are in the window; returns the last row's id.
    fn deliver_rows(
        inner: &FeedInner<Self>,
        table: &RevocationTable,
        rows: &[Self::Row],
    ) -> Result<Option<i64>, StoreError>;
}

/// How a follower of database `Self` learns of new rows. Public in name
/// only, as a requirement of [`Backend`] must be.
pub trait Follow: FeedSql {
    /// See [`RevocationFeed::follow`].
    fn follow<'a>(
        inner: &'a FeedInner<Self>,
        table: &'a RevocationTable,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a;
}

/// The bounds are sqlx's for binding, running and decoding the columns'
/// types on `DB`; both `sqlx::Postgres` and `sqlx::Sqlite` meet them.
impl<DB> FeedSql for DB
where
    DB: Driver,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'r> String: Decode<'r, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn migrate_revocations(inner: &FeedInner<DB>) -> Result<(), StoreError> {
        inner
            .bounded("migrate revocations", async {
                begin_migration(&inner.pool, &inner.sql.migration)
                    .await?
                    .commit()
                    .await
            })
            .await
    }

    async fn publish_revocation(
        inner: &FeedInner<DB>,
        revocation: &Revocation,
        keep_since: u64,
    ) -> Result<(), StoreError> {
        let user = match revocation.revoked() {
            Revoked::User(user) => Some(user.as_str()),
            Revoked::AllUsers => None,
        };
        let message = revocation.to_message();
        inner
            .bounded("publish revocation", async {
                let mut tx = DB::begin_write(&inner.pool, Write::Revocation).await?;
                sqlx::query(&inner.sql.prune)
                    .bind(db_time(keep_since))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(&inner.sql.insert)
                    .bind(revocation.namespace().as_str())
                    .bind(user)
                    .bind(db_time(revocation.at()))
                    .execute(&mut *tx)
                    .await?;
                if let Some(notify) = &inner.sql.notify {
                    // Delivered to the listeners at commit, with the row.
                    sqlx::query(notify)
                        .bind(inner.sql.channel.as_str())
                        .bind(message.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await
            })
            .await
    }

    fn deliver_rows(
        inner: &FeedInner<DB>,
        table: &RevocationTable,
        rows: &[DB::Row],
    ) -> Result<Option<i64>, StoreError> {
        let mut last = None;
        for row in rows {
            let id: i64 = row.try_get(0).map_err(|error| {
                StoreError::with_source(format!("{} revocations: {error}", DB::LABEL), error)
            })?;
            last = Some(id);
            match revocation(row) {
                Ok(revocation) => deliver(table, &revocation),
                Err(column) => tracing::warn!(
                    target: crate::TRACING_TARGET,
                    backend = DB::LABEL,
                    table = %inner.table,
                    id,
                    column,
                    "skipped a revocation row that cannot be read"
                ),
            }
        }
        Ok(last)
    }
}

/// The revocation in `row` (`id, namespace, user_key, at`), or the column
/// that does not hold one.
fn revocation<R>(row: &R) -> Result<Revocation, &'static str>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let namespace: String = row.try_get(1).map_err(|_| "namespace")?;
    let namespace = Namespace::new(&namespace).map_err(|_| "namespace")?;
    let user: Option<String> = row.try_get(2).map_err(|_| "user_key")?;
    let at: i64 = row.try_get(3).map_err(|_| "at")?;
    let at = u64::try_from(at).map_err(|_| "at")?;
    match user {
        Some(user) => Revocation::user(namespace, user, at).map_err(|_| "user_key"),
        None => Ok(Revocation::all_users(namespace, at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::test_table as ident;

    #[test]
    fn statements_are_rendered_for_each_database() {
        let table = ident("s").derived_identifier("revocations");
        let sqlite = FeedStatements::new(Dialect::Sqlite, None, &table, String::new());
        assert!(
            sqlite
                .migration
                .contains("INTEGER PRIMARY KEY AUTOINCREMENT")
        );
        assert!(sqlite.migration.contains(") STRICT;"));
        assert_eq!(sqlite.prune, "DELETE FROM \"s_revocations\" WHERE at < ?1");
        assert!(sqlite.notify.is_none());
        assert!(
            sqlite
                .after
                .ends_with("WHERE id > ?1 ORDER BY id LIMIT 1000")
        );
        let postgres = FeedStatements::new(
            Dialect::Postgres,
            Some(&ident("auth")),
            &table,
            String::new(),
        );
        assert!(
            postgres
                .migration
                .starts_with("CREATE SCHEMA IF NOT EXISTS \"auth\";")
        );
        assert!(
            postgres
                .migration
                .contains("\"s_revocations_at_idx\" ON \"auth\".\"s_revocations\" (at)")
        );
        assert_eq!(postgres.notify.as_deref(), Some("SELECT pg_notify($1, $2)"));
    }

    #[test]
    fn names_and_channels_fit_in_63_bytes() {
        let long = "t".repeat(63);
        let config = SqlStoreConfig::default().table(&long).schema(&long);
        let (schema, table) = config.identifiers().expect("valid");
        let revocations = table.derived_identifier("revocations");
        assert_eq!(revocations.as_str().len(), 63);
        assert!(revocations.as_str().ends_with("_revocations"));
        let channel = derived_name(
            &format!("{}_{}", schema.expect("set").as_str(), table.as_str()),
            "revocations",
        );
        assert_eq!(channel.len(), 63);
        assert!(Identifier::parse("channel", &channel).is_ok());
        assert_eq!(
            ident("sessions").derived_identifier("revocations").as_str(),
            "sessions_revocations"
        );
    }
}
