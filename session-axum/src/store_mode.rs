//! Store mode: a `#[session(store)]` type's payload lives in the layer's
//! [`SessionStore`]; its cookie carries only a sealed id.
//!
//! The rules (bounded reads, atomic id moves, what a flush writes and never
//! undoes) live in session-core's framework-neutral state machine
//! ([`session_core::store::StoreState`], [`load`](session_core::store::load),
//! [`flush`](session_core::store::flush)). This module adapts it to axum: it
//! keeps each type's [`StoreState`] in the request state, turns sealed ids
//! into pending cookies, and errors into [`SessionError`]s and rejections.
//! Changes are written by [`flush`] either when the handler calls
//! [`TypedSession::save`](crate::TypedSession::save) or, for whatever is
//! left, by the layer after the handler ([`flush_all`]).

use std::any::TypeId;
use std::sync::Arc;

use http::HeaderMap;
use session_core::store::{
    self, FlushAccess, FlushError, IdCookie, Loaded, SessionStore, SessionStoreExt as _, StoreKey,
    StoreState, UserSession,
};
use session_core::{Keyring, OpenError, SealError, SessionPayload, SessionSpec};

use crate::TRACING_TARGET;
use crate::cookie;
use crate::current::Current;
use crate::error::SessionError;
use crate::rejection::SessionRejection;
use crate::request::{Opened as Found, Pending, RequestSessions, StaticSpec};
use crate::status::SessionStatus;

/// Store-mode extraction: this request's view if the type was used
/// already, else the first cookie whose id opens and whose row loads.
pub(crate) async fn load_from<T: SessionPayload + 'static>(
    headers: &HeaderMap,
    sessions: &RequestSessions,
) -> Result<Current<T>, SessionRejection> {
    let spec = T::SPEC_REF;
    let type_id = TypeId::of::<T>();
    let store = sessions
        .config
        .store
        .clone()
        .ok_or(SessionRejection::MissingStore {
            type_name: spec.type_name(),
        })?;
    let mut current = Current::absent();
    if let Some((found, _)) = sessions.earlier(type_id) {
        current.status = found.status;
        // The row's times only: the data is decoded in place, not copied.
        let seen = sessions.with_stored(type_id, spec, |state, _| {
            let record = state.record()?;
            Some((state.decode::<T>()?, record.created_at, record.expires_at))
        });
        if let Some((value, started, expires_at)) = seen {
            accept_times(&mut current, started, expires_at, value);
        }
        return Ok(current);
    }

    let now = sessions.config.now();
    let candidates = cookie::candidates(headers, spec.cookie());
    let load = store::load::<T>(&*store, &sessions.config.keyring, candidates, now);
    let loaded = crate::observability::store_span(spec, "load", load).await;
    let loaded = loaded.map_err(|source| SessionRejection::StoreUnavailable {
        type_name: spec.type_name(),
        source,
    })?;
    let loaded = match loaded {
        Loaded::Found {
            state,
            value,
            reissue,
        } if spec.binds_fingerprint()
            && state.fingerprint_differs(
                &sessions.config.keyring,
                spec,
                &sessions.note_signals(headers).signals(),
            ) =>
        {
            if ended_for_fingerprint(&*store, sessions, &state, &value).await {
                Loaded::Missing(Some(OpenError::FingerprintMismatch))
            } else {
                Loaded::Found {
                    state,
                    value,
                    reissue,
                }
            }
        }
        loaded => loaded,
    };
    match loaded {
        Loaded::Found {
            state,
            value,
            reissue,
        } => {
            if let Some(record) = state.record() {
                accept_times(&mut current, record.created_at, record.expires_at, value);
            }
            current.status = SessionStatus::Valid;
            sessions.with_stored(type_id, spec, |slot, _| *slot = *state);
            let found = Found {
                status: SessionStatus::Valid,
                candidate: None,
            };
            sessions.opened(type_id, spec, found, reissue.map(Pending::from));
        }
        Loaded::Missing(first_error) => {
            current.status = sessions.none_opened(type_id, spec, first_error);
        }
    }
    Ok(current)
}

/// A session whose fingerprint differs: reported, and under
/// [`FingerprintPolicy::Enforce`](crate::FingerprintPolicy::Enforce) its
/// row deleted now (not at the flush, which a failing handler may skip).
/// Returns whether the session ended (the request then reads as carrying
/// an invalid session).
async fn ended_for_fingerprint<T: SessionPayload>(
    store: &dyn SessionStore,
    sessions: &RequestSessions,
    state: &StoreState,
    value: &T,
) -> bool {
    let spec = &T::SPEC;
    let user = value.session_user();
    if !sessions.config.fingerprint.mismatch(spec, user) {
        return false;
    }
    if let Some(key) = state.key()
        && let Err(error) = store.delete(&key).await
    {
        // The row stays until it expires or the next mismatch; this
        // request still reads as without a session.
        tracing::warn!(
            target: TRACING_TARGET,
            session_type = spec.type_name(),
            %error,
            "could not delete a session whose fingerprint differs"
        );
    }
    true
}

/// Takes a row's payload and times (a stored session is issued when it
/// starts).
fn accept_times<T>(current: &mut Current<T>, started: u64, expires_at: u64, value: T) {
    current.issued_at = Some(started);
    current.started_at = Some(started);
    current.expires_at = Some(expires_at);
    current.value = Some(value);
}

/// `insert`: a new session under a fresh id, taking over the row of the
/// session it replaces (if any) at the flush. The new row records the
/// request's client (see [`SessionLayer::session_metadata`](crate::SessionLayer::session_metadata)).
pub(crate) fn insert<T: SessionPayload + 'static>(
    sessions: &RequestSessions,
    current: &mut Current<T>,
    value: T,
) -> Result<(), (T, SessionError)> {
    change(sessions, current, value, true, StoreState::insert::<T>)
}

/// `update`: `value` (already changed) replaces the row's data under the
/// same id, written at the flush if the row's revision is still the one
/// loaded; a change of user moves the session to a new id. The row keeps
/// its metadata (that of the login).
pub(crate) fn update<T: SessionPayload + 'static>(
    sessions: &RequestSessions,
    current: &mut Current<T>,
    value: T,
) -> Result<(), (T, SessionError)> {
    change(sessions, current, value, false, StoreState::update::<T>)
}

/// A change to `T`'s session by `apply` (`insert` or `update`): records the
/// sealed id as the pending cookie and takes the row's times into
/// `current`; on error hands `value` back and changes nothing. A change
/// that creates a row (`starts`, or any without a session in use) gives
/// it the request's metadata.
fn change<T: SessionPayload + 'static>(
    sessions: &RequestSessions,
    current: &mut Current<T>,
    value: T,
    starts: bool,
    apply: fn(&mut StoreState, &Keyring, &T, u64) -> Result<IdCookie, SealError>,
) -> Result<(), (T, SessionError)> {
    let now = sessions.config.now();
    let keyring = &sessions.config.keyring;
    let times = sessions.with_stored(TypeId::of::<T>(), T::SPEC_REF, |state, cookie| {
        if starts || state.record().is_none() {
            state.set_request_meta(sessions.request_meta_for(T::SPEC_REF));
        }
        let sealed = apply(state, keyring, &value, now)?;
        *cookie = Some(Pending::from(sealed));
        Ok(state
            .record()
            .map(|record| (record.created_at, record.expires_at)))
    });
    match times {
        Ok(Some((started, expires_at))) => {
            accept_times(current, started, expires_at, value);
            Ok(())
        }
        // Not reached (a change always leaves a session in use); the value
        // is still the handler's.
        Ok(None) => {
            current.value = Some(value);
            Ok(())
        }
        Err(error) => Err((value, SessionError::Seal(error))),
    }
}

/// `renew`: the same session under a fresh id (on the same route); at the
/// flush the old row is moved there atomically, so the old cookie stops
/// working.
pub(crate) fn renew<T: SessionPayload + 'static>(
    sessions: &RequestSessions,
    current: &mut Current<T>,
) -> Result<bool, SessionError> {
    let spec = T::SPEC_REF;
    if current.value.is_none() {
        return Ok(false);
    }
    let now = sessions.config.now();
    let keyring = &sessions.config.keyring;
    let renewed = sessions.with_stored(TypeId::of::<T>(), spec, |state, cookie| {
        let Some(sealed) = state.renew(keyring, spec, now)? else {
            return Ok::<_, SealError>(None);
        };
        *cookie = Some(Pending::from(sealed));
        Ok(state.record().map(|record| record.expires_at))
    })?;
    match renewed {
        Some(expires_at) => {
            current.expires_at = Some(expires_at);
            Ok(true)
        }
        None => Ok(false),
    }
}

/// `take`: the row is deleted at the flush and the cookie removed.
pub(crate) fn remove<T: SessionPayload + 'static>(sessions: &RequestSessions) {
    sessions.with_stored(TypeId::of::<T>(), T::SPEC_REF, |state, cookie| {
        state.remove();
        *cookie = Some(Pending::Remove);
    });
}

/// `save`: writes `T`'s pending changes now; on `Revoked` the session is
/// ended in `current`. On another error what was written stays written and
/// the rest stays pending (see [`store::flush`]).
pub(crate) async fn save<T: SessionPayload + 'static>(
    sessions: &RequestSessions,
    current: &mut Current<T>,
) -> Result<(), SessionError> {
    let result = flush(sessions, TypeId::of::<T>(), T::SPEC_REF).await;
    if let Err(SessionError::Revoked { .. }) = &result {
        current.end();
    }
    result
}

/// A store and a user: what the per-user operations work on.
type UserScope = (Arc<dyn SessionStore>, String);

/// The store and the current session's user, for the per-user operations:
/// `NotStored` for a cookie-mode type, `None` without a session or a user.
fn store_and_user<T: SessionPayload + 'static>(
    sessions: &RequestSessions,
    current: &Current<T>,
) -> Result<Option<UserScope>, SessionError> {
    let not_stored = || SessionError::NotStored {
        type_name: T::SPEC.type_name(),
    };
    if !T::SPEC.is_stored() {
        return Err(not_stored());
    }
    // Extraction already refused a store-mode type without a store.
    let store = sessions.config.store.clone().ok_or_else(not_stored)?;
    let user = current
        .value
        .as_ref()
        .and_then(SessionPayload::session_user);
    Ok(user.map(|user| (store, user)))
}

/// `logout_all`: every session of `T` of the current user, this one too.
pub(crate) async fn logout_all<T: SessionPayload + 'static>(
    sessions: &RequestSessions,
    current: &mut Current<T>,
) -> Result<usize, SessionError> {
    let Some((store, user)) = store_and_user(sessions, current)? else {
        return Ok(0);
    };
    let ended = store.delete_user(T::SPEC.namespace(), &user, None).await?;
    // Already done in the store: the removal is sent even if the handler
    // then fails.
    let (type_id, spec) = (TypeId::of::<T>(), T::SPEC_REF);
    sessions.with_stored(type_id, spec, |state, cookie| {
        state.forget();
        *cookie = Some(Pending::Remove);
    });
    sessions.commit(type_id, spec);
    current.end();
    Ok(ended)
}

/// `logout_others`: every other session of `T` of the current user; writes
/// this session's pending changes first, so the kept row exists.
pub(crate) async fn logout_others<T: SessionPayload + 'static>(
    sessions: &RequestSessions,
    current: &mut Current<T>,
) -> Result<usize, SessionError> {
    let Some((store, user)) = store_and_user(sessions, current)? else {
        return Ok(0);
    };
    save(sessions, current).await?;
    let Some(keep) = store_key::<T>(sessions) else {
        return Ok(0);
    };
    Ok(store
        .delete_user(T::SPEC.namespace(), &user, Some(&keep))
        .await?)
}

/// `logout_session`: one session of the current user by its at-rest key;
/// this one's own key ends this session as `remove` does.
pub(crate) async fn logout_session<T: SessionPayload + 'static>(
    sessions: &RequestSessions,
    current: &mut Current<T>,
    key: StoreKey,
) -> Result<bool, SessionError> {
    let Some((store, user)) = store_and_user(sessions, current)? else {
        return Ok(false);
    };
    if store_key::<T>(sessions).is_some_and(|own| own.ct_eq(&key)) {
        remove::<T>(sessions);
        current.end();
        return Ok(true);
    }
    let now = sessions.config.now();
    Ok(store.logout_session::<T>(&user, key, now).await?)
}

/// `user_sessions`: the current user's live sessions of `T`, oldest first.
pub(crate) async fn user_sessions<T: SessionPayload + 'static>(
    sessions: &RequestSessions,
    current: &Current<T>,
) -> Result<Vec<UserSession>, SessionError> {
    let Some((store, user)) = store_and_user(sessions, current)? else {
        return Ok(Vec::new());
    };
    let now = sessions.config.now();
    Ok(store.list_user(T::SPEC.namespace(), &user, now).await?)
}

/// The at-rest key of `T`'s current row, if any.
pub(crate) fn store_key<T: SessionPayload + 'static>(
    sessions: &RequestSessions,
) -> Option<StoreKey> {
    sessions.with_stored(TypeId::of::<T>(), T::SPEC_REF, |state, _| state.key())
}

/// Performs every pending store write, type by type in first-use order.
/// Stops at the first failure (the caller then answers with the error
/// instead of the handler's response, with only committed cookies).
pub(crate) async fn flush_all(sessions: &RequestSessions) -> Result<(), SessionError> {
    for (type_id, spec) in sessions.types_with_store_work() {
        flush(sessions, type_id, spec).await?;
    }
    Ok(())
}

/// One type's state in the request, as [`store::flush`] reaches it.
struct TypeState<'a> {
    sessions: &'a RequestSessions,
    type_id: TypeId,
    spec: &'static SessionSpec,
}

impl FlushAccess for TypeState<'_> {
    fn with_state<R>(&self, f: impl FnOnce(&mut StoreState) -> R) -> R {
        self.sessions
            .with_stored(self.type_id, self.spec, |state, _| f(state))
    }

    fn written(&self) {
        self.sessions.commit(self.type_id, self.spec);
    }
}

/// Writes one type's pending changes (see [`store::flush`]) and maps what
/// went wrong to a [`SessionError`]: a revoked session's removal cookie is
/// committed (it matches the store), a conflict is 409, a store error 503.
pub(crate) async fn flush(
    sessions: &RequestSessions,
    type_id: TypeId,
    spec: &'static SessionSpec,
) -> Result<(), SessionError> {
    let Some(store) = sessions.config.store.clone() else {
        return Ok(());
    };
    let access = TypeState {
        sessions,
        type_id,
        spec,
    };
    let now = sessions.config.now();
    let flush = store::flush(&*store, spec, &access, now);
    let flushed = crate::observability::store_span(spec, "flush", flush).await;
    match flushed {
        Ok(()) => {
            access.written();
            Ok(())
        }
        Err(FlushError::Revoked) => {
            tracing::info!(
                target: TRACING_TARGET,
                cookie = spec.cookie(),
                "stored session was ended by another request; not renewed"
            );
            sessions.with_stored(type_id, spec, |_, cookie| *cookie = Some(Pending::Remove));
            sessions.commit(type_id, spec);
            Err(SessionError::Revoked {
                type_name: spec.type_name(),
            })
        }
        Err(FlushError::Conflict) => {
            tracing::info!(
                target: TRACING_TARGET,
                cookie = spec.cookie(),
                "stored session changed by another request; not overwritten"
            );
            Err(SessionError::Conflict {
                type_name: spec.type_name(),
            })
        }
        Err(FlushError::Store(error)) => Err(SessionError::Store(error)),
    }
}
