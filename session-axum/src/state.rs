//! The per-request session state the layer puts in the request extensions,
//! shared by every extractor of the request and read back by the layer to
//! write `Set-Cookie` headers.

use std::any::TypeId;
use std::sync::{Arc, Mutex, PoisonError};

use http::HeaderValue;
use http::header::{HeaderMap, SET_COOKIE};
use session_core::{Keyring, SessionSpec};

use crate::cookie;
use crate::policy::SecurePolicy;

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
        self.with_slots(
            |slots| match slots.iter_mut().find(|slot| slot.type_id == type_id) {
                Some(slot) => slot.pending = pending,
                None => slots.push(Slot {
                    type_id,
                    spec,
                    pending,
                }),
            },
        );
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
