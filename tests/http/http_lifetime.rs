//! The two clocks, driven through the layer's injectable clock and the test
//! kit's client on the same clock: the idle `max_age` slides with every
//! renewal, the absolute `absolute_max_age` counts from the session's start
//! (its `insert`) and nothing extends it, in cookie mode and in store mode.

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use session_seal::store::MemoryStore;
use session_seal::testing::{TestClient, TestClock, TestResponse};
use session_seal::{Keyring, SessionLayer, SessionPayload, Tier, TypedSession, peek_key_id};

use crate::common::secret;

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

/// A client of the bank app behind a layer on `keyring`, both on `clock`.
fn start(keyring: Keyring, clock: &TestClock) -> TestClient {
    let layer = SessionLayer::<BankSessions>::new(keyring).clock(clock.reader());
    TestClient::new(router(layer)).with_clock(clock.clone())
}

/// The parsed `Set-Cookie`s for cookie `name`.
fn set_cookies(reply: &TestResponse, name: &str) -> Vec<cookie::Cookie<'static>> {
    reply
        .set_cookies()
        .into_iter()
        .filter_map(|line| cookie::Cookie::parse(line.to_owned()).ok())
        .filter(|cookie| cookie.name() == name)
        .collect()
}

/// At a cookie's expiry the jar drops it, as a browser does; this asserts
/// that, then puts `value` back, as a browser whose clock lags would still
/// send it, so the test sees what the layer says of the expired value itself.
fn expired_in_the_jar_but_sent_anyway(browser: &mut TestClient, name: &str, value: &str) {
    assert_eq!(browser.cookie(name), None, "the jar dropped {name}");
    browser.jar_mut().insert(name, value, "/");
}

fn alive(user: u64, level: u8, started: u64, expires: u64) -> String {
    format!("user {user} level {level} started {started} expires {expires}")
}

#[tokio::test]
async fn renewed_every_minute_it_keeps_its_start_and_ends_at_the_absolute_cap() {
    let clock = TestClock::at(T0);
    let mut browser = start(keyring(1), &clock);
    assert_eq!(
        browser.get("/login/7").await.text(),
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
            .text()
            .rsplit_once(' ')
            .and_then(|(_, e)| e.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("minute {minute}: {}", reply.text()));
        assert_eq!(
            reply.text(),
            alive(7, 0, T0, expires),
            "minute {minute}: the start is kept"
        );
        assert!(expires > now && expires <= T0 + HOUR, "minute {minute}");
        if let Some(cookie) = set_cookies(&reply, "bank_sid").first() {
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

    let last = browser.cookie("bank_sid").expect("held").to_owned();
    clock.advance(MINUTE);
    expired_in_the_jar_but_sent_anyway(&mut browser, "bank_sid", &last);
    let reply = browser.get("/whoami").await;
    assert_eq!(reply.text(), "none expired");
    assert_eq!(set_cookies(&reply, "bank_sid")[0].value(), "");
    assert_eq!(browser.cookie("bank_sid"), None, "cleared");
}

#[tokio::test]
async fn renew_and_update_keep_the_start_and_insert_resets_it() {
    let clock = TestClock::at(T0);
    let mut browser = start(keyring(1), &clock);
    browser.get("/login/7").await;
    // Kept alive by `renew()` (a privilege change) and `update` every 9 minutes.
    for step in 1..=6 {
        clock.advance(9 * MINUTE);
        let now = T0 + step * 9 * MINUTE;
        let path = if step % 2 == 0 { "/renew" } else { "/raise" };
        let reply = browser.get(path).await;
        let level = u8::try_from(step.div_ceil(2)).expect("small");
        let expires = (now + 10 * MINUTE).min(T0 + HOUR);
        assert_eq!(
            reply.text(),
            alive(7, level, T0, expires),
            "{path} at {now}"
        );
        assert_eq!(set_cookies(&reply, "bank_sid").len(), 1);
    }
    // At T0 + 54m the last value expires at the cap, T0 + 1h.
    let last = browser.cookie("bank_sid").expect("held").to_owned();
    clock.advance(6 * MINUTE);
    expired_in_the_jar_but_sent_anyway(&mut browser, "bank_sid", &last);
    assert_eq!(browser.get("/whoami").await.text(), "none expired");
    // A past-cap session cannot be renewed into a new lifetime either: only
    // a new login starts one, with a new start.
    assert_eq!(browser.get("/renew").await.text(), "none absent");
    let login_at = T0 + HOUR;
    assert_eq!(
        browser.get("/login/8").await.text(),
        alive(8, 0, login_at, login_at + 10 * MINUTE)
    );
    clock.advance(9 * MINUTE);
    assert_eq!(
        browser.get("/raise").await.text(),
        alive(8, 1, login_at, login_at + 19 * MINUTE)
    );
}

#[tokio::test]
async fn insert_over_a_live_session_starts_a_new_one() {
    let clock = TestClock::at(T0);
    let mut browser = start(keyring(1), &clock);
    browser.get("/login/7").await;
    clock.advance(8 * MINUTE);
    let reply = browser.get("/login/9").await;
    let now = T0 + 8 * MINUTE;
    assert_eq!(reply.text(), alive(9, 0, now, now + 10 * MINUTE));
    clock.advance(MINUTE);
    assert_eq!(
        browser.get("/whoami").await.text(),
        alive(9, 0, now, now + 10 * MINUTE)
    );
}

#[tokio::test]
async fn rotation_reissue_keeps_the_start() {
    let clock = TestClock::at(T0);
    let mut browser = start(keyring(1), &clock);
    browser.get("/login/7").await;
    let old_value = browser.cookie("bank_sid").expect("cookie").to_owned();

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
    let current = browser.cookie("bank_sid").expect("kept alive").to_owned();
    // The same browser, now talking to the app restarted with the new keyring.
    let mut browser = start(rotated, &clock);
    browser.jar_mut().insert("bank_sid", &current, "/");
    clock.advance(MINUTE);
    let now = T0 + 56 * MINUTE;
    let reply = browser.get("/whoami").await;
    assert_eq!(reply.text(), alive(7, 0, T0, T0 + HOUR), "at {now}");
    let reissued = &set_cookies(&reply, "bank_sid")[0];
    assert_eq!(peek_key_id(reissued.value()), Some(new_key));
    assert_ne!(peek_key_id(&old_value), Some(new_key));
    assert_eq!(reply.status, StatusCode::OK);
    let reissued = reissued.value().to_owned();
    clock.advance(4 * MINUTE);
    expired_in_the_jar_but_sent_anyway(&mut browser, "bank_sid", &reissued);
    assert_eq!(browser.get("/whoami").await.text(), "none expired");
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

fn start_stored(clock: &TestClock) -> TestClient {
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
    TestClient::new(app).with_clock(clock.clone())
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
    let mut browser = start_stored(&clock);
    assert_eq!(
        browser.get("/login/5").await.text(),
        format!("user 5 started {T0}")
    );
    let first_cookie = browser.cookie("vault_sid").expect("cookie").to_owned();
    for minute in 1..60 {
        clock.advance(MINUTE);
        let path = if minute == 30 { "/renew" } else { "/whoami" };
        let reply = browser.get(path).await;
        assert_eq!(
            reply.text(),
            format!("user 5 started {T0}"),
            "{path} at minute {minute}"
        );
        // Touches and the renewal never give the cookie (or its row) a
        // lifetime past the absolute cap.
        let now = T0 + minute * MINUTE;
        for cookie in set_cookies(&reply, "vault_sid") {
            let max_age = cookie.max_age().map_or(0, |age| age.whole_seconds());
            assert!(
                max_age <= i64::try_from(T0 + HOUR - now).expect("small"),
                "minute {minute}: Max-Age {max_age} past the cap"
            );
        }
    }
    assert_ne!(
        browser.cookie("vault_sid"),
        Some(first_cookie.as_str()),
        "renew() moved the session to a new id"
    );
    let last = browser.cookie("vault_sid").expect("held").to_owned();
    clock.advance(MINUTE);
    expired_in_the_jar_but_sent_anyway(&mut browser, "vault_sid", &last);
    assert_eq!(browser.get("/whoami").await.text(), "none expired");
    let login_at = T0 + HOUR;
    assert_eq!(
        browser.get("/login/5").await.text(),
        format!("user 5 started {login_at}")
    );
}
