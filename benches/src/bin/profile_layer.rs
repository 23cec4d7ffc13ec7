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
//! `seal-read`, `seal-write` (re-seal every request), `floor-write`,
//! `floor-vary` (the floor answering `Vary: Cookie`), `layer-only` (the
//! session layer, no session read), `identity-layer` (tower's do-nothing
//! layer), `seal-read-outer` (the read with the session layer wrapped
//! around the whole router instead of added by `Router::layer`).
//! Instructions per request = (count at N − count at 0) / N.
//!
//! `profile-layer race <rounds>` times the cases instead (wall time,
//! interleaved batches, fastest and median): the layer's added time over
//! the floor's.

use std::hint::black_box;

use axum::Router;
use axum::body::Body;
use axum::http::header::{COOKIE, HeaderMap, HeaderValue, SET_COOKIE, VARY};
use axum::http::{Request, StatusCode};
use axum::routing::get;
use benches::{BenchSession, BenchSessions, Floor, keyring, min_and_median, payload, read_session};
use session_seal::{SessionLayer, SessionService, TypedSession};
use tower_layer::Layer as _;
use tower_service::Service as _;

/// A case's service: a router, or (`seal-read-outer`) the session layer
/// wrapped around a router instead of added with `Router::layer`.
#[derive(Clone)]
enum App {
    Router(Router),
    Outer(SessionService<Router>),
}

/// The case's router prepared as `axum::serve` prepares it: `with_state`
/// turns each handler into a route once. A `Router` called directly without
/// it redoes that, layers included, on every request, which no server pays.
fn router(case: &str) -> (App, String) {
    if case == "seal-read-outer" {
        let (router, cookie) = routes("seal-read-bare");
        let layer = SessionLayer::<BenchSessions>::new(keyring());
        return (App::Outer(layer.layer(router.with_state(()))), cookie);
    }
    let (router, cookie) = routes(case);
    (App::Router(router.with_state(())), cookie)
}

fn routes(case: &str) -> (Router, String) {
    let sealed = format!("sid={}", keyring().seal(&payload()).unwrap_or_default());
    let floor = Floor::new();
    let floor_cookie = format!("sid={}", floor.sign(&payload()));
    match case {
        "baseline" => (
            Router::new().route("/", get(|| async { StatusCode::OK })),
            sealed,
        ),
        // Any layer on the route costs axum a boxed service per request.
        "identity-layer" => (
            Router::new()
                .route("/", get(|| async { StatusCode::OK }))
                .layer(tower_layer::Identity::new()),
            sealed,
        ),
        // The layer on the route, no session read: what being there costs.
        "layer-only" => (
            Router::new()
                .route("/", get(|| async { StatusCode::OK }))
                .layer(SessionLayer::<BenchSessions>::new(keyring())),
            sealed,
        ),
        // `floor-vary`: the floor's read, answering with `Vary: Cookie` as
        // a response that depends on a cookie must (the layer sends it).
        "floor" | "floor-write" | "floor-vary" => {
            let write = case == "floor-write";
            let vary = case == "floor-vary";
            let router = Router::new().route(
                "/",
                get(move |headers: HeaderMap| async move {
                    let Some(p) = floor.read(&headers) else {
                        return (StatusCode::UNAUTHORIZED, HeaderMap::new());
                    };
                    black_box(p.user_id);
                    let mut out = HeaderMap::new();
                    if vary {
                        out.insert(VARY, HeaderValue::from_static("cookie"));
                    }
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
            let bare = case == "seal-read-bare";
            let router = Router::new().route(
                "/",
                get(move |s: TypedSession<BenchSession>| read_session(s, write)),
            );
            if bare {
                // Layered by the caller, around the whole router.
                return (router, sealed);
            }
            let router = router.layer(SessionLayer::<BenchSessions>::new(keyring()));
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
    if case == "race" {
        race(&rt, rounds);
        return;
    }
    let (router, cookie) = router(&case);
    let mut ok = 0u64;
    for _ in 0..rounds {
        ok += u64::from(serve(&rt, &router, &cookie));
    }
    black_box(ok);
    if ok != rounds {
        eprintln!("{case}: only {ok} of {rounds} requests answered 200");
        std::process::exit(1);
    }
}

/// One request through a clone of `app` (as a server clones its service
/// per request); whether it answered 200.
fn serve(rt: &tokio::runtime::Runtime, app: &App, cookie: &str) -> bool {
    let Ok(request) = Request::get("/").header(COOKIE, cookie).body(Body::empty()) else {
        return false;
    };
    let response = match app.clone() {
        App::Router(mut router) => rt.block_on(router.call(request)),
        App::Outer(mut service) => rt.block_on(service.call(request)),
    };
    matches!(response, Ok(response) if response.status() == StatusCode::OK)
}

/// The cases [`race`] runs, in the order of its table.
const RACE: [&str; 9] = [
    "baseline",
    "floor",
    "seal-read",
    "floor-write",
    "seal-write",
    "layer-only",
    "identity-layer",
    "floor-vary",
    "seal-read-outer",
];

/// Wall time, in process: `rounds` interleaved batches of every case (so
/// drift hits each alike); per case the fastest and the median batch, what
/// each adds to the baseline, and session-seal's addition over the floor's,
/// read and write. The fastest batch is the one least disturbed by other
/// work on a shared machine. `profile-layer race 300` takes about 15 s.
fn race(rt: &tokio::runtime::Runtime, rounds: u64) {
    const BATCH: u32 = 200;
    let cases: Vec<(App, String)> = RACE.iter().map(|case| router(case)).collect();
    // Each case must really read a session, or the comparison is void.
    for ((router, cookie), name) in cases.iter().zip(RACE) {
        assert!(serve(rt, router, cookie), "{name} does not answer 200");
    }
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); RACE.len()];
    for _ in 0..rounds {
        for ((router, cookie), samples) in cases.iter().zip(&mut times) {
            let start = std::time::Instant::now();
            for _ in 0..BATCH {
                black_box(serve(rt, router, cookie));
            }
            samples.push(start.elapsed().as_nanos() as f64 / f64::from(BATCH));
        }
    }
    let (mins, medians): (Vec<f64>, Vec<f64>) = times
        .iter_mut()
        .map(|samples| min_and_median(samples))
        .unzip();
    println!(
        "{:<15} {:>9} {:>9} {:>10} {:>10}",
        "case", "min", "median", "+min", "+median"
    );
    for (index, name) in RACE.iter().enumerate() {
        println!(
            "{name:<15} {:>9.1} {:>9.1} {:>10.1} {:>10.1}",
            mins[index],
            medians[index],
            mins[index] - mins[0],
            medians[index] - medians[0]
        );
    }
    println!();
    for (what, stats) in [("min", &mins), ("median", &medians)] {
        let added = |index: usize| stats[index] - stats[0];
        println!(
            "{what:<6}  read: layer adds {:.2}x the floor's (around the router: {:.2}x)   write: {:.2}x the floor's, request {:.2}x",
            added(2) / added(1),
            added(8) / added(1),
            added(4) / added(3),
            stats[4] / stats[3]
        );
    }
}
