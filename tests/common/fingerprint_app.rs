//! The app of the fingerprint tests: one type of each mode bound to the
//! browser that logged in (`#[session(fingerprint)]`), with login and
//! "who am I" routes, and a hook that records every mismatch. Used by
//! `tests/http/fingerprint_http.rs` (cookie mode, the memory store) and
//! `tests/store/store_http.rs` (store mode on every backend).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::routing::get;
use http::header::HeaderName;
use http::{Request, StatusCode};
use serde::{Deserialize, Serialize};
use session_seal::store::SessionStore;
use session_seal::testing::{TestClient, TestClock, TestResponse};
use session_seal::{
    FingerprintMismatch, FingerprintPolicy, Keyring, Registered, SessionError, SessionLayer,
    SessionPayload, TypedSession,
};

/// A signed cookie-mode type bound to its browser.
#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "signed", namespace = "signed", fingerprint)]
pub struct Signed {
    pub user: u64,
}

/// An encrypted cookie-mode type bound to its browser.
#[derive(Serialize, Deserialize, SessionPayload)]
#[session(
    cookie = "sealed",
    namespace = "sealed",
    encrypted,
    absolute_max_age = "7d",
    fingerprint
)]
pub struct Sealed {
    pub user: u64,
}

/// A store-mode type bound to its browser.
#[derive(Serialize, Deserialize, SessionPayload)]
#[session(
    cookie = "stored",
    namespace = "stored",
    store,
    user = "user",
    fingerprint
)]
pub struct Stored {
    pub user: u64,
}

session_seal::registry! {
    /// The sessions of the fingerprint tests.
    pub struct Sessions { Signed, Sealed, Stored }
}

pub const T0: u64 = 1_760_000_000;

/// A desktop browser's headers.
pub const FIREFOX: [(&str, &str); 2] = [
    (
        "user-agent",
        "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
    ),
    ("accept-language", "en-GB,en;q=0.5"),
];

/// Another browser's.
pub const CHROME: [(&str, &str); 2] = [
    (
        "user-agent",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36",
    ),
    ("accept-language", "en-GB,en;q=0.5"),
];

/// The mismatches the hook saw.
pub type Seen = Arc<Mutex<Vec<FingerprintMismatch>>>;

async fn login_signed(
    Path(user): Path<u64>,
    mut session: TypedSession<Signed>,
) -> Result<&'static str, SessionError> {
    session.insert(Signed { user })?;
    Ok("in")
}

async fn login_sealed(
    Path(user): Path<u64>,
    mut session: TypedSession<Sealed>,
) -> Result<&'static str, SessionError> {
    session.insert(Sealed { user })?;
    Ok("in")
}

async fn login_stored(
    Path(user): Path<u64>,
    mut session: TypedSession<Stored>,
) -> Result<&'static str, SessionError> {
    session.insert(Stored { user })?;
    Ok("in")
}

/// `<user>` or `nobody (<status label>)`.
fn who<T: Registered + Send + Sync + 'static>(
    session: &TypedSession<T>,
    user: impl Fn(&T) -> u64,
) -> String {
    match session.get() {
        Some(value) => user(value).to_string(),
        None => format!("nobody ({})", session.status().label()),
    }
}

/// The app on `keyring` with `policy`, its store (for `Stored`) and clock;
/// returns a client to make browsers of and what the hook sees.
pub fn app(
    keyring: Keyring,
    store: Arc<dyn SessionStore>,
    policy: FingerprintPolicy,
    clock: &TestClock,
) -> (TestClient, Seen) {
    let seen: Seen = Arc::default();
    let hook_seen = Arc::clone(&seen);
    let layer = SessionLayer::<Sessions>::new(keyring)
        .store(store)
        .clock(clock.reader())
        .fingerprint_policy(policy)
        .on_fingerprint_mismatch(move |event| {
            hook_seen.lock().expect("not poisoned").push(event.clone());
        });
    let router = Router::new()
        .route("/signed/login/{user}", get(login_signed))
        .route("/sealed/login/{user}", get(login_sealed))
        .route("/stored/login/{user}", get(login_stored))
        .route(
            "/signed/me",
            get(|session: TypedSession<Signed>| async move { who(&session, |s| s.user) }),
        )
        .route(
            "/sealed/me",
            get(|session: TypedSession<Sealed>| async move { who(&session, |s| s.user) }),
        )
        .route(
            "/stored/me",
            get(|session: TypedSession<Stored>| async move { who(&session, |s| s.user) }),
        )
        .layer(layer);
    (TestClient::new(router).with_clock(clock.clone()), seen)
}

/// GET `path` as `browser` with `headers`.
pub async fn get_as(
    browser: &mut TestClient,
    path: &str,
    headers: &[(&str, &str)],
) -> TestResponse {
    let mut request = Request::get(path).body(Body::empty()).expect("a request");
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("a header name");
        request
            .headers_mut()
            .insert(name, value.parse().expect("a header value"));
    }
    browser.send(request).await
}

/// Logs `browser` in to `kind` (`signed`, `sealed` or `stored`) as user 7
/// with `headers`.
pub async fn login(browser: &mut TestClient, kind: &str, headers: &[(&str, &str)]) {
    let reply = get_as(browser, &format!("/{kind}/login/7"), headers).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(
        browser.cookie(kind).is_some(),
        "login sets the {kind} cookie"
    );
}

/// The scenario every mode passes: the browser that logged in is served;
/// the same cookie in another browser (another `User-Agent`, another
/// `Accept-Language`, or neither header) reads as absent with status
/// `fingerprint_mismatch`, its cookie is removed, and the hook hears of it
/// (with the user, for the type that names one). In store mode the row is
/// gone afterwards, so the browser that logged in is logged out as well;
/// a cookie-mode value keeps working in its own browser.
pub async fn a_copied_cookie_fails_in_another_browser(
    kind: &str,
    keyring: Keyring,
    store: Arc<dyn SessionStore>,
) {
    let clock = TestClock::at(T0);
    let (app, seen) = app(
        keyring,
        Arc::clone(&store),
        FingerprintPolicy::Enforce,
        &clock,
    );
    let me = format!("/{kind}/me");
    let german = [FIREFOX[0], ("accept-language", "de-DE,de;q=0.9")];
    // Another user agent, another language setting, and a client that
    // sends neither header: each is another browser.
    let others: [&[(&str, &str)]; 3] = [&CHROME, &german, &[]];
    for (n, other) in others.into_iter().enumerate() {
        let mut victim = app.device();
        login(&mut victim, kind, &FIREFOX).await;
        assert_eq!(get_as(&mut victim, &me, &FIREFOX).await.text(), "7");
        assert_eq!(seen.lock().expect("not poisoned").len(), n);

        // The cookie copied into the other browser.
        let mut thief = app.device();
        let value = victim.cookie(kind).expect("the cookie").to_owned();
        thief.jar_mut().insert(kind, &value, "/");
        let reply = get_as(&mut thief, &me, other).await;
        assert_eq!(reply.text(), "nobody (fingerprint_mismatch)", "case {n}");
        assert!(
            reply
                .set_cookie(kind)
                .is_some_and(|line| line.contains("Max-Age=0")),
            "the copied cookie is removed: {:?}",
            reply.set_cookies()
        );
        {
            let seen = seen.lock().expect("not poisoned");
            assert_eq!(seen.len(), n + 1);
            // Only the store-mode type names a user (`user = "user"`).
            let user = (kind == "stored").then_some("7");
            assert_eq!(seen[n].user.as_deref(), user);
            assert_eq!(seen[n].namespace, kind);
            assert!(seen[n].ended);
        }

        let victim_now = get_as(&mut victim, &me, &FIREFOX).await.text();
        if kind == "stored" {
            assert_eq!(
                victim_now, "nobody (revoked)",
                "store mode ends the session: the row is gone"
            );
        } else {
            assert_eq!(
                victim_now, "7",
                "a cookie-mode value stays with its browser"
            );
        }
    }
    if kind == "stored" {
        assert!(
            store
                .list_user("stored", "7", T0)
                .await
                .expect("store available")
                .is_empty(),
            "no row of user 7 is left"
        );
    }
}

/// Under [`FingerprintPolicy::Report`] the other browser is served, and
/// the hook hears of it as not ended.
pub async fn the_report_policy_serves_and_reports(
    kind: &str,
    keyring: Keyring,
    store: Arc<dyn SessionStore>,
) {
    let clock = TestClock::at(T0);
    let (app, seen) = app(keyring, store, FingerprintPolicy::Report, &clock);
    let mut victim = app.device();
    login(&mut victim, kind, &FIREFOX).await;
    let mut other = app.device();
    let value = victim.cookie(kind).expect("the cookie").to_owned();
    other.jar_mut().insert(kind, &value, "/");
    let me = format!("/{kind}/me");
    assert_eq!(get_as(&mut other, &me, &CHROME).await.text(), "7");
    assert_eq!(get_as(&mut victim, &me, &FIREFOX).await.text(), "7");
    let seen = seen.lock().expect("not poisoned");
    assert_eq!(seen.len(), 1);
    assert!(!seen[0].ended);
}
