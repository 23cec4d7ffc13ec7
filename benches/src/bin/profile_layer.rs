//! A fixed loop of requests through an axum router on a current-thread
//! runtime, for instruction counts under callgrind: what the layer adds to a
//! request, against the hand-written floor doing the same read in the
//! handler.
//!
//! ```text
//! cargo build -p benches --release --bin profile-layer
//! valgrind --tool=callgrind target/release/profile-layer seal-read 20000
//! valgrind --tool=callgrind target/release/profile-layer seal-read 0
//! ```
//!
//! Cases: `baseline` (the same cookie header, not read), `floor`,
//! `seal-read`, `seal-write` (re-seal every request), `floor-write`.
//! Instructions per request = (count at N − count at 0) / N.

use std::hint::black_box;

use axum::Router;
use axum::body::Body;
use axum::http::header::{COOKIE, HeaderMap, HeaderValue, SET_COOKIE};
use axum::http::{Request, StatusCode};
use axum::routing::get;
use benches::{BenchSession, BenchSessions, Floor, keyring, payload};
use session_seal::{SessionError, SessionLayer, TypedSession};
use tower_service::Service as _;

fn router(case: &str) -> (Router, String) {
    let sealed = format!("sid={}", keyring().seal(&payload()).unwrap_or_default());
    let floor = Floor::new();
    let floor_cookie = format!("sid={}", floor.sign(&payload()));
    match case {
        "baseline" => (
            Router::new().route("/", get(|| async { StatusCode::OK })),
            sealed,
        ),
        "floor" | "floor-write" => {
            let write = case == "floor-write";
            let router = Router::new().route(
                "/",
                get(move |headers: HeaderMap| async move {
                    let value = headers
                        .get(COOKIE)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.strip_prefix("sid="));
                    let Some(p) = value.and_then(|v| floor.verify(v)) else {
                        return (StatusCode::UNAUTHORIZED, HeaderMap::new());
                    };
                    black_box(p.user_id);
                    let mut out = HeaderMap::new();
                    if write {
                        let set = format!("sid={}; Path=/; HttpOnly", floor.sign(&p));
                        if let Ok(value) = HeaderValue::from_str(&set) {
                            out.insert(SET_COOKIE, value);
                        }
                    }
                    (StatusCode::OK, out)
                }),
            );
            (router, floor_cookie)
        }
        _ => {
            let write = case == "seal-write";
            let router = Router::new()
                .route(
                    "/",
                    get(move |mut s: TypedSession<BenchSession>| async move {
                        // Read in place (no clone); a write re-seals the same payload.
                        let Some(user_id) = s.get().map(|p| p.user_id) else {
                            return Ok::<_, SessionError>(StatusCode::UNAUTHORIZED);
                        };
                        black_box(user_id);
                        if write {
                            s.update(|p| {
                                black_box(&p.user_id);
                            })?;
                        }
                        Ok(StatusCode::OK)
                    }),
                )
                .layer(SessionLayer::<BenchSessions>::new(keyring()));
            (router, sealed)
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let case = args.next().unwrap_or_else(|| "seal-read".to_owned());
    let rounds: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().build() else {
        eprintln!("no runtime");
        return;
    };
    let (router, cookie) = router(&case);
    let mut ok = 0u64;
    for _ in 0..rounds {
        let Ok(request) = Request::get("/")
            .header(COOKIE, cookie.as_str())
            .body(Body::empty())
        else {
            continue;
        };
        let mut service = router.clone();
        if let Ok(response) = rt.block_on(service.call(request))
            && response.status() == StatusCode::OK
        {
            ok += 1;
        }
    }
    black_box(ok);
    if ok != rounds {
        eprintln!("{case}: only {ok} of {rounds} requests answered 200");
        std::process::exit(1);
    }
}
