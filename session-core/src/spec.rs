//! [`SessionSpec`]: everything a session type declares about its cookie.
//!
//! A spec is built in a `const` context (the derive emits
//! `SessionSpec::builder(..)….build()` as an associated constant), so every rule
//! below is checked by the compiler: an invalid spec is a compile-time error in
//! const evaluation. The derive checks the same rules first with precise spans;
//! these checks are the backstop for hand-written implementations.

use std::fmt;

use session_rules::{
    CookiePrefix, DEFAULT_FLASH_MAX_AGE_SECS, cookie_prefix, default_renew_after_secs,
    default_touch_after_secs,
};
pub(crate) use session_rules::{
    DEFAULT_MAX_AGE_SECS, MAX_ABSOLUTE_MAX_AGE_SECS, MAX_FLASH_MAX_AGE_SECS, MAX_MAX_AGE_SECS,
    is_cookie_domain, is_cookie_name, is_cookie_path, is_namespace, str_eq,
};

/// Where a session type keeps its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Storage {
    /// In the cookie itself, sealed (the default): stateless, nothing to
    /// store, but a session can only end by expiring or being overwritten.
    Cookie,
    /// In a [`SessionStore`](crate::store::SessionStore) on the server; the
    /// cookie carries only a sealed random 192-bit id. Sessions can be
    /// revoked (logout everywhere) and may be larger than a cookie.
    Store,
}

/// The `SameSite` attribute of a session cookie.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SameSite {
    /// Sent only on same-site requests.
    Strict,
    /// Sent on same-site requests and top-level cross-site navigations (the default).
    Lax,
    /// Sent on every request; browsers require `Secure` with it.
    None,
}

impl SameSite {
    /// The attribute value as written in `Set-Cookie`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        }
    }
}

impl fmt::Display for SameSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a [`SessionSpecBuilder`] refused to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// The cookie name is empty, too long, or has a character outside RFC 6265 `token`.
    #[error(
        "cookie name must be 1..=255 RFC 6265 token characters (no spaces, separators or controls)"
    )]
    CookieName,
    /// The namespace is not `[a-z0-9_.-]{1,64}`.
    #[error("namespace must match [a-z0-9_.-]{{1,64}}")]
    Namespace,
    /// The version is zero.
    #[error("version must be at least 1")]
    Version,
    /// `max_age` is zero or longer than 400 days.
    #[error("max_age must be between 1 second and 400 days")]
    MaxAge,
    /// `renew_after` is not shorter than `max_age`.
    #[error("renew_after must be shorter than max_age")]
    RenewAfter,
    /// `absolute_max_age` is shorter than `max_age` or longer than
    /// `u32::MAX` seconds (the header's `age` field).
    #[error("absolute_max_age must be at least max_age and at most u32::MAX seconds")]
    AbsoluteMaxAge,
    /// The path does not start with `/` or contains `;` or a control character.
    #[error("path must start with `/` and contain no `;` or control characters")]
    Path,
    /// The domain is empty or contains `;`, whitespace or a control character.
    #[error("domain must be non-empty and contain no `;`, whitespace or control characters")]
    Domain,
    /// A `__Host-` cookie must have path `/`, no domain, and be `Secure`.
    #[error("a `__Host-` cookie must have path \"/\", no domain, and cannot opt out of Secure")]
    HostPrefix,
    /// A `__Secure-` cookie must be `Secure`.
    #[error("a `__Secure-` cookie cannot opt out of Secure")]
    SecurePrefix,
    /// `SameSite=None` requires `Secure`.
    #[error("same_site = \"none\" requires secure")]
    SameSiteNoneInsecure,
    /// `touch_after` or `max_per_user` was set on a cookie-mode spec.
    #[error("touch_after and max_per_user apply only to store-mode sessions")]
    StoreOnly,
    /// `renew_after` was set on a store-mode spec (stored sessions slide at `touch_after`).
    #[error(
        "renew_after applies only to cookie-mode sessions; store-mode sessions use touch_after"
    )]
    CookieOnly,
    /// `touch_after` is not shorter than `max_age`.
    #[error("touch_after must be shorter than max_age")]
    TouchAfter,
    /// `max_per_user` is zero.
    #[error("max_per_user must be at least 1")]
    MaxPerUser,
    /// `encrypted` was set on a store-mode spec: its cookie carries only a
    /// random id, which is already opaque.
    #[error(
        "encrypted applies only to cookie-mode sessions; a store-mode cookie carries only a random id, which is already opaque"
    )]
    EncryptedStore,
    /// `asymmetric` was set on a store-mode spec: its cookie carries only a
    /// random id, which the services holding the store look up themselves.
    #[error(
        "asymmetric applies only to cookie-mode sessions; a store-mode cookie carries only a random id that needs the store to resolve"
    )]
    AsymmetricStore,
    /// `asymmetric` was set with `encrypted`: a verify-only service must be
    /// able to read the payload, which encryption would hide from it.
    #[error(
        "asymmetric cannot be combined with encrypted: services verifying with the public key must read the payload"
    )]
    AsymmetricEncrypted,
    /// `asymmetric` was set with `fingerprint`: the fingerprint is a keyed
    /// hash under the secret, which services holding only public keys
    /// cannot check.
    #[error(
        "asymmetric cannot be combined with fingerprint: services verifying with the public key cannot check a fingerprint keyed by the secret"
    )]
    AsymmetricFingerprint,
    /// `revocable` was set on a store-mode spec: a stored session is ended
    /// by deleting its row, which needs no revocation feed.
    #[error(
        "revocable applies only to cookie-mode sessions; store-mode sessions are ended by deleting their row"
    )]
    RevocableStore,
    /// `revocable` was set without `absolute_max_age`: the absolute lifetime
    /// bounds how long a revocation must be remembered.
    #[error("revocable needs absolute_max_age: it bounds how long a revocation must be remembered")]
    RevocableLifetime,
    /// `flash` was set on a store-mode spec: a flash message lives in its
    /// cookie from one request to the next.
    #[error("flash applies only to cookie-mode sessions; a flash message lives in its cookie")]
    FlashStore,
    /// `flash` was set with `revocable`: a flash message is read once and
    /// expires within the hour, so there is nothing to revoke.
    #[error("flash cannot be revocable: a flash message is read once and soon expires")]
    FlashRevocable,
    /// A flash spec's `max_age` is longer than one hour
    /// (`session_rules::MAX_FLASH_MAX_AGE_SECS`): a flash is read on the
    /// next page.
    #[error("a flash message's max_age must be at most 1 hour: it is read on the next page")]
    FlashMaxAge,
    /// `partitioned` without `Secure` (declared, or implied by a `__Host-` or
    /// `__Secure-` prefix): browsers ignore `Partitioned` on other cookies.
    #[error("partitioned requires secure (or a __Host- or __Secure- cookie name)")]
    PartitionedInsecure,
    /// `partitioned` without `SameSite=None`: a partitioned cookie is for a
    /// site embedded in other sites' pages, where only `SameSite=None`
    /// cookies are sent.
    #[error("partitioned requires same_site = \"none\"")]
    PartitionedSameSite,
    /// `refresh` was set on a store-mode spec: the access type of a hybrid
    /// session lives in its cookie, opened with no store round trip; the
    /// refresh type is the one kept in the store.
    #[error(
        "refresh applies only to a cookie-mode access type; the refresh type is the one kept in the store"
    )]
    RefreshAccessStore,
    /// `refresh` was set with `flash`: a flash message is read once, so
    /// there is no session to keep refreshing.
    #[error("a flash message cannot have a refresh type: it is read once, not kept logged in")]
    RefreshAccessFlash,
    /// `refresh` was set without `user`: the access type must name the user
    /// it belongs to, as its refresh type does.
    #[error("an access type with a refresh type must name its user (user = \"field\")")]
    RefreshAccessUser,
    /// The refresh type is in cookie mode: a refresh session is rotated and
    /// revoked (with its whole family) on the server, so it lives in a store.
    #[error("the refresh type of an access type must be a store-mode session")]
    RefreshCookieMode,
    /// The refresh type has a refresh type of its own: a hybrid session is
    /// one access type and one refresh type, not a chain.
    #[error("the refresh type of an access type cannot have a refresh type of its own")]
    RefreshChained,
    /// The refresh type does not name its user: rotation, family
    /// revocation and logout everywhere go through store mode's per-user
    /// index.
    #[error("the refresh type of an access type must name its user (user = \"field\")")]
    RefreshUser,
    /// The access type's `max_age` is not shorter than its refresh type's:
    /// the access cookie is the short-lived half of the pair.
    #[error("an access type's max_age must be shorter than its refresh type's max_age")]
    RefreshMaxAge,
}

impl SpecError {
    /// The message, usable in `const` contexts (where `Display` is not).
    pub const fn message(self) -> &'static str {
        match self {
            SpecError::CookieName => {
                "invalid session spec: cookie name must be 1..=255 RFC 6265 token characters"
            }
            SpecError::Namespace => "invalid session spec: namespace must match [a-z0-9_.-]{1,64}",
            SpecError::Version => "invalid session spec: version must be at least 1",
            SpecError::MaxAge => {
                "invalid session spec: max_age must be between 1 second and 400 days"
            }
            SpecError::RenewAfter => {
                "invalid session spec: renew_after must be shorter than max_age"
            }
            SpecError::AbsoluteMaxAge => {
                "invalid session spec: absolute_max_age must be at least max_age (and fit a u32)"
            }
            SpecError::Path => {
                "invalid session spec: path must start with `/` and contain no `;` or controls"
            }
            SpecError::Domain => {
                "invalid session spec: domain must be non-empty, without `;`, spaces or controls"
            }
            SpecError::HostPrefix => {
                "invalid session spec: a `__Host-` cookie needs path \"/\", no domain, and Secure"
            }
            SpecError::SecurePrefix => {
                "invalid session spec: a `__Secure-` cookie cannot opt out of Secure"
            }
            SpecError::SameSiteNoneInsecure => {
                "invalid session spec: same_site = \"none\" requires secure"
            }
            SpecError::StoreOnly => {
                "invalid session spec: touch_after and max_per_user need store mode"
            }
            SpecError::CookieOnly => {
                "invalid session spec: renew_after is for cookie mode; store mode uses touch_after"
            }
            SpecError::TouchAfter => {
                "invalid session spec: touch_after must be shorter than max_age"
            }
            SpecError::MaxPerUser => "invalid session spec: max_per_user must be at least 1",
            SpecError::EncryptedStore => {
                "invalid session spec: encrypted is for cookie mode; a store-mode id is already opaque"
            }
            SpecError::AsymmetricStore => {
                "invalid session spec: asymmetric is for cookie mode; a store-mode cookie is only an id"
            }
            SpecError::AsymmetricEncrypted => {
                "invalid session spec: asymmetric cannot be encrypted (verifiers must read the payload)"
            }
            SpecError::AsymmetricFingerprint => {
                "invalid session spec: asymmetric cannot bind a fingerprint (verifiers hold no secret)"
            }
            SpecError::RevocableStore => {
                "invalid session spec: revocable is for cookie mode; store mode deletes rows instead"
            }
            SpecError::RevocableLifetime => {
                "invalid session spec: revocable needs absolute_max_age (it bounds the revocation table)"
            }
            SpecError::FlashStore => {
                "invalid session spec: flash is for cookie mode; a flash message lives in its cookie"
            }
            SpecError::FlashRevocable => {
                "invalid session spec: flash cannot be revocable (a flash is read once and soon expires)"
            }
            SpecError::FlashMaxAge => {
                "invalid session spec: a flash message's max_age must be at most 1 hour"
            }
            SpecError::PartitionedInsecure => {
                "invalid session spec: partitioned requires secure (or a __Host-/__Secure- name)"
            }
            SpecError::PartitionedSameSite => {
                "invalid session spec: partitioned requires same_site = \"none\""
            }
            SpecError::RefreshAccessStore => {
                "invalid session spec: refresh is for a cookie-mode access type, not a store-mode one"
            }
            SpecError::RefreshAccessFlash => {
                "invalid session spec: a flash message cannot have a refresh type (it is read once)"
            }
            SpecError::RefreshAccessUser => {
                "invalid session spec: an access type with a refresh type must name its user (`user`)"
            }
            SpecError::RefreshCookieMode => {
                "invalid session spec: the refresh type of an access type must be in store mode (`store`)"
            }
            SpecError::RefreshChained => {
                "invalid session spec: the refresh type of an access type cannot have a refresh type itself"
            }
            SpecError::RefreshUser => {
                "invalid session spec: the refresh type of an access type must name its user (`user`)"
            }
            SpecError::RefreshMaxAge => {
                "invalid session spec: an access type's max_age must be shorter than its refresh type's"
            }
        }
    }
}

/// Everything a session type declares: cookie name, namespace, schema version,
/// lifetime and cookie attributes.
///
/// Built only through [`SessionSpec::builder`], so a `SessionSpec` value always
/// satisfies the rules listed on [`SpecError`].
///
/// ```
/// use session_core::{SameSite, SessionSpec};
///
/// const SPEC: SessionSpec = SessionSpec::builder("AdminSession", "__Host-admin", "admin")
///     .version(2)
///     .max_age_secs(8 * 3600)
///     .same_site(SameSite::Strict)
///     .build();
/// assert_eq!(SPEC.renew_after_secs(), 4 * 3600);
/// assert!(SPEC.secure()); // implied by the __Host- prefix
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SessionSpec {
    type_name: &'static str,
    cookie: &'static str,
    namespace: &'static str,
    version: u32,
    max_age_secs: u64,
    renew_after_secs: u64,
    absolute_max_age_secs: Option<u64>,
    path: &'static str,
    domain: Option<&'static str>,
    same_site: SameSite,
    http_only: bool,
    secure: bool,
    storage: Storage,
    encrypted: bool,
    asymmetric: bool,
    revocable: bool,
    flash: bool,
    partitioned: bool,
    fingerprint: bool,
    touch_after_secs: u64,
    max_per_user: Option<u32>,
    user: bool,
    refresh: Option<&'static SessionSpec>,
}

impl SessionSpec {
    /// Starts a spec for the Rust type `type_name` (used in messages only), with
    /// the given cookie name and namespace and every other field at its default.
    pub const fn builder(
        type_name: &'static str,
        cookie: &'static str,
        namespace: &'static str,
    ) -> SessionSpecBuilder {
        SessionSpecBuilder {
            type_name,
            cookie,
            namespace,
            version: 1,
            max_age_secs: None,
            renew_after_secs: None,
            absolute_max_age_secs: None,
            path: "/",
            domain: None,
            same_site: SameSite::Lax,
            http_only: true,
            secure: None,
            storage: Storage::Cookie,
            encrypted: false,
            asymmetric: false,
            revocable: false,
            flash: false,
            partitioned: false,
            fingerprint: false,
            touch_after_secs: None,
            max_per_user: None,
            user: false,
            refresh: None,
        }
    }

    /// The Rust type this spec belongs to, for messages.
    pub const fn type_name(&self) -> &'static str {
        self.type_name
    }
    /// The cookie name.
    pub const fn cookie(&self) -> &'static str {
        self.cookie
    }
    /// The namespace: the unit of key separation.
    pub const fn namespace(&self) -> &'static str {
        self.namespace
    }
    /// The current schema version (≥ 1).
    pub const fn version(&self) -> u32 {
        self.version
    }
    /// Lifetime of an issued cookie, in seconds.
    pub const fn max_age_secs(&self) -> u64 {
        self.max_age_secs
    }
    /// Age after which an opened cookie is re-issued with a fresh lifetime.
    pub const fn renew_after_secs(&self) -> u64 {
        self.renew_after_secs
    }
    /// The absolute lifetime of a session, counted from when it started
    /// (login), in seconds; `None` when only the idle `max_age` applies.
    /// No renewal, touch or re-issue extends a session past it.
    pub const fn absolute_max_age_secs(&self) -> Option<u64> {
        self.absolute_max_age_secs
    }
    /// When a session that started at `started` (unix seconds) ends for
    /// good: `started + absolute_max_age`, or `None` without an absolute
    /// lifetime.
    pub const fn absolute_expiry(&self, started: u64) -> Option<u64> {
        match self.absolute_max_age_secs {
            Some(secs) => Some(started.saturating_add(secs)),
            None => None,
        }
    }
    /// The expiry of a value (cookie mode) or row and cookie (store mode)
    /// written at `now` for a session that started at `started`, both unix
    /// seconds: `now + max_age`, but never past
    /// [`absolute_expiry`](Self::absolute_expiry).
    ///
    /// ```
    /// use session_core::SessionSpec;
    ///
    /// const SPEC: SessionSpec = SessionSpec::builder("S", "sid", "app")
    ///     .max_age_secs(3600)
    ///     .absolute_max_age_secs(86_400)
    ///     .build();
    /// assert_eq!(SPEC.expiry(0, 1000), 4600); // idle clock
    /// assert_eq!(SPEC.expiry(0, 85_000), 86_400); // absolute clock
    /// ```
    pub const fn expiry(&self, started: u64, now: u64) -> u64 {
        let idle = now.saturating_add(self.max_age_secs);
        match self.absolute_expiry(started) {
            Some(cap) if cap < idle => cap,
            _ => idle,
        }
    }
    /// The cookie's `Path` attribute.
    pub const fn path(&self) -> &'static str {
        self.path
    }
    /// The cookie's `Domain` attribute, if any (host-only when `None`).
    pub const fn domain(&self) -> Option<&'static str> {
        self.domain
    }
    /// The cookie's `SameSite` attribute.
    pub const fn same_site(&self) -> SameSite {
        self.same_site
    }
    /// Whether the cookie is `HttpOnly`.
    pub const fn http_only(&self) -> bool {
        self.http_only
    }
    /// Whether the cookie must always be `Secure`, whatever the layer's policy
    /// (declared, or implied by a `__Host-`/`__Secure-` prefix or `SameSite=None`).
    pub const fn secure(&self) -> bool {
        self.secure
    }
    /// Where the payload lives: in the cookie or in a session store.
    pub const fn storage(&self) -> Storage {
        self.storage
    }
    /// Whether the payload lives in a session store.
    pub const fn is_stored(&self) -> bool {
        matches!(self.storage, Storage::Store)
    }
    /// Whether the payload is encrypted (wire format 2, XChaCha20-Poly1305):
    /// the cookie then hides its JSON as well as authenticating it. Signed
    /// types (format 1) only authenticate; their JSON is readable by anyone
    /// holding the cookie. A type opens only values of its own format.
    pub const fn is_encrypted(&self) -> bool {
        self.encrypted
    }
    /// Whether values are signed with Ed25519 (wire format 3,
    /// `#[session(asymmetric)]`): sealed with a signing key derived from the
    /// secret, and opened with its public key alone, so services holding
    /// only a [`VerifyingKeyring`](crate::VerifyingKeyring) can check them
    /// but never mint them. The payload is readable, as for signed types.
    /// Cookie mode only, never encrypted; a type opens only its own format.
    pub const fn is_asymmetric(&self) -> bool {
        self.asymmetric
    }
    /// Whether sessions of this type can be ended before they expire in
    /// cookie mode: a value opens only if its session started at or after
    /// every revocation covering its user and namespace (see
    /// `session_core::revocation`). Store-mode types are revocable by
    /// nature and report `false` here.
    pub const fn is_revocable(&self) -> bool {
        self.revocable
    }
    /// Whether this type is a flash message (`#[session(flash)]`): written
    /// by one request, read once by a later one (axum's `Flash<T>` clears
    /// the cookie on the response of the request that reads it), and
    /// short-lived: `max_age` at most one hour, five minutes unless given.
    /// Always a cookie-mode type, never revocable.
    pub const fn is_flash(&self) -> bool {
        self.flash
    }
    /// Whether the cookie carries the `Partitioned` attribute (CHIPS,
    /// "Cookies Having Independent Partitioned State"): the browser keeps a
    /// separate copy of it for each top-level site that embeds this one, so
    /// an embedded app keeps its session without third-party cookies.
    /// Always `Secure` and `SameSite=None`. Supported by Chrome 114+ and
    /// Safari 18.4+; Firefox ignores the attribute (and partitions
    /// third-party cookies by itself). Removal cookies carry it too, or
    /// the browser would not match them to the partitioned cookie.
    pub const fn partitioned(&self) -> bool {
        self.partitioned
    }
    /// Whether sessions of this type are bound to the browser that logged
    /// in (`#[session(fingerprint)]`): a keyed hash of its `User-Agent` and
    /// `Accept-Language` is recorded at login (in the row in store mode, in
    /// the sealed value in cookie mode) and compared on every request; see
    /// [`crate::fingerprint`].
    pub const fn binds_fingerprint(&self) -> bool {
        self.fingerprint
    }
    /// Store mode: a stored session's expiry is pushed back to now + `max_age`
    /// when it is used and its last touch is at least this old.
    pub const fn touch_after_secs(&self) -> u64 {
        self.touch_after_secs
    }
    /// Store mode: most sessions one user may hold at once (the least
    /// recently used beyond it are ended); `None` for no limit.
    pub const fn max_per_user(&self) -> Option<u32> {
        self.max_per_user
    }
    /// Whether the payload names the user its sessions belong to
    /// (`#[session(user = "field")]`, read through
    /// [`SessionPayload::session_user`](crate::SessionPayload::session_user)).
    /// Set by [`SessionSpecBuilder::user`]; required of both types of a
    /// hybrid session.
    pub const fn has_user(&self) -> bool {
        self.user
    }
    /// For the access type of a hybrid session (`#[session(refresh = R)]`):
    /// the spec of its refresh type `R`, a store-mode type with a user and
    /// a longer `max_age`, from whose sessions an absent or expired access
    /// cookie is refreshed. `None` for every other type.
    pub const fn refresh(&self) -> Option<&'static SessionSpec> {
        self.refresh
    }

    /// Upper bound of the bytes the attributes add to `name=value` in a
    /// `Set-Cookie` header (assuming `Secure` is written).
    pub const fn attributes_len(&self) -> usize {
        // "; Max-Age=" + up to 20 digits
        let mut len = 10 + 20;
        len += "; Path=".len() + self.path.len();
        if let Some(domain) = self.domain {
            len += "; Domain=".len() + domain.len();
        }
        len += "; SameSite=".len() + self.same_site.as_str().len();
        if self.http_only {
            len += "; HttpOnly".len();
        }
        if self.partitioned {
            len += "; Partitioned".len();
        }
        len += "; Secure".len();
        len
    }
}

/// Const builder of a [`SessionSpec`]; see [`SessionSpec::builder`].
#[derive(Clone, Copy, Debug)]
#[must_use = "call .build() to obtain the SessionSpec"]
pub struct SessionSpecBuilder {
    type_name: &'static str,
    cookie: &'static str,
    namespace: &'static str,
    version: u32,
    /// `None`: the default, which depends on `flash`.
    max_age_secs: Option<u64>,
    renew_after_secs: Option<u64>,
    absolute_max_age_secs: Option<u64>,
    path: &'static str,
    domain: Option<&'static str>,
    same_site: SameSite,
    http_only: bool,
    secure: Option<bool>,
    storage: Storage,
    encrypted: bool,
    asymmetric: bool,
    revocable: bool,
    flash: bool,
    partitioned: bool,
    fingerprint: bool,
    touch_after_secs: Option<u64>,
    max_per_user: Option<u32>,
    user: bool,
    refresh: Option<&'static SessionSpec>,
}

impl SessionSpecBuilder {
    /// Current schema version (default 1).
    pub const fn version(mut self, version: u32) -> Self {
        self.version = version;
        self
    }
    /// Lifetime in seconds (default one day; five minutes for a
    /// [`flash`](Self::flash) type).
    pub const fn max_age_secs(mut self, secs: u64) -> Self {
        self.max_age_secs = Some(secs);
        self
    }
    /// Renewal point in seconds (default half of `max_age`).
    pub const fn renew_after_secs(mut self, secs: u64) -> Self {
        self.renew_after_secs = Some(secs);
        self
    }
    /// Absolute lifetime in seconds from the session's start (default none);
    /// at least `max_age`.
    pub const fn absolute_max_age_secs(mut self, secs: u64) -> Self {
        self.absolute_max_age_secs = Some(secs);
        self
    }
    /// `Path` attribute (default `/`).
    pub const fn path(mut self, path: &'static str) -> Self {
        self.path = path;
        self
    }
    /// `Domain` attribute (default none: host-only).
    pub const fn domain(mut self, domain: &'static str) -> Self {
        self.domain = Some(domain);
        self
    }
    /// `SameSite` attribute (default `Lax`).
    pub const fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }
    /// `HttpOnly` attribute (default on).
    pub const fn http_only(mut self, http_only: bool) -> Self {
        self.http_only = http_only;
        self
    }
    /// Force `Secure` on (`true`) or leave it to the layer's policy (`false`).
    pub const fn secure(mut self, secure: bool) -> Self {
        self.secure = Some(secure);
        self
    }

    /// Keep the payload in a session store; the cookie carries only a sealed id.
    pub const fn store(mut self) -> Self {
        self.storage = Storage::Store;
        self
    }
    /// Encrypt the payload (wire format 2): the cookie's JSON is hidden as
    /// well as authenticated, under a key of its own per (namespace, cookie
    /// name). Cookie mode only; see [`SessionSpec::is_encrypted`].
    pub const fn encrypted(mut self) -> Self {
        self.encrypted = true;
        self
    }
    /// Sign with Ed25519 (wire format 3) instead of HMAC: values then open
    /// with the public key alone. Cookie mode only, not with
    /// [`encrypted`](Self::encrypted); see [`SessionSpec::is_asymmetric`].
    pub const fn asymmetric(mut self) -> Self {
        self.asymmetric = true;
        self
    }
    /// Make cookie-mode sessions of this type revocable (see
    /// [`SessionSpec::is_revocable`]). Needs `absolute_max_age`, which bounds
    /// how long a revocation is remembered, and a `user` on the payload
    /// ([`SessionPayload::session_user`](crate::SessionPayload::session_user))
    /// for per-user revocation.
    pub const fn revocable(mut self) -> Self {
        self.revocable = true;
        self
    }
    /// Make this type a flash message (see [`SessionSpec::is_flash`]).
    /// Cookie mode only, not revocable, and `max_age` at most one hour
    /// (`session_rules::MAX_FLASH_MAX_AGE_SECS`). Without an explicit
    /// [`max_age_secs`](Self::max_age_secs) the builder itself defaults a
    /// flash type's lifetime to five minutes
    /// (`session_rules::DEFAULT_FLASH_MAX_AGE_SECS`), in any order of
    /// calls; the derive writes the same default out.
    pub const fn flash(mut self) -> Self {
        self.flash = true;
        self
    }
    /// Add the `Partitioned` attribute to the cookie (see
    /// [`SessionSpec::partitioned`]). Needs `Secure` (declared, or implied
    /// by a `__Host-`/`__Secure-` name) and `SameSite=None`.
    pub const fn partitioned(mut self) -> Self {
        self.partitioned = true;
        self
    }
    /// Bind sessions of this type to the browser that logged in (see
    /// [`SessionSpec::binds_fingerprint`]).
    pub const fn fingerprint(mut self) -> Self {
        self.fingerprint = true;
        self
    }
    /// Store mode: touch interval in seconds (default five minutes, or half of
    /// `max_age` when that is shorter).
    pub const fn touch_after_secs(mut self, secs: u64) -> Self {
        self.touch_after_secs = Some(secs);
        self
    }
    /// Store mode: most sessions one user may hold (default unlimited).
    pub const fn max_per_user(mut self, max: u32) -> Self {
        self.max_per_user = Some(max);
        self
    }
    /// The payload names its user: its
    /// [`SessionPayload::session_user`](crate::SessionPayload::session_user)
    /// reads the field that identifies the user (see
    /// [`SessionSpec::has_user`]). The derive calls it for every type with
    /// `user = "..."`; both types of a hybrid session need it.
    pub const fn user(mut self) -> Self {
        self.user = true;
        self
    }
    /// Make this type the access type of a hybrid session whose refresh
    /// type has the spec `spec` (see [`SessionSpec::refresh`]).
    ///
    /// The access type must be in cookie mode, not a flash message, and
    /// name its [`user`](Self::user); `spec` must be in store mode, name its
    /// user, have no refresh type of its own, and have a longer `max_age`
    /// than this type.
    ///
    /// ```
    /// use session_core::SessionSpec;
    ///
    /// const REFRESH: SessionSpec = SessionSpec::builder("AdminRefresh", "__Host-admin_refresh", "admin_refresh")
    ///     .max_age_secs(30 * 86_400)
    ///     .store()
    ///     .user()
    ///     .build();
    /// const ACCESS: SessionSpec = SessionSpec::builder("AdminAccess", "__Host-admin", "admin")
    ///     .max_age_secs(300)
    ///     .user()
    ///     .refresh(&REFRESH)
    ///     .build();
    /// assert_eq!(ACCESS.refresh(), Some(&REFRESH));
    /// ```
    pub const fn refresh(mut self, spec: &'static SessionSpec) -> Self {
        self.refresh = Some(spec);
        self
    }

    /// Checks every rule and returns the spec or the first rule broken.
    pub const fn try_build(self) -> Result<SessionSpec, SpecError> {
        if !is_cookie_name(self.cookie) {
            return Err(SpecError::CookieName);
        }
        if !is_namespace(self.namespace) {
            return Err(SpecError::Namespace);
        }
        if self.version == 0 {
            return Err(SpecError::Version);
        }
        let max_age_secs = match self.max_age_secs {
            Some(secs) => secs,
            None if self.flash => DEFAULT_FLASH_MAX_AGE_SECS,
            None => DEFAULT_MAX_AGE_SECS,
        };
        if max_age_secs == 0 || max_age_secs > MAX_MAX_AGE_SECS {
            return Err(SpecError::MaxAge);
        }
        let stored = matches!(self.storage, Storage::Store);
        let renew_after_secs = match self.renew_after_secs {
            Some(_) if stored => return Err(SpecError::CookieOnly),
            Some(secs) => secs,
            None => default_renew_after_secs(max_age_secs),
        };
        if renew_after_secs >= max_age_secs {
            return Err(SpecError::RenewAfter);
        }
        if let Some(secs) = self.absolute_max_age_secs
            && (secs < max_age_secs || secs > MAX_ABSOLUTE_MAX_AGE_SECS)
        {
            return Err(SpecError::AbsoluteMaxAge);
        }
        if !stored && (self.touch_after_secs.is_some() || self.max_per_user.is_some()) {
            return Err(SpecError::StoreOnly);
        }
        let touch_after_secs = match self.touch_after_secs {
            Some(secs) => secs,
            None => default_touch_after_secs(max_age_secs),
        };
        if touch_after_secs >= max_age_secs {
            return Err(SpecError::TouchAfter);
        }
        if matches!(self.max_per_user, Some(0)) {
            return Err(SpecError::MaxPerUser);
        }
        if stored && self.encrypted {
            return Err(SpecError::EncryptedStore);
        }
        if stored && self.asymmetric {
            return Err(SpecError::AsymmetricStore);
        }
        if self.asymmetric && self.encrypted {
            return Err(SpecError::AsymmetricEncrypted);
        }
        if self.asymmetric && self.fingerprint {
            return Err(SpecError::AsymmetricFingerprint);
        }
        if self.revocable && stored {
            return Err(SpecError::RevocableStore);
        }
        if self.revocable && self.absolute_max_age_secs.is_none() {
            return Err(SpecError::RevocableLifetime);
        }
        if self.flash && stored {
            return Err(SpecError::FlashStore);
        }
        if self.flash && self.revocable {
            return Err(SpecError::FlashRevocable);
        }
        if self.flash && max_age_secs > MAX_FLASH_MAX_AGE_SECS {
            return Err(SpecError::FlashMaxAge);
        }
        if let Some(refresh) = self.refresh {
            if stored {
                return Err(SpecError::RefreshAccessStore);
            }
            if self.flash {
                return Err(SpecError::RefreshAccessFlash);
            }
            if !self.user {
                return Err(SpecError::RefreshAccessUser);
            }
            if !refresh.is_stored() {
                return Err(SpecError::RefreshCookieMode);
            }
            if refresh.refresh.is_some() {
                return Err(SpecError::RefreshChained);
            }
            if !refresh.user {
                return Err(SpecError::RefreshUser);
            }
            if max_age_secs >= refresh.max_age_secs {
                return Err(SpecError::RefreshMaxAge);
            }
        }
        if !is_cookie_path(self.path) {
            return Err(SpecError::Path);
        }
        if let Some(domain) = self.domain
            && !is_cookie_domain(domain)
        {
            return Err(SpecError::Domain);
        }
        let explicit_insecure = matches!(self.secure, Some(false));
        let mut secure = matches!(self.secure, Some(true));
        match cookie_prefix(self.cookie) {
            Some(CookiePrefix::Host) => {
                if explicit_insecure || self.domain.is_some() || !str_eq(self.path, "/") {
                    return Err(SpecError::HostPrefix);
                }
                secure = true;
            }
            Some(CookiePrefix::Secure) => {
                if explicit_insecure {
                    return Err(SpecError::SecurePrefix);
                }
                secure = true;
            }
            None => {}
        }
        if matches!(self.same_site, SameSite::None) && !secure {
            return Err(SpecError::SameSiteNoneInsecure);
        }
        if self.partitioned && !secure {
            return Err(SpecError::PartitionedInsecure);
        }
        if self.partitioned && !matches!(self.same_site, SameSite::None) {
            return Err(SpecError::PartitionedSameSite);
        }
        Ok(SessionSpec {
            type_name: self.type_name,
            cookie: self.cookie,
            namespace: self.namespace,
            version: self.version,
            max_age_secs,
            renew_after_secs,
            absolute_max_age_secs: self.absolute_max_age_secs,
            path: self.path,
            domain: self.domain,
            same_site: self.same_site,
            http_only: self.http_only,
            secure,
            storage: self.storage,
            encrypted: self.encrypted,
            asymmetric: self.asymmetric,
            revocable: self.revocable,
            flash: self.flash,
            partitioned: self.partitioned,
            fingerprint: self.fingerprint,
            touch_after_secs,
            max_per_user: self.max_per_user,
            user: self.user,
            refresh: self.refresh,
        })
    }

    /// Checks every rule and returns the spec.
    ///
    /// # Panics
    ///
    /// When a rule is broken. Used in a `const` item this is a compile error
    /// with the rule's message, which is where it is meant to be used.
    pub const fn build(self) -> SessionSpec {
        match self.try_build() {
            Ok(spec) => spec,
            Err(error) => panic!("{}", error.message()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> SessionSpecBuilder {
        SessionSpec::builder("T", "sid", "app")
    }

    /// A valid refresh type: store mode, with a user, living 30 days.
    const REFRESH: SessionSpec = SessionSpec::builder("R", "rid", "refresh")
        .max_age_secs(30 * 86_400)
        .store()
        .user()
        .build();
    /// A refresh type in cookie mode.
    const COOKIE_REFRESH: SessionSpec = SessionSpec::builder("R", "rid", "refresh")
        .max_age_secs(30 * 86_400)
        .user()
        .build();
    /// A refresh type without a user.
    const ANONYMOUS: SessionSpec = SessionSpec::builder("R", "rid", "refresh")
        .max_age_secs(30 * 86_400)
        .store()
        .build();
    /// A store-mode refresh type living one day, as long as the default.
    const DAY_REFRESH: SessionSpec = SessionSpec::builder("R", "rid", "refresh")
        .store()
        .user()
        .build();
    /// A refresh type that is itself an access type, of `REFRESH` (it is in
    /// store mode, so it is not a valid spec: built unchecked).
    const CHAINED: SessionSpec = SessionSpec {
        refresh: Some(&REFRESH),
        ..REFRESH
    };

    /// An access type for `REFRESH`, short of the `refresh` call.
    fn access() -> SessionSpecBuilder {
        base().max_age_secs(300).user()
    }

    #[test]
    fn defaults() {
        let spec = base().build();
        assert_eq!(spec.version(), 1);
        assert_eq!(spec.max_age_secs(), 86_400);
        assert_eq!(spec.renew_after_secs(), 43_200);
        assert_eq!(spec.path(), "/");
        assert_eq!(spec.domain(), None);
        assert_eq!(spec.same_site(), SameSite::Lax);
        assert!(spec.http_only());
        assert!(!spec.secure());
        assert!(!spec.is_encrypted());
        assert!(!spec.is_asymmetric());
        let asymmetric = base().asymmetric().build();
        assert!(asymmetric.is_asymmetric() && !asymmetric.is_encrypted());
        assert_eq!(asymmetric.storage(), Storage::Cookie);
        let encrypted = base().encrypted().absolute_max_age_secs(7 * 86_400).build();
        assert!(encrypted.is_encrypted());
        assert_eq!(encrypted.storage(), Storage::Cookie);
    }

    #[test]
    fn store_mode_defaults() {
        let cookie = base().build();
        assert_eq!(cookie.storage(), Storage::Cookie);
        assert!(!cookie.is_stored());
        let stored = base().store().build();
        assert!(stored.is_stored());
        assert_eq!(
            stored.touch_after_secs(),
            session_rules::DEFAULT_TOUCH_AFTER_SECS
        );
        assert_eq!(stored.max_per_user(), None);
        // A short-lived session touches at half its lifetime.
        let short = base().store().max_age_secs(120).build();
        assert_eq!(short.touch_after_secs(), 60);
        let capped = base().store().touch_after_secs(30).max_per_user(3).build();
        assert_eq!(capped.touch_after_secs(), 30);
        assert_eq!(capped.max_per_user(), Some(3));
    }

    #[test]
    fn every_rule_is_enforced() {
        let cases = [
            (SessionSpec::builder("T", "", "app"), SpecError::CookieName),
            (
                SessionSpec::builder("T", "a b", "app"),
                SpecError::CookieName,
            ),
            (
                SessionSpec::builder("T", "a=b", "app"),
                SpecError::CookieName,
            ),
            (
                SessionSpec::builder("T", "sid", "App"),
                SpecError::Namespace,
            ),
            (SessionSpec::builder("T", "sid", ""), SpecError::Namespace),
            (base().version(0), SpecError::Version),
            (base().max_age_secs(0), SpecError::MaxAge),
            (base().touch_after_secs(10), SpecError::StoreOnly),
            (base().max_per_user(3), SpecError::StoreOnly),
            (base().store().renew_after_secs(10), SpecError::CookieOnly),
            (
                base().store().max_age_secs(60).touch_after_secs(60),
                SpecError::TouchAfter,
            ),
            (base().store().max_per_user(0), SpecError::MaxPerUser),
            (base().store().encrypted(), SpecError::EncryptedStore),
            (base().encrypted().store(), SpecError::EncryptedStore),
            (base().asymmetric().store(), SpecError::AsymmetricStore),
            (base().store().asymmetric(), SpecError::AsymmetricStore),
            (
                base().asymmetric().encrypted(),
                SpecError::AsymmetricEncrypted,
            ),
            (
                base().encrypted().asymmetric(),
                SpecError::AsymmetricEncrypted,
            ),
            (
                base().fingerprint().asymmetric(),
                SpecError::AsymmetricFingerprint,
            ),
            (base().max_age_secs(MAX_MAX_AGE_SECS + 1), SpecError::MaxAge),
            (
                base().max_age_secs(60).renew_after_secs(60),
                SpecError::RenewAfter,
            ),
            (
                base().max_age_secs(60).absolute_max_age_secs(59),
                SpecError::AbsoluteMaxAge,
            ),
            (
                base().absolute_max_age_secs(MAX_ABSOLUTE_MAX_AGE_SECS + 1),
                SpecError::AbsoluteMaxAge,
            ),
            (base().path("admin"), SpecError::Path),
            (base().path("/a;b"), SpecError::Path),
            (base().domain(""), SpecError::Domain),
            (base().domain("a b"), SpecError::Domain),
            (
                SessionSpec::builder("T", "__Host-sid", "app").path("/admin"),
                SpecError::HostPrefix,
            ),
            (
                SessionSpec::builder("T", "__Host-sid", "app").domain("example.com"),
                SpecError::HostPrefix,
            ),
            (
                SessionSpec::builder("T", "__Host-sid", "app").secure(false),
                SpecError::HostPrefix,
            ),
            (
                SessionSpec::builder("T", "__Secure-sid", "app").secure(false),
                SpecError::SecurePrefix,
            ),
            (
                base().same_site(SameSite::None),
                SpecError::SameSiteNoneInsecure,
            ),
            (base().store().flash(), SpecError::FlashStore),
            (base().flash().store(), SpecError::FlashStore),
            (
                base().flash().revocable().absolute_max_age_secs(3600),
                SpecError::FlashRevocable,
            ),
            (
                base().flash().max_age_secs(MAX_FLASH_MAX_AGE_SECS + 1),
                SpecError::FlashMaxAge,
            ),
            (base().max_age_secs(86_400).flash(), SpecError::FlashMaxAge),
            (base().partitioned(), SpecError::PartitionedInsecure),
            (
                base().partitioned().secure(true),
                SpecError::PartitionedSameSite,
            ),
            (
                SessionSpec::builder("T", "__Host-sid", "app").partitioned(),
                SpecError::PartitionedSameSite,
            ),
            // SameSite=None without Secure is reported first, as the derive does.
            (
                base().partitioned().same_site(SameSite::None),
                SpecError::SameSiteNoneInsecure,
            ),
            (
                access().store().refresh(&REFRESH),
                SpecError::RefreshAccessStore,
            ),
            (
                access().flash().refresh(&REFRESH),
                SpecError::RefreshAccessFlash,
            ),
            (
                base().max_age_secs(300).refresh(&REFRESH),
                SpecError::RefreshAccessUser,
            ),
            (
                access().refresh(&COOKIE_REFRESH),
                SpecError::RefreshCookieMode,
            ),
            (access().refresh(&CHAINED), SpecError::RefreshChained),
            (access().refresh(&ANONYMOUS), SpecError::RefreshUser),
            (
                access().max_age_secs(30 * 86_400).refresh(&REFRESH),
                SpecError::RefreshMaxAge,
            ),
            (
                access().max_age_secs(31 * 86_400).refresh(&REFRESH),
                SpecError::RefreshMaxAge,
            ),
            // Without `max_age`, the access type's is the default day.
            (
                base().user().refresh(&DAY_REFRESH),
                SpecError::RefreshMaxAge,
            ),
        ];
        for (builder, expected) in cases {
            assert_eq!(builder.try_build(), Err(expected), "{builder:?}");
        }
    }

    #[test]
    fn two_clocks() {
        let idle_only = base().max_age_secs(60).build();
        assert_eq!(idle_only.absolute_max_age_secs(), None);
        assert_eq!(idle_only.absolute_expiry(100), None);
        assert_eq!(idle_only.expiry(0, 1_000_000), 1_000_060);

        let both = base().max_age_secs(60).absolute_max_age_secs(3600).build();
        assert_eq!(both.absolute_max_age_secs(), Some(3600));
        assert_eq!(both.absolute_expiry(100), Some(3700));
        assert_eq!(both.expiry(100, 200), 260);
        assert_eq!(both.expiry(100, 3650), 3700);
        assert_eq!(both.expiry(100, 5000), 3700);
        // Equal clocks are allowed: the session simply never slides.
        let equal = base().max_age_secs(60).absolute_max_age_secs(60).build();
        assert_eq!(equal.expiry(0, 30), 60);
        assert_eq!(u64::MAX, base().build().expiry(0, u64::MAX));
    }

    #[test]
    fn prefixes_imply_secure_case_insensitively() {
        assert!(
            SessionSpec::builder("T", "__host-sid", "a")
                .build()
                .secure()
        );
        assert!(
            SessionSpec::builder("T", "__Secure-sid", "a")
                .build()
                .secure()
        );
        let none = base().same_site(SameSite::None).secure(true).build();
        assert!(none.secure());
    }

    #[test]
    fn const_helpers() {
        assert!(str_eq("abc", "abc"));
        assert!(!str_eq("abc", "abd"));
        assert!(!str_eq("abc", "ab"));
        assert!(is_cookie_name("__Host-admin_sid.v2"));
        assert!(!is_cookie_name("naïve"));
    }

    #[test]
    fn same_site_displays_as_its_attribute_value() {
        assert_eq!(SameSite::Strict.to_string(), "Strict");
        assert_eq!(SameSite::Lax.to_string(), "Lax");
        assert_eq!(SameSite::None.to_string(), "None");
    }

    #[test]
    fn every_const_message_names_the_rule_and_is_its_own() {
        let all = [
            SpecError::CookieName,
            SpecError::Namespace,
            SpecError::Version,
            SpecError::MaxAge,
            SpecError::RenewAfter,
            SpecError::AbsoluteMaxAge,
            SpecError::Path,
            SpecError::Domain,
            SpecError::HostPrefix,
            SpecError::SecurePrefix,
            SpecError::SameSiteNoneInsecure,
            SpecError::StoreOnly,
            SpecError::CookieOnly,
            SpecError::TouchAfter,
            SpecError::MaxPerUser,
            SpecError::EncryptedStore,
            SpecError::AsymmetricStore,
            SpecError::AsymmetricEncrypted,
            SpecError::AsymmetricFingerprint,
            SpecError::RevocableStore,
            SpecError::RevocableLifetime,
            SpecError::FlashStore,
            SpecError::FlashRevocable,
            SpecError::FlashMaxAge,
            SpecError::PartitionedInsecure,
            SpecError::PartitionedSameSite,
            SpecError::RefreshAccessStore,
            SpecError::RefreshAccessFlash,
            SpecError::RefreshAccessUser,
            SpecError::RefreshCookieMode,
            SpecError::RefreshChained,
            SpecError::RefreshUser,
            SpecError::RefreshMaxAge,
        ];
        let messages: std::collections::BTreeSet<&str> =
            all.iter().map(|error| error.message()).collect();
        assert_eq!(messages.len(), all.len(), "one message per rule");
        for error in all {
            let message = error.message();
            let rule = message
                .strip_prefix("invalid session spec: ")
                .unwrap_or_else(|| panic!("{error:?}: {message}"));
            assert!(rule.len() > 20, "{error:?}: {message}");
        }
        assert!(SpecError::MaxAge.message().contains("max_age"));
        assert!(SpecError::Domain.message().contains("domain"));
    }

    #[test]
    fn domain_and_http_only_are_what_was_set() {
        let spec = base().domain("example.com").http_only(false).build();
        assert_eq!(spec.domain(), Some("example.com"));
        assert!(!spec.http_only());
    }

    #[test]
    fn attributes_len_is_the_longest_attributes_the_cookie_can_have() {
        // Every attribute written, with the longest Max-Age (20 digits).
        let full = base()
            .path("/admin")
            .domain("example.com")
            .same_site(SameSite::Strict)
            .build();
        let written = format!(
            "; Max-Age={}; Path=/admin; Domain=example.com; SameSite=Strict; HttpOnly; Secure",
            u64::MAX
        );
        assert_eq!(u64::MAX.to_string().len(), 20);
        assert_eq!(full.attributes_len(), written.len());
        // Without a domain or HttpOnly, those attributes are not counted.
        let bare = base().http_only(false).build();
        let written = format!("; Max-Age={}; Path=/; SameSite=Lax; Secure", u64::MAX);
        assert_eq!(bare.attributes_len(), written.len());
    }

    #[test]
    fn a_flash_type_defaults_to_five_minutes_and_allows_up_to_an_hour() {
        let flash = base().flash().build();
        assert!(flash.is_flash());
        assert!(!base().build().is_flash());
        assert_eq!(flash.max_age_secs(), DEFAULT_FLASH_MAX_AGE_SECS);
        assert_eq!(flash.max_age_secs(), 300);
        assert_eq!(flash.renew_after_secs(), 150);
        assert_eq!(flash.storage(), Storage::Cookie);
        // An explicit max_age wins, whichever call comes first.
        assert_eq!(base().flash().max_age_secs(60).build().max_age_secs(), 60);
        assert_eq!(base().max_age_secs(60).flash().build().max_age_secs(), 60);
        let longest = base()
            .flash()
            .max_age_secs(MAX_FLASH_MAX_AGE_SECS)
            .try_build();
        assert_eq!(longest.map(|spec| spec.max_age_secs()), Ok(3600));
        // Encrypted flashes are fine: the format is independent of the lifetime.
        assert!(base().flash().encrypted().build().is_encrypted());
    }

    #[test]
    fn partitioned_needs_secure_and_same_site_none_and_is_counted() {
        let plain = base().build();
        assert!(!plain.partitioned());
        let partitioned = base()
            .same_site(SameSite::None)
            .secure(true)
            .partitioned()
            .build();
        assert!(partitioned.partitioned());
        assert!(partitioned.secure());
        let host = SessionSpec::builder("T", "__Host-embed", "app")
            .same_site(SameSite::None)
            .partitioned()
            .build();
        assert!(host.partitioned() && host.secure());
        let written = format!(
            "; Max-Age={}; Path=/; SameSite=None; HttpOnly; Partitioned; Secure",
            u64::MAX
        );
        assert_eq!(partitioned.attributes_len(), written.len());
        assert_eq!(
            partitioned.attributes_len() - "; Partitioned".len(),
            base()
                .same_site(SameSite::None)
                .secure(true)
                .build()
                .attributes_len()
        );
    }

    #[test]
    fn a_hybrid_access_type_holds_its_refresh_spec() {
        const ACCESS: SessionSpec = SessionSpec::builder("A", "aid", "access")
            .max_age_secs(300)
            .user()
            .refresh(&REFRESH)
            .build();
        assert_eq!(ACCESS.refresh(), Some(&REFRESH));
        assert!(ACCESS.has_user());
        assert!(REFRESH.has_user());
        assert_eq!(REFRESH.refresh(), None);
        assert!(!base().build().has_user());
        assert_eq!(base().build().refresh(), None);
        // Strictly shorter is enough, in any mode an access type may have.
        let just_shorter = base()
            .max_age_secs(30 * 86_400 - 1)
            .user()
            .refresh(&REFRESH)
            .try_build();
        assert!(just_shorter.is_ok());
        let asymmetric = access().asymmetric().refresh(&REFRESH).try_build();
        assert!(asymmetric.is_ok());
        let revocable = access()
            .revocable()
            .absolute_max_age_secs(86_400)
            .refresh(&REFRESH)
            .try_build();
        assert!(revocable.is_ok());
        // `user` sets `has_user` and nothing else.
        assert_eq!(
            base().user().build(),
            SessionSpec {
                user: true,
                ..base().build()
            }
        );
        // The refresh spec is part of the access type's spec.
        const OTHER: SessionSpec = SessionSpec {
            max_age_secs: 31 * 86_400,
            ..REFRESH
        };
        assert_ne!(
            ACCESS,
            SessionSpec {
                refresh: Some(&OTHER),
                ..ACCESS
            }
        );
    }

    #[test]
    fn the_longest_lifetimes_allowed_build() {
        let longest = base().max_age_secs(MAX_MAX_AGE_SECS).try_build();
        assert_eq!(
            longest.map(|spec| spec.max_age_secs()),
            Ok(MAX_MAX_AGE_SECS)
        );
        let capped = base()
            .absolute_max_age_secs(MAX_ABSOLUTE_MAX_AGE_SECS)
            .try_build();
        assert_eq!(
            capped.map(|spec| spec.absolute_max_age_secs()),
            Ok(Some(MAX_ABSOLUTE_MAX_AGE_SECS))
        );
    }
}
