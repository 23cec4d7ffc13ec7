//! # session-seal
//!
//! Typed, signed session cookies. Each session is a Rust type whose cookie
//! name, namespace, schema version, lifetime and cookie attributes are declared
//! once, checked by the compiler, and bound into the signature. One master
//! secret serves every type: each namespace gets its own key derived with
//! HKDF-SHA256, and the MAC covers namespace, cookie name, version and expiry,
//! so a cookie issued for one type is never accepted as another.
//!
//! ## Declaring sessions
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use session_seal::SessionPayload;
//!
//! #[derive(Serialize, Deserialize, SessionPayload)]
//! #[session(cookie = "admin_sid", namespace = "admin", version = 2, max_age = "8h")]
//! struct AdminSession { user_id: u64, roles: Vec<String> }
//!
//! #[derive(Serialize, Deserialize, SessionPayload)]
//! #[session(cookie = "tenant_sid", namespace = "tenant", max_age = "1d")]
//! struct TenantSession { user_id: u64, tenant: String }
//!
//! session_seal::registry! {
//!     /// Every session this app issues.
//!     pub struct AppSessions { AdminSession, TenantSession }
//! }
//!
//! assert_eq!(AdminSession::SPEC.cookie(), "admin_sid");
//! assert_eq!(AdminSession::SPEC.renew_after_secs(), 4 * 3600); // half of max_age
//! ```
//!
//! Two members of one registry that share a cookie name or a namespace do not
//! compile. See [`SessionPayload`](derive@SessionPayload) for every attribute.
//!
//! ## Using them in axum
//!
//! ```
//! use axum::{Router, routing::get};
//! # use serde::{Deserialize, Serialize};
//! use session_seal::{Keyring, RequireSession, SessionError, SessionLayer, SessionPayload, TypedSession};
//! # #[derive(Serialize, Deserialize, SessionPayload)]
//! # #[session(cookie = "admin_sid", namespace = "admin", max_age = "8h")]
//! # struct AdminSession { user_id: u64, roles: Vec<String> }
//! # session_seal::registry! { pub struct AppSessions { AdminSession } }
//!
//! async fn login(mut session: TypedSession<AdminSession>) -> Result<&'static str, SessionError> {
//!     session.insert(AdminSession { user_id: 42, roles: vec!["admin".into()] })?;
//!     Ok("welcome")
//! }
//!
//! async fn whoami(session: TypedSession<AdminSession>) -> String {
//!     match session.get() {
//!         Some(admin) => format!("admin {}", admin.user_id),
//!         // Absent, or Invalid(reason): expired, tampered, another type's cookie…
//!         None => format!("not logged in ({})", session.status().label()),
//!     }
//! }
//!
//! async fn audit(admin: RequireSession<AdminSession>) -> String {
//!     format!("audit for {}", admin.user_id) // 401 without a valid session
//! }
//!
//! # fn main() -> Result<(), session_seal::KeyringError> {
//! # // The development tier needs no secret (an ephemeral key is generated).
//! # let keyring = Keyring::from_lookup(|name| (name == "SESSION_SEAL_ENV").then(|| "dev".into()))?;
//! // In an app: let keyring = Keyring::from_env()?;
//! let app: Router = Router::new()
//!     .route("/login", get(login))
//!     .route("/whoami", get(whoami))
//!     .route("/audit", get(audit))
//!     .layer(SessionLayer::<AppSessions>::new(keyring));
//! # Ok(()) }
//! ```
//!
//! Changes are sealed when made (a payload too large for a cookie is an error
//! at `insert`), and the layer writes the `Set-Cookie` headers. A cookie
//! sealed with a previous key, under an older schema version, or past its
//! renewal point is re-issued automatically. An unusable cookie reads as no
//! session and is cleared.
//!
//! ## Configuration
//!
//! [`Keyring::from_env`] reads:
//!
//! | variable | meaning |
//! |---|---|
//! | `SESSION_SEAL_SECRET` | base64 secret of at least 32 bytes (`openssl rand -base64 32`) |
//! | `SESSION_SEAL_PREVIOUS_SECRETS` | comma-separated previous secrets: still open cookies, never seal |
//! | `SESSION_SEAL_ENV` | `development`/`dev`/`test`/`local` for the development tier; anything else, or unset, is production |
//!
//! In production a missing secret is an error. In development it is replaced by
//! an ephemeral key (with a warning) and cookies are not `Secure` by default,
//! so `http://localhost` works.
//!
//! ## Decisions beyond the design document
//!
//! - A cookie expires at the earlier of its signed expiry and
//!   `issued_at + max_age` of the current build, so shortening `max_age`
//!   shortens cookies already issued.
//! - `max_age` is capped at 400 days, the longest lifetime browsers keep.
//! - With several cookies of one name in a request, the first that opens wins
//!   (browsers send the most specific path first); at most eight are tried.
//! - `TypedSession::status` describes the cookie the request carried; later
//!   changes in the handler do not alter it.
#![forbid(unsafe_code)]

pub use session_axum::{
    RequireSession, SecurePolicy, SessionError, SessionLayer, SessionRejection, SessionStatus,
    TypedSession,
};
/// Store mode: [`SessionStore`](store::SessionStore), [`MemoryStore`](store::MemoryStore),
/// `RedisStore` (feature `redis`) and the per-user operations.
pub use session_core::store;
pub use session_core::{
    KeyId, Keyring, KeyringError, OpenError, Opened, PREVIOUS_SECRETS_VAR, Registry, RegistryError,
    SECRET_VAR, SameSite, SealError, SecretError, SessionPayload, SessionSecret, SessionSpec,
    SpecError, Storage, StoreError, Tier, UserKey, peek_key_id,
};
pub use session_derive::{SessionPayload, registry};

/// The crates behind the facade, for what it does not re-export by name.
pub mod crates {
    pub use session_axum as axum;
    pub use session_core as core;
}

#[doc(hidden)]
pub mod __private {
    pub use core::any::TypeId;
    pub use session_core::{
        OpenError, Registry, SameSite, SessionPayload, SessionSpec, UserKey, decode_json,
        decode_migrated, str_eq, unknown_version,
    };
}
