//! Cookie mode: the session lives in its sealed cookie. Opening one, sealing
//! changes, re-issuing (rotation, migration, sliding renewal) and removal.

use std::any::TypeId;

use http::HeaderMap;
use http::request::Parts;
use session_core::revocation::{Refusal, Revocation};
use session_core::{OpenError, Opened, SessionPayload};

use crate::TRACING_TARGET;
use crate::config::LayerConfig;
use crate::cookie;
use crate::current::Current;
use crate::error::SessionError;
use crate::fingerprint::RequestSignals;
use crate::rejection::SessionRejection;
use crate::request::{Opened as Found, Pending, RequestSessions, StaticSpec, found_none};
use crate::status::SessionStatus;

/// Opens `T` for an extractor. The request's first extractor of `T` scans
/// its cookies; a later one reuses that outcome (the same status, the same
/// cookie) and sees this request's changes.
///
/// Fails only for a revocable type, when the layer has no revocations
/// (500) or its revocation table is stale (503): never because of what the
/// client sent.
pub(crate) fn load<T: SessionPayload + 'static>(
    parts: &Parts,
    sessions: &RequestSessions,
) -> Result<Current<T>, SessionRejection> {
    load_from::<T>(&parts.headers, sessions)
}

/// [`load`] from the request's headers.
pub(crate) fn load_from<T: SessionPayload + 'static>(
    headers: &HeaderMap,
    sessions: &RequestSessions,
) -> Result<Current<T>, SessionRejection> {
    let config = &sessions.config;
    let spec = T::SPEC_REF;
    if spec.is_revocable() && config.revocations.is_none() {
        // A wiring mistake, reported whether or not a cookie came.
        return Err(SessionRejection::MissingRevocations {
            type_name: spec.type_name(),
        });
    }
    let type_id = TypeId::of::<T>();
    let mut current = Current::absent();
    let Some((found, pending)) = sessions.earlier(type_id) else {
        // The fingerprint headers, read once per request (see `TypedSession`).
        let signals = spec
            .binds_fingerprint()
            .then(|| sessions.note_signals(headers));
        let (found, pending) = scan::<T>(headers, config, signals, &mut current)?;
        sessions.opened(type_id, spec, found, pending);
        return Ok(current);
    };
    let now = config.now();
    current.status = found.status;
    let opened = match pending {
        // Written earlier in this request by another extractor.
        Some(Pending::Set { value, .. }) => Some(config.keyring.open_at::<T>(&value, now)),
        Some(Pending::Remove) => None,
        None => found
            .candidate
            .and_then(|index| cookie::candidates(headers, spec.cookie()).nth(index))
            .map(|value| config.keyring.open_bytes_at::<T>(value, now)),
    };
    if let Some(Ok(opened)) = opened {
        current.accept(opened);
    }
    Ok(current)
}

/// How many cookies of one asymmetric (format 3) type a request's first
/// look checks at most; the rest are ignored, as store mode reads at most
/// `session_core::store::MAX_STORE_LOOKUPS` rows. Signed and encrypted
/// types try every duplicate: their check costs about as much as reading
/// the header.
pub(crate) const MAX_ASYMMETRIC_CANDIDATES: usize = 4;

/// The first look at `T`'s cookies in this request: fills `current` (which
/// is absent) and returns what to record of it, and the cookie to write
/// because of it (a re-issue, or the removal of an unusable cookie).
fn scan<T: SessionPayload + 'static>(
    headers: &HeaderMap,
    config: &LayerConfig,
    signals: Option<&RequestSignals>,
    current: &mut Current<T>,
) -> Result<(Found, Option<Pending>), SessionRejection> {
    let now = config.now();
    let spec = T::SPEC_REF;
    let mut first_error = None;
    for (index, candidate) in cookie::candidates(headers, spec.cookie()).enumerate() {
        if spec.is_asymmetric() && index == MAX_ASYMMETRIC_CANDIDATES {
            // An Ed25519 check costs about fifty MAC checks: a header of
            // forged duplicates must not buy that many per request.
            tracing::info!(
                target: TRACING_TARGET,
                cookie = spec.cookie(),
                limit = MAX_ASYMMETRIC_CANDIDATES,
                "more cookies of an asymmetric session type in one request than are checked; the rest are ignored"
            );
            break;
        }
        let opened = config
            .keyring
            .open_bytes_at::<T>(candidate, now)
            .map_err(CheckError::Open)
            .and_then(|opened| {
                if spec.is_revocable() {
                    check_revocation(config, &opened)?;
                }
                if let Some(signals) = signals {
                    check_fingerprint(config, signals, &opened)?;
                }
                Ok(opened)
            });
        match opened {
            Ok(opened) => {
                // A verify-only keyring (public keys) cannot seal: the
                // value is served as it is until it expires.
                let reissued = if opened.needs_reissue() && !config.keyring.is_verify_only() {
                    reissue(config, signals, &opened, now).map(|value| Pending::Set {
                        value,
                        expires_at: spec.expiry(opened.started_at.min(now), now),
                    })
                } else {
                    None
                };
                current.status = SessionStatus::Valid;
                current.accept(opened);
                let found = Found {
                    status: SessionStatus::Valid,
                    candidate: Some(index),
                };
                return Ok((found, reissued));
            }
            Err(CheckError::Open(error)) => {
                first_error.get_or_insert(error);
            }
            Err(CheckError::Reject(rejection)) => return Err(rejection),
        }
    }
    let (found, pending) = found_none(first_error);
    current.status = found.status;
    Ok((found, pending))
}

/// Why a cookie did not open: the cookie's fault (treated as absent), or
/// the server's (the request is refused).
enum CheckError {
    Open(OpenError),
    Reject(SessionRejection),
}

/// A revocable value that opened must also have started after every
/// revocation of its user and namespace: a table lookup, no I/O.
fn check_revocation<T: SessionPayload>(
    config: &LayerConfig,
    opened: &Opened<T>,
) -> Result<(), CheckError> {
    let type_name = T::SPEC.type_name();
    let revocations = config.revocations.as_ref().ok_or(CheckError::Reject(
        SessionRejection::MissingRevocations { type_name },
    ))?;
    crate::observability::revocation_feed_silent(revocations);
    let user = opened.payload.session_user();
    match revocations.check(T::SPEC.namespace(), user.as_deref(), opened.started_at) {
        Ok(()) => Ok(()),
        Err(Refusal::Revoked) => Err(CheckError::Open(OpenError::Revoked)),
        Err(_) => Err(CheckError::Reject(SessionRejection::RevocationsStale {
            type_name,
        })),
    }
}

/// A value that carries a client fingerprint must have been sealed for
/// this request's browser; a mismatch is reported and, under the enforcing
/// policy, makes the cookie unusable.
fn check_fingerprint<T: SessionPayload>(
    config: &LayerConfig,
    signals: &RequestSignals,
    opened: &Opened<T>,
) -> Result<(), CheckError> {
    let Some(recorded) = &opened.fingerprint else {
        return Ok(());
    };
    if config
        .keyring
        .fingerprint_matches(&T::SPEC, recorded, &signals.signals())
        || !config
            .fingerprint
            .mismatch(&T::SPEC, opened.payload.session_user())
    {
        return Ok(());
    }
    Err(CheckError::Open(OpenError::FingerprintMismatch))
}

/// Seals `value` for the session that started at `started`, records the
/// cookie, and keeps the value in `current`; on failure hands it back and
/// changes nothing.
pub(crate) fn seal<T: SessionPayload + 'static>(
    sessions: &RequestSessions,
    current: &mut Current<T>,
    value: T,
    started: u64,
) -> Result<(), (T, SessionError)> {
    let now = sessions.config.now();
    let fingerprint = sessions.fingerprint_for(T::SPEC_REF);
    match sessions
        .config
        .keyring
        .reseal_bound_at(&value, fingerprint.as_ref(), started, now)
    {
        Ok(sealed) => {
            let started = started.min(now);
            let expires_at = T::SPEC.expiry(started, now);
            let pending = Pending::Set {
                value: sealed,
                expires_at,
            };
            sessions.record(TypeId::of::<T>(), T::SPEC_REF, Some(pending));
            current.issued_at = Some(now);
            current.expires_at = Some(expires_at);
            current.started_at = Some(started);
            current.value = Some(value);
            Ok(())
        }
        Err(error) => Err((value, error.into())),
    }
}

/// Ends the session: a removal cookie with the same name, path and domain.
pub(crate) fn remove<T: SessionPayload + 'static>(sessions: &RequestSessions) {
    sessions.record(TypeId::of::<T>(), T::SPEC_REF, Some(Pending::Remove));
}

/// `logout_everywhere` (`keep_this` false) and `logout_others` (true) of a
/// revocable type: revokes every session of the current user begun before
/// now, then removes this browser's cookie or issues it a fresh session
/// that starts now (so the revocation does not cover it). The cookie is
/// committed: the revocation is already published, so the response carries
/// it whatever the handler answers.
pub(crate) async fn revoke_user<T: SessionPayload + 'static>(
    sessions: &RequestSessions,
    current: &mut Current<T>,
    keep_this: bool,
) -> Result<(), SessionError> {
    let type_name = T::SPEC.type_name();
    let Some(revocations) = sessions.config.revocations_for(&T::SPEC) else {
        return Err(SessionError::NotRevocable { type_name });
    };
    let Some(user) = current
        .value
        .as_ref()
        .and_then(SessionPayload::session_user)
    else {
        return Ok(());
    };
    let now = sessions.config.now();
    let revocation = Revocation::of_user::<T>(&user, now)
        .map_err(|_| SessionError::NotRevocable { type_name })?;
    revocations.revoke(&revocation).await?;
    let (type_id, spec) = (TypeId::of::<T>(), T::SPEC_REF);
    match current.value.take() {
        Some(value) if keep_this => {
            if let Err((_, error)) = seal(sessions, current, value, now) {
                // Revoked but not re-issued: this browser is logged out too.
                current.end();
                sessions.record(type_id, spec, Some(Pending::Remove));
                sessions.commit(type_id, spec);
                return Err(error);
            }
        }
        _ => {
            current.end();
            sessions.record(type_id, spec, Some(Pending::Remove));
        }
    }
    sessions.commit(type_id, spec);
    Ok(())
}

/// Seals an opened payload again under the primary key and current schema
/// with a fresh lifetime (rotation, migration, sliding renewal), keeping its
/// start so the absolute lifetime is not extended.
///
/// A value that carries a client fingerprint (which matched this request)
/// gets it afresh, under the primary secret.
fn reissue<T: SessionPayload + 'static>(
    config: &LayerConfig,
    signals: Option<&RequestSignals>,
    opened: &Opened<T>,
    now: u64,
) -> Option<String> {
    let fingerprint = opened
        .fingerprint
        .and(signals)
        .map(|signals| config.keyring.fingerprint(&T::SPEC, &signals.signals()));
    match config.keyring.reseal_bound_at(
        &opened.payload,
        fingerprint.as_ref(),
        opened.started_at,
        now,
    ) {
        Ok(sealed) => {
            tracing::debug!(
                target: TRACING_TARGET,
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
                target: TRACING_TARGET,
                cookie = T::SPEC.cookie(),
                %error,
                "could not re-issue session cookie"
            );
            None
        }
    }
}
