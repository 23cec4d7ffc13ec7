//! What a hybrid session's transparent refresh costs beside a store-mode
//! renewal, raced.
//!
//! ```text
//! cargo build -p benches --release --bin profile-hybrid
//! target/release/profile-hybrid race 3000
//! ```
//!
//! `race n`: `n` rounds on the memory store, then on Redis when one answers
//! at `SESSION_SEAL_REDIS_URL` (default `redis://127.0.0.1:6379`). A round
//! logs in twice (not timed), then sends, through one
//! `benches::hybrid_router`, a request whose access cookie has expired and
//! whose refresh cookie is valid (a transparent refresh: load, tombstone
//! save, move) and a request that renews a store-mode session (load,
//! move), in alternating order, and on Redis one `PING` through the
//! store's client. Each request is timed, and each store call within it.
//! Prints p25 / p50 / p75 of each, and of the per-round difference
//! refresh − renewal; a round's requests are checked after its timers
//! (new cookies, the rows moved, a tombstone written) and their rows
//! deleted.
//!
//! The per-call timing wraps the store (`benches::CallLog`): two clock
//! reads and a lock per call, alike in both requests.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use benches::{
    CallLog, check_refreshed, check_renewed, expired_access_cookie, get_through, hybrid_keyring,
    hybrid_router, redis_store, refresh_header, renew_header,
};
use session_seal::Keyring;
use session_seal::store::{MemoryStore, RedisStore, SessionStore};

fn main() {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_else(|| "race".to_owned());
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(3000);
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        eprintln!("no runtime");
        return;
    };
    if command != "race" {
        eprintln!("usage: profile-hybrid race [rounds]");
        return;
    }
    let keyring = hybrid_keyring();
    rt.block_on(race(&keyring, "memory", MemoryStore::new(), None, rounds));
    if let Some(redis) = rt.block_on(redis_store()) {
        rt.block_on(race(&keyring, "redis", redis.clone(), Some(redis), rounds));
    }
}

/// Timings by line name.
type Samples = BTreeMap<String, Vec<Duration>>;

async fn race<S: SessionStore + Clone>(
    keyring: &Keyring,
    name: &str,
    store: S,
    ping: Option<RedisStore>,
    rounds: usize,
) {
    let calls = CallLog::new(store.clone());
    let router = hybrid_router(keyring.clone(), calls.clone());
    let expired_access = expired_access_cookie(keyring);
    let mut samples = Samples::new();
    let mut differences = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let refresh = refresh_header(&router, &expired_access).await;
        let renew = renew_header(&router).await;
        let mut cases = [
            ("refresh", "/access", &refresh, Duration::ZERO, None),
            ("renew", "/renewable/renew", &renew, Duration::ZERO, None),
        ];
        if round % 2 == 1 {
            cases.reverse();
        }
        for (case, path, header, elapsed, response) in &mut cases {
            calls.take();
            let start = Instant::now();
            *response = Some(get_through(&router, path, Some(header.as_str())).await);
            *elapsed = start.elapsed();
            samples
                .entry((*case).to_owned())
                .or_default()
                .push(*elapsed);
            for (call, took) in calls.take() {
                let line = format!("  {case}: {call}");
                samples.entry(line).or_default().push(took);
            }
        }
        if let Some(redis) = &ping {
            let start = Instant::now();
            if redis.ping().await.is_err() {
                eprintln!("Redis stopped answering");
                return;
            }
            samples
                .entry("redis ping".to_owned())
                .or_default()
                .push(start.elapsed());
        }
        let (mut refreshed, mut renewed) = (Duration::ZERO, Duration::ZERO);
        for (case, _, header, elapsed, response) in &cases {
            let Some(response) = response else { continue };
            if *case == "refresh" {
                check_refreshed(&store, keyring, header, response).await;
                refreshed = *elapsed;
            } else {
                check_renewed(&store, keyring, header, response).await;
                renewed = *elapsed;
            }
        }
        differences.push(refreshed.as_nanos() as i128 - renewed.as_nanos() as i128);
    }
    println!("{name}, {rounds} rounds, ns: p25 / p50 / p75");
    for (line, mut times) in samples {
        times.sort();
        let [p25, p50, p75] = quartiles(&times).map(|time| time.as_nanos());
        println!("{line:<24} {p25:>9} {p50:>9} {p75:>9}");
    }
    differences.sort();
    let [p25, p50, p75] = quartiles(&differences);
    println!(
        "{:<24} {p25:>9} {p50:>9} {p75:>9}",
        "refresh − renew, paired"
    );
}

/// The 25th, 50th and 75th percentiles of sorted, non-empty `values`.
fn quartiles<T: Copy + Default>(values: &[T]) -> [T; 3] {
    let at = |q: usize| {
        values
            .get(values.len() * q / 4)
            .copied()
            .unwrap_or_default()
    };
    [at(1), at(2), at(3)]
}
