//! The axum integration driven like a browser: the `multi_layer` example
//! through the test kit's `TestClient` (in memory, its jar following
//! `Set-Cookie`): the cookie's attributes, reading back, logout by path,
//! `RequireSession`, expiry and sliding renewal, three areas in one jar,
//! update and renewal in one response, an oversize insert, and the
//! encrypted area next to the signed ones.
//!
//! Hostile and misplaced cookies are in `adversarial_http`, the two clocks
//! in `http_lifetime`, and minted sessions (previous key, older schema) in
//! `testing_kit`.

use http::StatusCode;
use session_seal::revocation::Revocations;
use session_seal::testing::{TestClient, TestClock, TestResponse};
use session_seal::{Keyring, SecurePolicy, SessionLayer, SessionPayload as _};

use crate::app::{self, AdminSession, AppSessions, TenantSession};
use crate::common::{dev_keyring, secret};

const T0: u64 = 1_750_000_000;

/// The example behind a layer on `keyring` and `clock`, driven by the test
/// kit's client on the same clock.
fn client(keyring: Keyring, clock: &TestClock) -> TestClient {
    let layer = SessionLayer::<AppSessions>::new(keyring)
        .revocations(Revocations::local_with_clock::<AppSessions>(clock.reader()))
        .clock(clock.reader());
    TestClient::new(app::router(layer)).with_clock(clock.clone())
}

/// The parsed `Set-Cookie` for cookie `name` (the test fails without one).
fn set_cookie(response: &TestResponse, name: &str) -> cookie::Cookie<'static> {
    let line = response
        .set_cookie(name)
        .unwrap_or_else(|| panic!("no Set-Cookie for {name}: {:?}", response.set_cookies()));
    cookie::Cookie::parse(line.to_owned()).expect("a valid Set-Cookie")
}

#[tokio::test]
async fn login_sets_exactly_one_cookie_with_expected_attributes() {
    let clock = TestClock::at(T0);
    let mut browser = client(dev_keyring(), &clock);
    let reply = browser.get("/admin/login/42").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.set_cookies().len(), 1, "{:?}", reply.set_cookies());
    let cookie = set_cookie(&reply, "admin_sid");
    assert_eq!(cookie.path(), Some("/"));
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(cookie.same_site(), Some(cookie::SameSite::Lax));
    assert_eq!(cookie.max_age().map(|d| d.whole_seconds()), Some(8 * 3600));
    assert_eq!(cookie.secure(), None, "development tier: not Secure");
    assert_eq!(cookie.domain(), None);
}

#[tokio::test]
async fn production_tier_cookies_are_secure_and_policy_can_force() {
    let clock = TestClock::at(T0);
    let mut browser = client(Keyring::new(secret(1)), &clock);
    let reply = browser.get("/admin/login/42").await;
    assert_eq!(set_cookie(&reply, "admin_sid").secure(), Some(true));

    let layer = SessionLayer::<AppSessions>::new(dev_keyring())
        .revocations(Revocations::local::<AppSessions>())
        .secure(SecurePolicy::Always);
    let mut browser = TestClient::new(app::router(layer));
    let reply = browser.get("/tenant/login/1/acme").await;
    assert_eq!(set_cookie(&reply, "tenant_sid").secure(), Some(true));
}

#[tokio::test]
async fn whoami_reads_the_session_back_without_rewriting_it() {
    let clock = TestClock::at(T0);
    let mut browser = client(dev_keyring(), &clock);
    browser.get("/admin/login/42").await;
    let reply = browser.get("/admin/whoami").await;
    assert_eq!(reply.text(), "admin 42 roles=admin\n");
    assert!(reply.set_cookies().is_empty(), "{:?}", reply.set_cookies());
}

#[tokio::test]
async fn logout_removes_with_the_same_path() {
    let clock = TestClock::at(T0);
    let mut browser = client(dev_keyring(), &clock);
    let login = browser.get("/ops/login/ada").await;
    assert_eq!(set_cookie(&login, "ops_sid").path(), Some("/ops"));
    assert_eq!(browser.get("/ops/whoami").await.text(), "operator ada\n");
    // The browser does not send a /ops cookie elsewhere.
    assert!(
        browser
            .get("/sessions")
            .await
            .text()
            .contains("admin:  none")
    );

    let logout = browser.get("/ops/logout").await;
    let removal = set_cookie(&logout, "ops_sid");
    assert_eq!(removal.path(), Some("/ops"));
    assert_eq!(removal.same_site(), Some(cookie::SameSite::Strict));
    assert_eq!(removal.max_age().map(|d| d.whole_seconds()), Some(0));
    assert_eq!(browser.cookie("ops_sid"), None);
    assert_eq!(
        browser.get("/ops/whoami").await.text(),
        "no operator session: none\n"
    );
}

#[tokio::test]
async fn require_session_is_401_without_a_session() {
    let clock = TestClock::at(T0);
    let mut browser = client(dev_keyring(), &clock);
    let reply = browser.get("/admin/audit").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.text(), "authentication required");

    browser.get("/admin/login/7").await;
    let reply = browser.get("/admin/audit").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text(), "audit log for admin 7\n");
}

#[tokio::test]
async fn expired_cookie_reads_as_expired() {
    let clock = TestClock::at(T0);
    let mut browser = client(dev_keyring(), &clock);
    browser.get("/ops/login/ada").await; // 15 minutes
    let value = browser
        .cookie("ops_sid")
        .map(str::to_owned)
        .expect("cookie");
    clock.advance(15 * 60);
    assert_eq!(
        browser.cookie("ops_sid"),
        None,
        "the jar drops it at its Max-Age, as a browser does"
    );
    // A client whose clock lags still sends it: the layer says it expired.
    browser.jar_mut().insert("ops_sid", &value, "/ops");
    let reply = browser.get("/ops/whoami").await;
    assert_eq!(
        reply.text(),
        format!(
            "no operator session: rejected (session expired at unix time {})\n",
            T0 + 15 * 60
        )
    );
    assert_eq!(browser.cookie("ops_sid"), None, "expired cookie cleared");
}

#[tokio::test]
async fn sliding_renewal_reissues_after_renew_after() {
    let clock = TestClock::at(T0);
    let mut browser = client(dev_keyring(), &clock);
    browser.get("/admin/login/42").await; // 8h, renew after 4h
    clock.advance(3 * 3600);
    assert!(browser.get("/admin/whoami").await.set_cookies().is_empty());
    clock.advance(3600);
    let reply = browser.get("/admin/whoami").await;
    assert_eq!(reply.text(), "admin 42 roles=admin\n");
    let renewed = set_cookie(&reply, "admin_sid");
    assert_eq!(renewed.max_age().map(|d| d.whole_seconds()), Some(8 * 3600));
    // 7 hours after renewal the session lives on (12h after login).
    clock.advance(7 * 3600);
    assert_eq!(
        browser.get("/admin/whoami").await.text(),
        "admin 42 roles=admin\n"
    );
}

#[tokio::test]
async fn three_areas_coexist_in_one_jar() {
    let clock = TestClock::at(T0);
    let mut browser = client(dev_keyring(), &clock);
    browser.get("/admin/login/1").await;
    browser.get("/tenant/login/2/acme-widgets").await;
    browser.get("/ops/login/ada").await;
    assert_eq!(browser.jar().iter().count(), 3);

    assert_eq!(
        browser.get("/sessions").await.text(),
        "admin:  user 1 roles=admin\ntenant: user 2 tenant acme-widgets\n"
    );
    assert_eq!(
        browser.get("/ops/console").await.text(),
        "console for operator ada\n"
    );

    // Logging out of one area leaves the others alone.
    browser.get("/tenant/logout").await;
    assert_eq!(
        browser.get("/sessions").await.text(),
        "admin:  user 1 roles=admin\ntenant: none\n"
    );
    assert_eq!(browser.get("/ops/whoami").await.text(), "operator ada\n");
    assert_eq!(
        browser.get("/admin/whoami").await.text(),
        "admin 1 roles=admin\n"
    );
}

#[tokio::test]
async fn update_and_renew_write_one_cookie() {
    let clock = TestClock::at(T0);
    let mut browser = client(dev_keyring(), &clock);
    browser.get("/admin/login/42").await;
    clock.advance(60);
    let reply = browser.get("/admin/grant/audit").await;
    let lines: Vec<&str> = reply
        .set_cookies()
        .into_iter()
        .filter(|line| line.starts_with("admin_sid="))
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(
        browser.get("/admin/whoami").await.text(),
        "admin 42 roles=admin,audit\n"
    );
}

#[tokio::test]
async fn oversize_insert_is_an_error_at_the_call_and_keeps_the_old_cookie() {
    let clock = TestClock::at(T0);
    let mut browser = client(dev_keyring(), &clock);
    browser.get("/admin/login/42").await;
    let before = browser.cookie("admin_sid").map(str::to_owned);
    let huge = "r".repeat(5000);
    let reply = browser.get(&format!("/admin/grant/{huge}")).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.text(), "the session could not be saved");
    assert!(reply.set_cookies().is_empty());
    assert_eq!(browser.cookie("admin_sid").map(str::to_owned), before);
}

/// Every base64url decoding of each part of `value` (and of the whole), at
/// each of the four alignments: what anyone holding the cookie could try.
fn decodings(value: &str) -> Vec<Vec<u8>> {
    use base64::Engine as _;
    let lenient = base64::engine::GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let mut pieces: Vec<String> = value.split('.').map(str::to_owned).collect();
    pieces.push(value.replace('.', ""));
    let mut out = Vec::new();
    for piece in pieces {
        for skip in 0..4.min(piece.len()) {
            let mut rest = piece[skip..].to_owned();
            while rest.len() % 4 == 1 {
                rest.pop();
            }
            if let Ok(bytes) = lenient.decode(&rest) {
                out.push(bytes);
            }
        }
    }
    out
}

fn reveals(value: &str, needle: &str) -> bool {
    value.contains(needle)
        || decodings(value)
            .iter()
            .any(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
}

#[tokio::test]
async fn encrypted_admin_next_to_signed_areas_works_and_hides_its_json() {
    let clock = TestClock::at(T0);
    let keyring = dev_keyring();
    let mut browser = client(keyring.clone(), &clock);
    assert_eq!(
        browser.get("/admin/login/4242").await.text(),
        "admin 4242 logged in\n"
    );
    browser.get("/tenant/login/4242/acme-widgets").await;
    browser.get("/ops/login/ada").await;
    assert_eq!(
        browser.get("/sessions").await.text(),
        "admin:  user 4242 roles=admin\ntenant: user 4242 tenant acme-widgets\n"
    );
    // Handlers see no difference: grant a role (an update re-seals), read
    // it back, log out.
    browser.get("/admin/grant/audit").await;
    assert_eq!(
        browser.get("/admin/whoami").await.text(),
        "admin 4242 roles=admin,audit\n"
    );
    let admin = browser
        .cookie("admin_sid")
        .expect("admin cookie")
        .to_owned();
    let tenant = browser
        .cookie("tenant_sid")
        .expect("tenant cookie")
        .to_owned();
    // Format 2 for the admin area (`H.C`), format 1 for the tenant's.
    assert_eq!(admin.matches('.').count(), 1);
    assert_eq!(tenant.matches('.').count(), 2);
    // The admin cookie shows none of its JSON; the signed tenant cookie
    // does (so the search itself works).
    for needle in ["4242", "audit", "roles", "user_id", "\"admin\""] {
        assert!(!reveals(&admin, needle), "admin cookie reveals {needle:?}");
    }
    assert!(reveals(&tenant, "acme-widgets"));
    assert!(reveals(&tenant, "4242"));
    // It is an ordinary session of the keyring.
    let opened = keyring.open_at::<AdminSession>(&admin, T0).expect("opens");
    assert_eq!(opened.payload.roles, ["admin", "audit"]);
    assert!(AdminSession::SPEC.is_encrypted());
    assert!(!TenantSession::SPEC.is_encrypted());
    browser.get("/admin/logout").await;
    assert_eq!(browser.cookie("admin_sid"), None);
    assert_eq!(
        browser.get("/tenant/whoami").await.text(),
        "user 4242 in tenant acme-widgets\n"
    );
}

#[tokio::test]
async fn log_out_everywhere_ends_every_copy_of_the_admin_cookie() {
    let clock = TestClock::at(T0);
    let mut laptop = client(dev_keyring(), &clock);
    laptop.get("/admin/login/42").await;
    laptop.get("/tenant/login/42/acme-widgets").await;
    let mut copy = laptop.device();
    let value = laptop.cookie("admin_sid").unwrap().to_owned();
    copy.jar_mut().insert("admin_sid", &value, "/");
    let mut other_admin = laptop.device();
    other_admin.get("/admin/login/7").await;
    assert_eq!(
        copy.get("/admin/whoami").await.text(),
        "admin 42 roles=admin\n"
    );

    clock.advance(1);
    let response = laptop.get("/admin/logout-everywhere").await;
    assert_eq!(response.text(), "admin 42 logged out everywhere\n");
    assert!(
        set_cookie(&response, "admin_sid")
            .max_age()
            .is_some_and(|age| age.is_zero())
    );
    assert_eq!(
        copy.get("/admin/whoami").await.text(),
        "no admin session: rejected (session was ended on the server)\n"
    );
    assert_eq!(
        copy.get("/admin/audit").await.status,
        StatusCode::UNAUTHORIZED
    );
    // Other users and other session types are untouched.
    assert_eq!(
        other_admin.get("/admin/whoami").await.text(),
        "admin 7 roles=admin\n"
    );
    assert_eq!(
        laptop.get("/tenant/whoami").await.text(),
        "user 42 in tenant acme-widgets\n"
    );
    // Logging in again starts a session the revocation does not cover.
    laptop.get("/admin/login/42").await;
    assert_eq!(
        laptop.get("/admin/whoami").await.text(),
        "admin 42 roles=admin\n"
    );
}
