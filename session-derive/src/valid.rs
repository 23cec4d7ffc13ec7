//! Every semantic check of the derive, each reported at the key or literal it
//! is about. Turns [`Attrs`] (what was written) into a [`Spec`] (what it means,
//! defaults filled in). The rules themselves live in `session-rules`, which
//! `SessionSpecBuilder::try_build` in session-core calls too, so the two
//! cannot disagree and the builder's const-eval panic is never what users
//! see; this module words each broken rule for the attribute it is about.

use std::collections::BTreeMap;

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident};
use syn::ext::IdentExt;
use syn::{Data, DeriveInput, Fields, Ident, LitInt, LitStr, Path, Type, TypePath, WhereClause};

use crate::attr::{Attrs, Flag, Setting};
use crate::ctxt::Ctxt;
use crate::duration::{
    self, DAY, DEFAULT_FLASH_MAX_AGE, DEFAULT_MAX_AGE, MAX_DAYS, MAX_FLASH_MAX_AGE,
};
use crate::symbol::{
    self, ABSOLUTE_MAX_AGE, COOKIE, CRATE, CRATE_EXAMPLE, DEFAULT_CRATE, ENCRYPTED, FLASH,
    HOST_PREFIX, LAX, MAX_AGE, MAX_PER_USER, NAMESPACE, NONE, PARTITIONED, REFRESH, RENEW_AFTER,
    REVOCABLE, SAME_SITE, SAME_SITE_VALUES, SECURE, SESSION, STORE, STRICT, Symbol, TOUCH_AFTER,
    USER,
};
use crate::symbol::{ASYMMETRIC, FINGERPRINT};

use session_rules::{
    CookiePrefix, DEFAULT_FLASH_MAX_AGE_SECS, MAX_ABSOLUTE_MAX_AGE_SECS, MAX_COOKIE_NAME_LEN,
    MAX_FLASH_MAX_AGE_SECS, MAX_NAMESPACE_LEN, NameError, cookie_prefix,
};
/// What the derive is called in messages.
const DERIVE: &str = "SessionPayload";

/// The `SameSite` attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SameSite {
    /// `same_site = "lax"` (the default).
    Lax,
    /// `same_site = "strict"`.
    Strict,
    /// `same_site = "none"`.
    None,
}

/// One checked `migrate(from = Type, version = N)`.
pub struct Migration {
    /// The older schema type.
    pub from: Type,
    /// The version it was sealed under.
    pub version: u32,
}

/// Where a session's payload lives, with the settings of that mode.
pub enum Mode {
    /// In the cookie, sealed (the default).
    Cookie {
        /// Renewal point in seconds.
        renew_after_secs: u64,
        /// `encrypted`: wire format 2, the payload hidden as well as
        /// authenticated.
        encrypted: bool,
        /// `asymmetric`: wire format 3, signed with Ed25519 so that the
        /// public key alone verifies it.
        asymmetric: bool,
        /// `revocable`: revocations of its user or namespace end it early.
        revocable: bool,
        /// `flash`: a message read once by the next request, short-lived.
        flash: bool,
    },
    /// In a session store (`store`); the cookie carries a sealed id.
    Store(Store),
}

/// The settings of a store-mode session.
pub struct Store {
    /// `touch_after` in seconds; `None` leaves the default to session-core
    /// (five minutes, or half of `max_age` when that is shorter).
    pub touch_after_secs: Option<u64>,
    /// `max_per_user`; `None` for no limit.
    pub max_per_user: Option<u32>,
}

/// The field named by `user = "..."`.
pub struct UserField {
    /// The field, as declared in the struct.
    pub field: Ident,
    /// Fields within it, for `user = "account.id"`: checked by the compiler
    /// when the generated code reads them (the derive sees only the outer
    /// struct's fields).
    pub nested: Vec<Ident>,
    /// The `"..."` literal: code reading the field is spanned here, so a type
    /// without `UserKey` is reported at the attribute.
    pub span: Span,
}

/// What a type declared, checked, with every default filled in.
pub struct Spec<'a> {
    /// The type.
    pub ident: &'a Ident,
    /// Its `where` clause, if any (it has no generic parameters).
    pub where_clause: Option<&'a WhereClause>,
    /// Path of the facade crate; generated code goes through `#krate::__private_0_1`.
    pub krate: Path,
    /// The type's name, for messages.
    pub type_name: String,
    /// Cookie name.
    pub cookie: String,
    /// Namespace.
    pub namespace: String,
    /// Current schema version.
    pub version: u32,
    /// Lifetime in seconds.
    pub max_age_secs: u64,
    /// Absolute lifetime from the session's start, in seconds, if declared.
    pub absolute_max_age_secs: Option<u64>,
    /// Cookie or store mode.
    pub mode: Mode,
    /// `user = "field"`, read when the mode uses it (store mode's per-user
    /// index, a revocable cookie-mode session's revocations by user).
    pub user: Option<UserField>,
    /// `Path` attribute.
    pub path: String,
    /// `Domain` attribute.
    pub domain: Option<String>,
    /// `SameSite` attribute.
    pub same_site: SameSite,
    /// `HttpOnly` attribute.
    pub http_only: bool,
    /// `Secure` as declared (`None`: the layer's policy decides).
    pub secure: Option<bool>,
    /// `Partitioned` attribute (CHIPS).
    pub partitioned: bool,
    /// Sessions bound to the browser that logged in.
    pub fingerprint: bool,
    /// Older versions this type reads, in declaration order.
    pub migrations: Vec<Migration>,
    /// `refresh = Type`: this is the (cookie-mode) access type of a hybrid
    /// session whose refresh type is `Type`.
    pub refresh: Option<TypePath>,
}

/// The outcome of [`check`]: a spec (meaningful only when no error was
/// reported) and whether a placeholder impl could compile if one was.
pub struct Checked<'a> {
    /// The spec.
    pub spec: Spec<'a>,
    /// Whether a stub `impl SessionPayload` would compile: the input is not a
    /// union, has no generic parameters, and the crate path is usable.
    pub stub: bool,
}

/// Checks the input's shape and every attribute, reporting each problem to `cx`.
pub fn check<'a>(cx: &Ctxt, input: &'a DeriveInput, attrs: Attrs) -> Checked<'a> {
    let shape_ok = shape(cx, input);
    let krate = crate_path(cx, attrs.krate.as_ref());
    let stub = shape_ok && krate.is_some();
    // Where "missing key" errors point: the first #[session] or the type name.
    let missing_at = attrs
        .first
        .clone()
        .unwrap_or_else(|| input.ident.to_token_stream());

    let missing_at = (&missing_at, attrs.mentioned.as_slice(), attrs.incomplete);
    let cookie = required(cx, attrs.cookie.as_ref(), COOKIE, "sid", missing_at);
    if let Some(lit) = &cookie {
        check_name(cx, lit, &COOKIE_NAME_RULE);
    }
    let namespace = required(cx, attrs.namespace.as_ref(), NAMESPACE, "admin", missing_at);
    if let Some(lit) = &namespace {
        check_name(cx, lit, &NAMESPACE_RULE);
    }
    let version = attrs
        .version
        .as_ref()
        .and_then(|setting| schema_version(cx, &setting.value, "version"));
    let flash = attrs.flash.is_some();
    let written_max_age = max_age(cx, attrs.max_age.as_ref(), flash);
    let max_age = MaxAge {
        written: written_max_age,
        // An invalid max_age was reported; comparing renew_after or
        // touch_after with it would only echo that.
        known: attrs.max_age.is_none() || written_max_age.is_some(),
        flash,
    };
    let mode = mode(cx, input, &attrs, max_age);
    let refresh = attrs.refresh.as_ref().map(|setting| &setting.value);
    if let Some(path) = refresh {
        not_its_own_refresh(cx, input, path);
    }
    // Without `store`, `revocable` or `refresh`, `user` was reported as
    // unused; its field is not looked for.
    let user = attrs
        .user
        .as_ref()
        .filter(|_| attrs.store.is_some() || attrs.revocable.is_some() || attrs.refresh.is_some())
        .and_then(|setting| user_field(cx, input, &setting.value));
    let absolute_max_age = absolute_max_age(cx, attrs.absolute_max_age.as_ref(), max_age);
    let path = attrs.path.as_ref().map(|setting| &setting.value);
    if let Some(lit) = path {
        check_path(cx, lit);
    }
    let domain = attrs.domain.as_ref().map(|setting| &setting.value);
    if let Some(lit) = domain {
        check_domain(cx, lit);
    }
    let same_site = same_site(cx, attrs.same_site.as_ref());
    let secure = attrs.secure.as_ref().map(|setting| setting.value);
    let prefix_secure = cookie
        .as_ref()
        .is_some_and(|lit| check_prefix(cx, &lit.value(), path, attrs.domain.as_ref(), secure));
    let is_secure = prefix_secure || secure.is_some_and(|flag| flag.value);
    if let Some(setting) = &attrs.partitioned {
        // A same_site value that was refused was reported already.
        let same_site_known = attrs.same_site.is_none() || same_site.is_some();
        partitioned_needs(
            cx,
            setting,
            same_site.map(|(value, _)| value),
            same_site_known,
            is_secure,
        );
    }
    if let Some((SameSite::None, lit)) = &same_site
        && !is_secure
        // With `partitioned`, reported there: one missing `secure`, one message.
        && attrs.partitioned.is_none()
    {
        cx.error(
            lit.span(),
            format!(
                "same_site = \"none\" requires secure: add `{SECURE}` (browsers reject \
                 SameSite=None cookies that are not Secure)"
            ),
        );
    }
    let current = version.unwrap_or(1);
    let declared = match (&attrs.version, version) {
        (None, _) => Declared::Default,
        (Some(_), Some(_)) => Declared::Explicit,
        (Some(_), None) => Declared::Invalid,
    };
    let refresh = refresh.cloned();
    let migrations = migrations(cx, attrs.migrations, current, declared);

    Checked {
        spec: Spec {
            ident: &input.ident,
            where_clause: input.generics.where_clause.as_ref(),
            krate: krate.unwrap_or_else(default_crate),
            type_name: input.ident.unraw().to_string(),
            cookie: cookie.map(LitStr::value).unwrap_or_default(),
            namespace: namespace.map(LitStr::value).unwrap_or_default(),
            version: current,
            max_age_secs: max_age.secs(),
            absolute_max_age_secs: absolute_max_age,
            mode,
            user,
            path: path.map_or_else(|| String::from("/"), LitStr::value),
            domain: domain.map(LitStr::value),
            same_site: same_site.map_or(SameSite::Lax, |(value, _)| value),
            http_only: attrs
                .http_only
                .as_ref()
                .is_none_or(|setting| setting.value.value),
            secure: secure.map(|flag| flag.value),
            partitioned: attrs.partitioned.is_some(),
            fingerprint: attrs.fingerprint.is_some(),
            migrations,
            refresh,
        },
        stub,
    }
}

/// `::session_seal`.
pub fn default_crate() -> Path {
    let name = format_ident!("{}", DEFAULT_CRATE);
    syn::parse_quote!(::#name)
}

/// The `crate = "..."` path: the default when absent, `None` (reported) when
/// the string is not a path.
pub fn crate_path(cx: &Ctxt, setting: Option<&Setting<LitStr>>) -> Option<Path> {
    let Some(setting) = setting else {
        return Some(default_crate());
    };
    if let Ok(path) = setting.value.parse_with(Path::parse_mod_style) {
        return Some(path);
    }
    cx.error(
        setting.value.span(),
        format!(
            "`{CRATE}` must be a path to the session_seal crate, e.g. `{CRATE} = {CRATE_EXAMPLE}`"
        ),
    );
    None
}

/// Unions and generic types cannot be sessions; returns whether the shape is fine.
fn shape(cx: &Ctxt, input: &DeriveInput) -> bool {
    let mut ok = true;
    if let Data::Union(data) = &input.data {
        cx.error(
            data.union_token.span,
            format!("{DERIVE} cannot be derived for unions; use a struct or an enum"),
        );
        ok = false;
    }
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(
            &input.generics,
            format!(
                "{DERIVE} cannot be derived for generic types: a session type has one fixed \
                 cookie name and schema; declare a concrete type for each session"
            ),
        );
        ok = false;
    }
    ok
}

fn required<'s>(
    cx: &Ctxt,
    setting: Option<&'s Setting<LitStr>>,
    key: Symbol,
    example: &str,
    (missing_at, mentioned, incomplete): (&TokenStream, &[Symbol], bool),
) -> Option<&'s LitStr> {
    // A key written with a bad value, or misspelt, or possibly after a syntax
    // error was already reported; "missing" would repeat it.
    if setting.is_none() && !incomplete && !mentioned.contains(&key) {
        cx.error_spanned_by(
            missing_at,
            format!("missing `{key} = \"...\"` in #[{SESSION}(...)], e.g. `{key} = \"{example}\"`"),
        );
    }
    setting.map(|setting| &setting.value)
}

/// The character whose first byte is at `at` in `text` (for messages).
fn char_at(text: &str, at: usize) -> char {
    text.get(at..)
        .and_then(|rest| rest.chars().next())
        .unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// A name rule of session-rules, and how the derive words its failures.
struct NameRule {
    /// What the name is, for messages ("cookie name", "namespace").
    what: &'static str,
    /// The rule itself.
    check: fn(&str) -> Result<(), NameError>,
    /// The longest name allowed, in bytes.
    max_len: usize,
    /// What a name may consist of, completing "a {what} is …".
    alphabet: &'static str,
}

const COOKIE_NAME_RULE: NameRule = NameRule {
    what: "cookie name",
    check: session_rules::check_cookie_name,
    max_len: MAX_COOKIE_NAME_LEN,
    alphabet: "ASCII letters, digits and !#$%&'*+-.^_`|~ (an RFC 6265 token)",
};

const NAMESPACE_RULE: NameRule = NameRule {
    what: "namespace",
    check: session_rules::check_namespace,
    max_len: MAX_NAMESPACE_LEN,
    alphabet: "lowercase ASCII letters, digits, `_`, `.` and `-`",
};

/// Reports at `lit` why its value breaks `rule`, if it does.
fn check_name(cx: &Ctxt, lit: &LitStr, rule: &NameRule) {
    let name = lit.value();
    let NameRule {
        what,
        max_len,
        alphabet,
        ..
    } = rule;
    match (rule.check)(&name) {
        Ok(()) => {}
        Err(NameError::Empty) => cx.error(lit.span(), format!("{what} must not be empty")),
        Err(NameError::TooLong { len, .. }) => cx.error(
            lit.span(),
            format!("{what} is {len} bytes long; the maximum is {max_len}"),
        ),
        Err(NameError::InvalidByte { at }) => cx.error(
            lit.span(),
            format!(
                "invalid character {:?} in {what}; a {what} is {alphabet}",
                char_at(&name, at)
            ),
        ),
    }
}

/// A schema version: an integer in `1..=u32::MAX`.
fn schema_version(cx: &Ctxt, lit: &LitInt, what: &str) -> Option<u32> {
    positive_u32(cx, lit, what, "")
}

/// An integer literal in `1..=u32::MAX`; `hint_at_zero` follows the message
/// for 0. `None` (reported) otherwise.
fn positive_u32(cx: &Ctxt, lit: &LitInt, what: &str, hint_at_zero: &str) -> Option<u32> {
    let value = lit
        .base10_parse::<u64>()
        .ok()
        .and_then(|value| u32::try_from(value).ok());
    match value {
        Some(0) => cx.error(
            lit.span(),
            format!("{what} must be at least 1{hint_at_zero}"),
        ),
        Some(value) => return Some(value),
        None => cx.error(lit.span(), format!("{what} must fit in a u32")),
    }
    None
}

/// `max_age` in seconds with the literal, `None` when absent (default) or
/// invalid. A `flash` type's is at most [`MAX_FLASH_MAX_AGE`].
fn max_age<'s>(
    cx: &Ctxt,
    setting: Option<&'s Setting<LitStr>>,
    flash: bool,
) -> Option<(u64, &'s LitStr)> {
    let lit = &setting?.value;
    match duration::parse(&lit.value()) {
        Ok(0) => cx.error(lit.span(), "max_age must be longer than zero"),
        Ok(secs) if secs > MAX_DAYS * DAY => cx.error(
            lit.span(),
            format!("max_age must be at most {MAX_DAYS}d: browsers cap cookie lifetimes at {MAX_DAYS} days"),
        ),
        Ok(secs) if flash && secs > MAX_FLASH_MAX_AGE_SECS => cx.error(
            lit.span(),
            format!(
                "a `{FLASH}` message's {MAX_AGE} must be at most {MAX_FLASH_MAX_AGE:?}: it is read \
                 on the next page, and an older one would show a stale notice; leave \
                 `{MAX_AGE}` out for the default, {DEFAULT_FLASH_MAX_AGE:?}"
            ),
        ),
        Ok(secs) => return Some((secs, lit)),
        Err(error) => cx.error(lit.span(), error),
    }
    None
}

/// `max_age` as checked.
#[derive(Clone, Copy)]
struct MaxAge<'s> {
    /// Seconds and literal, when written and valid.
    written: Option<(u64, &'s LitStr)>,
    /// Whether it is known: absent (so the default) or valid.
    known: bool,
    /// `flash`: the default is [`DEFAULT_FLASH_MAX_AGE`] rather than
    /// [`DEFAULT_MAX_AGE`].
    flash: bool,
}

impl MaxAge<'_> {
    /// The lifetime in seconds, written or default.
    fn secs(&self) -> u64 {
        self.secs_and_text().0
    }

    /// The lifetime in seconds, and how messages name it.
    fn secs_and_text(&self) -> (u64, String) {
        match self.written {
            Some((secs, lit)) => (secs, format!("{:?}", lit.value())),
            None if self.flash => (
                DEFAULT_FLASH_MAX_AGE_SECS,
                format!("{DEFAULT_FLASH_MAX_AGE:?}, the default for `{FLASH}`"),
            ),
            None => (DAY, format!("{DEFAULT_MAX_AGE:?}, the default")),
        }
    }
}

/// Cookie or store mode, checking the keys that belong to only one of them.
fn mode(cx: &Ctxt, input: &DeriveInput, attrs: &Attrs, max_age: MaxAge) -> Mode {
    if attrs.store.is_none() {
        // `store` written wrongly (or misspelt, or lost to a syntax error) was
        // reported; "add `store`" would only repeat it.
        if !attrs.incomplete && !attrs.mentioned.contains(&STORE) {
            store_only(cx, attrs);
        }
        match (&attrs.revocable, &attrs.flash) {
            (Some(setting), Some(_)) => cx.error(
                setting.key,
                format!(
                    "`{REVOCABLE}` cannot be combined with `{FLASH}`: a flash message is read \
                     once and expires within the hour, so there is nothing to revoke; remove \
                     `{REVOCABLE}`"
                ),
            ),
            (Some(setting), None) => revocable_needs(cx, input, attrs, setting, max_age),
            (None, _) => {}
        }
        if let (Some(setting), Some(_)) = (&attrs.asymmetric, &attrs.encrypted) {
            cx.error(
                setting.key,
                format!(
                    "`{ASYMMETRIC}` cannot be combined with `{ENCRYPTED}`: services that verify \
                     with the public key must read the payload, which `{ENCRYPTED}` hides from \
                     them; remove one of the two"
                ),
            );
        }
        if let (Some(setting), Some(_)) = (&attrs.asymmetric, &attrs.fingerprint) {
            cx.error(
                setting.key,
                format!(
                    "`{ASYMMETRIC}` cannot be combined with `{FINGERPRINT}`: a fingerprint is a \
                     hash keyed by the secret, which services holding only the public key cannot \
                     check; remove one of the two"
                ),
            );
        }
        if let Some(setting) = &attrs.refresh {
            refresh_needs(cx, input, attrs, setting);
        }
        let renew_after = before_max_age(cx, attrs.renew_after.as_ref(), RENEW_AFTER, max_age);
        return Mode::Cookie {
            renew_after_secs: renew_after
                .unwrap_or(session_rules::default_renew_after_secs(max_age.secs())),
            encrypted: attrs.encrypted.is_some(),
            asymmetric: attrs.asymmetric.is_some(),
            revocable: attrs.revocable.is_some(),
            flash: attrs.flash.is_some(),
        };
    }
    if let Some(setting) = &attrs.flash {
        cx.error(
            setting.key,
            format!(
                "`{FLASH}` applies only to cookie-mode sessions: a flash message lives in its \
                 cookie until the next page reads it, with nothing on the server; remove \
                 `{STORE}` (or `{FLASH}`)"
            ),
        );
    }
    if let Some(setting) = &attrs.refresh {
        cx.error(
            setting.key,
            format!(
                "`{REFRESH}` goes on the cookie-mode access type of a hybrid session, opened \
                 on every request with no store round trip; the refresh type `{refresh}` is \
                 the store-mode half: remove `{STORE}` here and declare `{STORE}` on `{refresh}`",
                refresh = display_type(&setting.value),
            ),
        );
    }
    if let Some(setting) = &attrs.revocable {
        cx.error(
            setting.key,
            format!(
                "`{REVOCABLE}` applies only to cookie-mode sessions: a `{STORE}` session is \
                 revocable already, since ending it deletes its row on the server; remove \
                 `{REVOCABLE}`"
            ),
        );
    }
    if let Some(setting) = &attrs.encrypted {
        cx.error(
            setting.key,
            format!(
                "`{ENCRYPTED}` applies only to cookie-mode sessions: with `{STORE}` the cookie \
                 carries only a random session id, which is already opaque, and the payload \
                 stays on the server; remove `{ENCRYPTED}`"
            ),
        );
    }
    if let Some(setting) = &attrs.asymmetric {
        cx.error(
            setting.key,
            format!(
                "`{ASYMMETRIC}` applies only to cookie-mode sessions: with `{STORE}` the cookie \
                 carries only a random session id, which a service holding the public key \
                 could not look up; remove `{ASYMMETRIC}`"
            ),
        );
    }
    if let Some(setting) = &attrs.renew_after {
        cx.error(
            setting.key,
            format!(
                "`{RENEW_AFTER}` applies only to cookie-mode sessions; store-mode sessions slide \
                 their expiry at `{TOUCH_AFTER}` instead: write `{TOUCH_AFTER} = {:?}` or remove \
                 `{RENEW_AFTER}`",
                setting.value.value()
            ),
        );
    }
    let touch_after_secs = before_max_age(cx, attrs.touch_after.as_ref(), TOUCH_AFTER, max_age);
    let max_per_user = attrs.max_per_user.as_ref().and_then(|setting| {
        if attrs.user.is_none() && !attrs.incomplete && !attrs.mentioned.contains(&USER) {
            cx.error(
                setting.key,
                format!(
                    "`{MAX_PER_USER}` needs `{USER} = \"...\"`: sessions are counted per user, so \
                     name the field that identifies the user, e.g. `{USER} = {:?}`",
                    user_field_guess(input)
                ),
            );
        }
        max_per_user(cx, &setting.value)
    });
    Mode::Store(Store {
        touch_after_secs,
        max_per_user,
    })
}

/// Reports what a revocable cookie-mode session lacks: the `user` its
/// revocations name, and the `absolute_max_age` that bounds how long a
/// revocation is remembered. Both are reported at `revocable`.
fn revocable_needs(
    cx: &Ctxt,
    input: &DeriveInput,
    attrs: &Attrs,
    revocable: &Setting<()>,
    max_age: MaxAge,
) {
    // After a syntax error, or with `store` written wrongly, what is
    // missing (or even which mode this is) is not known.
    if attrs.incomplete || attrs.mentioned.contains(&STORE) {
        return;
    }
    if attrs.user.is_none() && !attrs.mentioned.contains(&USER) {
        cx.error(
            revocable.key,
            format!(
                "a revocable session needs `{USER} = \"field\"` to revoke by user: name the \
                 field that identifies the user, e.g. `{USER} = {:?}`",
                user_field_guess(input)
            ),
        );
    }
    if attrs.absolute_max_age.is_none() && !attrs.mentioned.contains(&ABSOLUTE_MAX_AGE) {
        // A suggestion that is valid: at least `max_age`.
        let example = match max_age.written {
            Some((secs, lit)) if secs > 30 * DAY => lit.value(),
            _ => String::from("30d"),
        };
        cx.error(
            revocable.key,
            format!(
                "a revocable session needs `{ABSOLUTE_MAX_AGE} = \"...\"`: it bounds how long a \
                 revocation must be remembered (every session begun before it has ended by \
                 then), e.g. `{ABSOLUTE_MAX_AGE} = {example:?}`"
            ),
        );
    }
}

/// Reports what a hybrid session's access type (cookie mode, with
/// `refresh = Type`) lacks or has too much of, at `refresh`: it is not a
/// flash message, and it names its `user`. The rules that need the refresh
/// type's spec (store mode, its own `user`, a longer `max_age`) are checked
/// when the access type's spec is evaluated.
fn refresh_needs(cx: &Ctxt, input: &DeriveInput, attrs: &Attrs, refresh: &Setting<TypePath>) {
    if attrs.flash.is_some() {
        cx.error(
            refresh.key,
            format!(
                "`{REFRESH}` cannot be combined with `{FLASH}`: a flash message is read once, \
                 so there is no session to keep refreshed; remove `{REFRESH}`"
            ),
        );
        return;
    }
    // After a syntax error, or with `store` written wrongly, what is
    // missing (or even which mode this is) is not known.
    if attrs.incomplete || attrs.mentioned.contains(&STORE) || attrs.mentioned.contains(&USER) {
        return;
    }
    if attrs.user.is_none() {
        cx.error(
            refresh.key,
            format!(
                "an access type with `{REFRESH}` needs `{USER} = \"field\"`: an access cookie \
                 belongs to the user of the refresh session it is refreshed from, so name the \
                 field that identifies the user, e.g. `{USER} = {:?}` (`{}` needs one too)",
                user_field_guess(input),
                display_type(&refresh.value),
            ),
        );
    }
}

/// Reports `refresh = Self`, or the type's own name: a type cannot be
/// refreshed from its own sessions (its spec would be defined by itself).
fn not_its_own_refresh(cx: &Ctxt, input: &DeriveInput, path: &TypePath) {
    let own = path.path.is_ident("Self")
        || path
            .path
            .get_ident()
            .is_some_and(|ident| ident.unraw() == input.ident.unraw());
    if own {
        cx.error_spanned_by(
            path,
            format!(
                "`{}` cannot be its own refresh type: `{REFRESH}` names another session type, \
                 in store mode, that the access cookie is refreshed from",
                input.ident.unraw()
            ),
        );
    }
}

/// A type path as written (`AdminRefresh`, `auth::AdminRefresh`), for messages.
fn display_type(path: &TypePath) -> String {
    path.to_token_stream()
        .to_string()
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" <", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
}

/// Reports each store-mode key written on a cookie-mode session.
fn store_only(cx: &Ctxt, attrs: &Attrs) {
    let keys = [
        (
            attrs.touch_after.as_ref().map(|setting| setting.key),
            TOUCH_AFTER,
            format!("cookie-mode sessions renew at `{RENEW_AFTER}`"),
        ),
        (
            attrs.max_per_user.as_ref().map(|setting| setting.key),
            MAX_PER_USER,
            String::from("the server keeps no count of cookie-mode sessions"),
        ),
    ];
    for (key, name, why) in keys {
        if let Some(key) = key {
            cx.error(
                key,
                format!(
                    "`{name}` only applies to store-mode sessions; add `{STORE}` to \
                     #[{SESSION}(...)] ({why})"
                ),
            );
        }
    }
    // A cookie-mode session uses `user` only when it is revocable (a
    // misspelt `revocable` was reported with a suggestion).
    if let Some(setting) = &attrs.user
        && attrs.flash.is_some()
    {
        // Not "add `store` or `revocable`": neither goes with `flash`.
        cx.error(
            setting.key,
            format!(
                "`{USER}` does not apply to a `{FLASH}` message: it names whose sessions to end, \
                 and a flash is read once and gone; remove `{USER}`"
            ),
        );
    } else if let Some(setting) = &attrs.user
        && attrs.revocable.is_none()
        && !attrs.mentioned.contains(&REVOCABLE)
        && attrs.refresh.is_none()
        && !attrs.mentioned.contains(&REFRESH)
    {
        cx.error(
            setting.key,
            format!(
                "`{USER}` needs `{STORE}`, `{REVOCABLE}` or `{REFRESH} = Type` in \
                 #[{SESSION}(...)]: it names whose sessions to end, through the session store's \
                 per-user index (`{STORE}`), by revoking cookie-mode sessions (`{REVOCABLE}`), or \
                 with the refresh sessions of a hybrid session's access type (`{REFRESH}`)"
            ),
        );
    }
}

/// A duration that must be shorter than `max_age` (`renew_after`,
/// `touch_after`), in seconds; `None` when absent or invalid (reported).
fn before_max_age(
    cx: &Ctxt,
    setting: Option<&Setting<LitStr>>,
    key: Symbol,
    max_age: MaxAge,
) -> Option<u64> {
    let (max_age_secs, max_age_text) = max_age.secs_and_text();
    let lit = &setting?.value;
    match duration::parse(&lit.value()) {
        Ok(secs) if max_age.known && secs >= max_age_secs => cx.error(
            lit.span(),
            format!(
                "{key} ({:?}) must be shorter than {MAX_AGE} ({max_age_text})",
                lit.value()
            ),
        ),
        Ok(secs) => return Some(secs),
        Err(error) => cx.error(lit.span(), error),
    }
    None
}

/// `absolute_max_age` in seconds: at least `max_age`, and at most `u32::MAX`
/// seconds (the header counts a session's age in a `u32`); `None` when
/// absent or invalid (reported).
fn absolute_max_age(cx: &Ctxt, setting: Option<&Setting<LitStr>>, max_age: MaxAge) -> Option<u64> {
    let (max_age_secs, max_age_text) = max_age.secs_and_text();
    let lit = &setting?.value;
    match duration::parse(&lit.value()) {
        Ok(secs) if max_age.known && secs < max_age_secs => cx.error(
            lit.span(),
            format!(
                "{ABSOLUTE_MAX_AGE} ({:?}) must be at least {MAX_AGE} ({max_age_text}): it caps \
                 how long a session lasts however often it is renewed",
                lit.value()
            ),
        ),
        Ok(secs) if secs > MAX_ABSOLUTE_MAX_AGE_SECS => cx.error(
            lit.span(),
            format!(
                "{ABSOLUTE_MAX_AGE} must be at most {}d (a session's age is a 32-bit count of seconds)",
                MAX_ABSOLUTE_MAX_AGE_SECS / DAY
            ),
        ),
        Ok(secs) => return Some(secs),
        Err(error) => cx.error(lit.span(), error),
    }
    None
}

/// `max_per_user`: an integer in `1..=u32::MAX`.
fn max_per_user(cx: &Ctxt, lit: &LitInt) -> Option<u32> {
    positive_u32(
        cx,
        lit,
        &MAX_PER_USER.to_string(),
        "; leave it out for no limit",
    )
}

/// The named fields of a struct, or what the input is instead (for messages);
/// `Err(None)` for a union (already reported by the shape check).
fn named_fields(input: &DeriveInput) -> Result<Vec<&Ident>, Option<&'static str>> {
    match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(fields) => Ok(fields
                .named
                .iter()
                .filter_map(|field| field.ident.as_ref())
                .collect()),
            Fields::Unnamed(_) => Err(Some("a tuple struct")),
            Fields::Unit => Err(Some("a unit struct")),
        },
        Data::Enum(_) => Err(Some("an enum")),
        Data::Union(_) => Err(None),
    }
}

/// A plausible `user = "..."` for messages: a field whose name mentions a user.
fn user_field_guess(input: &DeriveInput) -> String {
    named_fields(input)
        .ok()
        .and_then(|fields| {
            fields
                .into_iter()
                .map(|field| field.unraw().to_string())
                .find(|name| name.contains(USER.as_str()))
        })
        .unwrap_or_else(|| String::from("user_id"))
}

/// The field `user = "..."` names: a named field of the struct, or a path
/// of fields starting at one (`account.id`).
fn user_field(cx: &Ctxt, input: &DeriveInput, lit: &LitStr) -> Option<UserField> {
    let type_name = input.ident.unraw();
    let fields = match named_fields(input) {
        Ok(fields) => fields,
        Err(Some(what)) => {
            cx.error(
                lit.span(),
                format!(
                    "`{USER} = \"...\"` names a field of the struct, so it needs a struct with \
                     named fields; `{type_name}` is {what}"
                ),
            );
            return None;
        }
        Err(None) => return None,
    };
    let written = lit.value();
    let mut segments = written.split('.');
    let first = segments.next().unwrap_or_default();
    let wanted = first.strip_prefix("r#").unwrap_or(first);
    let mut nested = Vec::new();
    for segment in segments {
        match syn::parse_str::<Ident>(segment) {
            Ok(ident) => nested.push(Ident::new(&ident.unraw().to_string(), lit.span())),
            Err(_) => {
                let what = if segment.is_empty() {
                    String::from("has an empty field name")
                } else {
                    format!("has `{segment}`, which is not a field name")
                };
                cx.error(
                    lit.span(),
                    format!(
                        "`{USER} = {written:?}` {what}: write a field of `{type_name}`, or a \
                         path of fields such as `account.id`"
                    ),
                );
                return None;
            }
        }
    }
    if let Some(field) = fields.iter().find(|field| field.unraw() == wanted) {
        return Some(UserField {
            field: (*field).clone(),
            nested,
            span: lit.span(),
        });
    }
    let names: Vec<String> = fields
        .iter()
        .map(|field| field.unraw().to_string())
        .collect();
    let message = if names.is_empty() {
        format!(
            "no field `{wanted}` in `{type_name}`, which has no fields; `{USER}` names the \
             field that identifies the user"
        )
    } else if let Some(suggestion) = symbol::closest_name(wanted, names.iter().map(String::as_str))
    {
        format!("no field `{wanted}` in `{type_name}`; did you mean `{suggestion}`?")
    } else {
        let list: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
        format!(
            "no field `{wanted}` in `{type_name}`; `{USER}` names one of its fields: {}",
            list.join(", ")
        )
    };
    cx.error(lit.span(), message);
    None
}

fn same_site<'s>(
    cx: &Ctxt,
    setting: Option<&'s Setting<LitStr>>,
) -> Option<(SameSite, &'s LitStr)> {
    let lit = &setting?.value;
    let value = lit.value().to_ascii_lowercase();
    let same_site = if value == LAX.as_str() {
        SameSite::Lax
    } else if value == STRICT.as_str() {
        SameSite::Strict
    } else if value == NONE.as_str() {
        SameSite::None
    } else {
        let accepted: Vec<String> = SAME_SITE_VALUES
            .iter()
            .map(|name| format!("\"{name}\""))
            .collect();
        cx.error(
            lit.span(),
            format!("{SAME_SITE} must be one of {}", accepted.join(", ")),
        );
        return None;
    };
    Some((same_site, lit))
}

fn check_path(cx: &Ctxt, lit: &LitStr) {
    let path = lit.value();
    if !path.starts_with('/') {
        cx.error(lit.span(), "path must start with `/`");
    } else if !session_rules::is_cookie_path(&path) {
        cx.error(
            lit.span(),
            "path must not contain `;` or control characters",
        );
    }
}

fn check_domain(cx: &Ctxt, lit: &LitStr) {
    let domain = lit.value();
    if domain.is_empty() {
        cx.error(
            lit.span(),
            "domain must not be empty; leave `domain` out for a host-only cookie",
        );
    } else if !session_rules::is_cookie_domain(&domain) {
        cx.error(
            lit.span(),
            "domain must not contain `;`, spaces or control characters",
        );
    }
}

/// What a `partitioned` cookie needs: `Secure` and `SameSite=None`, both
/// reported at `partitioned` in one message. `same_site` is `None` when
/// not written (Lax) or refused (`same_site_known` false: reported
/// already, so not also here).
fn partitioned_needs(
    cx: &Ctxt,
    setting: &Setting<()>,
    same_site: Option<SameSite>,
    same_site_known: bool,
    secure: bool,
) {
    let same_site_none = same_site == Some(SameSite::None) || !same_site_known;
    let message = match (secure, same_site_none) {
        (true, true) => return,
        (false, true) => format!(
            "`{PARTITIONED}` needs Secure: add `{SECURE}` (or use a `{HOST_PREFIX}` cookie \
             name); browsers ignore Partitioned on a cookie that is not Secure"
        ),
        (true, false) => format!(
            "`{PARTITIONED}` needs `{SAME_SITE} = \"{NONE}\"`: a partitioned cookie serves a \
             site embedded in other sites' pages, where browsers send only SameSite=None cookies"
        ),
        (false, false) => format!(
            "`{PARTITIONED}` needs `{SAME_SITE} = \"{NONE}\"` and Secure (add `{SECURE}`, or use \
             a `{HOST_PREFIX}` cookie name): a partitioned cookie serves a site embedded in \
             other sites' pages, where browsers send only Secure, SameSite=None cookies"
        ),
    };
    cx.error(setting.key, message);
}

/// The `__Host-` / `__Secure-` rules; returns whether the prefix implies Secure.
fn check_prefix(
    cx: &Ctxt,
    name: &str,
    path: Option<&LitStr>,
    domain: Option<&Setting<LitStr>>,
    secure: Option<Flag>,
) -> bool {
    let Some(rule) = cookie_prefix(name) else {
        return false;
    };
    let prefix = rule.as_str();
    if let Some(flag) = secure
        && !flag.value
    {
        cx.error(
            flag.span,
            format!("a `{prefix}` cookie is always Secure (browsers require it); remove `{SECURE} = false`"),
        );
    }
    if rule == CookiePrefix::Host {
        if let Some(lit) = path
            && lit.value() != "/"
        {
            cx.error(
                lit.span(),
                format!("a `{HOST_PREFIX}` cookie must have path \"/\" (browsers reject it with any other path)"),
            );
        }
        if let Some(setting) = domain {
            cx.error(
                setting.key,
                format!("a `{HOST_PREFIX}` cookie cannot have a domain (browsers reject it); remove `domain`"),
            );
        }
    }
    true
}

/// How the current version was given.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Declared {
    /// Not written: 1.
    Default,
    /// Written and valid.
    Explicit,
    /// Written and invalid (already reported).
    Invalid,
}

fn migrations(
    cx: &Ctxt,
    written: Vec<crate::attr::Migration>,
    current: u32,
    declared: Declared,
) -> Vec<Migration> {
    let mut seen: BTreeMap<u32, Span> = BTreeMap::new();
    let mut out = Vec::new();
    for migration in written {
        let (Some(from), Some(lit)) = (migration.from, migration.version) else {
            continue;
        };
        let Some(version) = schema_version(cx, &lit, "migrate version") else {
            continue;
        };
        if declared != Declared::Invalid && version >= current {
            let current_text = if declared == Declared::Explicit {
                format!("{current}")
            } else {
                format!("{current}, the default; declare the current one with `version = N`")
            };
            cx.error(
                lit.span(),
                format!("migrate version {version} must be lower than the current version ({current_text})"),
            );
            continue;
        }
        if seen.insert(version, lit.span()).is_some() {
            cx.error(
                lit.span(),
                format!("migrate version {version} is declared twice; each older version has one source type"),
            );
            continue;
        }
        out.push(Migration { from, version });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_characters_are_named_whole() {
        assert_eq!(char_at("sé", 1), 'é');
        assert_eq!(char_at("a b", 1), ' ');
    }
}
