//! [`Flash<T>`], the extractor of flash messages (`#[session(flash)]`
//! types): a message one request leaves for the next page, read once.
//!
//! A flash type is an ordinary cookie-mode session type with a short life,
//! so writing and reading it is `cookie_mode.rs`'s work; this extractor
//! adds only "read once": it records the removal of the cookie it read,
//! uncommitted, so that
//!
//! - a new message sealed later in the request (a `Pending::Set`) replaces
//!   the removal, and the next page gets the new message;
//! - a server error (5xx) writes no uncommitted cookie (`Emit::Committed`
//!   in `request.rs`), so the message stays for the retry.

use std::fmt;

use axum::extract::FromRequestParts;
use http::request::Parts;
use session_core::Registered;

use crate::cookie_mode;
use crate::current::Current;
use crate::error::SessionError;
use crate::rejection::SessionRejection;
use crate::request::SharedSessions;
use crate::session::TypedSession;
use crate::status::SessionStatus;

/// The flash message of type `T` this request carried, if any, read once:
/// extracting it clears the message (the response carries a removal
/// cookie), so the page after this one no longer sees it.
///
/// `T` is a flash type, declared with `#[session(flash)]` (a struct or an
/// enum; see the derive's "Flash messages"): a cookie-mode type whose
/// `max_age` is five minutes unless given, and at most an hour. It must be
/// in the layer's registry like any session type. Extracting `Flash<T>`
/// for a type that is not a flash type fails with
/// [`SessionRejection::NotFlash`] (500, naming the fix).
///
/// - **Reading**: [`get`](Self::get), [`take`](Self::take) or
///   [`into_inner`](Self::into_inner); the message is consumed by the
///   extraction whether or not the handler looks at it.
/// - **Writing**: [`set`](Self::set) seals a message for the next request
///   (usually before a redirect). It replaces the removal, so a handler
///   that reads a message and sets a new one leaves the new one.
///   [`TypedSession<T>::insert`](crate::TypedSession::insert) does the same.
/// - **Server errors**: if the response is a 5xx, the message is not
///   consumed: the layer writes no cookie of a failed request (unless
///   [`SessionLayer::save_on_server_error`](crate::SessionLayer::save_on_server_error)
///   is on), so the message is still there when the user retries. A new
///   message set by a request that fails is dropped likewise.
/// - **Peeking**: [`TypedSession<T>`](crate::TypedSession) reads a flash
///   type without consuming it ([`get`](crate::TypedSession::get)), and
///   [`remove`](crate::TypedSession::remove) consumes it.
///
/// A flash lives in its cookie, so "read once" is per browser, not per
/// server: two requests that carry the same cookie at the same time (two
/// tabs loading at once) both see the message, and the first response to
/// arrive clears it. A message that is invalid (expired, tampered, another
/// type's cookie) reads as none and is cleared, as for any session type
/// ([`status`](Self::status) says why). Within one request the first
/// extractor of `T` reads the message; a later `Flash<T>` or
/// `TypedSession<T>` of the same request sees it consumed.
///
/// ```
/// use axum::{Router, response::Redirect, routing::{get, post}};
/// use serde::{Deserialize, Serialize};
/// use session_axum::{Flash, SessionError, SessionLayer};
/// use session_core::{Keyring, Registry, SessionPayload, SessionSecret, SessionSpec};
///
/// // `#[derive(SessionPayload)] #[session(cookie = "notice", namespace = "notice", flash)]`
/// // writes this.
/// #[derive(Serialize, Deserialize)]
/// enum Notice {
///     Saved,
///     Deleted { count: u32 },
/// }
/// impl SessionPayload for Notice {
///     const SPEC: SessionSpec = SessionSpec::builder("Notice", "notice", "notice").flash().build();
/// }
/// # struct App;
/// # impl Registry for App {
/// #     const SPECS: &'static [SessionSpec] = &[Notice::SPEC];
/// #     fn contains(id: std::any::TypeId) -> bool { id == std::any::TypeId::of::<Notice>() }
/// # }
/// # impl session_core::Registered for Notice {}
///
/// async fn delete(mut flash: Flash<Notice>) -> Result<Redirect, SessionError> {
///     // … delete three things, then tell the next page:
///     flash.set(Notice::Deleted { count: 3 })?;
///     Ok(Redirect::to("/list"))
/// }
///
/// async fn list(flash: Flash<Notice>) -> String {
///     let notice = match flash.into_inner() {
///         Some(Notice::Saved) => "saved. ",
///         Some(Notice::Deleted { .. }) => "deleted. ",
///         None => "",
///     };
///     format!("{notice}the list") // a reload shows no notice
/// }
///
/// let app: Router = Router::new()
///     .route("/delete", post(delete))
///     .route("/list", get(list))
///     .layer(SessionLayer::<App>::new(Keyring::new(SessionSecret::generate())));
/// ```
pub struct Flash<T: Registered + Send + Sync + 'static> {
    sessions: SharedSessions,
    /// The message the request carried, and the status of its cookie.
    current: Current<T>,
}

impl<T: Registered + Send + Sync + 'static> Flash<T> {
    /// The message, if the request carried a valid one.
    pub fn get(&self) -> Option<&T> {
        self.current.value.as_ref()
    }

    /// Takes the message out of this extractor (it is consumed either
    /// way: the cookie's removal was recorded at extraction).
    pub fn take(&mut self) -> Option<T> {
        self.current.value.take()
    }

    /// The message, consuming the extractor.
    pub fn into_inner(mut self) -> Option<T> {
        self.current.value.take()
    }

    /// What the request carried: [`Absent`](SessionStatus::Absent),
    /// [`Valid`](SessionStatus::Valid), or
    /// [`Invalid`](SessionStatus::Invalid) with the reason (an expired
    /// message is `Invalid(Expired)`).
    pub fn status(&self) -> SessionStatus {
        self.current.status
    }

    /// Leaves `value` for the next request: sealed now (so a message too
    /// large for a cookie is an error here), with a fresh lifetime, and
    /// written by the layer after the handler, replacing the removal of the
    /// message this request read. Setting again replaces it.
    ///
    /// [`get`](Self::get) still returns the message this request carried.
    ///
    /// # Errors
    ///
    /// [`SessionError::Seal`] when `value` cannot be sealed (too large for
    /// a cookie, or not serializable); nothing changes then.
    pub fn set(&mut self, value: T) -> Result<(), SessionError> {
        let mut next = Current::absent();
        let now = self.sessions.config.now();
        cookie_mode::seal(&self.sessions, &mut next, value, now).map_err(|(_, error)| error)
    }
}

impl<T: Registered + Send + Sync + 'static> fmt::Debug for Flash<T> {
    /// Shows the status, never the message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Flash")
            .field("type", &T::SPEC.type_name())
            .field("status", &self.current.status)
            .field("present", &self.current.value.is_some())
            .finish_non_exhaustive()
    }
}

impl<T, S> FromRequestParts<S> for Flash<T>
where
    T: Registered + Send + Sync + 'static,
    S: Send + Sync,
{
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let type_name = T::SPEC.type_name();
        if !T::SPEC.is_flash() {
            return Err(SessionRejection::NotFlash { type_name });
        }
        // The same checks and the same cookie handling as `TypedSession`
        // (a flash type is a cookie-mode type).
        let TypedSession {
            sessions, current, ..
        } = TypedSession::<T>::from_request_parts(parts, state).await?;
        if current.value.is_some() {
            // Read once: clear it on this response. Not committed, so a
            // 5xx leaves it, and a message set later in the request
            // replaces this removal.
            cookie_mode::remove::<T>(&sessions);
        }
        Ok(Flash { sessions, current })
    }
}
