//! What the CSRF defences cost per request, beside a plain signed read.
//!
//! ```text
//! cargo build -p benches --release --bin profile-csrf
//! target/release/profile-csrf 2000000
//! ```
//!
//! - `cross-origin check`: `CrossOriginLayer::check` on a `POST` with
//!   `Sec-Fetch-Site: same-origin`, and on one with only `Origin` and `Host`
//!   (the fallback);
//! - `token check`: `Keyring::verify_csrf_token` of a valid token (an HMAC
//!   over the session's start, user and store key, compared in constant
//!   time), and of an invalid one;
//! - `plain read`: `Keyring::open_at` of the 149-byte benchmark payload.

use std::hint::black_box;
use std::time::Instant;

use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use benches::{BenchSession, keyring, payload};
use session_seal::CrossOriginLayer;
use session_seal::SessionPayload as _;
use session_seal::csrf::CsrfContext;

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let time = |what: &str, f: &mut dyn FnMut()| {
        let mut best = f64::INFINITY;
        for _ in 0..5 {
            let start = Instant::now();
            for _ in 0..n / 5 {
                f();
            }
            best = best.min(start.elapsed().as_nanos() as f64 / f64::from(n / 5));
        }
        println!("{what:<40} {best:>7.1} ns (fastest of 5 batches)");
    };

    let layer = CrossOriginLayer::new().trust_origin("https://partner.example");
    let uri: Uri = "/transfer".parse().unwrap_or_default();
    let mut fetch = HeaderMap::new();
    fetch.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
    fetch.insert("host", HeaderValue::from_static("app.example"));
    let mut old = HeaderMap::new();
    old.insert("origin", HeaderValue::from_static("https://app.example"));
    old.insert("host", HeaderValue::from_static("app.example"));
    time("cross-origin check (Sec-Fetch-Site)", &mut || {
        black_box(layer.check(&Method::POST, black_box(&uri), black_box(&fetch))).ok();
    });
    time("cross-origin check (Origin vs Host)", &mut || {
        black_box(layer.check(&Method::POST, black_box(&uri), black_box(&old))).ok();
    });

    let keyring = keyring();
    let key = [7u8; 32];
    let context = CsrfContext {
        started_at: 1_800_000_000,
        user: Some("4242424242"),
        session: &key,
    };
    let spec = BenchSession::SPEC;
    let token = keyring.csrf_token(&spec, &context);
    assert!(keyring.verify_csrf_token(&spec, &context, &token));
    let wrong = keyring.csrf_token(
        &spec,
        &CsrfContext {
            started_at: 1,
            ..context
        },
    );
    time("token check (valid)", &mut || {
        black_box(keyring.verify_csrf_token(&spec, black_box(&context), black_box(&token)));
    });
    time("token check (invalid)", &mut || {
        black_box(keyring.verify_csrf_token(&spec, black_box(&context), black_box(&wrong)));
    });
    time("token made", &mut || {
        black_box(keyring.csrf_token(&spec, black_box(&context)));
    });

    let sealed = keyring.seal(&payload()).unwrap_or_default();
    let now = 1_732_291_300;
    time("plain read (open, 149-byte payload)", &mut || {
        black_box(keyring.open_at::<BenchSession>(black_box(&sealed), now)).ok();
    });
}
