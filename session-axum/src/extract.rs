//! The extractors [`TypedSession<T>`] and [`RequireSession<T>`].

use std::any::TypeId;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use http::request::Parts;
use session_core::{OpenError, Opened, SessionPayload};

use crate::cookie;
use crate::rejection::{SessionError, SessionRejection};
use crate::state::{self, Pending, RequestSessions};
use crate::status::SessionStatus;

/// The session of type `T` for this request: read it, change it, remove it.
///
/// Needs [`SessionLayer`](crate::SessionLayer) on the router with `T` in its
/// registry; without the layer extraction fails with
/// [`SessionRejection::MissingLayer`] (500), with `T` not registered with
/// [`SessionRejection::Unregistered`] (500). Never fails because of what the
/// client sent: a missing, expired, tampered or otherwise unusable cookie reads
/// as no session ([`status`](Self::status) tells which), and an unusable one is
/// cleared with a removal cookie.
///
/// Changes are sealed when made, so a payload too large for a cookie is an
/// error at the call, and the layer writes the `Set-Cookie` after the handler;
/// the handler returns nothing special.
///
/// A `#[session(store)]` type works the same way; its payload lives in the
/// layer's [`SessionStore`](session_core::store::SessionStore) and its cookie
/// holds only a sealed id. Extraction then also fails with
/// [`SessionRejection::StoreUnavailable`] (503) when the store cannot be
/// reached (never a silent logout), and the store-only operations
/// [`save`](Self::save), [`logout_all`](Self::logout_all),
/// [`logout_others`](Self::logout_others) and
/// [`user_sessions`](Self::user_sessions) are available.
///
/// If the request carries several cookies with `T`'s name, every one is tried
/// in the order sent and the first that opens wins, so cookies planted by a
/// sibling subdomain cannot hide the genuine one (an attacker's own *valid*
/// cookie sent first does win: use a `__Host-` name, which other subdomains
/// cannot set). Browsers send the cookie with the longest path first.
///
/// Several extractors of `T` in one request agree: the first one opens the
/// cookie, later ones reuse its outcome (the same [`status`](Self::status),
/// the same cookie) and see the changes made so far in the request.
pub struct TypedSession<T: SessionPayload + Send + Sync + 'static> {
    pub(crate) sessions: Arc<RequestSessions>,
    pub(crate) value: Option<T>,
    pub(crate) status: SessionStatus,
    pub(crate) issued_at: Option<u64>,
    pub(crate) expires_at: Option<u64>,
    pub(crate) started_at: Option<u64>,
}

impl<T: SessionPayload + Send + Sync + 'static> TypedSession<T> {
    /// The session's payload, if there is one.
    pub fn get(&self) -> Option<&T> {
        self.value.as_ref()
    }

    /// What the request carried (not changed by mutations).
    pub fn status(&self) -> SessionStatus {
        self.status
    }

    /// Unix seconds at which the current session was sealed (cookie mode) or
    /// started (store mode), if any.
    pub fn issued_at(&self) -> Option<u64> {
        self.issued_at
    }

    /// Unix seconds at which the current session expires, if any.
    pub fn expires_at(&self) -> Option<u64> {
        self.expires_at
    }

    /// Unix seconds at which the current session started (its `insert`),
    /// if any. Renewals, updates and re-issues keep it, and with
    /// `absolute_max_age` the session ends that long after it, however
    /// often it is used.
    pub fn started_at(&self) -> Option<u64> {
        self.started_at
    }

    /// Starts or replaces the session with `value` (sealed now, fresh
    /// lifetime): a new session, so [`started_at`](Self::started_at) is now.
    ///
    /// In store mode the new session always gets a fresh id and the previous
    /// row is deleted: call `insert` at login and a planted (fixated) id is
    /// worthless.
    ///
    /// On error nothing changes: the previous session stays, in memory and in
    /// the browser.
    pub fn insert(&mut self, value: T) -> Result<(), SessionError> {
        if T::SPEC.is_stored() {
            return self.insert_stored(value).map_err(|(_, error)| error);
        }
        let now = self.sessions.shared.now();
        self.store(value, now).map_err(|(_, error)| error)
    }

    /// Changes the payload in place and seals it again with a fresh lifetime
    /// (never past the type's `absolute_max_age`: the session keeps its
    /// start). Returns `Ok(false)` without calling `change` when there is no session.
    ///
    /// On error the in-memory payload keeps the change but nothing is
    /// written: the browser keeps the previous cookie.
    ///
    /// In store mode the row keeps its id and is written after the handler
    /// (or at [`save`](Self::save)) only if no other request changed it since
    /// it was loaded; otherwise the write fails with
    /// [`SessionError::Conflict`] (409) rather than overwrite that change.
    pub fn update(&mut self, change: impl FnOnce(&mut T)) -> Result<bool, SessionError> {
        let Some(mut value) = self.value.take() else {
            return Ok(false);
        };
        change(&mut value);
        let written = if T::SPEC.is_stored() {
            self.update_stored(value)
        } else {
            let started = self
                .started_at
                .unwrap_or_else(|| self.sessions.shared.now());
            self.store(value, started)
        };
        match written {
            Ok(()) => Ok(true),
            Err((value, error)) => {
                self.value = Some(value);
                Err(error)
            }
        }
    }

    /// Seals the unchanged payload again with a fresh issue time and lifetime
    /// (do this after a privilege change). The session keeps its start, so
    /// `absolute_max_age` still counts from the original `insert`. Returns
    /// `Ok(false)` when there is no session.
    ///
    /// In store mode the session also moves to a fresh id and its old row is
    /// deleted, so the previous cookie (and anyone holding a copy) stops working.
    pub fn renew(&mut self) -> Result<bool, SessionError> {
        if T::SPEC.is_stored() {
            return self.renew_stored();
        }
        self.update(|_| {})
    }

    /// Ends the session: the response carries a removal cookie (same name,
    /// path and domain).
    pub fn remove(&mut self) {
        self.take();
    }

    /// Ends the session and returns its payload. In store mode its row is
    /// deleted too.
    pub fn take(&mut self) -> Option<T> {
        if T::SPEC.is_stored() {
            self.remove_stored();
        } else {
            self.sessions
                .record(TypeId::of::<T>(), T::SPEC, Some(Pending::Remove));
        }
        self.issued_at = None;
        self.expires_at = None;
        self.started_at = None;
        self.value.take()
    }

    /// Seals `value` for the session that started at `started`, records it,
    /// and keeps it; on failure hands it back.
    fn store(&mut self, value: T, started: u64) -> Result<(), (T, SessionError)> {
        let now = self.sessions.shared.now();
        let keyring = &self.sessions.shared.keyring;
        match keyring.reseal_at(&value, started, now) {
            Ok(sealed) => {
                let started = started.min(now);
                let expires_at = T::SPEC.expiry(started, now);
                let pending = Pending::Set {
                    value: sealed,
                    expires_at,
                };
                self.sessions
                    .record(TypeId::of::<T>(), T::SPEC, Some(pending));
                self.issued_at = Some(now);
                self.expires_at = Some(expires_at);
                self.started_at = Some(started);
                self.value = Some(value);
                Ok(())
            }
            Err(error) => Err((value, error.into())),
        }
    }

    /// Opens `T` for this request. The first extractor of `T` scans the
    /// request's cookies; a later one reuses its outcome (the same status,
    /// the same cookie) and sees this request's changes.
    fn load(parts: &Parts, sessions: Arc<RequestSessions>) -> Self {
        let shared = &sessions.shared;
        let now = shared.now();
        let spec = T::SPEC;
        let type_id = TypeId::of::<T>();
        let mut session = TypedSession::empty(Arc::clone(&sessions));
        if let Some((opened, pending)) = sessions.earlier(type_id) {
            session.status = opened.status;
            let value = match pending {
                // Written earlier in this request by another extractor.
                Some(Pending::Set { value, .. }) => Some(value),
                Some(Pending::Remove) => None,
                None => opened.candidate.and_then(|index| {
                    cookie::candidates(&parts.headers, spec.cookie())
                        .nth(index)
                        .flatten()
                        .map(str::to_owned)
                }),
            };
            if let Some(Ok(opened)) = value.map(|value| shared.keyring.open_at::<T>(&value, now)) {
                session.accept(opened);
            }
            return session;
        }

        let mut first_error = None;
        for (index, candidate) in cookie::candidates(&parts.headers, spec.cookie()).enumerate() {
            let opened = candidate
                .ok_or(OpenError::Malformed)
                .and_then(|value| shared.keyring.open_at::<T>(value, now));
            match opened {
                Ok(opened) => {
                    let reissued = if opened.needs_reissue() {
                        session.reissue(&opened, now).map(|value| Pending::Set {
                            value,
                            expires_at: spec.expiry(opened.started_at.min(now), now),
                        })
                    } else {
                        None
                    };
                    session.status = SessionStatus::Valid;
                    session.accept(opened);
                    let found = state::Opened {
                        status: SessionStatus::Valid,
                        candidate: Some(index),
                    };
                    sessions.opened(type_id, spec, found, reissued);
                    return session;
                }
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        session.no_cookie_opened(first_error);
        session
    }

    /// Records that no cookie of this type opened: absent if none was sent,
    /// else rejected for the first one's reason.
    pub(crate) fn no_cookie_opened(&mut self, first_error: Option<OpenError>) {
        match first_error {
            Some(error) => self.reject(error),
            None => {
                let found = state::Opened {
                    status: SessionStatus::Absent,
                    candidate: None,
                };
                self.sessions
                    .opened(TypeId::of::<T>(), T::SPEC, found, None);
            }
        }
    }

    /// The request carried only unusable cookies of this type: log why,
    /// report it in `status` (for this and any later extractor), and clear
    /// the cookie.
    fn reject(&mut self, error: OpenError) {
        log_invalid(T::SPEC.cookie(), &error);
        self.status = SessionStatus::Invalid(error);
        let found = state::Opened {
            status: self.status,
            candidate: None,
        };
        self.sessions
            .opened(TypeId::of::<T>(), T::SPEC, found, Some(Pending::Remove));
    }

    /// No session yet.
    pub(crate) fn empty(sessions: Arc<RequestSessions>) -> Self {
        TypedSession {
            value: None,
            status: SessionStatus::Absent,
            issued_at: None,
            expires_at: None,
            started_at: None,
            sessions,
        }
    }

    /// Takes the opened payload and its times (not the status, which
    /// describes the request's cookie).
    fn accept(&mut self, opened: Opened<T>) {
        self.issued_at = Some(opened.issued_at);
        self.expires_at = Some(opened.expires_at);
        self.started_at = Some(opened.started_at);
        self.value = Some(opened.payload);
    }

    /// Seals an opened payload again under the primary key and current schema
    /// with a fresh lifetime (rotation, migration, sliding renewal), keeping
    /// its start so the absolute lifetime is not extended.
    fn reissue(&self, opened: &Opened<T>, now: u64) -> Option<String> {
        let keyring = &self.sessions.shared.keyring;
        match keyring.reseal_at(&opened.payload, opened.started_at, now) {
            Ok(sealed) => {
                tracing::debug!(
                    target: "session_seal",
                    cookie = T::SPEC.cookie(),
                    previous_key = opened.previous_key,
                    migrated = opened.migrated,
                    renewal_due = opened.renewal_due,
                    "re-issuing session cookie"
                );
                Some(sealed)
            }
            // The cookie stays valid until it expires; nothing is lost.
            Err(error) => {
                tracing::warn!(
                    target: "session_seal",
                    cookie = T::SPEC.cookie(),
                    %error,
                    "could not re-issue session cookie"
                );
                None
            }
        }
    }
}

/// Logs why a cookie was unusable: its name and the reason, never its value.
fn log_invalid(cookie: &str, error: &OpenError) {
    match error {
        OpenError::Expired { .. } => tracing::debug!(
            target: "session_seal",
            cookie,
            reason = error.label(),
            "session cookie treated as absent"
        ),
        _ => tracing::info!(
            target: "session_seal",
            cookie,
            reason = error.label(),
            "session cookie treated as absent"
        ),
    }
}

impl<T: SessionPayload + Send + Sync + 'static> fmt::Debug for TypedSession<T> {
    /// Shows the status and times, never the payload (it may hold secrets).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TypedSession")
            .field("type", &T::SPEC.type_name())
            .field("status", &self.status)
            .field("present", &self.value.is_some())
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

fn request_sessions<T: SessionPayload + 'static>(
    parts: &Parts,
) -> Result<Arc<RequestSessions>, SessionRejection> {
    let sessions =
        parts
            .extensions
            .get::<Arc<RequestSessions>>()
            .ok_or(SessionRejection::MissingLayer {
                type_name: T::SPEC.type_name(),
            })?;
    if !(sessions.shared.contains)(TypeId::of::<T>()) {
        return Err(SessionRejection::Unregistered {
            type_name: T::SPEC.type_name(),
            registry: sessions.shared.registry_name,
        });
    }
    Ok(Arc::clone(sessions))
}

impl<T, S> FromRequestParts<S> for TypedSession<T>
where
    T: SessionPayload + Send + Sync + 'static,
    S: Send + Sync,
{
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let sessions = request_sessions::<T>(parts)?;
        if T::SPEC.is_stored() {
            return Self::load_stored(parts, sessions).await;
        }
        Ok(Self::load(parts, sessions))
    }
}

/// A handler guard: the valid session of type `T`, or a 401.
///
/// Dereferences to `T`. Same layer requirements as [`TypedSession`]; an
/// absent or invalid session is [`SessionRejection::Unauthorized`] (an invalid
/// cookie is still cleared). To change the session, extract
/// [`TypedSession<T>`] instead.
pub struct RequireSession<T>(pub T);

impl<T> RequireSession<T> {
    /// The payload.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for RequireSession<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: SessionPayload> fmt::Debug for RequireSession<T> {
    /// Never shows the payload (it may hold secrets).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireSession")
            .field("type", &T::SPEC.type_name())
            .finish_non_exhaustive()
    }
}

impl<T, S> FromRequestParts<S> for RequireSession<T>
where
    T: SessionPayload + Send + Sync + 'static,
    S: Send + Sync,
{
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let mut session = TypedSession::<T>::from_request_parts(parts, state).await?;
        let status = session.status;
        session
            .value
            .take()
            .map(RequireSession)
            .ok_or(SessionRejection::Unauthorized {
                type_name: T::SPEC.type_name(),
                status,
            })
    }
}
