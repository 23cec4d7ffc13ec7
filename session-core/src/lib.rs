//! The key primitive of session-seal: secrets, the keyring with a key per
//! (namespace, cookie name), and the signed envelope. No web framework here; see `session-axum`.
//!
//! Most users depend on the `session-seal` facade instead, which re-exports
//! this crate.
//!
//! # Format 3
//!
//! Types declared `asymmetric` are signed with Ed25519 rather than HMAC, so
//! that services holding only public keys can check them (see
//! [`VerifyingKeyring`] and [`Keyring::verify_only`]; the bytes are in
//! [`wire`]). Each secret yields one signing key: its 32-byte seed is
//! HKDF-SHA256 of the secret with salt `"session-seal/v1"` and info
//! `"session-seal/v1 ed25519"`, derived on first use and wiped when the
//! keyring drops it. Since that key serves every session type, the type's
//! binding goes into what is signed instead: the
//! signature covers `"session-seal/v1 sig"`, a zero byte, the binding
//! (`len8(namespace) ‖ namespace ‖ len8(cookie name) ‖ cookie name`) and
//! then the header and payload text `H "." P` exactly as sent; the value is
//! `H "." P "." S` with `S` the 64-byte signature. Its header's key id is
//! the first 4 bytes of SHA-256 of `"session-seal/v1 pk"` followed by the
//! public key, which a verifier computes from the public key alone.
//! Opening checks size and shape, finds the public key by that id, runs
//! `verify_strict` (no non-canonical signatures, no small-order keys), and
//! only then reads expiry, version and JSON, as for the other formats.
#![forbid(unsafe_code)]
// On docs.rs (nightly, `--cfg docsrs`): a badge on each item a feature gates.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod csrf;
mod error;
pub mod fingerprint;
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
mod verifying;
pub mod wire;

/// The `tracing` target of every event this crate emits: the same
/// `session_seal` as the rest of session-seal, so one filter directive
/// covers them all.
pub(crate) const TRACING_TARGET: &str = "session_seal";

pub use error::{KeyringError, OpenError, RegistryError, SealError, SecretError, StoreError};
pub use error::{PublicKeyError, VerifyingKeyringError};
pub use keyring::{Keyring, PREVIOUS_SECRETS_VAR};
pub use namespace::Namespace;
pub use opened::Opened;
pub use payload::{HybridAccess, RefreshPairing, SessionPayload, UserKey, decode_migrated};
pub use registry::{Registered, Registry};
pub use secret::{SECRET_VAR, SessionSecret};
pub use session_rules::is_namespace;
pub use spec::{SameSite, SessionSpec, SessionSpecBuilder, SpecError, Storage};
pub use tier::Tier;
pub use time::unix_now;
pub use verifying::{PUBLIC_KEYS_VAR, PublicKey, VerifyingKeyring};
pub use wire::{Inspection, KeyId, WireFormat, inspect, peek_key_id};

/// What the code `#[derive(SessionPayload)]` generates refers to; not part
/// of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::payload::{decode_json, unknown_version};
    pub use session_rules::str_eq;
}
