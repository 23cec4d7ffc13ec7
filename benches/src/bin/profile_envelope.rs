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

use std::hint::black_box;

use benches::{BenchSession, Floor, keyring, payload};

const NOW: u64 = 1_750_000_000;

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "open".to_owned());
    let rounds: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
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
