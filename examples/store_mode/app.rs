//! The demo app of `cargo run --example store_mode`: an account session kept
//! in a session store, so it can be revoked ("sign out everywhere", "sign out
//! other devices", an admin ban). The HTTP tests in `tests/store/store_http.rs`
//! drive these same routes against the memory store and Redis.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use session_seal::store::{SessionMeta, SessionStore, SessionStoreExt as _, StoreKey};
use session_seal::{SessionError, SessionLayer, SessionPayload, SessionStatus, TypedSession};

/// A signed-in account. The payload lives in the store; the cookie carries
/// only a sealed random id. At most three devices per user: a fourth login
/// ends the least recently used one.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(
    cookie = "account_sid",
    namespace = "account",
    max_age = "8h",
    store,
    user = "user_id",
    touch_after = "5m",
    max_per_user = 3
)]
pub struct AccountSession {
    pub user_id: u64,
    pub device: String,
    pub visits: u32,
}

/// A display preference. It is no secret and should outlive a sign-out, so
/// it lives in a signed cookie, not in the store, under the same layer.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(cookie = "prefs", namespace = "prefs", max_age = "30d")]
pub struct Prefs {
    pub theme: String,
}

session_seal::registry! {
    /// Every session this app issues.
    pub struct StoreSessions { AccountSession, Prefs }
}

/// The store, shared with handlers for operations on other users' sessions.
pub type AppStore = Arc<dyn SessionStore>;

/// The demo's routes, before the layer and state are applied (tests add
/// their own routes to these).
pub fn routes() -> Router<AppStore> {
    Router::new()
        .route("/login/{user_id}/{device}", get(login))
        .route("/me", get(me))
        .route("/visit", get(visit))
        .route("/renew", get(renew))
        .route("/logout", get(logout))
        .route("/logout-all", get(logout_all))
        .route("/logout-others", get(logout_others))
        .route("/devices", get(devices))
        .route("/devices/{key}/logout", post(logout_device))
        .route("/admin/ban/{user_id}", get(ban))
        .route("/theme/{theme}", get(theme))
}

/// The demo app: `routes()` behind `layer`, whose store must be `store`.
pub fn router(layer: SessionLayer<StoreSessions>, store: AppStore) -> Router {
    routes().layer(layer).with_state(store)
}

/// "none", or why the request's cookie was not usable ("revoked" once the
/// server ended the session).
fn describe(status: SessionStatus) -> String {
    match status {
        SessionStatus::Absent => "none".into(),
        SessionStatus::Invalid(reason) => format!("rejected ({})", reason.label()),
        _ => status.label().into(),
    }
}

/// Login: `insert` always starts under a fresh id (and deletes the row of
/// any session this browser had), so an id planted before login is useless.
async fn login(
    Path((user_id, device)): Path<(u64, String)>,
    mut session: TypedSession<AccountSession>,
) -> Result<String, SessionError> {
    session.insert(AccountSession {
        user_id,
        device: device.clone(),
        visits: 0,
    })?;
    Ok(format!("user {user_id} signed in on {device}\n"))
}

async fn me(session: TypedSession<AccountSession>) -> String {
    match session.get() {
        Some(account) => format!(
            "user {} on {}, {} visits\n",
            account.user_id, account.device, account.visits
        ),
        None => format!("no session: {}\n", describe(session.status())),
    }
}

/// A change written by the layer after the handler (or 409 if another
/// request changed the session first).
async fn visit(mut session: TypedSession<AccountSession>) -> Result<String, SessionError> {
    if !session.update(|account| account.visits += 1)? {
        return Ok("no session\n".into());
    }
    let visits = session.get().map_or(0, |account| account.visits);
    Ok(format!("visit {visits}\n"))
}

/// After a privilege change: same data, new id; the old cookie stops working.
async fn renew(mut session: TypedSession<AccountSession>) -> Result<String, SessionError> {
    Ok(if session.renew()? {
        "renewed\n".into()
    } else {
        "no session\n".into()
    })
}

async fn logout(mut session: TypedSession<AccountSession>) -> &'static str {
    session.remove();
    "signed out\n"
}

async fn logout_all(mut session: TypedSession<AccountSession>) -> Result<String, SessionError> {
    // Store mode counts the rows it deleted (cookie mode cannot: `None`).
    let ended = session.logout_everywhere().await?.unwrap_or(0);
    Ok(format!("signed out {ended} sessions\n"))
}

async fn logout_others(mut session: TypedSession<AccountSession>) -> Result<String, SessionError> {
    let ended = session.logout_others().await?.unwrap_or(0);
    Ok(format!("signed out {ended} other sessions\n"))
}

/// The user's devices, oldest first, this one marked: when each signed
/// in, when it was last seen, and the address and browser it signed in
/// from (the layer records them at login; see
/// `SessionLayer::session_metadata`).
async fn devices(session: TypedSession<AccountSession>) -> Result<String, SessionError> {
    let this = session.store_key();
    let mut out = String::new();
    for device in session.user_sessions().await? {
        let key = device.key.to_hex();
        let marker = if Some(device.key) == this {
            " (this one)"
        } else {
            ""
        };
        out.push_str(&format!(
            "session {} started {} last seen {} from {}; sign out: POST /devices/{key}/logout{marker}\n",
            key.get(..8).unwrap_or(&key),
            device.created_at,
            device.touched_at,
            describe_client(&device.meta),
        ));
    }
    if out.is_empty() {
        out.push_str("no sessions\n");
    }
    Ok(out)
}

/// `203.0.113.9 ("Mozilla/5.0 …")`, or `unknown` for each part not
/// recorded. The user agent is the client's own text: quoted and escaped
/// here (a page in HTML would escape it as HTML).
pub fn describe_client(meta: &SessionMeta) -> String {
    let addr = meta
        .client_addr()
        .map_or_else(|| "unknown address".to_owned(), |addr| addr.to_string());
    let agent = meta.user_agent().map_or_else(
        || "unknown browser".to_owned(),
        |agent| format!("{agent:?}"),
    );
    format!("{addr} ({agent})")
}

/// Signs out one of the user's devices by the key `/devices` lists; a key
/// of another user's session ends nothing.
async fn logout_device(
    Path(key): Path<String>,
    mut session: TypedSession<AccountSession>,
) -> Result<String, SessionError> {
    let Some(key) = StoreKey::from_hex(&key) else {
        return Ok("no such session\n".into());
    };
    Ok(if session.logout_session(key).await? {
        "signed out that device\n".into()
    } else {
        "no such session of yours\n".into()
    })
}

/// Sets the display preference, signed in or not.
async fn theme(
    Path(theme): Path<String>,
    mut prefs: TypedSession<Prefs>,
) -> Result<String, SessionError> {
    prefs.insert(Prefs {
        theme: theme.clone(),
    })?;
    Ok(format!("theme {theme}\n"))
}

/// Ends every session of a user from outside any of them. A real app would
/// guard this route with an admin session; the demo leaves it open.
async fn ban(
    Path(user_id): Path<u64>,
    State(store): State<AppStore>,
) -> Result<String, SessionError> {
    let ended = store
        .logout_all::<AccountSession>(&user_id.to_string())
        .await?;
    Ok(format!("user {user_id}: ended {ended} sessions\n"))
}
