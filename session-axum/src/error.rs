//! [`SessionError`]: why a session change could not be made, axum style: a
//! `#[non_exhaustive]` enum with `status()`, `body_text()` and
//! `IntoResponse`.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use session_core::{SealError, StoreError};

use crate::TRACING_TARGET;
use crate::rejection::STORE_UNAVAILABLE_BODY;

/// A session change could not be made (returned by `insert`, `update`,
/// `renew`, and the store-mode operations; also the layer's answer when the
/// changes a handler left could not be written after it).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
#[must_use = "a session change failed: answer it or handle it"]
pub enum SessionError {
    /// The payload could not be sealed (too large for a cookie, or not serializable).
    #[error(transparent)]
    Seal(#[from] SealError),
    /// Store mode: the store could not be reached. Answered with 503.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Store mode: another request changed (or ended) this session since it
    /// was loaded, so this change was not written. Answered with 409; the
    /// client may retry.
    #[error("`{type_name}` session was changed by another request; this change was not saved")]
    Conflict {
        /// The session type.
        type_name: &'static str,
    },
    /// Store mode: the session was ended by another request (a logout, a
    /// ban, an eviction) while this one ran, so its renewal was not written;
    /// the session is ended here too and the response clears its cookie.
    /// Answered with 401.
    #[error("`{type_name}` session was ended by another request")]
    Revoked {
        /// The session type.
        type_name: &'static str,
    },
    /// `logout_everywhere` or `logout_others` on a cookie-mode type that is
    /// not `#[session(revocable)]`: a programming mistake, 500.
    #[error(
        "`{type_name}` is a cookie-mode session that cannot be ended elsewhere; declare it #[session(revocable)] or #[session(store)]"
    )]
    NotRevocable {
        /// The session type.
        type_name: &'static str,
    },
    /// A store-only operation (`user_sessions`) on a cookie-mode type: a
    /// programming mistake, 500.
    #[error("`{type_name}` is a cookie-mode session; this operation needs #[session(store)]")]
    NotStored {
        /// The session type.
        type_name: &'static str,
    },
    /// A hybrid access type or a store-mode operation used on a layer
    /// without a store ([`SessionLayer::store`](crate::SessionLayer::store)):
    /// a wiring mistake, 500.
    #[error("`{type_name}` needs a store; add one with SessionLayer::store")]
    MissingStore {
        /// The session type.
        type_name: &'static str,
    },
    /// A hybrid login whose refresh payload names no user: every login
    /// belongs to one, 500.
    #[error("`{type_name}` login: the refresh payload names no user")]
    MissingUser {
        /// The access type.
        type_name: &'static str,
    },
    /// A hybrid refresh session that does not make an access session of
    /// the same user (its payload no longer decodes, or the access type's
    /// `From` names another user): a programming mistake, 500.
    #[error("`{type_name}`: the refresh session does not make an access session of its user")]
    RefreshMismatch {
        /// The access type.
        type_name: &'static str,
    },
    /// A form's CSRF token did not check out
    /// ([`CsrfToken::verify`](crate::CsrfToken::verify)), so a handler can
    /// use `?` on it beside session changes. Answered as the
    /// [`CsrfRejection`](crate::CsrfRejection) itself (403).
    #[error(transparent)]
    Csrf(#[from] crate::CsrfRejection),
}

impl SessionError {
    /// The HTTP status of the response: 503 when the store is down, 409 on a
    /// lost update, 401 for a session revoked meanwhile or one that reached
    /// its absolute lifetime during the request, the rejection's own for a
    /// failed CSRF check (403), else 500 (the payload is
    /// the server's own data).
    pub fn status(&self) -> StatusCode {
        match self {
            SessionError::Csrf(rejection) => rejection.status(),
            SessionError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            SessionError::Conflict { .. } => StatusCode::CONFLICT,
            SessionError::Revoked { .. } | SessionError::Seal(SealError::Expired { .. }) => {
                StatusCode::UNAUTHORIZED
            }
            SessionError::Seal(_)
            | SessionError::NotStored { .. }
            | SessionError::NotRevocable { .. }
            | SessionError::MissingStore { .. }
            | SessionError::MissingUser { .. }
            | SessionError::RefreshMismatch { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The response body: short, without the payload.
    pub fn body_text(&self) -> String {
        match self {
            SessionError::Csrf(_) => "CSRF token missing or invalid".to_owned(),
            SessionError::Store(_) => STORE_UNAVAILABLE_BODY.to_owned(),
            SessionError::Conflict { .. } => {
                "the session was changed by another request, please retry".to_owned()
            }
            SessionError::Revoked { .. } => {
                "the session has ended, please sign in again".to_owned()
            }
            SessionError::Seal(SealError::Expired { .. }) => {
                "the session has expired, please sign in again".to_owned()
            }
            SessionError::Seal(_)
            | SessionError::NotStored { .. }
            | SessionError::NotRevocable { .. }
            | SessionError::MissingStore { .. }
            | SessionError::MissingUser { .. }
            | SessionError::RefreshMismatch { .. } => "the session could not be saved".to_owned(),
        }
    }
}

impl IntoResponse for SessionError {
    fn into_response(self) -> Response {
        if let SessionError::Csrf(rejection) = self {
            return rejection.into_response();
        }
        match &self {
            SessionError::Conflict { .. } | SessionError::Revoked { .. } => {
                tracing::info!(target: TRACING_TARGET, error = %self, "session not saved");
            }
            _ => {
                tracing::error!(target: TRACING_TARGET, error = %self, "session could not be saved")
            }
        }
        (self.status(), self.body_text()).into_response()
    }
}
