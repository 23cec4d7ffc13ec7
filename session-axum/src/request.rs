//! [`RequestSessions`]: the per-request session state. The layer puts it in
//! the request's extensions ([`RequestState`]); every extractor of the
//! request shares it, and the layer reads it back to write `Set-Cookie`
//! headers.

use std::any::TypeId;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use http::HeaderValue;
use http::header::{HeaderMap, SET_COOKIE};
use session_core::store::{IdCookie, SessionMeta, StoreState};

use session_core::fingerprint::Fingerprint;

use crate::fingerprint::RequestSignals;
use session_core::{OpenError, SessionPayload, SessionSpec};

use crate::TRACING_TARGET;
use crate::client::RequestClient;
use crate::config::LayerConfig;
use crate::cookie;
use crate::status::SessionStatus;

/// The cookie a session type will write on the response, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Pending {
    /// A value sealed during this request, and when it stops opening (the
    /// cookie's `Max-Age` is the time left until then).
    Set {
        /// The sealed value.
        value: String,
        /// Unix seconds of the value's expiry.
        expires_at: u64,
    },
    /// Delete the browser's cookie.
    Remove,
}

impl From<IdCookie> for Pending {
    fn from(cookie: IdCookie) -> Self {
        Pending::Set {
            value: cookie.value,
            expires_at: cookie.expires_at,
        }
    }
}

/// What the first extractor of a type found in the request, reused by any
/// later extractor of the same type so both report the same thing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Opened {
    /// What the request carried.
    pub(crate) status: SessionStatus,
    /// Cookie mode: which of the request's cookies of this name opened.
    pub(crate) candidate: Option<usize>,
}

/// Which `Set-Cookie` headers [`RequestSessions::write`] emits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Emit {
    /// Every pending cookie: the request succeeded.
    All,
    /// Only cookies that describe what the store already holds (store-mode
    /// changes written during the request, a revoked session's removal):
    /// the response is an error and the request's other changes are dropped.
    Committed,
}

/// `T::SPEC` as a `&'static` (one copy per type in the binary), so a slot
/// holds a pointer to its spec rather than a copy of it.
pub(crate) trait StaticSpec: SessionPayload {
    /// A reference to [`SessionPayload::SPEC`].
    const SPEC_REF: &'static SessionSpec = &Self::SPEC;
}

impl<T: SessionPayload> StaticSpec for T {}

pub(crate) struct Slot {
    type_id: TypeId,
    spec: &'static SessionSpec,
    pending: Option<Pending>,
    /// Set by the first extraction of this type in the request.
    opened: Option<Opened>,
    /// `pending` matches what the store holds (written, or a revoked
    /// session's removal), so it is sent even with an error response.
    committed: bool,
    /// Store mode only: the row in use and the store writes still to do
    /// (boxed and made on first use, so cookie-mode slots stay small).
    stored: Option<Box<StoreState>>,
}

impl Slot {
    /// A slot for `spec`'s type with nothing recorded yet.
    fn new(type_id: TypeId, spec: &'static SessionSpec) -> Self {
        Slot {
            type_id,
            spec,
            pending: None,
            opened: None,
            committed: false,
            stored: None,
        }
    }

    fn record_opened(&mut self, opened: Opened, pending: Option<Pending>) {
        self.opened.get_or_insert(opened);
        if pending.is_some() {
            self.pending = pending;
            self.committed = false;
        }
    }

    fn has_store_work(&self) -> bool {
        self.stored.as_ref().is_some_and(|stored| stored.has_work())
    }
}

/// The slots of one request, in first-use order. Most requests use one
/// session type, which is kept inline: a request allocates nothing for its
/// slots until it uses a second type.
#[derive(Default)]
struct Slots {
    first: Option<Slot>,
    more: Vec<Slot>,
}

impl Slots {
    fn iter(&self) -> impl Iterator<Item = &Slot> {
        self.first.iter().chain(&self.more)
    }

    fn iter_mut(&mut self) -> impl Iterator<Item = &mut Slot> {
        self.first.iter_mut().chain(&mut self.more)
    }

    fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// Adds `slot` last.
    fn push(&mut self, slot: Slot) {
        match self.first {
            None => self.first = Some(slot),
            Some(_) => self.more.push(slot),
        }
    }
}

/// [`RequestSessions`] as the layer's future and each extractor of the
/// request share it.
pub(crate) type SharedSessions = Arc<RequestSessions>;

/// The request extension through which extractors find their layer's state.
///
/// The layer inserts it before calling the inner service, so it travels
/// with the request whatever runs in between (a middleware that spawns the
/// rest of the request onto another task, tower's `Buffer`). A layer nested
/// inside another replaces it: the innermost layer around a route serves
/// that route's extractors.
#[derive(Clone)]
pub(crate) struct RequestState(pub(crate) SharedSessions);

/// One request's session state, shared ([`SharedSessions`]) by the layer's
/// future and each extractor of the request.
///
/// Extractors reach it through shared references, so the slots sit behind a
/// lock, taken once per change and once per type's first extraction. Once
/// the handler is done the layer normally holds the only reference and
/// writes the cookies without locking
/// ([`write_unshared`](Self::write_unshared)).
pub(crate) struct RequestSessions {
    pub(crate) config: Arc<LayerConfig>,
    /// Set once any slot exists: until then an extractor knows without
    /// locking that no earlier one ran, and the layer that no session type
    /// was extracted.
    used: AtomicBool,
    /// A `logout_everywhere` succeeded in this request.
    pub(crate) ended_everywhere: AtomicBool,
    slots: Mutex<Slots>,
    /// The request's client, read when a store-mode type is first
    /// extracted: what a login records.
    client: OnceLock<RequestClient>,
    /// The headers a client fingerprint reads, kept when a type that binds
    /// one is first extracted: what its login records or its check reads.
    signals: OnceLock<RequestSignals>,
}

impl RequestSessions {
    pub(crate) fn new(config: Arc<LayerConfig>) -> Self {
        RequestSessions {
            config,
            used: AtomicBool::new(false),
            ended_everywhere: AtomicBool::new(false),
            slots: Mutex::new(Slots::default()),
            client: OnceLock::new(),
            signals: OnceLock::new(),
        }
    }

    /// Reads the request's client (once per request) for the metadata of
    /// a store-mode login.
    pub(crate) fn note_client(&self, headers: &HeaderMap, extensions: &http::Extensions) {
        self.client
            .get_or_init(|| RequestClient::read(&self.config, headers, extensions));
    }

    /// What a store-mode row created in this request records of its client
    /// ([`SessionMeta::NONE`] with metadata off, or if never read).
    pub(crate) fn request_meta(&self) -> SessionMeta {
        self.client
            .get()
            .map(RequestClient::meta)
            .unwrap_or_default()
    }

    /// Keeps the request's fingerprint headers (once per request), for a
    /// type that binds a fingerprint.
    pub(crate) fn note_signals(&self, headers: &HeaderMap) -> &RequestSignals {
        self.signals.get_or_init(|| RequestSignals::read(headers))
    }

    /// What a store-mode row of `spec` created in this request records: the
    /// client's metadata (see [`request_meta`](Self::request_meta)) and, for a
    /// type that binds one, its fingerprint.
    pub(crate) fn request_meta_for(&self, spec: &SessionSpec) -> SessionMeta {
        self.request_meta()
            .with_fingerprint(self.fingerprint_for(spec))
    }

    /// The fingerprint of this request's browser for `spec`, if its type
    /// binds one: what a login records.
    pub(crate) fn fingerprint_for(&self, spec: &SessionSpec) -> Option<Fingerprint> {
        spec.binds_fingerprint().then(|| {
            let signals = self.signals.get_or_init(RequestSignals::default);
            self.config.keyring.fingerprint(spec, &signals.signals())
        })
    }

    /// Whether any session type was extracted in this request.
    pub(crate) fn is_used(&self) -> bool {
        self.used.load(Ordering::Acquire)
    }

    /// What an earlier extractor of `type_id` found, and the cookie this
    /// request has recorded for it so far.
    pub(crate) fn earlier(&self, type_id: TypeId) -> Option<(Opened, Option<Pending>)> {
        if !self.used.load(Ordering::Acquire) {
            return None;
        }
        self.with_slots(|slots| {
            slots
                .iter()
                .find(|slot| slot.type_id == type_id)
                .and_then(|slot| Some((slot.opened?, slot.pending.clone())))
        })
    }

    /// Records what the first extractor of `spec`'s type found, and the
    /// cookie to write because of it (a re-issue or a removal), if any.
    pub(crate) fn opened(
        &self,
        type_id: TypeId,
        spec: &'static SessionSpec,
        opened: Opened,
        pending: Option<Pending>,
    ) {
        crate::observability::opened(spec, &opened.status);
        self.with_slot(type_id, spec, |slot| slot.record_opened(opened, pending));
    }

    /// Records what a transparent refresh of a hybrid access type made of
    /// the request (a session now, or one ended), replacing what its first
    /// extractor found. The access cookie it wrote matches the store, so it
    /// is sent even with an error response.
    pub(crate) fn refreshed(
        &self,
        type_id: TypeId,
        spec: &'static SessionSpec,
        status: SessionStatus,
    ) {
        self.with_slot(type_id, spec, |slot| {
            slot.opened = Some(Opened {
                status,
                candidate: None,
            });
            slot.committed = true;
        });
    }

    /// Records a change of `spec`'s cookie (replacing anything recorded before).
    pub(crate) fn record(
        &self,
        type_id: TypeId,
        spec: &'static SessionSpec,
        pending: Option<Pending>,
    ) {
        self.with_slot(type_id, spec, |slot| {
            slot.pending = pending;
            slot.committed = false;
        });
    }

    /// Runs `f` on the store-mode state of `type_id` and on its pending
    /// cookie, creating the slot if this is the type's first use. A change
    /// made here is uncommitted until the next successful flush.
    pub(crate) fn with_stored<R>(
        &self,
        type_id: TypeId,
        spec: &'static SessionSpec,
        f: impl FnOnce(&mut StoreState, &mut Option<Pending>) -> R,
    ) -> R {
        self.with_slot(type_id, spec, |slot| {
            let before = slot.pending.clone();
            let stored = slot.stored.get_or_insert_with(Box::default);
            let result = f(stored, &mut slot.pending);
            if slot.pending != before {
                slot.committed = false;
            }
            result
        })
    }

    /// Marks the type's pending cookie as matching what the store holds
    /// (after a write, or a revocation), so it is sent even with an error
    /// response.
    pub(crate) fn commit(&self, type_id: TypeId, spec: &'static SessionSpec) {
        self.with_slot(type_id, spec, |slot| slot.committed = true);
    }

    /// Whether some store-mode type has writes the store has not seen yet.
    pub(crate) fn has_store_work(&self) -> bool {
        // Without a store there is nothing to write (and cookie-only apps
        // skip the lock on every response).
        if self.config.store.is_none() {
            return false;
        }
        self.with_slots(|slots| slots.iter().any(Slot::has_store_work))
    }

    /// The store-mode types with writes the store has not seen yet, in
    /// first-use order.
    pub(crate) fn types_with_store_work(&self) -> Vec<(TypeId, &'static SessionSpec)> {
        self.with_slots(|slots| {
            slots
                .iter()
                .filter(|slot| slot.has_store_work())
                .map(|slot| (slot.type_id, slot.spec))
                .collect()
        })
    }

    /// Records that no cookie of `spec`'s type opened (see [`found_none`]).
    /// Returns the status to report.
    pub(crate) fn none_opened(
        &self,
        type_id: TypeId,
        spec: &'static SessionSpec,
        first_error: Option<OpenError>,
    ) -> SessionStatus {
        let (found, pending) = found_none(first_error);
        self.opened(type_id, spec, found, pending);
        found.status
    }

    fn with_slot<R>(
        &self,
        type_id: TypeId,
        spec: &'static SessionSpec,
        f: impl FnOnce(&mut Slot) -> R,
    ) -> R {
        self.with_slots(|slots| {
            if let Some(slot) = slots.iter_mut().find(|slot| slot.type_id == type_id) {
                return f(slot);
            }
            let mut slot = Slot::new(type_id, spec);
            let result = f(&mut slot);
            slots.push(slot);
            self.used.store(true, Ordering::Release);
            result
        })
    }

    /// Appends one `Set-Cookie` per pending change (all, or only the
    /// committed ones) to `headers`. Returns `None` if no session type was
    /// used in the request (nothing to write, and the response does not
    /// depend on the `Cookie` header), else how many it appended.
    pub(crate) fn write(&self, headers: &mut HeaderMap, emit: Emit) -> Option<usize> {
        self.with_slots(|slots| write_slots(&self.config, slots, headers, emit))
    }

    /// [`write`](Self::write) for a state no extractor can reach any more
    /// (the caller holds the only reference): no lock to take.
    pub(crate) fn write_unshared(&mut self, headers: &mut HeaderMap, emit: Emit) -> Option<usize> {
        let slots = self.slots.get_mut().unwrap_or_else(PoisonError::into_inner);
        write_slots(&self.config, slots, headers, emit)
    }

    fn with_slots<R>(&self, f: impl FnOnce(&mut Slots) -> R) -> R {
        // A poisoned lock means a handler panicked mid-update; each slot is
        // replaced whole, so its contents are still consistent.
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut slots)
    }
}

/// The body of [`RequestSessions::write`].
fn write_slots(
    config: &LayerConfig,
    slots: &Slots,
    headers: &mut HeaderMap,
    emit: Emit,
) -> Option<usize> {
    if slots.is_empty() {
        return None;
    }
    let mut written = 0;
    for slot in slots.iter() {
        if emit == Emit::Committed && !slot.committed {
            continue;
        }
        let secure = config.secure(slot.spec);
        let (line, action) = match &slot.pending {
            None => continue,
            Some(Pending::Set { value, expires_at }) => {
                let max_age = expires_at.saturating_sub(config.now());
                (cookie::set_cookie(slot.spec, value, max_age, secure), "set")
            }
            Some(Pending::Remove) => (cookie::removal_cookie(slot.spec, secure), "removed"),
        };
        // Our own output (token name, base64url value, validated
        // attributes) is always a valid header value; if that ever
        // broke, dropping the header beats a panic.
        match HeaderValue::try_from(line) {
            Ok(value) => {
                headers.append(SET_COOKIE, value);
                crate::observability::cookie_written(slot.spec, action);
                written += 1;
            }
            Err(_) => tracing::error!(
                target: TRACING_TARGET,
                cookie = slot.spec.cookie(),
                "could not encode Set-Cookie header"
            ),
        }
    }
    Some(written)
}

/// What to record when no cookie of a type opened: absent if none was
/// sent, else rejected (cleared; reported when recorded) for the first
/// one's reason.
pub(crate) fn found_none(first_error: Option<OpenError>) -> (Opened, Option<Pending>) {
    let (status, pending) = match first_error {
        Some(error) => (SessionStatus::Invalid(error), Some(Pending::Remove)),
        None => (SessionStatus::Absent, None),
    };
    let found = Opened {
        status,
        candidate: None,
    };
    (found, pending)
}
