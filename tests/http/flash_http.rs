//! Flash messages (`#[session(flash)]`, `Flash<T>`) over HTTP: the
//! `multi_layer` example's rename form (post, redirect, the notice shown
//! once), and a small app of this module's own for the edges: two tabs,
//! a value from another binding, a server error after the read, a read
//! and a new message in one request, enums, expiry, peeking with
//! `TypedSession`, a non-flash type, and `Partitioned` cookies.

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::routing::{get, post};
use http::header::{CONTENT_TYPE, LOCATION};
use http::{Method, Request, StatusCode};
use serde::{Deserialize, Serialize};
use session_seal::revocation::Revocations;
use session_seal::testing::{TestClient, TestClock, TestResponse};
use session_seal::{
    Flash, Keyring, SessionError, SessionLayer, SessionPayload, SessionStatus, TypedSession,
};

use crate::app::{self, AppSessions, Notice};
use crate::common::{dev_keyring, secret};

const T0: u64 = 1_750_000_000;

/// The example behind a layer on `keyring` and `clock`, driven by the test
/// kit's client on the same clock.
fn example(keyring: Keyring, clock: &TestClock) -> TestClient {
    let layer = SessionLayer::<AppSessions>::new(keyring)
        .revocations(Revocations::local_with_clock::<AppSessions>(clock.reader()))
        .clock(clock.reader());
    TestClient::new(app::router(layer)).with_clock(clock.clone())
}

/// `POST path` with a form body, as a browser submits a form.
async fn post_form(browser: &mut TestClient, path: &str, body: &'static str) -> TestResponse {
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("a valid request");
    browser.send(request).await
}

/// Follows a redirect the way a browser does after a form post (303: GET).
async fn follow(browser: &mut TestClient, response: &TestResponse) -> TestResponse {
    assert_eq!(
        response.status,
        StatusCode::SEE_OTHER,
        "{}",
        response.text()
    );
    let location = response
        .headers
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .expect("a Location header")
        .to_owned();
    browser.get(&location).await
}

/// Whether `response` clears cookie `name` (an empty value, `Max-Age=0`).
fn clears(response: &TestResponse, name: &str) -> bool {
    response.set_cookie(name).is_some_and(|line| {
        let cookie = cookie::Cookie::parse(line.to_owned()).expect("a valid Set-Cookie");
        cookie.value().is_empty() && cookie.max_age().map(|age| age.whole_seconds()) == Some(0)
    })
}

#[tokio::test]
async fn a_notice_is_set_redirected_to_read_once_and_then_gone() {
    let clock = TestClock::at(T0);
    let mut browser = example(dev_keyring(), &clock);
    browser.get("/tenant/login/42/acme").await;

    let posted = post_form(&mut browser, "/tenant/rename", "tenant=globex+labs").await;
    let line = posted.set_cookie("notice").expect("the notice is set");
    let cookie = cookie::Cookie::parse(line.to_owned()).expect("a valid Set-Cookie");
    assert_eq!(
        cookie.max_age().map(|age| age.whole_seconds()),
        Some(300),
        "a flash lives five minutes by default"
    );
    assert_eq!(cookie.http_only(), Some(true));
    assert!(browser.cookie("notice").is_some());

    let page = follow(&mut browser, &posted).await;
    assert_eq!(
        page.text(),
        "saved: tenant renamed to globex labs\nuser 42 in tenant globex labs\n"
    );
    assert!(clears(&page, "notice"), "{:?}", page.set_cookies());
    assert_eq!(browser.cookie("notice"), None);

    // A reload: the tenant is still renamed, the notice is gone, and
    // nothing more is written.
    let reload = browser.get("/tenant/whoami").await;
    assert_eq!(reload.text(), "user 42 in tenant globex labs\n");
    assert!(
        reload.set_cookies().is_empty(),
        "{:?}",
        reload.set_cookies()
    );
}

#[tokio::test]
async fn every_variant_of_the_example_notice_round_trips() {
    let clock = TestClock::at(T0);
    let mut browser = example(dev_keyring(), &clock);

    // No tenant session: the notice says so.
    let posted = post_form(&mut browser, "/tenant/rename", "tenant=globex").await;
    assert_eq!(
        follow(&mut browser, &posted).await.text(),
        "not saved: log in to a tenant first\nno tenant session: none\n"
    );

    browser.get("/tenant/login/42/acme").await;
    let posted = post_form(&mut browser, "/tenant/rename", "tenant=+++").await;
    assert_eq!(
        follow(&mut browser, &posted).await.text(),
        "not saved: a tenant name is 1 to 64 characters\nuser 42 in tenant acme\n"
    );
    // The enum seals and opens as itself.
    let keyring = dev_keyring();
    for notice in [
        Notice::Renamed {
            tenant: "globex".into(),
        },
        Notice::InvalidName,
        Notice::NoTenantSession,
    ] {
        let value = keyring.seal(&notice).expect("sealed");
        assert_eq!(
            keyring.open::<Notice>(&value).expect("opened").payload,
            notice
        );
    }
}

#[tokio::test]
async fn two_tabs_with_the_same_notice_both_see_it_and_the_first_answer_clears_it() {
    let clock = TestClock::at(T0);
    let mut tab_one = example(dev_keyring(), &clock);
    tab_one.get("/tenant/login/42/acme").await;
    post_form(&mut tab_one, "/tenant/rename", "tenant=globex").await;
    // Two requests leave the browser carrying the same notice cookie
    // before either answer arrives.
    let mut tab_two = tab_one.clone();

    let first = tab_one.get("/tenant/whoami").await;
    assert!(
        first
            .text()
            .starts_with("saved: tenant renamed to globex\n")
    );
    assert!(clears(&first, "notice"));
    // A flash lives in its cookie, so the server cannot consume it for
    // the other request in flight: the second tab sees it too, and its
    // answer clears it as well. "Read once" is per browser state.
    let second = tab_two.get("/tenant/whoami").await;
    assert!(
        second
            .text()
            .starts_with("saved: tenant renamed to globex\n")
    );
    assert!(clears(&second, "notice"));
    // After both answers the browser holds no notice.
    assert_eq!(tab_one.cookie("notice"), None);
    assert_eq!(tab_two.cookie("notice"), None);
    assert_eq!(
        tab_one.get("/tenant/whoami").await.text(),
        "user 42 in tenant globex\n"
    );
}

#[tokio::test]
async fn another_types_cookie_under_the_notice_name_is_rejected_and_cleared() {
    let clock = TestClock::at(T0);
    let mut browser = example(dev_keyring(), &clock);
    browser.get("/tenant/login/42/acme").await;
    let tenant = browser.cookie("tenant_sid").expect("logged in").to_owned();
    browser.jar_mut().insert("notice", &tenant, "/");

    let page = browser.get("/tenant/whoami").await;
    assert_eq!(page.text(), "user 42 in tenant acme\n", "no notice shown");
    assert!(clears(&page, "notice"), "{:?}", page.set_cookies());
    assert_eq!(browser.cookie("notice"), None);
}

// ---------------------------------------------------------------------------
// An app of this module's own, for the edges.

/// A flash with several shapes of variant.
#[derive(Serialize, Deserialize, SessionPayload, Debug, PartialEq)]
#[session(cookie = "msg", namespace = "msg", flash)]
enum Msg {
    Saved,
    Deleted { count: u32 },
    Text(String),
}

/// A partitioned flash, for an app embedded in other sites' pages.
#[derive(Serialize, Deserialize, SessionPayload, Debug, PartialEq)]
#[session(cookie = "__Host-embed-msg", namespace = "embed.msg", flash)]
#[session(same_site = "none", partitioned)]
struct EmbedMsg {
    text: String,
}

/// An ordinary session, to extract as a flash by mistake.
#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sid", namespace = "app")]
struct Login {
    user: u64,
}

session_seal::registry! {
    struct Sessions { Msg, EmbedMsg, Login }
}

fn describe(msg: Option<&Msg>) -> String {
    match msg {
        None => "none".into(),
        Some(Msg::Saved) => "saved".into(),
        Some(Msg::Deleted { count }) => format!("deleted {count}"),
        Some(Msg::Text(text)) => format!("text {text}"),
    }
}

async fn set_saved(mut flash: Flash<Msg>) -> Result<&'static str, SessionError> {
    flash.set(Msg::Saved)?;
    Ok("set")
}

async fn set_deleted(
    Path(count): Path<u32>,
    mut flash: Flash<Msg>,
) -> Result<&'static str, SessionError> {
    flash.set(Msg::Deleted { count })?;
    Ok("set")
}

async fn set_text(
    Path(text): Path<String>,
    mut session: TypedSession<Msg>,
) -> Result<&'static str, SessionError> {
    session.insert(Msg::Text(text))?; // TypedSession::insert sets a flash too
    Ok("set")
}

async fn read(flash: Flash<Msg>) -> String {
    match flash.status() {
        status @ SessionStatus::Invalid(_) => format!("none ({})", status.label()),
        _ => describe(flash.get()),
    }
}

/// Reads the message, then fails.
async fn read_then_fail(mut flash: Flash<Msg>) -> (StatusCode, String) {
    let msg = flash.take();
    (StatusCode::INTERNAL_SERVER_ERROR, describe(msg.as_ref()))
}

/// Reads the message, sets another, then fails.
async fn replace_then_fail(mut flash: Flash<Msg>) -> Result<(StatusCode, String), SessionError> {
    let msg = flash.take();
    flash.set(Msg::Text("from a failed request".into()))?;
    Ok((StatusCode::SERVICE_UNAVAILABLE, describe(msg.as_ref())))
}

/// Reads the message and leaves the next one.
async fn read_and_set(
    Path(text): Path<String>,
    mut flash: Flash<Msg>,
) -> Result<String, SessionError> {
    let old = describe(flash.get());
    flash.set(Msg::Text(text))?;
    // `get` is still what this request carried.
    assert_eq!(describe(flash.get()), old);
    Ok(old)
}

async fn peek(session: TypedSession<Msg>) -> String {
    describe(session.get())
}

async fn twice(first: Flash<Msg>, second: Flash<Msg>) -> String {
    format!(
        "{} then {}",
        describe(first.get()),
        describe(second.into_inner().as_ref())
    )
}

async fn wrong_type(flash: Flash<Login>) -> String {
    format!("{}", flash.get().map_or(0, |login| login.user))
}

async fn embed_set(mut flash: Flash<EmbedMsg>) -> Result<&'static str, SessionError> {
    flash.set(EmbedMsg {
        text: "hello".into(),
    })?;
    Ok("set")
}

async fn embed_read(flash: Flash<EmbedMsg>) -> String {
    flash.into_inner().map_or("none".into(), |msg| msg.text)
}

fn keyring() -> Keyring {
    Keyring::new(secret(9))
}

fn edges(clock: &TestClock) -> TestClient {
    let router = Router::new()
        .route("/set/saved", get(set_saved))
        .route("/set/deleted/{count}", get(set_deleted))
        .route("/set/text/{text}", get(set_text))
        .route("/read", get(read))
        .route("/read-then-fail", get(read_then_fail))
        .route("/replace-then-fail", get(replace_then_fail))
        .route("/read-and-set/{text}", post(read_and_set))
        .route("/peek", get(peek))
        .route("/twice", get(twice))
        .route("/wrong-type", get(wrong_type))
        .route("/embed/set", get(embed_set))
        .route("/embed/read", get(embed_read))
        .layer(SessionLayer::<Sessions>::new(keyring()).clock(clock.reader()));
    TestClient::new(router).with_clock(clock.clone())
}

#[tokio::test]
async fn an_enum_flash_round_trips_every_variant() {
    let clock = TestClock::at(T0);
    let mut browser = edges(&clock);
    assert_eq!(browser.get("/read").await.text(), "none");
    for (set, shown) in [
        ("/set/saved", "saved"),
        ("/set/deleted/3", "deleted 3"),
        ("/set/text/hi", "text hi"),
    ] {
        browser.get(set).await;
        assert_eq!(browser.get("/read").await.text(), shown, "{set}");
        assert_eq!(
            browser.get("/read").await.text(),
            "none",
            "{set}: read once"
        );
    }
}

#[tokio::test]
async fn a_server_error_after_the_read_leaves_the_flash_for_the_retry() {
    let clock = TestClock::at(T0);
    let mut browser = edges(&clock);
    browser.get("/set/deleted/2").await;
    let sealed = browser.cookie("msg").expect("set").to_owned();

    let failed = browser.get("/read-then-fail").await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(failed.text(), "deleted 2", "the failed page did read it");
    assert!(
        failed.set_cookies().is_empty(),
        "{:?}",
        failed.set_cookies()
    );
    assert_eq!(browser.cookie("msg"), Some(sealed.as_str()));

    // A failed request that also set a new message writes neither change.
    let failed = browser.get("/replace-then-fail").await;
    assert_eq!(failed.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        failed.set_cookies().is_empty(),
        "{:?}",
        failed.set_cookies()
    );

    // The retry succeeds and consumes it.
    let retry = browser.get("/read").await;
    assert_eq!(retry.text(), "deleted 2");
    assert!(clears(&retry, "msg"));
    assert_eq!(browser.get("/read").await.text(), "none");
}

#[tokio::test]
async fn with_save_on_server_error_a_failed_read_consumes_the_flash() {
    let clock = TestClock::at(T0);
    let router = Router::new()
        .route("/set/saved", get(set_saved))
        .route("/read-then-fail", get(read_then_fail))
        .route("/read", get(read))
        .layer(
            SessionLayer::<Sessions>::new(keyring())
                .clock(clock.reader())
                .save_on_server_error(true),
        );
    let mut browser = TestClient::new(router).with_clock(clock.clone());
    browser.get("/set/saved").await;
    let failed = browser.get("/read-then-fail").await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(clears(&failed, "msg"), "{:?}", failed.set_cookies());
    assert_eq!(browser.get("/read").await.text(), "none");
}

#[tokio::test]
async fn a_handler_that_reads_and_sets_leaves_the_new_message() {
    let clock = TestClock::at(T0);
    let mut browser = edges(&clock);
    browser.get("/set/saved").await;
    let reply = browser.post("/read-and-set/next", Body::empty()).await;
    assert_eq!(reply.text(), "saved");
    assert_eq!(reply.set_cookies().len(), 1, "{:?}", reply.set_cookies());
    assert!(!clears(&reply, "msg"), "a new value, not a removal");
    assert_eq!(browser.get("/read").await.text(), "text next");
    assert_eq!(browser.get("/read").await.text(), "none");

    // With nothing to read, it only sets.
    let reply = browser.post("/read-and-set/again", Body::empty()).await;
    assert_eq!(reply.text(), "none");
    assert_eq!(browser.get("/read").await.text(), "text again");
}

#[tokio::test]
async fn an_expired_flash_reads_as_none_and_is_cleared() {
    let clock = TestClock::at(T0);
    let mut browser = edges(&clock);
    // A stale cookie the browser kept past its Max-Age, sealed six minutes ago.
    browser
        .with_session_sealed_at(&keyring(), &Msg::Saved, T0 - 360)
        .expect("sealed");
    let reply = browser.get("/read").await;
    assert_eq!(reply.text(), "none (expired)");
    assert!(clears(&reply, "msg"));

    // A fresh one expires in the jar and in the layer after five minutes.
    browser.get("/set/saved").await;
    clock.advance(300);
    assert_eq!(browser.get("/read").await.text(), "none");
}

#[tokio::test]
async fn a_message_from_another_binding_is_refused() {
    let clock = TestClock::at(T0);
    let mut browser = edges(&clock);
    // A genuine value of another flash type, and of a login, under `msg`.
    browser.get("/embed/set").await;
    let embed = browser.cookie("__Host-embed-msg").expect("set").to_owned();
    let mut login = browser.device();
    login
        .with_session(&keyring(), &Login { user: 7 })
        .expect("sealed");
    let sid = login.cookie("sid").expect("minted").to_owned();
    for value in [embed, sid] {
        browser.jar_mut().insert("msg", &value, "/");
        let reply = browser.get("/read").await;
        assert_eq!(reply.text(), "none (bad_signature)");
        assert!(clears(&reply, "msg"));
    }
}

#[tokio::test]
async fn typed_session_peeks_without_consuming_and_a_second_flash_sees_it_consumed() {
    let clock = TestClock::at(T0);
    let mut browser = edges(&clock);
    browser.get("/set/saved").await;
    let peeked = browser.get("/peek").await;
    assert_eq!(peeked.text(), "saved");
    assert!(
        peeked.set_cookies().is_empty(),
        "{:?}",
        peeked.set_cookies()
    );
    assert_eq!(browser.get("/twice").await.text(), "saved then none");
    assert_eq!(browser.get("/read").await.text(), "none");
}

#[tokio::test]
async fn a_flash_extractor_for_a_type_that_is_not_a_flash_is_a_500_naming_the_fix() {
    let clock = TestClock::at(T0);
    let mut browser = edges(&clock);
    let reply = browser.get("/wrong-type").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    let text = reply.text();
    assert!(text.contains("`Login` is not a flash message"), "{text}");
    assert!(text.contains("#[session(...)]"), "{text}");
    assert!(text.contains("TypedSession<Login>"), "{text}");
}

#[tokio::test]
async fn a_partitioned_type_says_so_when_set_and_when_removed() {
    let clock = TestClock::at(T0);
    let mut browser = edges(&clock);
    let set = browser.get("/embed/set").await;
    let line = set.set_cookie("__Host-embed-msg").expect("set");
    for part in ["; Partitioned", "; Secure", "; SameSite=None", "; Path=/"] {
        assert!(line.contains(part), "{line} lacks {part}");
    }
    let read = browser.get("/embed/read").await;
    assert_eq!(read.text(), "hello");
    let removal = read.set_cookie("__Host-embed-msg").expect("removed");
    for part in ["; Partitioned", "; Secure", "; SameSite=None", "Max-Age=0"] {
        assert!(removal.contains(part), "{removal} lacks {part}");
    }
    assert_eq!(browser.cookie("__Host-embed-msg"), None);
    // Types without `partitioned` never carry it.
    let plain = browser.get("/set/saved").await;
    let line = plain.set_cookie("msg").expect("set");
    assert!(!line.contains("Partitioned"), "{line}");
}
