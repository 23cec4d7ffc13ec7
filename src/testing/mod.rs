//! A test kit for apps (feature `testing`; use it as a dev-dependency):
//! drive a router like a browser, start tests already logged in, and control
//! time.
//!
//! - [`TestClient`]: sends requests to a [`Router`](axum::Router) in memory
//!   and keeps a cookie jar that follows `Set-Cookie` as a browser does
//!   (path scoping, `Max-Age=0` removal, expiry on the test clock, `Secure`).
//!   Several clients are several devices.
//! - [`TestClient::with_session`] / [`TestClient::with_stored_session`] /
//!   [`cookie_pair`]: a session minted directly, including expired ones and
//!   ones under a previous key, to test "your session expired" paths.
//! - [`TestClock`]: one clock for the layer and the client.
//! - [`conformance`](crate::store::conformance): the `SessionStore` contract
//!   as checks, for authors of store backends.

mod client;
mod clock;
mod jar;
mod mint;

pub use client::{TestClient, TestResponse};
pub use clock::TestClock;
pub use jar::{CookieJar, JarCookie};
pub use mint::{MintError, cookie_pair};
