//! [`RevocationTable`]: one process's in-memory copy of the revocations of
//! the retention window, and how recently its feed was heard from.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use super::{Revocation, Revoked};

/// The default [`RevocationTable::heartbeat`]: how often a feed proves it
/// is alive.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(1);

/// The default [`RevocationTable::staleness_bound`].
pub const DEFAULT_STALENESS_BOUND: Duration = Duration::from_secs(5);

/// How often at most the table drops entries older than the window.
const PRUNE_EVERY_SECS: u64 = 60;

/// Why [`RevocationTable::check`] refused a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// A revocation covers the session: it started before the revocation.
    #[error("the session was revoked")]
    Revoked,
    /// The feed has not been heard from within the staleness bound (or not
    /// yet since the process started), so the table may miss revocations.
    #[error("the revocation feed has not been heard from within its staleness bound")]
    Stale,
}

/// The revocations of one namespace.
#[derive(Default)]
struct NamespaceEntries {
    /// The latest revocation of every user of the namespace.
    all_users: Option<u64>,
    /// The latest revocation of each user.
    users: HashMap<Box<str>, u64>,
}

impl NamespaceEntries {
    fn covering(&self, user: Option<&str>) -> Option<u64> {
        let user_at = user.and_then(|user| self.users.get(user).copied());
        match (self.all_users, user_at) {
            (Some(all), Some(one)) => Some(all.max(one)),
            (all, one) => all.or(one),
        }
    }
}

type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// One process's copy of the revocations of the retention window, filled by
/// a [`RevocationFeed`](super::RevocationFeed) and read by the layer.
///
/// Reading ([`check`](Self::check)) takes a shared lock and at most two hash
/// lookups; writing happens once per revocation. Entries older than the
/// window are dropped as the feed keeps hearing (at most once a minute).
pub struct RevocationTable {
    namespaces: RwLock<HashMap<Box<str>, NamespaceEntries>>,
    /// Milliseconds after `epoch` at which the feed was last heard, plus
    /// one; 0 until it is first heard.
    heard: AtomicU64,
    epoch: Instant,
    last_prune: AtomicU64,
    retention_secs: u64,
    heartbeat: Duration,
    staleness_bound: Duration,
    clock: Clock,
    /// A table with no feed behind it (one process): every revocation is
    /// applied here, so it is never stale.
    local: bool,
    /// Set while a watchdog ([`watch`](Self::watch)) keeps `fresh` up to
    /// date, so [`check`](Self::check) reads a flag instead of the clock.
    watched: AtomicBool,
    /// The watchdog's last verdict of [`is_current`](Self::is_current);
    /// set at once by [`heard`](Self::heard).
    fresh: AtomicBool,
}

impl RevocationTable {
    /// An empty table keeping revocations for `retention` (the longest
    /// `absolute_max_age` of the revocable types it serves), with the
    /// default heartbeat and staleness bound and the system clock. It is
    /// stale until a feed first calls [`heard`](Self::heard).
    pub fn new(retention: Duration) -> Self {
        RevocationTable {
            namespaces: RwLock::new(HashMap::new()),
            heard: AtomicU64::new(0),
            epoch: Instant::now(),
            last_prune: AtomicU64::new(0),
            retention_secs: retention.as_secs(),
            heartbeat: DEFAULT_HEARTBEAT,
            staleness_bound: DEFAULT_STALENESS_BOUND,
            clock: Arc::new(crate::time::unix_now),
            local: false,
            watched: AtomicBool::new(false),
            fresh: AtomicBool::new(false),
        }
    }

    /// A table that every revocation reaches directly, with no feed: never
    /// stale. For [`Revocations::local`](super::Revocations::local).
    pub(crate) fn local(mut self) -> Self {
        self.local = true;
        self
    }

    /// Widens the window to at least `retention`; a shorter value is
    /// ignored, since it would forget revocations that still match live
    /// sessions.
    pub(crate) fn with_retention_at_least(mut self, retention: Duration) -> Self {
        self.retention_secs = self.retention_secs.max(retention.as_secs());
        self
    }

    /// Sets how often a feed must prove it is alive (default one second).
    pub fn with_heartbeat(mut self, heartbeat: Duration) -> Self {
        self.heartbeat = heartbeat;
        self
    }

    /// Sets how long the table trusts itself without hearing from its feed
    /// (default five seconds).
    pub fn with_staleness_bound(mut self, bound: Duration) -> Self {
        self.staleness_bound = bound;
        self
    }

    /// Replaces the clock (unix seconds) that places the retention window;
    /// for tests that run the layer on a fixed clock too.
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Records `revocation`, keeping the latest `at` per entry. One older
    /// than the window is ignored: it cannot match a live session.
    pub fn apply(&self, revocation: &Revocation) {
        if revocation.at() < self.window_start() {
            return;
        }
        let mut namespaces = self
            .namespaces
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let entries = namespaces
            .entry(revocation.namespace().as_str().into())
            .or_default();
        let slot = match revocation.revoked() {
            Revoked::AllUsers => entries.all_users.get_or_insert(0),
            Revoked::User(user) => entries.users.entry(user.as_str().into()).or_insert(0),
        };
        *slot = (*slot).max(revocation.at());
    }

    /// Notes that the feed proved alive just now; drops entries older than
    /// the window when the last pruning is a minute old.
    pub fn heard(&self) {
        let millis = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.heard
            .store(millis.saturating_add(1), Ordering::Release);
        self.fresh.store(true, Ordering::Release);
        let now = self.now();
        let last = self.last_prune.load(Ordering::Relaxed);
        if now >= last.saturating_add(PRUNE_EVERY_SECS)
            && self
                .last_prune
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.prune();
        }
    }

    /// Drops every entry older than the window.
    pub fn prune(&self) {
        let start = self.window_start();
        let mut namespaces = self
            .namespaces
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        namespaces.retain(|_, entries| {
            entries.all_users = entries.all_users.filter(|at| *at >= start);
            entries.users.retain(|_, at| *at >= start);
            entries.all_users.is_some() || !entries.users.is_empty()
        });
    }

    /// The current time on the table's clock, in unix seconds.
    pub fn now(&self) -> u64 {
        (self.clock)()
    }

    /// Unix seconds where the window starts: revocations from before it
    /// cannot match a live session and are neither kept nor replayed.
    pub fn window_start(&self) -> u64 {
        self.now().saturating_sub(self.retention_secs)
    }

    /// The window's length in seconds.
    pub fn retention_secs(&self) -> u64 {
        self.retention_secs
    }

    /// How often a feed must call [`heard`](Self::heard).
    pub fn heartbeat(&self) -> Duration {
        self.heartbeat
    }

    /// How long the table trusts itself without hearing from its feed.
    pub fn staleness_bound(&self) -> Duration {
        self.staleness_bound
    }

    /// How long ago the feed was last heard from; `None` if never.
    pub fn silent_for(&self) -> Option<Duration> {
        match self.heard.load(Ordering::Acquire) {
            0 => None,
            heard => {
                let heard_at = Duration::from_millis(heard - 1);
                Some(self.epoch.elapsed().saturating_sub(heard_at))
            }
        }
    }

    /// Whether the feed was heard from within the staleness bound (always,
    /// for a table with no feed).
    pub fn is_current(&self) -> bool {
        self.local
            || self
                .silent_for()
                .is_some_and(|silent| silent <= self.staleness_bound)
    }

    /// Keeps the staleness verdict that [`check`](Self::check) reads up to
    /// date, every quarter of the staleness bound (at most one heartbeat),
    /// for as long as the returned future runs; [`Revocations`](super::Revocations)
    /// runs it beside the feed. `check` then reads one flag instead of the
    /// monotonic clock on every request (the gain is in
    /// `benches/README.md`), and notices staleness at most a quarter of the
    /// bound late. Without a watchdog `check` reads the clock.
    pub async fn watch(&self) {
        let period = watch_period(self.staleness_bound, self.heartbeat);
        self.fresh.store(self.is_current(), Ordering::Release);
        self.watched.store(true, Ordering::Release);
        loop {
            tokio::time::sleep(period).await;
            self.fresh.store(self.is_current(), Ordering::Release);
        }
    }

    /// Whether a watchdog ([`watch`](Self::watch)) keeps the staleness
    /// verdict that [`check`](Self::check) reads.
    pub fn is_watched(&self) -> bool {
        self.watched.load(Ordering::Acquire)
    }

    /// The latest revocation (unix seconds) covering `user` in `namespace`:
    /// one of that user, or one of every user.
    pub fn covering(&self, namespace: &str, user: Option<&str>) -> Option<u64> {
        let namespaces = self
            .namespaces
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        namespaces.get(namespace)?.covering(user)
    }

    /// Whether a session of `user` in `namespace` that started at
    /// `started_at` may open.
    ///
    /// # Errors
    ///
    /// [`Refusal::Revoked`] when a revocation covers it (known for certain,
    /// so reported even when the table is stale); otherwise
    /// [`Refusal::Stale`] when the feed is silent.
    pub fn check(
        &self,
        namespace: &str,
        user: Option<&str>,
        started_at: u64,
    ) -> Result<(), Refusal> {
        if self
            .covering(namespace, user)
            .is_some_and(|at| started_at < at)
        {
            return Err(Refusal::Revoked);
        }
        let current = if self.is_watched() {
            self.local || self.fresh.load(Ordering::Acquire)
        } else {
            self.is_current()
        };
        if !current {
            return Err(Refusal::Stale);
        }
        Ok(())
    }

    /// How many entries (one per revoked user, one per namespace-wide
    /// revocation) the table holds.
    pub fn len(&self) -> usize {
        let namespaces = self
            .namespaces
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        namespaces
            .values()
            .map(|entries| entries.users.len() + usize::from(entries.all_users.is_some()))
            .sum()
    }

    /// Whether the table holds no revocation.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for RevocationTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationTable")
            .field("entries", &self.len())
            .field("retention_secs", &self.retention_secs)
            .field("silent_for", &self.silent_for())
            .field("staleness_bound", &self.staleness_bound)
            .finish_non_exhaustive()
    }
}

/// How often the watchdog looks: a quarter of the staleness bound, at most
/// a heartbeat, at least a millisecond.
pub(crate) fn watch_period(staleness_bound: Duration, heartbeat: Duration) -> Duration {
    (staleness_bound / 4)
        .min(heartbeat)
        .max(Duration::from_millis(1))
}
