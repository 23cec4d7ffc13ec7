//! The [`RevocationFeed`] contract as checks any feed can run in its own
//! tests (feature `testing`), as `store::conformance` does for stores.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use session_core::revocation::{MemoryFeed, conformance};
//!
//! let feed = MemoryFeed::new();
//! conformance::check_feed(|| feed.clone()).await;
//! # }
//! ```
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test harness reports failures by panicking"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Revocation, RevocationFeed, RevocationTable};
use crate::namespace::Namespace;
use crate::time::unix_now;

/// The heartbeat the checks ask of the feed.
const HEARTBEAT: Duration = Duration::from_millis(200);
/// The retention window of the checks' tables.
const RETENTION: Duration = Duration::from_secs(3600);
/// The longest any check waits for a feed to deliver.
const PATIENCE: Duration = Duration::from_secs(10);

/// Runs every check against feeds made by `connect`; each call must return
/// a feed over the same backing log (a new connection to it, as another
/// process would open). Uses fresh random namespaces, so a shared server
/// may hold other data.
///
/// # Panics
///
/// On the first check that fails, naming it.
pub async fn check_feed<F: RevocationFeed>(connect: impl Fn() -> F) {
    a_follower_receives_what_another_publishes(&connect).await;
    a_late_follower_replays_the_window(&connect).await;
    revocations_older_than_the_window_are_not_kept(&connect).await;
    the_latest_revocation_wins_whatever_the_order(&connect).await;
    a_following_feed_keeps_proving_alive(&connect).await;
}

/// A namespace no other run uses.
fn fresh_namespace() -> Namespace {
    use rand::TryRngCore as _;
    let tag = rand::rngs::OsRng
        .try_next_u64()
        .expect("the OS random source");
    Namespace::new(&format!("conformance-{tag:016x}")).expect("a valid namespace")
}

/// A table following `feed` in a task, stopped when the guard drops.
struct Following {
    table: Arc<RevocationTable>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Following {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn follow<F: RevocationFeed>(feed: F) -> Following {
    let table = Arc::new(
        RevocationTable::new(RETENTION)
            .with_heartbeat(HEARTBEAT)
            .with_staleness_bound(HEARTBEAT * 5),
    );
    let following = Arc::clone(&table);
    let task = tokio::spawn(async move {
        loop {
            if let Err(error) = feed.follow(&following).await {
                panic!("conformance: follow failed on a healthy feed: {error}");
            }
        }
    });
    let follower = Following { table, task };
    wait_for("the follower's first replay", || {
        follower.table.is_current()
    })
    .await;
    follower
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "conformance: {what} did not happen within {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn publish<F: RevocationFeed>(feed: &F, revocation: &Revocation) {
    let keep_since = unix_now().saturating_sub(RETENTION.as_secs());
    if let Err(error) = feed.publish(revocation, keep_since).await {
        panic!("conformance: publish failed on a healthy feed: {error}");
    }
}

async fn a_follower_receives_what_another_publishes<F: RevocationFeed>(connect: &impl Fn() -> F) {
    let follower = follow(connect()).await;
    let publisher = connect();
    let namespace = fresh_namespace();
    let now = unix_now();
    publish(
        &publisher,
        &Revocation::user(namespace.clone(), "ada", now).expect("valid"),
    )
    .await;
    publish(
        &publisher,
        &Revocation::all_users(namespace.clone(), now - 5),
    )
    .await;
    wait_for("delivery of a user revocation", || {
        follower.table.covering(namespace.as_str(), Some("ada")) == Some(now)
    })
    .await;
    wait_for("delivery of a namespace revocation", || {
        follower.table.covering(namespace.as_str(), Some("bob")) == Some(now - 5)
    })
    .await;
    assert_eq!(
        follower
            .table
            .check(namespace.as_str(), Some("ada"), now - 1),
        Err(super::Refusal::Revoked),
        "conformance: a session begun before the revocation must be refused"
    );
    assert_eq!(
        follower.table.check(namespace.as_str(), Some("ada"), now),
        Ok(()),
        "conformance: a session begun in the revocation's second must open"
    );
    assert_eq!(
        follower
            .table
            .covering(fresh_namespace().as_str(), Some("ada")),
        None,
        "conformance: a revocation must not leak into another namespace"
    );
}

async fn a_late_follower_replays_the_window<F: RevocationFeed>(connect: &impl Fn() -> F) {
    let namespace = fresh_namespace();
    let now = unix_now();
    let publisher = connect();
    publish(
        &publisher,
        &Revocation::user(namespace.clone(), "ada", now - 60).expect("valid"),
    )
    .await;
    publish(
        &publisher,
        &Revocation::all_users(namespace.clone(), now - 30),
    )
    .await;
    // A process started after the revocations: current only once replayed.
    let late = follow(connect()).await;
    assert_eq!(
        late.table.covering(namespace.as_str(), Some("ada")),
        Some(now - 30),
        "conformance: a follower must replay the window before it is heard"
    );
    assert_eq!(
        late.table.covering(namespace.as_str(), None),
        Some(now - 30),
        "conformance: the replay must include namespace revocations"
    );
}

async fn revocations_older_than_the_window_are_not_kept<F: RevocationFeed>(
    connect: &impl Fn() -> F,
) {
    let namespace = fresh_namespace();
    let now = unix_now();
    let publisher = connect();
    let old = now - RETENTION.as_secs() - 60;
    publish(
        &publisher,
        &Revocation::user(namespace.clone(), "old", old).expect("valid"),
    )
    .await;
    publish(
        &publisher,
        &Revocation::user(namespace.clone(), "new", now).expect("valid"),
    )
    .await;
    let follower = follow(connect()).await;
    assert_eq!(
        follower.table.covering(namespace.as_str(), Some("new")),
        Some(now)
    );
    assert_eq!(
        follower.table.covering(namespace.as_str(), Some("old")),
        None,
        "conformance: a revocation older than the window must not be kept"
    );
}

async fn the_latest_revocation_wins_whatever_the_order<F: RevocationFeed>(
    connect: &impl Fn() -> F,
) {
    let follower = follow(connect()).await;
    let namespace = fresh_namespace();
    let now = unix_now();
    let publisher = connect();
    publish(
        &publisher,
        &Revocation::user(namespace.clone(), "ada", now).expect("valid"),
    )
    .await;
    publish(
        &publisher,
        &Revocation::user(namespace.clone(), "ada", now - 100).expect("valid"),
    )
    .await;
    publish(
        &publisher,
        &Revocation::user(namespace.clone(), "end", now).expect("valid"),
    )
    .await;
    // Once the last one arrived, the earlier ones have too.
    wait_for("delivery of three revocations", || {
        follower.table.covering(namespace.as_str(), Some("end")) == Some(now)
    })
    .await;
    assert_eq!(
        follower.table.covering(namespace.as_str(), Some("ada")),
        Some(now),
        "conformance: an older revocation must not replace a newer one"
    );
}

async fn a_following_feed_keeps_proving_alive<F: RevocationFeed>(connect: &impl Fn() -> F) {
    let follower = follow(connect()).await;
    let until = Instant::now() + HEARTBEAT * 6;
    while Instant::now() < until {
        let silent = follower.table.silent_for().expect("heard once");
        assert!(
            silent <= HEARTBEAT * 3,
            "conformance: an idle feed went {silent:?} without proving alive (heartbeat {HEARTBEAT:?})"
        );
        tokio::time::sleep(HEARTBEAT / 4).await;
    }
}
