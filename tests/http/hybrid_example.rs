//! The `hybrid` example: an authority and a resource service sharing only
//! the authority's public key, walked through as a browser would (the
//! login cookie goes to `/auth` only; the access cookie everywhere).

use session_seal::store::MemoryStore;
use session_seal::testing::{TestClient, TestClock};
use session_seal::{Keyring, SessionLayer, VerifyingKeyring};

use crate::common::secret;
use crate::hybrid_app as app;

const T0: u64 = 1_760_000_000;

/// The authority's and the resource's browsers, which share one jar's
/// access cookie by copying it (two origins of one site).
fn services() -> (TestClient, TestClient) {
    let clock = TestClock::at(T0);
    let keyring = Keyring::new(secret(1));
    let public = VerifyingKeyring::new(keyring.public_key());
    let authority = app::authority(
        SessionLayer::new(keyring).clock(clock.reader()),
        MemoryStore::new(),
    );
    let resource = app::resource(app::resource_layer(public).clock(clock.reader()));
    (
        TestClient::new(authority).with_clock(clock.clone()),
        TestClient::new(resource).with_clock(clock),
    )
}

/// Gives the resource service's browser the authority's access cookie.
fn carry_access(from: &TestClient, to: &mut TestClient) {
    match from.cookie("access") {
        Some(value) => {
            let value = value.to_owned();
            to.jar_mut().insert("access", &value, "/");
        }
        None => {
            to.jar_mut().remove("access", "/");
        }
    }
}

#[tokio::test]
async fn the_resource_service_checks_access_cookies_the_authority_refreshes() {
    let (mut authority, mut resource) = services();
    assert_eq!(
        authority.post("/auth/login/7", "").await.text(),
        "signed in"
    );
    let login = authority
        .jar()
        .iter()
        .find(|cookie| cookie.name == "login")
        .expect("a login cookie");
    assert_eq!(login.path, "/auth");
    carry_access(&authority, &mut resource);
    assert_eq!(resource.get("/api/me").await.text(), "user 7");
    // Five minutes on, the resource refuses the access cookie…
    authority.clock().advance(6 * 60);
    assert_eq!(resource.get("/api/me").await.status, 401);
    // …until the authority refreshes it (one rotation, new cookies).
    let before = authority.cookie("login").expect("login").to_owned();
    assert_eq!(
        authority.post("/auth/refresh", "").await.text(),
        "refreshed"
    );
    assert_ne!(authority.cookie("login"), Some(before.as_str()));
    carry_access(&authority, &mut resource);
    assert_eq!(resource.get("/api/me").await.text(), "user 7");
    // A logout ends the login: no more refreshes.
    assert_eq!(
        authority.post("/auth/logout", "").await.text(),
        "signed out"
    );
    authority.clock().advance(6 * 60);
    assert_eq!(
        authority.post("/auth/refresh", "").await.text(),
        "signed out"
    );
    carry_access(&authority, &mut resource);
    assert_eq!(resource.get("/api/me").await.status, 401);
}

#[tokio::test]
async fn the_resource_service_never_refreshes_even_when_sent_a_login_cookie() {
    let (mut authority, mut resource) = services();
    authority.post("/auth/login/7", "").await;
    carry_access(&authority, &mut resource);
    // A login cookie that reaches the resource service (a path set too
    // wide): it has no store, so the expired access cookie is just refused.
    let login = authority.cookie("login").expect("login").to_owned();
    resource.jar_mut().insert("login", &login, "/");
    authority.clock().advance(6 * 60);
    let response = resource.get("/api/me").await;
    assert_eq!(response.status, 401);
    assert_eq!(
        response
            .set_cookie("access")
            .map(|line| line.contains("Max-Age=0")),
        Some(true)
    );
}
