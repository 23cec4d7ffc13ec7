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

pub mod envelope;
pub mod error;
pub mod inspect;
pub mod keyring;
pub mod opened;
pub mod payload;
pub mod secret;
pub mod spec;
pub mod store;
pub mod tier;
pub mod time;

/// The `tracing` target of every event this crate emits: the same
/// `session_seal` as the rest of session-seal, so one filter directive
/// covers them all.
pub(crate) const TRACING_TARGET: &str = "session_seal";

pub use envelope::peek_key_id;
pub use error::{KeyringError, OpenError, RegistryError, SealError, SecretError, StoreError};
pub use keyring::{KeyId, Keyring, PREVIOUS_SECRETS_VAR};
pub use opened::Opened;
pub use payload::{
    Registry, SessionPayload, UserKey, check_specs, decode_json, decode_migrated, encode_json,
    unknown_version,
};
pub use secret::{SECRET_VAR, SessionSecret};
pub use spec::{SameSite, SessionSpec, SessionSpecBuilder, SpecError, Storage, str_eq};
pub use tier::Tier;
pub use time::unix_now;
