//! Hybrid sessions through axum (DESIGN §12): a five-minute access cookie
//! refreshed from a rotating thirty-day refresh session. Transparent
//! refresh, two tabs refreshing at once (held at a gate the test
//! controls), theft detection, logout of one login, logout everywhere and
//! the explicit refresh endpoint. The same rules on every backend are the
//! store conformance checks (`refresh_*`) in the `store` binary.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use session_seal::revocation::{MemoryFeed, Revocations};
use session_seal::store::MemoryStore;
use session_seal::testing::{TestClient, TestClock};
use session_seal::{
    Keyring, RefreshReuse, SessionError, SessionLayer, SessionPayload, TypedSession,
};

use crate::common::gate::GateStore;
use crate::common::secret;

/// The refresh type: a login, kept server-side, rotated on every use.
#[derive(Serialize, Deserialize, SessionPayload)]
#[session(
    cookie = "refresh",
    namespace = "refresh",
    store,
    user = "user",
    max_age = "30d",
    absolute_max_age = "90d"
)]
struct Login {
    user: u64,
}

/// The access type every request checks without I/O.
#[derive(Serialize, Deserialize, SessionPayload)]
#[session(
    cookie = "access",
    namespace = "access",
    max_age = "5m",
    user = "user",
    revocable,
    absolute_max_age = "90d",
    refresh = Login
)]
struct Access {
    user: u64,
}

impl From<&Login> for Access {
    fn from(login: &Login) -> Self {
        Access { user: login.user }
    }
}

session_seal::registry! { struct Sessions { Access, Login } }

const T0: u64 = 1_760_000_000;

async fn login(
    Path(user): Path<u64>,
    mut access: TypedSession<Access>,
) -> Result<&'static str, SessionError> {
    access.login(Login { user }).await?;
    Ok("in")
}

async fn me(access: TypedSession<Access>) -> String {
    match access.get() {
        Some(access) => format!("user {}", access.user),
        None => format!("nobody ({})", access.status().label()),
    }
}

async fn refresh(mut access: TypedSession<Access>) -> Result<String, SessionError> {
    Ok(format!("refreshed {}", access.refresh().await?))
}

async fn logout(mut access: TypedSession<Access>) -> Result<&'static str, SessionError> {
    access.logout().await?;
    Ok("out")
}

async fn logout_everywhere(mut access: TypedSession<Access>) -> Result<String, SessionError> {
    let ended = access.logout_everywhere().await?;
    Ok(format!("ended {ended:?}"))
}

async fn logins(access: TypedSession<Access>) -> Result<String, SessionError> {
    Ok(format!("{} logins", access.logins().await?.len()))
}

/// One app: its store, the reuse reports it made, and a browser on it.
struct App {
    store: GateStore,
    reports: Arc<Mutex<Vec<RefreshReuse>>>,
    browser: TestClient,
}

async fn app() -> App {
    let clock = TestClock::at(T0);
    let store = GateStore::new(Arc::new(MemoryStore::new()));
    let reports = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&reports);
    let revocations = Revocations::builder::<Sessions>(MemoryFeed::new())
        .clock(clock.reader())
        .start();
    assert!(revocations.wait_until_current(Duration::from_secs(5)).await);
    let layer = SessionLayer::<Sessions>::new(Keyring::new(secret(1)))
        .clock(clock.reader())
        .store(store.clone())
        .revocations(revocations)
        .on_refresh_reuse(move |reuse| seen.lock().expect("reports").push(reuse.clone()));
    let router = Router::new()
        .route("/login/{user}", get(login))
        .route("/me", get(me))
        .route("/refresh", get(refresh))
        .route("/logout", get(logout))
        .route("/logout-everywhere", get(logout_everywhere))
        .route("/logins", get(logins))
        .layer(layer);
    App {
        store,
        reports,
        browser: TestClient::new(router).with_clock(clock),
    }
}

/// Another browser holding copies of `from`'s cookies.
fn copy_of(from: &TestClient) -> TestClient {
    let mut copy = from.device();
    for name in ["access", "refresh"] {
        if let Some(value) = from.cookie(name) {
            let value = value.to_owned();
            copy.jar_mut().insert(name, &value, "/");
        }
    }
    copy
}

#[tokio::test]
async fn an_expired_access_cookie_is_refreshed_transparently() {
    let App {
        store, mut browser, ..
    } = app().await;
    assert_eq!(browser.get("/login/7").await.text(), "in");
    let first_refresh = browser
        .cookie("refresh")
        .expect("a refresh cookie")
        .to_owned();
    let first_access = browser
        .cookie("access")
        .expect("an access cookie")
        .to_owned();
    // Within the access lifetime nothing is rotated.
    browser.clock().advance(60);
    let response = browser.get("/me").await;
    assert_eq!(response.text(), "user 7");
    assert_eq!(response.set_cookie("refresh"), None);
    // After it, the request is still served, with both cookies new.
    browser.clock().advance(5 * 60);
    let response = browser.get("/me").await;
    assert_eq!(response.text(), "user 7");
    assert!(response.set_cookie("access").is_some());
    assert!(response.set_cookie("refresh").is_some());
    assert_ne!(browser.cookie("refresh"), Some(first_refresh.as_str()));
    assert_ne!(browser.cookie("access"), Some(first_access.as_str()));
    // One login, one row.
    assert_eq!(store.users_rows("refresh", "7", T0 + 3600).await, 1);
    assert_eq!(browser.get("/logins").await.text(), "1 logins");
}

#[tokio::test]
async fn two_tabs_refreshing_at_once_share_one_rotation() {
    let App {
        store,
        mut browser,
        reports,
        ..
    } = app().await;
    browser.get("/login/7").await;
    browser.clock().advance(6 * 60);
    let (mut tab_a, mut tab_b) = (copy_of(&browser), copy_of(&browser));
    // Tab A takes the lease, then is held at its move.
    store.hold_next_move();
    let a = tokio::spawn(async move {
        let response = tab_a.get("/me").await;
        (tab_a, response)
    });
    store.wait_until_held().await;
    // Tab B comes in meanwhile: it shares the lease and makes the move.
    let b = tab_b.get("/me").await;
    store.release();
    let (tab_a, a) = a.await.expect("tab A");
    assert_eq!(a.text(), "user 7");
    assert_eq!(b.text(), "user 7");
    // The same new cookies for both, one row, no theft reported.
    assert_eq!(tab_a.cookie("refresh"), tab_b.cookie("refresh"));
    assert_eq!(tab_a.cookie("access"), tab_b.cookie("access"));
    assert_ne!(tab_a.cookie("refresh"), browser.cookie("refresh"));
    assert_eq!(store.users_rows("refresh", "7", T0 + 3600).await, 1);
    assert!(reports.lock().expect("reports").is_empty());
}

#[tokio::test]
async fn a_stolen_refresh_cookie_used_after_the_victims_refresh_ends_the_login_for_both() {
    let App {
        store,
        mut browser,
        reports,
    } = app().await;
    browser.get("/login/7").await;
    let mut thief = copy_of(&browser);
    thief.jar_mut().remove("access", "/");
    // The victim refreshes; later the thief presents the old refresh id.
    browser.clock().advance(6 * 60);
    assert_eq!(browser.get("/me").await.text(), "user 7");
    browser.clock().advance(60);
    let stolen = thief.get("/me").await;
    assert_eq!(stolen.text(), "nobody (revoked)");
    // The thief's cookie is cleared; the victim's login is gone, and its
    // access cookie revoked at once (not in five minutes).
    assert!(
        stolen
            .set_cookie("refresh")
            .is_some_and(|line| line.contains("Max-Age=0"))
    );
    assert_eq!(store.users_rows("refresh", "7", T0 + 3600).await, 0);
    let victim = browser.get("/me").await;
    assert_eq!(victim.text(), "nobody (revoked)");
    let reports = reports.lock().expect("reports");
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].user, "7");
    assert_eq!(reports[0].ended, 1);
    assert!(reports[0].access_revoked);
    assert_eq!(reports[0].family.len(), 16);
}

#[tokio::test]
async fn replaying_the_first_refresh_cookie_after_several_rotations_ends_the_login() {
    let App {
        store,
        mut browser,
        reports,
        ..
    } = app().await;
    browser.get("/login/7").await;
    let first = browser.cookie("refresh").expect("refresh").to_owned();
    for _ in 0..3 {
        browser.clock().advance(6 * 60);
        assert_eq!(browser.get("/me").await.text(), "user 7");
    }
    let mut replay = browser.device();
    replay.jar_mut().insert("refresh", &first, "/");
    assert_eq!(replay.get("/me").await.text(), "nobody (revoked)");
    assert_eq!(store.users_rows("refresh", "7", T0 + 3600).await, 0);
    assert_eq!(reports.lock().expect("reports").len(), 1);
}

#[tokio::test]
async fn logging_out_one_login_leaves_the_users_others() {
    let App {
        store, mut browser, ..
    } = app().await;
    browser.get("/login/7").await;
    let mut phone = browser.device();
    phone.get("/login/7").await;
    assert_eq!(store.users_rows("refresh", "7", T0 + 3600).await, 2);
    assert_eq!(phone.get("/logout").await.text(), "out");
    assert_eq!(phone.cookie("refresh"), None);
    assert_eq!(phone.cookie("access"), None);
    assert_eq!(store.users_rows("refresh", "7", T0 + 3600).await, 1);
    browser.clock().advance(6 * 60);
    assert_eq!(browser.get("/me").await.text(), "user 7");
    assert_eq!(phone.get("/me").await.text(), "nobody (absent)");
}

#[tokio::test]
async fn logout_everywhere_ends_every_login_and_revokes_the_access_cookies() {
    let App {
        store, mut browser, ..
    } = app().await;
    browser.get("/login/7").await;
    let mut phone = browser.device();
    phone.get("/login/7").await;
    // A second later (a revocation covers sessions begun before it).
    browser.clock().advance(1);
    assert_eq!(
        phone.get("/logout-everywhere").await.text(),
        "ended Some(2)"
    );
    assert_eq!(store.users_rows("refresh", "7", T0 + 3600).await, 0);
    // The laptop's access cookie is still within its five minutes, but
    // revoked; and its refresh session is gone.
    assert_eq!(browser.get("/me").await.text(), "nobody (revoked)");
}

#[tokio::test]
async fn the_refresh_endpoint_rotates_while_the_access_cookie_is_valid() {
    let App { mut browser, .. } = app().await;
    browser.get("/login/7").await;
    let before = browser.cookie("refresh").expect("refresh").to_owned();
    browser.clock().advance(60);
    let response = browser.get("/refresh").await;
    assert_eq!(response.text(), "refreshed true");
    assert_ne!(browser.cookie("refresh"), Some(before.as_str()));
    assert_eq!(browser.get("/me").await.text(), "user 7");
    // Without a refresh cookie there is nothing to refresh.
    let mut stranger = browser.device();
    assert_eq!(stranger.get("/refresh").await.text(), "refreshed false");
}

#[tokio::test]
async fn a_store_outage_during_a_refresh_is_503_not_a_logout() {
    let App {
        store, mut browser, ..
    } = app().await;
    browser.get("/login/7").await;
    browser.clock().advance(6 * 60);
    store.fail_loads(true);
    let response = browser.get("/me").await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    store.fail_loads(false);
    assert_eq!(browser.get("/me").await.text(), "user 7");
}

#[tokio::test]
async fn a_logout_in_the_request_that_refreshed_ends_the_new_login() {
    let App {
        store, mut browser, ..
    } = app().await;
    browser.get("/login/7").await;
    // The access cookie has expired: this request refreshes first, then
    // logs out; the login under its new id must end too.
    browser.clock().advance(6 * 60);
    assert_eq!(browser.get("/logout").await.text(), "out");
    assert_eq!(store.users_rows("refresh", "7", T0 + 3600).await, 0);
    assert_eq!(browser.cookie("refresh"), None);
    assert_eq!(browser.get("/me").await.text(), "nobody (absent)");
}
