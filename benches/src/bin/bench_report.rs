//! Prints the criterion results of `cargo bench -p benches` as a table with
//! ratios to the floor (sign/verify) and to the no-session baseline (read),
//! and what reading a session adds to a request next to what the floor adds.
//! Reads `target/criterion/<group>/<case>/new/estimates.json`.

use std::path::{Path, PathBuf};

fn median_ns(dir: &Path, group: &str, case: &str) -> Option<f64> {
    let path = dir.join(group).join(case).join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["median"]["point_estimate"].as_f64()
}

fn criterion_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("criterion")
}

fn main() {
    let dir = criterion_dir();
    let row = |group: &str, case: &str, base: &str| {
        let value = median_ns(&dir, group, case);
        let reference = median_ns(&dir, group, base);
        match (value, reference) {
            (Some(v), Some(r)) => format!("{v:>8.0} ns ({:.2}×)", v / r),
            (Some(v), None) => format!("{v:>8.0} ns"),
            _ => "–".to_owned(),
        }
    };
    println!("| case | sign | verify |");
    println!("|---|---|---|");
    for case in ["floor", "session-seal", "signed-jar", "private-jar"] {
        println!(
            "| {case} | {} | {} |",
            row("sign", case, "floor"),
            row("verify", case, "floor")
        );
    }
    println!();
    println!("| through an axum router (read one session) | time per request (× baseline) |");
    println!("|---|---|");
    for case in [
        "baseline",
        "identity-layer",
        "floor",
        "session-seal",
        "session-seal-encrypted",
        "signed-jar",
        "private-jar",
        "tower-sessions",
        "store-memory",
        "store-redis",
    ] {
        println!("| {case} | {} |", row("read", case, "baseline"));
    }
    // The goal of the layer: what it adds to a request, next to what the
    // hand-written floor adds.
    let added =
        |case: &str| Some(median_ns(&dir, "read", case)? - median_ns(&dir, "read", "baseline")?);
    if let (Some(ours), Some(floor)) = (added("session-seal"), added("floor")) {
        println!();
        println!(
            "session-seal adds {ours:.0} ns to a request, the floor {floor:.0} ns: {:.2}×",
            ours / floor
        );
    }
}
