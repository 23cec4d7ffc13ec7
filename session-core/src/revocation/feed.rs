//! [`RevocationFeed`]: the contract every revocation transport keeps.

use std::future::Future;
use std::pin::Pin;

use super::{Revocation, RevocationTable};
use crate::error::StoreError;

/// The future every [`RevocationFeed`] method returns.
pub type FeedFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Carries revocations to every process of an application.
///
/// Implemented by `MemoryFeed` here, and by the Redis and SQL backends in
/// their crates. [`conformance`](super::conformance) (feature `testing`)
/// checks an implementation against this contract.
///
/// # The contract
///
/// - [`publish`](Self::publish) returns only once the revocation is
///   recorded where every follower, present or started later within the
///   retention window, will see it.
/// - [`follow`](Self::follow) first delivers every recorded revocation whose
///   `at` is at or after [`RevocationTable::window_start`], then each new one,
///   in publication order or not (the table keeps the latest `at` per
///   entry, so order does not matter). It calls
///   [`RevocationTable::heard`] after the replay and then after every round
///   trip that proves the feed alive, at least every
///   [`RevocationTable::heartbeat`], and never before the replay is
///   complete: the table trusts itself only while it hears.
/// - `follow` returns when its connection fails (an error) or ends; the
///   caller connects again by calling it again, which replays the window.
///   Nothing published while it was away may be lost, so a feed subscribes
///   before it replays, or replays from a cursor.
/// - Revocations older than the window may be dropped at `publish`
///   (`keep_since`), and must not be delivered by `follow`.
pub trait RevocationFeed: Send + Sync + 'static {
    /// Records `revocation` for every follower. Entries with `at` before
    /// `keep_since` (unix seconds) may be dropped meanwhile.
    fn publish<'a>(&'a self, revocation: &'a Revocation, keep_since: u64) -> FeedFuture<'a, ()>;

    /// Delivers the window's revocations into `table`, then new ones, until
    /// the connection fails; see the contract above.
    fn follow<'a>(&'a self, table: &'a RevocationTable) -> FeedFuture<'a, ()>;
}

impl<F: RevocationFeed + ?Sized> RevocationFeed for std::sync::Arc<F> {
    fn publish<'a>(&'a self, revocation: &'a Revocation, keep_since: u64) -> FeedFuture<'a, ()> {
        (**self).publish(revocation, keep_since)
    }

    fn follow<'a>(&'a self, table: &'a RevocationTable) -> FeedFuture<'a, ()> {
        (**self).follow(table)
    }
}

impl<F: RevocationFeed + ?Sized> RevocationFeed for Box<F> {
    fn publish<'a>(&'a self, revocation: &'a Revocation, keep_since: u64) -> FeedFuture<'a, ()> {
        (**self).publish(revocation, keep_since)
    }

    fn follow<'a>(&'a self, table: &'a RevocationTable) -> FeedFuture<'a, ()> {
        (**self).follow(table)
    }
}
