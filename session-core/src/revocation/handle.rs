//! [`Revocations`]: the handle an application holds. It follows a feed in a
//! background task, answers checks from its table and publishes revocations.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::AbortHandle;

use super::{InvalidRevocation, Refusal, Revocation, RevocationFeed, RevocationTable};
use crate::TRACING_TARGET;
use crate::error::StoreError;
use crate::namespace::Namespace;
use crate::payload::{SessionPayload, UserKey};
use crate::registry::Registry;

/// Why [`Revocations::revoke_user`] did not revoke.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RevokeError {
    /// The revocation itself is invalid (no user, a key too long, a type
    /// that is not revocable).
    #[error(transparent)]
    Invalid(#[from] InvalidRevocation),
    /// The feed could not record it; nothing was revoked.
    #[error(transparent)]
    Feed(#[from] StoreError),
}

/// Builds [`Revocations`]; see [`Revocations::builder`].
#[must_use = "call .start() to follow the feed"]
pub struct RevocationsBuilder {
    feed: Arc<dyn RevocationFeed>,
    /// The table being configured; its settings are the handle's.
    table: RevocationTable,
}

impl RevocationsBuilder {
    /// Keeps revocations for at least `retention` (default: the longest
    /// `absolute_max_age` among the registry's revocable types; a shorter
    /// value is ignored, since it would forget revocations that still match
    /// live sessions).
    pub fn retention(mut self, retention: Duration) -> Self {
        self.table = self.table.with_retention_at_least(retention);
        self
    }

    /// How often the feed must prove alive (default one second). Redis
    /// and PostgreSQL feeds poll their connection this often.
    pub fn heartbeat(mut self, heartbeat: Duration) -> Self {
        self.table = self.table.with_heartbeat(heartbeat);
        self
    }

    /// How long revocable types keep opening after the feed was last heard
    /// from (default five seconds); after it they answer 503 until the feed
    /// is back. Keep it a few heartbeats long.
    pub fn staleness_bound(mut self, bound: Duration) -> Self {
        self.table = self.table.with_staleness_bound(bound);
        self
    }

    /// Replaces the clock (unix seconds) that stamps revocations and places
    /// the retention window; give it the clock the layer uses.
    pub fn clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.table = self.table.with_clock(clock);
        self
    }

    /// Starts following the feed in a task on the current tokio runtime and
    /// returns the handle. The task ends when the last clone of the handle
    /// is dropped.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, as `tokio::spawn` does.
    pub fn start(self) -> Revocations {
        let feed = Arc::clone(&self.feed);
        let shared = Arc::new(Shared {
            table: self.table,
            feed: Some(self.feed),
        });
        let follower = tokio::spawn(follow_forever(Arc::clone(&shared), feed));
        let watched = Arc::clone(&shared);
        let watchdog = tokio::spawn(async move { watched.table.watch().await });
        Revocations {
            shared,
            _task: Some(Arc::new(TaskGuard([
                follower.abort_handle(),
                watchdog.abort_handle(),
            ]))),
        }
    }
}

impl fmt::Debug for RevocationsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationsBuilder")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

struct Shared {
    table: RevocationTable,
    /// `None` for [`Revocations::local`].
    feed: Option<Arc<dyn RevocationFeed>>,
}

/// Aborts the follower and watchdog tasks when the last handle goes.
struct TaskGuard([AbortHandle; 2]);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// The revocations an application enforces: a [`RevocationTable`] kept
/// current by a [`RevocationFeed`] in a background task, and the way to
/// publish new ones. Cheap to clone; give one to the layer
/// (`SessionLayer::revocations`) and keep clones for admin code.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
/// use session_core::revocation::{MemoryFeed, Revocations};
/// use session_core::{Registry, SessionPayload, SessionSpec};
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Admin { user: u64 }
/// impl SessionPayload for Admin {
///     const SPEC: SessionSpec = SessionSpec::builder("Admin", "admin", "admin")
///         .max_age_secs(3600)
///         .absolute_max_age_secs(8 * 3600)
///         .revocable()
///         .build();
///     fn session_user(&self) -> Option<String> { Some(self.user.to_string()) }
/// }
/// struct App;
/// impl Registry for App {
///     const SPECS: &'static [SessionSpec] = &[Admin::SPEC];
///     fn contains(id: std::any::TypeId) -> bool { id == std::any::TypeId::of::<Admin>() }
/// }
///
/// let revocations = Revocations::builder::<App>(MemoryFeed::new()).start();
/// assert!(revocations.wait_until_current(Duration::from_secs(5)).await);
/// let started = revocations.now() - 10;
/// revocations.revoke_user::<Admin>(&42u64).await.unwrap();
/// assert!(revocations.check("admin", Some("42"), started).is_err());
/// assert!(revocations.check("admin", Some("7"), started).is_ok());
/// # }
/// ```
#[derive(Clone)]
pub struct Revocations {
    shared: Arc<Shared>,
    /// The follower and watchdog tasks; `None` for [`Revocations::local`].
    _task: Option<Arc<TaskGuard>>,
}

impl Revocations {
    /// A builder for the revocations of registry `R` over `feed`: the
    /// retention window is the longest `absolute_max_age` among `R`'s
    /// revocable types.
    pub fn builder<R: Registry>(feed: impl RevocationFeed) -> RevocationsBuilder {
        RevocationsBuilder {
            feed: Arc::new(feed),
            table: RevocationTable::new(Duration::from_secs(retention_of(R::SPECS))),
        }
    }

    /// Revocations of registry `R` within this one process, with no feed:
    /// each is applied to the table when made, the table is never stale, and
    /// nothing survives a restart. For a single-process app or a test; with
    /// several processes (or to keep revocations over a restart) use
    /// [`builder`](Self::builder) with a Redis, PostgreSQL or SQLite feed.
    /// Needs no runtime.
    pub fn local<R: Registry>() -> Self {
        Self::local_with_clock::<R>(crate::time::unix_now)
    }

    /// [`local`](Self::local) on another clock (unix seconds): give it the
    /// clock the layer uses, for tests that move time.
    pub fn local_with_clock<R: Registry>(clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        let table = RevocationTable::new(Duration::from_secs(retention_of(R::SPECS)))
            .with_clock(clock)
            .local();
        Revocations {
            shared: Arc::new(Shared { table, feed: None }),
            _task: None,
        }
    }

    /// The table the layer checks.
    pub fn table(&self) -> &RevocationTable {
        &self.shared.table
    }

    /// The current time on this handle's clock, in unix seconds.
    pub fn now(&self) -> u64 {
        self.shared.table.now()
    }

    /// Whether a session of `user` in `namespace` that started at
    /// `started_at` may open; see [`RevocationTable::check`].
    ///
    /// # Errors
    ///
    /// [`Refusal::Revoked`] or [`Refusal::Stale`].
    pub fn check(
        &self,
        namespace: &str,
        user: Option<&str>,
        started_at: u64,
    ) -> Result<(), Refusal> {
        self.shared.table.check(namespace, user, started_at)
    }

    /// Publishes `revocation` through the feed and applies it here at once
    /// (other processes apply it as their feed delivers it).
    ///
    /// # Errors
    ///
    /// The feed's error: nothing was revoked, not even here.
    pub async fn revoke(&self, revocation: &Revocation) -> Result<(), StoreError> {
        if let Some(feed) = &self.shared.feed {
            let keep_since = self.shared.table.window_start();
            feed.publish(revocation, keep_since).await?;
        }
        self.shared.table.apply(revocation);
        tracing::info!(
            target: TRACING_TARGET,
            namespace = %revocation.namespace(),
            all_users = matches!(revocation.revoked(), super::Revoked::AllUsers),
            at = revocation.at(),
            "sessions revoked"
        );
        Ok(())
    }

    /// Ends every session of `T` of `user` begun before now (a ban, a
    /// password change, "log out everywhere" from an admin tool).
    ///
    /// # Errors
    ///
    /// [`RevokeError::Invalid`] when `T` is not revocable or `user` names
    /// no user; [`RevokeError::Feed`] when the feed failed.
    pub async fn revoke_user<T: SessionPayload>(
        &self,
        user: &(impl UserKey + ?Sized),
    ) -> Result<Revocation, RevokeError> {
        let revocation = Revocation::of_user::<T>(user, self.now())?;
        self.revoke(&revocation).await?;
        Ok(revocation)
    }

    /// Ends every session of `T`, whoever's, begun before now.
    ///
    /// # Errors
    ///
    /// [`RevokeError::Invalid`] when `T` is not revocable;
    /// [`RevokeError::Feed`] when the feed failed.
    pub async fn revoke_all_users<T: SessionPayload>(&self) -> Result<Revocation, RevokeError> {
        if !T::SPEC.is_revocable() {
            return Err(InvalidRevocation::NotRevocable.into());
        }
        let revocation = Revocation::all_users(Namespace::of::<T>(), self.now());
        self.revoke(&revocation).await?;
        Ok(revocation)
    }

    /// Waits until the feed has replayed the window and been heard from,
    /// for at most `within`; `true` if it has. Call it at start-up so a
    /// wrong feed URL fails at boot rather than as 503s.
    pub async fn wait_until_current(&self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while !self.shared.table.is_current() {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        true
    }
}

impl fmt::Debug for Revocations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Revocations")
            .field("table", &self.shared.table)
            .finish_non_exhaustive()
    }
}

/// How long revocations must be kept for `specs`: the longest
/// `absolute_max_age` among the revocable ones, in seconds (0 without any).
/// [`Revocations::builder`] keeps them that long; the layer checks a
/// handle it is given against its own registry with it.
pub fn retention_of(specs: &[crate::SessionSpec]) -> u64 {
    specs
        .iter()
        .filter(|spec| spec.is_revocable())
        .filter_map(|spec| spec.absolute_max_age_secs())
        .max()
        .unwrap_or(0)
}

/// Follows the feed for as long as the handle lives, connecting again
/// after each failure with a backoff between [`BACKOFF_FLOOR`] and one
/// heartbeat ([`backoff_after`]).
async fn follow_forever(shared: Arc<Shared>, feed: Arc<dyn RevocationFeed>) {
    let mut backoff = BACKOFF_FLOOR;
    loop {
        let began = Instant::now();
        let outcome = feed.follow(&shared.table).await;
        match outcome {
            Ok(()) => tracing::warn!(
                target: TRACING_TARGET,
                "revocation feed ended; following it again"
            ),
            Err(error) => tracing::warn!(
                target: TRACING_TARGET,
                %error,
                "revocation feed failed; following it again"
            ),
        }
        let (wait, next) = backoff_after(backoff, began.elapsed(), shared.table.heartbeat());
        tokio::time::sleep(wait).await;
        backoff = next;
    }
}

/// The shortest wait before following the feed again.
const BACKOFF_FLOOR: Duration = Duration::from_millis(50);

/// How long to wait after a `follow` that ran for `ran_for` before the
/// next attempt, and the backoff after that: a follow that ran longer
/// than a heartbeat (it had connected) starts again from the floor;
/// repeated quick failures double the wait, up to one heartbeat.
pub(crate) fn backoff_after(
    backoff: Duration,
    ran_for: Duration,
    heartbeat: Duration,
) -> (Duration, Duration) {
    let wait = if ran_for > heartbeat {
        BACKOFF_FLOOR
    } else {
        backoff
    };
    (wait, (wait * 2).min(heartbeat.max(BACKOFF_FLOOR)))
}
