//! `cargo run --example hybrid`: the authority on http://127.0.0.1:3000 and
//! the resource service on http://127.0.0.1:3001 (or `PORT` and `PORT`+1),
//! sharing only the authority's public key. `curl -X POST -c jar
//! 127.0.0.1:3000/auth/login/7`, then `curl -b jar 127.0.0.1:3001/api/me`.

mod app;
#[path = "../support/mod.rs"]
mod support;

use std::future::IntoFuture as _;
use std::net::SocketAddr;

use session_seal::store::MemoryStore;
use session_seal::{SessionLayer, VerifyingKeyring};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let keyring = support::keyring()?;
    // What a resource service is configured with (`session-seal pubkey`).
    let public_keys = VerifyingKeyring::new(keyring.public_key());
    let port = support::port()?;
    let authority = SocketAddr::from(([127, 0, 0, 1], port));
    let resource = SocketAddr::from(([127, 0, 0, 1], port + 1));
    let authority_app = app::authority(SessionLayer::new(keyring), MemoryStore::new());
    let resource_app = app::resource(app::resource_layer(public_keys));
    let authority_listener = tokio::net::TcpListener::bind(authority).await?;
    let resource_listener = tokio::net::TcpListener::bind(resource).await?;
    println!("authority on http://{authority}, resource service on http://{resource}");
    tokio::try_join!(
        axum::serve(authority_listener, authority_app).into_future(),
        axum::serve(resource_listener, resource_app).into_future(),
    )?;
    Ok(())
}
