//! The rules of a session type's declaration, written once.
//!
//! `#[derive(SessionPayload)]` checks them at compile time, reporting each
//! broken rule at the attribute it is about; `SessionSpecBuilder::try_build`
//! in session-core checks them again in `const` evaluation, the backstop for
//! specs written by hand. Both call these functions, so the two can never
//! disagree. Everything here is `const fn` and dependency-free, so the
//! derive stays fast to build.
#![no_std]
#![forbid(unsafe_code)]

pub mod duration;

/// Longest cookie name: its length is one byte of the binding a key is
/// derived from.
pub const MAX_COOKIE_NAME_LEN: usize = 255;

/// Longest namespace. Namespaces are key-derivation labels, not prose.
pub const MAX_NAMESPACE_LEN: usize = 64;

/// Seconds in one day.
pub const DAY_SECS: u64 = 86_400;

/// The default `max_age`: one day.
pub const DEFAULT_MAX_AGE_SECS: u64 = DAY_SECS;

/// Browsers cap a cookie's lifetime at 400 days (RFC 6265bis §5.5); a longer
/// `max_age` would silently be cut, so it is refused.
pub const MAX_MAX_AGE_DAYS: u64 = 400;

/// [`MAX_MAX_AGE_DAYS`] in seconds.
pub const MAX_MAX_AGE_SECS: u64 = MAX_MAX_AGE_DAYS * DAY_SECS;

/// Longest `absolute_max_age`: the header counts a session's age in a `u32`
/// of seconds (about 136 years), which must not saturate while it lives.
pub const MAX_ABSOLUTE_MAX_AGE_SECS: u64 = u32::MAX as u64;

/// The default `max_age` of a flash message (`#[session(flash)]`): five
/// minutes. A flash is written by one request and read by the next page,
/// normally within a second of the redirect that follows it.
pub const DEFAULT_FLASH_MAX_AGE_SECS: u64 = 300;

/// The longest `max_age` a flash message may declare: one hour. A flash is
/// read on the next page; one that outlives the visit it belongs to shows a
/// stale notice ("Saved") on some later, unrelated page, and rides along on
/// every request until then. An hour still covers a slow redirect chain or
/// a login interstitial between the write and the read.
pub const MAX_FLASH_MAX_AGE_SECS: u64 = 3600;

/// The longest default interval between two touches of a stored session:
/// five minutes (half of `max_age` when that is shorter).
pub const DEFAULT_TOUCH_AFTER_SECS: u64 = 300;

/// Cookie-name prefix that requires `Secure`, `Path=/` and no `Domain`
/// (RFC 6265bis §4.1.3.2), matched without regard to ASCII case.
pub const HOST_PREFIX: &str = "__Host-";

/// Cookie-name prefix that requires `Secure` (RFC 6265bis §4.1.3.1).
pub const SECURE_PREFIX: &str = "__Secure-";

/// Why a cookie name or a namespace was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameError {
    /// It is empty.
    Empty,
    /// It is `len` bytes long; at most `max` are allowed.
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The byte at index `at` is not allowed (for a non-ASCII character, its
    /// first byte).
    InvalidByte {
        /// The byte index.
        at: usize,
    },
}

/// A cookie name: 1 to [`MAX_COOKIE_NAME_LEN`] RFC 6265 `token` bytes.
pub const fn check_cookie_name(name: &str) -> Result<(), NameError> {
    check_name(name, MAX_COOKIE_NAME_LEN, Class::Token)
}

/// A namespace: 1 to [`MAX_NAMESPACE_LEN`] bytes of `[a-z0-9_.-]`.
pub const fn check_namespace(namespace: &str) -> Result<(), NameError> {
    check_name(namespace, MAX_NAMESPACE_LEN, Class::Namespace)
}

/// Whether [`check_cookie_name`] accepts `name`.
pub const fn is_cookie_name(name: &str) -> bool {
    check_cookie_name(name).is_ok()
}

/// Whether [`check_namespace`] accepts `namespace`.
pub const fn is_namespace(namespace: &str) -> bool {
    check_namespace(namespace).is_ok()
}

/// An RFC 2616 `token` byte: visible ASCII except separators.
pub const fn is_token_byte(b: u8) -> bool {
    matches!(b, 0x21..=0x7e)
        && !matches!(
            b,
            b'(' | b')'
                | b'<'
                | b'>'
                | b'@'
                | b','
                | b';'
                | b':'
                | b'\\'
                | b'"'
                | b'/'
                | b'['
                | b']'
                | b'?'
                | b'='
                | b'{'
                | b'}'
        )
}

/// A namespace byte: lowercase ASCII letter, digit, `_`, `.` or `-`.
pub const fn is_namespace_byte(b: u8) -> bool {
    matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-')
}

/// A `Path` attribute: starts with `/`, no `;` and no control characters.
pub const fn is_cookie_path(path: &str) -> bool {
    matches!(path.as_bytes(), [b'/', ..]) && all_bytes(path.as_bytes(), Class::Path)
}

/// A `Domain` attribute: not empty, no `;`, spaces or control characters.
pub const fn is_cookie_domain(domain: &str) -> bool {
    !domain.is_empty() && all_bytes(domain.as_bytes(), Class::Domain)
}

/// The prefix rule a cookie name falls under, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CookiePrefix {
    /// [`HOST_PREFIX`]: `Secure`, `Path=/`, no `Domain`.
    Host,
    /// [`SECURE_PREFIX`]: `Secure`.
    Secure,
}

impl CookiePrefix {
    /// The prefix as written.
    pub const fn as_str(self) -> &'static str {
        match self {
            CookiePrefix::Host => HOST_PREFIX,
            CookiePrefix::Secure => SECURE_PREFIX,
        }
    }
}

/// Which prefix rule `name` falls under (ASCII case-insensitively, as
/// browsers match them: RFC 6265bis §5.4).
pub const fn cookie_prefix(name: &str) -> Option<CookiePrefix> {
    if has_prefix_ignore_case(name, HOST_PREFIX) {
        Some(CookiePrefix::Host)
    } else if has_prefix_ignore_case(name, SECURE_PREFIX) {
        Some(CookiePrefix::Secure)
    } else {
        None
    }
}

/// `renew_after` when none is declared: half of `max_age`.
pub const fn default_renew_after_secs(max_age_secs: u64) -> u64 {
    max_age_secs / 2
}

/// `touch_after` when none is declared: [`DEFAULT_TOUCH_AFTER_SECS`], or
/// half of `max_age` when that is shorter.
pub const fn default_touch_after_secs(max_age_secs: u64) -> u64 {
    let half = max_age_secs / 2;
    if half < DEFAULT_TOUCH_AFTER_SECS {
        half
    } else {
        DEFAULT_TOUCH_AFTER_SECS
    }
}

/// `const` string equality (the registry's collision checks run in `const`
/// items, where `==` on `str` is not available).
pub const fn str_eq(a: &str, b: &str) -> bool {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    // Slice patterns instead of indexing: const-friendly and bounds-free.
    while let ([x, a_rest @ ..], [y, b_rest @ ..]) = (a, b) {
        if *x != *y {
            return false;
        }
        (a, b) = (a_rest, b_rest);
    }
    a.is_empty() && b.is_empty()
}

/// ASCII case-insensitive prefix test.
pub const fn has_prefix_ignore_case(s: &str, prefix: &str) -> bool {
    let (mut s, mut p) = (s.as_bytes(), prefix.as_bytes());
    while let [y, p_rest @ ..] = p {
        let [x, s_rest @ ..] = s else {
            return false;
        };
        if !x.eq_ignore_ascii_case(y) {
            return false;
        }
        (s, p) = (s_rest, p_rest);
    }
    true
}

/// Which bytes a field may contain (function pointers cannot be called in
/// `const fn`).
#[derive(Clone, Copy)]
enum Class {
    Token,
    Namespace,
    Path,
    Domain,
}

const fn allowed(b: u8, class: Class) -> bool {
    match class {
        Class::Token => is_token_byte(b),
        Class::Namespace => is_namespace_byte(b),
        Class::Path => b >= 0x20 && b != 0x7f && b != b';',
        Class::Domain => b > 0x20 && b != 0x7f && b != b';',
    }
}

const fn check_name(text: &str, max: usize, class: Class) -> Result<(), NameError> {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return Err(NameError::Empty);
    }
    if bytes.len() > max {
        return Err(NameError::TooLong {
            len: bytes.len(),
            max,
        });
    }
    match first_disallowed(bytes, class) {
        Some(at) => Err(NameError::InvalidByte { at }),
        None => Ok(()),
    }
}

const fn all_bytes(bytes: &[u8], class: Class) -> bool {
    first_disallowed(bytes, class).is_none()
}

const fn first_disallowed(mut bytes: &[u8], class: Class) -> Option<usize> {
    let mut at = 0;
    while let [b, rest @ ..] = bytes {
        if !allowed(*b, class) {
            return Some(at);
        }
        at += 1;
        bytes = rest;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_namespaces() {
        assert_eq!(check_cookie_name("admin_sid"), Ok(()));
        assert_eq!(check_cookie_name(""), Err(NameError::Empty));
        assert_eq!(
            check_cookie_name("a b"),
            Err(NameError::InvalidByte { at: 1 })
        );
        assert_eq!(
            check_cookie_name("sé"),
            Err(NameError::InvalidByte { at: 1 })
        );
        let long = "a".repeat(256);
        assert_eq!(
            check_cookie_name(&long),
            Err(NameError::TooLong { len: 256, max: 255 })
        );
        assert!(is_namespace("tenant.v2_a-b"));
        assert_eq!(
            check_namespace("Admin"),
            Err(NameError::InvalidByte { at: 0 })
        );
    }

    #[test]
    fn attributes_and_prefixes() {
        assert!(is_cookie_path("/admin"));
        assert!(!is_cookie_path("admin"));
        assert!(!is_cookie_path("/a;b"));
        assert!(is_cookie_domain("example.com"));
        assert!(!is_cookie_domain("exa mple.com"));
        assert!(!is_cookie_domain(""));
        assert_eq!(cookie_prefix("__host-x"), Some(CookiePrefix::Host));
        assert_eq!(cookie_prefix("__Secure-x"), Some(CookiePrefix::Secure));
        assert_eq!(cookie_prefix("_Host-x"), None);
        assert!(str_eq("ab", "ab") && !str_eq("ab", "abc"));
    }

    #[test]
    fn defaults() {
        assert_eq!(default_renew_after_secs(DAY_SECS), DAY_SECS / 2);
        assert_eq!(default_touch_after_secs(DAY_SECS), 300);
        assert_eq!(default_touch_after_secs(120), 60);
    }
}
