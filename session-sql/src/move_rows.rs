//! The part of [`SessionStore::move_session`](session_core::store::SessionStore::move_session)
//! both SQL stores share: once a store has begun its transaction (and taken
//! whatever locks its database needs), the revision check, the delete and
//! the insert are the same statements in the same order.

use session_core::store::{Move, MoveOutcome};
use sqlx::{Database, Decode, Encode, Executor, FromRow, IntoArguments, Transaction, Type};

use crate::row::{Bound, bind_record, db_revision, db_time};
use crate::sql::Statements;

/// Carries out `step` inside `tx`, and ends `tx`: committed when the row
/// moved, rolled back otherwise.
///
/// With `expected`, the row at `from` must be live at `now` and at that
/// revision ([`MoveOutcome::Gone`], [`MoveOutcome::Conflict`]); a live row
/// already at `to` is a [`MoveOutcome::Conflict`] too, with the delete
/// undone. `rows_affected` reads a statement's result (sqlx has no trait
/// for it: each backend's result type has its own method).
pub(crate) async fn finish_move<DB>(
    mut tx: Transaction<'_, DB>,
    sql: &Statements,
    step: &Move,
    rows_affected: fn(&DB::QueryResult) -> u64,
) -> Result<MoveOutcome, sqlx::Error>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> <DB as Database>::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    (i64,): for<'r> FromRow<'r, DB::Row>,
{
    let (from, to, record, now) = (step.from(), step.to(), step.record(), step.now());
    let expected = step.expected();
    if let Some(expected) = expected {
        let current: Option<i64> = sqlx::query_scalar(&sql.revision_for_move)
            .bind(from.as_bytes().as_slice())
            .bind(db_time(now))
            .fetch_optional(&mut *tx)
            .await?;
        let refused = match current {
            None => Some(MoveOutcome::Gone),
            Some(revision) if revision != db_revision(expected) => Some(MoveOutcome::Conflict),
            Some(_) => None,
        };
        if let Some(outcome) = refused {
            // Ends the transaction (and releases its locks) now, not when
            // the connection is next used.
            tx.rollback().await?;
            return Ok(outcome);
        }
    }
    sqlx::query(&sql.delete)
        .bind(from.as_bytes().as_slice())
        .execute(&mut *tx)
        .await?;
    let bound = Bound::new(record);
    let created = bind_record(sqlx::query(&sql.create), to, &bound)
        .bind(db_time(now))
        .execute(&mut *tx)
        .await?;
    if rows_affected(&created) != 1 {
        // A live row holds `to`: undo the delete.
        tx.rollback().await?;
        return Ok(MoveOutcome::Conflict);
    }
    tx.commit().await?;
    Ok(MoveOutcome::Moved)
}
