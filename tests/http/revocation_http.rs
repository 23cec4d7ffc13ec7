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
use axum::extract::Path;
use axum::routing::get;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use session_seal::revocation::{
    FeedFuture, MemoryFeed, Revocation, RevocationFeed, RevocationTable, Revocations,
};
use session_seal::testing::{TestClient, TestClock};
use session_seal::{
    Keyring, SessionError, SessionLayer, SessionPayload, SessionSecret, SessionSpec, StoreError,
    TypedSession,
};
use tokio::sync::watch;

/// A revocable cookie-mode type (written out by hand: the spec is what the
/// derive's `#[session(revocable, user = "user", …)]` produces).
#[derive(Clone, Serialize, Deserialize)]
struct Admin {
    user: u64,
}

impl SessionPayload for Admin {
    const SPEC: SessionSpec = SessionSpec::builder("Admin", "admin", "admin")
        .max_age_secs(3600)
        .absolute_max_age_secs(8 * 3600)
        .revocable()
        .build();

    fn session_user(&self) -> Option<String> {
        Some(self.user.to_string())
    }
}

/// A plain cookie-mode type beside it, which revocations never touch.
#[derive(Serialize, Deserialize, session_seal::SessionPayload)]
#[session(cookie = "pref", namespace = "pref")]
struct Pref {
    theme: String,
}

session_seal::registry! {
    /// The sessions of the app under test.
    struct Sessions { Admin, Pref }
}

fn keyring() -> Keyring {
    Keyring::new(SessionSecret::from_bytes(&[7; 32]).unwrap())
}

async fn login(
    Path(user): Path<u64>,
    mut session: TypedSession<Admin>,
) -> Result<&'static str, SessionError> {
    session.insert(Admin { user })?;
    Ok("in")
}

async fn me(session: TypedSession<Admin>) -> String {
    match session.get() {
        Some(admin) => format!("user {}", admin.user),
        None => format!("anonymous ({})", session.status().label()),
    }
}

async fn logout_everywhere(mut session: TypedSession<Admin>) -> Result<String, SessionError> {
    Ok(format!("{:?}", session.logout_everywhere().await?))
}

async fn logout_others(mut session: TypedSession<Admin>) -> Result<String, SessionError> {
    session.logout_others().await?;
    Ok(match session.get() {
        Some(admin) => format!("still user {}", admin.user),
        None => "out".to_owned(),
    })
}

async fn set_pref(mut session: TypedSession<Pref>) -> Result<&'static str, SessionError> {
    session.insert(Pref {
        theme: "dark".into(),
    })?;
    Ok("set")
}

async fn pref(session: TypedSession<Pref>) -> String {
    session
        .get()
        .map_or("none".to_owned(), |pref| pref.theme.clone())
}

fn app(revocations: Option<Revocations>, clock: &TestClock) -> Router {
    let mut layer = SessionLayer::<Sessions>::new(keyring()).clock(clock.reader());
    if let Some(revocations) = revocations {
        layer = layer.revocations(revocations);
    }
    Router::new()
        .route("/login/{user}", get(login))
        .route("/me", get(me))
        .route("/logout-everywhere", get(logout_everywhere))
        .route("/logout-others", get(logout_others))
        .route("/pref/set", get(set_pref))
        .route("/pref", get(pref))
        .layer(layer)
}

/// Revocations of `Sessions` over `feed` on `clock`, current before they
/// are used.
async fn revocations(feed: impl RevocationFeed, clock: &TestClock) -> Revocations {
    let revocations = Revocations::builder::<Sessions>(feed)
        .clock(clock.reader())
        .heartbeat(Duration::from_millis(50))
        .staleness_bound(Duration::from_millis(400))
        .start();
    assert!(revocations.wait_until_current(Duration::from_secs(5)).await);
    revocations
}

/// One process: its revocations and a browser on its router.
async fn process(feed: impl RevocationFeed, clock: &TestClock) -> (Revocations, TestClient) {
    let revocations = revocations(feed, clock).await;
    let client = TestClient::new(app(Some(revocations.clone()), clock)).with_clock(clock.clone());
    (revocations, client)
}

/// Another browser holding a copy of `from`'s admin cookie, on `to`'s router.
fn copy_cookie(from: &TestClient, to: &mut TestClient) {
    let value = from.cookie("admin").expect("an admin cookie").to_owned();
    to.jar_mut().insert("admin", &value, "/");
}

/// Polls `client`'s `/me` until it answers `want`, for at most 5 s.
async fn until_me(client: &mut TestClient, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let response = client.get("/me").await;
        if response.text() == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "/me still answers {} {:?}, not {want:?}",
            response.status,
            response.text()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

const REVOKED: &str = "anonymous (revoked)";

#[tokio::test]
async fn a_revocation_in_one_process_ends_the_session_in_another() {
    let clock = TestClock::now_real();
    let feed = MemoryFeed::new();
    let (_, mut browser) = process(feed.clone(), &clock).await;
    let (_, mut elsewhere) = process(feed.clone(), &clock).await;
    assert_eq!(browser.get("/login/42").await.status, StatusCode::OK);
    let mut copy = elsewhere.device();
    copy_cookie(&browser, &mut copy);
    assert_eq!(copy.get("/me").await.text(), "user 42");
    // Another user of the same type is not touched.
    let mut other = browser.device();
    other.get("/login/7").await;

    clock.advance(1);
    let response = browser.get("/logout-everywhere").await;
    assert_eq!(response.text(), "None", "cookie mode counts nothing");
    assert!(
        response
            .set_cookie("admin")
            .is_some_and(|line| line.contains("Max-Age=0"))
    );
    assert_eq!(browser.get("/me").await.text(), "anonymous (absent)");
    until_me(&mut copy, REVOKED).await;
    // The revoked copy is cleared in the browser that sent it.
    assert_eq!(copy.cookie("admin"), None);
    assert_eq!(other.get("/me").await.text(), "user 7");
    let _ = &mut elsewhere;
}

#[tokio::test]
async fn logout_others_keeps_this_device_only() {
    let clock = TestClock::now_real();
    let feed = MemoryFeed::new();
    let (_, mut laptop) = process(feed.clone(), &clock).await;
    let (_, server_b) = process(feed.clone(), &clock).await;
    laptop.get("/login/42").await;
    let mut phone = server_b.device();
    phone.get("/login/42").await;
    let mut stolen = server_b.device();
    copy_cookie(&laptop, &mut stolen);

    clock.advance(1);
    assert_eq!(laptop.get("/logout-others").await.text(), "still user 42");
    // This device was issued a fresh session that the revocation does not
    // cover, on this process and on the other one.
    assert_eq!(laptop.get("/me").await.text(), "user 42");
    let mut laptop_elsewhere = server_b.device();
    copy_cookie(&laptop, &mut laptop_elsewhere);
    assert_eq!(laptop_elsewhere.get("/me").await.text(), "user 42");
    until_me(&mut phone, REVOKED).await;
    until_me(&mut stolen, REVOKED).await;
    // A renewal keeps a session's start, so it does not escape: the old
    // cookie stays revoked even when it is due for re-issue.
    clock.advance(3000);
    assert_eq!(stolen.get("/me").await.text(), "anonymous (absent)");
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
