//! [`Backend`]: the databases a [`SqlStore`](crate::SqlStore) runs on, and
//! [`Driver`]: the little that sets one apart from the other. Everything
//! else a store does is written once, in [`crate::shared`].

use std::future::Future;

use sqlx::{Database, Executor, Pool, Transaction};

use crate::revocation::Follow;
use crate::shared::Ops;
use crate::sql::Dialect;

/// A database a [`SqlStore`](crate::SqlStore) and a
/// [`SqlRevocationFeed`](crate::SqlRevocationFeed) run on: `sqlx::Postgres`
/// ([`PostgresStore`](crate::PostgresStore), feature `postgres`) or
/// `sqlx::Sqlite` ([`SqliteStore`](crate::SqliteStore), feature `sqlite`).
///
/// Sealed: its supertraits are private to this crate, so no other crate can
/// implement it, and it has no items of its own to call.
pub trait Backend: Ops + Follow {}

/// What a write transaction is for, so that a backend can take the locks
/// that purpose needs.
// Only PostgreSQL's locks read the routes: SQLite's one write lock covers
// every write alike.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
#[derive(Clone, Copy, Debug)]
pub enum Write {
    /// `migrate`'s DDL.
    Migration,
    /// A `move_session` from a key on route `from` to a key on route `to`.
    Move {
        /// The route of the key the session leaves.
        from: u16,
        /// The route of the key the session moves to.
        to: u16,
    },
    /// A `delete_user` of the user on this route.
    UserDelete(u16),
    /// A revocation feed's publish (prune and insert): no lock of its own.
    Revocation,
}

/// What differs between the databases: implemented for `sqlx::Postgres`
/// and `sqlx::Sqlite`, next to their constructors.
///
/// Public in name only (it is not reachable from outside the crate), as a
/// requirement of [`Backend`] must be.
pub trait Driver: Database {
    /// The backend's name in errors and log events.
    const LABEL: &'static str;
    /// The public store type's name, for its `Debug` output.
    const STORE: &'static str;
    /// The SQL its statements are rendered in.
    const DIALECT: Dialect;
    /// Whether `delete_user` runs in a transaction from
    /// [`begin_write`](Self::begin_write) (for its locks) rather than as
    /// one statement on the pool.
    const USER_DELETE_IN_TRANSACTION: bool;

    /// The rows a statement affected (sqlx has no trait for it: each
    /// backend's result type has its own method).
    fn rows_affected(done: &Self::QueryResult) -> u64;

    /// Begins a write transaction on `pool` for `write`, holding whatever
    /// locks that write must take before its first statement.
    fn begin_write(
        pool: &Pool<Self>,
        write: Write,
    ) -> impl Future<Output = Result<Transaction<'static, Self>, sqlx::Error>> + Send;
}

/// Begins a [`Write::Migration`] transaction on `pool` and runs `script`
/// (the DDL of a store or feed table) in it; the caller adds what else the
/// migration needs and commits.
pub(crate) async fn begin_migration<DB>(
    pool: &Pool<DB>,
    script: &str,
) -> Result<Transaction<'static, DB>, sqlx::Error>
where
    DB: Driver,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    let mut tx = DB::begin_write(pool, Write::Migration).await?;
    // Through `Executor` (a boxed future): `RawSql::execute`'s future is
    // not `Send` for every lifetime, which `tokio::spawn` needs.
    (&mut *tx).execute(sqlx::raw_sql(script)).await?;
    Ok(tx)
}
