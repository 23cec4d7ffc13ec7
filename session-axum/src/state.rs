//! The per-request session state the layer puts in the request extensions,
//! shared by every extractor of the request and read back by the layer to
//! write `Set-Cookie` headers.

use std::any::TypeId;
use std::sync::{Arc, Mutex, PoisonError};

use http::HeaderValue;
use http::header::{HeaderMap, SET_COOKIE};
use session_core::store::SessionStore;
use session_core::{Keyring, SessionSpec};

use crate::cookie;
use crate::policy::SecurePolicy;
use crate::rejection::SessionError;
use crate::stored::StoredState;

/// A clock in unix seconds; replaceable for tests.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// What every request of one layer shares: built once per layer.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) keyring: Keyring,
    pub(crate) secure: SecurePolicy,
    pub(crate) clock: Clock,
    pub(crate) registry_name: &'static str,
    pub(crate) contains: fn(TypeId) -> bool,
    /// Where store-mode types keep their rows.
    pub(crate) store: Option<Arc<dyn SessionStore>>,
}

impl Shared {
    pub(crate) fn now(&self) -> u64 {
        (self.clock)()
    }

    /// `Secure` for `spec`: forced by the spec, else the layer's policy.
    pub(crate) fn secure(&self, spec: &SessionSpec) -> bool {
        spec.secure() || self.secure.resolve(self.keyring.tier())
    }
}

/// The cookie a session type will write on the response, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Pending {
    /// A value sealed during this request (so its lifetime is the spec's `max_age`).
    Set(String),
    /// Delete the browser's cookie.
    Remove,
}

struct Slot {
    type_id: TypeId,
    spec: SessionSpec,
    pending: Option<Pending>,
    /// Store mode only: the row in use and the store writes still to do.
    stored: StoredState,
}

/// One request's session state. Lives in the request extensions as an `Arc`.
pub(crate) struct RequestSessions {
    pub(crate) shared: Arc<Shared>,
    slots: Mutex<Vec<Slot>>,
}

impl RequestSessions {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        RequestSessions {
            shared,
            slots: Mutex::new(Vec::new()),
        }
    }

    /// The pending cookie of type `type_id`, if one was recorded.
    pub(crate) fn pending(&self, type_id: TypeId) -> Option<Pending> {
        self.with_slots(|slots| {
            slots
                .iter()
                .find(|slot| slot.type_id == type_id)
                .and_then(|slot| slot.pending.clone())
        })
    }

    /// Records what to write for `spec` (replacing anything recorded before).
    pub(crate) fn record(&self, type_id: TypeId, spec: SessionSpec, pending: Option<Pending>) {
        self.with_slot(type_id, spec, |slot| slot.pending = pending);
    }

    /// Runs `f` on the store-mode state of `type_id`, and on its pending
    /// cookie, creating the slot if this is the type's first use.
    pub(crate) fn with_stored<R>(
        &self,
        type_id: TypeId,
        spec: SessionSpec,
        f: impl FnOnce(&mut StoredState, &mut Option<Pending>) -> R,
    ) -> R {
        self.with_slot(type_id, spec, |slot| f(&mut slot.stored, &mut slot.pending))
    }

    /// Whether some store-mode type has writes the store has not seen yet.
    pub(crate) fn has_store_work(&self) -> bool {
        // Without a store there is nothing to write (and cookie-only apps
        // skip the lock on every response).
        if self.shared.store.is_none() {
            return false;
        }
        self.with_slots(|slots| slots.iter().any(|slot| slot.stored.has_work()))
    }

    /// Performs every pending store write, type by type in first-use order.
    /// Stops at the first failure (the caller then answers with the error
    /// instead of the handler's response).
    pub(crate) async fn flush_all(&self) -> Result<(), SessionError> {
        let types: Vec<(TypeId, SessionSpec)> = self.with_slots(|slots| {
            slots
                .iter()
                .filter(|slot| slot.stored.has_work())
                .map(|slot| (slot.type_id, slot.spec))
                .collect()
        });
        for (type_id, spec) in types {
            crate::stored::flush(self, type_id, spec).await?;
        }
        Ok(())
    }

    fn with_slot<R>(
        &self,
        type_id: TypeId,
        spec: SessionSpec,
        f: impl FnOnce(&mut Slot) -> R,
    ) -> R {
        self.with_slots(|slots| {
            if let Some(slot) = slots.iter_mut().find(|slot| slot.type_id == type_id) {
                return f(slot);
            }
            let mut slot = Slot {
                type_id,
                spec,
                pending: None,
                stored: StoredState::default(),
            };
            let result = f(&mut slot);
            slots.push(slot);
            result
        })
    }

    /// Appends one `Set-Cookie` per pending change to `headers`.
    pub(crate) fn write(&self, headers: &mut HeaderMap) {
        self.with_slots(|slots| {
            for slot in slots.iter() {
                let secure = self.shared.secure(&slot.spec);
                let line = match &slot.pending {
                    None => continue,
                    Some(Pending::Set(value)) => {
                        cookie::set_cookie(&slot.spec, value, slot.spec.max_age_secs(), secure)
                    }
                    Some(Pending::Remove) => cookie::removal_cookie(&slot.spec, secure),
                };
                // Our own output (token name, base64url value, validated
                // attributes) is always a valid header value; if that ever
                // broke, dropping the header beats a panic.
                match HeaderValue::try_from(line) {
                    Ok(value) => {
                        headers.append(SET_COOKIE, value);
                    }
                    Err(_) => tracing::error!(
                        target: "session_seal",
                        cookie = slot.spec.cookie(),
                        "could not encode Set-Cookie header"
                    ),
                }
            }
        });
    }

    fn with_slots<R>(&self, f: impl FnOnce(&mut Vec<Slot>) -> R) -> R {
        // A poisoned lock means a handler panicked mid-update; each slot is
        // replaced whole, so its contents are still consistent.
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut slots)
    }
}
