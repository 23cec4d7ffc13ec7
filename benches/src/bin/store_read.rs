//! `cargo run -p benches --release --bin store-read`: the time of one store
//! read (`RedisStore::load`, one server and a cluster) next to a bare `GET`
//! and an `HGETALL` of the same row through the same client (redis-rs),
//! one client on loopback. Rounds interleave the cases so that load from
//! other processes hits them alike; prints the median of each.
//! Compare with `redis-benchmark -t get -c 1 -n 50000 -q`.

use std::hint::black_box;
use std::time::Instant;

use benches::{payload, redis_cluster_store, redis_store};
use session_seal::store::{Record, SessionId, SessionStore, StoreKey};

const ROUNDS: usize = 15;
const PER_ROUND: u32 = 4000;
const NOW: u64 = 1_750_000_000;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("SESSION_SEAL_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let mut raw = redis::aio::ConnectionManager::new(redis::Client::open(url.as_str())?).await?;
    let single = redis_store().await.ok_or("no Redis server")?;
    let cluster = redis_cluster_store().await;

    let namespace = "bench";
    let key = StoreKey::derive(namespace, &SessionId::generate_for(namespace, Some("4242")));
    let record = Record {
        namespace: namespace.into(),
        user: Some("4242".into()),
        version: 1,
        data: serde_json::to_vec(&payload())?,
        revision: 1,
        created_at: NOW,
        touched_at: NOW,
        expires_at: NOW + 3600,
        meta: Default::default(),
    };
    let mut stores: Vec<(&str, &dyn SessionStore)> = vec![("load, one server", &single)];
    if let Some(cluster) = &cluster {
        stores.push(("load, cluster", cluster));
    }
    for (_, store) in &stores {
        store.delete(&key).await?;
        let _ = store.save(&key, &record, None, NOW).await?;
    }
    let string_key = "session-seal-bench:get";
    redis::cmd("SET")
        .arg(string_key)
        .arg(vec![b'x'; record.data.len() + 100])
        .exec_async(&mut raw)
        .await?;
    let row = single.row_key(&key);

    let mut samples: Vec<(String, Vec<f64>)> = Vec::new();
    let mut record_sample =
        |name: &str, micros: f64| match samples.iter_mut().find(|(n, _)| n == name) {
            Some((_, values)) => values.push(micros),
            None => samples.push((name.to_owned(), vec![micros])),
        };
    for _ in 0..ROUNDS {
        let started = Instant::now();
        for _ in 0..PER_ROUND {
            let value: redis::Value = redis::cmd("GET")
                .arg(string_key)
                .query_async(&mut raw)
                .await?;
            black_box(value);
        }
        record_sample("GET (redis-rs)", per_op(started));
        let started = Instant::now();
        for _ in 0..PER_ROUND {
            let value: redis::Value = redis::cmd("HGETALL")
                .arg(&row)
                .query_async(&mut raw)
                .await?;
            black_box(value);
        }
        record_sample("HGETALL of the row (redis-rs)", per_op(started));
        let started = Instant::now();
        for _ in 0..PER_ROUND {
            let value: redis::Value = redis::cmd("HMGET")
                .arg(&row)
                .arg(&["namespace", "user", "data", "meta"])
                .query_async(&mut raw)
                .await?;
            black_box(value);
        }
        record_sample("HMGET of the row (redis-rs)", per_op(started));
        for (name, store) in &stores {
            let started = Instant::now();
            for _ in 0..PER_ROUND {
                black_box(store.load(&key, NOW).await?.ok_or("row missing")?);
            }
            record_sample(name, per_op(started));
        }
    }
    for (_, store) in &stores {
        store.delete(&key).await?;
    }
    redis::cmd("DEL")
        .arg(string_key)
        .exec_async(&mut raw)
        .await?;

    let get = median(&samples[0].1);
    println!("| read | µs (median of {ROUNDS} rounds) | × GET |");
    println!("|---|---|---|");
    for (name, values) in &samples {
        let m = median(values);
        println!("| {name} | {m:.2} | {:.2} |", m / get);
    }
    Ok(())
}

fn per_op(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1e6 / f64::from(PER_ROUND)
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}
