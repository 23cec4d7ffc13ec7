//! Revocable cookie-mode sessions: ending sessions that live only in their
//! cookie, with no I/O when a request reads one.
//!
//! A cookie-mode value is self-contained: without help it opens until its
//! `exp`, wherever a copy of it went. A type declared
//! `#[session(revocable)]` (cookie mode, with a `user` and an
//! `absolute_max_age`) is checked against revocations as well.
//!
//! # The rule
//!
//! A [`Revocation`] is `(namespace, user or every user, at)`, `at` in unix
//! seconds. A value opens only if its session started at or after every
//! revocation that covers it: `started_at >= at`. So a revocation ends
//! every session of its user (or namespace) begun before it, and a session
//! issued in the same second survives, which is how "sign out my other
//! devices, keep this one" and "changed my password" work: revoke, then
//! issue a fresh session for this browser.
//!
//! The granularity is one second, the header's. A session that another
//! device began in the very second of a revocation, before it, survives it;
//! a renewal or re-issue keeps the session's `started_at`, so sliding
//! renewal never escapes a revocation. Clocks of the processes that revoke
//! and of those that issue must agree (NTP) as they must for expiry.
//!
//! # No I/O on the read path
//!
//! Every process holds the revocations of the last retention window in a
//! [`RevocationTable`]; checking a value costs one hash lookup after its
//! MAC. The window is the longest `absolute_max_age` among the registry's
//! revocable types: an older revocation cannot match a live session (each
//! one began before the revocation, so it ended by `at + absolute_max_age`),
//! so the table's size is bounded by the rate of revocations, not by time.
//!
//! A [`RevocationFeed`] carries revocations to every process: a Redis
//! stream, a PostgreSQL table with `LISTEN`/`NOTIFY`, a SQLite table (one
//! host) or [`MemoryFeed`] (one process). [`Revocations`] is the handle an
//! application holds: it follows the feed in a background task, answers the
//! layer's checks, and publishes new revocations.
//!
//! # Failing closed
//!
//! A process that has not heard from its feed for longer than the
//! staleness bound ([`RevocationsBuilder::staleness_bound`], five seconds
//! by default) cannot know whether a value was revoked meanwhile: the check
//! then answers [`Refusal::Stale`], which the layer turns into a 503 for
//! revocable types only. Before the first replay of the window a process
//! is stale too.

mod feed;
mod handle;
mod memory;
mod table;

#[cfg(feature = "testing")]
pub mod conformance;

pub use feed::{FeedFuture, RevocationFeed};
pub use handle::{Revocations, RevocationsBuilder, RevokeError, retention_of};
pub use memory::MemoryFeed;
pub use table::{DEFAULT_HEARTBEAT, DEFAULT_STALENESS_BOUND, Refusal, RevocationTable};

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::namespace::Namespace;
use crate::payload::{SessionPayload, UserKey};

/// The longest user key, in bytes, a revocation can name.
///
/// Long enough for any id, e-mail address or UUID; it keeps every
/// revocation small enough for each feed's message (PostgreSQL's
/// `NOTIFY` payload is limited to 8000 bytes). A revocable session whose
/// user key is longer cannot be sealed
/// ([`SealError::RevocableUser`](crate::SealError::RevocableUser)), so no
/// session escapes per-user revocation.
pub const MAX_USER_LEN: usize = 1024;

/// Which sessions of a namespace a [`Revocation`] ends.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Revoked {
    /// The sessions of one user (the payload's `user` key).
    User(String),
    /// Every session of the namespace, whoever's.
    AllUsers,
}

impl fmt::Debug for Revoked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // A user key is personal data, not a secret; it is shown so
            // operators can tell revocations apart.
            Revoked::User(user) => f.debug_tuple("User").field(user).finish(),
            Revoked::AllUsers => f.write_str("AllUsers"),
        }
    }
}

/// One revocation: every session of `revoked` in `namespace` that started
/// before `at` (unix seconds) no longer opens.
///
/// ```
/// use session_core::Namespace;
/// use session_core::revocation::{Revocation, Revoked};
///
/// let admin = Namespace::new("admin").unwrap();
/// let ban = Revocation::user(admin.clone(), "42", 1_700_000_000).unwrap();
/// assert_eq!(ban.revoked(), &Revoked::User("42".into()));
/// let all = Revocation::all_users(admin, 1_700_000_000);
/// assert_eq!(all.revoked(), &Revoked::AllUsers);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Revocation {
    namespace: Namespace,
    revoked: Revoked,
    at: u64,
}

/// Why a [`Revocation`] could not be made or read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidRevocation {
    /// The user key is empty or longer than [`MAX_USER_LEN`] bytes.
    #[error("a revoked user key must be 1..=1024 bytes")]
    User,
    /// The session type is not revocable, or the value has no user.
    #[error("the session type is not revocable or the value names no user")]
    NotRevocable,
    /// A feed message was not a revocation.
    #[error("malformed revocation message")]
    Malformed,
}

impl Revocation {
    /// Revokes the sessions of `user` in `namespace` begun before `at`.
    ///
    /// # Errors
    ///
    /// [`InvalidRevocation::User`] for an empty key or one longer than
    /// [`MAX_USER_LEN`].
    pub fn user(
        namespace: Namespace,
        user: impl Into<String>,
        at: u64,
    ) -> Result<Self, InvalidRevocation> {
        let user = user.into();
        if user.is_empty() || user.len() > MAX_USER_LEN {
            return Err(InvalidRevocation::User);
        }
        Ok(Revocation {
            namespace,
            revoked: Revoked::User(user),
            at,
        })
    }

    /// Revokes every session of `namespace` begun before `at`.
    pub fn all_users(namespace: Namespace, at: u64) -> Self {
        Revocation {
            namespace,
            revoked: Revoked::AllUsers,
            at,
        }
    }

    /// Revokes the sessions of `T` of the user `user` begun before `at`.
    ///
    /// # Errors
    ///
    /// [`InvalidRevocation::NotRevocable`] when `T` is not revocable or
    /// `user` names no user; [`InvalidRevocation::User`] when its key is too
    /// long.
    pub fn of_user<T: SessionPayload>(
        user: &(impl UserKey + ?Sized),
        at: u64,
    ) -> Result<Self, InvalidRevocation> {
        if !T::SPEC.is_revocable() {
            return Err(InvalidRevocation::NotRevocable);
        }
        let user = user.user_key().ok_or(InvalidRevocation::NotRevocable)?;
        Revocation::user(Namespace::of::<T>(), user, at)
    }

    /// The namespace whose sessions it ends.
    pub fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    /// Whose sessions it ends.
    pub fn revoked(&self) -> &Revoked {
        &self.revoked
    }

    /// Unix seconds: sessions that started before it no longer open.
    pub fn at(&self) -> u64 {
        self.at
    }

    /// The revocation as a JSON message, the form every feed carries
    /// (`{"namespace":"admin","revoked":{"user":"42"},"at":1700000000}`).
    pub fn to_message(&self) -> String {
        // Serializing strings and integers into a String cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a message written by [`to_message`](Self::to_message),
    /// checking the namespace and user rules again.
    ///
    /// # Errors
    ///
    /// [`InvalidRevocation::Malformed`] or [`InvalidRevocation::User`].
    pub fn from_message(message: &[u8]) -> Result<Self, InvalidRevocation> {
        let revocation: Revocation =
            serde_json::from_slice(message).map_err(|_| InvalidRevocation::Malformed)?;
        if let Revoked::User(user) = &revocation.revoked
            && (user.is_empty() || user.len() > MAX_USER_LEN)
        {
            return Err(InvalidRevocation::User);
        }
        Ok(revocation)
    }
}

#[cfg(test)]
mod tests;
