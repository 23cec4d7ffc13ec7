//! Store mode through real HTTP, on both backends: the `store_mode` example's
//! routes served on loopback, driven by several cookie-jar "devices".
//!
//! Every scenario runs against the memory store, Redis (one server and a
//! three-primary cluster), SQLite and PostgreSQL (the servers `.ci/run` starts; outside CI the server-backed
//! runs skip with a message when no server answers).

// The example's `router` is for its `main`; the tests compose `routes` themselves.
#[allow(dead_code)]
#[path = "../examples/store_mode/app.rs"]
mod app;
mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use app::{AccountSession, AppStore, StoreSessions};
use axum::extract::Path;
use axum::routing::get;
use common::{Browser, TestClock, dev_keyring, serve};
use http::StatusCode;
use session_seal::store::{
    MemoryStore, Move, MoveOutcome, Record, SaveOutcome, SessionStore, StoreFuture, StoreKey,
    UserSession,
};
use session_seal::{SessionError, SessionLayer, StoreError, TypedSession};

const START: u64 = 1_700_000_000;
const HOUR: u64 = 3600;
const COOKIE: &str = "account_sid";

/// The example's routes behind a layer on `store` with a test clock (the
/// races between requests are in `tests/store_races.rs`).
async fn start(store: AppStore) -> (SocketAddr, TestClock) {
    let clock = TestClock::at(START);
    let layer = SessionLayer::<StoreSessions>::new(dev_keyring())
        .clock(clock.reader())
        .store(Arc::clone(&store));
    let app = app::routes()
        .route("/become/{user_id}", get(become_user))
        .route("/switch/{user_id}/{device}", get(switch_account))
        .layer(layer)
        .with_state(store);
    (serve(app).await, clock)
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

async fn login(addr: SocketAddr, user: u64, device: &str) -> Browser {
    let mut browser = Browser::new(addr);
    let reply = browser.get(&format!("/login/{user}/{device}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(browser.value(COOKIE).is_some(), "login sets the cookie");
    browser
}

/// A fresh browser holding only a copy of `value` (a stolen cookie).
fn thief(addr: SocketAddr, value: &str) -> Browser {
    let mut browser = Browser::new(addr);
    browser.plant(COOKIE, value, "/");
    browser
}

async fn me(browser: &mut Browser) -> String {
    browser.get("/me").await.body
}

// ---------------------------------------------------------------- scenarios

async fn login_read_logout(store: AppStore) {
    let (addr, _clock) = start(store).await;
    let mut laptop = login(addr, 7, "laptop").await;
    assert_eq!(me(&mut laptop).await, "user 7 on laptop, 0 visits\n");

    // The cookie is an id, not the payload.
    let value = laptop.value(COOKIE).expect("cookie");
    let payload = value.split('.').nth(1).expect("three parts");
    assert_eq!(payload.len(), 46, "base64 of a quoted 32-char id");
    assert!(!value.contains("laptop"));

    assert_eq!(laptop.get("/visit").await.body, "visit 1\n");
    assert_eq!(me(&mut laptop).await, "user 7 on laptop, 1 visits\n");

    let reply = laptop.get("/logout").await;
    assert_eq!(reply.body, "signed out\n");
    assert_eq!(reply.set_cookies_named(COOKIE).len(), 1, "removal cookie");
    assert_eq!(laptop.value(COOKIE), None);
    assert_eq!(me(&mut laptop).await, "no session: none\n");

    // The row is gone: a copy of the cookie no longer opens a session.
    let mut copy = thief(addr, &value);
    assert_eq!(me(&mut copy).await, "no session: rejected (revoked)\n");
}

async fn logout_all_across_three_devices(store: AppStore) {
    let (addr, _clock) = start(store).await;
    let mut laptop = login(addr, 7, "laptop").await;
    let mut phone = login(addr, 7, "phone").await;
    let mut tablet = login(addr, 7, "tablet").await;
    let mut other_user = login(addr, 8, "laptop").await;
    let stolen = phone.value(COOKIE).expect("phone cookie");

    assert_eq!(
        laptop.get("/logout-all").await.body,
        "signed out 3 sessions\n"
    );
    assert_eq!(me(&mut laptop).await, "no session: none\n");
    assert_eq!(me(&mut phone).await, "no session: rejected (revoked)\n");
    assert_eq!(me(&mut tablet).await, "no session: rejected (revoked)\n");
    // The phone was told to drop its cookie; a stolen copy is dead as well.
    assert_eq!(phone.value(COOKIE), None);
    assert_eq!(
        me(&mut thief(addr, &stolen)).await,
        "no session: rejected (revoked)\n"
    );
    // Another user's session is untouched.
    assert_eq!(me(&mut other_user).await, "user 8 on laptop, 0 visits\n");
}

async fn logout_others_keeps_this_device(store: AppStore) {
    let (addr, _clock) = start(store).await;
    let mut laptop = login(addr, 7, "laptop").await;
    let mut phone = login(addr, 7, "phone").await;
    let mut tablet = login(addr, 7, "tablet").await;

    assert_eq!(
        phone.get("/logout-others").await.body,
        "signed out 2 other sessions\n"
    );
    assert_eq!(me(&mut phone).await, "user 7 on phone, 0 visits\n");
    assert_eq!(me(&mut laptop).await, "no session: rejected (revoked)\n");
    assert_eq!(me(&mut tablet).await, "no session: rejected (revoked)\n");
    let devices = phone.get("/devices").await.body;
    assert_eq!(devices.lines().count(), 1, "{devices}");
    assert!(devices.ends_with("(this one)\n"), "{devices}");
}

async fn admin_ban_kills_stolen_cookies(store: AppStore) {
    let (addr, _clock) = start(store).await;
    let mut victim = login(addr, 7, "laptop").await;
    let stolen = victim.value(COOKIE).expect("cookie");
    let mut attacker = thief(addr, &stolen);
    assert_eq!(me(&mut attacker).await, "user 7 on laptop, 0 visits\n");

    let mut admin = Browser::new(addr);
    assert_eq!(
        admin.get("/admin/ban/7").await.body,
        "user 7: ended 1 sessions\n"
    );
    assert_eq!(me(&mut attacker).await, "no session: rejected (revoked)\n");
    assert_eq!(me(&mut victim).await, "no session: rejected (revoked)\n");
}

async fn renew_rotates_the_id(store: AppStore) {
    let (addr, _clock) = start(store).await;
    let mut laptop = login(addr, 7, "laptop").await;
    laptop.get("/visit").await;
    let before = laptop.value(COOKIE).expect("cookie");

    let reply = laptop.get("/renew").await;
    assert_eq!(reply.body, "renewed\n");
    let after = laptop.value(COOKIE).expect("cookie");
    assert_ne!(before, after, "a new cookie value");
    // Same data under the new id; the old id is gone.
    assert_eq!(me(&mut laptop).await, "user 7 on laptop, 1 visits\n");
    assert_eq!(
        me(&mut thief(addr, &before)).await,
        "no session: rejected (revoked)\n"
    );
    // A login replaces an earlier session's id too (fixation defence).
    laptop.get("/login/7/laptop").await;
    assert_ne!(laptop.value(COOKIE).as_deref(), Some(after.as_str()));
    assert_eq!(
        me(&mut thief(addr, &after)).await,
        "no session: rejected (revoked)\n"
    );
}

async fn fourth_device_evicts_the_least_recently_used(store: AppStore) {
    let (addr, clock) = start(store).await;
    let mut first = login(addr, 7, "first").await;
    clock.advance(60);
    let mut second = login(addr, 7, "second").await;
    clock.advance(60);
    let mut third = login(addr, 7, "third").await;
    clock.advance(HOUR);
    // The first device is used again (a touch: its last touch is over 5 min
    // old), so the second is now the least recently used.
    assert_eq!(me(&mut first).await, "user 7 on first, 0 visits\n");
    clock.advance(60);
    let mut fourth = login(addr, 7, "fourth").await;

    assert_eq!(me(&mut second).await, "no session: rejected (revoked)\n");
    assert_eq!(me(&mut first).await, "user 7 on first, 0 visits\n");
    assert_eq!(me(&mut third).await, "user 7 on third, 0 visits\n");
    assert_eq!(me(&mut fourth).await, "user 7 on fourth, 0 visits\n");
    assert_eq!(fourth.get("/devices").await.body.lines().count(), 3);
}

async fn idle_sessions_expire_and_active_ones_slide(store: AppStore) {
    let (addr, clock) = start(store).await;
    let mut active = login(addr, 7, "active").await;
    let mut idle = login(addr, 8, "idle").await;

    // Within the touch interval nothing is written, not even a cookie.
    clock.advance(60);
    let reply = active.get("/me").await;
    assert!(reply.set_cookies.is_empty(), "{:?}", reply.set_cookies);

    // Past it, the row and the cookie are pushed back to now + 8h.
    clock.advance(6 * HOUR);
    let reply = active.get("/me").await;
    assert_eq!(reply.set_cookies_named(COOKIE).len(), 1, "re-sealed cookie");
    clock.advance(6 * HOUR);
    // 12h after login: the active session lives, the idle one expired.
    assert_eq!(me(&mut active).await, "user 7 on active, 0 visits\n");
    assert_eq!(me(&mut idle).await, "no session: rejected (expired)\n");
    assert_eq!(idle.value(COOKIE), None, "the expired cookie is cleared");

    clock.advance(8 * HOUR + 1);
    assert_eq!(me(&mut active).await, "no session: rejected (expired)\n");
}

/// A request repeating one sealed id, even thousands of times, reads its row
/// once; distinct ids are read at most four per request (the layer's cap),
/// and a genuine cookie within the cap still opens.
async fn duplicate_cookies_are_read_once(store: AppStore) {
    let store = SwitchableStore::over(store);
    let loads = Arc::clone(&store.loads);
    let (addr, _clock) = start(Arc::new(store)).await;
    let reads = || loads.load(Ordering::SeqCst);

    // Logged out: the row is gone, the seal still opens.
    let mut laptop = login(addr, 7, "laptop").await;
    let dead = laptop.value(COOKIE).expect("cookie");
    assert_eq!(laptop.get("/logout").await.body, "signed out\n");
    for copies in [1, 10, 1000] {
        let header = vec![format!("{COOKIE}={dead}"); copies].join("; ");
        let before = reads();
        let reply = Browser::new(addr)
            .get_with_cookie_header("/me", Some(&header))
            .await;
        assert_eq!(reply.body, "no session: rejected (revoked)\n");
        assert_eq!(reads() - before, 1, "store reads for {copies} copies");
    }

    // Six distinct logged-out ids, each repeated: four reads, no more.
    let mut dead_ids = Vec::new();
    for device in 0..6 {
        let mut browser = login(addr, 8, &format!("device-{device}")).await;
        dead_ids.push(browser.value(COOKIE).expect("cookie"));
        browser.get("/logout").await;
    }
    let pairs: Vec<String> = (0..50)
        .flat_map(|_| dead_ids.iter().map(|value| format!("{COOKIE}={value}")))
        .collect();
    let before = reads();
    let reply = Browser::new(addr)
        .get_with_cookie_header("/me", Some(&pairs.join("; ")))
        .await;
    assert_eq!(reply.body, "no session: rejected (revoked)\n");
    assert_eq!(reads() - before, 4, "distinct ids are capped per request");

    // Three stale path-scoped copies before the genuine one: it still opens.
    let live = login(addr, 9, "phone").await.value(COOKIE).expect("cookie");
    let header = dead_ids[..3]
        .iter()
        .chain([&live])
        .map(|value| format!("{COOKIE}={value}"))
        .collect::<Vec<_>>()
        .join("; ");
    let reply = Browser::new(addr)
        .get_with_cookie_header("/me", Some(&header))
        .await;
    assert_eq!(reply.body, "user 9 on phone, 0 visits\n");
}

/// Once a session has moved to a new id (re-login, renewal, change of
/// user) its new row stays and the response carries its cookie, even when
/// the per-user cap that follows cannot list the user's sessions; the cap is
/// applied again by the next login once the store answers.
async fn a_failing_cap_never_undoes_a_move(store: AppStore) {
    let store = SwitchableStore::over(store);
    let fail_list = Arc::clone(&store.fail_list);
    let (addr, _clock) = start(Arc::new(store)).await;
    let mut laptop = login(addr, 7, "laptop").await;
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
        let old = laptop.value(COOKIE).expect("cookie");
        let reply = laptop.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
        assert_eq!(reply.body, answer);
        let new = laptop.value(COOKIE).expect("cookie");
        assert_ne!(new, old, "{path} hands out the moved session's cookie");
        assert_eq!(me(&mut laptop).await, after, "after {path}");
        assert_eq!(
            me(&mut thief(addr, &old)).await,
            "no session: rejected (revoked)\n",
            "{path} ends the old id"
        );
    }

    // A fresh login while the cap fails: signed in all the same.
    let mut phones = Vec::new();
    for device in 0..3 {
        phones.push(login(addr, 70, &format!("phone-{device}")).await);
    }
    fail_list.store(false, Ordering::SeqCst);
    let mut last = login(addr, 70, "tablet").await;
    let devices = last.get("/devices").await.body;
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
    let (addr, _clock) = start(Arc::new(store)).await;
    let mut laptop = login(addr, 7, "laptop").await;
    let old = laptop.value(COOKIE).expect("cookie");
    fail_delete.store(true, Ordering::SeqCst);

    let reply = laptop.get("/switch/8/laptop").await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.body
    );
    assert_eq!(reply.set_cookies_named(COOKIE).len(), 1, "the new cookie");
    assert_ne!(laptop.value(COOKIE), Some(old));
    assert_eq!(me(&mut laptop).await, "user 8 on laptop, 0 visits\n");
    fail_delete.store(false, Ordering::SeqCst);
    assert_eq!(me(&mut laptop).await, "user 8 on laptop, 0 visits\n");
}

/// The response of a touch is lost (the browser keeps its older cookie);
/// the next read re-seals the cookie and touches the row with it, so the
/// cookie never outlives its row: at the row's expiry the session has
/// expired, not been revoked.
async fn a_reseal_after_a_lost_touch_touches_the_row(store: AppStore) {
    let (addr, clock) = start(store).await;
    let mut phone = login(addr, 7, "phone").await;
    clock.advance(600);
    let kept = phone.jar.clone();
    assert_eq!(me(&mut phone).await, "user 7 on phone, 0 visits\n");
    phone.jar = kept; // the touch's response never arrived
    clock.advance(299); // within touch_after of that touch
    let reply = phone.get("/me").await;
    assert_eq!(reply.body, "user 7 on phone, 0 visits\n");
    let resealed = reply.set_cookies_named(COOKIE);
    assert_eq!(resealed.len(), 1, "the lagging cookie is re-sealed");
    let max_age = resealed[0].max_age().expect("max-age").whole_seconds();
    assert_eq!(max_age, 8 * HOUR as i64);

    // The row now lives exactly as long as the cookie.
    clock.advance(8 * HOUR - 1);
    assert_eq!(me(&mut phone).await, "user 7 on phone, 0 visits\n");
}

/// Runs each scenario on a fresh memory store and on a fresh Redis prefix.
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[tokio::test]
            async fn memory() {
                super::$scenario(super::memory_store()).await;
            }

            #[tokio::test]
            async fn redis() {
                if let Some(store) = super::redis_store(stringify!($scenario)).await {
                    super::$scenario(store).await;
                }
            }

            #[tokio::test]
            async fn redis_cluster() {
                if let Some(store) = super::redis_cluster_store(stringify!($scenario)).await {
                    super::$scenario(store).await;
                }
            }
        }
    )*};
}

on_both_backends!(
    login_read_logout,
    logout_all_across_three_devices,
    logout_others_keeps_this_device,
    admin_ban_kills_stolen_cookies,
    renew_rotates_the_id,
    fourth_device_evicts_the_least_recently_used,
    idle_sessions_expire_and_active_ones_slide,
    duplicate_cookies_are_read_once,
    a_failing_cap_never_undoes_a_move,
    a_failing_delete_keeps_the_new_session,
    a_reseal_after_a_lost_touch_touches_the_row,
);

fn memory_store() -> AppStore {
    Arc::new(MemoryStore::new())
}

async fn redis_store(test: &str) -> Option<AppStore> {
    let store = common::store::redis_store(test).await?;
    Some(Arc::new(store))
}

async fn redis_cluster_store(test: &str) -> Option<AppStore> {
    let store = common::store::redis_cluster_store(test).await?;
    Some(Arc::new(store))
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
    let (addr, _clock) = start(Arc::new(store)).await;
    let genuine = login(addr, 7, "laptop")
        .await
        .value(COOKIE)
        .expect("cookie");

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
        let body = me(&mut thief(addr, forged)).await;
        assert!(body.starts_with("no session: rejected ("), "{body}");
    }
    assert_eq!(loads.load(Ordering::SeqCst), 0, "the MAC is checked first");

    assert_eq!(
        me(&mut thief(addr, &genuine)).await,
        "user 7 on laptop, 0 visits\n"
    );
    assert_eq!(loads.load(Ordering::SeqCst), 1);
}

/// While the store is down, reads and writes answer 503 and nothing is
/// cleared; when it is back, the session is still there.
async fn assert_outage_is_503(addr: SocketAddr, laptop: &mut Browser, go_down: impl FnOnce()) {
    let value = laptop.value(COOKIE).expect("cookie");
    go_down();

    let reply = laptop.get("/me").await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.body
    );
    assert_eq!(reply.body, "session store unavailable, please retry");
    assert!(reply.set_cookies.is_empty(), "not a silent logout");
    assert_eq!(laptop.value(COOKIE).as_deref(), Some(value.as_str()));

    // A login (a write) fails the same way and sets no cookie.
    let mut newcomer = Browser::new(addr);
    let reply = newcomer.get("/login/9/phone").await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.body
    );
    assert_eq!(newcomer.value(COOKIE), None);
}

#[tokio::test]
async fn memory_store_outage_is_503_not_a_logout() {
    let store = SwitchableStore::default();
    let down = Arc::clone(&store.down);
    let (addr, _clock) = start(Arc::new(store)).await;
    let mut laptop = login(addr, 7, "laptop").await;
    assert_outage_is_503(addr, &mut laptop, || down.store(true, Ordering::SeqCst)).await;

    down.store(false, Ordering::SeqCst);
    assert_eq!(me(&mut laptop).await, "user 7 on laptop, 0 visits\n");
}

#[tokio::test]
async fn redis_outage_is_503_not_a_logout() {
    let Some(mut server) = common::store::spawn_redis_server() else {
        return;
    };
    let store = session_redis::RedisStore::new(&server.url()).expect("redis url");
    let (addr, _clock) = start(Arc::new(store)).await;
    let mut laptop = login(addr, 7, "laptop").await;
    assert_eq!(me(&mut laptop).await, "user 7 on laptop, 0 visits\n");

    let started = std::time::Instant::now();
    assert_outage_is_503(addr, &mut laptop, || server.kill()).await;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "an outage is reported within the store's timeouts, took {:?}",
        started.elapsed()
    );
}

// ------------------------------------------------------------ SQL stores

/// The same scenarios on SQLite (a fresh temporary file each) and on
/// PostgreSQL (a fresh table of the database `.ci/run` sets up; skipped
/// without a server unless `SESSION_SEAL_REQUIRE_POSTGRES=1`).
macro_rules! on_sql_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sql {$(
            mod $scenario {
                #[tokio::test]
                async fn sqlite() {
                    let (store, _file) = crate::common::sql::sqlite_store(stringify!($scenario)).await;
                    crate::$scenario(std::sync::Arc::new(store)).await;
                }

                #[tokio::test]
                async fn postgres() {
                    let table = crate::common::sql::unique_table(stringify!($scenario));
                    let config = crate::common::sql::test_config(&table);
                    let test = concat!("sql::", stringify!($scenario), "::postgres");
                    let Some(store) = crate::common::sql::postgres_store_with(test, config).await else {
                        return;
                    };
                    crate::$scenario(std::sync::Arc::new(store.clone())).await;
                    crate::common::sql::drop_table(&store, &table).await;
                }
            }
        )*}
    };
}

on_sql_backends!(
    login_read_logout,
    logout_all_across_three_devices,
    logout_others_keeps_this_device,
    admin_ban_kills_stolen_cookies,
    renew_rotates_the_id,
    fourth_device_evicts_the_least_recently_used,
    idle_sessions_expire_and_active_ones_slide,
    duplicate_cookies_are_read_once,
    a_failing_cap_never_undoes_a_move,
    a_failing_delete_keeps_the_new_session,
    a_reseal_after_a_lost_touch_touches_the_row,
);

/// PostgreSQL stopped mid-test (a throwaway server of this test's own):
/// 503s within the store's timeouts, and the session works again once the
/// server is back.
#[tokio::test]
async fn postgres_outage_is_503_and_recovers() {
    let Some(server) = common::sql::PgProcess::spawn("postgres_outage_is_503_and_recovers") else {
        return;
    };
    let config = common::sql::test_config("sessions");
    let store = session_sql::PostgresStore::with_config(&server.url(), config).expect("valid");
    store.migrate().await.expect("migrate");
    let (addr, _clock) = start(Arc::new(store)).await;
    let mut laptop = login(addr, 7, "laptop").await;
    assert_eq!(me(&mut laptop).await, "user 7 on laptop, 0 visits\n");

    let started = std::time::Instant::now();
    assert_outage_is_503(addr, &mut laptop, || server.stop()).await;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "an outage is reported within the store's timeouts, took {:?}",
        started.elapsed()
    );

    server.start();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let reply = laptop.get("/me").await;
        if reply.status == StatusCode::OK {
            assert_eq!(reply.body, "user 7 on laptop, 0 visits\n");
            break;
        }
        assert_eq!(
            reply.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            reply.body
        );
        assert!(
            std::time::Instant::now() < deadline,
            "no recovery within 15 s of the restart"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
