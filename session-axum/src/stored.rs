//! Store mode in the layer: how a `#[session(store)]` type is loaded from its
//! cookie's id, changed, and written back to the [`SessionStore`].
//!
//! Reads happen at extraction (async); changes are recorded in the request
//! state, like cookie-mode changes, and written by [`flush`] either when the
//! handler calls [`TypedSession::save`] or, for whatever is left, by the layer
//! after the handler. Every change that starts a session under a new id
//! (`insert`, `renew`) deletes the old row in the same flush, so a fixated or
//! stolen id stops working.

use std::any::TypeId;
use std::sync::Arc;

use http::request::Parts;
use session_core::store::{
    Record, SaveOutcome, SessionId, SessionStore, StoreKey, UserSession, enforce_max_per_user,
};
use session_core::{OpenError, SessionPayload, SessionSpec, encode_json};

use crate::cookie;
use crate::extract::TypedSession;
use crate::rejection::{SessionError, SessionRejection};
use crate::state::{Pending, RequestSessions};
use crate::status::SessionStatus;

/// One store-mode type's state within a request.
#[derive(Default)]
pub(crate) struct StoredState {
    /// Set once the type was loaded or changed in this request, so a second
    /// extractor sees this request's view rather than the cookie.
    seen: bool,
    /// The session in use, if any.
    current: Option<StoredSession>,
    /// Rows to delete at the next flush (ids replaced or ended).
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
    /// The row's revision in the store; `None` until first written.
    saved: Option<u64>,
    /// `record` differs from the row.
    dirty: bool,
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
        let store = sessions
            .shared
            .store
            .clone()
            .ok_or(SessionRejection::MissingStore {
                type_name: spec.type_name(),
            })?;
        let mut session = TypedSession::empty(Arc::clone(&sessions));
        let earlier = sessions.with_stored(TypeId::of::<T>(), spec, |state, _| {
            state.seen.then(|| state.current.clone())
        });
        if let Some(current) = earlier {
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
            };
            let touched = touch_if_due(&*store, &spec, &mut current, now).await;
            let reseal = touched || opened.previous_key;
            let pending = if reseal {
                seal_id(
                    &sessions,
                    &spec,
                    &current.id,
                    current.record.created_at,
                    now,
                )
                .ok()
                .map(Pending::Set)
            } else {
                None
            };
            session.accept_record(&current.record, value);
            sessions.with_stored(TypeId::of::<T>(), spec, |state, cookie| {
                state.seen = true;
                state.current = Some(current);
                if let Some(pending) = pending {
                    *cookie = Some(pending);
                }
            });
            return Ok(session);
        }
        sessions.with_stored(TypeId::of::<T>(), spec, |state, _| state.seen = true);
        if let Some(error) = first_error {
            session.reject(error);
        }
        Ok(session)
    }

    fn accept_record(&mut self, record: &Record, value: T) {
        self.status = SessionStatus::Valid;
        self.issued_at = Some(record.created_at);
        self.started_at = Some(record.created_at);
        self.expires_at = Some(record.expires_at);
        self.value = Some(value);
    }

    /// Store-mode `insert`: a new session under a fresh id; the old row, if
    /// any, is deleted at the flush.
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
            expires_at: now.saturating_add(spec.max_age_secs()),
        };
        let fresh = StoredSession {
            key: StoreKey::derive(spec.namespace(), &id),
            id,
            record,
            saved: None,
            dirty: true,
        };
        self.sessions
            .with_stored(TypeId::of::<T>(), spec, |state, cookie| {
                state.seen = true;
                if let Some(old) = state.current.replace(fresh)
                    && old.saved.is_some()
                {
                    state.deletes.push(old.key);
                }
                *cookie = Some(Pending::Set(sealed));
            });
        self.issued_at = Some(now);
        self.started_at = Some(now);
        self.expires_at = Some(now.saturating_add(spec.max_age_secs()));
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
    ) -> Result<(Vec<u8>, String), SessionError> {
        let data = encode_json(value)?;
        let sealed = seal_id(&self.sessions, &T::SPEC, id, started, now)?;
        Ok((data, sealed))
    }

    /// Store-mode `update`: `value` (already changed) replaces the row's data
    /// under the same id, written at the flush if the row's revision is still
    /// the one loaded.
    pub(crate) fn update_stored(&mut self, value: T) -> Result<(), (T, SessionError)> {
        let spec = T::SPEC;
        let now = self.sessions.shared.now();
        let id = self
            .sessions
            .with_stored(TypeId::of::<T>(), spec, |state, _| {
                state
                    .current
                    .as_ref()
                    .map(|current| (current.id.clone(), current.record.created_at))
            });
        // A value without a row cannot happen (both are set together); if it
        // did, starting a new session is the safe reading.
        let Some((id, started)) = id else {
            return self.insert_stored(value);
        };
        let (data, sealed) = match self.encode_and_seal(&value, &id, started, now) {
            Ok(encoded) => encoded,
            Err(error) => return Err((value, error)),
        };
        let user = value.session_user();
        let expires_at = now.saturating_add(spec.max_age_secs());
        self.sessions
            .with_stored(TypeId::of::<T>(), spec, |state, cookie| {
                if let Some(current) = state.current.as_mut() {
                    current.record.data = data;
                    current.record.version = spec.version();
                    current.record.user = user;
                    current.record.touched_at = now;
                    current.record.expires_at = expires_at;
                    current.dirty = true;
                }
                *cookie = Some(Pending::Set(sealed));
            });
        self.expires_at = Some(expires_at);
        self.value = Some(value);
        Ok(())
    }

    /// Store-mode `renew`: the same data under a fresh id; the old row is
    /// deleted at the flush, so the old cookie stops working.
    pub(crate) fn renew_stored(&mut self) -> Result<bool, SessionError> {
        let spec = T::SPEC;
        let Some(value) = self.value.as_ref() else {
            return Ok(false);
        };
        let now = self.sessions.shared.now();
        let id = SessionId::generate_for(spec.namespace(), value.session_user().as_deref());
        let started = self.started_at.unwrap_or(now);
        let sealed = seal_id(&self.sessions, &spec, &id, started, now)?;
        let expires_at = now.saturating_add(spec.max_age_secs());
        let renewed = self
            .sessions
            .with_stored(TypeId::of::<T>(), spec, |state, cookie| {
                let Some(current) = state.current.as_mut() else {
                    return false;
                };
                if current.saved.is_some() {
                    state.deletes.push(current.key);
                }
                current.key = StoreKey::derive(spec.namespace(), &id);
                current.id = id;
                current.saved = None;
                current.dirty = true;
                current.record.touched_at = now;
                current.record.expires_at = expires_at;
                *cookie = Some(Pending::Set(sealed));
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
                state.seen = true;
                if let Some(old) = state.current.take()
                    && old.saved.is_some()
                {
                    state.deletes.push(old.key);
                }
                *cookie = Some(Pending::Remove);
            });
    }

    /// Writes this session's pending changes to the store now, instead of
    /// after the handler, so the handler can answer a failure itself.
    ///
    /// A no-op for cookie-mode types (their cookie is sealed at each change).
    /// On error the pending change is dropped: the browser keeps its previous
    /// cookie, the store its previous row, and the layer does not try again.
    /// [`SessionError::Conflict`] means another request changed this session
    /// since it was loaded; [`SessionError::Store`] means the store is down.
    pub async fn save(&mut self) -> Result<(), SessionError> {
        if !T::SPEC.is_stored() {
            return Ok(());
        }
        let result = flush(&self.sessions, TypeId::of::<T>(), T::SPEC).await;
        if result.is_err() {
            self.sessions
                .with_stored(TypeId::of::<T>(), T::SPEC, |state, cookie| {
                    state.deletes.clear();
                    if state.current.as_ref().is_some_and(|c| c.saved.is_none()) {
                        state.current = None;
                    } else if let Some(current) = state.current.as_mut() {
                        current.dirty = false;
                    }
                    *cookie = None;
                });
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
        self.sessions
            .with_stored(TypeId::of::<T>(), T::SPEC, |state, cookie| {
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
) -> Result<String, SessionError> {
    Ok(sessions.shared.keyring.seal_id_at(spec, id, started, now)?)
}

/// Pushes the row's expiry back to `now + max_age` if its last touch is at
/// least `touch_after` old. Returns whether it did. A failed touch is logged
/// and otherwise ignored: the row is still valid until its current expiry.
async fn touch_if_due(
    store: &dyn SessionStore,
    spec: &SessionSpec,
    current: &mut StoredSession,
    now: u64,
) -> bool {
    if now.saturating_sub(current.record.touched_at) < spec.touch_after_secs() {
        return false;
    }
    let expires_at = now.saturating_add(spec.max_age_secs());
    match store.touch(&current.key, now, expires_at, now).await {
        Ok(true) => {
            current.record.touched_at = now;
            current.record.expires_at = expires_at;
            true
        }
        // Ended between load and touch: this request still had a valid
        // session; the next one will not.
        Ok(false) => false,
        Err(error) => {
            tracing::warn!(
                target: "session_seal",
                cookie = spec.cookie(),
                %error,
                "could not touch stored session"
            );
            false
        }
    }
}

/// Writes one type's pending changes: the current row (compare-and-set on
/// its revision), the per-user cap for a new row, then the deletions.
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
            .map(|current| (current.key, current.record.clone(), current.saved));
        (write, std::mem::take(&mut state.deletes))
    });
    if let Some((key, mut record, expected)) = write {
        record.revision = expected.map_or(1, |revision| revision.saturating_add(1));
        if store.save(&key, &record, expected, now).await? == SaveOutcome::Conflict {
            tracing::info!(
                target: "session_seal",
                cookie = spec.cookie(),
                "stored session changed by another request; not overwritten"
            );
            return Err(SessionError::Conflict {
                type_name: spec.type_name(),
            });
        }
        sessions.with_stored(type_id, spec, |state, _| {
            if let Some(current) = state.current.as_mut().filter(|c| c.key == key) {
                current.saved = Some(record.revision);
                current.record.revision = record.revision;
                current.dirty = false;
            }
        });
        if expected.is_none()
            && let Some(user) = &record.user
        {
            enforce_max_per_user(&*store, &spec, user, key, now).await?;
        }
    }
    for key in deletes {
        store.delete(&key).await?;
    }
    Ok(())
}
