//! # session-seal
//!
//! Typed, signed (and, per type, encrypted) session cookies. Each session is
//! a Rust type whose cookie name, namespace, schema version, lifetime and
//! cookie attributes are declared once, checked by the compiler, and bound
//! into the signature. One master
//! secret serves every type: each (namespace, cookie name) pair gets its own
//! MAC key derived with HKDF-SHA256, and the MAC covers a header with the
//! schema version, issue time, expiry and session age, so a cookie issued for
//! one type is never accepted as another.
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
//! compile, and neither does a handler that extracts a type no registry
//! lists ([`Registered`]); a type is a member of one registry, declared in
//! the crate that defines it. See [`SessionPayload`](derive@SessionPayload)
//! for every attribute.
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
//! A service that only verifies `#[session(asymmetric)]` sessions (Ed25519,
//! minted by another service that holds the secret) needs no secret: it
//! reads `SESSION_SEAL_PUBLIC_KEYS` with [`VerifyingKeyring::from_env`]
//! (`session-seal pubkey` prints the keys) and gives the layer
//! [`Keyring::verify_only`]`(keys)`, which opens those types and seals
//! nothing.
//!
//! ## Lifetime: two clocks
//!
//! `max_age` is the idle timeout: each value expires `max_age` after it was
//! sealed, and the layer re-seals it after `renew_after` (sliding).
//! `absolute_max_age` is the absolute timeout, counted from when the session
//! started (its `insert`): every value expires at
//! `min(now + max_age, started + absolute_max_age)`
//! ([`SessionSpec::expiry`]), so no renewal, `update`, `renew()`, rotation or
//! migration re-issue extends a session past it. Opening applies the cap of
//! the current build even to values sealed under a longer one.
//! [`TypedSession::started_at`] and [`Opened::started_at`] tell when the
//! session began; only a new `insert` starts a new one.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use session_seal::SessionPayload;
//!
//! #[derive(Serialize, Deserialize, SessionPayload)]
//! #[session(cookie = "__Host-bank", namespace = "bank", max_age = "15m", absolute_max_age = "8h")]
//! struct BankSession { account: u64 }
//!
//! assert_eq!(BankSession::SPEC.absolute_max_age_secs(), Some(8 * 3600));
//! // Renewed seven hours and fifty minutes in: ends at the eight-hour cap.
//! assert_eq!(BankSession::SPEC.expiry(0, 7 * 3600 + 50 * 60), 8 * 3600);
//! ```
//!
//! The cookie value is `H "." P "." T` in base64url: a 29-byte header `H`
//! (format, key id, schema version, issue time, expiry, and the session's age
//! `iat − started`), the payload JSON `P`, and an HMAC-SHA256 tag `T` over
//! `H "." P` as sent, under the key of the type's (namespace, cookie name).
//!
//! ## Encrypted sessions
//!
//! A signed cookie cannot be forged or altered, but anyone holding it can
//! read its JSON. Add `encrypted` and the payload is hidden too:
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use session_seal::{Keyring, SessionPayload, SessionSecret};
//!
//! #[derive(Serialize, Deserialize, SessionPayload, Debug, PartialEq)]
//! #[session(cookie = "__Host-account", namespace = "account", max_age = "8h", encrypted)]
//! struct AccountSession { user_id: u64, email: String }
//!
//! let keyring = Keyring::new(SessionSecret::generate());
//! let session = AccountSession { user_id: 7, email: "ada@example.com".into() };
//! let value = keyring.seal(&session)?;
//! assert!(!value.contains("ada")); // nor in any base64 decoding of it
//! assert_eq!(keyring.open::<AccountSession>(&value)?.payload, session);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The value is `H "." C`: the same 29-byte header with format byte 2, and
//! `C` = base64url(24-byte random nonce ‖ ciphertext ‖ 16-byte tag) of
//! XChaCha20-Poly1305 under an encryption key of the type's own (namespace,
//! cookie name), derived from the same secret by HKDF-SHA256, with the
//! header text as associated data. So the header stays readable (the key id
//! picks the key) but is authenticated like the payload, and nothing is
//! parsed before the tag checks out. Each nonce is 192 bits read from the
//! operating system's generator at the seal: no state in the process, so
//! nothing to coordinate between processes and nothing for a `fork` to
//! copy.
//!
//! Everything else is the same as for signed types: the registry, versions
//! and migrations, rotation (previous secrets decrypt, only the primary
//! encrypts), renewal, both clocks, the axum API. A type opens only its own
//! format: a signed value sent to an encrypted type, or the reverse, is
//! [`OpenError::Malformed`], never a downgrade; switching a type to
//! `encrypted` ends the sessions issued before, as renaming its cookie
//! would. The 40 bytes of nonce and tag and the base64 growth count toward
//! the 4096-byte limit ([`SealError::TooLarge`]). `encrypted` is for cookie
//! mode; a store-mode cookie is only an id and already opaque.
//!
//! One payload struct can serve two session types (say, signed for one
//! area and encrypted for another): each type is a `#[serde(transparent)]`
//! newtype over it, so both write the same JSON; `From` and `Deref` make
//! the newtype as easy to build and read as the struct. Sealing takes the
//! struct by value (no clone, no `unsafe`):
//!
//! ```
//! use std::ops::Deref;
//! use serde::{Deserialize, Serialize};
//! use session_seal::{Keyring, SessionPayload, SessionSecret};
//!
//! #[derive(Serialize, Deserialize)]
//! struct Account { user_id: u64 }
//!
//! #[derive(Serialize, Deserialize, SessionPayload)]
//! #[serde(transparent)]
//! #[session(cookie = "__Host-private", namespace = "private", encrypted)]
//! struct PrivateAccount(Account);
//!
//! impl From<Account> for PrivateAccount {
//!     fn from(account: Account) -> Self { PrivateAccount(account) }
//! }
//! impl Deref for PrivateAccount {
//!     type Target = Account;
//!     fn deref(&self) -> &Account { &self.0 }
//! }
//!
//! let keyring = Keyring::new(SessionSecret::generate());
//! let value = keyring.seal(&PrivateAccount::from(Account { user_id: 7 }))?;
//! assert_eq!(keyring.open::<PrivateAccount>(&value)?.payload.user_id, 7);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Store mode
//!
//! Add `store` to `#[session(...)]` and the payload lives in a
//! [`SessionStore`](store::SessionStore) on the server; the cookie carries only
//! a random 192-bit id, sealed under the same envelope and bindings. Sessions
//! can then be ended from the server: logout everywhere, sign out other
//! devices, ban a user, a cap on sessions per user.
//!
//! A cookie-mode type can be ended early too: `#[session(revocable)]` (with
//! `user` and `absolute_max_age`) checks each value against the revocations
//! of its user and namespace, held in memory ([`revocation`]).
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
//!     // Store mode counts the rows it ended; a revocable cookie type, `None`.
//!     let ended = session.logout_everywhere().await?.unwrap_or(0);
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
//! How store mode behaves:
//!
//! - **Ids at rest.** A store sees only a [`StoreKey`](store::StoreKey): two
//!   bytes of routing (below), then 30 bytes of `SHA-256("session-seal/store/v1"
//!   0x00 ‖ len(namespace) ‖ namespace ‖ id)`, never the id, so a dump of the
//!   store cannot be replayed, and an id can only address its own type's rows.
//! - **Routes.** The first 16 bits of every id are its route: for a session
//!   with a user, derived from (namespace, user); for an anonymous one,
//!   random; kept across renewals. A sharded store (Redis Cluster) keeps a
//!   user's rows and their index on one shard with it, so logout-everywhere
//!   and the id move stay atomic. The id keeps 176 random bits.
//! - **Lifetime.** Sliding: a row expires `max_age` after its last touch. A
//!   read touches the row only when the last touch is at least `touch_after`
//!   old (default five minutes, or half of `max_age` if shorter), so most
//!   reads write nothing. The cookie is re-sealed whenever it would expire
//!   before its row (after a touch, or when the response of an earlier touch
//!   was lost), so an active user is never logged out by a stale cookie.
//!   `renew_after` is for cookie mode and is refused with `store`.
//! - **New ids, atomically.** `insert` over an existing session (a re-login),
//!   `renew`, and an `update` that changes the session's user put the session
//!   under a fresh id, written with one atomic
//!   [`move_session`](store::SessionStore::move_session): the new row is
//!   created and the old one removed in the same step, or nothing happens.
//!   For `renew` and a user change the old row must still be there at the
//!   revision this request loaded: if a logout, ban or eviction removed it
//!   meanwhile, nothing is written, the request gets `401`
//!   ([`SessionError::Revoked`]) and the cookie is cleared, so the logout
//!   stands; if another request updated it meanwhile, the answer is `409`
//!   and the update stands. A login (`insert`) replaces the old row whatever
//!   its state: it is a new authentication. A fixated or stolen old id stops
//!   working either way.
//! - **Lost updates.** Every row has a revision. `update` writes only if the
//!   row still has the revision it was loaded with; otherwise nothing is
//!   written and the request gets `409 Conflict`
//!   ([`SessionError::Conflict`]). The first writer wins; touches do not count
//!   as writes.
//! - **When writes happen.** After the handler, before the response leaves
//!   (or earlier, at [`TypedSession::save`], so a handler can answer a failure
//!   itself; after a failed `save` the session is as it was before the call,
//!   changes still pending). If a write fails, the handler's response is
//!   replaced by the error (503, 409 or 401) and only cookies that match what
//!   the store now holds are sent. Once a new row is written (a login, a
//!   re-login, a renewal, a change of user) it stays, and every response
//!   from then on carries its cookie: if deleting a row ended in the same
//!   request then fails, the answer is 503 with the new cookie, and the
//!   browser holds a session that exists. An outage is never a logout.
//! - **Server errors write nothing.** When the handler answers 5xx, the
//!   request's session changes are dropped, as Django does: no `Set-Cookie`,
//!   no store write or delete (changes already written with `save()` stay,
//!   and their cookies are sent). 4xx responses write normally, so a logout
//!   that answers 401 still logs out.
//!   [`SessionLayer::save_on_server_error`] turns this off.
//! - **Outages.** A store that cannot be reached is `503 Service Unavailable`
//!   ([`SessionRejection::StoreUnavailable`]), never a silent logout: the
//!   browser keeps its cookie.
//! - **Revoked, corrupt, unknown.** A genuine cookie whose row is gone reads
//!   as [`OpenError::Revoked`] and is cleared; a row that cannot be decoded, or
//!   belongs to another namespace, reads as absent (`Malformed`,
//!   `UnknownVersion`). Rows are decoded under the version they were written
//!   with (declared migrations apply) and rewritten in the current version at
//!   their next `update`.
//! - **Per-user cap.** `max_per_user` is applied after a new session is
//!   written and the row it replaced is gone, so a renewal or re-login never
//!   evicts another device: the least recently touched sessions beyond the
//!   cap are ended. Two different devices logging in at the same moment may
//!   briefly leave one extra session, until the next login. The cap is best
//!   effort: if the store fails while applying it, the login still succeeds
//!   (the failure is logged) and the next login applies it again.
//! - **Duplicate cookies.** Every cookie of the type's name is tried (below),
//!   but each distinct id is looked up in the store once, and at most four
//!   per request: a browser sends several cookies of one name only when it
//!   holds them for several paths or domains, two or three in practice,
//!   while a request can repeat one sealed value thousands of times within
//!   the header limits. The seal checks before the look-ups need no I/O.
//!
//! ## The API at a glance
//!
//! | for | items |
//! |---|---|
//! | declaring sessions | [`SessionPayload`](derive@SessionPayload) (derive and trait), [`registry!`], [`Registry`], [`Registered`], [`SessionSpec`], [`SessionSpecBuilder`], [`SameSite`], [`Storage`], [`UserKey`] |
//! | secrets and keys | [`SessionSecret`], [`Keyring`], [`KeyId`], [`Tier`], [`SECRET_VAR`], [`PREVIOUS_SECRETS_VAR`] |
//! | sealing and opening by hand | [`Keyring::seal_at`], [`Keyring::open_at`], [`Opened`], [`inspect`], [`Inspection`], [`WireFormat`], [`peek_key_id`] |
//! | axum | [`SessionLayer`] (and its [`SessionService`]), [`TypedSession`], [`RequireSession`], [`SessionStatus`], [`SecurePolicy`] |
//! | flash messages | [`Flash`]: a `#[session(flash)]` type's message, read once by the next page |
//! | errors | [`SessionError`], [`SessionRejection`], [`OpenError`], [`SealError`], [`SecretError`], [`KeyringError`], [`RegistryError`], [`SpecError`], [`StoreError`] |
//! | store mode | [`store`]: [`SessionStore`](store::SessionStore), [`SessionStoreExt`](store::SessionStoreExt), [`MemoryStore`](store::MemoryStore), the row and key types, `RedisStore` / `PostgresStore` / `SqliteStore` behind features, `conformance` (feature `testing`) |
//! | tests | `testing` (feature `testing`): `TestClient`, `TestClock`, minted sessions |
//!
//! ## Other decisions
//!
//! - Store mode: see the list above.
//! - A cookie expires at the earliest of its signed expiry,
//!   `issued_at + max_age` and `started + absolute_max_age` of the current
//!   build, so shortening either setting shortens cookies already issued.
//! - Sealing a continuing session past its absolute lifetime (possible only
//!   if the clock crosses it during a request) is
//!   [`SealError::Expired`], answered with 401.
//! - `max_age` is capped at 400 days, the longest lifetime browsers keep.
//! - With several cookies of one name in a request, every one is tried and
//!   the first that opens wins (browsers send the most specific path first),
//!   so planted cookies cannot hide the genuine one; the request's header
//!   size limit bounds the work.
//! - Several extractors of one type in one request agree: later ones reuse
//!   the first one's outcome (status and cookie) and see the request's
//!   changes so far. A later extractor decodes the payload again (payloads
//!   need not be `Clone`).
//! - `TypedSession::status` describes the cookie the request carried; later
//!   changes in the handler do not alter it.
//! - A response that read or wrote a session gets `Vary: Cookie`; one that
//!   sets or clears a session cookie gets `Cache-Control: private` unless the
//!   handler set its own `Cache-Control`.
//! - The layer puts each request's session state in the request's
//!   extensions, as axum, tower-sessions and axum-extra carry per-request
//!   state: extractors find it whatever middleware runs between the layer
//!   and the handler (one that spawns the rest of the request onto another
//!   task, tower's `Buffer`). The innermost layer around a route serves it.
//!   A request a handler builds itself (an internal forward) carries no
//!   state unless it copies the original's extensions; without a layer of
//!   its own its extractors then fail with
//!   [`SessionRejection::MissingLayer`].
//! - The layer can be added with `Router::layer` (each route wrapped on its
//!   own, as axum does for any layer, at a small cost per request measured
//!   in `benches/README.md`) or wrapped once around the whole router
//!   ([`SessionLayer`] shows how); both behave the same for routed
//!   requests.
//! - Expiry is issued and checked against `std::time::SystemTime` in whole
//!   seconds: the plain real-time clock, so a value stops opening exactly at
//!   its expiry second.
//! - Every part of a value is decoded by the `base64` crate and every
//!   key is derived by `hkdf`: the attacker-facing path has no hand-written
//!   codec. The format, key derivation and order of checks are documented
//!   in one place, `session_core::wire`, with known-answer vectors.
#![forbid(unsafe_code)]
// On docs.rs (nightly, `--cfg docsrs`): a badge on each item a feature gates.
#![cfg_attr(docsrs, feature(doc_cfg))]

// The axum integration (feature `axum`, on by default).
#[cfg(feature = "axum")]
pub use session_axum::{
    CSRF_FIELD, CSRF_HEADER, CrossOriginLayer, CrossOriginRejection, CsrfForm, CsrfFormRejection,
    CsrfRejection, CsrfToken, RequireSession, SecurePolicy, SessionError, SessionLayer,
    SessionRejection, SessionService, SessionStatus, SessionUser, TypedSession, VerifiedCsrf,
};
// Flash messages (`#[session(flash)]` types), read once.
#[cfg(feature = "axum")]
pub use session_axum::Flash;
// Which forwarding header trusted proxies write (store-mode login metadata).
#[cfg(feature = "axum")]
pub use session_axum::ProxyHeader;
// The events and metrics the layer reports, and their stable names.
#[cfg(feature = "axum")]
pub use session_axum::observability;
// What a client fingerprint mismatch does (`#[session(fingerprint)]`).
#[cfg(feature = "axum")]
pub use session_axum::{FingerprintMismatch, FingerprintPolicy};
// Hybrid sessions: a reused refresh id, as the layer's hook reports it.
#[cfg(feature = "axum")]
pub use session_axum::RefreshReuse;
pub mod store {
    //! Store mode: the [`SessionStore`] contract, its row and key types, the
    //! in-memory backend [`MemoryStore`] and the per-user operations (all
    //! from `session_core::store`), plus the server backends behind
    //! features:
    //!
    //! | feature | backend | crate |
    //! |---|---|---|
    //! | `redis` | `RedisStore`, `RedisStoreConfig`: one server or a Redis Cluster | `session-redis` |
    //! | `postgres` | `PostgresStore`, `SqlStoreConfig` | `session-sql` |
    //! | `sqlite` | `SqliteStore`, `SqlStoreConfig`: durable, no server | `session-sql` |
    //!
    //! ```toml
    //! session-seal = { version = "0.1", features = ["redis"] }
    //! ```
    //!
    //! The store is handed to the layer with
    //! [`SessionLayer::store`](crate::SessionLayer::store):
    //! `RedisStore::new("redis://127.0.0.1:6379")?` for one server,
    //! `RedisStore::new("redis+cluster://10.0.0.1:7001,10.0.0.2:7002")?` or
    //! `RedisStore::cluster(["redis://10.0.0.1:7001", …])?` for a cluster,
    //! `PostgresStore::new("postgres://…")?` (then `migrate().await?`), or
    //! `SqliteStore::open("sessions.db", SqlStoreConfig::default())?`.

    pub use session_core::store::*;
    #[cfg(feature = "redis")]
    pub use session_redis::{RedisStore, RedisStoreConfig};
    #[cfg(feature = "postgres")]
    pub use session_sql::PostgresStore;
    #[cfg(feature = "sqlite")]
    pub use session_sql::SqliteStore;
    #[cfg(any(feature = "postgres", feature = "sqlite"))]
    pub use session_sql::{ConfigError as SqlConfigError, SqlStoreConfig};
}
pub mod csrf {
    //! CSRF tokens bound to a session type: the token format and the
    //! [`CsrfContext`] a token is bound to (from `session_core::csrf`).
    //! In handlers, use [`CsrfToken`](crate::CsrfToken),
    //! [`CsrfForm`](crate::CsrfForm) and
    //! [`VerifiedCsrf`](crate::VerifiedCsrf), beside
    //! [`CrossOriginLayer`](crate::CrossOriginLayer).

    pub use session_core::csrf::*;
}
pub mod fingerprint {
    //! Client fingerprints (`#[session(fingerprint)]`): how a session is
    //! bound to the browser that logged in, what it stops and what it does
    //! not (from `session_core::fingerprint`). The layer's side is
    //! [`SessionLayer::fingerprint_policy`](crate::SessionLayer::fingerprint_policy).

    pub use session_core::fingerprint::*;
}
pub mod revocation {
    //! Revocable cookie-mode sessions (`#[session(revocable)]`): the
    //! [`Revocations`] handle the layer checks, the [`RevocationFeed`]
    //! contract and [`MemoryFeed`] (all from `session_core::revocation`),
    //! plus the server feeds behind the store features:
    //!
    //! | feature | feed | crate |
    //! |---|---|---|
    //! | `redis` | `RedisRevocationFeed`: a Redis stream (one server or a Redis Cluster) | `session-redis` |
    //! | `postgres` | `PostgresRevocationFeed`: a table with `LISTEN`/`NOTIFY` | `session-sql` |
    //! | `sqlite` | `SqliteRevocationFeed`: a table, polled (one machine) | `session-sql` |
    //!
    //! They take the stores' settings, `store::RedisStoreConfig`
    //! and `store::SqlStoreConfig` (key prefix, table, timeouts).

    pub use session_core::revocation::*;
    #[cfg(feature = "redis")]
    pub use session_redis::RedisRevocationFeed;
    #[cfg(feature = "postgres")]
    pub use session_sql::PostgresRevocationFeed;
    #[cfg(feature = "sqlite")]
    pub use session_sql::SqliteRevocationFeed;
}
pub use session_core::{Inspection, Namespace, SessionSpecBuilder, WireFormat, inspect};
pub use session_core::{
    KeyId, Keyring, KeyringError, OpenError, Opened, PREVIOUS_SECRETS_VAR, Registered, Registry,
    RegistryError, SECRET_VAR, SameSite, SealError, SecretError, SessionPayload, SessionSecret,
    SessionSpec, SpecError, Storage, StoreError, Tier, UserKey, peek_key_id,
};
// Hybrid sessions: an access type paired with its refresh type.
pub use session_core::{HybridAccess, RefreshPairing};
// Verify-only services: the public keys that open `#[session(asymmetric)]`
// values (wire format 3) and cannot make any.
pub use session_core::{
    PUBLIC_KEYS_VAR, PublicKey, PublicKeyError, VerifyingKeyring, VerifyingKeyringError,
};
pub use session_derive::{SessionPayload, registry};

#[cfg(feature = "testing")]
pub mod testing;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// What the derive's generated code refers to, and nothing else. Versioned
/// with session-derive (pinned with `=`): a mismatched derive fails to find
/// it rather than compiling against other helpers.
#[doc(hidden)]
pub mod __private_0_1 {
    pub use core::any::TypeId;
    pub use session_core::__private::{decode_json, str_eq, unknown_version};
    pub use session_core::{
        HybridAccess, OpenError, RefreshPairing, Registered, Registry, SameSite, SessionPayload,
        SessionSpec, UserKey,
    };
}
