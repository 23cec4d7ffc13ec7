//! The `hybrid` example's authority on every backend: a transparent
//! refresh through the explicit endpoint, two tabs refreshing at once (one
//! held at a gate the test opens, so the other arrives between its lease
//! and its move), and a replayed refresh cookie ending the login.

use std::sync::Arc;

use session_seal::store::SessionStore;
use session_seal::testing::{TestClient, TestClock};
use session_seal::{Keyring, SessionLayer};

use crate::common::gate::GateStore;
use crate::common::secret;
use crate::hybrid_app as app;

const T0: u64 = 1_760_000_000;

/// The authority over `store` (behind a gate), and a browser on it.
fn authority(store: Arc<dyn SessionStore>) -> (GateStore, TestClient) {
    let clock = TestClock::at(T0);
    let gate = GateStore::new(store);
    let layer = SessionLayer::new(Keyring::new(secret(1))).clock(clock.reader());
    let router = app::authority(layer, gate.clone());
    (gate, TestClient::new(router).with_clock(clock))
}

/// Another browser holding a copy of `from`'s login cookie.
fn copy_login(from: &TestClient) -> TestClient {
    let mut copy = from.device();
    let value = from.cookie("login").expect("a login cookie").to_owned();
    copy.jar_mut().insert("login", &value, "/auth");
    copy
}

/// How many logins user 7 holds.
async fn logins(gate: &GateStore, browser: &TestClient) -> usize {
    gate.users_rows("login", "7", browser.clock().now()).await
}

async fn two_tabs_refreshing_at_once_share_one_rotation(store: Arc<dyn SessionStore>) {
    let (gate, mut browser) = authority(store);
    assert_eq!(browser.post("/auth/login/7", "").await.text(), "signed in");
    browser.clock().advance(6 * 60);
    let (mut tab_a, mut tab_b) = (copy_login(&browser), copy_login(&browser));
    gate.hold_next_move();
    let a = tokio::spawn(async move {
        let response = tab_a.post("/auth/refresh", "").await;
        (tab_a, response)
    });
    gate.wait_until_held().await;
    let b = tab_b.post("/auth/refresh", "").await;
    gate.release();
    let (tab_a, a) = a.await.expect("tab A");
    assert_eq!(a.text(), "refreshed");
    assert_eq!(b.text(), "refreshed");
    assert_eq!(tab_a.cookie("login"), tab_b.cookie("login"));
    assert_ne!(tab_a.cookie("login"), browser.cookie("login"));
    assert_eq!(logins(&gate, &browser).await, 1);
}

async fn a_replayed_login_cookie_ends_the_login(store: Arc<dyn SessionStore>) {
    let (gate, mut browser) = authority(store);
    browser.post("/auth/login/7", "").await;
    let mut phone = browser.device();
    phone.post("/auth/login/7", "").await;
    let mut thief = copy_login(&browser);
    browser.clock().advance(6 * 60);
    assert_eq!(browser.post("/auth/refresh", "").await.text(), "refreshed");
    // After the lease window the copy of the rotated-out id comes back.
    browser.clock().advance(60);
    assert_eq!(thief.post("/auth/refresh", "").await.text(), "signed out");
    assert_eq!(browser.post("/auth/refresh", "").await.text(), "signed out");
    // The phone's login stands.
    assert_eq!(logins(&gate, &browser).await, 1);
    assert_eq!(phone.post("/auth/refresh", "").await.text(), "refreshed");
}

on_every_backend!(
    two_tabs_refreshing_at_once_share_one_rotation,
    a_replayed_login_cookie_ends_the_login,
);
