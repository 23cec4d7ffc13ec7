//! Store mode through HTTP, on every backend: the `store_mode` example's
//! routes driven by several cookie-jar "devices" (the test kit's
//! `TestClient`, in memory).
//!
//! Every scenario runs against the memory store, Redis (one server and a
//! three-primary cluster), SQLite and PostgreSQL (the servers `.ci/run`
//! starts; outside CI the server-backed runs skip with a message when no
//! server answers). Then outages: a store switched off, a Redis server
//! killed and a PostgreSQL server stopped under the app.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Path};
use axum::routing::get;
use cookie::Cookie;
use http::header::COOKIE as COOKIE_HEADER;
use http::{HeaderValue, Request, StatusCode};
use session_seal::store::{
    MemoryStore, Move, MoveOutcome, Record, SaveOutcome, SessionMeta, SessionStore, StoreFuture,
    StoreKey, UserSession,
};
use session_seal::testing::{TestClient, TestClock, TestResponse};
use session_seal::{ProxyHeader, SessionError, SessionLayer, StoreError, TypedSession};

use crate::app::{self, AccountSession, AppStore, StoreSessions};
use crate::common::{dev_keyring, within_10s};

const START: u64 = 1_700_000_000;
const HOUR: u64 = 3600;
const COOKIE: &str = "account_sid";

/// The example's routes behind a layer on `store` with a test clock: a
/// client to make devices of, and the clock (the races between requests are
/// in `store_races`).
fn start(store: AppStore) -> (TestClient, TestClock) {
    start_with(store, |layer| layer)
}

/// [`start`] with the layer's settings changed by `configure`.
fn start_with(
    store: AppStore,
    configure: impl FnOnce(SessionLayer<StoreSessions>) -> SessionLayer<StoreSessions>,
) -> (TestClient, TestClock) {
    let clock = TestClock::at(START);
    let layer = configure(
        SessionLayer::<StoreSessions>::new(dev_keyring())
            .clock(clock.reader())
            .store(Arc::clone(&store)),
    );
    let app = app::routes()
        .route("/become/{user_id}", get(become_user))
        .route("/switch/{user_id}/{device}", get(switch_account))
        .layer(layer)
        .with_state(store);
    (TestClient::new(app).with_clock(clock.clone()), clock)
}

/// A change of user: the session moves to a new id on the new user's route.
async fn become_user(
    Path(user_id): Path<u64>,
    mut session: TypedSession<AccountSession>,
) -> Result<String, SessionError> {
    session.update(|account| account.user_id = user_id)?;
    Ok(format!("now user {user_id}\n"))
}

/// "Switch account": this session ends (its row is deleted at the flush)
/// and a new one starts under a fresh id.
async fn switch_account(
    Path((user_id, device)): Path<(u64, String)>,
    mut session: TypedSession<AccountSession>,
) -> Result<String, SessionError> {
    session.remove();
    session.insert(AccountSession {
        user_id,
        device,
        visits: 0,
    })?;
    Ok(format!("switched to user {user_id}\n"))
}

/// A new device, logged in as `user`.
async fn login(app: &TestClient, user: u64, device: &str) -> TestClient {
    let mut browser = app.device();
    let reply = browser.get(&format!("/login/{user}/{device}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(browser.cookie(COOKIE).is_some(), "login sets the cookie");
    browser
}

/// The session cookie `browser` holds.
fn cookie_value(browser: &TestClient) -> Option<String> {
    browser.cookie(COOKIE).map(str::to_owned)
}

/// A fresh device holding only a copy of `value` (a stolen cookie).
fn thief(app: &TestClient, value: &str) -> TestClient {
    let mut browser = app.device();
    browser.jar_mut().insert(COOKIE, value, "/");
    browser
}

async fn me(browser: &mut TestClient) -> String {
    browser.get("/me").await.text()
}

/// GET `path` from a fresh device with exactly this `Cookie` header.
async fn get_with_cookie_header(app: &TestClient, path: &str, header: &str) -> TestResponse {
    let mut request = Request::get(path).body(Body::empty()).expect("request");
    let header = HeaderValue::from_str(header).expect("a valid header value");
    request.headers_mut().insert(COOKIE_HEADER, header);
    app.device().send(request).await
}

/// The `Set-Cookie`s of the session cookie.
fn set_cookies(reply: &TestResponse) -> Vec<Cookie<'static>> {
    reply
        .set_cookies()
        .into_iter()
        .filter_map(|line| Cookie::parse(line.to_owned()).ok())
        .filter(|cookie| cookie.name() == COOKIE)
        .collect()
}

/// At its expiry the jar drops the cookie, as a browser does; this asserts
/// that, then puts `value` back, as a browser whose clock lags would still
/// send it, so the test sees what the layer says of the expired cookie.
fn expired_in_the_jar_but_sent_anyway(browser: &mut TestClient, value: &str) {
    assert_eq!(browser.cookie(COOKIE), None, "the jar dropped it");
    browser.jar_mut().insert(COOKIE, value, "/");
}

// ---------------------------------------------------------------- scenarios

async fn login_read_logout(store: AppStore) {
    let (app, _clock) = start(store);
    let mut laptop = login(&app, 7, "laptop").await;
    assert_eq!(me(&mut laptop).await, "user 7 on laptop, 0 visits\n");

    // The cookie is an id, not the payload.
    let value = cookie_value(&laptop).expect("cookie");
    let payload = value.split('.').nth(1).expect("three parts");
    assert_eq!(payload.len(), 46, "base64 of a quoted 32-char id");
    assert!(!value.contains("laptop"));

    assert_eq!(laptop.get("/visit").await.text(), "visit 1\n");
    assert_eq!(me(&mut laptop).await, "user 7 on laptop, 1 visits\n");

    let reply = laptop.get("/logout").await;
    assert_eq!(reply.text(), "signed out\n");
    assert_eq!(set_cookies(&reply).len(), 1, "removal cookie");
    assert_eq!(cookie_value(&laptop), None);
    assert_eq!(me(&mut laptop).await, "no session: none\n");

    // The row is gone: a copy of the cookie no longer opens a session.
    let mut copy = thief(&app, &value);
    assert_eq!(me(&mut copy).await, "no session: rejected (revoked)\n");
}

async fn logout_all_across_three_devices(store: AppStore) {
    let (app, _clock) = start(store);
    let mut laptop = login(&app, 7, "laptop").await;
    let mut phone = login(&app, 7, "phone").await;
    let mut tablet = login(&app, 7, "tablet").await;
    let mut other_user = login(&app, 8, "laptop").await;
    let stolen = cookie_value(&phone).expect("phone cookie");

    assert_eq!(
        laptop.get("/logout-all").await.text(),
        "signed out 3 sessions\n"
    );
    assert_eq!(me(&mut laptop).await, "no session: none\n");
    assert_eq!(me(&mut phone).await, "no session: rejected (revoked)\n");
    assert_eq!(me(&mut tablet).await, "no session: rejected (revoked)\n");
    // The phone was told to drop its cookie; a stolen copy is dead as well.
    assert_eq!(cookie_value(&phone), None);
    assert_eq!(
        me(&mut thief(&app, &stolen)).await,
        "no session: rejected (revoked)\n"
    );
    // Another user's session is untouched.
    assert_eq!(me(&mut other_user).await, "user 8 on laptop, 0 visits\n");
    // The cookie-mode preference under the same layer is no login: it
    // outlives signing out everywhere.
    assert_eq!(laptop.get("/theme/dark").await.text(), "theme dark\n");
    assert_eq!(
        laptop.get("/logout-all").await.text(),
        "signed out 0 sessions\n"
    );
    assert!(laptop.cookie("prefs").is_some());
}

async fn logout_others_keeps_this_device(store: AppStore) {
    let (app, _clock) = start(store);
    let mut laptop = login(&app, 7, "laptop").await;
    let mut phone = login(&app, 7, "phone").await;
    let mut tablet = login(&app, 7, "tablet").await;

    assert_eq!(
        phone.get("/logout-others").await.text(),
        "signed out 2 other sessions\n"
    );
    assert_eq!(me(&mut phone).await, "user 7 on phone, 0 visits\n");
    assert_eq!(me(&mut laptop).await, "no session: rejected (revoked)\n");
    assert_eq!(me(&mut tablet).await, "no session: rejected (revoked)\n");
    let devices = phone.get("/devices").await.text();
    assert_eq!(devices.lines().count(), 1, "{devices}");
    assert!(devices.ends_with("(this one)\n"), "{devices}");
}

/// The key of the first listed device that is not this one.
fn other_device_key(devices: &str) -> String {
    let line = devices
        .lines()
        .find(|line| !line.ends_with("(this one)"))
        .unwrap_or_else(|| panic!("another device in {devices}"));
    let start = line.find("/devices/").expect("a sign-out path") + "/devices/".len();
    line[start..start + 64].to_owned()
}

async fn logout_one_device_ends_only_that_one_and_only_your_own(store: AppStore) {
    let (app, _clock) = start(store);
    let mut laptop = login(&app, 7, "laptop").await;
    let mut phone = login(&app, 7, "phone").await;
    let mut eve = login(&app, 8, "eve").await;
    let devices = laptop.get("/devices").await.text();
    assert_eq!(devices.lines().count(), 2, "{devices}");
    let phone_key = other_device_key(&devices);

    // Another user cannot end it.
    let refused = eve.post(&format!("/devices/{phone_key}/logout"), "").await;
    assert_eq!(refused.text(), "no such session of yours\n");
    assert_eq!(me(&mut phone).await, "user 7 on phone, 0 visits\n");

    let ended = laptop
        .post(&format!("/devices/{phone_key}/logout"), "")
        .await;
    assert_eq!(ended.text(), "signed out that device\n");
    assert_eq!(me(&mut phone).await, "no session: rejected (revoked)\n");
    assert_eq!(me(&mut laptop).await, "user 7 on laptop, 0 visits\n");
    assert_eq!(me(&mut eve).await, "user 8 on eve, 0 visits\n");
    // Gone already: nothing more to end.
    let again = laptop
        .post(&format!("/devices/{phone_key}/logout"), "")
        .await;
    assert_eq!(again.text(), "no such session of yours\n");
    let garbage = laptop.post("/devices/not-a-key/logout", "").await;
    assert_eq!(garbage.text(), "no such session\n");
}

async fn admin_ban_kills_stolen_cookies(store: AppStore) {
    let (app, _clock) = start(store);
    let mut victim = login(&app, 7, "laptop").await;
    let stolen = cookie_value(&victim).expect("cookie");
    let mut attacker = thief(&app, &stolen);
    assert_eq!(me(&mut attacker).await, "user 7 on laptop, 0 visits\n");

    let mut admin = app.device();
    assert_eq!(
        admin.get("/admin/ban/7").await.text(),
        "user 7: ended 1 sessions\n"
    );
    assert_eq!(me(&mut attacker).await, "no session: rejected (revoked)\n");
    assert_eq!(me(&mut victim).await, "no session: rejected (revoked)\n");
}

async fn renew_rotates_the_id(store: AppStore) {
    let (app, _clock) = start(store);
    let mut laptop = login(&app, 7, "laptop").await;
    laptop.get("/visit").await;
    let before = cookie_value(&laptop).expect("cookie");

    let reply = laptop.get("/renew").await;
    assert_eq!(reply.text(), "renewed\n");
    let after = cookie_value(&laptop).expect("cookie");
    assert_ne!(before, after, "a new cookie value");
    // Same data under the new id; the old id is gone.
    assert_eq!(me(&mut laptop).await, "user 7 on laptop, 1 visits\n");
    assert_eq!(
        me(&mut thief(&app, &before)).await,
        "no session: rejected (revoked)\n"
    );
    // A login replaces an earlier session's id too (fixation defence).
    laptop.get("/login/7/laptop").await;
    assert_ne!(cookie_value(&laptop).as_deref(), Some(after.as_str()));
    assert_eq!(
        me(&mut thief(&app, &after)).await,
        "no session: rejected (revoked)\n"
    );
}

async fn fourth_device_evicts_the_least_recently_used(store: AppStore) {
    let (app, clock) = start(store);
    let mut first = login(&app, 7, "first").await;
    clock.advance(60);
    let mut second = login(&app, 7, "second").await;
    clock.advance(60);
    let mut third = login(&app, 7, "third").await;
    clock.advance(HOUR);
    // The first device is used again (a touch: its last touch is over 5 min
    // old), so the second is now the least recently used.
    assert_eq!(me(&mut first).await, "user 7 on first, 0 visits\n");
    clock.advance(60);
    let mut fourth = login(&app, 7, "fourth").await;

    assert_eq!(me(&mut second).await, "no session: rejected (revoked)\n");
    assert_eq!(me(&mut first).await, "user 7 on first, 0 visits\n");
    assert_eq!(me(&mut third).await, "user 7 on third, 0 visits\n");
    assert_eq!(me(&mut fourth).await, "user 7 on fourth, 0 visits\n");
    assert_eq!(fourth.get("/devices").await.text().lines().count(), 3);
}

async fn idle_sessions_expire_and_active_ones_slide(store: AppStore) {
    let (app, clock) = start(store);
    let mut active = login(&app, 7, "active").await;
    let mut idle = login(&app, 8, "idle").await;

    // Within the touch interval nothing is written, not even a cookie.
    clock.advance(60);
    let reply = active.get("/me").await;
    assert!(reply.set_cookies().is_empty(), "{:?}", reply.set_cookies());

    // Past it, the row and the cookie are pushed back to now + 8h.
    clock.advance(6 * HOUR);
    let reply = active.get("/me").await;
    assert_eq!(set_cookies(&reply).len(), 1, "re-sealed cookie");
    let idle_value = cookie_value(&idle).expect("cookie");
    clock.advance(6 * HOUR);
    // 12h after login: the active session lives, the idle one expired.
    assert_eq!(me(&mut active).await, "user 7 on active, 0 visits\n");
    expired_in_the_jar_but_sent_anyway(&mut idle, &idle_value);
    assert_eq!(me(&mut idle).await, "no session: rejected (expired)\n");
    assert_eq!(cookie_value(&idle), None, "the expired cookie is cleared");

    let active_value = cookie_value(&active).expect("cookie");
    clock.advance(8 * HOUR + 1);
    expired_in_the_jar_but_sent_anyway(&mut active, &active_value);
    assert_eq!(me(&mut active).await, "no session: rejected (expired)\n");
}

/// A request repeating one sealed id, even thousands of times, reads its row
/// once; distinct ids are read at most four per request (the layer's cap),
/// and a genuine cookie within the cap still opens.
async fn duplicate_cookies_are_read_once(store: AppStore) {
    let store = SwitchableStore::over(store);
    let loads = Arc::clone(&store.loads);
    let (app, _clock) = start(Arc::new(store));
    let reads = || loads.load(Ordering::SeqCst);

    // Logged out: the row is gone, the seal still opens.
    let mut laptop = login(&app, 7, "laptop").await;
    let dead = cookie_value(&laptop).expect("cookie");
    assert_eq!(laptop.get("/logout").await.text(), "signed out\n");
    for copies in [1, 10, 1000] {
        let header = vec![format!("{COOKIE}={dead}"); copies].join("; ");
        let before = reads();
        let reply = get_with_cookie_header(&app, "/me", &header).await;
        assert_eq!(reply.text(), "no session: rejected (revoked)\n");
        assert_eq!(reads() - before, 1, "store reads for {copies} copies");
    }

    // Six distinct logged-out ids, each repeated: four reads, no more.
    let mut dead_ids = Vec::new();
    for device in 0..6 {
        let mut browser = login(&app, 8, &format!("device-{device}")).await;
        dead_ids.push(cookie_value(&browser).expect("cookie"));
        browser.get("/logout").await;
    }
    let pairs: Vec<String> = (0..50)
        .flat_map(|_| dead_ids.iter().map(|value| format!("{COOKIE}={value}")))
        .collect();
    let before = reads();
    let reply = get_with_cookie_header(&app, "/me", &pairs.join("; ")).await;
    assert_eq!(reply.text(), "no session: rejected (revoked)\n");
    assert_eq!(reads() - before, 4, "distinct ids are capped per request");

    // Three stale path-scoped copies before the genuine one: it still opens.
    let live = cookie_value(&login(&app, 9, "phone").await).expect("cookie");
    let header = dead_ids[..3]
        .iter()
        .chain([&live])
        .map(|value| format!("{COOKIE}={value}"))
        .collect::<Vec<_>>()
        .join("; ");
    let reply = get_with_cookie_header(&app, "/me", &header).await;
    assert_eq!(reply.text(), "user 9 on phone, 0 visits\n");
}

/// Once a session has moved to a new id (re-login, renewal, change of
/// user) its new row stays and the response carries its cookie, even when
/// the per-user cap that follows cannot list the user's sessions; the cap is
/// applied again by the next login once the store answers.
async fn a_failing_cap_never_undoes_a_move(store: AppStore) {
    let store = SwitchableStore::over(store);
    let fail_list = Arc::clone(&store.fail_list);
    let (app, _clock) = start(Arc::new(store));
    let mut laptop = login(&app, 7, "laptop").await;
    fail_list.store(true, Ordering::SeqCst);

    let steps = [
        (
            "/login/7/laptop-again",
            "user 7 signed in on laptop-again\n",
            "user 7 on laptop-again, 0 visits\n",
        ),
        ("/renew", "renewed\n", "user 7 on laptop-again, 0 visits\n"),
        (
            "/become/70",
            "now user 70\n",
            "user 70 on laptop-again, 0 visits\n",
        ),
    ];
    for (path, answer, after) in steps {
        let old = cookie_value(&laptop).expect("cookie");
        let reply = laptop.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text());
        assert_eq!(reply.text(), answer);
        let new = cookie_value(&laptop).expect("cookie");
        assert_ne!(new, old, "{path} hands out the moved session's cookie");
        assert_eq!(me(&mut laptop).await, after, "after {path}");
        assert_eq!(
            me(&mut thief(&app, &old)).await,
            "no session: rejected (revoked)\n",
            "{path} ends the old id"
        );
    }

    // A fresh login while the cap fails: signed in all the same.
    let mut phones = Vec::new();
    for device in 0..3 {
        phones.push(login(&app, 70, &format!("phone-{device}")).await);
    }
    fail_list.store(false, Ordering::SeqCst);
    let mut last = login(&app, 70, "tablet").await;
    let devices = last.get("/devices").await.text();
    assert_eq!(
        devices.lines().count(),
        3,
        "the cap holds again:\n{devices}"
    );
    assert_eq!(me(&mut last).await, "user 70 on tablet, 0 visits\n");
}

/// A session ended and a new one started in one request: if deleting the
/// ended row fails, the answer is 503, but the new row stays and the 503
/// carries its cookie, so the browser holds a session that exists.
async fn a_failing_delete_keeps_the_new_session(store: AppStore) {
    let store = SwitchableStore::over(store);
    let fail_delete = Arc::clone(&store.fail_delete);
    let (app, _clock) = start(Arc::new(store));
    let mut laptop = login(&app, 7, "laptop").await;
    let old = cookie_value(&laptop).expect("cookie");
    fail_delete.store(true, Ordering::SeqCst);

    let reply = laptop.get("/switch/8/laptop").await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text()
    );
    assert_eq!(set_cookies(&reply).len(), 1, "the new cookie");
    assert_ne!(cookie_value(&laptop), Some(old));
    assert_eq!(me(&mut laptop).await, "user 8 on laptop, 0 visits\n");
    fail_delete.store(false, Ordering::SeqCst);
    assert_eq!(me(&mut laptop).await, "user 8 on laptop, 0 visits\n");
}

/// The response of a touch is lost (the browser keeps its older cookie);
/// the next read, though within `touch_after` of that touch, re-seals the
/// cookie (it would die before its row) and touches the row with it, so the
/// cookie never outlives its row (were the row not touched, it would be gone
/// five minutes before the cookie, and the session would read as revoked).
/// Once repaired, reads write nothing until the next touch is due.
async fn a_reseal_after_a_lost_touch_touches_the_row(store: AppStore) {
    let (app, clock) = start(store);
    let mut phone = login(&app, 7, "phone").await;
    clock.advance(600);
    let kept = phone.jar().clone();
    assert_eq!(me(&mut phone).await, "user 7 on phone, 0 visits\n");
    *phone.jar_mut() = kept; // the touch's response never arrived
    clock.advance(299); // within touch_after of that touch
    let reply = phone.get("/me").await;
    assert_eq!(reply.text(), "user 7 on phone, 0 visits\n");
    let resealed = set_cookies(&reply);
    assert_eq!(resealed.len(), 1, "the lagging cookie is re-sealed");
    let max_age = resealed[0].max_age().expect("max-age").whole_seconds();
    assert_eq!(max_age, 8 * HOUR as i64);

    clock.advance(60);
    let reply = phone.get("/me").await;
    assert_eq!(reply.text(), "user 7 on phone, 0 visits\n");
    assert!(reply.set_cookies().is_empty(), "{:?}", reply.set_cookies());

    // The row now lives exactly as long as the cookie.
    clock.advance(8 * HOUR - 61);
    assert_eq!(me(&mut phone).await, "user 7 on phone, 0 visits\n");
}

// ---------------------------------------------------------------- metadata

/// A browser's user agent (111 bytes).
const FIREFOX: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0 session-seal-test/1.0";
/// A phone's.
const SAFARI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1";

/// GET `path` as `browser`, over a connection from `peer` (as
/// `into_make_service_with_connect_info` reports it), with `headers`.
async fn get_from(
    browser: &mut TestClient,
    path: &str,
    peer: &str,
    headers: &[(&'static str, &str)],
) -> TestResponse {
    let mut request = Request::get(path).body(Body::empty()).expect("request");
    let peer: SocketAddr = peer.parse().expect("a socket address");
    request.extensions_mut().insert(ConnectInfo(peer));
    for (name, value) in headers {
        let value = HeaderValue::from_str(value).expect("a valid header value");
        request.headers_mut().append(*name, value);
    }
    browser.send(request).await
}

/// A new device logged in as user 7 from `peer` with `headers`.
async fn login_from(
    app: &TestClient,
    device: &str,
    peer: &str,
    headers: &[(&'static str, &str)],
) -> TestClient {
    let mut browser = app.device();
    let reply = get_from(&mut browser, &format!("/login/7/{device}"), peer, headers).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(browser.cookie(COOKIE).is_some(), "login sets the cookie");
    browser
}

/// The line `/devices` shows `browser` for its own session.
async fn this_device(browser: &mut TestClient) -> String {
    let devices = browser.get("/devices").await.text();
    devices
        .lines()
        .find(|line| line.ends_with("(this one)"))
        .unwrap_or_else(|| panic!("this device in {devices}"))
        .to_owned()
}

/// User 7's sessions' metadata, as the store lists them, oldest first.
async fn listed_meta(store: &AppStore) -> Vec<SessionMeta> {
    store
        .list_user("account", "7", START + HOUR)
        .await
        .expect("store available")
        .into_iter()
        .map(|session| session.meta)
        .collect()
}

fn meta(addr: &str, user_agent: &str) -> SessionMeta {
    SessionMeta::new(addr.parse::<IpAddr>().ok(), Some(user_agent))
}

async fn a_login_records_the_clients_address_and_user_agent(store: AppStore) {
    let (app, clock) = start(Arc::clone(&store));
    let mut laptop = login_from(
        &app,
        "laptop",
        "203.0.113.9:50123",
        &[("user-agent", FIREFOX)],
    )
    .await;
    clock.advance(10);
    let mut phone = login_from(
        &app,
        "phone",
        "[2001:db8::7]:443",
        &[("user-agent", SAFARI)],
    )
    .await;
    assert_eq!(
        listed_meta(&store).await,
        vec![meta("203.0.113.9", FIREFOX), meta("2001:db8::7", SAFARI)]
    );
    let line = this_device(&mut laptop).await;
    assert!(
        line.contains(&format!("from 203.0.113.9 (\"{FIREFOX}\")")),
        "{line}"
    );
    let line = this_device(&mut phone).await;
    assert!(
        line.contains(&format!("from 2001:db8::7 (\"{SAFARI}\")")),
        "{line}"
    );
    // The laptop's page lists the phone too, with its own metadata.
    let devices = laptop.get("/devices").await.text();
    assert!(
        devices.contains(SAFARI) && devices.contains("2001:db8::7"),
        "{devices}"
    );

    // Later requests from elsewhere (an update, a renewal) keep the
    // login's metadata: it describes the sign-in.
    clock.advance(HOUR / 2);
    let visit = get_from(
        &mut laptop,
        "/visit",
        "198.51.100.1:1",
        &[("user-agent", "Other/1")],
    )
    .await;
    assert_eq!(visit.text(), "visit 1\n");
    let renew = get_from(
        &mut laptop,
        "/renew",
        "198.51.100.1:1",
        &[("user-agent", "Other/1")],
    )
    .await;
    assert_eq!(renew.text(), "renewed\n");
    let line = this_device(&mut laptop).await;
    assert!(
        line.contains(&format!("from 203.0.113.9 (\"{FIREFOX}\")")),
        "{line}"
    );
    assert_eq!(
        listed_meta(&store).await,
        vec![meta("203.0.113.9", FIREFOX), meta("2001:db8::7", SAFARI)]
    );

    // A login over it, from the new place, records the new place.
    let relogin = get_from(
        &mut laptop,
        "/login/7/laptop",
        "198.51.100.1:1",
        &[("user-agent", "Other/1")],
    )
    .await;
    assert_eq!(relogin.status, StatusCode::OK);
    let line = this_device(&mut laptop).await;
    assert!(line.contains("from 198.51.100.1 (\"Other/1\")"), "{line}");

    // Served without connect info and without a user agent: nothing known.
    let mut bare = login(&app, 7, "bare").await;
    let line = this_device(&mut bare).await;
    assert!(
        line.contains("from unknown address (unknown browser)"),
        "{line}"
    );
    // A hostile user agent is bounded and shown escaped.
    let long = format!("Evil\"Agent {}", "x".repeat(1000));
    let mut evil = login_from(&app, "evil", "192.0.2.66:1", &[("user-agent", &long)]).await;
    let line = this_device(&mut evil).await;
    assert!(
        line.contains("from 192.0.2.66 (\"Evil\\\"Agent xxx"),
        "{line}"
    );
    let stored = listed_meta(&store).await;
    let evil_meta = stored
        .iter()
        .find(|meta| meta.client_addr() == "192.0.2.66".parse().ok());
    assert_eq!(
        evil_meta.and_then(SessionMeta::user_agent).map(str::len),
        Some(SessionMeta::MAX_USER_AGENT_LEN)
    );
}

async fn a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(store: AppStore) {
    // No proxies trusted: every forwarding header is the client's own.
    let (app, _clock) = start(Arc::clone(&store));
    let spoof = [
        ("user-agent", FIREFOX),
        ("x-forwarded-for", "1.2.3.4"),
        ("forwarded", "for=1.2.3.4"),
    ];
    let mut laptop = login_from(&app, "laptop", "198.51.100.20:40000", &spoof).await;
    let line = this_device(&mut laptop).await;
    assert!(line.contains("from 198.51.100.20 ("), "{line}");
    assert!(!line.contains("1.2.3.4"), "{line}");

    // Proxies trusted, but this peer is not one of them.
    let proxy: IpAddr = "10.0.0.1".parse().expect("an address");
    let (app, clock) = start_with(store.clone(), |layer| layer.trusted_proxies([proxy]));
    clock.advance(1); // listed after the laptop
    let mut phone = login_from(&app, "phone", "198.51.100.21:40000", &spoof).await;
    let line = this_device(&mut phone).await;
    assert!(line.contains("from 198.51.100.21 ("), "{line}");
    assert_eq!(
        listed_meta(&store).await,
        vec![
            meta("198.51.100.20", FIREFOX),
            meta("198.51.100.21", FIREFOX)
        ]
    );
}

async fn behind_a_trusted_proxy_the_right_most_untrusted_hop_is_recorded(store: AppStore) {
    let proxies: [IpAddr; 2] = [
        "10.0.0.1".parse().expect("ip"),
        "10.0.0.2".parse().expect("ip"),
    ];
    let (app, clock) = start_with(Arc::clone(&store), |layer| layer.trusted_proxies(proxies));
    // The client sent its own X-Forwarded-For ("1.2.3.4"); the outer proxy
    // appended the address it saw, the inner proxy the outer's.
    let headers = [
        ("user-agent", FIREFOX),
        ("x-forwarded-for", "1.2.3.4, 203.0.113.9, 10.0.0.2"),
    ];
    let mut laptop = login_from(&app, "laptop", "10.0.0.1:8080", &headers).await;
    let line = this_device(&mut laptop).await;
    assert!(
        line.contains(&format!("from 203.0.113.9 (\"{FIREFOX}\")")),
        "{line}"
    );

    // A hop that is not an address: no address is recorded, the login works.
    clock.advance(1);
    let garbage = [
        ("user-agent", SAFARI),
        ("x-forwarded-for", "1.2.3.4, garbage"),
    ];
    let mut phone = login_from(&app, "phone", "10.0.0.1:8080", &garbage).await;
    let line = this_device(&mut phone).await;
    assert!(
        line.contains(&format!("from unknown address (\"{SAFARI}\")")),
        "{line}"
    );

    // `Forwarded` instead, when the proxies are said to write that one:
    // X-Forwarded-For is then the client's own and ignored.
    let (app, clock2) = start_with(Arc::clone(&store), |layer| {
        layer
            .trusted_proxies(proxies)
            .proxy_header(ProxyHeader::Forwarded)
    });
    clock2.advance(2);
    let headers = [
        ("user-agent", "Tablet/1"),
        ("x-forwarded-for", "1.2.3.4"),
        (
            "forwarded",
            "for=1.2.3.4, for=\"[2001:db8::9]:5000\";proto=https, for=10.0.0.2",
        ),
    ];
    let mut tablet = login_from(&app, "tablet", "10.0.0.1:8080", &headers).await;
    let line = this_device(&mut tablet).await;
    assert!(line.contains("from 2001:db8::9 (\"Tablet/1\")"), "{line}");
    assert_eq!(
        listed_meta(&store).await,
        vec![
            meta("203.0.113.9", FIREFOX),
            SessionMeta::new(None, Some(SAFARI)),
            meta("2001:db8::9", "Tablet/1"),
        ]
    );
}

async fn with_metadata_off_nothing_is_stored(store: AppStore) {
    let (app, _clock) = start_with(Arc::clone(&store), |layer| layer.session_metadata(false));
    let mut laptop = login_from(
        &app,
        "laptop",
        "203.0.113.9:50123",
        &[("user-agent", FIREFOX)],
    )
    .await;
    let line = this_device(&mut laptop).await;
    assert!(
        line.contains("from unknown address (unknown browser)"),
        "{line}"
    );
    assert_eq!(listed_meta(&store).await, vec![SessionMeta::NONE]);
    let key = store
        .list_user("account", "7", START)
        .await
        .expect("store available")
        .first()
        .map(|session| session.key)
        .expect("listed");
    let row = store
        .load(&key, START)
        .await
        .expect("store available")
        .expect("live");
    assert_eq!(row.meta, SessionMeta::NONE);
    assert!(
        format!("{row:?}").contains(
            "meta: SessionMeta { client_addr: None, user_agent: None, fingerprint: None }"
        )
    );
}

on_every_backend!(
    login_read_logout,
    logout_all_across_three_devices,
    logout_others_keeps_this_device,
    logout_one_device_ends_only_that_one_and_only_your_own,
    admin_ban_kills_stolen_cookies,
    renew_rotates_the_id,
    fourth_device_evicts_the_least_recently_used,
    idle_sessions_expire_and_active_ones_slide,
    duplicate_cookies_are_read_once,
    a_failing_cap_never_undoes_a_move,
    a_failing_delete_keeps_the_new_session,
    a_reseal_after_a_lost_touch_touches_the_row,
    a_login_records_the_clients_address_and_user_agent,
    a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored,
    behind_a_trusted_proxy_the_right_most_untrusted_hop_is_recorded,
    with_metadata_off_nothing_is_stored,
    a_fingerprinted_session_copied_to_another_browser_ends,
);

/// `#[session(fingerprint)]` in store mode on this backend: the fingerprint
/// round trips through the row, the browser that logged in is served, the
/// same cookie from another browser reads as absent, and the row is gone.
async fn a_fingerprinted_session_copied_to_another_browser_ends(store: AppStore) {
    crate::common::fingerprint_app::a_copied_cookie_fails_in_another_browser(
        "stored",
        dev_keyring(),
        store,
    )
    .await;
}

fn memory_store() -> AppStore {
    Arc::new(MemoryStore::new())
}

// ------------------------------------------------------------------ outages

/// A store (memory by default, or any backend) that counts loads and can be
/// switched off, as a network partition would, or made to fail only some
/// operations (listing a user's sessions, deleting a row).
#[derive(Clone)]
struct SwitchableStore {
    rows: AppStore,
    down: Arc<AtomicBool>,
    fail_list: Arc<AtomicBool>,
    fail_delete: Arc<AtomicBool>,
    loads: Arc<AtomicUsize>,
}

impl Default for SwitchableStore {
    fn default() -> Self {
        SwitchableStore::over(memory_store())
    }
}

impl SwitchableStore {
    fn over(rows: AppStore) -> Self {
        SwitchableStore {
            rows,
            down: Arc::default(),
            fail_list: Arc::default(),
            fail_delete: Arc::default(),
            loads: Arc::default(),
        }
    }

    fn check(&self) -> Result<(), StoreError> {
        self.fail_if(&self.down)
    }

    fn fail_if(&self, switch: &AtomicBool) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) || switch.load(Ordering::SeqCst) {
            Err(StoreError::unavailable("connection refused (test switch)"))
        } else {
            Ok(())
        }
    }
}

impl SessionStore for SwitchableStore {
    fn load<'a>(&'a self, key: &'a StoreKey, now: u64) -> StoreFuture<'a, Option<Record>> {
        Box::pin(async move {
            self.loads.fetch_add(1, Ordering::SeqCst);
            self.check()?;
            self.rows.load(key, now).await
        })
    }
    fn save<'a>(
        &'a self,
        key: &'a StoreKey,
        record: &'a Record,
        expected: Option<u64>,
        now: u64,
    ) -> StoreFuture<'a, SaveOutcome> {
        Box::pin(async move {
            self.check()?;
            self.rows.save(key, record, expected, now).await
        })
    }
    fn move_session<'a>(&'a self, change: &'a Move) -> StoreFuture<'a, MoveOutcome> {
        Box::pin(async move {
            self.check()?;
            self.rows.move_session(change).await
        })
    }
    fn delete<'a>(&'a self, key: &'a StoreKey) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            self.fail_if(&self.fail_delete)?;
            self.rows.delete(key).await
        })
    }
    fn touch<'a>(&'a self, key: &'a StoreKey, expires_at: u64, now: u64) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            self.check()?;
            self.rows.touch(key, expires_at, now).await
        })
    }
    fn list_user<'a>(
        &'a self,
        namespace: &'a str,
        user: &'a str,
        now: u64,
    ) -> StoreFuture<'a, Vec<UserSession>> {
        Box::pin(async move {
            self.fail_if(&self.fail_list)?;
            self.rows.list_user(namespace, user, now).await
        })
    }
    fn delete_user<'a>(
        &'a self,
        namespace: &'a str,
        user: &'a str,
        keep: Option<&'a StoreKey>,
    ) -> StoreFuture<'a, usize> {
        Box::pin(async move {
            self.check()?;
            self.rows.delete_user(namespace, user, keep).await
        })
    }
}

#[tokio::test]
async fn forged_cookies_never_reach_the_store() {
    let store = SwitchableStore::default();
    let loads = Arc::clone(&store.loads);
    let (app, _clock) = start(Arc::new(store));
    let genuine = cookie_value(&login(&app, 7, "laptop").await).expect("cookie");

    // One character changed in each part, a truncation, and junk.
    let mut forgeries = Vec::new();
    for part in 0..3 {
        let mut parts: Vec<String> = genuine.split('.').map(str::to_owned).collect();
        let flipped = if parts[part].starts_with('A') {
            "B"
        } else {
            "A"
        };
        parts[part].replace_range(0..1, flipped);
        forgeries.push(parts.join("."));
    }
    forgeries.push(genuine[..genuine.len() - 1].to_owned());
    forgeries.push("x".repeat(300));
    for forged in &forgeries {
        let body = me(&mut thief(&app, forged)).await;
        assert!(body.starts_with("no session: rejected ("), "{body}");
    }
    assert_eq!(loads.load(Ordering::SeqCst), 0, "the MAC is checked first");

    assert_eq!(
        me(&mut thief(&app, &genuine)).await,
        "user 7 on laptop, 0 visits\n"
    );
    assert_eq!(loads.load(Ordering::SeqCst), 1);
}

/// While the store is down, reads and writes answer 503 and nothing is
/// cleared; when it is back, the session is still there.
async fn assert_outage_is_503(app: &TestClient, laptop: &mut TestClient, go_down: impl FnOnce()) {
    let held = cookie_value(laptop).expect("cookie");
    go_down();

    let reply = within_10s("GET /me", laptop.get("/me")).await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text()
    );
    assert_eq!(reply.text(), "session store unavailable, please retry");
    assert!(reply.set_cookies().is_empty(), "not a silent logout");
    assert_eq!(cookie_value(laptop), Some(held));

    // A login (a write) fails the same way and sets no cookie.
    let mut newcomer = app.device();
    let reply = within_10s("a login", newcomer.get("/login/9/phone")).await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text()
    );
    assert_eq!(cookie_value(&newcomer), None);
}

#[tokio::test]
async fn memory_store_outage_is_503_not_a_logout() {
    let store = SwitchableStore::default();
    let down = Arc::clone(&store.down);
    let (app, _clock) = start(Arc::new(store));
    let mut laptop = login(&app, 7, "laptop").await;
    assert_outage_is_503(&app, &mut laptop, || down.store(true, Ordering::SeqCst)).await;

    down.store(false, Ordering::SeqCst);
    assert_eq!(me(&mut laptop).await, "user 7 on laptop, 0 visits\n");
}

#[tokio::test]
async fn redis_outage_is_503_not_a_logout() {
    let Some(mut server) = crate::common::store::spawn_redis_server() else {
        return;
    };
    let store = session_redis::RedisStore::new(&server.url()).expect("redis url");
    let (app, _clock) = start(Arc::new(store));
    let mut laptop = login(&app, 7, "laptop").await;
    assert_eq!(me(&mut laptop).await, "user 7 on laptop, 0 visits\n");

    let started = std::time::Instant::now();
    assert_outage_is_503(&app, &mut laptop, || server.kill()).await;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "an outage is reported within the store's timeouts, took {:?}",
        started.elapsed()
    );
}

/// PostgreSQL stopped mid-test (a throwaway server of this test's own):
/// 503s within the store's timeouts, and the session works again once the
/// server is back.
#[tokio::test]
async fn postgres_outage_is_503_and_recovers() {
    let Some(server) = crate::common::sql::PgProcess::spawn("postgres_outage_is_503_and_recovers")
    else {
        return;
    };
    let config = crate::common::sql::test_config("sessions");
    let store = session_sql::PostgresStore::with_config(&server.url(), config).expect("valid");
    store.migrate().await.expect("migrate");
    let (app, _clock) = start(Arc::new(store));
    let mut laptop = login(&app, 7, "laptop").await;
    assert_eq!(me(&mut laptop).await, "user 7 on laptop, 0 visits\n");

    let started = std::time::Instant::now();
    assert_outage_is_503(&app, &mut laptop, || server.stop()).await;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "an outage is reported within the store's timeouts, took {:?}",
        started.elapsed()
    );

    server.start();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let reply = within_10s("GET /me", laptop.get("/me")).await;
        if reply.status == StatusCode::OK {
            assert_eq!(reply.text(), "user 7 on laptop, 0 visits\n");
            break;
        }
        assert_eq!(
            reply.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            reply.text()
        );
        assert!(
            std::time::Instant::now() < deadline,
            "no recovery within 15 s of the restart"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A middleware inside the session layer reads the current user without an
/// extractor; the handler's extractor then reuses that read: one store load
/// per request, whoever asks first.
#[tokio::test]
async fn a_middleware_inside_the_layer_reads_the_user_with_the_handlers_single_load() {
    use axum::extract::Request as AxumRequest;
    use axum::middleware::{Next, from_fn};
    use session_seal::SessionUser;

    let switchable = SwitchableStore::default();
    let loads = Arc::clone(&switchable.loads);
    let store: AppStore = Arc::new(switchable);
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let recorded = Arc::clone(&seen);
    let clock = TestClock::at(START);
    let layer = SessionLayer::<StoreSessions>::new(dev_keyring())
        .clock(clock.reader())
        .store(Arc::clone(&store));
    let audit = from_fn(move |mut request: AxumRequest, next: Next| {
        let recorded = Arc::clone(&recorded);
        async move {
            let user = SessionUser::<AccountSession>::of(&mut request).await;
            recorded
                .lock()
                .unwrap()
                .push(user.map(SessionUser::into_inner).ok().flatten());
            next.run(request).await
        }
    });
    let app = app::routes().layer(audit).layer(layer).with_state(store);
    let app = TestClient::new(app).with_clock(clock.clone());

    let mut laptop = login(&app, 7, "laptop").await;
    let before = loads.load(Ordering::SeqCst);
    assert_eq!(me(&mut laptop).await, "user 7 on laptop, 0 visits\n");
    assert_eq!(
        loads.load(Ordering::SeqCst) - before,
        1,
        "one load for both"
    );
    let mut stranger = app.device();
    assert_eq!(me(&mut stranger).await, "no session: none\n");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.last(), Some(&None));
    assert_eq!(seen.get(seen.len() - 2), Some(&Some("7".to_owned())));
}
