//! [`RequireSession<T>`]: a handler guard for a valid session, or a 401.

use std::fmt;
use std::ops::Deref;

use axum::extract::FromRequestParts;
use http::request::Parts;
use session_core::Registered;

use crate::rejection::SessionRejection;
use crate::session::TypedSession;

/// A handler guard: the valid session of type `T`, or a 401.
///
/// Dereferences to `T`. Same layer requirements as [`TypedSession`]; an
/// absent or invalid session is [`SessionRejection::Unauthorized`] (an invalid
/// cookie is still cleared). To change the session, extract
/// [`TypedSession<T>`] instead.
pub struct RequireSession<T: Registered>(pub T);

impl<T: Registered> RequireSession<T> {
    /// The payload.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: Registered> Deref for RequireSession<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Registered> fmt::Debug for RequireSession<T> {
    /// Never shows the payload (it may hold secrets).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireSession")
            .field("type", &T::SPEC.type_name())
            .finish_non_exhaustive()
    }
}

impl<T, S> FromRequestParts<S> for RequireSession<T>
where
    T: Registered + Send + Sync + 'static,
    S: Send + Sync,
{
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let mut session = TypedSession::<T>::from_request_parts(parts, state).await?;
        let status = session.current.status;
        session
            .current
            .value
            .take()
            .map(RequireSession)
            .ok_or(SessionRejection::Unauthorized {
                type_name: T::SPEC.type_name(),
                status,
            })
    }
}
