//! The key primitive of session-seal: secrets, the keyring with a key per
//! (namespace, cookie name), and the signed envelope. No web framework here; see `session-axum`.
//!
//! Most users depend on the `session-seal` facade instead, which re-exports
//! this crate.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod csrf;
mod error;
mod keyring;
mod namespace;
mod opened;
mod payload;
mod registry;
pub mod revocation;
mod secret;
mod spec;
pub mod store;
mod tier;
mod time;
pub mod wire;

/// The `tracing` target of every event this crate emits: the same
/// `session_seal` as the rest of session-seal, so one filter directive
/// covers them all.
pub(crate) const TRACING_TARGET: &str = "session_seal";

pub use error::{KeyringError, OpenError, RegistryError, SealError, SecretError, StoreError};
pub use keyring::{Keyring, PREVIOUS_SECRETS_VAR};
pub use namespace::Namespace;
pub use opened::Opened;
pub use payload::{SessionPayload, UserKey, decode_migrated};
pub use registry::Registry;
pub use secret::{SECRET_VAR, SessionSecret};
pub use session_rules::is_namespace;
pub use spec::{SameSite, SessionSpec, SessionSpecBuilder, SpecError, Storage};
pub use tier::Tier;
pub use time::unix_now;
pub use wire::{Inspection, KeyId, WireFormat, inspect, peek_key_id};

/// What the code `#[derive(SessionPayload)]` generates refers to; not part
/// of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::payload::{decode_json, unknown_version};
    pub use session_rules::str_eq;
}
