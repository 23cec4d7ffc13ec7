//! The refresh side of hybrid sessions (DESIGN §12): a long-lived
//! store-mode session whose id is rotated on every use, with reuse
//! detection and renewal leases. Framework-neutral: the axum layer calls
//! [`start`], [`refresh`] and [`end_current`] and turns their results
//! into cookies.
//!
//! # One login is a family
//!
//! A login starts a *family*: a random [`FamilyId`] and a first refresh
//! id. The family's one live row is stored under the current id's
//! [`StoreKey`], with the payload after the family id
//! (`family (16 bytes) ‖ JSON`), indexed under its user like any stored
//! session. Every refresh moves the row to a new id (an atomic
//! [`SessionStore::move_session`]) that keeps the family and the row's
//! `created_at`, so the refresh type's `absolute_max_age` covers the
//! whole family.
//!
//! # Tombstones, reuse and leases
//!
//! Before the row moves, the rotated-out id gets a *tombstone*: a row
//! under the id's [`StoreKey::tombstone`] key (its own hash domain, never a
//! session's key), anonymous (not in any user index), version `0`, whose
//! data is `family ‖ user` and whose `touched_at` is when the rotation
//! began. It lives as long as the rotated-out cookie could still open.
//!
//! - The tombstone is written with a create-if-absent
//!   [`SessionStore::save`] *before* the move: that write is the **lease**.
//!   A request that presents an id while its tombstone is younger than the
//!   lease window (default [`DEFAULT_LEASE_SECS`]) is a concurrent renewal
//!   (two tabs, a retried request), not a theft: it gets the same rotation
//!   result.
//! - The id a rotation moves to is not random but the *successor* of the
//!   old one: HMAC-SHA256 under the refresh type's own purpose key
//!   (HKDF info `"session-seal/v1 refresh" 0x00 ‖ B`) of the old id,
//!   keeping its 16-bit route. Every request sharing a lease therefore
//!   computes the same new id and issues the same session; the atomic move
//!   makes exactly one of them write it, and no second row ever exists.
//!   Only a holder of the secret can compute a successor.
//! - An id presented again after its lease window, once its row has moved
//!   on, is a **reuse**: someone holds a copy of a rotated-out refresh
//!   cookie. The whole family ends: every row of the family is deleted
//!   ([`end_family`]), and [`refresh`] reports [`Refreshed::Reused`] so the
//!   caller can revoke the family's access cookies and alert the user.
//!
//! A rotation that began but never moved the row (the process died
//! between the two writes) leaves a live row with a tombstone; the next
//! presentation after the lease window renews the tombstone and finishes
//! the rotation, so a crash is never mistaken for a theft.
//!
//! The lease needs nothing of a backend beyond the contract every store
//! already keeps: a create-if-absent `save` that exactly one of many
//! concurrent writers wins, and an atomic move. The conformance suite
//! checks both on every backend.

use std::fmt;

use hmac::Mac as _;
use rand::TryRngCore as _;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

use super::id::SessionId;
use super::request::{IdCookie, IdScan, seal_id as seal};
use super::{Move, MoveOutcome, Record, SaveOutcome, SessionMeta, SessionStore, StoreKey};
use crate::TRACING_TARGET;
use crate::error::{OpenError, SealError, StoreError};
use crate::keyring::Keyring;
use crate::payload::{SessionPayload, encode_json};
use crate::spec::SessionSpec;
use crate::wire;

/// The default lease window in seconds: requests presenting one refresh id
/// within this long of its rotation share the rotation's result.
pub const DEFAULT_LEASE_SECS: u64 = 10;

/// Bytes of a [`FamilyId`].
pub const FAMILY_ID_LEN: usize = 16;

/// The schema version of a tombstone row: never a valid payload version
/// (specs start at 1), so a tombstone read as a session fails to decode.
pub const TOMBSTONE_VERSION: u32 = 0;

/// The id of one login's family of refresh sessions: random, kept by
/// every rotation, stored in the row and in its tombstones.
///
/// Not a credential (it opens nothing), but still kept out of logs:
/// [`correlation`](Self::correlation) is what events carry. `Debug` shows
/// only that.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FamilyId([u8; FAMILY_ID_LEN]);

impl FamilyId {
    /// A fresh family id from the operating system's random source.
    ///
    /// # Panics
    ///
    /// If the operating system cannot supply random bytes, as
    /// [`SessionId::generate`].
    pub fn generate() -> Self {
        let mut bytes = [0u8; FAMILY_ID_LEN];
        #[allow(clippy::expect_used)] // documented: no OS randomness, no ids.
        OsRng
            .try_fill_bytes(&mut bytes)
            .expect("the operating system's random number generator failed");
        FamilyId(bytes)
    }

    /// A short hash of the id (16 hex digits of SHA-256 under its own
    /// domain), to correlate log lines and hook calls about one family.
    pub fn correlation(&self) -> String {
        short_hash(b"session-seal/family/v1\0", &self.0)
    }
}

impl fmt::Debug for FamilyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FamilyId({})", self.correlation())
    }
}

/// 16 hex digits of `SHA-256(domain ‖ bytes)`.
fn short_hash(domain: &[u8], bytes: &[u8]) -> String {
    let digest = Sha256::new()
        .chain_update(domain)
        .chain_update(bytes)
        .finalize();
    digest
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

impl StoreKey {
    /// The key of the tombstone `namespace`'s refresh id `id` leaves when it
    /// is rotated: a hash of the id under its own domain, so it is never
    /// the key of a session row (see the [module docs](self)).
    pub fn tombstone(namespace: &str, id: &SessionId) -> Self {
        StoreKey::from_bytes(wire::id::tombstone_key(namespace, id.as_bytes()))
    }
}

impl Keyring {
    /// The id `spec`'s refresh id `id` is rotated to: HMAC-SHA256 under the
    /// binding's refresh purpose key (primary secret) of the id, with the
    /// id's 16-bit route kept (see the [module docs](self)).
    ///
    /// # Errors
    ///
    /// [`SealError::VerifyOnly`] for a keyring of public keys only.
    pub fn refresh_successor(
        &self,
        spec: &SessionSpec,
        id: &SessionId,
    ) -> Result<SessionId, SealError> {
        let mut mac = self.successor_mac(spec).ok_or(SealError::VerifyOnly)?;
        mac.update(id.as_bytes());
        let tag = mac.finalize().into_bytes();
        let mut next = [0u8; super::SESSION_ID_LEN];
        for (out, byte) in next.iter_mut().zip(tag.iter()) {
            *out = *byte;
        }
        let mut next = SessionId::from_bytes(next);
        next.set_route(id.route());
        Ok(next)
    }
}

/// The data of a family's live row: `family ‖ payload JSON`.
fn row_data(family: &FamilyId, payload: &[u8]) -> Vec<u8> {
    let mut data = Vec::with_capacity(FAMILY_ID_LEN + payload.len());
    data.extend_from_slice(&family.0);
    data.extend_from_slice(payload);
    data
}

/// The family and payload JSON of a live row's data; `None` if it is too
/// short to hold a family.
pub fn split_row(data: &[u8]) -> Option<(FamilyId, &[u8])> {
    let (family, payload) = data.split_first_chunk::<FAMILY_ID_LEN>()?;
    Some((FamilyId(*family), payload))
}

/// A tombstone's family and user; `None` for a row that is not one.
fn read_tombstone(record: &Record) -> Option<(FamilyId, String)> {
    if record.version != TOMBSTONE_VERSION || record.user.is_some() {
        return None;
    }
    let (family, user) = record.data.split_first_chunk::<FAMILY_ID_LEN>()?;
    let user = std::str::from_utf8(user).ok()?;
    Some((FamilyId(*family), user.to_owned()))
}

/// One refresh session: its live row, the family it belongs to and the
/// cookie that carries its id.
#[derive(Clone, Debug)]
pub struct RefreshSession {
    /// The row (its data is `family ‖ payload`: see [`payload`](Self::payload)).
    pub record: Record,
    /// The family of the login.
    pub family: FamilyId,
    /// The row's key (for "your devices" and ending it).
    pub key: StoreKey,
    /// The sealed id to send as the refresh type's cookie.
    pub cookie: IdCookie,
}

impl RefreshSession {
    /// The refresh payload's JSON (the row's data after the family id).
    pub fn payload(&self) -> &[u8] {
        self.record.data.get(FAMILY_ID_LEN..).unwrap_or_default()
    }

    /// The user the family belongs to.
    pub fn user(&self) -> &str {
        self.record.user.as_deref().unwrap_or_default()
    }
}

/// Starts a family (a login) for the user `refresh` names: a new row
/// under a fresh id, holding `refresh` (under its type's current schema
/// version).
///
/// # Errors
///
/// [`StartError::MissingUser`] when `refresh` names no user,
/// [`StartError::Store`] for an unusable store, [`StartError::Seal`] when
/// the payload cannot be serialized or the cookie sealed (a verify-only
/// keyring).
pub async fn start<R: SessionPayload>(
    store: &dyn SessionStore,
    keyring: &Keyring,
    refresh: &R,
    meta: SessionMeta,
    now: u64,
) -> Result<RefreshSession, StartError> {
    let spec = &R::SPEC;
    let user = refresh.session_user().ok_or(StartError::MissingUser)?;
    let payload = encode_json(refresh)?;
    let family = FamilyId::generate();
    let record = Record {
        namespace: spec.namespace().to_owned(),
        user: Some(user.clone()),
        version: spec.version(),
        data: row_data(&family, &payload),
        revision: 1,
        created_at: now,
        touched_at: now,
        expires_at: spec.expiry(now, now),
        meta,
    };
    // A fresh 192-bit id never collides; a second try covers the
    // impossible rather than reporting it as an outage.
    for _ in 0..2 {
        let id = SessionId::generate_for(spec.namespace(), Some(&user));
        let key = StoreKey::derive(spec.namespace(), &id);
        if store.save(&key, &record, None, now).await? == SaveOutcome::Saved {
            let cookie = seal(keyring, spec, &id, now, now)?;
            return Ok(RefreshSession {
                record,
                family,
                key,
                cookie,
            });
        }
    }
    Err(StartError::Store(StoreError::unavailable(
        "a fresh refresh id was taken twice",
    )))
}

/// Why [`start`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The refresh payload names no user ([`SessionPayload::session_user`]).
    #[error("a refresh session must name its user")]
    MissingUser,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The id could not be sealed.
    #[error(transparent)]
    Seal(#[from] SealError),
}

/// What [`refresh`] found.
#[derive(Debug)]
pub enum Refreshed {
    /// The family continues under a new id: rotated by this call, or by a
    /// concurrent one within the lease window (`shared`).
    Rotated {
        /// The family's session under its new id, with the cookie to send.
        session: RefreshSession,
        /// Another request made the rotation; this one shares its result.
        shared: bool,
    },
    /// A rotated-out id came back after its lease window: the family has
    /// been ended (its rows deleted).
    Reused {
        /// The family that ended.
        family: FamilyId,
        /// Its user.
        user: String,
        /// How many live rows were deleted (0 if the family had ended
        /// already).
        ended: usize,
        /// A short hash of the presented id's key, for logs.
        presented: String,
    },
    /// No cookie led to a family: `None` without a cookie of the type's
    /// name, else why the first one was unusable (`Revoked` for a genuine
    /// id whose family ended, `Expired` past the family's absolute
    /// lifetime).
    Missing(Option<OpenError>),
}

/// Rotates the family of the first of `candidates` (the raw values of the
/// request's refresh cookies, in the order sent) that opens and leads to a
/// family: see the [module docs](self) for leases and reuse.
///
/// Each distinct id is looked up once, and at most
/// [`MAX_STORE_LOOKUPS`](super::MAX_STORE_LOOKUPS) per call.
///
/// # Errors
///
/// A store error: the caller answers 503, never "no session".
pub async fn refresh<'a>(
    store: &dyn SessionStore,
    keyring: &Keyring,
    spec: &SessionSpec,
    candidates: impl IntoIterator<Item = &'a [u8]>,
    lease_secs: u64,
    now: u64,
) -> Result<Refreshed, StoreError> {
    let mut scan = IdScan::new(keyring, spec, now);
    let mut candidates = candidates.into_iter();
    while let Some((opened, key)) = scan.next(&mut candidates) {
        let id = opened.payload;
        let presented = Presented {
            id,
            key,
            expires_at: opened.expires_at,
        };
        let outcome = match store.load(&key, now).await? {
            Some(row) => rotate(store, keyring, spec, &presented, row, lease_secs, now).await?,
            None => after_rotation(store, keyring, spec, &presented, lease_secs, now).await?,
        };
        match outcome {
            Refreshed::Missing(error) => scan.fail(error.unwrap_or(OpenError::Revoked)),
            done => return Ok(done),
        }
    }
    Ok(Refreshed::Missing(scan.first_error))
}

/// The id a request presented, opened.
struct Presented {
    id: SessionId,
    key: StoreKey,
    /// When its cookie stops opening: its tombstone lives as long.
    expires_at: u64,
}

/// Rotates the live row `row` of the presented id: takes the lease (the
/// tombstone), then moves the row to the successor id.
async fn rotate(
    store: &dyn SessionStore,
    keyring: &Keyring,
    spec: &SessionSpec,
    presented: &Presented,
    row: Record,
    lease_secs: u64,
    now: u64,
) -> Result<Refreshed, StoreError> {
    let (Some((family, _)), Some(user)) = (split_row(&row.data), row.user.clone()) else {
        return Ok(Refreshed::Missing(Some(OpenError::Malformed)));
    };
    if row.namespace != spec.namespace() {
        return Ok(Refreshed::Missing(Some(OpenError::Malformed)));
    }
    let expires_at = spec.expiry(row.created_at, now);
    if expires_at <= now {
        // Past the family's absolute lifetime: it ends here.
        store.delete(&presented.key).await?;
        return Ok(Refreshed::Missing(Some(OpenError::Expired {
            expired_at: expires_at,
        })));
    }
    let tombstone_key = StoreKey::tombstone(spec.namespace(), &presented.id);
    let tombstone = Record {
        namespace: spec.namespace().to_owned(),
        user: None,
        version: TOMBSTONE_VERSION,
        data: row_data(&family, user.as_bytes()),
        revision: 1,
        created_at: row.created_at,
        touched_at: now,
        expires_at: presented.expires_at.max(now.saturating_add(lease_secs)),
        meta: SessionMeta::NONE,
    };
    let mut shared = false;
    if store.save(&tombstone_key, &tombstone, None, now).await? == SaveOutcome::Conflict {
        // Someone else holds (or held) the lease on this id.
        shared = true;
        if let Some(held) = store.load(&tombstone_key, now).await?
            && !within_lease(&held, lease_secs, now)
        {
            // The row is still here although its lease ran out: a rotation
            // that never finished. Take the lease over and finish it (if
            // another request does so first, this one shares its result).
            let renewed = Record {
                revision: held.revision.saturating_add(1),
                ..tombstone
            };
            let outcome = store
                .save(&tombstone_key, &renewed, Some(held.revision), now)
                .await?;
            shared = outcome == SaveOutcome::Conflict;
        }
    }
    let next = keyring
        .refresh_successor(spec, &presented.id)
        .map_err(|_| StoreError::unavailable("a verify-only keyring cannot rotate refresh ids"))?;
    let next_key = StoreKey::derive(spec.namespace(), &next);
    // The row moves as it is (a refresh session's payload never changes),
    // touched now and sliding to its new expiry.
    let moved = Record {
        touched_at: now,
        expires_at,
        ..row
    };
    let change = Move::new(presented.key, Some(row.revision), next_key, moved, now)?;
    let record = match store.move_session(&change).await? {
        MoveOutcome::Moved => change.record().clone(),
        // Another request of the lease moved it first, or the family ended
        // meanwhile: whatever the successor's row says now is the answer.
        MoveOutcome::Gone | MoveOutcome::Conflict => {
            shared = true;
            match store.load(&next_key, now).await? {
                Some(record) => record,
                None => return Ok(Refreshed::Missing(Some(OpenError::Revoked))),
            }
        }
    };
    continued(keyring, spec, &next, next_key, record, family, shared, now)
}

/// The presented id has no live row: a rotated-out id (shared within its
/// lease, a reuse after it) or an ended family.
async fn after_rotation(
    store: &dyn SessionStore,
    keyring: &Keyring,
    spec: &SessionSpec,
    presented: &Presented,
    lease_secs: u64,
    now: u64,
) -> Result<Refreshed, StoreError> {
    let tombstone_key = StoreKey::tombstone(spec.namespace(), &presented.id);
    let Some(tombstone) = store.load(&tombstone_key, now).await? else {
        return Ok(Refreshed::Missing(Some(OpenError::Revoked)));
    };
    let Some((family, user)) = read_tombstone(&tombstone) else {
        return Ok(Refreshed::Missing(Some(OpenError::Malformed)));
    };
    if within_lease(&tombstone, lease_secs, now) {
        let next = keyring
            .refresh_successor(spec, &presented.id)
            .map_err(|_| {
                StoreError::unavailable("a verify-only keyring cannot rotate refresh ids")
            })?;
        let next_key = StoreKey::derive(spec.namespace(), &next);
        return match store.load(&next_key, now).await? {
            Some(record) if split_row(&record.data).is_some_and(|(f, _)| f == family) => {
                continued(keyring, spec, &next, next_key, record, family, true, now)
            }
            _ => Ok(Refreshed::Missing(Some(OpenError::Revoked))),
        };
    }
    let ended = end_family(store, spec, &user, family, now).await?;
    let presented = short_hash(b"session-seal/presented/v1\0", presented.key.as_bytes());
    tracing::warn!(
        target: TRACING_TARGET,
        cookie = spec.cookie(),
        family = %family.correlation(),
        presented = %presented,
        ended,
        "a rotated-out refresh id was presented again: the login's family is ended"
    );
    Ok(Refreshed::Reused {
        family,
        user,
        ended,
        presented,
    })
}

/// Whether `tombstone`'s rotation began less than `lease_secs` before `now`.
fn within_lease(tombstone: &Record, lease_secs: u64, now: u64) -> bool {
    now < tombstone.touched_at.saturating_add(lease_secs)
}

/// The family's session under `id`, with its cookie.
#[allow(clippy::too_many_arguments)] // one call site each, all of a rotation's parts
fn continued(
    keyring: &Keyring,
    spec: &SessionSpec,
    id: &SessionId,
    key: StoreKey,
    record: Record,
    family: FamilyId,
    shared: bool,
    now: u64,
) -> Result<Refreshed, StoreError> {
    let cookie = seal(keyring, spec, id, record.created_at, now)
        .map_err(|_| StoreError::unavailable("a verify-only keyring cannot seal refresh ids"))?;
    Ok(Refreshed::Rotated {
        session: RefreshSession {
            record,
            family,
            key,
            cookie,
        },
        shared,
    })
}

/// How many passes [`end_family`] makes at most: a rotation racing the
/// end can move the row after it is listed; the next pass finds it under
/// its new key.
const END_FAMILY_PASSES: usize = 3;

/// Ends `family` of `user`: deletes every live row of it. Returns how many
/// were deleted. Tombstones stay (an old id presented later is still
/// recognised) and expire by themselves.
///
/// # Errors
///
/// A store error.
pub async fn end_family(
    store: &dyn SessionStore,
    spec: &SessionSpec,
    user: &str,
    family: FamilyId,
    now: u64,
) -> Result<usize, StoreError> {
    let mut ended = 0;
    for _ in 0..END_FAMILY_PASSES {
        // Whether a listed row changed under this pass (gone before it was
        // read, or before it was deleted): a rotation may have moved it to
        // a key this listing does not have.
        let mut raced = false;
        for session in store.list_user(spec.namespace(), user, now).await? {
            let Some(record) = store.load(&session.key, now).await? else {
                raced = true;
                continue;
            };
            if split_row(&record.data).is_some_and(|(f, _)| f == family) {
                if store.delete(&session.key).await? {
                    ended += 1;
                } else {
                    raced = true;
                }
            }
        }
        if !raced {
            break;
        }
    }
    Ok(ended)
}

/// Ends the family of the first of `candidates` whose id has a live row
/// (a logout of this login): deletes that row. Returns the ended
/// session's user, if any.
///
/// # Errors
///
/// A store error.
pub async fn end_current<'a>(
    store: &dyn SessionStore,
    keyring: &Keyring,
    spec: &SessionSpec,
    candidates: impl IntoIterator<Item = &'a [u8]>,
    now: u64,
) -> Result<Option<String>, StoreError> {
    let mut scan = IdScan::new(keyring, spec, now);
    let mut candidates = candidates.into_iter();
    while let Some((_, key)) = scan.next(&mut candidates) {
        if let Some(record) = store.load(&key, now).await? {
            store.delete(&key).await?;
            return Ok(record.user);
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests;
