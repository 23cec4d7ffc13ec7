//! CSRF tokens bound to a session type: [`CsrfToken<T>`] hands one out,
//! [`VerifiedCsrf<T>`] checks the `X-CSRF-Token` header of an unsafe
//! request, [`CsrfForm`](crate::CsrfForm) the field of a posted form.
//! Defence in depth beside [`CrossOriginLayer`](crate::CrossOriginLayer),
//! and the defence for apps that must accept some cross-origin posts.
//!
//! A token is an HMAC under `T`'s own CSRF key (DESIGN §13, format in
//! `session_core::csrf`) over what identifies the current `T` session: its
//! start, its user and, in store mode, its row's at-rest key. So a token
//! made for the admin session is useless for the tenant session, and it
//! dies at logout, at the next login and (store mode) when the id is
//! renewed. A session needs no extra cookie for this. Where there is no
//! session of `T` (a login form), or one without a user in cookie mode,
//! the token is bound to a random nonce kept in a signed `__Host-seal-csrf`
//! cookie instead (the signed double-submit pattern): the layer sets it the
//! first time a token is asked for. Being `__Host-`, that cookie is always
//! `Secure`: browsers keep it over HTTPS and on `http://localhost`, not on
//! other plain-HTTP origins (where such a token cannot be checked).

use std::fmt;

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::request::Parts;
use http::{Method, StatusCode};
use rand::TryRngCore as _;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use session_core::csrf::CsrfContext;
use session_core::{Registered, SessionPayload, SessionSpec};

use crate::TRACING_TARGET;
use crate::cookie_mode;
use crate::rejection::SessionRejection;
use crate::request::{RequestSessions, RequestState};
use crate::session::TypedSession;

/// The header [`VerifiedCsrf`] reads the token from.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The random nonce of the signed double-submit cookie.
#[derive(Serialize, Deserialize)]
struct CsrfNonce {
    n: String,
}

impl SessionPayload for CsrfNonce {
    const SPEC: SessionSpec = SessionSpec::builder("CsrfNonce", "__Host-seal-csrf", "seal.csrf")
        .max_age_secs(86_400)
        .build();
}

/// Why a CSRF check failed: 403.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CsrfRejection {
    /// An unsafe request carried no token.
    #[error("CSRF token missing")]
    Missing,
    /// The token is not the one of this session type and session.
    #[error("CSRF token invalid")]
    Invalid,
    /// The session could not be read (wiring error or store outage).
    #[error(transparent)]
    Session(#[from] SessionRejection),
}

impl CsrfRejection {
    /// The HTTP status: 403, or the session rejection's own.
    pub fn status(&self) -> StatusCode {
        match self {
            CsrfRejection::Session(rejection) => rejection.status(),
            _ => StatusCode::FORBIDDEN,
        }
    }
}

impl IntoResponse for CsrfRejection {
    fn into_response(self) -> Response {
        match self {
            CsrfRejection::Session(rejection) => rejection.into_response(),
            refused => {
                tracing::info!(target: TRACING_TARGET, reason = %refused, "request refused");
                (refused.status(), "CSRF token missing or invalid").into_response()
            }
        }
    }
}

/// The CSRF token of the current `T` session (or of this browser, without
/// one): put it in forms ([`form_field`](Self::form_field)) or give it to
/// scripts for the `X-CSRF-Token` header. [`CsrfForm`](crate::CsrfForm)
/// checks a posted form's field, [`VerifiedCsrf<T>`] the header, and
/// [`verify`](Self::verify) any token you read yourself.
///
/// ```
/// use axum::response::Html;
/// use serde::Deserialize;
/// use session_axum::{CsrfRejection, CsrfToken};
/// # #[derive(serde::Serialize, serde::Deserialize)]
/// # struct Account { user: u64 }
/// # impl session_core::SessionPayload for Account {
/// #     const SPEC: session_core::SessionSpec =
/// #         session_core::SessionSpec::builder("Account", "account", "account").build();
/// # }
/// # struct App;
/// # impl session_core::Registry for App {
/// #     const SPECS: &'static [session_core::SessionSpec] =
/// #         &[<Account as session_core::SessionPayload>::SPEC];
/// #     fn contains(id: std::any::TypeId) -> bool { id == std::any::TypeId::of::<Account>() }
/// # }
/// # impl session_core::Registered for Account {}
///
/// async fn form(csrf: CsrfToken<Account>) -> Html<String> {
///     Html(format!(
///         r#"<form method="post"><input type="hidden" name="csrf" value="{csrf}"><button>go</button></form>"#
///     ))
/// }
///
/// #[derive(Deserialize)]
/// struct Submitted { csrf: String }
///
/// // The posted form, parsed (with axum's `form` feature: `Form(form): Form<Submitted>`).
/// fn check(csrf: &CsrfToken<Account>, form: &Submitted) -> Result<(), CsrfRejection> {
///     csrf.verify(&form.csrf)
/// }
/// ```
pub struct CsrfToken<T: Registered + Send + Sync + 'static> {
    token: String,
    sessions: crate::request::SharedSessions,
    context: OwnedContext,
    marker: std::marker::PhantomData<fn() -> T>,
}

/// A [`CsrfContext`] with owned parts.
struct OwnedContext {
    started_at: u64,
    user: Option<String>,
    session: Vec<u8>,
}

impl OwnedContext {
    fn borrow(&self) -> CsrfContext<'_> {
        CsrfContext {
            started_at: self.started_at,
            user: self.user.as_deref(),
            session: &self.session,
        }
    }
}

impl<T: Registered + Send + Sync + 'static> CsrfToken<T> {
    /// The token.
    pub fn as_str(&self) -> &str {
        &self.token
    }

    /// The hidden form field that carries this token, named
    /// [`CSRF_FIELD`](crate::CSRF_FIELD) as [`CsrfForm`](crate::CsrfForm)
    /// expects: `<input type="hidden" name="csrf" value="…">`. A token is
    /// base64url, so the HTML needs no escaping.
    pub fn form_field(&self) -> String {
        format!(
            r#"<input type="hidden" name="{}" value="{}">"#,
            crate::CSRF_FIELD,
            self.token
        )
    }

    /// Checks a submitted token (from a form field) in constant time.
    ///
    /// # Errors
    ///
    /// [`CsrfRejection::Missing`] for an empty one,
    /// [`CsrfRejection::Invalid`] for any other that is not this token
    /// (under the primary or a previous secret).
    pub fn verify(&self, submitted: &str) -> Result<(), CsrfRejection> {
        if submitted.is_empty() {
            return Err(CsrfRejection::Missing);
        }
        let keyring = &self.sessions.config.keyring;
        if keyring.verify_csrf_token(&T::SPEC, &self.context.borrow(), submitted) {
            Ok(())
        } else {
            Err(CsrfRejection::Invalid)
        }
    }
}

impl<T: Registered + Send + Sync + 'static> fmt::Display for CsrfToken<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.token)
    }
}

impl<T: Registered + Send + Sync + 'static> fmt::Debug for CsrfToken<T> {
    /// The type only: a token is a credential.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsrfToken")
            .field("type", &T::SPEC.type_name())
            .finish_non_exhaustive()
    }
}

impl<T, S> FromRequestParts<S> for CsrfToken<T>
where
    T: Registered + Send + Sync + 'static,
    S: Send + Sync,
{
    type Rejection = CsrfRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = TypedSession::<T>::from_request_parts(parts, state).await?;
        let sessions = parts
            .extensions
            .get::<RequestState>()
            .map(|state| crate::request::SharedSessions::clone(&state.0))
            .ok_or(SessionRejection::MissingLayer {
                type_name: T::SPEC.type_name(),
            })?;
        let user = session.get().and_then(SessionPayload::session_user);
        let context = match (session.started_at(), session.store_key()) {
            (Some(started_at), Some(key)) => OwnedContext {
                started_at,
                user,
                session: key.as_bytes().to_vec(),
            },
            (Some(started_at), None) if user.is_some() => OwnedContext {
                started_at,
                user,
                session: Vec::new(),
            },
            (started_at, _) => OwnedContext {
                started_at: started_at.unwrap_or(0),
                user,
                session: nonce(parts, &sessions)?,
            },
        };
        let token = sessions
            .config
            .keyring
            .csrf_token(&T::SPEC, &context.borrow());
        Ok(CsrfToken {
            token,
            sessions,
            context,
            marker: std::marker::PhantomData,
        })
    }
}

/// This browser's double-submit nonce: from its signed cookie, or a new one
/// (16 bytes from the OS) that the layer then sets.
fn nonce(parts: &Parts, sessions: &RequestSessions) -> Result<Vec<u8>, CsrfRejection> {
    let mut current = cookie_mode::load::<CsrfNonce>(parts, sessions)?;
    if let Some(nonce) = current.value.as_ref() {
        return Ok(nonce.n.clone().into_bytes());
    }
    let mut bytes = [0u8; 16];
    if OsRng.try_fill_bytes(&mut bytes).is_err() {
        // No randomness, no safe nonce: refuse rather than guessable tokens.
        return Err(CsrfRejection::Invalid);
    }
    let n = URL_SAFE_NO_PAD.encode(bytes);
    let now = sessions.config.now();
    cookie_mode::seal(sessions, &mut current, CsrfNonce { n: n.clone() }, now)
        .map_err(|_| CsrfRejection::Invalid)?;
    Ok(n.into_bytes())
}

/// Proof that an unsafe request (anything but `GET`, `HEAD`, `OPTIONS`,
/// `TRACE`) carried the CSRF token of the current `T` session in the
/// `X-CSRF-Token` header; safe requests pass unchecked. Extract it in
/// handlers called by scripts (`fetch` with the header); for HTML forms
/// extract [`CsrfForm`](crate::CsrfForm).
///
/// Fails with [`CsrfRejection`] (403).
pub struct VerifiedCsrf<T: Registered + Send + Sync + 'static> {
    marker: std::marker::PhantomData<fn() -> T>,
}

impl<T: Registered + Send + Sync + 'static> fmt::Debug for VerifiedCsrf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedCsrf")
            .field("type", &T::SPEC.type_name())
            .finish()
    }
}

impl<T, S> FromRequestParts<S> for VerifiedCsrf<T>
where
    T: Registered + Send + Sync + 'static,
    S: Send + Sync,
{
    type Rejection = CsrfRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let verified = VerifiedCsrf {
            marker: std::marker::PhantomData,
        };
        if matches!(
            parts.method,
            Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
        ) {
            return Ok(verified);
        }
        let submitted = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
            .ok_or(CsrfRejection::Missing)?;
        let token = CsrfToken::<T>::from_request_parts(parts, state).await?;
        token.verify(&submitted)?;
        Ok(verified)
    }
}
