//! What revocable cookie-mode sessions cost.
//!
//! ```text
//! cargo build -p benches --release --bin profile-revocation
//! target/release/profile-revocation race 300        # read cost over HTTP
//! target/release/profile-revocation memory          # bytes per table entry
//! target/release/profile-revocation propagation memory 500
//! target/release/profile-revocation propagation redis://127.0.0.1:6379 500
//! target/release/profile-revocation propagation postgres://… 500
//! target/release/profile-revocation propagation sqlite:/tmp/rev.db 200
//! ```
//!
//! - `race`: interleaved batches of in-process requests through an axum
//!   router with the session layer (as `profile-layer race` does): the
//!   benchmark payload read as a plain signed type and as a revocable one,
//!   with 100 000 revocations in the table (one of them this user's, from
//!   before the session began, so the lookup finds an entry and compares).
//! - `memory`: resident memory added per revocation in the table, for
//!   100 000 and 1 000 000 distinct users.
//! - `propagation`: the time from `revoke` returning in one process to the
//!   table of another process (its own feed connection) holding the
//!   revocation; p50, p99 and max over `n` revocations, one at a time.

use std::hint::black_box;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::header::COOKIE;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use benches::{
    BenchSession, BenchSessions, RevocableBenchSession, keyring, min_and_median, payload,
};
use session_seal::revocation::{
    MemoryFeed, Revocation, RevocationFeed, RevocationTable, Revocations,
};
use session_seal::{Namespace, SessionLayer, TypedSession};
use tower_service::Service as _;

/// Revocations in the table during `race`.
const TABLE_SIZE: u64 = 100_000;

fn main() {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_else(|| "race".to_owned());
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        eprintln!("no runtime");
        return;
    };
    match command.as_str() {
        "race" => {
            let rounds = args.next().and_then(|n| n.parse().ok()).unwrap_or(300);
            race(&rt, rounds);
        }
        "memory" => memory(),
        "parts" => parts(&rt),
        "propagation" => {
            let target = args.next().unwrap_or_else(|| "memory".to_owned());
            let n = args
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(200)
                .min(10_000);
            rt.block_on(propagation(&target, n));
        }
        other => eprintln!("unknown command {other:?}: race | memory | propagation"),
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// A current `Revocations` over a memory feed with `TABLE_SIZE` entries.
fn full_table(rt: &tokio::runtime::Runtime) -> Revocations {
    let _guard = rt.enter();
    let revocations = Revocations::builder::<BenchSessions>(MemoryFeed::new()).start();
    assert!(rt.block_on(revocations.wait_until_current(Duration::from_secs(5))));
    let namespace = Namespace::new("bench_rev").unwrap_or_else(|_| unreachable!());
    let at = now() - 3600;
    for user in 0..TABLE_SIZE - 1 {
        let revocation = Revocation::user(namespace.clone(), format!("u{user}"), at);
        revocations
            .table()
            .apply(&revocation.unwrap_or_else(|_| unreachable!()));
    }
    // This user's own entry, older than the session: found and compared.
    let own = Revocation::user(namespace, payload().user_id.to_string(), at);
    revocations
        .table()
        .apply(&own.unwrap_or_else(|_| unreachable!()));
    assert_eq!(revocations.table().len() as u64, TABLE_SIZE);
    revocations
}

fn router(revocations: &Revocations) -> [(Router, String); 3] {
    let layer = SessionLayer::<BenchSessions>::new(keyring()).revocations(revocations.clone());
    let keyring = keyring();
    let plain = format!("sid={}", keyring.seal(&payload()).unwrap_or_default());
    let revocable = format!(
        "rsid={}",
        keyring
            .seal(&RevocableBenchSession(payload()))
            .unwrap_or_default()
    );
    let baseline = Router::new()
        .route("/", get(|| async { StatusCode::OK }))
        .layer(layer.clone());
    let plain_router = Router::new()
        .route(
            "/",
            get(|s: TypedSession<BenchSession>| async move {
                match s.get() {
                    Some(p) => {
                        black_box(p.user_id);
                        StatusCode::OK
                    }
                    None => StatusCode::UNAUTHORIZED,
                }
            }),
        )
        .layer(layer.clone());
    let revocable_router = Router::new()
        .route(
            "/",
            get(|s: TypedSession<RevocableBenchSession>| async move {
                match s.get() {
                    Some(p) => {
                        black_box(p.0.user_id);
                        StatusCode::OK
                    }
                    None => StatusCode::UNAUTHORIZED,
                }
            }),
        )
        .layer(layer);
    [
        (baseline.with_state(()), plain.clone()),
        (plain_router.with_state(()), plain),
        (revocable_router.with_state(()), revocable),
    ]
}

fn serve(rt: &tokio::runtime::Runtime, router: &Router, cookie: &str) -> bool {
    let Ok(request) = Request::get("/").header(COOKIE, cookie).body(Body::empty()) else {
        return false;
    };
    let response = rt.block_on(router.clone().call(request));
    matches!(response, Ok(response) if response.status() == StatusCode::OK)
}

/// Interleaved batches of the three cases; the revocable read against the
/// plain one, as whole requests and as what each adds to the baseline.
fn race(rt: &tokio::runtime::Runtime, rounds: u64) {
    const BATCH: u32 = 200;
    const NAMES: [&str; 3] = ["layer-only", "plain-read", "revocable-read"];
    let revocations = full_table(rt);
    let cases = router(&revocations);
    for ((router, cookie), name) in cases.iter().zip(NAMES) {
        assert!(serve(rt, router, cookie), "{name} does not answer 200");
    }
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for _ in 0..rounds {
        for ((router, cookie), samples) in cases.iter().zip(&mut times) {
            let start = Instant::now();
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
    println!("table: {} revocations", revocations.table().len());
    println!("{:<15} {:>9} {:>9}", "case", "min ns", "median ns");
    for (index, name) in NAMES.iter().enumerate() {
        println!("{name:<15} {:>9.1} {:>9.1}", mins[index], medians[index]);
    }
    for (what, stats) in [("min", &mins), ("median", &medians)] {
        println!(
            "{what:<6}  revocable read: {:.3}x the plain read's request, adds {:.1} ns ({:.2}x what the plain read adds to the layer alone)",
            stats[2] / stats[1],
            stats[2] - stats[1],
            (stats[2] - stats[0]) / (stats[1] - stats[0]),
        );
    }
}

/// The read path's parts alone, 1 M times each: the table check (with
/// `TABLE_SIZE` entries), the payload's user key, and the clock read the
/// staleness check makes.
fn parts(rt: &tokio::runtime::Runtime) {
    const N: u32 = 1_000_000;
    let revocations = full_table(rt);
    let user = payload().user_id.to_string();
    let started = now();
    let time = |what: &str, f: &mut dyn FnMut()| {
        let start = Instant::now();
        for _ in 0..N {
            f();
        }
        println!(
            "{what:<28} {:>6.1} ns",
            start.elapsed().as_nanos() as f64 / f64::from(N)
        );
    };
    time("check (entry found)", &mut || {
        black_box(revocations.check(black_box("bench_rev"), Some(black_box(&user)), started)).ok();
    });
    time("check (no entry)", &mut || {
        black_box(revocations.check(black_box("bench_rev"), Some(black_box("nobody")), started))
            .ok();
    });
    time("covering (no staleness)", &mut || {
        black_box(
            revocations
                .table()
                .covering(black_box("bench_rev"), Some(black_box(&user))),
        );
    });
    time("is_current", &mut || {
        black_box(revocations.table().is_current());
    });
    let session = RevocableBenchSession(payload());
    time("session_user", &mut || {
        black_box(session_seal::SessionPayload::session_user(black_box(
            &session,
        )));
    });
}

/// Resident memory in bytes, from `/proc/self/statm` (Linux).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn memory() {
    let namespace = Namespace::new("bench_rev").unwrap_or_else(|_| unreachable!());
    for entries in [100_000u64, 1_000_000] {
        let table = RevocationTable::new(Duration::from_secs(86_400));
        let at = now();
        let before = resident_bytes().unwrap_or(0);
        for user in 0..entries {
            // A realistic key: a 10-digit numeric id.
            let revocation = Revocation::user(
                namespace.clone(),
                format!("{:010}", user + 4_000_000_000),
                at,
            );
            table.apply(&revocation.unwrap_or_else(|_| unreachable!()));
        }
        let after = resident_bytes().unwrap_or(0);
        println!(
            "{entries:>9} entries: {:.1} bytes each (resident {} -> {} MiB)",
            after.saturating_sub(before) as f64 / entries as f64,
            before >> 20,
            after >> 20
        );
        black_box(&table);
    }
}

/// The feed named on the command line, two connections to it.
async fn feeds(target: &str) -> Option<(Box<dyn RevocationFeed>, Box<dyn RevocationFeed>)> {
    if target == "memory" {
        let feed = MemoryFeed::new();
        return Some((Box::new(feed.clone()), Box::new(feed)));
    }
    benches::revocation_feeds(target).await
}

async fn propagation(target: &str, n: u64) {
    let Some((publisher, follower)) = feeds(target).await else {
        eprintln!("cannot reach {target}");
        std::process::exit(2);
    };
    let publisher = Revocations::builder::<BenchSessions>(publisher).start();
    let follower = Revocations::builder::<BenchSessions>(follower).start();
    for revocations in [&publisher, &follower] {
        if !revocations
            .wait_until_current(Duration::from_secs(10))
            .await
        {
            eprintln!("{target}: the feed never became current");
            std::process::exit(2);
        }
    }
    let namespace = Namespace::new("bench_rev").unwrap_or_else(|_| unreachable!());
    let run: u64 = now();
    let mut after_return = Vec::with_capacity(n as usize);
    let mut from_call = Vec::with_capacity(n as usize);
    for i in 0..n {
        let user = format!("p{run}-{i}");
        let revocation = Revocation::user(namespace.clone(), user.clone(), now());
        let revocation = revocation.unwrap_or_else(|_| unreachable!());
        let called = Instant::now();
        if let Err(error) = publisher.revoke(&revocation).await {
            eprintln!("{target}: revoke failed: {error}");
            std::process::exit(2);
        }
        let returned = called.elapsed();
        let deadline = Instant::now() + Duration::from_secs(5);
        while follower
            .table()
            .covering("bench_rev", Some(&user))
            .is_none()
        {
            if Instant::now() > deadline {
                eprintln!("{target}: revocation {i} not seen within 5 s");
                std::process::exit(1);
            }
            tokio::task::yield_now().await;
        }
        let seen = called.elapsed();
        from_call.push(seen.as_secs_f64() * 1e6);
        after_return.push(seen.saturating_sub(returned).as_secs_f64() * 1e6);
    }
    let quantiles = |samples: &mut Vec<f64>| {
        samples.sort_by(f64::total_cmp);
        let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
        (at(0.5), at(0.99), at(1.0))
    };
    let (a50, a99, amax) = quantiles(&mut after_return);
    let (c50, c99, cmax) = quantiles(&mut from_call);
    println!(
        "{}: {n} revocations; after revoke returned: p50 {a50:.0} µs, p99 {a99:.0} µs, max {amax:.0} µs; from the revoke call: p50 {c50:.0} µs, p99 {c99:.0} µs, max {cmax:.0} µs",
        target.split('@').next_back().unwrap_or(target)
    );
}
