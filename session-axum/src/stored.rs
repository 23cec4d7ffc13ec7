//! Store mode in the layer: how a `#[session(store)]` type is loaded from its
//! cookie's id, changed, and written back to the [`SessionStore`].
//!
//! Reads happen at extraction (async); changes are recorded in the request
//! state, like cookie-mode changes, and written by [`flush`] either when the
//! handler calls [`TypedSession::save`] or, for whatever is left, by the layer
//! after the handler. A change that puts a session under a new id (`insert`
//! over an existing session, `renew`, a change of user) is written with one
//! atomic [`SessionStore::move_session`]: the new row exists only if the old
//! one is gone in the same step, so a fixated or stolen id stops working, a
//! logout that lands meanwhile is never undone, and a concurrent update is
//! never overwritten.

use std::any::TypeId;
use std::sync::Arc;

use http::request::Parts;
use session_core::store::{
    MoveOutcome, Record, SaveOutcome, SessionId, SessionStore, StoreKey, UserSession,
    enforce_max_per_user,
};
use session_core::{OpenError, SessionPayload, SessionSpec, encode_json};

use crate::cookie;
use crate::extract::TypedSession;
use crate::rejection::{SessionError, SessionRejection};
use crate::state::{self, Pending, RequestSessions};
use crate::status::SessionStatus;

/// One store-mode type's state within a request.
#[derive(Clone, Default)]
pub(crate) struct StoredState {
    /// The session in use, if any.
    current: Option<StoredSession>,
    /// Rows to delete at the next flush (sessions ended in this request).
    deletes: Vec<StoreKey>,
}

impl StoredState {
    /// Whether the store has not yet seen some change.
    pub(crate) fn has_work(&self) -> bool {
        !self.deletes.is_empty() || self.current.as_ref().is_some_and(|c| c.dirty)
    }
}

/// The session in use and how it relates to its row.
#[derive(Clone)]
struct StoredSession {
    id: SessionId,
    key: StoreKey,
    record: Record,
    /// The row's revision in the store under `key`; `None` until first
    /// written there.
    saved: Option<u64>,
    /// `record` differs from the row.
    dirty: bool,
    /// The row this session takes over when it is first written (its
    /// previous id), moved atomically.
    replaces: Option<Replaced>,
}

/// The row a session under a new id takes over.
#[derive(Clone, Copy)]
struct Replaced {
    key: StoreKey,
    /// `Some(revision)`: the same session continues (renewal, user change),
    /// so the old row must still be there at the revision this request
    /// read. `None`: a new login replaces whatever is there.
    expected: Option<u64>,
}

impl StoredSession {
    /// What this session takes over if it moves to a new id now.
    fn handover(&self, continues: bool) -> Option<Replaced> {
        match self.saved {
            Some(revision) => Some(Replaced {
                key: self.key,
                expected: continues.then_some(revision),
            }),
            None => self.replaces.map(|replaced| Replaced {
                expected: replaced.expected.filter(|_| continues),
                ..replaced
            }),
        }
    }

    /// Puts the session under `id` (not yet written there).
    fn move_to(&mut self, id: SessionId, namespace: &str, continues: bool) {
        self.replaces = self.handover(continues);
        self.key = StoreKey::derive(namespace, &id);
        self.id = id;
        self.saved = None;
        self.dirty = true;
    }
}

/// Reads a row as `T`: its namespace must be `T`'s and its data must decode
/// under the version it was written with (declared migrations apply).
fn decode<T: SessionPayload>(record: &Record) -> Result<T, OpenError> {
    if record.namespace != T::SPEC.namespace() {
        return Err(OpenError::Malformed);
    }
    T::decode_version(record.version, &record.data)
}

impl<T: SessionPayload + Send + Sync + 'static> TypedSession<T> {
    /// Store-mode extraction: this request's view if the type was used
    /// already, else the first cookie whose id opens and whose row loads.
    pub(crate) async fn load_stored(
        parts: &Parts,
        sessions: Arc<RequestSessions>,
    ) -> Result<Self, SessionRejection> {
        let spec = T::SPEC;
        let type_id = TypeId::of::<T>();
        let store = sessions
            .shared
            .store
            .clone()
            .ok_or(SessionRejection::MissingStore {
                type_name: spec.type_name(),
            })?;
        let mut session = TypedSession::empty(Arc::clone(&sessions));
        if let Some((opened, _)) = sessions.earlier(type_id) {
            session.status = opened.status;
            let current = sessions.with_stored(type_id, spec, |state, _| state.current.clone());
            if let Some(current) = current
                && let Ok(value) = decode::<T>(&current.record)
            {
                session.accept_record(&current.record, value);
            }
            return Ok(session);
        }

        let now = sessions.shared.now();
        let keyring = &sessions.shared.keyring;
        let mut first_error = None;
        for candidate in cookie::candidates(&parts.headers, spec.cookie()) {
            let opened = candidate
                .ok_or(OpenError::Malformed)
                .and_then(|value| keyring.open_id_at(&spec, value, now));
            let opened = match opened {
                Ok(opened) => opened,
                Err(error) => {
                    first_error.get_or_insert(error);
                    continue;
                }
            };
            let key = StoreKey::derive(spec.namespace(), &opened.payload);
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
            let mut current = StoredSession {
                id: opened.payload,
                key,
                saved: Some(record.revision),
                record,
                dirty: false,
                replaces: None,
            };
            touch_if_due(&*store, &spec, &mut current, now).await;
            // Re-seal whenever the cookie would die before its row (a touch
            // just now, or one whose response was lost), and to move a cookie
            // off a previous key.
            let reseal = opened.expires_at < current.record.expires_at || opened.previous_key;
            let pending = if reseal {
                seal_id(
                    &sessions,
                    &spec,
                    &current.id,
                    current.record.created_at,
                    now,
                )
                .ok()
            } else {
                None
            };
            session.status = SessionStatus::Valid;
            session.accept_record(&current.record, value);
            sessions.with_stored(type_id, spec, |state, _| state.current = Some(current));
            let found = state::Opened {
                status: SessionStatus::Valid,
                candidate: None,
            };
            sessions.opened(type_id, spec, found, pending);
            return Ok(session);
        }
        session.no_cookie_opened(first_error);
        Ok(session)
    }

    fn accept_record(&mut self, record: &Record, value: T) {
        self.status = SessionStatus::Valid;
        self.issued_at = Some(record.created_at);
        self.started_at = Some(record.created_at);
        self.expires_at = Some(record.expires_at);
        self.value = Some(value);
    }

    /// Store-mode `insert`: a new session under a fresh id, taking over the
    /// row of the session it replaces (if any) at the flush.
    pub(crate) fn insert_stored(&mut self, value: T) -> Result<(), (T, SessionError)> {
        let spec = T::SPEC;
        let now = self.sessions.shared.now();
        let user = value.session_user();
        let id = SessionId::generate_for(spec.namespace(), user.as_deref());
        let (data, sealed) = match self.encode_and_seal(&value, &id, now, now) {
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
        self.sessions
            .with_stored(TypeId::of::<T>(), spec, |state, cookie| {
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
        self.issued_at = Some(now);
        self.started_at = Some(now);
        self.expires_at = Some(spec.expiry(now, now));
        self.value = Some(value);
        Ok(())
    }

    /// `value` as row data, and `id` sealed as the cookie value of the
    /// session that started at `started`.
    fn encode_and_seal(
        &self,
        value: &T,
        id: &SessionId,
        started: u64,
        now: u64,
    ) -> Result<(Vec<u8>, Pending), SessionError> {
        let data = encode_json(value)?;
        let sealed = seal_id(&self.sessions, &T::SPEC, id, started, now)?;
        Ok((data, sealed))
    }

    /// Store-mode `update`: `value` (already changed) replaces the row's data
    /// under the same id, written at the flush if the row's revision is still
    /// the one loaded. A change of user moves the session to a new id on the
    /// new user's route (atomically, at the flush).
    pub(crate) fn update_stored(&mut self, value: T) -> Result<(), (T, SessionError)> {
        let spec = T::SPEC;
        let now = self.sessions.shared.now();
        let user = value.session_user();
        let current = self
            .sessions
            .with_stored(TypeId::of::<T>(), spec, |state, _| {
                state
                    .current
                    .as_ref()
                    .map(|current| (current.id.clone(), current.key, current.record.created_at))
            });
        // A value without a row cannot happen (both are set together); if it
        // did, starting a new session is the safe reading.
        let Some((id, key, started)) = current else {
            return self.insert_stored(value);
        };
        let on_route = user
            .as_deref()
            .is_none_or(|user| StoreKey::user_route(spec.namespace(), user) == key.route());
        let new_id =
            (!on_route).then(|| SessionId::generate_for(spec.namespace(), user.as_deref()));
        let sealed_id = new_id.as_ref().unwrap_or(&id);
        let (data, sealed) = match self.encode_and_seal(&value, sealed_id, started, now) {
            Ok(encoded) => encoded,
            Err(error) => return Err((value, error)),
        };
        let expires_at = spec.expiry(started, now);
        self.sessions
            .with_stored(TypeId::of::<T>(), spec, |state, cookie| {
                if let Some(current) = state.current.as_mut() {
                    if let Some(new_id) = new_id {
                        current.move_to(new_id, spec.namespace(), true);
                    }
                    current.record.data = data;
                    current.record.version = spec.version();
                    current.record.user = user;
                    current.record.touched_at = now;
                    current.record.expires_at = expires_at;
                    current.dirty = true;
                }
                *cookie = Some(sealed);
            });
        self.expires_at = Some(expires_at);
        self.value = Some(value);
        Ok(())
    }

    /// Store-mode `renew`: the same session under a fresh id (on the same
    /// route); at the flush the old row is moved there atomically, so the old
    /// cookie stops working.
    pub(crate) fn renew_stored(&mut self) -> Result<bool, SessionError> {
        let spec = T::SPEC;
        let Some(value) = self.value.as_ref() else {
            return Ok(false);
        };
        let now = self.sessions.shared.now();
        let id = SessionId::generate_for(spec.namespace(), value.session_user().as_deref());
        let started = self.started_at.unwrap_or(now);
        let sealed = seal_id(&self.sessions, &spec, &id, started, now)?;
        let expires_at = spec.expiry(started, now);
        let renewed = self
            .sessions
            .with_stored(TypeId::of::<T>(), spec, |state, cookie| {
                let Some(current) = state.current.as_mut() else {
                    return false;
                };
                current.move_to(id, spec.namespace(), true);
                current.record.touched_at = now;
                current.record.expires_at = expires_at;
                *cookie = Some(sealed);
                true
            });
        if renewed {
            self.expires_at = Some(expires_at);
        }
        Ok(renewed)
    }

    /// Store-mode `take`: the row is deleted at the flush and the cookie removed.
    pub(crate) fn remove_stored(&mut self) {
        self.sessions
            .with_stored(TypeId::of::<T>(), T::SPEC, |state, cookie| {
                if let Some(old) = state.current.take()
                    && let Some(row) = old.handover(false)
                {
                    state.deletes.push(row.key);
                }
                *cookie = Some(Pending::Remove);
            });
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
    ///   since it was loaded) or [`SessionError::Store`] (the store is
    ///   down): nothing was written, and the session is in the state it had
    ///   before this call, changes still pending. The layer tries them once
    ///   more after the handler unless the response is a server error (see
    ///   [`SessionLayer::save_on_server_error`](crate::SessionLayer::save_on_server_error));
    ///   answering with the returned error (409 or 503) is usually right.
    pub async fn save(&mut self) -> Result<(), SessionError> {
        if !T::SPEC.is_stored() {
            return Ok(());
        }
        let (type_id, spec) = (TypeId::of::<T>(), T::SPEC);
        let before = self.sessions.snapshot(type_id, spec);
        let result = flush(&self.sessions, type_id, spec).await;
        match &result {
            Ok(()) => {}
            Err(SessionError::Revoked { .. }) => {
                self.value = None;
                self.issued_at = None;
                self.expires_at = None;
            }
            Err(_) => self.sessions.restore(type_id, spec, before),
        }
        result
    }

    /// Ends every session of this type that the current user holds, on every
    /// device, this one included. Returns how many rows were deleted.
    ///
    /// The user is the payload's [`SessionPayload::session_user`]
    /// (`#[session(user = "…")]`); with no session or no user, nothing
    /// happens and `Ok(0)` is returned. To end another user's sessions (an
    /// admin banning someone), use
    /// [`SessionStoreExt::logout_all`](session_core::store::SessionStoreExt::logout_all)
    /// on the store.
    pub async fn logout_all(&mut self) -> Result<usize, SessionError> {
        let store = self.store_for_user_ops()?;
        let Some(user) = self.value.as_ref().and_then(SessionPayload::session_user) else {
            return Ok(0);
        };
        let ended = store.delete_user(T::SPEC.namespace(), &user, None).await?;
        // Already done in the store: the removal is sent even if the
        // handler then fails.
        self.sessions
            .commit_stored(TypeId::of::<T>(), T::SPEC, |state, cookie| {
                // Its row is gone already (or was never written).
                state.current = None;
                *cookie = Some(Pending::Remove);
            });
        self.value = None;
        self.issued_at = None;
        self.expires_at = None;
        Ok(ended)
    }

    /// Ends every other session of this type that the current user holds
    /// ("sign out other devices"), keeping this one. Writes this session's
    /// pending changes first, so the kept row exists. Returns how many rows
    /// were deleted; `Ok(0)` with no session or no user.
    pub async fn logout_others(&mut self) -> Result<usize, SessionError> {
        let store = self.store_for_user_ops()?;
        let Some(user) = self.value.as_ref().and_then(SessionPayload::session_user) else {
            return Ok(0);
        };
        self.save().await?;
        let Some(keep) = self.store_key() else {
            return Ok(0);
        };
        Ok(store
            .delete_user(T::SPEC.namespace(), &user, Some(&keep))
            .await?)
    }

    /// The current user's live sessions of this type, oldest first (for a
    /// "your devices" page; compare [`UserSession::key`] with
    /// [`store_key`](Self::store_key) to mark this one). Empty with no
    /// session or no user.
    pub async fn user_sessions(&self) -> Result<Vec<UserSession>, SessionError> {
        let store = self.store_for_user_ops()?;
        let Some(user) = self.value.as_ref().and_then(SessionPayload::session_user) else {
            return Ok(Vec::new());
        };
        let now = self.sessions.shared.now();
        Ok(store.list_user(T::SPEC.namespace(), &user, now).await?)
    }

    /// The at-rest key of the current session's row (store mode), if any.
    /// Not secret and not usable as a cookie: it is a hash of the id.
    pub fn store_key(&self) -> Option<StoreKey> {
        if !T::SPEC.is_stored() {
            return None;
        }
        self.sessions
            .with_stored(TypeId::of::<T>(), T::SPEC, |state, _| {
                state.current.as_ref().map(|current| current.key)
            })
    }

    fn store_for_user_ops(&self) -> Result<Arc<dyn SessionStore>, SessionError> {
        if !T::SPEC.is_stored() {
            return Err(SessionError::NotStored {
                type_name: T::SPEC.type_name(),
            });
        }
        // Extraction already refused a store-mode type without a store.
        self.sessions
            .shared
            .store
            .clone()
            .ok_or(SessionError::NotStored {
                type_name: T::SPEC.type_name(),
            })
    }
}

/// Seals `id` as `spec`'s cookie value for the session that started at `started`.
fn seal_id(
    sessions: &RequestSessions,
    spec: &SessionSpec,
    id: &SessionId,
    started: u64,
    now: u64,
) -> Result<Pending, SessionError> {
    let value = sessions.shared.keyring.seal_id_at(spec, id, started, now)?;
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
    current: &mut StoredSession,
    now: u64,
) {
    if now.saturating_sub(current.record.touched_at) < spec.touch_after_secs() {
        return;
    }
    let expires_at = spec.expiry(current.record.created_at, now);
    if expires_at <= current.record.expires_at {
        // At the absolute cap: a touch would not extend anything.
        return;
    }
    match store.touch(&current.key, now, expires_at, now).await {
        Ok(true) => {
            current.record.touched_at = now;
            current.record.expires_at = expires_at;
        }
        // Ended between load and touch: this request still had a valid
        // session; the next one will not.
        Ok(false) => {}
        Err(error) => tracing::warn!(
            target: "session_seal",
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
///    cleared; `Conflict` → 409);
/// 2. the rows of sessions ended in this request;
/// 3. the per-user cap, for a new row: only now, with the row it replaced
///    gone, so a renewal or re-login never evicts another device.
///
/// If step 2 or 3 fails, the row created in step 1 is deleted again (best
/// effort) so no half state stays behind, and the error is returned.
pub(crate) async fn flush(
    sessions: &RequestSessions,
    type_id: TypeId,
    spec: SessionSpec,
) -> Result<(), SessionError> {
    let Some(store) = sessions.shared.store.clone() else {
        return Ok(());
    };
    let now = sessions.shared.now();
    let (write, deletes) = sessions.with_stored(type_id, spec, |state, _| {
        let write = state
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
            });
        (write, std::mem::take(&mut state.deletes))
    });
    let mut created = None;
    if let Some((key, mut record, saved, replaces)) = write {
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
        sessions.with_stored(type_id, spec, |state, _| {
            if let Some(current) = state.current.as_mut().filter(|c| c.key == key) {
                current.saved = Some(record.revision);
                current.record.revision = record.revision;
                current.dirty = false;
                current.replaces = None;
            }
        });
    }
    let rest = async {
        for key in &deletes {
            store.delete(key).await?;
        }
        if let Some((key, Some(user))) = &created {
            enforce_max_per_user(&*store, &spec, user, *key, now).await?;
        }
        Ok::<(), SessionError>(())
    };
    if let Err(error) = rest.await {
        if let Some((key, _)) = &created {
            undo_create(&*store, &spec, key).await;
        }
        return Err(error);
    }
    sessions.commit_stored(type_id, spec, |_, _| ());
    Ok(())
}

/// The session's row is gone (a logout, ban or eviction landed while this
/// request ran): end it in this request too and clear its cookie.
fn revoked(sessions: &RequestSessions, type_id: TypeId, spec: SessionSpec) -> SessionError {
    tracing::info!(
        target: "session_seal",
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

fn conflict(spec: SessionSpec) -> SessionError {
    tracing::info!(
        target: "session_seal",
        cookie = spec.cookie(),
        "stored session changed by another request; not overwritten"
    );
    SessionError::Conflict {
        type_name: spec.type_name(),
    }
}

/// Deletes a row this flush created, after a later step failed. Best effort:
/// the store is likely failing; the row then expires by itself.
async fn undo_create(store: &dyn SessionStore, spec: &SessionSpec, key: &StoreKey) {
    if let Err(error) = store.delete(key).await {
        tracing::warn!(
            target: "session_seal",
            cookie = spec.cookie(),
            %error,
            "could not remove a half-written session; it expires by itself"
        );
    }
}
