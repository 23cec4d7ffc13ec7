//! CSRF over HTTP: the cross-origin layer refuses cross-site posts before
//! any handler, and tokens bound to a session type refuse a token made for
//! another type, for an earlier session (logout, a store-mode renewal) or
//! for another browser; the signed double-submit nonce covers pages served
//! before login.

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::routing::{get, post};
use http::{Method, Request, StatusCode};
use serde::{Deserialize, Serialize};
use session_seal::store::MemoryStore;
use session_seal::testing::{TestClient, TestResponse};
use session_seal::{
    CSRF_HEADER, CrossOriginLayer, CsrfForm, CsrfToken, SessionError, SessionLayer, TypedSession,
    VerifiedCsrf,
};

use crate::common::dev_keyring;
use crate::common::logs::capture;

#[derive(Serialize, Deserialize, session_seal::SessionPayload)]
#[session(cookie = "admin", namespace = "admin", store, user = "user")]
struct Admin {
    user: u64,
}

#[derive(Serialize, Deserialize, session_seal::SessionPayload)]
#[session(cookie = "tenant", namespace = "tenant")]
struct Tenant {
    user: u64,
}

session_seal::registry! {
    /// The sessions of the app under test.
    struct Sessions { Admin, Tenant }
}

async fn login(
    Path(user): Path<u64>,
    mut admin: TypedSession<Admin>,
) -> Result<&'static str, SessionError> {
    admin.insert(Admin { user })?;
    Ok("in")
}

async fn tenant_login(mut tenant: TypedSession<Tenant>) -> Result<&'static str, SessionError> {
    tenant.insert(Tenant { user: 1 })?;
    Ok("in")
}

async fn logout(mut admin: TypedSession<Admin>) -> &'static str {
    admin.remove();
    "out"
}

async fn renew(mut admin: TypedSession<Admin>) -> Result<&'static str, SessionError> {
    admin.renew()?;
    Ok("renewed")
}

async fn admin_token(csrf: CsrfToken<Admin>) -> String {
    csrf.to_string()
}

async fn tenant_token(csrf: CsrfToken<Tenant>) -> String {
    csrf.to_string()
}

async fn transfer(_: VerifiedCsrf<Admin>) -> &'static str {
    "transferred"
}

/// A form post: the token in the body, checked with `verify`.
async fn form_post(
    csrf: CsrfToken<Admin>,
    body: String,
) -> Result<&'static str, session_seal::CsrfRejection> {
    let submitted = body.strip_prefix("csrf=").unwrap_or("");
    csrf.verify(submitted)?;
    Ok("posted")
}

/// A posted order form; the token's field is not one of its fields.
#[derive(Deserialize)]
struct Order {
    item: String,
    quantity: u32,
}

/// The page with the order form, for the admin session.
async fn order_page(csrf: CsrfToken<Admin>) -> String {
    format!(
        r#"<form method="post" action="/order"><input name="item">{}</form>"#,
        csrf.form_field()
    )
}

async fn order(form: CsrfForm<Admin, Order>) -> String {
    format!("{} x {}", form.quantity, form.item)
}

/// A form with a closed set of answers: serde's error for another one
/// quotes it.
#[derive(Deserialize)]
struct Gift {
    wrap: Wrap,
}

#[derive(Deserialize, Debug)]
enum Wrap {
    Paper,
}

async fn gift(form: CsrfForm<Admin, Gift>) -> String {
    format!("{:?}", form.wrap)
}

async fn tenant_order(form: CsrfForm<Tenant, Order>) -> String {
    form.into_inner().item
}

fn app() -> Router {
    Router::new()
        .route("/login/{user}", get(login))
        .route("/tenant/login", get(tenant_login))
        .route("/logout", get(logout))
        .route("/renew", get(renew))
        .route("/token", get(admin_token))
        .route("/tenant/token", get(tenant_token))
        .route("/transfer", post(transfer))
        .route("/form", post(form_post))
        .route("/order", get(order_page).post(order))
        .route("/tenant/order", post(tenant_order))
        .route("/gift", post(gift))
        .route(
            "/small/order",
            post(order).layer(axum::extract::DefaultBodyLimit::max(64)),
        )
        .route("/hooks/payment", post(|| async { "hook" }))
        .layer(SessionLayer::<Sessions>::new(dev_keyring()).store(MemoryStore::new()))
        .layer(
            CrossOriginLayer::new()
                .trust_origin("https://partner.example")
                .exempt_path("/hooks/"),
        )
}

/// `POST path` with the token header (if any) and extra headers.
async fn post_with(
    client: &mut TestClient,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> TestResponse {
    let mut request = Request::builder().method(Method::POST).uri(path);
    if let Some(token) = token {
        request = request.header(CSRF_HEADER, token);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    client.send(request.body(Body::empty()).unwrap()).await
}

const SAME_ORIGIN: (&str, &str) = ("sec-fetch-site", "same-origin");

#[tokio::test]
async fn a_cross_site_post_is_refused_before_the_handler() {
    let mut browser = TestClient::new(app());
    browser.get("/login/42").await;
    let token = browser.get("/token").await.text();
    // Even with a valid token and cookie: the browser said cross-site.
    let response = post_with(
        &mut browser,
        "/transfer",
        Some(&token),
        &[("sec-fetch-site", "cross-site")],
    )
    .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert_eq!(response.text(), "cross-origin request refused");
    let same_site = post_with(
        &mut browser,
        "/transfer",
        Some(&token),
        &[("sec-fetch-site", "same-site")],
    )
    .await;
    assert_eq!(same_site.status, StatusCode::FORBIDDEN);
    // A trusted partner and an exempt webhook path pass the layer.
    let partner = [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://partner.example"),
    ];
    assert_eq!(
        post_with(&mut browser, "/transfer", Some(&token), &partner)
            .await
            .text(),
        "transferred"
    );
    let hook = post_with(
        &mut browser,
        "/hooks/payment",
        None,
        &[("sec-fetch-site", "cross-site")],
    )
    .await;
    assert_eq!(hook.text(), "hook");
}

#[tokio::test]
async fn old_browsers_fall_back_to_origin_and_clients_without_headers_pass() {
    let mut browser = TestClient::new(app());
    browser.get("/login/42").await;
    let token = browser.get("/token").await.text();
    let foreign = [("origin", "https://evil.example"), ("host", "app.example")];
    assert_eq!(
        post_with(&mut browser, "/transfer", Some(&token), &foreign)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let own = [("origin", "https://app.example"), ("host", "app.example")];
    assert_eq!(
        post_with(&mut browser, "/transfer", Some(&token), &own)
            .await
            .text(),
        "transferred"
    );
    // No browser headers at all (curl): the layer lets it through, and the
    // token is what protects the handler.
    assert_eq!(
        post_with(&mut browser, "/transfer", Some(&token), &[])
            .await
            .text(),
        "transferred"
    );
    assert_eq!(
        post_with(&mut browser, "/transfer", None, &[]).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_same_origin_fetch_with_the_token_passes_and_without_it_fails() {
    let mut browser = TestClient::new(app());
    browser.get("/login/42").await;
    let token = browser.get("/token").await.text();
    assert_eq!(token.len(), 43);
    assert_eq!(
        browser.get("/token").await.text(),
        token,
        "stable for the session"
    );
    assert_eq!(
        post_with(&mut browser, "/transfer", Some(&token), &[SAME_ORIGIN])
            .await
            .text(),
        "transferred"
    );
    let missing = post_with(&mut browser, "/transfer", None, &[SAME_ORIGIN]).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let mut tampered = token.clone().into_bytes();
    tampered[0] = if tampered[0] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(
        post_with(&mut browser, "/transfer", Some(&tampered), &[SAME_ORIGIN])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // A form post checks the field.
    let form = browser
        .send(
            Request::post("/form")
                .header("sec-fetch-site", "same-origin")
                .body(Body::from(format!("csrf={token}")))
                .unwrap(),
        )
        .await;
    assert_eq!(form.text(), "posted");
}

#[tokio::test]
async fn tokens_die_with_their_session_type_session_and_id() {
    let mut browser = TestClient::new(app());
    browser.get("/login/42").await;
    browser.get("/tenant/login").await;
    let admin = browser.get("/token").await.text();
    let tenant = browser.get("/tenant/token").await.text();
    assert_ne!(admin, tenant);
    let refused = post_with(&mut browser, "/transfer", Some(&tenant), &[SAME_ORIGIN]).await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "another type's token"
    );

    // A store-mode renewal moves the session to a new id: the old token dies.
    browser.get("/renew").await;
    let after_renewal = post_with(&mut browser, "/transfer", Some(&admin), &[SAME_ORIGIN]).await;
    assert_eq!(
        after_renewal.status,
        StatusCode::FORBIDDEN,
        "a token from before a renewal"
    );
    let renewed = browser.get("/token").await.text();
    assert_ne!(renewed, admin);
    assert_eq!(
        post_with(&mut browser, "/transfer", Some(&renewed), &[SAME_ORIGIN])
            .await
            .text(),
        "transferred"
    );

    // Logout, then the same user logs in again: a new session, a new token.
    browser.get("/logout").await;
    let logged_out = post_with(&mut browser, "/transfer", Some(&renewed), &[SAME_ORIGIN]).await;
    assert_eq!(
        logged_out.status,
        StatusCode::FORBIDDEN,
        "a token from before the logout"
    );
    browser.get("/login/42").await;
    let again = post_with(&mut browser, "/transfer", Some(&renewed), &[SAME_ORIGIN]).await;
    assert_eq!(
        again.status,
        StatusCode::FORBIDDEN,
        "a token of an earlier login"
    );
}

#[tokio::test]
async fn before_login_a_signed_nonce_cookie_binds_the_token_to_this_browser() {
    let mut browser = TestClient::new(app());
    let response = browser.get("/token").await;
    let token = response.text();
    let nonce = response
        .set_cookie("__Host-seal-csrf")
        .expect("a nonce cookie")
        .to_owned();
    assert!(
        nonce.contains("Secure") && nonce.contains("HttpOnly") && nonce.contains("Path=/"),
        "{nonce}"
    );
    assert_eq!(
        browser.get("/token").await.set_cookie("__Host-seal-csrf"),
        None,
        "set once"
    );
    assert_eq!(browser.get("/token").await.text(), token);
    // The attacker's own token (from their own nonce) is useless here.
    let mut attacker = browser.device();
    let theirs = attacker.get("/token").await.text();
    assert_ne!(theirs, token);
    let form = |token: &str| {
        Request::post("/form")
            .header("sec-fetch-site", "same-origin")
            .body(Body::from(format!("csrf={token}")))
            .unwrap()
    };
    assert_eq!(
        browser.send(form(&theirs)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(browser.send(form(&token)).await.text(), "posted");
    // Without the nonce cookie (another browser entirely) the token fails.
    let mut stranger = browser.device();
    assert_eq!(
        stranger.send(form(&token)).await.status,
        StatusCode::FORBIDDEN
    );
}

/// `POST path` as a browser posts a form: same-origin, urlencoded `body`.
fn form_request(path: &str, body: String) -> Request<Body> {
    Request::post(path)
        .header("sec-fetch-site", "same-origin")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn a_csrf_form_parses_only_forms_that_carry_this_sessions_token() {
    let mut browser = TestClient::new(app());
    browser.get("/login/42").await;
    let page = browser.get("/order").await.text();
    let token = browser.get("/token").await.text();
    assert!(
        page.contains(&format!(
            r#"<input type="hidden" name="csrf" value="{token}">"#
        )),
        "{page}"
    );

    let placed = browser
        .send(form_request(
            "/order",
            format!("item=tea+cups&quantity=3&csrf={token}"),
        ))
        .await;
    assert_eq!(placed.status, StatusCode::OK);
    assert_eq!(placed.text(), "3 x tea cups");

    // A wrong or missing token is refused before the fields are parsed:
    // 403, even when the fields would not parse either.
    for forged in [
        "item=tea&quantity=3&csrf=not-the-token".to_owned(),
        "item=tea&quantity=3".to_owned(),
        "item=tea&quantity=many&csrf=not-the-token".to_owned(),
        format!("item=tea&quantity=3&csrfx={token}"),
    ] {
        let refused = browser.send(form_request("/order", forged.clone())).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{forged}");
    }
    // The admin session's token is no token for the tenant session's form.
    browser.get("/tenant/login").await;
    let cross_type = form_request("/tenant/order", format!("item=tea&quantity=1&csrf={token}"));
    assert_eq!(browser.send(cross_type).await.status, StatusCode::FORBIDDEN);

    // The right token with fields that do not fit the form: 422.
    let unfit = format!("item=tea&quantity=many&csrf={token}");
    let unfit = browser.send(form_request("/order", unfit)).await;
    assert_eq!(unfit.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        unfit.text(),
        "the form's fields do not fit: invalid digit found in string"
    );

    // Not a form at all: 415, without reading the body.
    let json = Request::post("/order")
        .header("sec-fetch-site", "same-origin")
        .header("content-type", "application/json")
        .body(Body::from(format!(r#"{{"csrf":"{token}"}}"#)))
        .unwrap();
    assert_eq!(
        browser.send(json).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    // A body over the route's limit: 413.
    let long = format!("item={}&quantity=1&csrf={token}", "a".repeat(100));
    assert_eq!(
        browser
            .send(form_request("/small/order", long))
            .await
            .status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

#[tokio::test]
async fn a_refused_forms_values_reach_its_sender_but_not_the_log() {
    let mut browser = TestClient::new(app());
    browser.get("/login/42").await;
    let token = browser.get("/token").await.text();
    let wrapped = form_request("/gift", format!("wrap=Paper&csrf={token}"));
    assert_eq!(browser.send(wrapped).await.text(), "Paper");

    let (log, _guard) = capture();
    let unfit = form_request("/gift", format!("wrap=hunter2&csrf={token}"));
    let unfit = browser.send(unfit).await;
    assert_eq!(unfit.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unfit.text().contains("hunter2"), "{}", unfit.text());
    let log = log.text();
    assert!(
        log.contains("form refused") && log.contains("fields do not fit"),
        "{log}"
    );
    assert!(!log.contains("hunter2"), "{log}");
    assert!(!log.contains(&token), "{log}");
}
