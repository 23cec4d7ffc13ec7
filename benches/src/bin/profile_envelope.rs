//! A fixed loop of seals and opens of the benchmark payload, for instruction
//! counts under callgrind (`valgrind --tool=callgrind`), where criterion's
//! timing loop would only add noise:
//!
//! ```text
//! cargo build -p benches --release --bin profile-envelope
//! valgrind --tool=callgrind target/release/profile-envelope seal 10000
//! valgrind --tool=callgrind target/release/profile-envelope open 10000
//! valgrind --tool=callgrind target/release/profile-envelope floor-seal 10000
//! valgrind --tool=callgrind target/release/profile-envelope floor-open 10000
//! valgrind --tool=callgrind target/release/profile-envelope enc-seal 10000
//! valgrind --tool=callgrind target/release/profile-envelope enc-open 10000
//! ```
//!
//! The encrypted cases have peers: `private-seal`/`private-open` are
//! axum-extra's `PrivateCookieJar` as a handler uses it, and
//! `private-core-seal`/`private-core-open` the cookie crate's `PrivateJar`
//! under it (AES-256-GCM without the jar's header handling).
//!
//! `profile-envelope race 300` instead times short interleaved batches of
//! each case and prints the fastest and the median batch per case, with the
//! ratio to the case it is compared with (the floor for the signed format,
//! `PrivateCookieJar` and the signed format for the encrypted one). On a
//! machine shared with other work the fastest batch is the stable figure:
//! interference only ever adds time.

use std::hint::black_box;

use benches::{
    BenchSession, EncryptedBenchSession, Floor, cookie_headers, encrypted_payload, jar_key,
    keyring, min_and_median, payload, private_core_open, private_core_seal, private_jar_cookie,
    private_jar_open, private_jar_seal,
};

const NOW: u64 = 1_750_000_000;

/// Every case by name, built once over shared fixtures.
struct Fixtures {
    payload: BenchSession,
    encrypted: EncryptedBenchSession,
    keyring: session_seal::Keyring,
    floor: Floor,
    key: axum_extra::extract::cookie::Key,
    sealed: String,
    sealed_encrypted: String,
    floor_value: String,
    private_headers: http::HeaderMap,
    private_core_value: String,
}

impl Fixtures {
    fn new() -> Self {
        let payload = payload();
        let encrypted = encrypted_payload();
        let keyring = keyring();
        let floor = Floor::new();
        let key = jar_key();
        let sealed = keyring.seal_at(&payload, NOW).unwrap_or_default();
        let sealed_encrypted = keyring.seal_at(&encrypted, NOW).unwrap_or_default();
        let floor_value = floor.sign(&payload);
        let private_headers = cookie_headers(&private_jar_cookie(&key, &payload));
        let private_core_value = private_core_seal(&key, &payload);
        Fixtures {
            payload,
            encrypted,
            keyring,
            floor,
            key,
            sealed,
            sealed_encrypted,
            floor_value,
            private_headers,
            private_core_value,
        }
    }

    /// One operation of `case`.
    fn run(&self, case: Case) -> usize {
        match case {
            Case::Seal => self
                .keyring
                .seal_at(black_box(&self.payload), NOW)
                .map_or(0, |v| v.len()),
            Case::Open => self
                .keyring
                .open_at::<BenchSession>(black_box(&self.sealed), NOW + 1)
                .map_or(0, |o| o.payload.roles.len()),
            Case::FloorSeal => self.floor.sign(black_box(&self.payload)).len(),
            Case::FloorOpen => self
                .floor
                .verify(black_box(&self.floor_value))
                .map_or(0, |p| p.roles.len()),
            Case::EncSeal => self
                .keyring
                .seal_at(black_box(&self.encrypted), NOW)
                .map_or(0, |v| v.len()),
            Case::EncOpen => self
                .keyring
                .open_at::<EncryptedBenchSession>(black_box(&self.sealed_encrypted), NOW + 1)
                .map_or(0, |o| o.payload.roles.len()),
            Case::PrivateSeal => private_jar_seal(&self.key, black_box(&self.payload)),
            Case::PrivateOpen => private_jar_open(&self.key, black_box(&self.private_headers))
                .map_or(0, |p| p.roles.len()),
            Case::PrivateCoreSeal => private_core_seal(&self.key, black_box(&self.payload)).len(),
            Case::PrivateCoreOpen => {
                private_core_open(&self.key, black_box(&self.private_core_value))
                    .map_or(0, |p| p.roles.len())
            }
        }
    }
}

/// The operations that can be timed.
#[derive(Clone, Copy)]
enum Case {
    Seal,
    Open,
    FloorSeal,
    FloorOpen,
    EncSeal,
    EncOpen,
    PrivateSeal,
    PrivateOpen,
    PrivateCoreSeal,
    PrivateCoreOpen,
}

/// Every case with its name, in the order `race` runs them.
const CASES: [(&str, Case); 10] = [
    ("floor-seal", Case::FloorSeal),
    ("seal", Case::Seal),
    ("enc-seal", Case::EncSeal),
    ("private-seal", Case::PrivateSeal),
    ("private-core-seal", Case::PrivateCoreSeal),
    ("floor-open", Case::FloorOpen),
    ("open", Case::Open),
    ("enc-open", Case::EncOpen),
    ("private-open", Case::PrivateOpen),
    ("private-core-open", Case::PrivateCoreOpen),
];

/// Which ratios `race` prints: (case, compared with).
const RATIOS: [(&str, &str); 10] = [
    ("seal", "floor-seal"),
    ("open", "floor-open"),
    ("enc-seal", "private-seal"),
    ("enc-open", "private-open"),
    ("enc-seal", "private-core-seal"),
    ("enc-open", "private-core-open"),
    ("enc-seal", "seal"),
    ("enc-open", "open"),
    ("private-core-seal", "private-seal"),
    ("private-core-open", "private-open"),
];

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "open".to_owned());
    let rounds: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    if what == "race" {
        race(rounds);
        return;
    }
    let Some(&(_, case)) = CASES.iter().find(|(name, _)| *name == what) else {
        let names: Vec<&str> = CASES.iter().map(|(name, _)| *name).collect();
        eprintln!("unknown case {what}: one of {}", names.join(", "));
        std::process::exit(2);
    };
    let fixtures = Fixtures::new();
    let mut sink = 0usize;
    for _ in 0..rounds {
        sink += fixtures.run(black_box(case));
    }
    println!("{sink}");
}

/// Interleaved batches of every case; per case the fastest and the median
/// batch in ns per operation, then the ratios of [`RATIOS`].
fn race(rounds: u64) {
    const BATCH: u32 = 2_000;
    let fixtures = Fixtures::new();
    // Each case must really succeed, or the comparison is void.
    for (name, case) in CASES {
        assert!(fixtures.run(case) > 0, "{name} fails");
    }
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); CASES.len()];
    let mut sink = 0usize;
    for _ in 0..rounds {
        for ((_, case), samples) in CASES.iter().zip(&mut times) {
            let start = std::time::Instant::now();
            for _ in 0..BATCH {
                sink = sink.wrapping_add(fixtures.run(black_box(*case)));
            }
            samples.push(start.elapsed().as_nanos() as f64 / f64::from(BATCH));
        }
    }
    let stats: Vec<(f64, f64)> = times
        .iter_mut()
        .map(|samples| min_and_median(samples))
        .collect();
    let of = |name: &str| {
        CASES
            .iter()
            .position(|(case, _)| *case == name)
            .map_or((f64::NAN, f64::NAN), |index| stats[index])
    };
    for ((name, _), (min, median)) in CASES.iter().zip(&stats) {
        println!("{name:<18} min {min:>7.1} ns   median {median:>7.1} ns");
    }
    println!();
    for (case, reference) in RATIOS {
        let ((min, median), (ref_min, ref_median)) = (of(case), of(reference));
        println!(
            "{case:<17} / {reference:<17} min {:.3}x   median {:.3}x",
            min / ref_min,
            median / ref_median
        );
    }
    black_box(sink);
}
