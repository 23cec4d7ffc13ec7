//! The test kit (`session_seal::testing`) proven on the example apps: the
//! client's jar follows `Set-Cookie` like a browser (path scoping,
//! `Secure`; removal and expiry on the shared clock are exercised throughout
//! `http_sessions` and `http_lifetime`), several clients are several
//! devices, and each flavour of minted session (current, expired, under a
//! previous key, under an older schema, by hand, in a store) reaches the
//! handler as the layer would see it.

use std::sync::Arc;

use session_seal::revocation::Revocations;
use session_seal::store::{MemoryStore, SessionStoreExt as _};
use session_seal::testing::{MintError, TestClient, TestClock, cookie_pair};
use session_seal::{Keyring, SessionLayer, SessionSecret, Tier, peek_key_id};

use crate::app::{self, AdminSession, AdminV1, AppSessions, OperatorSession, TenantSession};
use crate::store_app::{self, AccountSession, AppStore, StoreSessions};

const T0: u64 = 1_750_000_000;

fn keyring() -> Keyring {
    Keyring::new(SessionSecret::from_bytes(&[7; 32]).expect("32 bytes"))
}

/// The multi-layer example behind a layer on `keyring` and `clock`, and a
/// client sharing the clock.
fn client(keyring: &Keyring, clock: &TestClock) -> TestClient {
    let layer = SessionLayer::<AppSessions>::new(keyring.clone())
        .revocations(Revocations::local_with_clock::<AppSessions>(clock.reader()))
        .clock(clock.reader());
    TestClient::new(app::router(layer)).with_clock(clock.clone())
}

#[tokio::test]
async fn path_scoped_cookies_are_sent_only_below_their_path() {
    let clock = TestClock::at(T0);
    let mut browser = client(&keyring(), &clock);
    browser.get("/ops/login/ada").await;
    let held = browser.jar().iter().next().expect("one cookie").clone();
    assert_eq!(
        (held.name.as_str(), held.path.as_str()),
        ("ops_sid", "/ops")
    );
    assert_eq!(browser.get("/ops/whoami").await.text(), "operator ada\n");
    // Outside `/ops` the browser does not send the cookie.
    let now = clock.now();
    assert!(
        browser
            .jar()
            .header_for("/ops/console", now, true)
            .is_some()
    );
    assert_eq!(browser.jar().header_for("/", now, true), None);
    assert_eq!(browser.jar().header_for("/opsx", now, true), None);
}

#[tokio::test]
async fn secure_cookies_and_plain_http() {
    let clock = TestClock::at(T0);
    // A production keyring: cookies are `Secure`.
    let mut https = client(&keyring(), &clock);
    let mut http = https.device().plain_http();
    https.get("/admin/login/1").await;
    assert_eq!(
        https.get("/admin/whoami").await.text(),
        "admin 1 roles=admin\n"
    );
    let reply = http.get("/admin/login/2").await;
    assert!(
        reply
            .set_cookie("admin_sid")
            .is_some_and(|line| line.contains("Secure"))
    );
    assert_eq!(
        http.cookie("admin_sid"),
        None,
        "a browser on http:// refuses it"
    );

    // A development keyring sets no `Secure`: plain HTTP works.
    let dev = keyring().with_tier(Tier::Development);
    let mut http = client(&dev, &clock).plain_http();
    http.get("/admin/login/3").await;
    assert_eq!(
        http.get("/admin/whoami").await.text(),
        "admin 3 roles=admin\n"
    );
}

#[tokio::test]
async fn several_clients_are_several_devices() {
    let clock = TestClock::at(T0);
    let mut laptop = client(&keyring(), &clock);
    let mut phone = laptop.device();
    laptop.get("/admin/login/1").await;
    phone.get("/tenant/login/2/acme").await;
    assert_eq!(
        laptop.get("/sessions").await.text(),
        "admin:  user 1 roles=admin\ntenant: none\n"
    );
    assert_eq!(
        phone.get("/sessions").await.text(),
        "admin:  none\ntenant: user 2 tenant acme\n"
    );
}

#[tokio::test]
async fn minted_sessions_open_as_if_logged_in() {
    let keyring = keyring();
    let clock = TestClock::at(T0);
    let mut browser = client(&keyring, &clock);
    browser
        .with_session(
            &keyring,
            &AdminSession {
                user_id: 9,
                roles: vec!["audit".into()],
            },
        )
        .expect("sealed");
    browser
        .with_session(
            &keyring,
            &OperatorSession {
                operator: "ada".into(),
            },
        )
        .expect("sealed");
    assert_eq!(
        browser.get("/admin/whoami").await.text(),
        "admin 9 roles=audit\n"
    );
    assert_eq!(browser.get("/ops/whoami").await.text(), "operator ada\n");
    assert_eq!(browser.jar().iter().count(), 2);
    let ops = browser
        .jar()
        .iter()
        .find(|c| c.name == "ops_sid")
        .expect("ops");
    assert_eq!(ops.path, "/ops", "minted under the type's path");
}

#[tokio::test]
async fn a_minted_expired_session_reads_as_expired() {
    let keyring = keyring();
    let clock = TestClock::at(T0);
    let mut browser = client(&keyring, &clock);
    let tenant = TenantSession {
        user_id: 4,
        tenant: "acme".into(),
    };
    browser
        .with_session_sealed_at(&keyring, &tenant, T0 - 2 * 86_400)
        .expect("sealed");
    let reply = browser.get("/tenant/whoami").await;
    assert!(
        reply
            .text()
            .starts_with("no tenant session: rejected (session expired at"),
        "{}",
        reply.text()
    );
    assert_eq!(browser.cookie("tenant_sid"), None, "cleared by the layer");
}

#[tokio::test]
async fn a_session_minted_under_a_previous_key_is_accepted_and_reissued() {
    let old = SessionSecret::from_bytes(&[1; 32]).expect("32 bytes");
    let new = SessionSecret::from_bytes(&[2; 32]).expect("32 bytes");
    let app_keyring = Keyring::new(new).with_previous(old.clone());
    let clock = TestClock::at(T0);
    let mut browser = client(&app_keyring, &clock);
    browser
        .with_session(
            &Keyring::new(old),
            &AdminSession {
                user_id: 5,
                roles: vec![],
            },
        )
        .expect("sealed");
    let before = browser.cookie("admin_sid").expect("minted").to_owned();
    let reply = browser.get("/admin/whoami").await;
    assert_eq!(reply.text(), "admin 5 roles=\n");
    let after = browser.cookie("admin_sid").expect("re-issued").to_owned();
    assert_ne!(before, after, "re-sealed under the primary");
    assert_eq!(peek_key_id(&after), Some(app_keyring.primary_key_id()));
    assert_ne!(peek_key_id(&before), Some(app_keyring.primary_key_id()));
    // The re-issued cookie opens with the primary alone.
    let primary_only = Keyring::new(SessionSecret::from_bytes(&[2; 32]).expect("32 bytes"));
    assert!(primary_only.open_at::<AdminSession>(&after, T0).is_ok());
}

/// The admin session as version 1 of the app wrote it: a test mints an
/// old-schema cookie by declaring the old writer with the same cookie name,
/// namespace and format, at the old version.
#[derive(serde::Serialize, serde::Deserialize, session_seal::SessionPayload)]
#[session(
    cookie = "admin_sid",
    namespace = "admin",
    version = 1,
    max_age = "8h",
    encrypted
)]
struct AdminV1Writer {
    user_id: u64,
}

#[tokio::test]
async fn a_session_minted_under_an_older_schema_is_migrated_and_reissued() {
    let keyring = keyring();
    let clock = TestClock::at(T0);
    let mut browser = client(&keyring, &clock);
    browser
        .with_session(&keyring, &AdminV1Writer { user_id: 8 })
        .expect("sealed");
    let before = browser.cookie("admin_sid").expect("minted").to_owned();
    let reply = browser.get("/admin/whoami").await;
    // Version 1 had no roles; the migration gives every admin "admin".
    assert_eq!(reply.text(), "admin 8 roles=admin\n");
    let after = browser.cookie("admin_sid").expect("re-issued").to_owned();
    assert_ne!(before, after, "re-sealed as version 2");
    let opened = keyring
        .open_at::<AdminSession>(&after, T0)
        .expect("opens as the current type");
    assert_eq!(opened.version, 2);
    assert!(
        !opened.migrated,
        "re-issued as version 2, not migrated again"
    );
    assert_eq!(opened.payload, AdminSession::from(AdminV1 { user_id: 8 }));
}

#[tokio::test]
async fn a_cookie_pair_can_be_sent_by_hand() {
    let keyring = keyring();
    let clock = TestClock::at(T0);
    let mut browser = client(&keyring, &clock);
    let pair = cookie_pair(
        &keyring,
        &AdminSession {
            user_id: 3,
            roles: vec![],
        },
        T0,
    )
    .expect("sealed");
    let request = http::Request::get("/admin/whoami")
        .header(http::header::COOKIE, pair)
        .body(axum::body::Body::empty())
        .expect("request");
    assert_eq!(browser.send(request).await.text(), "admin 3 roles=\n");
}

#[tokio::test]
async fn store_mode_sessions_can_be_minted_too() {
    let keyring = keyring();
    let clock = TestClock::at(T0);
    let store = MemoryStore::new();
    let shared: AppStore = Arc::new(store.clone());
    let layer = SessionLayer::<StoreSessions>::new(keyring.clone())
        .clock(clock.reader())
        .store(Arc::clone(&shared));
    let mut phone = TestClient::new(store_app::router(layer, shared)).with_clock(clock.clone());
    let account = AccountSession {
        user_id: 7,
        device: "phone".into(),
        visits: 2,
    };
    phone
        .with_stored_session(&keyring, &store, &account)
        .await
        .expect("minted");
    assert_eq!(phone.get("/me").await.text(), "user 7 on phone, 2 visits\n");
    let sessions = store
        .list_sessions::<AccountSession>("7", T0)
        .await
        .expect("memory store");
    assert_eq!(sessions.len(), 1);

    // A cookie-mode type cannot be minted into a store.
    let mut other = phone.device();
    let refused = other
        .with_stored_session(
            &keyring,
            &store,
            &AdminSession {
                user_id: 1,
                roles: vec![],
            },
        )
        .await;
    assert!(matches!(refused, Err(MintError::NotStored { .. })));
}
