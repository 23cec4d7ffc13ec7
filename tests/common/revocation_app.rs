//! The app of the revocation tests: a revocable cookie-mode type beside a
//! plain one, with login, logout-everywhere and logout-others routes, and
//! "processes" (a router with its own `Revocations` over a feed). Used by
//! `tests/http/revocation_http.rs` (memory feeds) and
//! `tests/store/revocation_feeds.rs` (Redis, PostgreSQL, SQLite feeds).

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use session_seal::revocation::{RevocationFeed, Revocations};
use session_seal::testing::{TestClient, TestClock};
use session_seal::{
    Keyring, SessionError, SessionLayer, SessionPayload, SessionSecret, SessionSpec, TypedSession,
};

/// A revocable cookie-mode type (written out by hand: the spec is what the
/// derive's `#[session(revocable, user = "user", …)]` produces).
#[derive(Clone, Serialize, Deserialize)]
pub struct Admin {
    pub user: u64,
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
pub struct Pref {
    pub theme: String,
}

session_seal::registry! {
    /// The sessions of the app under test.
    pub struct Sessions { Admin, Pref }
}

pub fn keyring() -> Keyring {
    Keyring::new(SessionSecret::from_bytes(&[7; 32]).unwrap())
}

pub async fn login(
    Path(user): Path<u64>,
    mut session: TypedSession<Admin>,
) -> Result<&'static str, SessionError> {
    session.insert(Admin { user })?;
    Ok("in")
}

pub async fn me(session: TypedSession<Admin>) -> String {
    match session.get() {
        Some(admin) => format!("user {}", admin.user),
        None => format!("anonymous ({})", session.status().label()),
    }
}

pub async fn logout_everywhere(mut session: TypedSession<Admin>) -> Result<String, SessionError> {
    Ok(format!("{:?}", session.logout_everywhere().await?))
}

pub async fn logout_others(mut session: TypedSession<Admin>) -> Result<String, SessionError> {
    session.logout_others().await?;
    Ok(match session.get() {
        Some(admin) => format!("still user {}", admin.user),
        None => "out".to_owned(),
    })
}

pub async fn set_pref(mut session: TypedSession<Pref>) -> Result<&'static str, SessionError> {
    session.insert(Pref {
        theme: "dark".into(),
    })?;
    Ok("set")
}

pub async fn pref(session: TypedSession<Pref>) -> String {
    session
        .get()
        .map_or("none".to_owned(), |pref| pref.theme.clone())
}

pub fn app(revocations: Option<Revocations>, clock: &TestClock) -> Router {
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
pub async fn revocations(feed: impl RevocationFeed, clock: &TestClock) -> Revocations {
    let revocations = Revocations::builder::<Sessions>(feed)
        .clock(clock.reader())
        .heartbeat(Duration::from_millis(50))
        .staleness_bound(Duration::from_millis(400))
        .start();
    assert!(revocations.wait_until_current(Duration::from_secs(5)).await);
    revocations
}

/// One process: its revocations and a browser on its router.
pub async fn process(feed: impl RevocationFeed, clock: &TestClock) -> (Revocations, TestClient) {
    let revocations = revocations(feed, clock).await;
    let client = TestClient::new(app(Some(revocations.clone()), clock)).with_clock(clock.clone());
    (revocations, client)
}

/// Another browser holding a copy of `from`'s admin cookie, on `to`'s router.
pub fn copy_cookie(from: &TestClient, to: &mut TestClient) {
    let value = from.cookie("admin").expect("an admin cookie").to_owned();
    to.jar_mut().insert("admin", &value, "/");
}

/// Polls `client`'s `/me` until it answers `want`, for at most 5 s.
pub async fn until_me(client: &mut TestClient, want: &str) {
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

pub const REVOKED: &str = "anonymous (revoked)";

/// A user revoked through one process (`first`'s feed connection) is
/// refused by another (`second`'s), copies of the cookie included; other
/// users are untouched.
pub async fn a_revocation_in_one_process_ends_the_session_in_another<F: RevocationFeed>(
    first: F,
    second: F,
) {
    let clock = TestClock::now_real();
    let (_, mut browser) = process(first, &clock).await;
    let (_, mut elsewhere) = process(second, &clock).await;
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

/// "Log out other devices" in one process: this device keeps a fresh
/// session on both processes, the others and a stolen copy are refused,
/// and the old cookie stays refused when due for renewal. (User 43, so it
/// can follow the first scenario on the same feed.)
pub async fn logout_others_keeps_this_device_only<F: RevocationFeed>(first: F, second: F) {
    let clock = TestClock::now_real();
    let (_, mut laptop) = process(first, &clock).await;
    let (_, server_b) = process(second, &clock).await;
    laptop.get("/login/43").await;
    let mut phone = server_b.device();
    phone.get("/login/43").await;
    let mut stolen = server_b.device();
    copy_cookie(&laptop, &mut stolen);

    clock.advance(1);
    assert_eq!(laptop.get("/logout-others").await.text(), "still user 43");
    // This device was issued a fresh session that the revocation does not
    // cover, on this process and on the other one.
    assert_eq!(laptop.get("/me").await.text(), "user 43");
    let mut laptop_elsewhere = server_b.device();
    copy_cookie(&laptop, &mut laptop_elsewhere);
    assert_eq!(laptop_elsewhere.get("/me").await.text(), "user 43");
    until_me(&mut phone, REVOKED).await;
    until_me(&mut stolen, REVOKED).await;
    // A renewal keeps a session's start, so it does not escape: the old
    // cookie stays revoked even when it is due for re-issue.
    clock.advance(3000);
    assert_eq!(stolen.get("/me").await.text(), "anonymous (absent)");
}
