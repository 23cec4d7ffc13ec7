//! Hybrid sessions (DESIGN §12): a short-lived cookie-mode *access* type
//! (`#[session(refresh = R)]`) refreshed from a long-lived store-mode
//! *refresh* type `R` whose id rotates on every use.
//!
//! The rules (families, tombstones, leases, reuse) live in session-core
//! ([`session_core::store::refresh`]); this module adapts them to the
//! layer:
//!
//! - **Transparent refresh.** When a request's first extractor of an
//!   access type finds no valid access cookie but the request carries a
//!   refresh cookie, the refresh session is rotated and the request is
//!   served as logged in: the access payload is made from the refresh
//!   payload (`From<&R>`), and both cookies are written on the response
//!   (also on an error response: the store has moved on).
//! - **Reuse.** A rotated-out refresh id presented after its lease window
//!   ends the login's family; the access type's cookies of that user are
//!   revoked too when it is `revocable` and the layer has revocations
//!   (other logins of the user refresh transparently at their next
//!   request; the ended one cannot). The event goes to `tracing` (hashes,
//!   never an id) and to [`SessionLayer::on_refresh_reuse`](crate::SessionLayer::on_refresh_reuse).
//! - **Explicit calls** on `TypedSession<A>`: [`login`](crate::TypedSession::login),
//!   [`refresh`](crate::TypedSession::refresh) (an endpoint for single-page
//!   apps whose refresh cookie is limited to its path) and
//!   [`logout`](crate::TypedSession::logout).

use std::any::TypeId;
use std::fmt;
use std::sync::Arc;

use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};
use session_core::revocation::Revocation;
use session_core::store::refresh::{self, RefreshSession, Refreshed};
use session_core::store::{SessionStore, UserSession};
use session_core::{
    HybridAccess, OpenError, RefreshPairing, Registered, SessionPayload, SessionSpec, StoreError,
};

use crate::TRACING_TARGET;
use crate::cookie;
use crate::cookie_mode;
use crate::current::Current;
use crate::error::SessionError;
use crate::rejection::SessionRejection;
use crate::request::{Pending, RequestSessions, StaticSpec};
use crate::session::TypedSession;
use crate::status::SessionStatus;

/// A refresh id presented again after its lease window, as
/// [`SessionLayer::on_refresh_reuse`](crate::SessionLayer::on_refresh_reuse)
/// reports it: someone holds a copy of a rotated-out refresh cookie, and
/// the login it belonged to has been ended.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RefreshReuse {
    /// The access type's Rust name.
    pub type_name: &'static str,
    /// The user whose login ended (to alert them).
    pub user: String,
    /// A short hash naming the ended login's family (the same for every
    /// event about it), never the family id itself.
    pub family: String,
    /// A short hash of the presented id's at-rest key, never the id.
    pub presented: String,
    /// How many live refresh sessions were ended (0 if the login had
    /// ended already).
    pub ended: usize,
    /// Whether the user's access cookies were revoked too (the access type
    /// is revocable and the layer has revocations).
    pub access_revoked: bool,
}

/// The hook [`SessionLayer::on_refresh_reuse`](crate::SessionLayer::on_refresh_reuse) installs.
pub(crate) type ReuseHook = Arc<dyn Fn(&RefreshReuse) + Send + Sync>;

/// The layer's hybrid-session settings.
#[derive(Clone)]
pub(crate) struct HybridSettings {
    /// Seconds within which requests presenting one refresh id share its
    /// rotation.
    pub(crate) lease_secs: u64,
    pub(crate) hook: Option<ReuseHook>,
}

impl Default for HybridSettings {
    fn default() -> Self {
        HybridSettings {
            lease_secs: refresh::DEFAULT_LEASE_SECS,
            hook: None,
        }
    }
}

impl fmt::Debug for HybridSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HybridSettings")
            .field("lease_secs", &self.lease_secs)
            .field("hook", &self.hook.is_some())
            .finish()
    }
}

/// What an access type's extractor keeps for its explicit calls.
#[derive(Debug, Default)]
pub(crate) struct RefreshCookies {
    /// The request's `Cookie` lines (after a rotation in this request,
    /// the new refresh cookie's).
    pub(crate) lines: CookieLines,
    /// This request rotated the refresh session already.
    pub(crate) refreshed: bool,
}

impl RefreshCookies {
    /// The `Cookie` lines of `headers`, nothing rotated yet.
    pub(crate) fn of(headers: &HeaderMap) -> Self {
        RefreshCookies {
            lines: CookieLines::of(headers),
            refreshed: false,
        }
    }
}

/// The request's `Cookie` lines, kept by an access type's extractor for
/// its explicit calls (`login`, `refresh`, `logout`), which look for the
/// refresh cookies in them only when called: a read with a valid access
/// cookie costs the clone of the lines (reference-counted), no parsing
/// and, with one `Cookie` line, no allocation.
#[derive(Clone, Debug, Default)]
pub(crate) struct CookieLines {
    /// The first line (most requests have one: nothing is allocated).
    first: Option<HeaderValue>,
    /// Any further lines (HTTP/2 may send one per cookie).
    more: Vec<HeaderValue>,
}

impl CookieLines {
    /// The `Cookie` lines of `headers`.
    pub(crate) fn of(headers: &HeaderMap) -> Self {
        let mut lines = headers.get_all(COOKIE).iter();
        CookieLines {
            first: lines.next().cloned(),
            more: lines.cloned().collect(),
        }
    }

    /// One line holding `spec`'s cookie with `value` (a login's new one).
    fn single(spec: &SessionSpec, value: &str) -> Self {
        CookieLines {
            first: HeaderValue::from_str(&format!("{}={value}", spec.cookie())).ok(),
            more: Vec::new(),
        }
    }

    /// The lines as headers, to look for cookies in.
    fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in self.first.iter().chain(&self.more) {
            headers.append(COOKIE, line.clone());
        }
        headers
    }
}

/// Transparent refresh at the first extraction of the access type `T`:
/// called when no valid access cookie was found; nothing on a layer
/// without a store. Returns the new refresh
/// cookie when the request is now logged in.
pub(crate) async fn refresh_into<T: SessionPayload + 'static>(
    pairing: RefreshPairing<T>,
    headers: &HeaderMap,
    sessions: &RequestSessions,
    current: &mut Current<T>,
) -> Result<Option<CookieLines>, SessionRejection> {
    if sessions.config.store.is_none() {
        // A service without the logins' store (a verify-only resource
        // service) cannot refresh: its clients go to the authority.
        return Ok(None);
    }
    let mut cookies = cookie::candidates(headers, pairing.spec().cookie()).peekable();
    if cookies.peek().is_none() {
        return Ok(None);
    }
    match rotate(pairing, cookies, sessions, current).await {
        Ok(rotated) => Ok(rotated),
        Err(SessionError::Store(source)) => Err(SessionRejection::StoreUnavailable {
            type_name: T::SPEC.type_name(),
            source,
        }),
        Err(error) => {
            // The refresh session cannot become an access session (its
            // payload does not decode, or names another user): served as
            // without a session, and said why.
            tracing::warn!(
                target: TRACING_TARGET,
                session_type = T::SPEC.type_name(),
                %error,
                "a refresh session could not be turned into an access session"
            );
            Ok(None)
        }
    }
}

/// Rotates the family of `cookies` and, on success, makes `current` the
/// refreshed access session with both cookies pending. Returns the new
/// refresh cookie (for later calls in the request) when the request is now
/// logged in.
async fn rotate<'a, T: SessionPayload + 'static>(
    pairing: RefreshPairing<T>,
    cookies: impl IntoIterator<Item = &'a [u8]>,
    sessions: &RequestSessions,
    current: &mut Current<T>,
) -> Result<Option<CookieLines>, SessionError> {
    let config = &sessions.config;
    let spec = pairing.spec();
    let store = store_of::<T>(sessions)?;
    let now = config.now();
    let rotation = refresh::refresh(
        &*store,
        &config.keyring,
        spec,
        cookies,
        config.hybrid.lease_secs,
        now,
    );
    let outcome = crate::observability::store_span(spec, "refresh", rotation).await?;
    let (type_id, access_spec) = (TypeId::of::<T>(), T::SPEC_REF);
    match outcome {
        Refreshed::Rotated { session, shared } => {
            let access = access_of(pairing, &session)?;
            cookie_mode::seal(sessions, current, access, now).map_err(|(_, error)| error)?;
            set_refresh_cookie(sessions, pairing, Some(&session));
            current.status = SessionStatus::Valid;
            sessions.refreshed(type_id, access_spec, SessionStatus::Valid);
            tracing::debug!(
                target: TRACING_TARGET,
                session_type = access_spec.type_name(),
                family = %session.family.correlation(),
                shared,
                "hybrid session refreshed"
            );
            Ok(Some(CookieLines::single(spec, &session.cookie.value)))
        }
        Refreshed::Reused {
            family,
            user,
            ended,
            presented,
        } => {
            let access_revoked = revoke_access::<T>(sessions, &user, now).await;
            set_refresh_cookie(sessions, pairing, None);
            current.end();
            current.status = SessionStatus::Invalid(OpenError::Revoked);
            sessions.refreshed(type_id, access_spec, current.status);
            if let Some(hook) = &config.hybrid.hook {
                hook(&RefreshReuse {
                    type_name: access_spec.type_name(),
                    user,
                    family: family.correlation(),
                    presented,
                    ended,
                    access_revoked,
                });
            }
            Ok(None)
        }
        Refreshed::Missing(error) => {
            if error.is_some() {
                // A refresh cookie that leads nowhere is cleared.
                set_refresh_cookie(sessions, pairing, None);
            }
            Ok(None)
        }
    }
}

/// The access payload of a refresh session, which must name the same user.
fn access_of<T: SessionPayload>(
    pairing: RefreshPairing<T>,
    session: &RefreshSession,
) -> Result<T, SessionError> {
    let access = pairing
        .access(session.record.version, session.payload())
        .map_err(|_| SessionError::RefreshMismatch {
            type_name: T::SPEC.type_name(),
        })?;
    if access.session_user().as_deref() != Some(session.user()) {
        return Err(SessionError::RefreshMismatch {
            type_name: T::SPEC.type_name(),
        });
    }
    Ok(access)
}

/// Records the refresh type's cookie: `session`'s, or its removal. Either
/// matches what the store holds, so it is sent even with an error response.
fn set_refresh_cookie<T>(
    sessions: &RequestSessions,
    pairing: RefreshPairing<T>,
    session: Option<&RefreshSession>,
) {
    let (type_id, spec) = (pairing.type_id(), pairing.spec());
    let pending = match session {
        Some(session) => Pending::from(session.cookie.clone()),
        None => Pending::Remove,
    };
    sessions.record(type_id, spec, Some(pending));
    sessions.commit(type_id, spec);
}

/// Revokes `user`'s access cookies of `T` begun before `now`, if `T` is
/// revocable and the layer has revocations. Returns whether it did; a
/// failure is logged (the refresh sessions are ended already, and the
/// access cookies die within their short lifetime).
async fn revoke_access<T: SessionPayload>(
    sessions: &RequestSessions,
    user: &str,
    now: u64,
) -> bool {
    let (Some(revocations), Ok(revocation)) = (
        sessions.config.revocations_for(&T::SPEC),
        Revocation::of_user::<T>(user, now),
    ) else {
        return false;
    };
    match revocations.revoke(&revocation).await {
        Ok(()) => true,
        Err(error) => {
            tracing::warn!(
                target: TRACING_TARGET,
                session_type = T::SPEC.type_name(),
                %error,
                "could not revoke the access cookies of an ended login"
            );
            false
        }
    }
}

/// The layer's store, or the wiring mistake.
fn store_of<T: SessionPayload>(
    sessions: &RequestSessions,
) -> Result<Arc<dyn SessionStore>, SessionError> {
    sessions
        .config
        .store
        .clone()
        .ok_or(SessionError::MissingStore {
            type_name: T::SPEC.type_name(),
        })
}

impl<A> TypedSession<A>
where
    A: Registered + HybridAccess + Send + Sync + 'static,
    A: for<'a> From<&'a A::Refresh>,
{
    /// Logs in: starts a new login (a refresh session family) holding
    /// `refresh`, and an access session made from it. A login already in
    /// this browser ends first.
    ///
    /// The refresh payload must name a user (its `user` field).
    ///
    /// # Errors
    ///
    /// [`SessionError::Store`] (503) when the store cannot be reached,
    /// [`SessionError::MissingUser`] (500) when `refresh` names no user,
    /// and sealing errors; on error no new login exists.
    pub async fn login(&mut self, refresh: A::Refresh) -> Result<(), SessionError> {
        let spec = <A::Refresh as StaticSpec>::SPEC_REF;
        let type_name = A::SPEC.type_name();
        let store = store_of::<A>(&self.sessions)?;
        let config = &self.sessions.config;
        let now = config.now();
        let cookies = self.refresh.get_or_insert_default();
        end_this_login(&self.sessions, &*store, spec, &mut cookies.lines).await?;
        let meta = self.sessions.request_meta_for(spec);
        let started = refresh::start(&*store, &config.keyring, &refresh, meta, now);
        let session = crate::observability::store_span(spec, "login", started)
            .await
            .map_err(|error| match error {
                refresh::StartError::MissingUser => SessionError::MissingUser { type_name },
                refresh::StartError::Store(error) => SessionError::Store(error),
                refresh::StartError::Seal(error) => SessionError::from(error),
                other => SessionError::Store(StoreError::unavailable(other)),
            })?;
        if spec.max_per_user().is_some()
            && let Err(error) = session_core::store::enforce_max_per_user(
                &*store,
                spec,
                session.user(),
                session.key,
                now,
            )
            .await
        {
            // The login stands; older ones beyond the cap stay until they expire.
            tracing::warn!(target: TRACING_TARGET, %error, "could not enforce max_per_user");
        }
        let pairing = refresh_pairing::<A>();
        set_refresh_cookie(&self.sessions, pairing, Some(&session));
        self.refresh.get_or_insert_default().lines =
            CookieLines::single(spec, &session.cookie.value);
        self.insert(A::from(&refresh))
    }

    /// Rotates the refresh session now and issues fresh access and refresh
    /// cookies, whether or not the access cookie is still valid: the
    /// endpoint a single-page app calls (for example when its refresh
    /// cookie is limited to that endpoint's path). Returns whether the
    /// request is logged in afterwards.
    ///
    /// # Errors
    ///
    /// [`SessionError::Store`] (503) when the store cannot be reached.
    pub async fn refresh(&mut self) -> Result<bool, SessionError> {
        let state = self.refresh.get_or_insert_default();
        if state.refreshed {
            // The extractor refreshed this request's expired access cookie
            // already: that rotation is the answer.
            return Ok(true);
        }
        let pairing = refresh_pairing::<A>();
        let lines = state.lines.headers();
        let mut cookies = cookie::candidates(&lines, pairing.spec().cookie()).peekable();
        if cookies.peek().is_none() {
            return Ok(false);
        }
        match rotate(pairing, cookies, &self.sessions, &mut self.current).await? {
            Some(lines) => {
                let state = self.refresh.get_or_insert_default();
                state.lines = lines;
                state.refreshed = true;
                Ok(true)
            }
            None => {
                if self.current.value.is_some() {
                    // The login ended: its access cookie goes too.
                    self.remove();
                }
                Ok(false)
            }
        }
    }

    /// Logs this browser out: ends its login (the refresh session) and
    /// removes both cookies. The user's other logins stay.
    ///
    /// # Errors
    ///
    /// [`SessionError::Store`] (503) when the store cannot be reached:
    /// nothing was ended.
    pub async fn logout(&mut self) -> Result<(), SessionError> {
        let store = store_of::<A>(&self.sessions)?;
        let spec = <A::Refresh as StaticSpec>::SPEC_REF;
        let cookies = self.refresh.get_or_insert_default();
        end_this_login(&self.sessions, &*store, spec, &mut cookies.lines).await?;
        set_refresh_cookie(&self.sessions, refresh_pairing::<A>(), None);
        self.remove();
        Ok(())
    }

    /// The current user's logins (live refresh sessions), oldest first,
    /// for a "your devices" page. Empty without a session.
    ///
    /// # Errors
    ///
    /// [`SessionError::Store`] (503) when the store cannot be reached.
    pub async fn logins(&self) -> Result<Vec<UserSession>, SessionError> {
        let Some(user) = self.get().and_then(SessionPayload::session_user) else {
            return Ok(Vec::new());
        };
        let store = store_of::<A>(&self.sessions)?;
        let spec = <A::Refresh as StaticSpec>::SPEC_REF;
        Ok(store
            .list_user(spec.namespace(), &user, self.sessions.config.now())
            .await?)
    }
}

/// Ends the login of the request's refresh `cookies` (taken: they name
/// nothing any more), if it has a live row.
async fn end_this_login(
    sessions: &RequestSessions,
    store: &dyn SessionStore,
    spec: &SessionSpec,
    cookies: &mut CookieLines,
) -> Result<(), SessionError> {
    let lines = std::mem::take(cookies).headers();
    let config = &sessions.config;
    let ended = refresh::end_current(
        store,
        &config.keyring,
        spec,
        cookie::candidates(&lines, spec.cookie()),
        config.now(),
    );
    crate::observability::store_span(spec, "logout", ended).await?;
    Ok(())
}

/// `A`'s pairing, which the derive always writes for a [`HybridAccess`] type.
fn refresh_pairing<A: HybridAccess>() -> RefreshPairing<A> {
    match A::REFRESH {
        Some(pairing) => pairing,
        // A hand-written `HybridAccess` without `REFRESH`: pair by the
        // associated type.
        None => RefreshPairing::new(
            <A::Refresh as StaticSpec>::SPEC_REF,
            TypeId::of::<A::Refresh>,
            |_, _| Err(OpenError::Malformed),
        ),
    }
}

/// Ends every login of the current user of the access type `T` (logout
/// everywhere): deletes the user's refresh sessions, revokes the access
/// cookies when `T` is revocable and the layer has revocations, and
/// removes both cookies here. Returns how many logins ended.
pub(crate) async fn logout_everywhere<T: SessionPayload + 'static>(
    pairing: RefreshPairing<T>,
    sessions: &RequestSessions,
    current: &mut Current<T>,
) -> Result<usize, SessionError> {
    let Some(user) = current
        .value
        .as_ref()
        .and_then(SessionPayload::session_user)
    else {
        return Ok(0);
    };
    let store = store_of::<T>(sessions)?;
    let ended = store
        .delete_user(pairing.spec().namespace(), &user, None)
        .await?;
    if let Some(revocations) = sessions.config.revocations_for(&T::SPEC)
        && let Ok(revocation) = Revocation::of_user::<T>(&user, sessions.config.now())
    {
        revocations.revoke(&revocation).await?;
    }
    set_refresh_cookie(sessions, pairing, None);
    current.end();
    let (type_id, spec) = (TypeId::of::<T>(), T::SPEC_REF);
    sessions.record(type_id, spec, Some(Pending::Remove));
    sessions.commit(type_id, spec);
    Ok(ended)
}
