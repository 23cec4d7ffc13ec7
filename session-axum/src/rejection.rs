//! [`SessionRejection`]: why an extractor could not be extracted, axum style:
//! a `#[non_exhaustive]` enum with `status()`, `body_text()` and
//! `IntoResponse`.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use session_core::StoreError;

use crate::TRACING_TARGET;
use crate::status::SessionStatus;

/// Why [`TypedSession`](crate::TypedSession),
/// [`RequireSession`](crate::RequireSession) or [`Flash`](crate::Flash)
/// could not be extracted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
#[must_use = "a rejection is an answer: return it or turn it into a response"]
pub enum SessionRejection {
    /// No [`SessionLayer`](crate::SessionLayer) serves the request: a
    /// wiring mistake, answered with 500. The router has none around this
    /// route, or the request was rebuilt on its way to the handler without
    /// the extensions the layer put in it.
    #[error(
        "`{type_name}` needs session_seal's SessionLayer: add \
         `.layer(SessionLayer::<YourRegistry>::new(keyring))` to the router \
         (a request rebuilt on its way to the handler must keep the \
         original's extensions)"
    )]
    MissingLayer {
        /// The session type the handler asked for.
        type_name: &'static str,
    },
    /// The session type is not in the registry of the layer around the
    /// route: a wiring mistake (a router nested under the layer of another
    /// registry), answered with 500. A type that is in no registry at all
    /// does not compile: the extractors require
    /// [`Registered`](session_core::Registered).
    #[error(
        "`{type_name}` is not registered in `{registry}`, the registry of the layer around \
         this route: serve the route under the layer of the registry that lists it"
    )]
    Unregistered {
        /// The session type the handler asked for.
        type_name: &'static str,
        /// The registry the layer around the route was built with.
        registry: &'static str,
    },
    /// A store-mode type is used but the layer has no store: a wiring
    /// mistake, answered with 500.
    #[error(
        "`{type_name}` is a store-mode session (#[session(store)]): give the layer a store \
         with `.store(MemoryStore::new())` or another SessionStore"
    )]
    MissingStore {
        /// The session type the handler asked for.
        type_name: &'static str,
    },
    /// A revocable type (`#[session(revocable)]`) is used but the layer has
    /// no revocations to check it against: a wiring mistake, answered with
    /// 500.
    #[error(
        "`{type_name}` is a revocable session (#[session(revocable)]): give the layer its \
         revocations with `.revocations(Revocations::builder::<YourRegistry>(feed).start())`"
    )]
    MissingRevocations {
        /// The session type the handler asked for.
        type_name: &'static str,
    },
    /// [`Flash<T>`](crate::Flash) was extracted for a type that is not a
    /// flash message (`#[session(flash)]`): a wiring mistake, answered
    /// with 500.
    #[error(
        "`{type_name}` is not a flash message: add `flash` to its #[session(...)] to read it \
         with `Flash<{type_name}>`, or extract `TypedSession<{type_name}>` instead"
    )]
    NotFlash {
        /// The session type the handler asked for.
        type_name: &'static str,
    },
    /// The revocation feed has not been heard from within its staleness
    /// bound, so a revocable session cannot be trusted: 503 (fail closed).
    /// Non-revocable types are unaffected.
    #[error("revocation feed silent while opening `{type_name}`")]
    RevocationsStale {
        /// The session type the handler asked for.
        type_name: &'static str,
    },
    /// The session store could not be reached to load a store-mode session:
    /// 503. The request is not treated as logged out.
    #[error("session store unavailable while loading `{type_name}`: {source}")]
    StoreUnavailable {
        /// The session type the handler asked for.
        type_name: &'static str,
        /// What the store reported.
        #[source]
        source: StoreError,
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
            SessionRejection::MissingLayer { .. }
            | SessionRejection::Unregistered { .. }
            | SessionRejection::MissingStore { .. }
            | SessionRejection::MissingRevocations { .. }
            | SessionRejection::NotFlash { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            SessionRejection::StoreUnavailable { .. }
            | SessionRejection::RevocationsStale { .. } => StatusCode::SERVICE_UNAVAILABLE,
            SessionRejection::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
        }
    }

    /// A short stable label for logs and metrics: `unauthorized`,
    /// `store_unavailable`, `revocations_stale`, or the wiring mistake
    /// (`missing_layer`, `unregistered`, `missing_store`,
    /// `missing_revocations`, `not_flash`).
    pub fn label(&self) -> &'static str {
        match self {
            SessionRejection::MissingLayer { .. } => "missing_layer",
            SessionRejection::Unregistered { .. } => "unregistered",
            SessionRejection::MissingStore { .. } => "missing_store",
            SessionRejection::MissingRevocations { .. } => "missing_revocations",
            SessionRejection::NotFlash { .. } => "not_flash",
            SessionRejection::StoreUnavailable { .. } => "store_unavailable",
            SessionRejection::RevocationsStale { .. } => "revocations_stale",
            SessionRejection::Unauthorized { .. } => "unauthorized",
        }
    }

    /// The response body. Wiring mistakes name the fix (they reach only the
    /// developer's own requests); a 401 says nothing about why.
    pub fn body_text(&self) -> String {
        match self {
            SessionRejection::Unauthorized { .. } => "authentication required".to_owned(),
            SessionRejection::StoreUnavailable { .. } => STORE_UNAVAILABLE_BODY.to_owned(),
            SessionRejection::RevocationsStale { .. } => REVOCATIONS_STALE_BODY.to_owned(),
            wiring => wiring.to_string(),
        }
    }
}

impl IntoResponse for SessionRejection {
    fn into_response(self) -> Response {
        crate::observability::rejected(self.label());
        match &self {
            SessionRejection::Unauthorized { .. } => {
                tracing::debug!(target: TRACING_TARGET, reason = %self, "rejecting request");
            }
            SessionRejection::StoreUnavailable { .. } => {
                tracing::error!(target: TRACING_TARGET, reason = %self, "session store unavailable");
            }
            SessionRejection::RevocationsStale { .. } => {
                tracing::error!(target: TRACING_TARGET, reason = %self, "revocation feed stale");
            }
            _ => tracing::error!(target: TRACING_TARGET, reason = %self, "session wiring error"),
        }
        (self.status(), self.body_text()).into_response()
    }
}

/// The 503 body: says what failed, nothing about the store's address.
pub(crate) const STORE_UNAVAILABLE_BODY: &str = "session store unavailable, please retry";

/// The 503 body of a stale revocation table.
pub(crate) const REVOCATIONS_STALE_BODY: &str = "session service unavailable, please retry";
