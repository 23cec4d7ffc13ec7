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
//! ## Store mode
//!
//! Add `store` to `#[session(...)]` and the payload lives in a
//! [`SessionStore`](store::SessionStore) on the server; the cookie carries only
//! a random 192-bit id, sealed under the same envelope and bindings. Sessions
//! can then be ended from the server: logout everywhere, sign out other
//! devices, ban a user, a cap on sessions per user.
//!
//! ```
//! use axum::{Router, routing::get};
//! use serde::{Deserialize, Serialize};
//! use session_seal::store::MemoryStore;
//! use session_seal::{Keyring, SessionError, SessionLayer, SessionPayload, TypedSession};
//!
//! #[derive(Serialize, Deserialize, SessionPayload)]
//! #[session(cookie = "account_sid", namespace = "account", max_age = "8h",
//!           store, user = "user_id", touch_after = "5m", max_per_user = 3)]
//! struct AccountSession { user_id: u64, device: String }
//!
//! session_seal::registry! { struct AppSessions { AccountSession } }
//!
//! async fn sign_out_everywhere(
//!     mut session: TypedSession<AccountSession>,
//! ) -> Result<String, SessionError> {
//!     let ended = session.logout_all().await?; // every device of this user
//!     Ok(format!("ended {ended} sessions"))
//! }
//!
//! # fn main() -> Result<(), session_seal::KeyringError> {
//! # let keyring = Keyring::from_lookup(|name| (name == "SESSION_SEAL_ENV").then(|| "dev".into()))?;
//! let store = MemoryStore::new(); // or RedisStore (feature `redis`)
//! let app: Router = Router::new()
//!     .route("/logout-all", get(sign_out_everywhere))
//!     .layer(SessionLayer::<AppSessions>::new(keyring).store(store.clone()));
//! # Ok(()) }
//! ```
//!
//! How store mode behaves (our decisions where the design is silent):
//!
//! - **Ids at rest.** A store sees only `SHA-256("session-seal/store/v1" 0x00
//!   ‖ len(namespace) ‖ namespace ‖ id)`, never the id, so a dump of the store
//!   cannot be replayed, and an id can only address its own type's rows.
//! - **Lifetime.** Sliding: a row expires `max_age` after its last touch. A
//!   read touches the row (and re-seals the cookie with the new expiry) only
//!   when the last touch is at least `touch_after` old (default five minutes,
//!   or half of `max_age` if shorter), so most reads write nothing.
//!   `renew_after` is for cookie mode and is refused with `store`.
//! - **Fixation.** `insert` always starts a new id and deletes the previous
//!   row; `renew` moves the data to a new id and deletes the old row, so the
//!   old cookie, and every copy of it, stops working.
//! - **Lost updates.** Every row has a revision. `update` writes only if the
//!   row still has the revision it was loaded with; otherwise nothing is
//!   written and the request gets `409 Conflict`
//!   ([`SessionError::Conflict`]). The first writer wins; touches do not count
//!   as writes.
//! - **When writes happen.** After the handler, before the response leaves
//!   (or earlier, at [`TypedSession::save`], so a handler can answer a failure
//!   itself). If a write fails, the handler's response is replaced by the
//!   error (503 or 409) and no cookie is set.
//! - **Outages.** A store that cannot be reached is `503 Service Unavailable`
//!   ([`SessionRejection::StoreUnavailable`]), never a silent logout: the
//!   browser keeps its cookie.
//! - **Revoked, corrupt, unknown.** A genuine cookie whose row is gone reads
//!   as [`OpenError::Revoked`] and is cleared; a row that cannot be decoded, or
//!   belongs to another namespace, reads as absent (`Malformed`,
//!   `UnknownVersion`). Rows are decoded under the version they were written
//!   with (declared migrations apply) and rewritten in the current version at
//!   their next `update`.
//! - **Per-user cap.** `max_per_user` is applied after each new session is
//!   saved: the least recently touched sessions beyond it are ended. Two
//!   logins racing may leave one extra session until the next login.
//!
//! ## Decisions beyond the design document
//!
//! - Store mode: see the list above.
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
pub mod store {
    //! Store mode: the [`SessionStore`] contract, its row and key types, the
    //! in-memory backend [`MemoryStore`] and the per-user operations (all
    //! from `session_core::store`), plus, with the feature `redis`, the
    //! Redis backend `RedisStore` and its `RedisStoreConfig` (the
    //! `session-redis` crate: one server or a Redis Cluster).
    //!
    //! ```toml
    //! session-seal = { version = "0.1", features = ["redis"] }
    //! ```
    //!
    //! The store is handed to the layer with
    //! [`SessionLayer::store`](crate::SessionLayer::store):
    //! `RedisStore::new("redis://127.0.0.1:6379")?` for one server,
    //! `RedisStore::new("redis+cluster://10.0.0.1:7001,10.0.0.2:7002")?` or
    //! `RedisStore::cluster(["redis://10.0.0.1:7001", …])?` for a cluster.

    pub use session_core::store::*;
    #[cfg(feature = "redis")]
    pub use session_redis::{RedisStore, RedisStoreConfig};
}
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
    /// The Redis backend (feature `redis`).
    #[cfg(feature = "redis")]
    pub use session_redis as redis;
}

#[doc(hidden)]
pub mod __private {
    pub use core::any::TypeId;
    pub use session_core::{
        OpenError, Registry, SameSite, SessionPayload, SessionSpec, UserKey, decode_json,
        decode_migrated, str_eq, unknown_version,
    };
}
