//! Arbitrary bytes as `Cookie` header lines: `candidates` must never panic
//! and must agree with a straightforward model of the parsing rule.
//!
//! The scanner is private to session-axum, so this target compiles its
//! source file directly.
#![no_main]

use http::HeaderValue;
use http::header::{COOKIE, HeaderMap};
use libfuzzer_sys::fuzz_target;
#[path = "../../session-axum/src/cookie.rs"]
#[allow(dead_code)]
mod cookie;

use cookie::candidates;

const NAMES: [&str; 5] = ["sid", "admin_sid", "", "a b", "x"];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let name = NAMES[usize::from(selector) % NAMES.len()];
    let mut headers = HeaderMap::new();
    for line in rest.split(|&b| b == b'\n') {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            headers.append(COOKIE, value);
        }
    }
    let found: Vec<&[u8]> = candidates(&headers, name).collect();

    // Model: `;`-separated pairs, first `=` splits, both sides trimmed of
    // ASCII whitespace, in order across header lines, all kept.
    let mut expected: Vec<&[u8]> = Vec::new();
    for header in headers.get_all(COOKIE) {
        for pair in header.as_bytes().split(|&b| b == b';') {
            let Some(at) = pair.iter().position(|&b| b == b'=') else {
                continue;
            };
            if pair[..at].trim_ascii() == name.as_bytes() {
                expected.push(pair[at + 1..].trim_ascii());
            }
        }
    }
    assert_eq!(found, expected);
    for value in &found {
        assert!(!value.contains(&b';'));
        assert_eq!(value.trim_ascii(), *value);
    }
});
