//! The quickstart app: a login, a form protected against CSRF that leaves
//! a flash notice, and "log out everywhere", in the code below the imports.

use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router, extract::Path};
use serde::{Deserialize, Serialize};
use session_seal::revocation::Revocations;
use session_seal::{CrossOriginLayer, CsrfToken, Flash, Keyring, SessionError, SessionLayer};
use session_seal::{SessionPayload, TypedSession};

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "account", namespace = "account", revocable, user = "user")]
#[session(max_age = "1h", absolute_max_age = "7d")]
pub struct Account {
    pub user: u64,
}

#[derive(Serialize, Deserialize, SessionPayload)]
#[session(cookie = "notice", namespace = "notice", flash)]
pub struct Notice(pub String);

session_seal::registry! { pub struct Sessions { Account, Notice } }

type Me = TypedSession<Account>;
type Csrf = CsrfToken<Account>;
type Done = Result<Redirect, SessionError>;

#[derive(Deserialize)]
pub struct Note {
    pub note: String,
    pub csrf: String,
}

async fn home(me: Me, csrf: Csrf, notice: Flash<Notice>) -> Html<String> {
    let who = me
        .get()
        .map_or("nobody".into(), |me| format!("user {}", me.user));
    let notice = notice.get().map_or("", |notice| &notice.0);
    Html(format!(
        r#"<p>{notice}</p><p>{who}</p><form method="post" action="/note"><input name="note">
        <input type="hidden" name="csrf" value="{csrf}"><button>save</button></form>"#
    ))
}

async fn login(Path(user): Path<u64>, mut me: Me) -> Done {
    me.insert(Account { user })?;
    Ok(Redirect::to("/"))
}

async fn note(csrf: Csrf, mut notice: Flash<Notice>, Form(form): Form<Note>) -> Done {
    csrf.verify(&form.csrf)?;
    notice.set(Notice(format!("saved: {}", form.note)))?;
    Ok(Redirect::to("/"))
}

async fn logout_everywhere(mut me: Me) -> Done {
    me.logout_everywhere().await?;
    Ok(Redirect::to("/"))
}

/// The app under `keyring`; one process, so its revocations live in memory.
pub fn router(keyring: Keyring) -> Router {
    let sessions = SessionLayer::<Sessions>::new(keyring);
    Router::new()
        .route("/", get(home))
        .route("/login/{user}", get(login))
        .route("/note", post(note))
        .route("/logout-everywhere", post(logout_everywhere))
        .layer(sessions.revocations(Revocations::local::<Sessions>()))
        .layer(CrossOriginLayer::new())
}
