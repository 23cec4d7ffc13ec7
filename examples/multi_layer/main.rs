//! `cargo run --example multi_layer`: admin (encrypted, revocable), tenant and operator
//! (signed) sessions side by side under one secret, on
//! http://127.0.0.1:3000 (or `PORT`).

mod app;
#[path = "../support/mod.rs"]
mod support;

use std::net::SocketAddr;

use session_seal::SessionLayer;
use session_seal::revocation::Revocations;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let keyring = support::keyring()?;
    let port = support::port()?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let tier = keyring.tier();
    // One process: revocations live in its memory. With several processes,
    // follow a shared feed instead, e.g.
    // `Revocations::builder::<app::AppSessions>(RedisRevocationFeed::new(url)?).start()`
    // (feature `redis`; `postgres` and `sqlite` have theirs).
    let revocations = Revocations::local::<app::AppSessions>();
    let app = app::router(SessionLayer::<app::AppSessions>::new(keyring).revocations(revocations));

    println!("session-seal demo on http://{addr}  (tier: {tier:?})");
    println!("admin cookie: encrypted (its JSON is hidden); tenant and operator: signed");
    println!("try, with a cookie jar in /tmp/jar:");
    println!("  curl -c /tmp/jar -b /tmp/jar http://{addr}/admin/login/42");
    println!("  curl -c /tmp/jar -b /tmp/jar http://{addr}/tenant/login/42/acme-widgets");
    println!("  curl -c /tmp/jar -b /tmp/jar http://{addr}/ops/login/ada");
    println!("  curl -c /tmp/jar -b /tmp/jar http://{addr}/sessions");
    println!("  curl -c /tmp/jar -b /tmp/jar -L -d tenant=globex http://{addr}/tenant/rename");
    println!("  curl -c /tmp/jar -b /tmp/jar http://{addr}/ops/console");
    axum::serve(listener, app).await?;
    Ok(())
}
