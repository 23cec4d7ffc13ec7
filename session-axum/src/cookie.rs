//! Reading `Cookie` request headers and writing `Set-Cookie` response headers.
//!
//! Reading is a hand-written byte scanner rather than a general cookie parser:
//! it allocates nothing, never fails (anything odd is skipped or handed to
//! `open`, which rejects it with a typed error), and stops looking once it has
//! enough candidates.

use cookie::{Cookie, SameSite as CookieSameSite};
use http::header::{COOKIE, HeaderMap};
use session_core::{SameSite, SessionSpec};

/// At most this many cookies with one name are tried, first to last. A request
/// carrying more (cookie tossing from a sibling domain, a confused client) gets
/// the first ones considered and the rest ignored, so work stays bounded.
pub const MAX_CANDIDATES: usize = 8;

/// The values of every cookie called `name` in the request, in the order sent.
///
/// Browsers send cookies with longer paths first, then older ones first
/// (RFC 6265 §5.4), so with duplicates the first one is the most specific.
/// Values that are not UTF-8 come back as `None` (to be reported as malformed).
pub fn candidates<'h>(headers: &'h HeaderMap, name: &str) -> Vec<Option<&'h str>> {
    let mut found = Vec::new();
    for header in headers.get_all(COOKIE) {
        for pair in header.as_bytes().split(|&b| b == b';') {
            let Some((key, value)) = split_pair(pair) else {
                continue;
            };
            if key == name.as_bytes() {
                found.push(std::str::from_utf8(value).ok());
                if found.len() == MAX_CANDIDATES {
                    return found;
                }
            }
        }
    }
    found
}

/// `name=value` with optional whitespace around both; pairs without `=` are skipped.
fn split_pair(pair: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = pair.iter().position(|&b| b == b'=')?;
    let (key, value) = (pair.get(..at)?, pair.get(at + 1..)?);
    Some((key.trim_ascii(), value.trim_ascii()))
}

/// Formats the `Set-Cookie` value that stores `value` for `spec`.
pub fn set_cookie(spec: &SessionSpec, value: &str, max_age_secs: u64, secure: bool) -> String {
    let max_age = i64::try_from(max_age_secs).unwrap_or(i64::MAX);
    let cookie = base(spec, value.to_owned(), secure)
        .max_age(cookie::time::Duration::seconds(max_age))
        .build();
    cookie.to_string()
}

/// Formats the `Set-Cookie` value that deletes `spec`'s cookie: same name,
/// path and domain (or the browser keeps the original), empty value, expired.
pub fn removal_cookie(spec: &SessionSpec, secure: bool) -> String {
    let mut cookie = base(spec, String::new(), secure).build();
    cookie.make_removal();
    cookie.to_string()
}

fn base(spec: &SessionSpec, value: String, secure: bool) -> cookie::CookieBuilder<'static> {
    let mut builder = Cookie::build((spec.cookie(), value))
        .path(spec.path())
        .http_only(spec.http_only())
        .same_site(match spec.same_site() {
            SameSite::Strict => CookieSameSite::Strict,
            SameSite::Lax => CookieSameSite::Lax,
            SameSite::None => CookieSameSite::None,
        })
        .secure(secure);
    if let Some(domain) = spec.domain() {
        builder = builder.domain(domain);
    }
    builder
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(values: &[&[u8]]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(COOKIE, HeaderValue::from_bytes(v).expect("header bytes"));
        }
        map
    }

    #[test]
    fn finds_all_occurrences_in_order_across_headers() {
        let map = headers(&[b"a=1; sid=first; b=2", b"sid = second ;sid=third"]);
        assert_eq!(
            candidates(&map, "sid"),
            vec![Some("first"), Some("second"), Some("third")]
        );
        assert!(candidates(&map, "missing").is_empty());
    }

    #[test]
    fn odd_input_is_skipped_or_passed_on() {
        let map = headers(&[b"=x; ; sid; \"sid\"=1; sid=\"quoted\"; sid=\xff\xfe; sid="]);
        assert_eq!(
            candidates(&map, "sid"),
            vec![Some("\"quoted\""), None, Some("")]
        );
    }

    #[test]
    fn candidates_are_bounded() {
        let many = "sid=x; ".repeat(200);
        let map = headers(&[many.as_bytes()]);
        assert_eq!(candidates(&map, "sid").len(), MAX_CANDIDATES);
    }

    #[test]
    fn set_and_removal_carry_the_same_scope() {
        const SPEC: SessionSpec = SessionSpec::builder("T", "sid", "ns")
            .path("/admin")
            .domain("example.com")
            .same_site(SameSite::Strict)
            .build();
        let set = set_cookie(&SPEC, "v", 3600, true);
        for part in [
            "sid=v",
            "Path=/admin",
            "Domain=example.com",
            "Max-Age=3600",
            "HttpOnly",
            "SameSite=Strict",
            "Secure",
        ] {
            assert!(set.contains(part), "{set} lacks {part}");
        }
        let removal = removal_cookie(&SPEC, false);
        for part in ["sid=", "Path=/admin", "Domain=example.com", "Max-Age=0"] {
            assert!(removal.contains(part), "{removal} lacks {part}");
        }
        assert!(!removal.contains("Secure"));
    }
}
