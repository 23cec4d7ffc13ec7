//! How extractors find their layer: the layer puts the request's session
//! state in the request's extensions. These tests pin down what that must
//! guarantee: the innermost layer serves its routes, a layer never leaks
//! into a request it does not wrap (not even after a handler panicked on the
//! same thread), nested requests see their own layer, and middleware that
//! moves the request to another task (a spawn, tower's `Buffer`) between
//! the layer and the handler changes nothing.

use std::panic::{AssertUnwindSafe, catch_unwind};

use axum::Router;
use axum::extract::Request;
use axum::middleware::{Next, from_fn};
use axum::routing::get;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use session_seal::testing::{TestClient, TestResponse};
use session_seal::{Keyring, SessionLayer, SessionSecret, TypedSession};

#[derive(Serialize, Deserialize, session_seal::SessionPayload)]
#[session(cookie = "visits", namespace = "visits")]
struct Visits {
    count: u32,
}

#[derive(Serialize, Deserialize, session_seal::SessionPayload)]
#[session(cookie = "outer", namespace = "outer")]
struct Outer {
    seen: bool,
}

session_seal::registry! {
    /// The inner router's sessions.
    struct InnerSessions { Visits }
}

session_seal::registry! {
    /// The outer router's sessions.
    struct OuterSessions { Outer }
}

fn keyring() -> Keyring {
    Keyring::new(SessionSecret::from_bytes(&[7; 32]).expect("32 bytes"))
}

async fn count(mut visits: TypedSession<Visits>) -> Result<String, session_seal::SessionError> {
    let count = visits.get().map_or(1, |v| v.count + 1);
    visits.insert(Visits { count })?;
    Ok(count.to_string())
}

async fn panics(_visits: TypedSession<Visits>) -> &'static str {
    panic!("handler failed after extracting its session")
}

fn counting_app() -> Router {
    Router::new()
        .route("/count", get(count))
        .route("/panic", get(panics))
        .layer(SessionLayer::<InnerSessions>::new(keyring()))
}

/// `Visits` extracted with no layer at all around the route.
fn unlayered_app() -> Router {
    Router::new().route("/count", get(count))
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

fn assert_missing_layer(reply: &TestResponse) {
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    let body = reply.text();
    assert!(body.contains("needs session_seal's SessionLayer"), "{body}");
    assert!(body.contains("Visits"), "{body}");
}

#[test]
fn a_panicking_handler_leaves_no_layer_behind_on_its_thread() {
    // One thread serves everything, as a current-thread runtime does.
    let rt = current_thread();
    let mut layered = TestClient::new(counting_app());
    let unwound = catch_unwind(AssertUnwindSafe(|| rt.block_on(layered.get("/panic"))));
    assert!(unwound.is_err(), "the handler panics");

    // The next request on this thread is not wrapped by any layer: its
    // extractor must not find the one the panic unwound through.
    let mut bare = TestClient::new(unlayered_app());
    assert_missing_layer(&rt.block_on(bare.get("/count")));

    // And the layered app still works on the same thread.
    let reply = rt.block_on(layered.get("/count"));
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text(), "1");
    assert_eq!(rt.block_on(layered.get("/count")).text(), "2");
}

/// A payload whose decoding panics when `explode` is set: the panic then
/// happens inside the first extractor, while it builds the request state.
#[derive(Serialize, Deserialize, session_seal::SessionPayload)]
#[session(cookie = "fragile", namespace = "fragile")]
struct Fragile {
    #[serde(deserialize_with = "panic_if_set")]
    explode: bool,
}

fn panic_if_set<'de, D: serde::Deserializer<'de>>(decoder: D) -> Result<bool, D::Error> {
    let explode = bool::deserialize(decoder)?;
    assert!(!explode, "decoding the session panicked");
    Ok(explode)
}

session_seal::registry! {
    /// A registry whose only type can panic while it is opened.
    struct FragileSessions { Fragile }
}

#[test]
fn a_panic_while_the_first_session_opens_leaves_no_layer_behind() {
    async fn plant(mut fragile: TypedSession<Fragile>) -> Result<(), session_seal::SessionError> {
        fragile.insert(Fragile { explode: true })
    }
    async fn open(fragile: TypedSession<Fragile>) -> String {
        format!("{:?}", fragile.status())
    }
    let rt = current_thread();
    let mut fragile = TestClient::new(
        Router::new()
            .route("/plant", get(plant))
            .route("/open", get(open))
            .layer(SessionLayer::<FragileSessions>::new(keyring())),
    );
    assert_eq!(rt.block_on(fragile.get("/plant")).status, StatusCode::OK);
    let unwound = catch_unwind(AssertUnwindSafe(|| rt.block_on(fragile.get("/open"))));
    assert!(unwound.is_err(), "opening the planted session panics");

    let mut bare = TestClient::new(unlayered_app());
    assert_missing_layer(&rt.block_on(bare.get("/count")));
    let mut layered = TestClient::new(counting_app());
    assert_eq!(rt.block_on(layered.get("/count")).text(), "1");
}

#[tokio::test]
async fn a_layer_around_the_whole_router_serves_its_routes() {
    use tower_layer::Layer as _;

    // The deployment that skips axum's per-route layering: the finished
    // router wrapped once (served here through a fallback, as `TestClient`
    // takes a router).
    let router = Router::new().route("/count", get(count));
    let wrapped = SessionLayer::<InnerSessions>::new(keyring()).layer(router);
    let mut client = TestClient::new(Router::new().fallback_service(wrapped));
    let first = client.get("/count").await;
    assert_eq!(first.text(), "1");
    assert!(
        first.set_cookie("visits").is_some(),
        "the layer writes the cookie"
    );
    assert_eq!(client.get("/count").await.text(), "2");
    // A path no route matches passes through without a session.
    assert_eq!(client.get("/nowhere").await.status, StatusCode::NOT_FOUND);
}

#[test]
fn a_finished_request_leaves_no_layer_behind_on_its_thread() {
    let rt = current_thread();
    let mut layered = TestClient::new(counting_app());
    assert_eq!(rt.block_on(layered.get("/count")).text(), "1");
    let mut bare = TestClient::new(unlayered_app());
    assert_missing_layer(&rt.block_on(bare.get("/count")));
}

#[tokio::test]
async fn the_innermost_layer_serves_its_routes_and_the_outer_one_the_rest() {
    async fn outer_page(
        mut outer: TypedSession<Outer>,
    ) -> Result<String, session_seal::SessionError> {
        let before = outer.get().is_some();
        outer.insert(Outer { seen: true })?;
        Ok(format!("seen before: {before}"))
    }
    let app = Router::new()
        .nest("/inner", counting_app())
        .route("/outer", get(outer_page))
        .layer(SessionLayer::<OuterSessions>::new(keyring()));
    let mut browser = TestClient::new(app);

    assert_eq!(browser.get("/inner/count").await.text(), "1");
    assert_eq!(browser.get("/inner/count").await.text(), "2");
    assert_eq!(browser.get("/outer").await.text(), "seen before: false");
    assert_eq!(browser.get("/outer").await.text(), "seen before: true");
    assert!(browser.cookie("visits").is_some());
    assert!(browser.cookie("outer").is_some());
}

#[tokio::test]
async fn a_type_of_the_outer_registry_is_not_served_by_an_inner_layer() {
    // The innermost layer around a route is the one its extractors use,
    // as with any axum state: `Outer` under the inner layer is a wiring
    // mistake, reported as such rather than served by the outer layer.
    async fn misplaced(_outer: TypedSession<Outer>) -> &'static str {
        "unreachable"
    }
    let inner = Router::new()
        .route("/misplaced", get(misplaced))
        .layer(SessionLayer::<InnerSessions>::new(keyring()));
    let app = Router::new()
        .nest("/inner", inner)
        .layer(SessionLayer::<OuterSessions>::new(keyring()));
    let reply = TestClient::new(app).get("/inner/misplaced").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        reply.text().contains("`Outer` is not registered"),
        "{}",
        reply.text()
    );
    // It names the registry of the layer that served it: the innermost one.
    assert!(reply.text().contains("InnerSessions"), "{}", reply.text());
}

#[tokio::test]
async fn a_request_made_inside_a_handler_sees_its_own_layer() {
    // A handler of one layered app serves a sub-request through another
    // layered app, then uses its own session: each sees its own layer.
    async fn with_subrequest(
        mut outer: TypedSession<Outer>,
    ) -> Result<String, session_seal::SessionError> {
        let inner = TestClient::new(counting_app()).get("/count").await;
        outer.insert(Outer { seen: true })?;
        Ok(format!("inner said {}", inner.text()))
    }
    let app = Router::new()
        .route("/", get(with_subrequest))
        .layer(SessionLayer::<OuterSessions>::new(keyring()));
    let mut browser = TestClient::new(app);
    let reply = browser.get("/").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text(), "inner said 1");
    assert!(
        reply.set_cookie("outer").is_some(),
        "{:?}",
        reply.set_cookies()
    );
    assert!(
        reply.set_cookie("visits").is_none(),
        "{:?}",
        reply.set_cookies()
    );
}

/// Runs the rest of the request on a spawned task, as a user's middleware
/// might (to isolate a panic, or to move work off the accepting task).
async fn on_another_task(request: Request, next: Next) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    tokio::spawn(next.run(request))
        .await
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

#[tokio::test]
async fn a_middleware_that_spawns_the_request_keeps_its_session() {
    // Between the layer and the handler, and outside the layer: the same.
    let inside = Router::new()
        .route("/count", get(count))
        .layer(from_fn(on_another_task))
        .layer(SessionLayer::<InnerSessions>::new(keyring()));
    let outside = Router::new()
        .route("/count", get(count))
        .layer(SessionLayer::<InnerSessions>::new(keyring()))
        .layer(from_fn(on_another_task));
    for app in [inside, outside] {
        let mut browser = TestClient::new(app);
        let first = browser.get("/count").await;
        assert_eq!(first.text(), "1");
        assert!(first.set_cookie("visits").is_some(), "the layer wrote it");
        assert_eq!(browser.get("/count").await.text(), "2");
    }
}

#[tokio::test]
async fn tower_buffer_between_the_layer_and_the_handler_keeps_the_session() {
    use axum::routing::get_service;
    use tower::buffer::Buffer;

    // `Buffer` runs the inner service on a worker task of its own.
    let counter = Router::new().route("/count", get(count));
    let buffered = Buffer::new(counter, 16);
    let app = Router::new()
        .route_service(
            "/count",
            get_service(buffered).handle_error(|_| async { StatusCode::SERVICE_UNAVAILABLE }),
        )
        .layer(SessionLayer::<InnerSessions>::new(keyring()));
    let mut browser = TestClient::new(app);
    assert_eq!(browser.get("/count").await.text(), "1");
    assert_eq!(browser.get("/count").await.text(), "2");
}

#[tokio::test]
async fn an_internal_forward_carries_the_session_only_with_the_extensions() {
    use axum::body::Body;
    use tower::ServiceExt as _;

    // A handler serving a request itself through a router with no layer:
    // the new request has a session only if it carries the original's
    // extensions, and then its changes are the original request's.
    async fn forward(original: Request) -> String {
        let mut said = Vec::new();
        for keep_extensions in [false, true] {
            let mut inner = Request::get("/count").body(Body::empty()).expect("request");
            if keep_extensions {
                *inner.extensions_mut() = original.extensions().clone();
            }
            let reply = unlayered_app().oneshot(inner).await.expect("infallible");
            let status = reply.status().as_u16();
            assert!(reply.headers().get("set-cookie").is_none());
            said.push(status.to_string());
        }
        said.join(" ")
    }
    let app = Router::new()
        .route("/forward", get(forward))
        .layer(SessionLayer::<InnerSessions>::new(keyring()));
    let mut browser = TestClient::new(app);
    let reply = browser.get("/forward").await;
    assert_eq!(reply.text(), "500 200", "no layer without the extensions");
    assert!(
        reply.set_cookie("visits").is_some(),
        "{:?}",
        reply.set_cookies()
    );
}

/// A store-mode type, only to compare its extractor's future with a
/// cookie-mode one.
#[derive(Serialize, Deserialize, session_seal::SessionPayload)]
#[session(cookie = "stored", namespace = "stored", store)]
struct Stored {
    id: u64,
}

session_seal::registry! {
    /// Only for `Stored`'s extractor to name.
    struct StoredSessions { Stored }
}

#[test]
fn a_cookie_mode_extractor_future_does_not_carry_the_store_loading_state() {
    use axum::extract::FromRequestParts as _;

    // Axum moves each handler's future (extractors included) into a box on
    // every request, so its size is paid per request. Store-mode loading
    // is boxed on its own path and must not inflate cookie-mode extractors.
    let (mut parts, ()) = http::Request::new(()).into_parts();
    let cookie_mode = TypedSession::<Visits>::from_request_parts(&mut parts, &());
    let cookie_mode_size = std::mem::size_of_val(&cookie_mode);
    drop(cookie_mode);
    let store_mode = TypedSession::<Stored>::from_request_parts(&mut parts, &());
    let store_mode_size = std::mem::size_of_val(&store_mode);
    drop(store_mode);
    assert!(cookie_mode_size <= 256, "{cookie_mode_size} bytes");
    assert!(store_mode_size <= 256, "{store_mode_size} bytes");
}
