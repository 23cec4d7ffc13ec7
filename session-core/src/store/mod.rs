//! Server-side store mode: the [`SessionStore`] trait, its row type
//! [`Record`] (with the login's [`SessionMeta`]), the ids and keys, and the
//! in-memory backend [`MemoryStore`].
//! Other backends live in crates of their own (Redis: `session-redis`).
//!
//! A session type declared with `#[session(store)]` keeps its payload here;
//! its cookie carries only a [`SessionId`] sealed under the same envelope and
//! bindings as a cookie-mode payload (namespace, cookie name, version,
//! expiry). The id is hashed into a [`StoreKey`] before any store sees it.
//!
//! # The contract every backend keeps
//!
//! - Rows are addressed by [`StoreKey`] only; the raw id never reaches a store.
//! - A row whose `expires_at` is at or before the caller's `now` reads as
//!   absent; backends may also drop it by themselves (TTL).
//! - A row the backend cannot decode reads as absent, never as an error.
//! - [`SessionStore::save`] is a compare-and-set on [`Record::revision`]: it
//!   writes only if the row's revision is the one the caller read (or, for a
//!   new session, if there is no row), so two writers racing on one session
//!   cannot overwrite each other silently; the loser gets
//!   [`SaveOutcome::Conflict`]. Of many requests creating one key at once
//!   (`expected = None`), exactly one writes: hybrid sessions take their
//!   renewal lease this way ([`refresh`]).
//! - [`SessionStore::move_session`] replaces a session's key in one atomic
//!   step (renewal and re-login): the new row is created only if the old one
//!   is still there at the revision the caller read, and the old row and its
//!   index entry go in the same step. A logout, ban or eviction that lands
//!   while a request renews is therefore never undone, and a concurrent
//!   update is never overwritten.
//! - Rows with a [`Record::user`] are indexed per `(namespace, user)` so that
//!   all of one user's sessions can be listed and ended. Such a row is only
//!   ever stored under a key on its user's route ([`StoreKey`]'s routes);
//!   `save` and `move_session` refuse anything else with
//!   [`StoreError::Misrouted`] ([`Record::check_route`]), so a sharded
//!   backend can keep a user's rows and index together.
//! - A row's [`Record::meta`] is stored and read back as written (save,
//!   move) and listed by [`SessionStore::list_user`]; a row written without
//!   it (or by a version that did not store it) reads back with
//!   [`SessionMeta::NONE`]. Metadata never makes a row unreadable: a stored
//!   value that does not decode reads as absent metadata.
//! - Errors are only for an unusable backend ([`StoreError`]); callers answer
//!   them with 503, never by treating the session as absent.
//!
//! Methods return boxed futures ([`StoreFuture`]) so the trait can be used as
//! `Arc<dyn SessionStore>`; an implementation wraps its body in
//! `Box::pin(async move { … })`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

pub use crate::error::StoreError;

#[cfg(feature = "testing")]
pub mod conformance;
mod id;
mod memory;
mod meta;
mod per_user;
pub mod refresh;
mod request;
#[cfg(test)]
mod tests;

pub use id::{SESSION_ID_LEN, SessionId, StoreKey};
pub use memory::MemoryStore;
pub use meta::SessionMeta;
pub use per_user::{SessionStoreExt, enforce_max_per_user};
pub use request::{
    FlushAccess, FlushError, IdCookie, Loaded, MAX_STORE_LOOKUPS, StoreState, flush, load,
};

/// The future every [`SessionStore`] method returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// One stored session.
#[derive(Clone, PartialEq, Eq)]
pub struct Record {
    /// Namespace of the session type (checked again on load). Always a
    /// valid spec namespace (`[a-z0-9_.-]{1,64}`, so never contains `:`);
    /// backends may build key names from it.
    pub namespace: String,
    /// The user it belongs to, for the per-user index; `None` for anonymous sessions.
    pub user: Option<String>,
    /// Schema version `data` was written under.
    pub version: u32,
    /// The payload as JSON.
    pub data: Vec<u8>,
    /// Incremented by every save: the compare-and-set token (1 for a new row).
    pub revision: u64,
    /// Unix seconds at which the session started.
    pub created_at: u64,
    /// Unix seconds of the last touch (or save).
    pub touched_at: u64,
    /// Unix seconds at which the row expires (sliding: last touch + `max_age`).
    pub expires_at: u64,
    /// The client address and user agent of the login that created the
    /// session ([`SessionMeta::NONE`] when not recorded). Kept unchanged by
    /// renewals, updates, user changes and touches.
    pub meta: SessionMeta,
}

impl Record {
    /// Whether `key` is a valid key for this row: any key for an anonymous
    /// row, a key on [`StoreKey::user_route`] of its user otherwise.
    /// Backends answer a save or move that fails this with
    /// [`StoreError::Misrouted`]; see [`StoreKey`]'s routes.
    pub fn check_route(&self, key: &StoreKey) -> Result<(), StoreError> {
        match &self.user {
            Some(user) if StoreKey::user_route(&self.namespace, user) != key.route() => {
                Err(StoreError::Misrouted)
            }
            _ => Ok(()),
        }
    }
}

impl fmt::Debug for Record {
    /// Everything but the payload, which may hold secrets, and the
    /// metadata's values, which are personal data ([`SessionMeta`]'s
    /// `Debug` shows only which parts are present).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("namespace", &self.namespace)
            .field("user", &self.user)
            .field("version", &self.version)
            .field("data_len", &self.data.len())
            .field("revision", &self.revision)
            .field("created_at", &self.created_at)
            .field("touched_at", &self.touched_at)
            .field("expires_at", &self.expires_at)
            .field("meta", &self.meta)
            .finish()
    }
}

/// A session's move to a new key, as [`SessionStore::move_session`] takes
/// it: renewal, re-login, change of user.
///
/// Built with [`Move::new`], which refuses a row that is not on its new
/// key's route ([`Record::check_route`]), so a backend never needs to check
/// it again.
#[derive(Clone, Debug)]
pub struct Move {
    from: StoreKey,
    expected: Option<u64>,
    to: StoreKey,
    record: Record,
    now: u64,
}

impl Move {
    /// A move of the session at `from` to `to`, holding `record` there.
    ///
    /// `expected` is the revision the row at `from` must still have
    /// (`Some`: the same session continues) or `None` (a new login that
    /// replaces whatever is there); rows expired at `now` are not live.
    ///
    /// # Errors
    ///
    /// [`StoreError::Misrouted`] if `record` has a user and `to` is not on
    /// that user's route.
    pub fn new(
        from: StoreKey,
        expected: Option<u64>,
        to: StoreKey,
        record: Record,
        now: u64,
    ) -> Result<Self, StoreError> {
        record.check_route(&to)?;
        Ok(Move {
            from,
            expected,
            to,
            record,
            now,
        })
    }

    /// The key the session leaves.
    pub fn from(&self) -> &StoreKey {
        &self.from
    }

    /// The revision the row at [`from`](Self::from) must have, if checked.
    pub fn expected(&self) -> Option<u64> {
        self.expected
    }

    /// The key the session moves to.
    pub fn to(&self) -> &StoreKey {
        &self.to
    }

    /// The row written under [`to`](Self::to).
    pub fn record(&self) -> &Record {
        &self.record
    }

    /// Unix seconds: rows expired by then are not live.
    pub fn now(&self) -> u64 {
        self.now
    }
}

/// What [`SessionStore::save`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a Conflict means nothing was written"]
pub enum SaveOutcome {
    /// The row was written.
    Saved,
    /// Nothing was written: the row's revision was not the expected one (or,
    /// creating, a row already existed).
    Conflict,
}

/// What [`SessionStore::move_session`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "only Moved means the new row exists"]
pub enum MoveOutcome {
    /// The new row was written and the old one (with its index entry) removed.
    Moved,
    /// Nothing was written: the old row is gone (ended by a logout, a ban,
    /// an eviction or its expiry), so the session it held is revoked.
    Gone,
    /// Nothing was written: the old row's revision was not the expected one
    /// (another request changed the session), or a live row already exists
    /// under the new key.
    Conflict,
}

/// One of a user's sessions, as listed by [`SessionStore::list_user`].
///
/// `Debug` redacts the metadata's values (see [`SessionMeta`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserSession {
    /// The session's key (compare with the current session's to mark "this device").
    pub key: StoreKey,
    /// Unix seconds at which it started.
    pub created_at: u64,
    /// Unix seconds of its last touch.
    pub touched_at: u64,
    /// Unix seconds at which it expires.
    pub expires_at: u64,
    /// The client address and user agent of the login that started it
    /// ([`SessionMeta::NONE`] when not recorded).
    pub meta: SessionMeta,
}

/// Where store-mode sessions live. See the [module docs](self) for the contract.
pub trait SessionStore: Send + Sync + 'static {
    /// The row under `key`, or `None` if there is none, it expired at or
    /// before `now`, or it cannot be decoded.
    fn load<'a>(&'a self, key: &'a StoreKey, now: u64) -> StoreFuture<'a, Option<Record>>;

    /// Writes `record` under `key` if the stored revision is `expected`
    /// (`None`: only if there is no live row), keeping it until
    /// `record.expires_at`, and indexes it under its user.
    fn save<'a>(
        &'a self,
        key: &'a StoreKey,
        record: &'a Record,
        expected: Option<u64>,
        now: u64,
    ) -> StoreFuture<'a, SaveOutcome>;

    /// Moves a session from key `from` to key `to` in one atomic step:
    /// writes `record` under `to` (indexed under its user, kept until
    /// `record.expires_at`) and removes the row under `from` with its index
    /// entry, or does nothing at all (all of these are the [`Move`]'s).
    ///
    /// - `expected = Some(revision)` (renewal: the same session under a new
    ///   id): the old row must be live at `now` with exactly that revision;
    ///   if it is not there, the outcome is [`MoveOutcome::Gone`], if its
    ///   revision differs, [`MoveOutcome::Conflict`].
    /// - `expected = None` (a new login replacing the old session): the old
    ///   row is removed if it is there, whatever its revision; never `Gone`.
    ///
    /// Either way, a live row already under `to` is a
    /// [`MoveOutcome::Conflict`] and nothing is written.
    fn move_session<'a>(&'a self, change: &'a Move) -> StoreFuture<'a, MoveOutcome>;

    /// Removes the row (and its index entry). Returns whether there was one
    /// (a row past its `expires_at` but not yet dropped counts).
    fn delete<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, bool>;

    /// Sets the row's `touched_at` to `now` and its `expires_at` without
    /// changing its data, revision or metadata. Returns whether there was a live row.
    fn touch<'a>(&'a self, key: &'a StoreKey, expires_at: u64, now: u64) -> StoreFuture<'a, bool>;

    /// The live sessions of `user` in `namespace`, oldest first by
    /// `created_at`, each with its row's [`Record::meta`].
    fn list_user<'a>(
        &'a self,
        namespace: &'a str,
        user: &'a str,
        now: u64,
    ) -> StoreFuture<'a, Vec<UserSession>>;

    /// Removes every session of `user` in `namespace` except `keep`. Returns
    /// how many rows were removed (expired rows not yet dropped included).
    fn delete_user<'a>(
        &'a self,
        namespace: &'a str,
        user: &'a str,
        keep: Option<&'a StoreKey>,
    ) -> StoreFuture<'a, usize>;
}

impl<S: SessionStore + ?Sized> SessionStore for std::sync::Arc<S> {
    fn load<'a>(&'a self, key: &'a StoreKey, now: u64) -> StoreFuture<'a, Option<Record>> {
        (**self).load(key, now)
    }
    fn save<'a>(
        &'a self,
        key: &'a StoreKey,
        record: &'a Record,
        expected: Option<u64>,
        now: u64,
    ) -> StoreFuture<'a, SaveOutcome> {
        (**self).save(key, record, expected, now)
    }
    fn move_session<'a>(&'a self, change: &'a Move) -> StoreFuture<'a, MoveOutcome> {
        (**self).move_session(change)
    }
    fn delete<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, bool> {
        (**self).delete(key)
    }
    fn touch<'a>(&'a self, key: &'a StoreKey, expires_at: u64, now: u64) -> StoreFuture<'a, bool> {
        (**self).touch(key, expires_at, now)
    }
    fn list_user<'a>(
        &'a self,
        namespace: &'a str,
        user: &'a str,
        now: u64,
    ) -> StoreFuture<'a, Vec<UserSession>> {
        (**self).list_user(namespace, user, now)
    }
    fn delete_user<'a>(
        &'a self,
        namespace: &'a str,
        user: &'a str,
        keep: Option<&'a StoreKey>,
    ) -> StoreFuture<'a, usize> {
        (**self).delete_user(namespace, user, keep)
    }
}
