//! axum integration of session-seal: [`SessionLayer`], the extractors
//! [`TypedSession<T>`] and [`RequireSession<T>`], rejections and cookie policy.
//!
//! Most users depend on the `session-seal` facade, which re-exports this crate.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod cookie;
mod extract;
mod layer;
mod policy;
mod rejection;
mod state;
mod status;
mod stored;

pub use extract::{RequireSession, TypedSession};
pub use layer::{ResponseFuture, SessionLayer, SessionService};
pub use policy::SecurePolicy;
pub use rejection::{SessionError, SessionRejection};
pub use status::SessionStatus;
