//! `cargo run --example store_mode`: a revocable account session kept in a
//! session store, on http://127.0.0.1:3000 (or `PORT`).
//!
//! The memory store by default; with `--features redis` and
//! `SESSION_SEAL_REDIS_URL=redis://127.0.0.1:6379`, Redis (or a Redis
//! Cluster: `SESSION_SEAL_REDIS_URL=redis+cluster://127.0.0.1:7001,127.0.0.1:7002`);
//! with `--features sqlite` and `SESSION_SEAL_SQLITE=/tmp/sessions.db`, a
//! SQLite file (sessions survive a restart); with `--features postgres` and
//! `SESSION_SEAL_POSTGRES_URL=postgres://user:password@127.0.0.1/db`,
//! PostgreSQL.

mod app;
#[path = "../support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::sync::Arc;

use session_seal::SessionLayer;
use session_seal::store::MemoryStore;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let keyring = support::keyring()?;
    let store = open_store().await?;
    let port = support::port()?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    // Logins record the client's address and browser for `/devices`
    // (`.session_metadata(false)` records neither). Behind a reverse proxy,
    // add `.trusted_proxies([its address])` so the address is the client's.
    let layer = SessionLayer::<app::StoreSessions>::new(keyring).store(Arc::clone(&store));
    let app = app::router(layer, store);

    println!("session-seal store-mode demo on http://{addr}");
    println!("try, with two cookie jars (two devices):");
    println!("  curl -c /tmp/laptop -b /tmp/laptop http://{addr}/login/7/laptop");
    println!("  curl -c /tmp/phone  -b /tmp/phone  http://{addr}/login/7/phone");
    println!("  curl -c /tmp/laptop -b /tmp/laptop http://{addr}/devices");
    println!("  curl -c /tmp/laptop -b /tmp/laptop http://{addr}/logout-others");
    println!("  curl -c /tmp/phone  -b /tmp/phone  http://{addr}/me");
    // With connect info, so the layer knows each request's peer address.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}

/// Redis, SQLite or PostgreSQL when built with that feature and its
/// variable is set, else memory.
async fn open_store() -> Result<app::AppStore, Box<dyn std::error::Error>> {
    #[cfg(feature = "sqlite")]
    if let Ok(path) = std::env::var("SESSION_SEAL_SQLITE") {
        use session_seal::store::{SqlStoreConfig, SqliteStore};
        println!("store: SQLite file {path}");
        let store = SqliteStore::open(&path, SqlStoreConfig::default())?;
        store.ping().await?; // fail at start-up, not at the first request
        store.migrate().await?;
        let every = std::time::Duration::from_secs(300);
        tokio::spawn(store.clone().continuously_delete_expired(every));
        return Ok(Arc::new(store));
    }
    #[cfg(feature = "postgres")]
    if let Ok(url) = std::env::var("SESSION_SEAL_POSTGRES_URL") {
        use session_seal::store::PostgresStore;
        println!(
            "store: PostgreSQL at {}",
            url.split('@').next_back().unwrap_or("")
        );
        let store = PostgresStore::new(&url)?;
        store.ping().await?; // fail at start-up, not at the first request
        store.migrate().await?;
        let every = std::time::Duration::from_secs(300);
        tokio::spawn(store.clone().continuously_delete_expired(every));
        return Ok(Arc::new(store));
    }
    #[cfg(feature = "redis")]
    if let Ok(url) = std::env::var("SESSION_SEAL_REDIS_URL") {
        println!(
            "store: Redis at {}",
            url.split('@').next_back().unwrap_or("")
        );
        let store = session_seal::store::RedisStore::new(&url)?;
        store.ping().await?; // fail at start-up, not at the first request
        return Ok(Arc::new(store));
    }
    println!("store: memory (sessions end when the server stops)");
    Ok(Arc::new(MemoryStore::new()))
}
