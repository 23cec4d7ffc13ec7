//! Store mode within one request, for any web framework: loading a type's
//! session from the request's cookies, the changes a handler makes
//! (`insert`, `update`, `renew`, `remove`), and writing them to the store.
//!
//! An adapter (session-axum's layer and extractor) keeps one [`StoreState`]
//! per store-mode type and request, calls [`load`] when the type is first
//! extracted, the `StoreState` methods when the handler changes the session,
//! and [`flush`] to write. It owns everything about HTTP: which cookies the
//! request carried ([`load`] takes them as an iterator of raw values), how a
//! sealed id ([`IdCookie`]) becomes a `Set-Cookie`, and how errors become
//! responses.
//!
//! The rules it keeps:
//!
//! - **Bounded reads.** Every cookie value whose seal opens names a row, and
//!   the first that loads wins; but each distinct id is looked up once, and
//!   at most [`MAX_STORE_LOOKUPS`] per request.
//! - **New ids, atomically.** A login over an existing session, a renewal
//!   and a change of user put the session under a fresh id, written with one
//!   [`SessionStore::move_session`].
//! - **Metadata of the login.** A new row (a login: [`StoreState::insert`],
//!   or `update` without a session) records the request's client address
//!   and user agent, as the adapter gave them with
//!   [`StoreState::set_request_meta`]; renewals, updates and changes of
//!   user carry the row's metadata over unchanged.
//! - **A written row stays.** Once [`flush`] has written the current row
//!   (and told the adapter, [`FlushAccess::written`], so its cookie is sent
//!   whatever happens next), later steps never undo it: a failing delete is
//!   an error with the deletes still pending; a failing per-user cap is
//!   logged and applied again at the next login.

use std::fmt;

use super::{
    Move, MoveOutcome, Record, SaveOutcome, SessionId, SessionMeta, SessionStore, StoreKey,
    enforce_max_per_user,
};
use crate::TRACING_TARGET;
use crate::error::{OpenError, SealError, StoreError};
use crate::fingerprint::ClientSignals;
use crate::keyring::Keyring;
use crate::opened::Opened;
use crate::payload::{SessionPayload, encode_json};
use crate::spec::SessionSpec;

/// The most rows one request looks up for one store-mode type.
///
/// A browser sends more than one cookie of a name only when it holds them
/// for several paths or domains (a session cookie scoped to `/admin` beside
/// one on `/`, or a host-only one left beside a domain one), which is two or
/// three in practice. A request can repeat one sealed value thousands of
/// times within the header limits, and each look-up is a round trip to the
/// store, so distinct ids are looked up once each and no more than this many
/// per request; the seal checks before them need no I/O.
pub const MAX_STORE_LOOKUPS: usize = 4;

/// A sealed session id to send as a store-mode type's cookie.
///
/// `Debug` hides the value: it is a bearer credential.
#[derive(Clone, PartialEq, Eq)]
pub struct IdCookie {
    /// The cookie's value.
    pub value: String,
    /// Unix seconds at which the value stops opening (the cookie's
    /// `Max-Age` is the time left until then).
    pub expires_at: u64,
}

impl fmt::Debug for IdCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdCookie")
            .field("value", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// One store-mode type's session within one request: the row in use, how it
/// relates to what the store holds, and the writes still to do.
#[derive(Clone, Default)]
pub struct StoreState {
    current: Option<StoredRow>,
    /// Rows to delete at the next flush (sessions ended in this request).
    deletes: Vec<StoreKey>,
    /// What a row this request creates records about its client.
    request_meta: SessionMeta,
}

/// The session in use and how it relates to its row.
#[derive(Clone)]
struct StoredRow {
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

impl StoredRow {
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
    fn move_to(&mut self, id: SessionId, continues: bool) {
        self.replaces = self.handover(continues);
        self.key = StoreKey::derive(&self.record.namespace, &id);
        self.id = id;
        self.saved = None;
        self.dirty = true;
    }
}

/// What [`load`] found in the request.
pub enum Loaded<T> {
    /// A cookie opened and its row loaded and decoded.
    Found {
        /// The type's state for the rest of the request.
        state: Box<StoreState>,
        /// The row's payload.
        value: T,
        /// The cookie to send because of the read: set when the cookie would
        /// expire before its row (after a touch, or when the response of an
        /// earlier touch was lost) or was sealed under a previous key.
        reissue: Option<IdCookie>,
    },
    /// No cookie led to a usable row: `None` if the request carried no
    /// cookie of the type's name, else why the first one was unusable
    /// (`Revoked` for a genuine cookie whose row is gone).
    Missing(Option<OpenError>),
}

/// Reads `T`'s session: the first of `candidates` (the raw values of the
/// request's cookies of `T`'s name, in the order sent) whose seal opens and
/// whose row loads and decodes as `T`.
///
/// Each distinct id is looked up once, and at most [`MAX_STORE_LOOKUPS`]
/// per call. A row whose last touch is at least `touch_after` old is
/// touched (best effort: a failed touch is logged, and the row stays valid
/// until its current expiry).
///
/// # Errors
///
/// A store error: the caller answers 503, never "no session".
pub async fn load<'a, T: SessionPayload>(
    store: &dyn SessionStore,
    keyring: &Keyring,
    candidates: impl IntoIterator<Item = &'a [u8]>,
    now: u64,
) -> Result<Loaded<T>, StoreError> {
    let spec = &T::SPEC;
    let mut scan = IdScan::new(keyring, spec, now);
    let mut candidates = candidates.into_iter();
    while let Some((opened, key)) = scan.next(&mut candidates) {
        let Some(record) = store.load(&key, now).await? else {
            scan.fail(OpenError::Revoked);
            continue;
        };
        let value = match decode::<T>(&record) {
            Ok(value) => value,
            Err(error) => {
                scan.fail(error);
                continue;
            }
        };
        let mut row = StoredRow {
            id: opened.payload,
            key,
            saved: Some(record.revision),
            record,
            dirty: false,
            replaces: None,
        };
        // A cookie that would die before its row (the response of an
        // earlier touch was lost) or that is under a previous key is
        // re-sealed, which gives it `now + max_age`: the row is touched to
        // match, so the cookie never outlives its row.
        let lags = opened.expires_at < row.record.expires_at || opened.previous_key;
        touch_if_due(store, spec, &mut row, now, lags).await;
        let reseal = opened.expires_at < row.record.expires_at || opened.previous_key;
        let reissue = if reseal {
            seal_id(keyring, spec, &row.id, row.record.created_at, now).ok()
        } else {
            None
        };
        let state = Box::new(StoreState {
            current: Some(row),
            deletes: Vec::new(),
            request_meta: SessionMeta::NONE,
        });
        return Ok(Loaded::Found {
            state,
            value,
            reissue,
        });
    }
    Ok(Loaded::Missing(scan.first_error))
}

/// The ids of a request's cookies of one store-mode type, opened, each
/// distinct one once and at most [`MAX_STORE_LOOKUPS`], with the first
/// reason a cookie was unusable.
pub(crate) struct IdScan<'k> {
    keyring: &'k Keyring,
    spec: &'k SessionSpec,
    now: u64,
    looked_up: Vec<StoreKey>,
    /// Why the first unusable cookie was unusable, if any was.
    pub(crate) first_error: Option<OpenError>,
}

impl<'k> IdScan<'k> {
    pub(crate) fn new(keyring: &'k Keyring, spec: &'k SessionSpec, now: u64) -> Self {
        IdScan {
            keyring,
            spec,
            now,
            looked_up: Vec::new(),
            first_error: None,
        }
    }

    /// The next of `candidates` whose seal opens and whose id was not
    /// looked up yet, with its store key; `None` when they run out or the
    /// limit is reached.
    pub(crate) fn next<'a>(
        &mut self,
        candidates: &mut impl Iterator<Item = &'a [u8]>,
    ) -> Option<(Opened<SessionId>, StoreKey)> {
        for candidate in candidates {
            let opened = std::str::from_utf8(candidate)
                .map_err(|_| OpenError::Malformed)
                .and_then(|value| self.keyring.open_id_at(self.spec, value, self.now));
            let opened = match opened {
                Ok(opened) => opened,
                Err(error) => {
                    self.fail(error);
                    continue;
                }
            };
            let key = StoreKey::derive(self.spec.namespace(), &opened.payload);
            if self.looked_up.contains(&key) {
                continue;
            }
            if self.looked_up.len() == MAX_STORE_LOOKUPS {
                tracing::info!(
                    target: TRACING_TARGET,
                    cookie = self.spec.cookie(),
                    limit = MAX_STORE_LOOKUPS,
                    "more distinct stored sessions in one request than are looked up; the rest are ignored"
                );
                return None;
            }
            self.looked_up.push(key);
            return Some((opened, key));
        }
        None
    }

    /// Records why a cookie was unusable, unless an earlier one was.
    pub(crate) fn fail(&mut self, error: OpenError) {
        self.first_error.get_or_insert(error);
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

impl StoreState {
    /// The row of the session in use (as this request will write it), if any.
    pub fn record(&self) -> Option<&Record> {
        self.current.as_ref().map(|row| &row.record)
    }

    /// The session in use, decoded as `T` (for a later extractor of `T` in
    /// the same request); `None` without one.
    pub fn decode<T: SessionPayload>(&self) -> Option<T> {
        decode::<T>(self.record()?).ok()
    }

    /// The at-rest key of the session in use, if any.
    pub fn key(&self) -> Option<StoreKey> {
        self.current.as_ref().map(|row| row.key)
    }

    /// Whether the session in use was bound at login to a browser other
    /// than the one `signals` describe: its row records a fingerprint
    /// ([`crate::fingerprint`]) that matches `signals` under none of the
    /// keyring's secrets. `false` without a session, for a type that binds
    /// no fingerprint, and for a row written before its type did (it
    /// records none).
    pub fn fingerprint_differs(
        &self,
        keyring: &Keyring,
        spec: &SessionSpec,
        signals: &ClientSignals<'_>,
    ) -> bool {
        let recorded = self
            .record()
            .and_then(|record| record.meta.fingerprint().copied());
        match recorded {
            Some(recorded) if spec.binds_fingerprint() => {
                !keyring.fingerprint_matches(spec, &recorded, signals)
            }
            _ => false,
        }
    }

    /// Sets what a row this request creates (at [`insert`](Self::insert),
    /// or [`update`](Self::update) without a session in use) records about
    /// the client: the adapter's reading of the request's address and user
    /// agent, or [`SessionMeta::NONE`] (the default) to record nothing.
    /// Rows that already exist keep their own: a renewal, an update or a
    /// change of user never changes a row's metadata.
    pub fn set_request_meta(&mut self, meta: SessionMeta) {
        self.request_meta = meta;
    }

    /// What a row this request creates records (see
    /// [`set_request_meta`](Self::set_request_meta)).
    pub fn request_meta(&self) -> &SessionMeta {
        &self.request_meta
    }

    /// Whether the store has not yet seen some change.
    pub fn has_work(&self) -> bool {
        !self.deletes.is_empty() || self.current.as_ref().is_some_and(|row| row.dirty)
    }

    /// Starts a new session with `value` under a fresh id, taking over the
    /// row of the session this request had (if any) at the next flush: a
    /// login replaces whatever this browser had, whatever its revision. The
    /// new row records the [request's metadata](Self::set_request_meta). On
    /// error nothing changes.
    ///
    /// # Errors
    ///
    /// `value` cannot be serialized, or the id cannot be sealed.
    pub fn insert<T: SessionPayload>(
        &mut self,
        keyring: &Keyring,
        value: &T,
        now: u64,
    ) -> Result<IdCookie, SealError> {
        let Payload { spec, user, data } = Payload::of(value)?;
        let id = SessionId::generate_for(spec.namespace(), user.as_deref());
        let cookie = seal_id(keyring, spec, &id, now, now)?;
        let record = Record {
            namespace: spec.namespace().to_owned(),
            user,
            version: spec.version(),
            data,
            revision: 0,
            created_at: now,
            touched_at: now,
            expires_at: spec.expiry(now, now),
            meta: self.request_meta.clone(),
        };
        let replaces = self.current.take().and_then(|old| old.handover(false));
        self.current = Some(StoredRow {
            key: StoreKey::derive(spec.namespace(), &id),
            id,
            record,
            saved: None,
            dirty: true,
            replaces,
        });
        Ok(cookie)
    }

    /// Replaces the session's data with `value` under the same id, written
    /// at the next flush if the row's revision is still the one loaded. A
    /// change of user moves the session to a new id on the new user's route
    /// (atomically, at the flush). The row keeps its metadata. Without a
    /// session in use this starts one ([`insert`](Self::insert)). On error
    /// nothing changes.
    ///
    /// # Errors
    ///
    /// As [`insert`](Self::insert).
    pub fn update<T: SessionPayload>(
        &mut self,
        keyring: &Keyring,
        value: &T,
        now: u64,
    ) -> Result<IdCookie, SealError> {
        let Some(row) = self.current.as_ref() else {
            return self.insert(keyring, value, now);
        };
        let Payload { spec, user, data } = Payload::of(value)?;
        let started = row.record.created_at;
        let on_route = user
            .as_deref()
            .is_none_or(|user| StoreKey::user_route(spec.namespace(), user) == row.key.route());
        let new_id =
            (!on_route).then(|| SessionId::generate_for(spec.namespace(), user.as_deref()));
        let cookie = seal_id(
            keyring,
            spec,
            new_id.as_ref().unwrap_or(&row.id),
            started,
            now,
        )?;
        if let Some(row) = self.current.as_mut() {
            if let Some(new_id) = new_id {
                row.move_to(new_id, true);
            }
            row.record.data = data;
            row.record.version = spec.version();
            row.record.user = user;
            row.record.touched_at = now;
            row.record.expires_at = spec.expiry(started, now);
            row.dirty = true;
        }
        Ok(cookie)
    }

    /// Moves the session to a fresh id on the same route with a fresh
    /// lifetime (never past its absolute one); at the next flush the old row
    /// is moved there atomically, so the old cookie stops working. The row
    /// keeps its metadata (that of the login). `None` without a session in
    /// use. On error nothing changes.
    ///
    /// # Errors
    ///
    /// The id cannot be sealed (the session reached its absolute lifetime).
    pub fn renew(
        &mut self,
        keyring: &Keyring,
        spec: &SessionSpec,
        now: u64,
    ) -> Result<Option<IdCookie>, SealError> {
        let Some(row) = self.current.as_mut() else {
            return Ok(None);
        };
        let id = SessionId::generate_for(spec.namespace(), row.record.user.as_deref());
        let started = row.record.created_at;
        let cookie = seal_id(keyring, spec, &id, started, now)?;
        row.move_to(id, true);
        row.record.touched_at = now;
        row.record.expires_at = spec.expiry(started, now);
        Ok(Some(cookie))
    }

    /// Ends the session in use: its row is deleted at the next flush.
    pub fn remove(&mut self) {
        if let Some(row) = self.current.take().and_then(|old| old.handover(false)) {
            self.deletes.push(row.key);
        }
    }

    /// Forgets the session in use without deleting anything: its row is
    /// gone already (ended by another request, or by this one's
    /// `logout_all`).
    pub fn forget(&mut self) {
        self.current = None;
    }
}

/// How [`flush`] reaches the [`StoreState`] it writes, which the adapter
/// keeps (usually behind a lock shared by the request's extractors), and
/// tells it what happened.
pub trait FlushAccess {
    /// Runs `f` on the state. `flush` never holds it across a store call.
    fn with_state<R>(&self, f: impl FnOnce(&mut StoreState) -> R) -> R;

    /// The session in use is now in the store as the pending cookie names
    /// it: from now on every response must carry that cookie, an error
    /// response included.
    fn written(&self);
}

/// Why [`flush`] could not write everything.
#[derive(Debug)]
pub enum FlushError {
    /// The session's row was gone (a logout, ban or eviction landed while
    /// the request ran): nothing was written, and the state no longer has a
    /// session; the adapter clears the cookie.
    Revoked,
    /// Another request changed the session since it was loaded: nothing of
    /// it was written, and the changes are still pending.
    Conflict,
    /// The store failed. What was written stays written (a new row is never
    /// undone); what was not is still pending.
    Store(StoreError),
}

impl From<StoreError> for FlushError {
    fn from(error: StoreError) -> Self {
        FlushError::Store(error)
    }
}

/// Writes the pending changes of `spec`'s type, in this order:
///
/// 1. the session in use: a compare-and-set `save` on its revision, or, if
///    it is under a new id, an atomic `move_session` from the row it takes
///    over. Once this succeeds the adapter is told
///    ([`FlushAccess::written`]);
/// 2. the rows of sessions ended in this request; on a failure the deletes
///    not yet done stay pending, so a later flush retries them;
/// 3. the per-user cap, for a new row: only now, with the row it replaced
///    gone, so a renewal or re-login never evicts another device. Best
///    effort: a failure is logged, and the next login applies the cap again.
///
/// # Errors
///
/// See [`FlushError`]. On any error the state describes exactly what the
/// store holds and what is still to do.
pub async fn flush(
    store: &dyn SessionStore,
    spec: &SessionSpec,
    access: &impl FlushAccess,
    now: u64,
) -> Result<(), FlushError> {
    let created = write_current(store, access, now).await?;
    delete_ended(store, access).await?;
    if let Some((key, Some(user))) = &created
        && let Err(error) = enforce_max_per_user(store, spec, user, *key, now).await
    {
        tracing::warn!(
            target: TRACING_TARGET,
            cookie = spec.cookie(),
            %error,
            "could not apply max_per_user after a login; the next login applies it"
        );
    }
    Ok(())
}

/// Step 1 of [`flush`]: writes the session in use if it changed. Returns
/// the key and user of a row this write created (a new session, or one
/// moved to a new id), for the per-user cap.
async fn write_current(
    store: &dyn SessionStore,
    access: &impl FlushAccess,
    now: u64,
) -> Result<Option<(StoreKey, Option<String>)>, FlushError> {
    let write = access.with_state(|state| {
        state
            .current
            .as_ref()
            .filter(|row| row.dirty)
            .map(|row| (row.key, row.record.clone(), row.saved, row.replaces))
    });
    let Some((key, mut record, saved, replaces)) = write else {
        return Ok(None);
    };
    let user = record.user.clone();
    let (revision, created) = if let Some(replaced) = replaces {
        record.revision = replaced
            .expected
            .map_or(1, |revision| revision.saturating_add(1));
        let revision = record.revision;
        let change = Move::new(replaced.key, replaced.expected, key, record, now)?;
        match store.move_session(&change).await? {
            MoveOutcome::Moved => (revision, true),
            MoveOutcome::Gone => {
                access.with_state(|state| {
                    state.current = None;
                    state.deletes.clear();
                });
                return Err(FlushError::Revoked);
            }
            MoveOutcome::Conflict => return Err(FlushError::Conflict),
        }
    } else {
        record.revision = saved.map_or(1, |revision| revision.saturating_add(1));
        if store.save(&key, &record, saved, now).await? == SaveOutcome::Conflict {
            return Err(FlushError::Conflict);
        }
        (record.revision, saved.is_none())
    };
    access.with_state(|state| {
        if let Some(row) = state.current.as_mut().filter(|row| row.key == key) {
            row.saved = Some(revision);
            row.record.revision = revision;
            row.dirty = false;
            row.replaces = None;
        }
    });
    access.written();
    Ok(created.then_some((key, user)))
}

/// Step 2 of [`flush`]: deletes the rows of sessions ended in this request.
/// On a failure the deletes not yet done stay pending.
async fn delete_ended(
    store: &dyn SessionStore,
    access: &impl FlushAccess,
) -> Result<(), FlushError> {
    let deletes = access.with_state(|state| state.deletes.clone());
    for key in deletes {
        store.delete(&key).await?;
        access.with_state(|state| state.deletes.retain(|pending| *pending != key));
    }
    Ok(())
}

/// What [`StoreState::insert`] and [`StoreState::update`] write of a
/// value: its type's spec, its user and its JSON. Serialized before
/// anything changes, so that a value that cannot be leaves the state as it
/// was.
struct Payload {
    spec: &'static SessionSpec,
    user: Option<String>,
    data: Vec<u8>,
}

impl Payload {
    fn of<T: SessionPayload>(value: &T) -> Result<Self, SealError> {
        Ok(Payload {
            spec: &T::SPEC,
            user: value.session_user(),
            data: encode_json(value)?,
        })
    }
}

/// Seals `id` as `spec`'s cookie value for the session that started at
/// `started`.
pub(crate) fn seal_id(
    keyring: &Keyring,
    spec: &SessionSpec,
    id: &SessionId,
    started: u64,
    now: u64,
) -> Result<IdCookie, SealError> {
    let value = keyring.seal_id_at(spec, id, started, now)?;
    Ok(IdCookie {
        value,
        expires_at: spec.expiry(started.min(now), now),
    })
}

/// Pushes the row's expiry back to `now + max_age` (never past the
/// session's absolute lifetime) if its last touch is at least `touch_after`
/// old, or the cookie is about to be re-sealed (`resealing`), and that
/// moves the expiry. A failed touch is logged and otherwise ignored: the
/// row is still valid until its current expiry.
async fn touch_if_due(
    store: &dyn SessionStore,
    spec: &SessionSpec,
    row: &mut StoredRow,
    now: u64,
    resealing: bool,
) {
    if !resealing && now.saturating_sub(row.record.touched_at) < spec.touch_after_secs() {
        return;
    }
    let expires_at = spec.expiry(row.record.created_at, now);
    if expires_at <= row.record.expires_at {
        // At the absolute cap: a touch would not extend anything.
        return;
    }
    match store.touch(&row.key, expires_at, now).await {
        Ok(true) => {
            row.record.touched_at = now;
            row.record.expires_at = expires_at;
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

#[cfg(test)]
mod tests;
