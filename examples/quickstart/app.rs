//! The quickstart app: a login, a money transfer through a form protected
//! against CSRF that leaves a flash notice, and "log out everywhere". Every
//! value a handler reads or writes is a Rust type; nothing is a string key.

use axum::Router;
use axum::extract::Path;
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use session_seal::revocation::Revocations;
use session_seal::{CrossOriginLayer, CsrfForm, CsrfToken, Flash, Keyring, SessionError};
use session_seal::{SessionLayer, SessionPayload, TypedSession};

/// The signed-in user, for a day at a time and at most a week from login.
#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "user", namespace = "user", user = "id", revocable)]
#[session(absolute_max_age = "7d")]
pub struct User {
    pub id: u64,
}

/// The transfer form's fields, then the notice the next page shows once.
#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "sent", namespace = "sent", flash)]
pub struct Sent {
    pub amount: u64,
}

session_seal::registry! { pub struct Sessions { User, Sent } }

type Done = Result<Redirect, SessionError>;

async fn home(me: TypedSession<User>, csrf: CsrfToken<User>, sent: Flash<Sent>) -> Html<String> {
    let who = me.get().map_or("nobody".into(), |me| me.id.to_string());
    let sent = sent.get().map(|sent| format!("sent {}", sent.amount));
    let sent = sent.unwrap_or_default();
    let csrf = csrf.form_field();
    Html(format!(
        "{sent}<p>user: {who}</p><form method=post><input name=amount>{csrf}</form>"
    ))
}

async fn login(Path(id): Path<u64>, mut me: TypedSession<User>) -> Done {
    me.insert(User { id }).map(|()| Redirect::to("/"))
}

async fn send(mut sent: Flash<Sent>, form: CsrfForm<User, Sent>) -> Done {
    sent.set(form.into_inner()).map(|()| Redirect::to("/"))
}

async fn logout_everywhere(mut me: TypedSession<User>) -> Done {
    me.logout_everywhere().await.map(|_| Redirect::to("/"))
}

/// The app under `keyring`; one process, so its revocations live in memory.
pub fn router(keyring: Keyring) -> Router {
    Router::new()
        .route("/", get(home).post(send))
        .route("/login/{id}", get(login))
        .route("/logout-everywhere", post(logout_everywhere))
        .layer(SessionLayer::<Sessions>::new(keyring).revocations(Revocations::local::<Sessions>()))
        .layer(CrossOriginLayer::new())
}
