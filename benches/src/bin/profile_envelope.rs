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
//! ```
//!
//! `profile-envelope race 300` instead times short interleaved batches of
//! each case and prints the fastest and the median batch per case, with the
//! ratio to the floor. On a machine shared with other work the fastest batch
//! is the stable figure: interference only ever adds time.

use std::hint::black_box;

use benches::{BenchSession, Floor, keyring, payload};

const NOW: u64 = 1_750_000_000;

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "open".to_owned());
    let rounds: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    if what == "race" {
        race(rounds);
        return;
    }
    let payload = payload();
    let keyring = keyring();
    let floor = Floor::new();
    let sealed = keyring.seal_at(&payload, NOW).unwrap_or_default();
    let floor_value = floor.sign(&payload);
    let mut sink = 0usize;
    for _ in 0..rounds {
        sink += match what.as_str() {
            "seal" => keyring
                .seal_at(black_box(&payload), NOW)
                .map_or(0, |v| v.len()),
            "open" => keyring
                .open_at::<BenchSession>(black_box(&sealed), NOW + 1)
                .map_or(0, |o| o.payload.roles.len()),
            "floor-seal" => floor.sign(black_box(&payload)).len(),
            "floor-open" => floor
                .verify(black_box(&floor_value))
                .map_or(0, |p| p.roles.len()),
            other => {
                eprintln!("unknown case {other}: seal, open, floor-seal or floor-open");
                std::process::exit(2);
            }
        };
    }
    println!("{sink}");
}

/// One timed operation, returning something to keep it from being optimised away.
type Case<'a> = Box<dyn Fn() -> usize + 'a>;

/// Interleaved batches of every case; per case the fastest and the median
/// batch in ns per operation.
fn race(rounds: u64) {
    const BATCH: u32 = 2_000;
    let payload = payload();
    let keyring = keyring();
    let floor = Floor::new();
    let sealed = keyring.seal_at(&payload, NOW).unwrap_or_default();
    let floor_value = floor.sign(&payload);
    let cases: [(&str, Case); 4] = [
        (
            "floor-seal",
            Box::new(|| floor.sign(black_box(&payload)).len()),
        ),
        (
            "seal",
            Box::new(|| {
                keyring
                    .seal_at(black_box(&payload), NOW)
                    .map_or(0, |v| v.len())
            }),
        ),
        (
            "floor-open",
            Box::new(|| {
                floor
                    .verify(black_box(&floor_value))
                    .map_or(0, |p| p.roles.len())
            }),
        ),
        (
            "open",
            Box::new(|| {
                keyring
                    .open_at::<BenchSession>(black_box(&sealed), NOW + 1)
                    .map_or(0, |o| o.payload.roles.len())
            }),
        ),
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    let mut sink = 0usize;
    for _ in 0..rounds {
        for ((_, run), samples) in cases.iter().zip(&mut times) {
            let start = std::time::Instant::now();
            for _ in 0..BATCH {
                sink = sink.wrapping_add(run());
            }
            samples.push(start.elapsed().as_nanos() as f64 / f64::from(BATCH));
        }
    }
    let stats: Vec<(f64, f64)> = times
        .iter_mut()
        .map(|samples| {
            samples.sort_by(f64::total_cmp);
            let min = samples.first().copied().unwrap_or(f64::NAN);
            let median = samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN);
            (min, median)
        })
        .collect();
    for (index, ((name, _), (min, median))) in cases.iter().zip(&stats).enumerate() {
        // Each case is compared with the floor case just before it.
        let (floor_min, floor_median) = stats[index & !1];
        println!(
            "{name:<11} min {min:>7.1} ns ({:.3}x)   median {median:>7.1} ns ({:.3}x)",
            min / floor_min,
            median / floor_median
        );
    }
    black_box(sink);
}
