//! axum integration of session-seal: [`SessionLayer`], the extractors
//! [`TypedSession<T>`] and [`RequireSession<T>`], rejections and cookie policy.
//!
//! Most users depend on the `session-seal` facade, which re-exports this crate.
//!
//! How the code is laid out (imports run one way, down this list):
//!
//! - [`TypedSession`] (`session.rs`) and [`RequireSession`] (`require.rs`):
//!   the extractors; each method works in either mode and hands the work to
//! - `cookie_mode.rs` (the session is its sealed cookie) or `store_mode.rs`
//!   (a row in the layer's store; the cookie carries a sealed id), which
//!   adapts session-core's framework-neutral store-mode state machine
//!   (`session_core::store::{load, flush, StoreState}`), or `hybrid.rs`
//!   (an access type refreshed from its stored login, adapting
//!   `session_core::store::refresh`); all record what to write in
//! - `request.rs`: the per-request state every extractor of a request and
//!   the layer share (one slot per session type), with `current.rs` (what
//!   one extractor holds);
//! - [`SessionLayer`] (`layer.rs`): its `config.rs`, the request state put
//!   in the request's extensions before the handler, and after it the
//!   store writes and the cookies.
#![forbid(unsafe_code)]
// On docs.rs (nightly, `--cfg docsrs`): a badge on each item a feature gates.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod client;
mod config;
mod cookie;
mod cookie_mode;
mod cross_origin;
mod csrf;
mod csrf_form;
mod current;
mod error;
mod fingerprint;
mod flash;
mod hybrid;
mod layer;
pub mod observability;
mod policy;
mod rejection;
mod request;
mod require;
mod session;
mod status;
mod store_mode;

pub use client::ProxyHeader;
pub use cross_origin::{
    CrossOriginFuture, CrossOriginLayer, CrossOriginRejection, CrossOriginService,
};
pub use csrf::{CSRF_HEADER, CsrfRejection, CsrfToken, VerifiedCsrf};
pub use csrf_form::{CSRF_FIELD, CsrfForm, CsrfFormRejection};
pub use error::SessionError;
pub use fingerprint::{FingerprintMismatch, FingerprintPolicy};
pub use flash::Flash;
pub use hybrid::RefreshReuse;
pub use layer::{SessionLayer, SessionService};

/// The future types of the layer's service, as tower's middleware crates
/// export theirs.
pub mod future {
    pub use crate::layer::ResponseFuture;
}
pub use policy::SecurePolicy;
pub use rejection::SessionRejection;
pub use require::RequireSession;
pub use session::{SessionUser, TypedSession};
pub use status::SessionStatus;

/// The `tracing` target of every event the layer emits.
pub(crate) const TRACING_TARGET: &str = "session_seal";
