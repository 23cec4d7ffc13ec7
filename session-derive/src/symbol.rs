//! Every name the macros read, written once, and the "did you mean" helper.

use std::fmt::{self, Display};

use syn::{Ident, Path};

/// A name that appears in `#[session(...)]` or as one of its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Symbol(&'static str);

impl Symbol {
    /// The name as written by users.
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

/// The helper attribute of the derive, and of `registry!`.
pub const SESSION: Symbol = Symbol("session");
/// `cookie = "..."`: the cookie name.
pub const COOKIE: Symbol = Symbol("cookie");
/// `namespace = "..."`: the key-derivation label.
pub const NAMESPACE: Symbol = Symbol("namespace");
/// `version = N`: the current schema version (also inside `migrate(...)`).
pub const VERSION: Symbol = Symbol("version");
/// `max_age = "1d"`: the cookie lifetime.
pub const MAX_AGE: Symbol = Symbol("max_age");
/// `renew_after = "12h"`: the sliding-renewal point.
pub const RENEW_AFTER: Symbol = Symbol("renew_after");
/// `absolute_max_age = "30d"`: the lifetime of a session from its start.
pub const ABSOLUTE_MAX_AGE: Symbol = Symbol("absolute_max_age");
/// `same_site = "lax"`.
pub const SAME_SITE: Symbol = Symbol("same_site");
/// `path = "/"`.
pub const PATH: Symbol = Symbol("path");
/// `domain = "..."`.
pub const DOMAIN: Symbol = Symbol("domain");
/// `http_only` / `http_only = bool`.
pub const HTTP_ONLY: Symbol = Symbol("http_only");
/// `secure` / `secure = bool`.
pub const SECURE: Symbol = Symbol("secure");
/// `migrate(from = Type, version = N)`.
pub const MIGRATE: Symbol = Symbol("migrate");
/// `from = Type` inside `migrate(...)`.
pub const FROM: Symbol = Symbol("from");
/// `crate = "path"`: where the facade lives.
pub const CRATE: Symbol = Symbol("crate");
/// `store`: the payload lives in a session store, the cookie carries an id.
pub const STORE: Symbol = Symbol("store");
/// `encrypted`: the payload is encrypted in the cookie (wire format 2).
pub const ENCRYPTED: Symbol = Symbol("encrypted");
/// `asymmetric`: values are signed with Ed25519 (wire format 3), so that
/// services holding only the public key can verify them.
pub const ASYMMETRIC: Symbol = Symbol("asymmetric");
/// `touch_after = "5m"`: store mode's sliding-expiry interval.
pub const TOUCH_AFTER: Symbol = Symbol("touch_after");
/// `max_per_user = 5`: store mode's limit of sessions per user.
pub const MAX_PER_USER: Symbol = Symbol("max_per_user");
/// `user = "field"`: the field naming the user, for store mode's per-user
/// index and for revoking a revocable session by user.
pub const USER: Symbol = Symbol("user");
/// `revocable`: a cookie-mode session that revocations can end early.
pub const REVOCABLE: Symbol = Symbol("revocable");
/// `flash`: a short-lived message written by one request, read once by the next.
pub const FLASH: Symbol = Symbol("flash");
/// `partitioned`: the cookie carries `Partitioned` (CHIPS).
pub const PARTITIONED: Symbol = Symbol("partitioned");
/// `fingerprint`: sessions are bound to the browser that logged in.
pub const FINGERPRINT: Symbol = Symbol("fingerprint");
/// `refresh = Type`: the store-mode refresh type of a hybrid session's
/// cookie-mode access type.
pub const REFRESH: Symbol = Symbol("refresh");

/// `same_site = "lax"`.
pub const LAX: Symbol = Symbol("lax");
/// `same_site = "strict"`.
pub const STRICT: Symbol = Symbol("strict");
/// `same_site = "none"`.
pub const NONE: Symbol = Symbol("none");

/// Keys accepted by `#[session(...)]` on a type.
pub const TYPE_KEYS: &[Symbol] = &[
    COOKIE,
    NAMESPACE,
    VERSION,
    MAX_AGE,
    RENEW_AFTER,
    ABSOLUTE_MAX_AGE,
    SAME_SITE,
    PATH,
    DOMAIN,
    HTTP_ONLY,
    SECURE,
    MIGRATE,
    CRATE,
    STORE,
    TOUCH_AFTER,
    MAX_PER_USER,
    USER,
    ENCRYPTED,
    ASYMMETRIC,
    REVOCABLE,
    FLASH,
    PARTITIONED,
    FINGERPRINT,
    REFRESH,
];
/// Keys accepted inside `migrate(...)`.
pub const MIGRATE_KEYS: &[Symbol] = &[FROM, VERSION];
/// Keys accepted by `#[session(...)]` on a `registry!` struct.
pub const REGISTRY_KEYS: &[Symbol] = &[CRATE];
/// Values accepted by `same_site`.
pub const SAME_SITE_VALUES: &[Symbol] = &[LAX, STRICT, NONE];

/// The `__Host-` prefix, for messages (its rules live in `session-rules`).
pub use session_rules::HOST_PREFIX;

/// A `crate = ...` value, for messages.
pub const CRATE_EXAMPLE: &str = "\"my_crate::session_seal\"";

/// The facade crate whose private module generated code goes through.
pub const DEFAULT_CRATE: &str = "session_seal";

/// The facade's module of items only generated code uses. Its name carries
/// the version of this derive (which the facade pins with `=`), as serde's
/// does: a derive of another version names a module that does not exist
/// and fails to compile, instead of compiling against other helpers.
pub const PRIVATE_MODULE: &str = "__private_0_1";

/// `krate::__private_0_1`: where generated code finds its helpers.
pub fn private_path(krate: &syn::Path) -> proc_macro2::TokenStream {
    let module = proc_macro2::Ident::new(PRIVATE_MODULE, proc_macro2::Span::call_site());
    quote::quote!(#krate::#module)
}

impl Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl PartialEq<Symbol> for Ident {
    fn eq(&self, word: &Symbol) -> bool {
        self == word.0
    }
}

impl PartialEq<Symbol> for Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl PartialEq<Symbol> for &Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

/// The candidate closest to `written`, if it is close enough to be a typo.
pub fn closest(written: &str, candidates: &[Symbol]) -> Option<Symbol> {
    let names = candidates.iter().map(|candidate| candidate.0);
    let name = closest_name(written, names)?;
    candidates
        .iter()
        .copied()
        .find(|candidate| candidate.0 == name)
}

/// [`closest`] over any names (a struct's field names, say); the first of
/// equally close candidates wins.
pub fn closest_name<'a>(
    written: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (written.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|candidate| (levenshtein(written, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Edit distance between two strings, counting insertions, deletions,
/// substitutions and swaps of adjacent characters (`form` → `from` is 1).
fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // rows[i][j]: distance between a[..i] and b[..j].
    let mut rows = vec![vec![0; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let substitution = rows[i - 1][j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let mut best = substitution.min(rows[i - 1][j] + 1).min(rows[i][j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levenshtein_distances() {
        assert_eq!(levenshtein("", ""), 0);
        assert_eq!(levenshtein("cokie", "cookie"), 1);
        assert_eq!(levenshtein("domian", "domain"), 1);
        assert_eq!(levenshtein("form", "from"), 1);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("abc", ""), 3);
    }

    #[test]
    fn suggestions() {
        assert_eq!(closest("cokie", TYPE_KEYS), Some(COOKIE));
        assert_eq!(closest("namspace", TYPE_KEYS), Some(NAMESPACE));
        assert_eq!(closest("maxage", TYPE_KEYS), Some(MAX_AGE));
        assert_eq!(
            closest("absolute_max_ag", TYPE_KEYS),
            Some(ABSOLUTE_MAX_AGE)
        );
        assert_eq!(closest("samesite", TYPE_KEYS), Some(SAME_SITE));
        assert_eq!(closest("httponly", TYPE_KEYS), Some(HTTP_ONLY));
        assert_eq!(closest("versoin", TYPE_KEYS), Some(VERSION));
        assert_eq!(closest("color", TYPE_KEYS), None);
        assert_eq!(closest("x", TYPE_KEYS), None);
        assert_eq!(closest("form", MIGRATE_KEYS), Some(FROM));
        assert_eq!(closest("stroe", TYPE_KEYS), Some(STORE));
        assert_eq!(closest("storage", TYPE_KEYS), Some(STORE));
        assert_eq!(closest("touch_afer", TYPE_KEYS), Some(TOUCH_AFTER));
        assert_eq!(closest("max_per_users", TYPE_KEYS), Some(MAX_PER_USER));
        assert_eq!(closest("usr", TYPE_KEYS), Some(USER));
        assert_eq!(closest("encrypt", TYPE_KEYS), Some(ENCRYPTED));
        assert_eq!(closest("encryptd", TYPE_KEYS), Some(ENCRYPTED));
        assert_eq!(closest("asymetric", TYPE_KEYS), Some(ASYMMETRIC));
        assert_eq!(closest("assymetric", TYPE_KEYS), Some(ASYMMETRIC));
        assert_eq!(closest("revokable", TYPE_KEYS), Some(REVOCABLE));
        assert_eq!(closest("revocabel", TYPE_KEYS), Some(REVOCABLE));
        assert_eq!(closest("flahs", TYPE_KEYS), Some(FLASH));
        assert_eq!(closest("partitoned", TYPE_KEYS), Some(PARTITIONED));
        assert_eq!(closest("partition", TYPE_KEYS), Some(PARTITIONED));
        assert_eq!(closest("refersh", TYPE_KEYS), Some(REFRESH));
        assert_eq!(closest("refresh_type", TYPE_KEYS), None);
    }

    #[test]
    fn suggestions_among_names() {
        let fields = ["user_id", "roles", "tenant"];
        assert_eq!(closest_name("usre_id", fields), Some("user_id"));
        assert_eq!(closest_name("role", fields), Some("roles"));
        assert_eq!(closest_name("email", fields), None);
    }
}
