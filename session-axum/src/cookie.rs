//! Reading `Cookie` request headers and writing `Set-Cookie` response headers.
//!
//! Reading is a hand-written byte scanner rather than a general cookie parser:
//! it allocates nothing and never fails (anything odd is skipped or handed to
//! `open`, which rejects it with a typed error).

use cookie::{Cookie, SameSite as CookieSameSite};
use http::HeaderValue;
use http::header::{COOKIE, HeaderMap, ValueIter};
use session_core::{SameSite, SessionSpec};

/// The values of every cookie called `name` in the request, in the order
/// sent, as the header's bytes (not checked to be UTF-8: opening checks what
/// it needs, and reports a value that is not UTF-8 as malformed).
///
/// Browsers send cookies with longer paths first, then older ones first
/// (RFC 6265 §5.4), so with duplicates the first one is the most specific.
///
/// Every duplicate is yielded: a sibling domain that plants many cookies of
/// one name (cookie tossing) must not be able to push the genuine one out of
/// reach. The work stays bounded by the size of the request's headers, which
/// the HTTP server limits, and each candidate costs one MAC check.
pub(crate) fn candidates<'h>(headers: &'h HeaderMap, name: &'h str) -> Candidates<'h> {
    Candidates {
        lines: headers.get_all(COOKIE).into_iter(),
        rest: &[],
        name: name.as_bytes(),
    }
}

/// The iterator of [`candidates`]: one pass over each `Cookie` line, which
/// looks for `;` (with `memchr`, a word or vector at a time) and compares
/// only the start of each pair with the name.
pub(crate) struct Candidates<'h> {
    lines: ValueIter<'h, HeaderValue>,
    rest: &'h [u8],
    name: &'h [u8],
}

impl<'h> Iterator for Candidates<'h> {
    type Item = &'h [u8];

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.rest.is_empty() {
                self.rest = self.lines.next()?.as_bytes();
                continue;
            }
            let (pair, rest) = match memchr::memchr(b';', self.rest) {
                Some(at) => {
                    let (pair, rest) = self.rest.split_at(at);
                    (pair, rest.get(1..).unwrap_or_default())
                }
                None => (self.rest, &[][..]),
            };
            self.rest = rest;
            if let Some(value) = value_of(pair, self.name) {
                return Some(value);
            }
        }
    }
}

/// The value of `pair` (`name=value`, optional whitespace around both) if
/// its name is `name`.
fn value_of<'a>(pair: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let after_name = pair.trim_ascii_start().strip_prefix(name)?;
    let value = after_name.trim_ascii_start().strip_prefix(b"=")?;
    Some(value.trim_ascii())
}

/// Formats the `Set-Cookie` value that stores `value` for `spec`.
pub(crate) fn set_cookie(
    spec: &SessionSpec,
    value: &str,
    max_age_secs: u64,
    secure: bool,
) -> String {
    let max_age = i64::try_from(max_age_secs).unwrap_or(i64::MAX);
    let cookie = base(spec, value.to_owned(), secure)
        .max_age(cookie::time::Duration::seconds(max_age))
        .build();
    cookie.to_string()
}

/// Formats the `Set-Cookie` value that deletes `spec`'s cookie: same name,
/// path, domain and `Partitioned` (or the browser keeps the original: a
/// partitioned cookie is matched in its partition only), empty value,
/// expired.
pub(crate) fn removal_cookie(spec: &SessionSpec, secure: bool) -> String {
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
    if spec.partitioned() {
        // The spec guarantees Secure and SameSite=None with it.
        builder = builder.partitioned(true);
    }
    if let Some(domain) = spec.domain() {
        builder = builder.domain(domain);
    }
    builder
}

#[cfg(test)]
mod tests {
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
            candidates(&map, "sid").collect::<Vec<_>>(),
            vec![&b"first"[..], b"second", b"third"]
        );
        assert_eq!(candidates(&map, "missing").count(), 0);
    }

    #[test]
    fn odd_input_is_skipped_or_passed_on() {
        let map = headers(&[b"=x; ; sid; \"sid\"=1; sid=\"quoted\"; sid=\xff\xfe; sid="]);
        assert_eq!(
            candidates(&map, "sid").collect::<Vec<_>>(),
            vec![&b"\"quoted\""[..], b"\xff\xfe", b""]
        );
    }

    #[test]
    fn every_duplicate_is_a_candidate() {
        let many = format!("{}sid=genuine", "sid=planted; ".repeat(200));
        let map = headers(&[many.as_bytes()]);
        let found: Vec<_> = candidates(&map, "sid").collect();
        assert_eq!(found.len(), 201);
        assert_eq!(found.last(), Some(&&b"genuine"[..]));
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
        assert!(!set.contains("Partitioned") && !removal.contains("Partitioned"));
    }

    #[test]
    fn a_partitioned_cookie_and_its_removal_both_say_so() {
        const SPEC: SessionSpec = SessionSpec::builder("T", "__Host-embed", "ns")
            .same_site(SameSite::None)
            .partitioned()
            .build();
        let set = set_cookie(&SPEC, "v", 60, true);
        let removal = removal_cookie(&SPEC, true);
        for line in [&set, &removal] {
            for part in ["; Partitioned", "; Secure", "; SameSite=None", "; Path=/"] {
                assert!(line.contains(part), "{line} lacks {part}");
            }
        }
        assert!(removal.contains("Max-Age=0"));
        assert!(set.len() <= "__Host-embed=v".len() + SPEC.attributes_len());
    }
}
