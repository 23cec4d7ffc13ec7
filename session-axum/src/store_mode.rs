//! Store mode: a `#[session(store)]` type's payload lives in the layer's
//! [`SessionStore`]; its cookie carries only a sealed id.
//!
//! Reads happen at extraction (async); changes are recorded in the request
//! state, like cookie-mode changes, and written by [`flush`] either when the
//! handler calls [`TypedSession::save`](crate::TypedSession::save) or, for
//! whatever is left, by the layer after the handler ([`flush_all`]). A
//! change that puts a session under a new id (`insert` over an existing
//! session, `renew`, a change of user) is written with one atomic
//! [`SessionStore::move_session`]: the new row exists only if the old one is
//! gone in the same step, so a fixated or stolen id stops working, a logout
//! that lands meanwhile is never undone, and a concurrent update is never
//! overwritten.

use std::any::TypeId;
use std::sync::Arc;

use http::request::Parts;
use session_core::__private::encode_json;
use session_core::store::{
    MoveOutcome, Record, SaveOutcome, SessionId, SessionStore, StoreKey, UserSession,
    enforce_max_per_user,
};
use session_core::{OpenError, SessionPayload, SessionSpec};

use crate::TRACING_TARGET;
use crate::cookie;
use crate::current::Current;
use crate::error::SessionError;
use crate::rejection::SessionRejection;
use crate::request::{Opened as Found, Pending, RequestSessions, StaticSpec};
use crate::row_state::StoredSession;
use crate::status::SessionStatus;

/// Reads a row as `T`: its namespace must be `T`'s and its data must decode
/// under the version it was written with (declared migrations apply).
fn decode<T: SessionPayload + 'static>(record: &Record) -> Result<T, OpenError> {
    if record.namespace != T::SPEC.namespace() {
        return Err(OpenError::Malformed);
    }
    T::decode_version(record.version, &record.data)
}

/// The most rows one request looks up for one store-mode type.
///
/// Every cookie of the type's name whose seal opens names a row; the first
/// that loads wins. A browser sends more than one only when it holds cookies
/// of that name for several paths or domains (a session cookie scoped to
/// `/admin` beside one on `/`, or a host-only one left beside a domain one),
/// which is two or three in practice. A request can repeat one sealed value
/// thousands of times within the header limits, and each look-up is a round
/// trip to the store, so distinct ids are looked up once each and no more
/// than this many per request; the seal checks before them need no I/O.
pub(crate) const MAX_STORE_LOOKUPS: usize = 4;

/// Store-mode extraction: this request's view if the type was used
/// already, else the first cookie whose id opens and whose row loads.
pub(crate) async fn load<T: SessionPayload + 'static>(
    parts: &Parts,
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
        let stored = sessions.with_stored(type_id, spec, |state, _| state.current.clone());
        if let Some(stored) = stored
            && let Ok(value) = decode::<T>(&stored.record)
        {
            accept_record(&mut current, &stored.record, value);
        }
        return Ok(current);
    }

    let now = sessions.config.now();
    let keyring = &sessions.config.keyring;
    let mut first_error = None;
    // The rows already looked up: each id is read at most once, and at most
    // `MAX_STORE_LOOKUPS` of them per type and request.
    let mut looked_up: Vec<StoreKey> = Vec::new();
    for candidate in cookie::candidates(&parts.headers, spec.cookie()) {
        let opened = std::str::from_utf8(candidate)
            .map_err(|_| OpenError::Malformed)
            .and_then(|value| keyring.open_id_at(spec, value, now));
        let opened = match opened {
            Ok(opened) => opened,
            Err(error) => {
                first_error.get_or_insert(error);
                continue;
            }
        };
        let key = StoreKey::derive(spec.namespace(), &opened.payload);
        if looked_up.contains(&key) {
            continue;
        }
        if looked_up.len() == MAX_STORE_LOOKUPS {
            tracing::info!(
                target: TRACING_TARGET,
                cookie = spec.cookie(),
                limit = MAX_STORE_LOOKUPS,
                "more distinct stored sessions in one request than are looked up; the rest are ignored"
            );
            break;
        }
        looked_up.push(key);
        let record = match store.load(&key, now).await {
            Ok(Some(record)) => record,
            Ok(None) => {
                first_error.get_or_insert(OpenError::Revoked);
                continue;
            }
            Err(source) => {
                return Err(SessionRejection::StoreUnavailable {
                    type_name: spec.type_name(),
                    source,
                });
            }
        };
        let value = match decode::<T>(&record) {
            Ok(value) => value,
            Err(error) => {
                first_error.get_or_insert(error);
                continue;
            }
        };
        let mut stored = StoredSession {
            id: opened.payload,
            key,
            saved: Some(record.revision),
            record,
            dirty: false,
            replaces: None,
        };
        touch_if_due(&*store, spec, &mut stored, now).await;
        // Re-seal whenever the cookie would die before its row (a touch
        // just now, or one whose response was lost), and to move a cookie
        // off a previous key.
        let reseal = opened.expires_at < stored.record.expires_at || opened.previous_key;
        let pending = if reseal {
            seal_id(sessions, spec, &stored.id, stored.record.created_at, now).ok()
        } else {
            None
        };
        current.status = SessionStatus::Valid;
        accept_record(&mut current, &stored.record, value);
        sessions.with_stored(type_id, spec, |state, _| state.current = Some(stored));
        let found = Found {
            status: SessionStatus::Valid,
            candidate: None,
        };
        sessions.opened(type_id, spec, found, pending);
        return Ok(current);
    }
    current.status = sessions.none_opened(type_id, spec, first_error);
    Ok(current)
}

/// Takes a loaded row's payload and times.
fn accept_record<T>(current: &mut Current<T>, record: &Record, value: T) {
    current.issued_at = Some(record.created_at);
    current.started_at = Some(record.created_at);
    current.expires_at = Some(record.expires_at);
    current.value = Some(value);
}

/// `insert`: a new session under a fresh id, taking over the row of the
/// session it replaces (if any) at the flush.
pub(crate) fn insert<T: SessionPayload + 'static>(
    sessions: &RequestSessions,
    current: &mut Current<T>,
    value: T,
) -> Result<(), (T, SessionError)> {
    let spec = T::SPEC_REF;
    let now = sessions.config.now();
    let user = value.session_user();
    let id = SessionId::generate_for(spec.namespace(), user.as_deref());
    let (data, sealed) = match encode_and_seal(sessions, &value, &id, now, now) {
        Ok(encoded) => encoded,
        Err(error) => return Err((value, error)),
    };
    let record = Record {
        namespace: spec.namespace().to_owned(),
        user,
        version: spec.version(),
        data,
        revision: 0,
        created_at: now,
        touched_at: now,
        expires_at: spec.expiry(now, now),
    };
    sessions.with_stored(TypeId::of::<T>(), spec, |state, cookie| {
        // A login replaces whatever this browser had, whatever its
        // revision: it is a new authentication, not a continuation.
        let replaces = state.current.take().and_then(|old| old.handover(false));
        state.current = Some(StoredSession {
            key: StoreKey::derive(spec.namespace(), &id),
            id,
            record,
            saved: None,
            dirty: true,
            replaces,
        });
        *cookie = Some(sealed);
    });
    current.issued_at = Some(now);
    current.started_at = Some(now);
    current.expires_at = Some(spec.expiry(now, now));
    current.value = Some(value);
    Ok(())
}

/// `value` as row data, and `id` sealed as the cookie of the session that
/// started at `started`.
fn encode_and_seal<T: SessionPayload + 'static>(
    sessions: &RequestSessions,
    value: &T,
    id: &SessionId,
    started: u64,
    now: u64,
) -> Result<(Vec<u8>, Pending), SessionError> {
    let data = encode_json(value)?;
    let sealed = seal_id(sessions, T::SPEC_REF, id, started, now)?;
    Ok((data, sealed))
}

/// `update`: `value` (already changed) replaces the row's data under the
/// same id, written at the flush if the row's revision is still the one
/// loaded. A change of user moves the session to a new id on the new user's
/// route (atomically, at the flush).
pub(crate) fn update<T: SessionPayload + 'static>(
    sessions: &RequestSessions,
    current: &mut Current<T>,
    value: T,
) -> Result<(), (T, SessionError)> {
    let spec = T::SPEC_REF;
    let now = sessions.config.now();
    let user = value.session_user();
    let stored = sessions.with_stored(TypeId::of::<T>(), spec, |state, _| {
        state
            .current
            .as_ref()
            .map(|stored| (stored.id.clone(), stored.key, stored.record.created_at))
    });
    // A value without a row cannot happen (both are set together); if it
    // did, starting a new session is the safe reading.
    let Some((id, key, started)) = stored else {
        return insert(sessions, current, value);
    };
    let on_route = user
        .as_deref()
        .is_none_or(|user| StoreKey::user_route(spec.namespace(), user) == key.route());
    let new_id = (!on_route).then(|| SessionId::generate_for(spec.namespace(), user.as_deref()));
    let sealed_id = new_id.as_ref().unwrap_or(&id);
    let (data, sealed) = match encode_and_seal(sessions, &value, sealed_id, started, now) {
        Ok(encoded) => encoded,
        Err(error) => return Err((value, error)),
    };
    let expires_at = spec.expiry(started, now);
    sessions.with_stored(TypeId::of::<T>(), spec, |state, cookie| {
        if let Some(stored) = state.current.as_mut() {
            if let Some(new_id) = new_id {
                stored.move_to(new_id, spec.namespace(), true);
            }
            stored.record.data = data;
            stored.record.version = spec.version();
            stored.record.user = user;
            stored.record.touched_at = now;
            stored.record.expires_at = expires_at;
            stored.dirty = true;
        }
        *cookie = Some(sealed);
    });
    current.expires_at = Some(expires_at);
    current.value = Some(value);
    Ok(())
}

/// `renew`: the same session under a fresh id (on the same route); at the
/// flush the old row is moved there atomically, so the old cookie stops
/// working.
pub(crate) fn renew<T: SessionPayload + 'static>(
    sessions: &RequestSessions,
    current: &mut Current<T>,
) -> Result<bool, SessionError> {
    let spec = T::SPEC_REF;
    let Some(value) = current.value.as_ref() else {
        return Ok(false);
    };
    let now = sessions.config.now();
    let id = SessionId::generate_for(spec.namespace(), value.session_user().as_deref());
    let started = current.started_at.unwrap_or(now);
    let sealed = seal_id(sessions, spec, &id, started, now)?;
    let expires_at = spec.expiry(started, now);
    let renewed = sessions.with_stored(TypeId::of::<T>(), spec, |state, cookie| {
        let Some(stored) = state.current.as_mut() else {
            return false;
        };
        stored.move_to(id, spec.namespace(), true);
        stored.record.touched_at = now;
        stored.record.expires_at = expires_at;
        *cookie = Some(sealed);
        true
    });
    if renewed {
        current.expires_at = Some(expires_at);
    }
    Ok(renewed)
}

/// `take`: the row is deleted at the flush and the cookie removed.
pub(crate) fn remove<T: SessionPayload + 'static>(sessions: &RequestSessions) {
    sessions.with_stored(TypeId::of::<T>(), T::SPEC_REF, |state, cookie| {
        if let Some(old) = state.current.take()
            && let Some(row) = old.handover(false)
        {
            state.deletes.push(row.key);
        }
        *cookie = Some(Pending::Remove);
    });
}

/// `save`: writes `T`'s pending changes now; on `Revoked` the session is
/// ended in `current`. On another error what was written stays written and
/// the rest stays pending (see [`flush`]).
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
    sessions.commit_stored(TypeId::of::<T>(), T::SPEC_REF, |state, cookie| {
        // Its row is gone already (or was never written).
        state.current = None;
        *cookie = Some(Pending::Remove);
    });
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
    sessions.with_stored(TypeId::of::<T>(), T::SPEC_REF, |state, _| {
        state.current.as_ref().map(|stored| stored.key)
    })
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

/// Seals `id` as `spec`'s cookie value for the session that started at `started`.
fn seal_id(
    sessions: &RequestSessions,
    spec: &SessionSpec,
    id: &SessionId,
    started: u64,
    now: u64,
) -> Result<Pending, SessionError> {
    let value = sessions.config.keyring.seal_id_at(spec, id, started, now)?;
    Ok(Pending::Set {
        value,
        expires_at: spec.expiry(started.min(now), now),
    })
}

/// Pushes the row's expiry back to `now + max_age` (never past the
/// session's absolute lifetime) if its last touch is at least `touch_after`
/// old and that moves the expiry. A failed touch is logged and otherwise
/// ignored: the row is still valid until its current expiry.
async fn touch_if_due(
    store: &dyn SessionStore,
    spec: &SessionSpec,
    stored: &mut StoredSession,
    now: u64,
) {
    if now.saturating_sub(stored.record.touched_at) < spec.touch_after_secs() {
        return;
    }
    let expires_at = spec.expiry(stored.record.created_at, now);
    if expires_at <= stored.record.expires_at {
        // At the absolute cap: a touch would not extend anything.
        return;
    }
    match store.touch(&stored.key, now, expires_at, now).await {
        Ok(true) => {
            stored.record.touched_at = now;
            stored.record.expires_at = expires_at;
        }
        // Ended between load and touch: this request still had a valid
        // session; the next one will not.
        Ok(false) => {}
        Err(error) => tracing::warn!(
            target: TRACING_TARGET,
            cookie = spec.cookie(),
            %error,
            "could not touch stored session"
        ),
    }
}

/// Writes one type's pending changes, in this order:
///
/// 1. the current session: a compare-and-set `save` on its revision, or, if
///    it is under a new id, an atomic `move_session` from the row it takes
///    over (`Gone` → the session was revoked: it is ended and its cookie
///    cleared; `Conflict` → 409). Once this succeeds the new row stays and
///    its cookie is committed: every response from here on carries it;
/// 2. the rows of sessions ended in this request; a failure is returned
///    (503) with the deletes not yet done still pending, so a later flush
///    retries them;
/// 3. the per-user cap, for a new row: only now, with the row it replaced
///    gone, so a renewal or re-login never evicts another device. Best
///    effort: a failure is logged, and the next login applies the cap again.
///
/// On an error the request state describes exactly what the store holds
/// and what is still to do, so [`save`] needs nothing to undo.
pub(crate) async fn flush(
    sessions: &RequestSessions,
    type_id: TypeId,
    spec: &'static SessionSpec,
) -> Result<(), SessionError> {
    let Some(store) = sessions.config.store.clone() else {
        return Ok(());
    };
    let now = sessions.config.now();
    let created = write_current(sessions, &*store, type_id, spec, now).await?;
    delete_ended(sessions, &*store, type_id, spec).await?;
    if let Some((key, Some(user))) = &created
        && let Err(error) = enforce_max_per_user(&*store, spec, user, *key, now).await
    {
        tracing::warn!(
            target: TRACING_TARGET,
            cookie = spec.cookie(),
            %error,
            "could not apply max_per_user after a login; the next login applies it"
        );
    }
    sessions.commit_stored(type_id, spec, |_, _| ());
    Ok(())
}

/// Step 1 of [`flush`]: writes the current session if it changed. Returns
/// the key and user of a row this write created (a new session, or one
/// moved to a new id), for the per-user cap.
async fn write_current(
    sessions: &RequestSessions,
    store: &dyn SessionStore,
    type_id: TypeId,
    spec: &'static SessionSpec,
    now: u64,
) -> Result<Option<(StoreKey, Option<String>)>, SessionError> {
    let write = sessions.with_stored(type_id, spec, |state, _| {
        state
            .current
            .as_ref()
            .filter(|current| current.dirty)
            .map(|current| {
                (
                    current.key,
                    current.record.clone(),
                    current.saved,
                    current.replaces,
                )
            })
    });
    let Some((key, mut record, saved, replaces)) = write else {
        return Ok(None);
    };
    let mut created = None;
    if let Some(replaced) = replaces {
        record.revision = replaced
            .expected
            .map_or(1, |revision| revision.saturating_add(1));
        let outcome = store
            .move_session(&replaced.key, replaced.expected, &key, &record, now)
            .await?;
        match outcome {
            MoveOutcome::Moved => created = Some((key, record.user.clone())),
            MoveOutcome::Gone => return Err(revoked(sessions, type_id, spec)),
            MoveOutcome::Conflict => return Err(conflict(spec)),
        }
    } else {
        record.revision = saved.map_or(1, |revision| revision.saturating_add(1));
        if store.save(&key, &record, saved, now).await? == SaveOutcome::Conflict {
            return Err(conflict(spec));
        }
        if saved.is_none() {
            created = Some((key, record.user.clone()));
        }
    }
    // The store holds the row now: the cookie naming it is committed, so
    // even an error answer from a later step hands it to the browser.
    sessions.commit_stored(type_id, spec, |state, _| {
        if let Some(current) = state.current.as_mut().filter(|c| c.key == key) {
            current.saved = Some(record.revision);
            current.record.revision = record.revision;
            current.dirty = false;
            current.replaces = None;
        }
    });
    Ok(created)
}

/// Step 2 of [`flush`]: deletes the rows of sessions ended in this request.
/// On a failure the deletes not yet done stay pending.
async fn delete_ended(
    sessions: &RequestSessions,
    store: &dyn SessionStore,
    type_id: TypeId,
    spec: &'static SessionSpec,
) -> Result<(), SessionError> {
    let deletes = sessions.with_stored(type_id, spec, |state, _| state.deletes.clone());
    for key in deletes {
        store.delete(&key).await?;
        sessions.with_stored(type_id, spec, |state, _| {
            state.deletes.retain(|pending| *pending != key);
        });
    }
    Ok(())
}

/// The session's row is gone (a logout, ban or eviction landed while this
/// request ran): end it in this request too and clear its cookie.
fn revoked(
    sessions: &RequestSessions,
    type_id: TypeId,
    spec: &'static SessionSpec,
) -> SessionError {
    tracing::info!(
        target: TRACING_TARGET,
        cookie = spec.cookie(),
        "stored session was ended by another request; not renewed"
    );
    sessions.commit_stored(type_id, spec, |state, cookie| {
        state.current = None;
        state.deletes.clear();
        *cookie = Some(Pending::Remove);
    });
    SessionError::Revoked {
        type_name: spec.type_name(),
    }
}

fn conflict(spec: &SessionSpec) -> SessionError {
    tracing::info!(
        target: TRACING_TARGET,
        cookie = spec.cookie(),
        "stored session changed by another request; not overwritten"
    );
    SessionError::Conflict {
        type_name: spec.type_name(),
    }
}
