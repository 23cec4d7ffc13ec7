//! Store mode under concurrency and failure, through real HTTP on every
//! backend (memory, Redis and Redis Cluster, SQLite, PostgreSQL): a renewal racing a logout or an update, renewal and re-login at
//! the per-user cap, handlers that fail after changing a session, planted
//! duplicate cookies, several extractors of one type, and the caching
//! headers of session responses.
//!
//! Every race is deterministic: the slow request's handler loads its session
//! and then waits at a [`Gate`] the test opens only after the competing
//! request has finished. Nothing here sleeps and hopes.

// The example's `router` is for its `main`; these tests compose `routes`.
#[allow(dead_code)]
#[path = "../examples/store_mode/app.rs"]
mod app;
mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::{AccountSession, AppStore};
use axum::http::header::CACHE_CONTROL;
use axum::response::IntoResponse;
use axum::routing::get;
use common::{Browser, Reply, TestClock, dev_keyring, serve};
use http::StatusCode;
use http::header::VARY;
use serde::{Deserialize, Serialize};
use session_seal::store::{MemoryStore, SessionStoreExt as _};
use session_seal::{SessionError, SessionLayer, SessionPayload, TypedSession};
use tokio::sync::Notify;

const START: u64 = 1_700_000_000;
const COOKIE: &str = "account_sid";

/// A cookie-mode type next to the store-mode one, to check that a failed
/// request drops cookie-mode changes too.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(cookie = "prefs", namespace = "prefs", max_age = "1d")]
struct Prefs {
    theme: String,
}

session_seal::registry! {
    /// The example's account session plus a cookie-mode type.
    struct RaceSessions { AccountSession, Prefs }
}

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
    addr: SocketAddr,
    clock: TestClock,
    store: AppStore,
    gate: Gate,
}

/// The example's routes plus held and failing handlers, behind a layer on
/// `store` with a test clock.
async fn start(store: AppStore, save_on_server_error: bool) -> App {
    let clock = TestClock::at(START);
    let gate = Gate::default();
    let layer = SessionLayer::<RaceSessions>::new(dev_keyring())
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
        addr: serve(app).await,
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

async fn login(addr: SocketAddr, user: u64, device: &str) -> Browser {
    let mut browser = Browser::new(addr);
    let reply = browser.get(&format!("/login/{user}/{device}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(browser.value(COOKIE).is_some(), "login sets the cookie");
    browser
}

/// A fresh browser holding only a copy of `value`.
fn copy_of(addr: SocketAddr, value: &str) -> Browser {
    let mut browser = Browser::new(addr);
    browser.plant(COOKIE, value, "/");
    browser
}

async fn me(browser: &mut Browser) -> String {
    browser.get("/me").await.body
}

/// Sends `path` from a copy of `value` in a task of its own, and waits
/// until its handler is held at the gate.
async fn send_held(app: &App, path: &'static str, value: &str) -> tokio::task::JoinHandle<Reply> {
    let mut tab = copy_of(app.addr, value);
    let request = tokio::spawn(async move { tab.get(path).await });
    app.gate.wait_for_arrival().await;
    request
}

/// Opens the gate and collects the held request's reply.
async fn release(app: &App, request: tokio::task::JoinHandle<Reply>) -> Reply {
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
    let app = start(store, false).await;
    let laptop = login(app.addr, 7, "laptop").await;
    let mut phone = login(app.addr, 7, "phone").await;
    let value = laptop.value(COOKIE).expect("cookie");

    let renewing = send_held(&app, "/renew-held", &value).await;
    assert_eq!(
        phone.get("/logout-all").await.body,
        "signed out 2 sessions\n"
    );
    let reply = release(&app, renewing).await;

    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    let cookies = reply.set_cookies_named(COOKIE);
    assert_eq!(cookies.len(), 1, "one removal: {:?}", reply.set_cookies);
    assert_eq!(cookies[0].value(), "", "the cookie is cleared, not renewed");
    assert_eq!(
        me(&mut copy_of(app.addr, &value)).await,
        "no session: rejected (revoked)\n"
    );
    assert_eq!(sessions_of(&app, "7").await, 0, "the logout was not undone");
}

async fn renew_racing_an_update_answers_409_and_keeps_the_update(store: AppStore) {
    let app = start(store, false).await;
    let mut laptop = login(app.addr, 7, "laptop").await;
    let value = laptop.value(COOKIE).expect("cookie");

    let renewing = send_held(&app, "/renew-held", &value).await;
    assert_eq!(laptop.get("/visit").await.body, "visit 1\n");
    let reply = release(&app, renewing).await;

    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
    assert!(reply.set_cookies.is_empty(), "{:?}", reply.set_cookies);
    assert_eq!(me(&mut laptop).await, "user 7 on laptop, 1 visits\n");
    assert_eq!(sessions_of(&app, "7").await, 1);
}

async fn an_update_racing_a_renewal_answers_409_and_the_renewal_stands(store: AppStore) {
    let app = start(store, false).await;
    let mut laptop = login(app.addr, 7, "laptop").await;
    let value = laptop.value(COOKIE).expect("cookie");

    let visiting = send_held(&app, "/visit-held", &value).await;
    assert_eq!(laptop.get("/renew").await.body, "renewed\n");
    let renewed = laptop.value(COOKIE).expect("renewed cookie");
    assert_ne!(renewed, value);
    let reply = release(&app, visiting).await;

    // The held update read the old id's row, which the renewal moved: it is
    // refused rather than written anywhere.
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
    assert!(reply.set_cookies.is_empty(), "{:?}", reply.set_cookies);
    assert_eq!(me(&mut laptop).await, "user 7 on laptop, 0 visits\n");
    assert_eq!(sessions_of(&app, "7").await, 1);
}

async fn two_updates_racing_the_second_answers_409(store: AppStore) {
    let app = start(store, false).await;
    let mut laptop = login(app.addr, 7, "laptop").await;
    let value = laptop.value(COOKIE).expect("cookie");

    // Both load revision 1; the free one writes first, so the held one's
    // write must not silently replace it.
    let visiting = send_held(&app, "/visit-held", &value).await;
    assert_eq!(laptop.get("/visit").await.body, "visit 1\n");
    let reply = release(&app, visiting).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
    assert!(
        reply.set_cookies.is_empty(),
        "a failed write sets no cookie"
    );
    assert_eq!(me(&mut laptop).await, "user 7 on laptop, 1 visits\n");

    // A retry on the fresh revision goes through.
    let visiting = send_held(&app, "/visit-held", &value).await;
    let reply = release(&app, visiting).await;
    assert_eq!(reply.body, "visited=true\n");
    assert_eq!(me(&mut laptop).await, "user 7 on laptop, 2 visits\n");
}

async fn renewal_and_relogin_at_the_cap_evict_no_other_device(store: AppStore) {
    let app = start(store, false).await;
    let mut first = login(app.addr, 7, "first").await;
    app.clock.advance(60);
    let mut second = login(app.addr, 7, "second").await;
    app.clock.advance(60);
    let mut third = login(app.addr, 7, "third").await;
    app.clock.advance(60);

    assert_eq!(third.get("/renew").await.body, "renewed\n");
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
    let mut fourth = login(app.addr, 7, "fourth").await;
    assert_eq!(me(&mut first).await, "no session: rejected (revoked)\n");
    assert_eq!(me(&mut fourth).await, "user 7 on fourth, 0 visits\n");
    assert_eq!(sessions_of(&app, "7").await, 3);
}

async fn a_failing_handler_writes_nothing(store: AppStore) {
    let app = start(store, false).await;
    let mut browser = Browser::new(app.addr);
    let reply = browser.get("/login-then-fail").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(reply.set_cookies.is_empty(), "{:?}", reply.set_cookies);
    assert_eq!(sessions_of(&app, "9").await, 0, "no row");

    // What the handler already wrote with save() stays, and so does its cookie.
    let reply = browser.get("/login-save-then-fail").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        reply.set_cookies_named(COOKIE).len(),
        1,
        "{:?}",
        reply.set_cookies
    );
    assert_eq!(sessions_of(&app, "9").await, 1);
    assert_eq!(me(&mut browser).await, "user 9 on saved, 0 visits\n");
}

async fn the_opt_out_writes_on_server_errors(store: AppStore) {
    let app = start(store, true).await;
    let mut browser = Browser::new(app.addr);
    let reply = browser.get("/login-then-fail").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.set_cookies_named(COOKIE).len(), 1);
    assert_eq!(reply.set_cookies_named("prefs").len(), 1);
    assert_eq!(sessions_of(&app, "9").await, 1);
    assert_eq!(me(&mut browser).await, "user 9 on failing, 0 visits\n");
}

async fn a_lost_touch_response_is_repaired_by_the_next_request(store: AppStore) {
    let app = start(store, false).await;
    let mut laptop = login(app.addr, 7, "laptop").await;
    let value = laptop.value(COOKIE).expect("cookie");

    // Past touch_after (5 min) a read pushes the row's expiry back and
    // re-seals the cookie, but this response never reaches the browser.
    app.clock.advance(10 * 60);
    let lost = copy_of(app.addr, &value).get("/me").await;
    assert_eq!(
        lost.set_cookies_named(COOKIE).len(),
        1,
        "touched and re-sealed"
    );

    // The next request is inside touch_after, so nothing is touched; the
    // cookie would still die before its row, so it is re-sealed anyway.
    app.clock.advance(60);
    let reply = laptop.get("/me").await;
    assert_eq!(reply.body, "user 7 on laptop, 0 visits\n");
    assert_eq!(
        reply.set_cookies_named(COOKIE).len(),
        1,
        "{:?}",
        reply.set_cookies
    );
    // Once repaired, reads write nothing until the next touch is due.
    app.clock.advance(60);
    assert!(laptop.get("/me").await.set_cookies.is_empty());
    // The repaired cookie lives as long as the row: 8 h after the touch.
    app.clock.advance(8 * 3600 - 3 * 60);
    assert_eq!(me(&mut laptop).await, "user 7 on laptop, 0 visits\n");
}

async fn twelve_planted_cookies_do_not_hide_the_real_one(store: AppStore) {
    let app = start(store, false).await;
    let laptop = login(app.addr, 7, "laptop").await;
    let genuine = laptop.value(COOKIE).expect("cookie");
    let mut header: Vec<String> = (0..12).map(|i| format!("{COOKIE}=planted{i}")).collect();
    header.push(format!("{COOKIE}={genuine}"));
    let mut browser = Browser::new(app.addr);
    let reply = browser
        .get_with_cookie_header("/me", Some(&header.join("; ")))
        .await;
    assert_eq!(reply.body, "user 7 on laptop, 0 visits\n");
    assert!(
        reply.set_cookies.is_empty(),
        "nothing cleared: {:?}",
        reply.set_cookies
    );
}

async fn two_extractors_report_the_same_status(store: AppStore) {
    let app = start(store, false).await;
    let mut laptop = login(app.addr, 7, "laptop").await;
    assert_eq!(
        laptop.get("/twice").await.body,
        "valid:laptop valid:laptop\n"
    );

    let value = laptop.value(COOKIE).expect("cookie");
    // One character inside the tag changed (not the last, whose spare bits
    // would make the base64 non-canonical: malformed rather than forged).
    let at = value.len() - 5;
    let flipped = if &value[at..=at] == "A" { "B" } else { "A" };
    let tampered = format!("{}{flipped}{}", &value[..at], &value[at + 1..]);
    let reply = copy_of(app.addr, &tampered).get("/twice").await;
    assert_eq!(reply.body, "bad_signature:none bad_signature:none\n");
    assert_eq!(reply.set_cookies_named(COOKIE).len(), 1, "one removal");

    laptop.get("/logout").await;
    let reply = copy_of(app.addr, &value).get("/twice").await;
    assert_eq!(reply.body, "revoked:none revoked:none\n");
}

async fn session_responses_are_kept_out_of_shared_caches(store: AppStore) {
    let app = start(store, false).await;
    let mut browser = Browser::new(app.addr);

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
    assert!(reply.set_cookies.is_empty());
    assert_eq!(
        reply.headers.get(VARY).map(|v| v.as_bytes()),
        Some(&b"cookie"[..])
    );
    assert!(reply.headers.get(CACHE_CONTROL).is_none());

    // The app's own Cache-Control is never overridden.
    let reply = Browser::new(app.addr).get("/login-no-store-cache").await;
    assert_eq!(reply.set_cookies_named(COOKIE).len(), 1);
    let values: Vec<_> = reply.headers.get_all(CACHE_CONTROL).iter().collect();
    assert_eq!(values, vec!["no-store"]);
}

/// Runs each scenario on a fresh memory store, a fresh Redis prefix (one
/// server and the cluster), a fresh SQLite file and a fresh PostgreSQL table.
macro_rules! on_every_backend {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[tokio::test]
            async fn memory() {
                super::$scenario(std::sync::Arc::new(super::MemoryStore::new())).await;
            }

            #[tokio::test]
            async fn redis() {
                let test = concat!("races::", stringify!($scenario));
                if let Some(store) = crate::common::store::redis_store(test).await {
                    super::$scenario(std::sync::Arc::new(store)).await;
                }
            }

            #[tokio::test]
            async fn redis_cluster() {
                let test = concat!("races::", stringify!($scenario), "::cluster");
                if let Some(store) = crate::common::store::redis_cluster_store(test).await {
                    super::$scenario(std::sync::Arc::new(store)).await;
                }
            }

            #[tokio::test]
            async fn sqlite() {
                let (store, _file) =
                    crate::common::sql::sqlite_store(stringify!($scenario)).await;
                super::$scenario(std::sync::Arc::new(store)).await;
            }

            #[tokio::test]
            async fn postgres() {
                let table = crate::common::sql::unique_table(stringify!($scenario));
                let config = crate::common::sql::test_config(&table);
                let test = concat!("races::", stringify!($scenario), "::postgres");
                let Some(store) = crate::common::sql::postgres_store_with(test, config).await
                else {
                    return;
                };
                super::$scenario(std::sync::Arc::new(store.clone())).await;
                crate::common::sql::drop_table(&store, &table).await;
            }
        }
    )*};
}

on_every_backend!(
    two_updates_racing_the_second_answers_409,
    renew_racing_logout_all_stays_logged_out,
    renew_racing_an_update_answers_409_and_keeps_the_update,
    an_update_racing_a_renewal_answers_409_and_the_renewal_stands,
    renewal_and_relogin_at_the_cap_evict_no_other_device,
    a_failing_handler_writes_nothing,
    the_opt_out_writes_on_server_errors,
    a_lost_touch_response_is_repaired_by_the_next_request,
    twelve_planted_cookies_do_not_hide_the_real_one,
    two_extractors_report_the_same_status,
    session_responses_are_kept_out_of_shared_caches,
);
