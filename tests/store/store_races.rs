//! Store mode under concurrency and failure, on every backend (memory,
//! Redis and Redis Cluster, SQLite, PostgreSQL), driven by the test kit's
//! `TestClient`: a renewal racing a logout or an update, renewal and
//! re-login at the per-user cap, handlers that fail after changing a
//! session, planted duplicate cookies, several extractors of one type, and
//! the caching headers of session responses.
//!
//! Every race is deterministic: the slow request's handler loads its session
//! and then waits at a [`Gate`] the test opens only after the competing
//! request has finished. Nothing here sleeps and hopes.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::header::CACHE_CONTROL;
use axum::response::IntoResponse;
use axum::routing::get;
use cookie::Cookie;
use http::header::{COOKIE as COOKIE_HEADER, VARY};
use http::{HeaderValue, Request, StatusCode};
use session_seal::store::SessionStoreExt as _;
use session_seal::testing::{TestClient, TestClock, TestResponse};
use session_seal::{SessionError, SessionLayer, TypedSession};
use tokio::sync::Notify;

use crate::app::{self, AccountSession, AppStore, Prefs, StoreSessions};
use crate::common::dev_keyring;

const START: u64 = 1_700_000_000;
const COOKIE: &str = "account_sid";

/// Where a held handler waits: it says it has arrived (its session is
/// loaded), then waits until the test releases it.
#[derive(Clone, Default)]
struct Gate {
    arrived: Arc<Notify>,
    release: Arc<Notify>,
}

impl Gate {
    /// Called by the handler.
    async fn pass(&self) {
        self.arrived.notify_one();
        self.release.notified().await;
    }

    /// Called by the test: waits (bounded) until a handler is at the gate.
    async fn wait_for_arrival(&self) {
        tokio::time::timeout(Duration::from_secs(10), self.arrived.notified())
            .await
            .expect("the held request reached its handler within 10 s");
    }

    fn open(&self) {
        self.release.notify_one();
    }
}

struct App {
    /// A client to make devices of.
    client: TestClient,
    clock: TestClock,
    store: AppStore,
    gate: Gate,
}

/// The example's routes plus held and failing handlers, behind a layer on
/// `store` with a test clock.
fn start(store: AppStore, save_on_server_error: bool) -> App {
    let clock = TestClock::at(START);
    let gate = Gate::default();
    let layer = SessionLayer::<StoreSessions>::new(dev_keyring())
        .clock(clock.reader())
        .store(Arc::clone(&store))
        .save_on_server_error(save_on_server_error);
    let held_renew = {
        let gate = gate.clone();
        move |mut session: TypedSession<AccountSession>| async move {
            gate.pass().await;
            session
                .renew()
                .map(|renewed| format!("renewed={renewed}\n"))
        }
    };
    let held_visit = {
        let gate = gate.clone();
        move |mut session: TypedSession<AccountSession>| async move {
            gate.pass().await;
            session
                .update(|account| account.visits += 1)
                .map(|updated| format!("visited={updated}\n"))
        }
    };
    let app = app::routes()
        .route("/renew-held", get(held_renew))
        .route("/visit-held", get(held_visit))
        .route("/login-then-fail", get(login_then_fail))
        .route("/login-save-then-fail", get(login_save_then_fail))
        .route("/twice", get(twice))
        .route("/login-no-store-cache", get(login_no_store_cache))
        .route("/plain", get(|| async { "no sessions here\n" }))
        .layer(layer)
        .with_state(Arc::clone(&store));
    App {
        client: TestClient::new(app).with_clock(clock.clone()),
        clock,
        store,
        gate,
    }
}

/// Starts a session (store and cookie mode), then fails.
async fn login_then_fail(
    mut account: TypedSession<AccountSession>,
    mut prefs: TypedSession<Prefs>,
) -> Result<StatusCode, SessionError> {
    account.insert(AccountSession {
        user_id: 9,
        device: "failing".into(),
        visits: 0,
    })?;
    prefs.insert(Prefs {
        theme: "dark".into(),
    })?;
    Ok(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Starts a session and writes it with `save()`, then fails.
async fn login_save_then_fail(
    mut account: TypedSession<AccountSession>,
) -> Result<StatusCode, SessionError> {
    account.insert(AccountSession {
        user_id: 9,
        device: "saved".into(),
        visits: 0,
    })?;
    account.save().await?;
    Ok(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Two extractors of one type in one handler.
async fn twice(
    first: TypedSession<AccountSession>,
    second: TypedSession<AccountSession>,
) -> String {
    let show = |session: &TypedSession<AccountSession>| {
        format!(
            "{}:{}",
            session.status().label(),
            session
                .get()
                .map_or_else(|| "none".to_owned(), |account| account.device.clone())
        )
    };
    format!("{} {}\n", show(&first), show(&second))
}

/// A login whose response sets its own `Cache-Control`.
async fn login_no_store_cache(
    mut account: TypedSession<AccountSession>,
) -> Result<impl IntoResponse, SessionError> {
    account.insert(AccountSession {
        user_id: 5,
        device: "kiosk".into(),
        visits: 0,
    })?;
    Ok(([(CACHE_CONTROL, "no-store")], "welcome\n"))
}

/// A new device, logged in as `user`.
async fn login(app: &App, user: u64, device: &str) -> TestClient {
    let mut browser = app.client.device();
    let reply = browser.get(&format!("/login/{user}/{device}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(browser.cookie(COOKIE).is_some(), "login sets the cookie");
    browser
}

/// The session cookie `browser` holds.
fn cookie_value(browser: &TestClient) -> Option<String> {
    browser.cookie(COOKIE).map(str::to_owned)
}

/// A fresh device holding only a copy of `value`.
fn copy_of(app: &App, value: &str) -> TestClient {
    let mut browser = app.client.device();
    browser.jar_mut().insert(COOKIE, value, "/");
    browser
}

async fn me(browser: &mut TestClient) -> String {
    browser.get("/me").await.text()
}

/// The `Set-Cookie`s for cookie `name`.
fn set_cookies(reply: &TestResponse, name: &str) -> Vec<Cookie<'static>> {
    reply
        .set_cookies()
        .into_iter()
        .filter_map(|line| Cookie::parse(line.to_owned()).ok())
        .filter(|cookie| cookie.name() == name)
        .collect()
}

/// Sends `path` from a copy of `value` in a task of its own, and waits
/// until its handler is held at the gate.
async fn send_held(
    app: &App,
    path: &'static str,
    value: &str,
) -> tokio::task::JoinHandle<TestResponse> {
    let mut tab = copy_of(app, value);
    let request = tokio::spawn(async move { tab.get(path).await });
    app.gate.wait_for_arrival().await;
    request
}

/// Opens the gate and collects the held request's reply.
async fn release(app: &App, request: tokio::task::JoinHandle<TestResponse>) -> TestResponse {
    app.gate.open();
    tokio::time::timeout(Duration::from_secs(10), request)
        .await
        .expect("the held request finished within 10 s")
        .expect("the held request did not panic")
}

async fn sessions_of(app: &App, user: &str) -> usize {
    app.store
        .list_sessions::<AccountSession>(user, app.clock.now())
        .await
        .expect("store available")
        .len()
}

// ---------------------------------------------------------------- scenarios

async fn renew_racing_logout_all_stays_logged_out(store: AppStore) {
    let app = start(store, false);
    let laptop = login(&app, 7, "laptop").await;
    let mut phone = login(&app, 7, "phone").await;
    let value = cookie_value(&laptop).expect("cookie");

    let renewing = send_held(&app, "/renew-held", &value).await;
    assert_eq!(
        phone.get("/logout-all").await.text(),
        "signed out 2 sessions\n"
    );
    let reply = release(&app, renewing).await;

    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text());
    let cookies = set_cookies(&reply, COOKIE);
    assert_eq!(cookies.len(), 1, "one removal: {:?}", reply.set_cookies());
    assert_eq!(cookies[0].value(), "", "the cookie is cleared, not renewed");
    assert_eq!(
        me(&mut copy_of(&app, &value)).await,
        "no session: rejected (revoked)\n"
    );
    assert_eq!(sessions_of(&app, "7").await, 0, "the logout was not undone");
}

async fn renew_racing_an_update_answers_409_and_keeps_the_update(store: AppStore) {
    let app = start(store, false);
    let mut laptop = login(&app, 7, "laptop").await;
    let value = cookie_value(&laptop).expect("cookie");

    let renewing = send_held(&app, "/renew-held", &value).await;
    assert_eq!(laptop.get("/visit").await.text(), "visit 1\n");
    let reply = release(&app, renewing).await;

    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text());
    assert!(reply.set_cookies().is_empty(), "{:?}", reply.set_cookies());
    assert_eq!(me(&mut laptop).await, "user 7 on laptop, 1 visits\n");
    assert_eq!(sessions_of(&app, "7").await, 1);
}

async fn an_update_racing_a_renewal_answers_409_and_the_renewal_stands(store: AppStore) {
    let app = start(store, false);
    let mut laptop = login(&app, 7, "laptop").await;
    let value = cookie_value(&laptop).expect("cookie");

    let visiting = send_held(&app, "/visit-held", &value).await;
    assert_eq!(laptop.get("/renew").await.text(), "renewed\n");
    let renewed = cookie_value(&laptop).expect("renewed cookie");
    assert_ne!(renewed, value);
    let reply = release(&app, visiting).await;

    // The held update read the old id's row, which the renewal moved: it is
    // refused rather than written anywhere.
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text());
    assert!(reply.set_cookies().is_empty(), "{:?}", reply.set_cookies());
    assert_eq!(me(&mut laptop).await, "user 7 on laptop, 0 visits\n");
    assert_eq!(sessions_of(&app, "7").await, 1);
}

async fn two_updates_racing_the_second_answers_409(store: AppStore) {
    let app = start(store, false);
    let mut laptop = login(&app, 7, "laptop").await;
    let value = cookie_value(&laptop).expect("cookie");

    // Both load revision 1; the free one writes first, so the held one's
    // write must not silently replace it.
    let visiting = send_held(&app, "/visit-held", &value).await;
    assert_eq!(laptop.get("/visit").await.text(), "visit 1\n");
    let reply = release(&app, visiting).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text());
    assert!(
        reply.set_cookies().is_empty(),
        "a failed write sets no cookie"
    );
    assert_eq!(me(&mut laptop).await, "user 7 on laptop, 1 visits\n");

    // A retry on the fresh revision goes through.
    let visiting = send_held(&app, "/visit-held", &value).await;
    let reply = release(&app, visiting).await;
    assert_eq!(reply.text(), "visited=true\n");
    assert_eq!(me(&mut laptop).await, "user 7 on laptop, 2 visits\n");
}

async fn renewal_and_relogin_at_the_cap_evict_no_other_device(store: AppStore) {
    let app = start(store, false);
    let mut first = login(&app, 7, "first").await;
    app.clock.advance(60);
    let mut second = login(&app, 7, "second").await;
    app.clock.advance(60);
    let mut third = login(&app, 7, "third").await;
    app.clock.advance(60);

    assert_eq!(third.get("/renew").await.text(), "renewed\n");
    assert_eq!(me(&mut first).await, "user 7 on first, 0 visits\n");
    assert_eq!(me(&mut second).await, "user 7 on second, 0 visits\n");
    assert_eq!(sessions_of(&app, "7").await, 3);

    app.clock.advance(60);
    third.get("/login/7/third-again").await;
    assert_eq!(me(&mut first).await, "user 7 on first, 0 visits\n");
    assert_eq!(me(&mut second).await, "user 7 on second, 0 visits\n");
    assert_eq!(me(&mut third).await, "user 7 on third-again, 0 visits\n");
    assert_eq!(sessions_of(&app, "7").await, 3);

    // A genuinely new device still evicts the least recently used one.
    app.clock.advance(60);
    let mut fourth = login(&app, 7, "fourth").await;
    assert_eq!(me(&mut first).await, "no session: rejected (revoked)\n");
    assert_eq!(me(&mut fourth).await, "user 7 on fourth, 0 visits\n");
    assert_eq!(sessions_of(&app, "7").await, 3);
}

async fn a_failing_handler_writes_nothing(store: AppStore) {
    let app = start(store, false);
    let mut browser = app.client.device();
    let reply = browser.get("/login-then-fail").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(reply.set_cookies().is_empty(), "{:?}", reply.set_cookies());
    assert_eq!(sessions_of(&app, "9").await, 0, "no row");

    // What the handler already wrote with save() stays, and so does its cookie.
    let reply = browser.get("/login-save-then-fail").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        set_cookies(&reply, COOKIE).len(),
        1,
        "{:?}",
        reply.set_cookies()
    );
    assert_eq!(sessions_of(&app, "9").await, 1);
    assert_eq!(me(&mut browser).await, "user 9 on saved, 0 visits\n");
}

async fn the_opt_out_writes_on_server_errors(store: AppStore) {
    let app = start(store, true);
    let mut browser = app.client.device();
    let reply = browser.get("/login-then-fail").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(set_cookies(&reply, COOKIE).len(), 1);
    assert_eq!(set_cookies(&reply, "prefs").len(), 1);
    assert_eq!(sessions_of(&app, "9").await, 1);
    assert_eq!(me(&mut browser).await, "user 9 on failing, 0 visits\n");
}

async fn twelve_planted_cookies_do_not_hide_the_real_one(store: AppStore) {
    let app = start(store, false);
    let laptop = login(&app, 7, "laptop").await;
    let genuine = cookie_value(&laptop).expect("cookie");
    let mut header: Vec<String> = (0..12).map(|i| format!("{COOKIE}=planted{i}")).collect();
    header.push(format!("{COOKIE}={genuine}"));
    let mut request = Request::get("/me").body(Body::empty()).expect("request");
    let header = HeaderValue::from_str(&header.join("; ")).expect("a header value");
    request.headers_mut().insert(COOKIE_HEADER, header);
    let reply = app.client.device().send(request).await;
    assert_eq!(reply.text(), "user 7 on laptop, 0 visits\n");
    assert!(
        reply.set_cookies().is_empty(),
        "nothing cleared: {:?}",
        reply.set_cookies()
    );
}

async fn two_extractors_report_the_same_status(store: AppStore) {
    let app = start(store, false);
    let mut laptop = login(&app, 7, "laptop").await;
    assert_eq!(
        laptop.get("/twice").await.text(),
        "valid:laptop valid:laptop\n"
    );

    let value = cookie_value(&laptop).expect("cookie");
    // One character inside the tag changed (not the last, whose spare bits
    // would make the base64 non-canonical: malformed rather than forged).
    let at = value.len() - 5;
    let flipped = if &value[at..=at] == "A" { "B" } else { "A" };
    let tampered = format!("{}{flipped}{}", &value[..at], &value[at + 1..]);
    let reply = copy_of(&app, &tampered).get("/twice").await;
    assert_eq!(reply.text(), "bad_signature:none bad_signature:none\n");
    assert_eq!(set_cookies(&reply, COOKIE).len(), 1, "one removal");

    laptop.get("/logout").await;
    let reply = copy_of(&app, &value).get("/twice").await;
    assert_eq!(reply.text(), "revoked:none revoked:none\n");
}

async fn session_responses_are_kept_out_of_shared_caches(store: AppStore) {
    let app = start(store, false);
    let mut browser = app.client.device();

    let reply = browser.get("/plain").await;
    assert!(reply.headers.get(VARY).is_none(), "no session touched");
    assert!(reply.headers.get(CACHE_CONTROL).is_none());

    let reply = browser.get("/login/7/laptop").await;
    assert_eq!(
        reply.headers.get(VARY).map(|v| v.as_bytes()),
        Some(&b"cookie"[..])
    );
    assert_eq!(
        reply.headers.get(CACHE_CONTROL).map(|v| v.as_bytes()),
        Some(&b"private"[..])
    );

    // A read that writes no cookie still varies on Cookie, and is not
    // marked private by us (it sets nothing).
    let reply = browser.get("/me").await;
    assert!(reply.set_cookies().is_empty());
    assert_eq!(
        reply.headers.get(VARY).map(|v| v.as_bytes()),
        Some(&b"cookie"[..])
    );
    assert!(reply.headers.get(CACHE_CONTROL).is_none());

    // The app's own Cache-Control is never overridden.
    let reply = app.client.device().get("/login-no-store-cache").await;
    assert_eq!(set_cookies(&reply, COOKIE).len(), 1);
    let values: Vec<_> = reply.headers.get_all(CACHE_CONTROL).iter().collect();
    assert_eq!(values, vec!["no-store"]);
}

on_every_backend!(
    two_updates_racing_the_second_answers_409,
    renew_racing_logout_all_stays_logged_out,
    renew_racing_an_update_answers_409_and_keeps_the_update,
    an_update_racing_a_renewal_answers_409_and_the_renewal_stands,
    renewal_and_relogin_at_the_cap_evict_no_other_device,
    a_failing_handler_writes_nothing,
    the_opt_out_writes_on_server_errors,
    twelve_planted_cookies_do_not_hide_the_real_one,
    two_extractors_report_the_same_status,
    session_responses_are_kept_out_of_shared_caches,
);
