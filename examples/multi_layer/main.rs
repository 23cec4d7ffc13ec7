//! `cargo run --example multi_layer`: admin, tenant and operator sessions
//! side by side under one secret, on http://127.0.0.1:3000 (or `PORT`).

mod app;

use std::net::SocketAddr;

use session_seal::{Keyring, SessionLayer, SessionSecret, Tier};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let keyring = if std::env::var_os(session_seal::SECRET_VAR).is_some() {
        Keyring::from_env()?
    } else {
        println!(
            "note: SESSION_SEAL_SECRET is not set, using an ephemeral development key \
             (sessions end when the server stops).\n      For a stable key: \
             export SESSION_SEAL_SECRET=$(openssl rand -base64 32)"
        );
        Keyring::new(SessionSecret::generate()).with_tier(Tier::Development)
    };
    let port = match std::env::var("PORT") {
        Ok(port) => port
            .parse::<u16>()
            .map_err(|_| format!("PORT={port} is not a port number"))?,
        Err(_) => 3000,
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let tier = keyring.tier();
    let app = app::router(SessionLayer::<app::AppSessions>::new(keyring));

    println!("session-seal demo on http://{addr}  (tier: {tier:?})");
    println!("try, with a cookie jar in /tmp/jar:");
    println!("  curl -c /tmp/jar -b /tmp/jar http://{addr}/admin/login/42");
    println!("  curl -c /tmp/jar -b /tmp/jar http://{addr}/tenant/login/42/acme-widgets");
    println!("  curl -c /tmp/jar -b /tmp/jar http://{addr}/ops/login/ada");
    println!("  curl -c /tmp/jar -b /tmp/jar http://{addr}/sessions");
    println!("  curl -c /tmp/jar -b /tmp/jar http://{addr}/ops/console");
    axum::serve(listener, app).await?;
    Ok(())
}
