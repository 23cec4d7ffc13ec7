//! Rejections of the extractors and errors of session mutations, axum style:
//! `#[non_exhaustive]` enums with `status()`, `body_text()` and `IntoResponse`.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use session_core::SealError;

use crate::status::SessionStatus;

/// Why [`TypedSession`](crate::TypedSession) or
/// [`RequireSession`](crate::RequireSession) could not be extracted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionRejection {
    /// The router has no [`SessionLayer`](crate::SessionLayer): a wiring
    /// mistake, answered with 500.
    #[error(
        "`{type_name}` needs session_seal's SessionLayer: add \
         `.layer(SessionLayer::<YourRegistry>::new(keyring))` to the router"
    )]
    MissingLayer {
        /// The session type the handler asked for.
        type_name: &'static str,
    },
    /// The session type is not in the layer's registry: a wiring mistake,
    /// answered with 500.
    #[error(
        "`{type_name}` is not registered: add it to `{registry}` in your \
         `session_seal::registry!` invocation"
    )]
    Unregistered {
        /// The session type the handler asked for.
        type_name: &'static str,
        /// The registry the layer was built with.
        registry: &'static str,
    },
    /// [`RequireSession`](crate::RequireSession) found no valid session: 401.
    #[error("a valid `{type_name}` session is required ({})", status.label())]
    Unauthorized {
        /// The session type that was required.
        type_name: &'static str,
        /// What the request carried instead.
        status: SessionStatus,
    },
}

impl SessionRejection {
    /// The HTTP status of the response.
    pub fn status(&self) -> StatusCode {
        match self {
            SessionRejection::MissingLayer { .. } | SessionRejection::Unregistered { .. } => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            SessionRejection::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
        }
    }

    /// The response body. Wiring mistakes name the fix (they reach only the
    /// developer's own requests); a 401 says nothing about why.
    pub fn body_text(&self) -> String {
        match self {
            SessionRejection::Unauthorized { .. } => "authentication required".to_owned(),
            wiring => wiring.to_string(),
        }
    }
}

impl IntoResponse for SessionRejection {
    fn into_response(self) -> Response {
        match &self {
            SessionRejection::Unauthorized { .. } => {
                tracing::debug!(target: "session_seal", reason = %self, "rejecting request");
            }
            _ => tracing::error!(target: "session_seal", reason = %self, "session wiring error"),
        }
        (self.status(), self.body_text()).into_response()
    }
}

/// A session change could not be made (returned by `insert`, `update`, `renew`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The payload could not be sealed (too large for a cookie, or not serializable).
    #[error(transparent)]
    Seal(#[from] SealError),
}

impl SessionError {
    /// The HTTP status of the response: 500 (the payload is the server's own data).
    pub fn status(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    /// The response body: short, without the payload.
    pub fn body_text(&self) -> String {
        "the session could not be saved".to_owned()
    }
}

impl IntoResponse for SessionError {
    fn into_response(self) -> Response {
        tracing::error!(target: "session_seal", error = %self, "session could not be saved");
        (self.status(), self.body_text()).into_response()
    }
}
