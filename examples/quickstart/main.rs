//! `cargo run --example quickstart`: the quickstart app on
//! http://127.0.0.1:3000 (or `PORT`). Open `/login/7`, send an amount
//! (a CSRF-protected form; its notice shows once), then post to
//! `/logout-everywhere`.

mod app;
#[path = "../support/mod.rs"]
mod support;

use std::net::SocketAddr;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = SocketAddr::from(([127, 0, 0, 1], support::port()?));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("session-seal quickstart on http://{addr}: open /login/7");
    axum::serve(listener, app::router(support::keyring()?)).await?;
    Ok(())
}
