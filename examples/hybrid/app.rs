//! The two services of `cargo run --example hybrid`: an *authority* that
//! logs users in and refreshes their access cookies, and a *resource*
//! service that holds only the authority's public key. The resource checks
//! every access cookie locally, with no I/O, and cannot mint one.
//!
//! - `Access` is the short-lived access cookie, signed with Ed25519
//!   (`asymmetric`) so that a public key verifies it.
//! - `Login` is the refresh session: kept in the authority's store, its id
//!   rotated at every refresh, and its cookie sent only to `/auth`, so the
//!   resource service never sees it.
//!
//! `tests/http/hybrid_example.rs` walks through it.

use axum::Router;
use axum::extract::Path;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use session_seal::store::SessionStore;
use session_seal::{
    Keyring, RequireSession, SessionError, SessionLayer, SessionPayload, TypedSession,
    VerifyingKeyring,
};

/// A login: kept server-side for 30 days of use, 90 at most.
#[derive(Serialize, Deserialize, SessionPayload)]
#[session(
    cookie = "login",
    namespace = "login",
    store,
    user = "user",
    max_age = "30d",
    absolute_max_age = "90d",
    path = "/auth"
)]
pub struct Login {
    pub user: u64,
}

/// What every service checks: five minutes, refreshed from a `Login`.
#[derive(Serialize, Deserialize, SessionPayload)]
#[session(
    cookie = "access",
    namespace = "access",
    max_age = "5m",
    user = "user",
    asymmetric,
    refresh = Login
)]
pub struct Access {
    pub user: u64,
}

impl From<&Login> for Access {
    fn from(login: &Login) -> Self {
        Access { user: login.user }
    }
}

session_seal::registry! { pub struct Sessions { Access, Login } }

/// The authority: login, refresh and logout, under `/auth`.
pub fn authority(layer: SessionLayer<Sessions>, store: impl SessionStore) -> Router {
    Router::new()
        .route("/auth/login/{user}", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .layer(layer.store(store))
}

/// The resource service: its keyring holds the authority's public keys only.
pub fn resource(layer: SessionLayer<Sessions>) -> Router {
    Router::new().route("/api/me", get(me)).layer(layer)
}

/// The resource service's layer, from the authority's public keys.
pub fn resource_layer(public_keys: VerifyingKeyring) -> SessionLayer<Sessions> {
    SessionLayer::new(Keyring::verify_only(public_keys))
}

async fn login(
    Path(user): Path<u64>,
    mut access: TypedSession<Access>,
) -> Result<&'static str, SessionError> {
    access.login(Login { user }).await?;
    Ok("signed in")
}

async fn refresh(mut access: TypedSession<Access>) -> Result<&'static str, SessionError> {
    Ok(if access.refresh().await? {
        "refreshed"
    } else {
        "signed out"
    })
}

async fn logout(mut access: TypedSession<Access>) -> Result<&'static str, SessionError> {
    access.logout().await?;
    Ok("signed out")
}

async fn me(access: RequireSession<Access>) -> String {
    format!("user {}", access.user)
}
