//! Between [`Record`]s and table rows: the integer conversions and the
//! decoding both stores share.
//!
//! Both databases have signed 64-bit integers only:
//!
//! - `revision` is stored bit for bit (`u64` reinterpreted as `i64`): only
//!   equality is ever asked of it, and equality survives the reinterpretation,
//!   so revisions near `u64::MAX` compare exactly.
//! - Times (`created_at`, `touched_at`, `expires_at`, and the caller's
//!   `now`) are clamped to `i64::MAX`, which keeps their order: a time past
//!   that (year 292 277 026 596) is stored as `i64::MAX` and reads back as
//!   it, and a row expiring then is live for every `now` before it.
//! - `version` (`u32`) fits as is.
//!
//! A stored value no `Record` can hold (a negative time or version, a
//! version over `u32::MAX`, a key that is not 32 bytes, a column of the
//! wrong type) makes the row unreadable, and an unreadable row is absent.
//! The metadata columns are the exception: `client_addr` and `user_agent`
//! are `NULL` when unknown (and in every row written before they existed),
//! and a value there that does not decode (not text, not an address) reads
//! as unknown, never as an unreadable row.

use std::net::IpAddr;

use session_core::fingerprint::Fingerprint;
use session_core::store::{Record, SessionMeta, StoreKey, UserSession};
use sqlx::query::Query;
use sqlx::{ColumnIndex, Database, Decode, Encode, Row, Type};

/// A time as stored: clamped to `i64::MAX`.
pub(crate) fn db_time(time: u64) -> i64 {
    i64::try_from(time).unwrap_or(i64::MAX)
}

/// A revision as stored: the same 64 bits.
pub(crate) fn db_revision(revision: u64) -> i64 {
    i64::from_ne_bytes(revision.to_ne_bytes())
}

fn revision_from_db(stored: i64) -> u64 {
    u64::from_ne_bytes(stored.to_ne_bytes())
}

/// A record's values in bind order (`$2..=$12` of the write statements).
pub(crate) struct Bound<'a> {
    pub(crate) namespace: &'a str,
    pub(crate) user: Option<&'a str>,
    pub(crate) version: i64,
    pub(crate) data: &'a [u8],
    pub(crate) revision: i64,
    pub(crate) created_at: i64,
    pub(crate) touched_at: i64,
    pub(crate) expires_at: i64,
    /// The client address as text (`NULL` when unknown).
    pub(crate) client_addr: Option<String>,
    pub(crate) user_agent: Option<&'a str>,
    /// The client fingerprint's bytes (`NULL` for a type without one).
    pub(crate) fingerprint: Option<&'a [u8]>,
}

impl<'a> Bound<'a> {
    pub(crate) fn new(record: &'a Record) -> Self {
        Bound {
            namespace: &record.namespace,
            user: record.user.as_deref(),
            version: i64::from(record.version),
            data: &record.data,
            revision: db_revision(record.revision),
            created_at: db_time(record.created_at),
            touched_at: db_time(record.touched_at),
            expires_at: db_time(record.expires_at),
            client_addr: record.meta.client_addr().map(|addr| addr.to_string()),
            user_agent: record.meta.user_agent(),
            fingerprint: record
                .meta
                .fingerprint()
                .map(|fingerprint| fingerprint.as_bytes().as_slice()),
        }
    }
}

/// `query` with `key` as `$1` and `record` as `$2..=$12`.
pub(crate) fn bind_record<'q, DB>(
    query: Query<'q, DB, <DB as Database>::Arguments<'q>>,
    key: &'q StoreKey,
    record: &'q Bound<'q>,
) -> Query<'q, DB, <DB as Database>::Arguments<'q>>
where
    DB: Database,
    &'q [u8]: Encode<'q, DB> + Type<DB>,
    &'q str: Encode<'q, DB> + Type<DB>,
    Option<&'q str>: Encode<'q, DB> + Type<DB>,
    Option<&'q [u8]>: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
{
    query
        .bind(key.as_bytes().as_slice())
        .bind(record.namespace)
        .bind(record.user)
        .bind(record.version)
        .bind(record.data)
        .bind(record.revision)
        .bind(record.created_at)
        .bind(record.touched_at)
        .bind(record.expires_at)
        .bind(record.client_addr.as_deref())
        .bind(record.user_agent)
        .bind(record.fingerprint)
}

/// Why a row could not be read: the column (never its value, which may be
/// session data).
#[derive(Debug)]
pub(crate) struct Unreadable {
    pub(crate) column: &'static str,
}

fn time(stored: i64, column: &'static str) -> Result<u64, Unreadable> {
    u64::try_from(stored).map_err(|_| Unreadable { column })
}

/// A row of either store statement that reads sessions, to decode.
pub(crate) struct Columns<'r, R>(pub(crate) &'r R);

/// The bounds are sqlx's for decoding the columns' types from `R`, written
/// once for every decoder of a row.
impl<'r, R> Columns<'r, R>
where
    R: Row,
    usize: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Vec<u8>: Decode<'r, R::Database> + Type<R::Database>,
{
    /// A row of [`RECORD_COLUMNS`](crate::sql::RECORD_COLUMNS) as a
    /// [`Record`].
    pub(crate) fn record(&self) -> Result<Record, Unreadable> {
        let version: i64 = self.get(2, "schema_version")?;
        Ok(Record {
            namespace: self.get(0, "namespace")?,
            user: self.get::<Option<String>>(1, "user_id")?,
            version: u32::try_from(version).map_err(|_| Unreadable {
                column: "schema_version",
            })?,
            data: self.get(3, "data")?,
            revision: revision_from_db(self.get(4, "revision")?),
            created_at: self.time(5, "created_at")?,
            touched_at: self.time(6, "touched_at")?,
            expires_at: self.time(7, "expires_at")?,
            meta: self.meta(8),
        })
    }

    /// A row of `store_key, created_at, touched_at, expires_at,
    /// client_addr, user_agent, fingerprint` as a [`UserSession`].
    pub(crate) fn user_session(&self) -> Result<UserSession, Unreadable> {
        let key: Vec<u8> = self.get(0, "store_key")?;
        let key: [u8; 32] = key.try_into().map_err(|_| Unreadable {
            column: "store_key",
        })?;
        Ok(UserSession {
            key: StoreKey::from_bytes(key),
            created_at: self.time(1, "created_at")?,
            touched_at: self.time(2, "touched_at")?,
            expires_at: self.time(3, "expires_at")?,
            meta: self.meta(4),
        })
    }

    /// Column `index` (named `column`) decoded as `T`.
    fn get<T>(&self, index: usize, column: &'static str) -> Result<T, Unreadable>
    where
        T: Decode<'r, R::Database> + Type<R::Database>,
    {
        self.0.try_get(index).map_err(|_| Unreadable { column })
    }

    /// Column `index` (named `column`): a time, never negative.
    fn time(&self, index: usize, column: &'static str) -> Result<u64, Unreadable> {
        time(self.get(index, column)?, column)
    }

    /// The metadata in columns `addr` (`client_addr`), `addr + 1`
    /// (`user_agent`) and `addr + 2` (`fingerprint`): what does not decode
    /// is unknown.
    fn meta(&self, addr: usize) -> SessionMeta {
        let row = self.0;
        let text = |index: usize| row.try_get::<Option<String>, usize>(index).ok().flatten();
        let client_addr = text(addr).and_then(|addr| addr.parse::<IpAddr>().ok());
        let fingerprint = row
            .try_get::<Option<Vec<u8>>, usize>(addr + 2)
            .ok()
            .flatten()
            .and_then(|bytes| Fingerprint::from_slice(&bytes));
        SessionMeta::new(client_addr, text(addr + 1).as_deref()).with_fingerprint(fingerprint)
    }
}

/// Logs an unreadable row (which then reads as absent), naming the table
/// and the column but none of the row's values.
pub(crate) fn warn_unreadable(backend: &'static str, table: &str, unreadable: &Unreadable) {
    tracing::warn!(
        target: crate::TRACING_TARGET,
        backend,
        table,
        column = unreadable.column,
        "session row could not be decoded; it reads as absent"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_keep_their_bits_and_times_their_order() {
        for revision in [0, 1, u64::MAX - 1, u64::MAX, 1 << 63] {
            assert_eq!(revision_from_db(db_revision(revision)), revision);
        }
        assert_ne!(db_revision(u64::MAX - 1), db_revision(u64::MAX));
        assert_eq!(db_time(u64::MAX), i64::MAX);
        assert_eq!(db_time(1_750_000_000), 1_750_000_000);
        assert!(db_time(u64::MAX) >= db_time(i64::MAX as u64));
        assert!(time(-1, "expires_at").is_err());
    }
}
