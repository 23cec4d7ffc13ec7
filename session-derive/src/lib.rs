//! `#[derive(SessionPayload)]` and `registry!` for
//! [session-seal](https://docs.rs/session-seal): typed, signed session cookies.
//!
//! Use them through the `session_seal` crate, which re-exports both and
//! provides the items the generated code refers to (`session_seal::__private_0_1`, named after this version).
//!
//! The derive reads like a compiler pass: `attr` reads `#[session(...)]` into a
//! plain record, `valid` checks it (every error is collected in a `Ctxt` and
//! spanned at the offending key or literal), `expand` quotes the impl, and
//! `fallback` emits the errors plus a placeholder impl so a mistake gives one
//! message rather than a cascade.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod attr;
mod ctxt;
mod duration;
mod expand;
mod fallback;
mod registry;
mod symbol;
mod valid;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derives `SessionPayload`: the cookie name, namespace, schema version,
/// lifetime and cookie attributes of a session type, checked at compile time.
///
/// ```ignore
/// use serde::{Deserialize, Serialize};
/// use session_seal::SessionPayload;
///
/// #[derive(Serialize, Deserialize, SessionPayload)]
/// #[session(cookie = "__Host-admin", namespace = "admin", version = 3, max_age = "8h")]
/// #[session(migrate(from = AdminV2, version = 2), migrate(from = AdminV1, version = 1))]
/// struct AdminSession {
///     user_id: u64,
///     roles: Vec<String>,
/// }
/// ```
///
/// The type must also implement `Serialize` and `Deserialize`. Structs (named,
/// tuple or unit) and enums are accepted; unions and generic types are not (a
/// session type has one fixed cookie name and schema).
///
/// # Attributes
///
/// Keys may be spread over several `#[session(...)]` attributes; each may be
/// given once (`migrate` any number of times).
///
/// | attribute | default | rule checked at compile time |
/// |---|---|---|
/// | `cookie = "sid"` | required | 1 to 255 RFC 6265 token characters: ASCII letters, digits and ``!#$%&'*+-.^_`|~`` |
/// | `namespace = "admin"` | required | `[a-z0-9_.-]{1,64}`; the unit of key separation |
/// | `version = 3` | `1` | integer in `1..=u32::MAX`: the current schema version |
/// | `max_age = "8h"` | `"1d"` (`"5m"` with `flash`) | a duration, more than zero and at most 400 days (`"1h"` with `flash`) |
/// | `renew_after = "4h"` | half of `max_age` | a duration shorter than `max_age`; cookie mode only |
/// | `absolute_max_age = "30d"` | none | a duration at least `max_age` (and at most 49710 days): the session's lifetime from its start |
/// | `same_site = "strict"` | `"lax"` | `"lax"`, `"strict"` or `"none"` (any case); `"none"` requires Secure |
/// | `path = "/admin"` | `"/"` | starts with `/`, no `;` or control characters |
/// | `domain = "example.com"` | none (host-only) | non-empty, no `;`, spaces or control characters |
/// | `http_only` / `http_only = false` | `true` | |
/// | `secure` / `secure = false` | the layer's policy | `secure` forces `Secure` in every environment |
/// | `migrate(from = Old, version = N)` | none | `N` lower than `version`, each `N` once, `Old: Into<Self>` |
/// | `crate = "path"` | `"session_seal"` | a path to the session_seal crate |
/// | `encrypted` | signed only | a bare flag: the payload is encrypted in the cookie (wire format 2); cookie mode only |
/// | `asymmetric` | HMAC | a bare flag: values are signed with Ed25519 (wire format 3) and open with the public key alone; cookie mode only, not with `encrypted` |
/// | `store` | cookie mode | a bare flag: the payload lives in a session store |
/// | `touch_after = "10m"` | `"5m"`, or half of `max_age` when shorter | a duration shorter than `max_age`; store mode only |
/// | `max_per_user = 5` | no limit | integer in `1..=u32::MAX`; store mode only, requires `user` |
/// | `user = "user_id"` | none | a named field of the struct (or a path of fields, `"account.id"`) whose type implements `UserKey`; store mode, or cookie mode with `revocable` or `refresh` |
/// | `revocable` | off | a bare flag: revocations by user or namespace end its sessions early; cookie mode only, requires `user` and `absolute_max_age` |
/// | `flash` | off | a bare flag: a message read once by the next request (`Flash<T>`); cookie mode only, not with `revocable`, `max_age` at most `"1h"` |
/// | `partitioned` | off | a bare flag: the cookie carries `Partitioned` (CHIPS); requires Secure (`secure`, or a `__Host-`/`__Secure-` name) and `same_site = "none"` |
/// | `fingerprint` | off | a bare flag: sessions are bound to the browser that logged in (a keyed hash of `User-Agent` and `Accept-Language`, see `session_core::fingerprint`); any mode |
/// | `refresh = AdminRefresh` | none | a session type (a type path, not a string): this cookie-mode type is the short-lived access type of a hybrid session refreshed from it; not with `store` or `flash`, requires `user` and `From<&AdminRefresh>`; `AdminRefresh` must be in store mode with `user`, have no `refresh` itself, and a longer `max_age` |
///
/// Durations are one or more groups of digits and a unit, `s`, `m`, `h` or
/// `d`: `"30s"`, `"15m"`, `"1h30m"`, `"7d"`.
///
/// Cookie prefixes are enforced as browsers do (case-insensitively): a
/// `__Host-` cookie must have path `"/"` and no domain, and a `__Host-` or
/// `__Secure-` cookie is always `Secure` (`secure = false` is an error).
///
/// ```ignore
/// #[derive(Serialize, Deserialize, SessionPayload)]
/// #[session(cookie = "__Secure-tenant", namespace = "tenant")]
/// #[session(max_age = "7d", renew_after = "1d", same_site = "none")]
/// #[session(path = "/app", domain = "example.com", http_only = false)]
/// struct TenantSession {
///     tenant: String,
/// }
/// ```
///
/// # Two clocks
///
/// `max_age` is the idle timeout: a value expires `max_age` after it was
/// sealed, and each renewal (after `renew_after`, or on `update`/`renew`)
/// slides it forward. `absolute_max_age` is the absolute timeout, counted
/// from the session's start (its `insert`): no renewal, touch, re-issue or
/// `renew()` extends a session past `start + absolute_max_age`; each value
/// expires at `min(now + max_age, start + absolute_max_age)`, and opening
/// enforces the cap even on values sealed before it was shortened. Only a
/// new `insert` starts a new session. OWASP recommends both timeouts.
///
/// ```ignore
/// #[derive(Serialize, Deserialize, SessionPayload)]
/// #[session(cookie = "__Host-bank", namespace = "bank", max_age = "15m", absolute_max_age = "8h")]
/// struct BankSession {
///     account: u64,
/// }
/// ```
///
/// # Encrypted sessions
///
/// A cookie-mode session is signed: nobody can forge or alter it, but anyone
/// holding the cookie can read its JSON. With `encrypted` the payload is
/// also hidden: the cookie value is `H "." C`, the same authenticated header
/// (format byte 2) and `C` = base64url(24-byte random nonce ‖ ciphertext ‖
/// 16-byte tag) of XChaCha20-Poly1305 under a key derived for this type's
/// (namespace, cookie name) alone, with the header text as associated data.
/// Everything else is unchanged: registry and collision checks, versions and
/// migrations, rotation, renewal, both clocks, the size check (which counts
/// the 40 bytes of nonce and tag and the base64 growth) and the axum API; a
/// handler cannot tell an encrypted type from a signed one.
///
/// A type opens only its own format: a signed value sent to an encrypted type
/// (or the reverse) is `OpenError::Malformed`, never a downgrade. Turning
/// `encrypted` on or off for an existing type therefore ends the sessions
/// issued before (they are cleared as invalid), as changing its cookie name
/// would. The header (key id, version, times) stays readable; only the
/// payload is hidden.
///
/// `encrypted` with `store` is an error: a store-mode cookie carries only a
/// random id, which is already opaque.
///
/// ```ignore
/// #[derive(Serialize, Deserialize, SessionPayload)]
/// #[session(cookie = "__Host-account", namespace = "account", max_age = "8h", encrypted)]
/// struct AccountSession {
///     user_id: u64,
///     email: String,
/// }
/// ```
///
/// # Asymmetric sessions
///
/// With `asymmetric` a cookie-mode session is signed with an Ed25519 key
/// derived from the secret (wire format 3) instead of an HMAC key, so a
/// service holding only the public key (`VerifyingKeyring`, or
/// `Keyring::verify_only` for the axum layer) can verify it but never mint
/// one: the access token of the hybrid model, checked by resource servers
/// that do not hold the secret. The payload is readable, as for a signed
/// type, so `asymmetric` with `encrypted` is an error, and so is
/// `asymmetric` with `store` (a stored session's id means nothing without
/// the store). As with `encrypted`, a type opens only its own format.
///
/// ```ignore
/// #[derive(Serialize, Deserialize, SessionPayload)]
/// #[session(cookie = "__Host-access", namespace = "access", max_age = "5m", asymmetric)]
/// struct AccessSession {
///     user_id: u64,
/// }
/// ```
///
/// # Store mode
///
/// With `store`, the payload is kept in a session store on the server and the
/// cookie carries only a sealed random id, so sessions can be revoked. A stored
/// session's expiry slides to now + `max_age` when it is used and its last
/// touch is at least `touch_after` old; `renew_after` is for cookie mode and is
/// an error here.
///
/// `user = "field"` names the field that identifies the user, for logout
/// everywhere: the derive implements `SessionPayload::session_user` by reading
/// that field through `UserKey` (implemented for strings, integers and
/// `Option`s of them; `None` is an anonymous session). A field type without
/// `UserKey` is reported at `user = "..."`. `max_per_user = N` ends the least
/// recently used sessions of a user beyond `N`, and needs `user`.
///
/// ```ignore
/// #[derive(Serialize, Deserialize, SessionPayload)]
/// #[session(cookie = "__Host-account", namespace = "account", max_age = "12h")]
/// #[session(store, user = "user_id", touch_after = "10m", max_per_user = 5)]
/// struct AccountSession {
///     user_id: u64,
///     email: String,
/// }
/// ```
///
/// # Revocable sessions
///
/// A cookie-mode session lives only in its cookie, so by itself it opens
/// until it expires. With `revocable` each value is also checked (after its
/// MAC and expiry, against a table held in memory: no I/O per request)
/// against the revocations of its namespace: a revocation of its user, or
/// of every user, ends every session that started before it. `user` names
/// the field revocations are matched against, and `absolute_max_age` is
/// required: it bounds how long a revocation must be remembered, since every
/// session begun before one has ended by then. See
/// `session_seal::revocation` and `session-seal revoke`.
///
/// `revocable` with `store` is an error: a stored session is ended by
/// deleting its row, which store mode does already.
///
/// ```ignore
/// #[derive(Serialize, Deserialize, SessionPayload)]
/// #[session(cookie = "__Host-admin", namespace = "admin", max_age = "8h")]
/// #[session(revocable, user = "user_id", absolute_max_age = "7d")]
/// struct AdminSession {
///     user_id: u64,
///     roles: Vec<String>,
/// }
/// ```
///
/// # Hybrid sessions
///
/// `refresh = R` makes a cookie-mode type the *access* type of a hybrid
/// session: a short-lived cookie that every request (and every service
/// holding the key, or only the public key with `asymmetric`) opens with no
/// store round trip, paired with a long-lived store-mode *refresh* type `R`.
/// When a request's access cookie is absent or expired and its refresh
/// cookie is valid, the layer rotates the refresh session (a new id, the
/// same login) and issues a new access cookie made from it with
/// `From<&R>`; a rotated-out refresh id presented again revokes the whole
/// login. The derive implements `HybridAccess` (`type Refresh = R`) and
/// `SessionPayload::REFRESH` for the access type.
///
/// The pair is checked at compile time. At `refresh = R` itself: the
/// access type is not `store` (`R` is the store-mode half) nor `flash`, it
/// names its `user`, `R` is a type path (not a string) other than the type
/// itself, and the access type implements `From<&R>` (a missing conversion
/// is one E0277 there). When the access type's spec is evaluated, also at
/// `refresh = R`, with the rule's message: `R` is in store mode, names its
/// `user`, has no `refresh` of its own, and its `max_age` is longer than
/// the access type's. `registry!` requires `R` to be a member wherever the
/// access type is.
///
/// ```ignore
/// #[derive(Serialize, Deserialize, SessionPayload)]
/// #[session(cookie = "__Host-admin_refresh", namespace = "admin_refresh", max_age = "30d")]
/// #[session(store, user = "user_id", absolute_max_age = "90d")]
/// struct AdminRefresh {
///     user_id: u64,
///     roles: Vec<String>,
/// }
///
/// #[derive(Serialize, Deserialize, SessionPayload)]
/// #[session(cookie = "__Host-admin", namespace = "admin", max_age = "5m")]
/// #[session(user = "user_id", refresh = AdminRefresh)]
/// struct AdminAccess {
///     user_id: u64,
///     admin: bool,
/// }
///
/// impl From<&AdminRefresh> for AdminAccess {
///     fn from(refresh: &AdminRefresh) -> Self {
///         AdminAccess {
///             user_id: refresh.user_id,
///             admin: refresh.roles.iter().any(|role| role == "admin"),
///         }
///     }
/// }
///
/// session_seal::registry! {
///     pub struct AppSessions { AdminAccess, AdminRefresh }
/// }
/// ```
///
/// # Flash messages
///
/// With `flash` the type is a message for the next page ("Saved", "3 items
/// deleted"): a handler sets it (`Flash::set`, or `TypedSession::insert`),
/// usually before a redirect, and the next request that extracts
/// `Flash<T>` reads it once; that response clears the cookie, unless it is
/// a server error (5xx), so a failed page leaves the message for the
/// retry. Structs of any shape and enums are accepted, as for any session
/// type:
///
/// ```ignore
/// #[derive(Serialize, Deserialize, SessionPayload)]
/// #[session(cookie = "notice", namespace = "notice", flash)]
/// enum Notice {
///     Saved,
///     Deleted { count: u32 },
/// }
/// ```
///
/// A flash type is a cookie-mode session with a short life: `max_age`
/// defaults to five minutes (the derive writes `max_age_secs(300)` into the
/// spec, and `SessionSpecBuilder::flash` defaults to the same), and more than
/// one hour is an error, since an older message would surface as a stale
/// notice on some unrelated later page. `store` and `revocable` are errors:
/// a flash lives in its cookie, and is gone before anything could revoke
/// it. It may be `encrypted`. `user` is not accepted (it needs `store` or
/// `revocable`); on an enum it would be an error in any case, since it
/// names a field of a struct.
///
/// # Partitioned cookies
///
/// `partitioned` adds the `Partitioned` attribute (CHIPS: Cookies Having
/// Independent Partitioned State), for an app embedded in other sites'
/// pages: the browser keeps a separate cookie per top-level site, so the
/// embedded session works where third-party cookies are blocked. Chrome
/// 114+ and Safari 18.4+ honour it; Firefox ignores the attribute (it
/// partitions third-party cookies by itself). Browsers require it to be
/// Secure, and an embedded context sends only `SameSite=None` cookies, so
/// both are required; removal cookies carry `Partitioned` too, or the
/// browser would not match them to the cookie.
///
/// ```ignore
/// #[derive(Serialize, Deserialize, SessionPayload)]
/// #[session(cookie = "__Host-widget", namespace = "widget", same_site = "none", partitioned)]
/// struct WidgetSession {
///     visitor: u64,
/// }
/// ```
///
/// # Migrations
///
/// A cookie sealed under an older schema version is read as the type declared
/// for that version and converted with `Into<Self>`; any other version is
/// `OpenError::UnknownVersion`. Old types are plain serde types.
///
/// ```ignore
/// #[derive(Deserialize)]
/// struct AdminV2 {
///     user_id: u64,
/// }
///
/// impl From<AdminV2> for AdminSession {
///     fn from(old: AdminV2) -> Self {
///         AdminSession { user_id: old.user_id, roles: Vec::new() }
///     }
/// }
///
/// #[derive(Serialize, Deserialize, SessionPayload)]
/// #[session(cookie = "admin", namespace = "admin", version = 3)]
/// #[session(migrate(from = AdminV2, version = 2))]
/// struct AdminSession {
///     user_id: u64,
///     roles: Vec<String>,
/// }
/// ```
///
/// # Re-exporting crates
///
/// Generated code refers to `::session_seal::__private_0_1`. A crate that
/// re-exports `session_seal` under another path says where, as with serde:
///
/// ```ignore
/// #[derive(Serialize, Deserialize, SessionPayload)]
/// #[session(crate = "my_framework::session_seal")]
/// #[session(cookie = "sid", namespace = "app")]
/// struct AppSession {
///     user_id: u64,
/// }
/// ```
///
/// # Errors
///
/// Every mistake is reported in one build, each at the key or literal it is
/// about: unknown keys (with a suggestion for typos), repeated keys, literals
/// of the wrong kind, broken rules, store-mode keys without `store`,
/// `encrypted` with `store` or with a value, `asymmetric` with `store`,
/// `encrypted` or a value, `revocable` with `store` or
/// without `user` or `absolute_max_age`, `flash` with `store` or
/// `revocable` or a `max_age` over an hour, `partitioned` without Secure or
/// `same_site = "none"`, `user` without `store`,
/// `revocable` or `refresh`, a `user` that names no field (with a suggestion), a migration source without
/// `Into<Self>` (at its `from = Type`), a `user` field without `UserKey`
/// (at its `user = "..."`), and `refresh` with `store` or `flash`, without
/// `user`, with a value that is not a type path, naming the type itself, or
/// without `From<&R>` (at its `refresh = R`). The rules of a hybrid pair
/// that need the refresh type's spec fail when the access type's spec is
/// evaluated (`cargo check` evaluates it), also at `refresh = R`:
///
/// ```text
/// error[E0080]: evaluation panicked: invalid session spec: the refresh type of an access type must be in store mode (`store`)
/// ```
#[proc_macro_derive(SessionPayload, attributes(session))]
pub fn derive_session_payload(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}

/// Declares the set of session types one application issues, and proves at
/// compile time that no two of them share a cookie name or a namespace, and
/// that every hybrid access type's refresh type is among them.
///
/// ```ignore
/// session_seal::registry! {
///     /// Every session this app issues.
///     pub struct AppSessions { AdminSession, TenantSession, OperatorSession }
/// }
/// ```
///
/// Emits a unit struct (`Clone`, `Copy`, `Debug`, `Default`, with the given
/// attributes and visibility) that implements `Registry`: `SPECS` lists the
/// members' specs in order and `contains_type::<T>()` tells whether `T` is a
/// member. For every member it emits one free `const` item, placed at that
/// member, whose evaluation compares it with every earlier member and
/// fails the build on a shared cookie name or namespace (one
/// item per member keeps `cargo check` linear in the number of types;
/// `benches/README.md` has the timings):
///
/// ```text
/// error[E0080]: evaluation panicked: session cookie name collision: `AdminSession` and `TenantSession` both use the cookie name `sid`
/// ```
///
/// The same items check that the refresh type of every hybrid access type
/// (`#[session(refresh = R)]`) is a member too, at the access type:
///
/// ```text
/// error[E0080]: evaluation panicked: session type `AdminAccess` refreshes from `AdminRefresh`, which is not a member of this registry: add `AdminRefresh` to `AppSessions`
/// ```
///
/// Every member is marked `Registered`, which the extractors require: a
/// handler that extracts a type no registry lists does not compile.
///
/// ```text
/// error[E0277]: `Cart` is not a member of any `registry!`
/// ```
///
/// A type therefore belongs to one registry: listing it in a second one is
/// a conflicting implementation (E0119) at that mention, and a type of
/// another crate cannot be listed (the orphan rule, E0117): declare the
/// registry in the crate that defines its members.
///
/// A type listed twice is an error at its second mention.
/// `#[session(crate = "path")]` on the struct sets the path of the
/// `session_seal` crate, as on the derive.
#[proc_macro]
pub fn registry(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as registry::Input);
    registry::expand(&input).into()
}
