//! The two clocks through real HTTP with the layer's injectable clock: the
//! idle `max_age` slides with every renewal, the absolute `absolute_max_age`
//! counts from the session's start (its `insert`) and nothing extends it, in
//! cookie mode and in store mode.

mod common;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use common::{Browser, TestClock, secret, serve};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use session_seal::store::MemoryStore;
use session_seal::{Keyring, SessionLayer, SessionPayload, Tier, TypedSession, peek_key_id};

const T0: u64 = 1_750_000_000;
const MINUTE: u64 = 60;
const HOUR: u64 = 3600;

/// Ten minutes idle (renewed after five), one hour absolute.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(
    cookie = "bank_sid",
    namespace = "bank",
    max_age = "10m",
    absolute_max_age = "1h"
)]
struct BankSession {
    user_id: u64,
    level: u8,
}

session_seal::registry! {
    /// The one session type of these tests.
    struct BankSessions { BankSession }
}

/// `/login/{id}` inserts, `/whoami` reports, `/renew` and `/raise` continue
/// the session (`renew()` and `update`).
fn router(layer: SessionLayer<BankSessions>) -> Router {
    Router::new()
        .route(
            "/login/{id}",
            get(
                |Path(id): Path<u64>, mut session: TypedSession<BankSession>| async move {
                    session
                        .insert(BankSession {
                            user_id: id,
                            level: 0,
                        })
                        .map(|()| describe(&session))
                },
            ),
        )
        .route(
            "/whoami",
            get(|session: TypedSession<BankSession>| async move { describe(&session) }),
        )
        .route(
            "/renew",
            get(|mut session: TypedSession<BankSession>| async move {
                session.renew().map(|_| describe(&session))
            }),
        )
        .route(
            "/raise",
            get(|mut session: TypedSession<BankSession>| async move {
                session.update(|s| s.level += 1).map(|_| describe(&session))
            }),
        )
        .layer(layer)
}

fn describe(session: &TypedSession<BankSession>) -> String {
    match (session.get(), session.started_at(), session.expires_at()) {
        (Some(s), Some(started), Some(expires)) => format!(
            "user {} level {} started {started} expires {expires}",
            s.user_id, s.level
        ),
        _ => format!("none {}", session.status().label()),
    }
}

fn keyring(byte: u8) -> Keyring {
    Keyring::new(secret(byte)).with_tier(Tier::Development)
}

async fn start(keyring: Keyring, clock: &TestClock) -> SocketAddr {
    serve(router(
        SessionLayer::<BankSessions>::new(keyring).clock(clock.reader()),
    ))
    .await
}

fn alive(user: u64, level: u8, started: u64, expires: u64) -> String {
    format!("user {user} level {level} started {started} expires {expires}")
}

#[tokio::test]
async fn renewed_every_minute_it_keeps_its_start_and_ends_at_the_absolute_cap() {
    let clock = TestClock::at(T0);
    let mut browser = Browser::new(start(keyring(1), &clock).await);
    assert_eq!(
        browser.get("/login/7").await.body,
        alive(7, 0, T0, T0 + 10 * MINUTE)
    );
    let mut renewals = 0;
    let mut last_expiry = T0 + 10 * MINUTE;
    for minute in 1..60 {
        clock.advance(MINUTE);
        let reply = browser.get("/whoami").await;
        let now = T0 + minute * MINUTE;
        // The cookie slides: it always ends within ten minutes of the last
        // renewal, but never past T0 + 1h.
        let expires = reply
            .body
            .rsplit_once(' ')
            .and_then(|(_, e)| e.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("minute {minute}: {}", reply.body));
        assert_eq!(
            reply.body,
            alive(7, 0, T0, expires),
            "minute {minute}: the start is kept"
        );
        assert!(expires > now && expires <= T0 + HOUR, "minute {minute}");
        if let Some(cookie) = reply.set_cookies_named("bank_sid").first() {
            let max_age = cookie.max_age().map(|age| age.whole_seconds());
            let reissued_until = (now + 10 * MINUTE).min(T0 + HOUR);
            assert_eq!(
                max_age,
                Some(i64::try_from(reissued_until - now).expect("small")),
                "minute {minute}: Max-Age is the time left, capped too"
            );
            renewals += 1;
            assert!(expires >= last_expiry);
            last_expiry = expires;
        }
    }
    assert!(renewals >= 10, "renewed every five minutes: {renewals}");
    // Renewals near the end are capped at the absolute expiry.
    assert_eq!(last_expiry, T0 + HOUR);

    clock.advance(MINUTE);
    let reply = browser.get("/whoami").await;
    assert_eq!(reply.body, "none expired");
    assert_eq!(reply.set_cookies_named("bank_sid")[0].value(), "");
    assert_eq!(browser.value("bank_sid"), None, "cleared");
}

#[tokio::test]
async fn renew_and_update_keep_the_start_and_insert_resets_it() {
    let clock = TestClock::at(T0);
    let mut browser = Browser::new(start(keyring(1), &clock).await);
    browser.get("/login/7").await;
    // Kept alive by `renew()` (a privilege change) and `update` every 9 minutes.
    for step in 1..=6 {
        clock.advance(9 * MINUTE);
        let now = T0 + step * 9 * MINUTE;
        let path = if step % 2 == 0 { "/renew" } else { "/raise" };
        let reply = browser.get(path).await;
        let level = u8::try_from(step.div_ceil(2)).expect("small");
        let expires = (now + 10 * MINUTE).min(T0 + HOUR);
        assert_eq!(reply.body, alive(7, level, T0, expires), "{path} at {now}");
        assert_eq!(reply.set_cookies_named("bank_sid").len(), 1);
    }
    // At T0 + 54m the last value expires at the cap, T0 + 1h.
    clock.advance(6 * MINUTE);
    assert_eq!(browser.get("/whoami").await.body, "none expired");
    // A past-cap session cannot be renewed into a new lifetime either: only
    // a new login starts one, with a new start.
    assert_eq!(browser.get("/renew").await.body, "none absent");
    let login_at = T0 + HOUR;
    assert_eq!(
        browser.get("/login/8").await.body,
        alive(8, 0, login_at, login_at + 10 * MINUTE)
    );
    clock.advance(9 * MINUTE);
    assert_eq!(
        browser.get("/raise").await.body,
        alive(8, 1, login_at, login_at + 19 * MINUTE)
    );
}

#[tokio::test]
async fn insert_over_a_live_session_starts_a_new_one() {
    let clock = TestClock::at(T0);
    let mut browser = Browser::new(start(keyring(1), &clock).await);
    browser.get("/login/7").await;
    clock.advance(8 * MINUTE);
    let reply = browser.get("/login/9").await;
    let now = T0 + 8 * MINUTE;
    assert_eq!(reply.body, alive(9, 0, now, now + 10 * MINUTE));
    clock.advance(MINUTE);
    assert_eq!(
        browser.get("/whoami").await.body,
        alive(9, 0, now, now + 10 * MINUTE)
    );
}

#[tokio::test]
async fn rotation_reissue_keeps_the_start() {
    let clock = TestClock::at(T0);
    let old_server = start(keyring(1), &clock).await;
    let mut browser = Browser::new(old_server);
    browser.get("/login/7").await;
    let old_value = browser.value("bank_sid").expect("cookie");

    // The secret rotates 55 minutes in (the session kept alive meanwhile):
    // the re-issued cookie is under the new key and still ends at T0 + 1h.
    for _ in 0..11 {
        clock.advance(5 * MINUTE);
        browser.get("/whoami").await;
    }
    let rotated = Keyring::new(secret(2))
        .with_previous(secret(1))
        .with_tier(Tier::Development);
    let new_key = rotated.primary_key_id();
    let current = browser.value("bank_sid").expect("kept alive");
    let mut browser = Browser::new(start(rotated, &clock).await);
    browser.plant("bank_sid", &current, "/");
    clock.advance(MINUTE);
    let now = T0 + 56 * MINUTE;
    let reply = browser.get("/whoami").await;
    assert_eq!(reply.body, alive(7, 0, T0, T0 + HOUR), "at {now}");
    let reissued = &reply.set_cookies_named("bank_sid")[0];
    assert_eq!(peek_key_id(reissued.value()), Some(new_key));
    assert_ne!(peek_key_id(&old_value), Some(new_key));
    assert_eq!(reply.status, StatusCode::OK);
    clock.advance(4 * MINUTE);
    assert_eq!(browser.get("/whoami").await.body, "none expired");
}

/// A store-mode session with both clocks: the cookie carries the session's
/// start (the row's `created_at`), so the absolute cap holds there too.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(
    cookie = "vault_sid",
    namespace = "vault",
    max_age = "10m",
    absolute_max_age = "1h"
)]
#[session(store)]
struct VaultSession {
    user_id: u64,
}

session_seal::registry! {
    /// The store-mode session of these tests.
    struct VaultSessions { VaultSession }
}

async fn start_stored(clock: &TestClock) -> SocketAddr {
    let layer = SessionLayer::<VaultSessions>::new(keyring(1))
        .clock(clock.reader())
        .store(MemoryStore::new());
    let app = Router::new()
        .route(
            "/login/{id}",
            get(
                |Path(id): Path<u64>, mut session: TypedSession<VaultSession>| async move {
                    session
                        .insert(VaultSession { user_id: id })
                        .map(|()| describe_vault(&session))
                },
            ),
        )
        .route(
            "/whoami",
            get(|session: TypedSession<VaultSession>| async move { describe_vault(&session) }),
        )
        .route(
            "/renew",
            get(|mut session: TypedSession<VaultSession>| async move {
                session.renew().map(|_| describe_vault(&session))
            }),
        )
        .layer(layer);
    serve(app).await
}

fn describe_vault(session: &TypedSession<VaultSession>) -> String {
    match (session.get(), session.started_at()) {
        (Some(s), Some(started)) => format!("user {} started {started}", s.user_id),
        _ => format!("none {}", session.status().label()),
    }
}

#[tokio::test]
async fn store_mode_touches_and_renew_keep_the_start_and_stop_at_the_cap() {
    let clock = TestClock::at(T0);
    let mut browser = Browser::new(start_stored(&clock).await);
    assert_eq!(
        browser.get("/login/5").await.body,
        format!("user 5 started {T0}")
    );
    let first_cookie = browser.value("vault_sid").expect("cookie");
    for minute in 1..60 {
        clock.advance(MINUTE);
        let path = if minute == 30 { "/renew" } else { "/whoami" };
        let reply = browser.get(path).await;
        assert_eq!(
            reply.body,
            format!("user 5 started {T0}"),
            "{path} at minute {minute}"
        );
        // Touches and the renewal never give the cookie (or its row) a
        // lifetime past the absolute cap.
        let now = T0 + minute * MINUTE;
        for cookie in reply.set_cookies_named("vault_sid") {
            let max_age = cookie.max_age().map_or(0, |age| age.whole_seconds());
            assert!(
                max_age <= i64::try_from(T0 + HOUR - now).expect("small"),
                "minute {minute}: Max-Age {max_age} past the cap"
            );
        }
    }
    assert_ne!(
        browser.value("vault_sid").as_deref(),
        Some(first_cookie.as_str()),
        "renew() moved the session to a new id"
    );
    clock.advance(MINUTE);
    assert_eq!(browser.get("/whoami").await.body, "none expired");
    let login_at = T0 + HOUR;
    assert_eq!(
        browser.get("/login/5").await.body,
        format!("user 5 started {login_at}")
    );
}
