//! [`TypedSession<T>`], the extractor: one session type's value for this
//! request, and every change a handler can make to it. Each method works in
//! either mode; the work is in [`cookie_mode`](crate::cookie_mode) and
//! [`store_mode`](crate::store_mode).

use std::any::TypeId;
use std::fmt;

use axum::extract::FromRequestParts;
use http::request::Parts;
use session_core::store::{StoreKey, UserSession};
use session_core::{Registered, SessionPayload};

use crate::current::Current;
use crate::error::SessionError;
use crate::rejection::SessionRejection;
use crate::request::{RequestState, SharedSessions};
use crate::status::SessionStatus;
use crate::{cookie_mode, hybrid, store_mode};

/// The session of type `T` for this request: read it, change it, remove it.
///
/// Needs [`SessionLayer`](crate::SessionLayer) on the router, built from
/// `T`'s registry. A `T` that no `registry!` lists does not compile (the
/// bound [`Registered`] names it); without the layer extraction fails with
/// [`SessionRejection::MissingLayer`] (500), and under the layer of another
/// registry with [`SessionRejection::Unregistered`] (500). Never fails
/// because of what the client sent: a missing, expired, tampered or
/// otherwise unusable cookie reads as no session ([`status`](Self::status)
/// tells which), and an unusable one is cleared with a removal cookie.
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
/// [`save`](Self::save) and [`user_sessions`](Self::user_sessions) are
/// available, as are [`logout_everywhere`](Self::logout_everywhere) and
/// [`logout_others`](Self::logout_others), which also serve revocable
/// cookie-mode types (`#[session(revocable)]`). A revocable type's
/// extraction fails with [`SessionRejection::RevocationsStale`] (503) while
/// the layer's revocation feed is silent.
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
pub struct TypedSession<T: Registered + Send + Sync + 'static> {
    pub(crate) sessions: SharedSessions,
    pub(crate) current: Current<T>,
    /// Hybrid access types only (`None` otherwise): the request's refresh
    /// cookies, for `login`, `refresh` and `logout`. Boxed so that every
    /// other type's extractor, which axum moves several times per request,
    /// stays small.
    pub(crate) refresh: Option<Box<hybrid::RefreshCookies>>,
}

impl<T: Registered + Send + Sync + 'static> TypedSession<T> {
    /// The session's payload, if there is one.
    pub fn get(&self) -> Option<&T> {
        self.current.value.as_ref()
    }

    /// What the request carried (not changed by mutations).
    pub fn status(&self) -> SessionStatus {
        self.current.status
    }

    /// Unix seconds at which the current session was sealed (cookie mode) or
    /// started (store mode), if any.
    pub fn issued_at(&self) -> Option<u64> {
        self.current.issued_at
    }

    /// Unix seconds at which the current session expires, if any.
    pub fn expires_at(&self) -> Option<u64> {
        self.current.expires_at
    }

    /// Unix seconds at which the current session started (its `insert`),
    /// if any. Renewals, updates and re-issues keep it, and with
    /// `absolute_max_age` the session ends that long after it, however
    /// often it is used.
    pub fn started_at(&self) -> Option<u64> {
        self.current.started_at
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
        let written = if T::SPEC.is_stored() {
            store_mode::insert(&self.sessions, &mut self.current, value)
        } else {
            let now = self.sessions.config.now();
            cookie_mode::seal(&self.sessions, &mut self.current, value, now)
        };
        written.map_err(|(_, error)| error)
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
        let Some(mut value) = self.current.value.take() else {
            return Ok(false);
        };
        change(&mut value);
        let written = if T::SPEC.is_stored() {
            store_mode::update(&self.sessions, &mut self.current, value)
        } else {
            let started = self
                .current
                .started_at
                .unwrap_or_else(|| self.sessions.config.now());
            cookie_mode::seal(&self.sessions, &mut self.current, value, started)
        };
        match written {
            Ok(()) => Ok(true),
            Err((value, error)) => {
                self.current.value = Some(value);
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
            return store_mode::renew(&self.sessions, &mut self.current);
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
            store_mode::remove::<T>(&self.sessions);
        } else {
            cookie_mode::remove::<T>(&self.sessions);
        }
        self.current.end()
    }

    /// Writes this session's pending changes to the store now, instead of
    /// after the handler, so the handler can answer a failure itself.
    ///
    /// A no-op for cookie-mode types (their cookie is sealed at each change).
    ///
    /// - [`SessionError::Revoked`]: the session was ended elsewhere (a
    ///   logout, a ban, an eviction) while this request ran; it is now
    ///   ended here too: no payload, and the response clears the cookie.
    /// - [`SessionError::Conflict`] (another request changed the session
    ///   since it was loaded): nothing was written, changes still pending.
    /// - [`SessionError::Store`] (the store is down): what could not be
    ///   written is still pending; a new row that was written stays, and
    ///   the response carries its cookie whatever the handler answers.
    ///
    ///   In both cases the layer tries what is pending once more after the
    ///   handler unless the response is a server error (see
    ///   [`SessionLayer::save_on_server_error`](crate::SessionLayer::save_on_server_error));
    ///   answering with the returned error (409 or 503) is usually right.
    pub async fn save(&mut self) -> Result<(), SessionError> {
        if !T::SPEC.is_stored() {
            return Ok(());
        }
        store_mode::save(&self.sessions, &mut self.current).await
    }

    /// Ends every session of this type that the current user holds, on every
    /// device, this one included ("log out everywhere", after a password
    /// reset or a suspected theft).
    ///
    /// - Store mode: deletes the user's rows; returns `Some(n)`, the number
    ///   of rows deleted.
    /// - Revocable cookie mode (`#[session(revocable)]`): publishes a
    ///   revocation of the user through the layer's
    ///   [`Revocations`](session_core::revocation::Revocations), so every
    ///   copy of every cookie of theirs begun before now stops opening in
    ///   every process, and clears this browser's cookie. Returns `None`:
    ///   nothing is stored, so there is nothing to count.
    ///
    /// The user is the payload's [`SessionPayload::session_user`]
    /// (`#[session(user = "…")]`); with no session or no user nothing
    /// happens (`Some(0)` in store mode, `None` in cookie mode). To end
    /// another user's sessions (an admin banning someone) use
    /// [`SessionStoreExt::logout_all`](session_core::store::SessionStoreExt::logout_all)
    /// on the store or
    /// [`Revocations::revoke_user`](session_core::revocation::Revocations::revoke_user).
    ///
    /// # Errors
    ///
    /// [`SessionError::Store`] (503) when the store or the revocation feed
    /// cannot be reached: nothing was ended.
    ///
    /// With [`SessionLayer::clear_site_data_on_logout_everywhere`](crate::SessionLayer::clear_site_data_on_logout_everywhere)
    /// the response also tells this browser to drop every cookie of the site. [`SessionError::NotRevocable`]
    /// (500) for a cookie-mode type that is not revocable.
    pub async fn logout_everywhere(&mut self) -> Result<Option<usize>, SessionError> {
        let ended = if let Some(pairing) = T::REFRESH {
            Some(hybrid::logout_everywhere(pairing, &self.sessions, &mut self.current).await?)
        } else if T::SPEC.is_stored() {
            Some(store_mode::logout_all(&self.sessions, &mut self.current).await?)
        } else {
            cookie_mode::revoke_user(&self.sessions, &mut self.current, false).await?;
            None
        };
        // For `SessionLayer::clear_site_data_on_logout_everywhere`.
        self.sessions
            .ended_everywhere
            .store(true, std::sync::atomic::Ordering::Release);
        Ok(ended)
    }

    /// The former name of [`logout_everywhere`](Self::logout_everywhere),
    /// for store mode only.
    #[deprecated(
        since = "0.2.0",
        note = "renamed `logout_everywhere`, which also serves revocable cookie-mode types"
    )]
    pub async fn logout_all(&mut self) -> Result<usize, SessionError> {
        store_mode::logout_all(&self.sessions, &mut self.current).await
    }

    /// Ends every other session of this type that the current user holds
    /// ("sign out other devices"), keeping this one.
    ///
    /// - Store mode: writes this session's pending changes first, so the
    ///   kept row exists, then deletes the user's other rows; returns
    ///   `Some(n)`, the number deleted.
    /// - Revocable cookie mode: revokes the user's sessions begun before
    ///   now and issues this browser a fresh cookie for the same payload
    ///   that starts now, which the revocation does not cover (its absolute
    ///   lifetime counts from now). Returns `None`.
    ///
    /// With no session or no user nothing happens.
    ///
    /// # Errors
    ///
    /// As [`logout_everywhere`](Self::logout_everywhere). In cookie mode,
    /// if the revocation was published but the fresh cookie cannot be
    /// sealed, this browser is logged out too and the seal error returned.
    pub async fn logout_others(&mut self) -> Result<Option<usize>, SessionError> {
        if T::SPEC.is_stored() {
            return store_mode::logout_others(&self.sessions, &mut self.current)
                .await
                .map(Some);
        }
        cookie_mode::revoke_user(&self.sessions, &mut self.current, true).await?;
        Ok(None)
    }

    /// Ends one of the current user's sessions of this type, by the
    /// at-rest key [`user_sessions`](Self::user_sessions) lists ("sign out
    /// this device" on a "your devices" page). A key of another user's
    /// session, of another type, or of a session already ended ends
    /// nothing and returns `Ok(false)`; this session's own key ends it as
    /// [`remove`](Self::remove) does. Store mode only.
    ///
    /// # Errors
    ///
    /// [`SessionError::Store`] (503) when the store cannot be reached;
    /// [`SessionError::NotStored`] (500) for a cookie-mode type.
    pub async fn logout_session(&mut self, key: StoreKey) -> Result<bool, SessionError> {
        store_mode::logout_session(&self.sessions, &mut self.current, key).await
    }

    /// The current user's live sessions of this type, oldest first (for a
    /// "your devices" page; compare [`UserSession::key`] with
    /// [`store_key`](Self::store_key) to mark this one). Empty with no
    /// session or no user.
    pub async fn user_sessions(&self) -> Result<Vec<UserSession>, SessionError> {
        store_mode::user_sessions(&self.sessions, &self.current).await
    }

    /// The at-rest key of the current session's row (store mode), if any.
    /// Not secret and not usable as a cookie: it is a hash of the id.
    pub fn store_key(&self) -> Option<StoreKey> {
        if !T::SPEC.is_stored() {
            return None;
        }
        store_mode::store_key::<T>(&self.sessions)
    }
}

impl<T: Registered + Send + Sync + 'static> fmt::Debug for TypedSession<T> {
    /// Shows the status and times, never the payload (it may hold secrets).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TypedSession")
            .field("type", &T::SPEC.type_name())
            .field("status", &self.current.status)
            .field("present", &self.current.value.is_some())
            .field("expires_at", &self.current.expires_at)
            .finish_non_exhaustive()
    }
}

impl<T, S> FromRequestParts<S> for TypedSession<T>
where
    T: Registered + Send + Sync + 'static,
    S: Send + Sync,
{
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        TypedSession::from_parts_of(&parts.headers, &parts.extensions).await
    }
}

impl<T: Registered + Send + Sync + 'static> TypedSession<T> {
    /// The session of a request on its way to the handler, for tower
    /// middleware placed inside the [`SessionLayer`](crate::SessionLayer)
    /// (a rate limiter, an audit log) that holds the whole request rather
    /// than extractor parts. It shares the request's state with the
    /// handler's extractors: the cookie is opened (or the row loaded) once
    /// per request, whoever asks first, and changes made here are written
    /// with the handler's.
    ///
    /// # Errors
    ///
    /// As extraction: [`SessionRejection`].
    ///
    /// It takes the request by `&mut` (it changes nothing in it) so that
    /// the middleware's future stays `Send`: a body is not `Sync`.
    pub async fn of_request<B>(request: &mut http::Request<B>) -> Result<Self, SessionRejection> {
        let request = &*request;
        TypedSession::from_parts_of(request.headers(), request.extensions()).await
    }

    async fn from_parts_of(
        headers: &http::HeaderMap,
        extensions: &http::Extensions,
    ) -> Result<Self, SessionRejection> {
        let type_name = T::SPEC.type_name();
        let sessions = extensions
            .get::<RequestState>()
            .map(|state| SharedSessions::clone(&state.0))
            .ok_or(SessionRejection::MissingLayer { type_name })?;
        if !(sessions.config.contains)(TypeId::of::<T>()) {
            return Err(SessionRejection::Unregistered {
                type_name,
                registry: sessions.config.registry_name,
            });
        }
        if T::SPEC.binds_fingerprint() {
            // What a login in this request binds the session to.
            sessions.note_signals(headers);
        }
        let mut refresh = None;
        let current = if T::SPEC.is_stored() {
            // What a login in this request records (read once per request).
            sessions.note_client(headers, extensions);
            // Reading the row awaits the store. Boxed, so the loading
            // future's state is not part of every extractor future (axum
            // moves each handler's future into a box on every request).
            Box::pin(store_mode::load_from(headers, &sessions)).await?
        } else if let Some(pairing) = T::REFRESH {
            // A hybrid access type: refreshed from its refresh cookie when
            // the request's first look finds no valid access cookie.
            sessions.note_client(headers, extensions);
            let first = sessions.earlier(TypeId::of::<T>()).is_none();
            let mut current = cookie_mode::load_from(headers, &sessions)?;
            let mut cookies = hybrid::RefreshCookies::of(headers);
            if first && current.value.is_none() {
                let rotation = hybrid::refresh_into(pairing, headers, &sessions, &mut current);
                if let Some(lines) = Box::pin(rotation).await? {
                    // Later calls in this request see the new refresh id.
                    cookies.lines = lines;
                    cookies.refreshed = true;
                }
            }
            refresh = Some(Box::new(cookies));
            current
        } else {
            cookie_mode::load_from(headers, &sessions)?
        };
        Ok(TypedSession {
            sessions,
            current,
            refresh,
        })
    }
}

/// The user of the current `T` session (its
/// [`SessionPayload::session_user`]), for code that needs who, not the
/// payload: an extractor, and [`SessionUser::of`] for tower middleware
/// inside the session layer. `None` without a session or for an anonymous
/// one. Opens the cookie at most once per request, shared with every other
/// extractor of `T`.
///
/// ```
/// use axum::extract::Request;
/// use axum::middleware::Next;
/// use axum::response::Response;
/// use session_axum::SessionUser;
/// # #[derive(serde::Serialize, serde::Deserialize)]
/// # struct Account { user: u64 }
/// # impl session_core::SessionPayload for Account {
/// #     const SPEC: session_core::SessionSpec =
/// #         session_core::SessionSpec::builder("Account", "account", "account").build();
/// #     fn session_user(&self) -> Option<String> { Some(self.user.to_string()) }
/// # }
/// # struct App;
/// # impl session_core::Registry for App {
/// #     const SPECS: &'static [session_core::SessionSpec] =
/// #         &[<Account as session_core::SessionPayload>::SPEC];
/// #     fn contains(id: std::any::TypeId) -> bool { id == std::any::TypeId::of::<Account>() }
/// # }
/// # impl session_core::Registered for Account {}
///
/// // `.layer(from_fn(audit))` inside `.layer(SessionLayer::…)`.
/// async fn audit(mut request: Request, next: Next) -> Response {
///     if let Ok(user) = SessionUser::<Account>::of(&mut request).await {
///         tracing::info!(user = user.as_deref(), path = %request.uri().path(), "request");
///     }
///     next.run(request).await
/// }
/// ```
pub struct SessionUser<T: Registered> {
    user: Option<String>,
    marker: std::marker::PhantomData<fn() -> T>,
}

impl<T: Registered + Send + Sync + 'static> SessionUser<T> {
    /// The user of `request`'s `T` session; see the type's docs.
    ///
    /// # Errors
    ///
    /// As extraction: [`SessionRejection`].
    /// Takes the request by `&mut` for the reason
    /// [`TypedSession::of_request`] gives.
    pub async fn of<B>(request: &mut http::Request<B>) -> Result<Self, SessionRejection> {
        let session = TypedSession::<T>::of_request(request).await?;
        Ok(SessionUser::from_session(&session))
    }

    fn from_session(session: &TypedSession<T>) -> Self {
        SessionUser {
            user: session.get().and_then(SessionPayload::session_user),
            marker: std::marker::PhantomData,
        }
    }

    /// The user, if the request has a `T` session with one.
    pub fn as_deref(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The user, owned.
    pub fn into_inner(self) -> Option<String> {
        self.user
    }
}

impl<T: Registered> fmt::Debug for SessionUser<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SessionUser").field(&self.user).finish()
    }
}

impl<T, S> FromRequestParts<S> for SessionUser<T>
where
    T: Registered + Send + Sync + 'static,
    S: Send + Sync,
{
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = TypedSession::<T>::from_request_parts(parts, state).await?;
        Ok(SessionUser::from_session(&session))
    }
}
