//! Verify-only services (wire format 3): an authority router mints an
//! `asymmetric` access cookie under its secret; a resource router whose
//! keyring holds only the authority's public keys serves it, refuses to
//! mint one, refuses tampered values and types it has no key for, and
//! follows the authority's key rotation.

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use session_seal::testing::{TestClient, TestClock};
use session_seal::{
    Keyring, PublicKey, SessionError, SessionLayer, SessionPayload, SessionSecret, TypedSession,
    VerifyingKeyring,
};

use crate::common::secret;

/// The access type every service checks locally.
#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "access", namespace = "access", max_age = "5m", asymmetric)]
struct Access {
    user: u64,
}

/// A signed type of the authority's own, which no public key opens.
#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "prefs", namespace = "prefs")]
struct Prefs {
    theme: String,
}

session_seal::registry! { struct Sessions { Access, Prefs } }

const T0: u64 = 1_760_000_000;

async fn login(
    Path(user): Path<u64>,
    mut access: TypedSession<Access>,
) -> Result<&'static str, SessionError> {
    access.insert(Access { user })?;
    Ok("in")
}

async fn me(access: TypedSession<Access>) -> String {
    match access.get() {
        Some(access) => format!("user {}", access.user),
        None => format!("nobody ({})", access.status().label()),
    }
}

async fn prefs(prefs: TypedSession<Prefs>) -> String {
    match prefs.get() {
        Some(prefs) => prefs.theme.clone(),
        None => format!("none ({})", prefs.status().label()),
    }
}

async fn set_prefs(mut prefs: TypedSession<Prefs>) -> Result<&'static str, SessionError> {
    prefs.insert(Prefs {
        theme: "dark".into(),
    })?;
    Ok("saved")
}

/// The same routes on either kind of service.
fn service(keyring: Keyring, clock: &TestClock) -> TestClient {
    let router = Router::new()
        .route("/login/{user}", get(login))
        .route("/me", get(me))
        .route("/prefs", get(prefs))
        .route("/prefs/set", get(set_prefs))
        .layer(SessionLayer::<Sessions>::new(keyring).clock(clock.reader()));
    TestClient::new(router).with_clock(clock.clone())
}

#[tokio::test]
async fn a_resource_service_serves_the_authoritys_cookie_and_cannot_mint_one() {
    let clock = TestClock::at(T0);
    let authority_keys = Keyring::new(secret(0x3c));
    // What the resource service is given: the public key, as text.
    let public = authority_keys.public_key().to_base64();
    let verifying = VerifyingKeyring::new(public.parse::<PublicKey>().expect("a public key"));
    let authority = service(authority_keys, &clock);
    let resource = service(Keyring::verify_only(verifying), &clock);

    let mut browser = authority.device();
    assert_eq!(browser.get("/login/7").await.text(), "in");
    browser.get("/prefs/set").await;
    let access = browser.cookie("access").expect("minted").to_owned();
    let prefs = browser.cookie("prefs").expect("signed").to_owned();

    let mut at_resource = resource.device();
    at_resource.jar_mut().insert("access", &access, "/");
    assert_eq!(at_resource.get("/me").await.text(), "user 7");
    // It holds no secret: it cannot issue a session.
    let minted = at_resource.get("/login/8").await;
    assert_eq!(minted.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        at_resource.cookie("access"),
        Some(access.as_str()),
        "nothing issued"
    );
    // Nor open a type it has no key for.
    at_resource.jar_mut().insert("prefs", &prefs, "/");
    assert_eq!(
        at_resource.get("/prefs").await.text(),
        "none (bad_signature)"
    );

    // A changed payload (user 8 for user 7) fails the signature.
    let (header, rest) = access.split_once('.').expect("H.P.S");
    let (payload, signature) = rest.split_once('.').expect("P.S");
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let json = String::from_utf8(b64.decode(payload).expect("base64url")).expect("JSON");
    let forged_payload = b64.encode(json.replace(":7", ":8"));
    let forged = format!("{header}.{forged_payload}.{signature}");
    let mut forger = resource.device();
    forger.jar_mut().insert("access", &forged, "/");
    assert_eq!(forger.get("/me").await.text(), "nobody (bad_signature)");

    // A resource service with another authority's key refuses it.
    let stranger = VerifyingKeyring::new(Keyring::new(secret(0x3d)).public_key());
    let mut elsewhere = service(Keyring::verify_only(stranger), &clock).device();
    elsewhere.jar_mut().insert("access", &access, "/");
    assert_eq!(elsewhere.get("/me").await.text(), "nobody (bad_signature)");
}

#[tokio::test]
async fn after_the_authority_rotates_its_secret_old_and_new_cookies_verify() {
    let clock = TestClock::at(T0);
    let before = Keyring::new(secret(0x3c));
    let mut old = service(before.clone(), &clock).device();
    old.get("/login/7").await;
    let old_cookie = old.cookie("access").expect("minted").to_owned();

    let rotated = Keyring::new(SessionSecret::generate()).with_previous(secret(0x3c));
    let mut new = service(rotated.clone(), &clock).device();
    new.get("/login/9").await;
    let new_cookie = new.cookie("access").expect("minted").to_owned();

    // The resource service is given both public keys, new first.
    let resource = service(Keyring::verify_only(rotated.verifying_keyring()), &clock);
    for (cookie, who) in [(&old_cookie, "user 7"), (&new_cookie, "user 9")] {
        let mut browser = resource.device();
        browser.jar_mut().insert("access", cookie, "/");
        assert_eq!(browser.get("/me").await.text(), who);
    }
    // Only the new key: the old cookie no longer verifies.
    let only_new = VerifyingKeyring::new(rotated.public_key());
    let mut browser = service(Keyring::verify_only(only_new), &clock).device();
    browser.jar_mut().insert("access", &old_cookie, "/");
    assert_eq!(browser.get("/me").await.text(), "nobody (bad_signature)");
    assert_ne!(before.public_key(), rotated.public_key());
}

/// GET `/me` from a fresh device of `app` with exactly these `access`
/// cookie values, in order, in one `Cookie` header.
async fn me_with(app: &TestClient, values: &[&str]) -> String {
    let header = values
        .iter()
        .map(|value| format!("access={value}"))
        .collect::<Vec<_>>()
        .join("; ");
    let request = http::Request::get("/me")
        .header(http::header::COOKIE, header)
        .body(axum::body::Body::empty())
        .expect("a request");
    app.device().send(request).await.text()
}

#[tokio::test]
async fn at_most_four_duplicate_cookies_of_an_asymmetric_type_are_verified() {
    let clock = TestClock::at(T0);
    let keys = Keyring::new(secret(0x3c));
    let mut browser = service(keys.clone(), &clock).device();
    browser.get("/login/7").await;
    let genuine = browser.cookie("access").expect("minted").to_owned();
    // Genuine-looking forgeries: the right header (key id included), a
    // signature that fails, so each one costs a verification.
    let (signed, _) = genuine.rsplit_once('.').expect("H.P.S");
    let forged = format!("{signed}.{}", "A".repeat(86));
    let resource = service(Keyring::verify_only(keys.verifying_keyring()), &clock);

    let mut within: Vec<&str> = vec![&forged; 3];
    within.push(&genuine);
    assert_eq!(
        me_with(&resource, &within).await,
        "user 7",
        "the fourth is checked"
    );
    let mut beyond: Vec<&str> = vec![&forged; 4];
    beyond.push(&genuine);
    assert_eq!(
        me_with(&resource, &beyond).await,
        "nobody (bad_signature)",
        "the fifth is not checked"
    );
    // Signed types still try every duplicate.
    let mut prefs = service(keys.clone(), &clock).device();
    prefs.get("/prefs/set").await;
    let value = prefs.cookie("prefs").expect("set").to_owned();
    let header = format!("{}prefs={value}", "prefs=x; ".repeat(10));
    let request = http::Request::get("/prefs")
        .header(http::header::COOKIE, header)
        .body(axum::body::Body::empty())
        .expect("a request");
    assert_eq!(
        service(keys, &clock).device().send(request).await.text(),
        "dark"
    );
}
