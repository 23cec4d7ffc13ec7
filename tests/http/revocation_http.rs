//! Revocable cookie-mode sessions over HTTP: a revocation made in one
//! process ends the session in another, "log out other devices" keeps this
//! one, a namespace can be revoked at once, a silent feed fails closed for
//! revocable types only, and reading a session never calls the feed.
//!
//! Two "processes" are two routers with their own `Revocations`, following
//! one `MemoryFeed` (each with its own follower, as two servers would have
//! their own feed connection). The same over Redis, PostgreSQL and SQLite
//! feeds is in the `store` test binary (`revocation_feeds`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use http::StatusCode;
use session_seal::revocation::{
    FeedFuture, MemoryFeed, Revocation, RevocationFeed, RevocationTable, Revocations,
};
use session_seal::testing::{TestClient, TestClock};
use session_seal::{SessionLayer, StoreError};
use tokio::sync::watch;

use crate::common::revocation_app::*;

#[tokio::test]
async fn a_revocation_in_one_process_ends_the_session_in_another_over_memory() {
    let feed = MemoryFeed::new();
    a_revocation_in_one_process_ends_the_session_in_another(feed.clone(), feed).await;
}

#[tokio::test]
async fn logout_others_keeps_this_device_only_over_memory() {
    let feed = MemoryFeed::new();
    logout_others_keeps_this_device_only(feed.clone(), feed).await;
}

#[tokio::test]
async fn a_namespace_revocation_ends_every_user_and_new_logins_work() {
    let clock = TestClock::now_real();
    let feed = MemoryFeed::new();
    let (revocations, mut alice) = process(feed.clone(), &clock).await;
    let mut bob = alice.device();
    alice.get("/login/1").await;
    bob.get("/login/2").await;
    alice.get("/pref/set").await;

    clock.advance(1);
    revocations.revoke_all_users::<Admin>().await.unwrap();
    assert_eq!(alice.get("/me").await.text(), REVOKED);
    assert_eq!(bob.get("/me").await.text(), REVOKED);
    assert_eq!(
        alice.get("/pref").await.text(),
        "dark",
        "other types untouched"
    );
    // A session begun in the revocation's second opens (the documented
    // one-second granularity), and so does any later one.
    alice.get("/login/1").await;
    assert_eq!(alice.get("/me").await.text(), "user 1");
    clock.advance(1);
    assert_eq!(alice.get("/me").await.text(), "user 1");
}

#[tokio::test]
async fn a_restarted_process_replays_the_window() {
    let clock = TestClock::now_real();
    let feed = MemoryFeed::new();
    let (revocations, mut browser) = process(feed.clone(), &clock).await;
    browser.get("/login/42").await;
    let cookie = browser.cookie("admin").unwrap().to_owned();
    clock.advance(1);
    revocations.revoke_user::<Admin>(&42u64).await.unwrap();
    drop(revocations);
    drop(browser);
    // A new process on the same feed, started after the revocation.
    let (_, mut restarted) = process(feed.clone(), &clock).await;
    restarted.jar_mut().insert("admin", &cookie, "/");
    assert_eq!(restarted.get("/me").await.text(), REVOKED);
}

/// A `MemoryFeed` that can be taken down and brought back, and counts its
/// calls.
#[derive(Clone)]
struct Switchable {
    inner: MemoryFeed,
    up: Arc<watch::Sender<bool>>,
    follows: Arc<AtomicUsize>,
    publishes: Arc<AtomicUsize>,
}

impl Switchable {
    fn new(inner: MemoryFeed) -> Self {
        Switchable {
            inner,
            up: Arc::new(watch::Sender::new(true)),
            follows: Arc::default(),
            publishes: Arc::default(),
        }
    }

    fn set_up(&self, up: bool) {
        self.up.send_replace(up);
    }
}

impl RevocationFeed for Switchable {
    fn publish<'a>(&'a self, revocation: &'a Revocation, keep_since: u64) -> FeedFuture<'a, ()> {
        self.publishes.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            if !*self.up.borrow() {
                return Err(StoreError::unavailable("feed down"));
            }
            self.inner.publish(revocation, keep_since).await
        })
    }

    fn follow<'a>(&'a self, table: &'a RevocationTable) -> FeedFuture<'a, ()> {
        self.follows.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            let mut up = self.up.subscribe();
            if !*up.borrow_and_update() {
                // Connecting fails until the feed is back.
                let _ = up.wait_for(|up| *up).await;
                return Err(StoreError::unavailable("feed was down"));
            }
            tokio::select! {
                outcome = self.inner.follow(table) => outcome,
                _ = up.wait_for(|up| !*up) => Err(StoreError::unavailable("feed went down")),
            }
        })
    }
}

#[tokio::test]
async fn a_silent_feed_fails_closed_for_revocable_types_only_and_recovers() {
    let clock = TestClock::now_real();
    let memory = MemoryFeed::new();
    let feed = Switchable::new(memory.clone());
    let (_, mut browser) = process(feed.clone(), &clock).await;
    browser.get("/login/42").await;
    browser.get("/pref/set").await;
    clock.advance(1);

    feed.set_up(false);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let response = browser.get("/me").await;
        if response.status == StatusCode::SERVICE_UNAVAILABLE {
            assert!(
                !response.text().contains("feed"),
                "says nothing about the feed"
            );
            break;
        }
        assert_eq!(response.text(), "user 42");
        assert!(Instant::now() < deadline, "never failed closed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The cookie was not cleared: an outage is not a logout.
    assert!(browser.cookie("admin").is_some());
    assert_eq!(browser.get("/pref").await.text(), "dark");
    // Logging out everywhere needs the feed: 503, nothing revoked.
    assert_eq!(
        browser.get("/logout-everywhere").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );

    // Revoked meanwhile by another process whose feed works.
    let (admin, _) = process(memory.clone(), &clock).await;
    admin.revoke_user::<Admin>(&42u64).await.unwrap();
    feed.set_up(true);
    until_me(&mut browser, REVOKED).await;
}

#[tokio::test]
async fn reading_a_revocable_session_never_calls_the_feed() {
    let clock = TestClock::now_real();
    let feed = Switchable::new(MemoryFeed::new());
    let (_, mut browser) = process(feed.clone(), &clock).await;
    browser.get("/login/42").await;
    let (follows, publishes) = (
        feed.follows.load(Ordering::SeqCst),
        feed.publishes.load(Ordering::SeqCst),
    );
    for _ in 0..100 {
        assert_eq!(browser.get("/me").await.text(), "user 42");
    }
    assert_eq!(feed.follows.load(Ordering::SeqCst), follows);
    assert_eq!(feed.publishes.load(Ordering::SeqCst), publishes);
    assert_eq!(publishes, 0);
}

#[tokio::test]
async fn a_revocable_type_without_revocations_is_a_wiring_error() {
    let clock = TestClock::now_real();
    let mut browser = TestClient::new(app(None, &clock)).with_clock(clock.clone());
    let response = browser.get("/me").await;
    assert_eq!(response.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        response.text().contains(".revocations("),
        "{}",
        response.text()
    );
    // Non-revocable types work as before.
    browser.get("/pref/set").await;
    assert_eq!(browser.get("/pref").await.text(), "dark");
}

#[tokio::test]
async fn clear_site_data_is_sent_on_logout_everywhere_only_when_asked() {
    let clock = TestClock::now_real();
    let revocations = Revocations::local_with_clock::<Sessions>(clock.reader());
    let with_option = |on: bool| {
        Router::new()
            .route("/login/{user}", get(login))
            .route("/logout-everywhere", get(logout_everywhere))
            .route("/me", get(me))
            .layer(
                SessionLayer::<Sessions>::new(keyring())
                    .clock(clock.reader())
                    .revocations(revocations.clone())
                    .clear_site_data_on_logout_everywhere(on),
            )
    };
    for on in [true, false] {
        let mut browser = TestClient::new(with_option(on)).with_clock(clock.clone());
        browser.get("/login/42").await;
        assert_eq!(
            browser.get("/me").await.headers.get("clear-site-data"),
            None
        );
        clock.advance(1);
        let response = browser.get("/logout-everywhere").await;
        assert_eq!(
            response
                .headers
                .get("clear-site-data")
                .map(|value| value.to_str().unwrap().to_owned()),
            on.then(|| "\"cookies\"".to_owned())
        );
    }
}
