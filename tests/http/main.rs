//! Cookie-mode sessions through axum, driven like a browser by the shipped
//! test kit (`session_seal::testing::TestClient`, in memory: nothing here
//! depends on a socket, so none is opened). One test binary for the HTTP
//! side, so the examples and the kit are compiled and linked once.
//!
//! - `http_sessions`: the `multi_layer` example's cookies, attributes and
//!   lifecycle;
//! - `http_lifetime`: the idle and absolute clocks, cookie and store mode;
//! - `adversarial_http`: hostile `Cookie` headers and what reaches the logs;
//! - `csrf_http`: the cross-origin layer and CSRF tokens bound to a
//!   session type;
//! - `fingerprint_http`: sessions bound to the browser that logged in:
//!   copied cookies in every mode, the report policy, rotation;
//! - `flash_http`: flash messages (`Flash<T>`): read once after a
//!   redirect, two tabs, a server error leaves them, `Partitioned`;
//! - `hybrid_example`: the `hybrid` example's authority and resource
//!   service;
//! - `hybrid_http`: hybrid sessions: transparent refresh, two tabs at
//!   once, a stolen refresh cookie, logouts, the refresh endpoint;
//! - `observability`: the events and metrics the layer reports, and that
//!   no secret, id or payload reaches them;
//! - `quickstart`: the quickstart example, as a user walks through it;
//! - `layer_scope`: how extractors find their layer (nesting, panics,
//!   spawned tasks, `Buffer`);
//! - `revocation_http`: revocable cookie-mode sessions across two
//!   processes, keep-this-device, a silent feed;
//! - `verify_only`: format 3 (`asymmetric`): a resource service with
//!   public keys only serves the authority's cookies and mints none;
//! - `testing_kit`: the kit itself (jar rules, devices, minted sessions).
//!
//! Store mode on real backends is in the `store` test binary. Run one module
//! with `cargo test --test http <module>::`.

// The examples' apps, as their `main`s use them; whatever part a test does
// not use must not warn.
#[allow(dead_code)]
#[path = "../../examples/multi_layer/app.rs"]
mod app;
#[allow(dead_code)]
#[path = "../../examples/hybrid/app.rs"]
mod hybrid_app;
#[allow(dead_code)]
#[path = "../../examples/quickstart/app.rs"]
mod quickstart_app;
#[allow(dead_code)]
#[path = "../../examples/store_mode/app.rs"]
mod store_app;

#[path = "../common/mod.rs"]
mod common;

mod adversarial_http;
mod csrf_http;
mod fingerprint_http;
mod flash_http;
mod http_lifetime;
mod http_sessions;
mod hybrid_example;
mod hybrid_http;
mod layer_scope;
mod observability;
mod quickstart;
mod revocation_http;
mod testing_kit;
mod verify_only;
