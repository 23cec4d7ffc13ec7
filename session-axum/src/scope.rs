//! How an extractor finds its layer: while the layer's future polls the
//! service inside it, the layer is this thread's innermost *scope*.
//!
//! Extractors run inside that poll (axum calls them from the handler's
//! future, which the layer's future drives), so a thread-local stack of the
//! layers being polled right now tells each extractor which layer serves
//! its request, the way `tracing` knows the current span. Compared with a
//! value in the request extensions this costs a request nothing until a
//! session type is extracted: no allocation, no map insert, no lookup. The
//! per-request state is created by the first extractor and handed back to
//! the layer's future when the poll returns.
//!
//! The price is that extraction must happen on the task that polls the
//! layer's future. A middleware between the layer and the handler that
//! moves the request to another task (tower's `Buffer`, a `tokio::spawn`)
//! leaves extractors outside every scope: they fail with
//! [`SessionRejection::MissingLayer`], which says so, never with another
//! layer's state. Put such middleware outside the session layer.
//!
//! A request that a handler serves itself, inline, through a router with no
//! session layer of its own (an internal forward) runs inside the
//! enclosing request's poll, so its extractors use the enclosing layer and
//! request state; a router with its own layer enters its own scope.

use std::any::TypeId;
use std::cell::RefCell;
use std::sync::Arc;

use crate::config::LayerConfig;
use crate::rejection::SessionRejection;
use crate::request::{RequestSessions, SharedSessions};

/// One layer's request, while its future is being polled.
pub(crate) enum Scope {
    /// No session type extracted yet: only the layer's settings.
    Idle(Arc<LayerConfig>),
    /// The first extractor is opening its cookie (the settings moved into
    /// the state it is building). Left in place only if that panicked.
    Opening,
    /// The request state, created by the first extractor (it holds the
    /// settings now, so the request shares one reference to them).
    Active(SharedSessions),
}

impl Scope {
    /// A request of the layer with `config` that has extracted nothing yet.
    pub(crate) fn new(config: Arc<LayerConfig>) -> Self {
        Scope::Idle(config)
    }

    /// The request state, if a session type was extracted.
    pub(crate) fn into_sessions(self) -> Option<SharedSessions> {
        match self {
            Scope::Active(sessions) => Some(sessions),
            Scope::Idle(_) | Scope::Opening => None,
        }
    }

    fn config(&self) -> Option<&LayerConfig> {
        match self {
            Scope::Idle(config) => Some(config),
            Scope::Opening => None,
            Scope::Active(sessions) => Some(&sessions.config),
        }
    }
}

thread_local! {
    /// The scopes entered on this thread, innermost last. Nested only when
    /// a layer's inner service polls another layer's future (a nested
    /// router, a sub-request), so it stays a few entries deep.
    static SCOPES: RefCell<Vec<Scope>> = const { RefCell::new(Vec::new()) };
}

/// Runs `poll` with `slot`'s scope entered, and puts the scope back in
/// `slot` afterwards, with the request state an extractor may have created.
///
/// If the scope cannot be entered (no scope in `slot`, or the thread is
/// shutting down) `poll` runs outside it and extractors report a missing
/// layer; nothing panics.
pub(crate) fn enter<R>(slot: &mut Option<Scope>, poll: impl FnOnce() -> R) -> R {
    let Some(scope) = slot.take() else {
        return poll();
    };
    let mut pending = Some(scope);
    let _ = SCOPES.try_with(|scopes| {
        if let Ok(mut scopes) = scopes.try_borrow_mut() {
            scopes.extend(pending.take());
        }
    });
    if pending.is_some() {
        // Not entered: keep the scope for the layer, poll without it.
        *slot = pending;
        return poll();
    }
    let mut leave = Leave { armed: true };
    let result = poll();
    leave.armed = false;
    // Scopes entered inside `poll` have all left: the top one is ours.
    *slot = pop();
    result
}

/// Leaves the scope if `poll` unwinds, so a panicking handler cannot leave
/// its layer current for the next request this thread serves.
struct Leave {
    armed: bool,
}

impl Drop for Leave {
    fn drop(&mut self) {
        if self.armed {
            drop(pop());
        }
    }
}

fn pop() -> Option<Scope> {
    SCOPES
        .try_with(|scopes| scopes.try_borrow_mut().ok()?.pop())
        .ok()
        .flatten()
}

/// The state of the request being served, for session type `type_id`: the
/// innermost layer's, if its registry has the type, and whether this call
/// created it.
///
/// The request's first extractor creates the state with `first`, which gets
/// the layer's settings to keep in it (a cookie-mode type opens its cookie
/// there and builds the state with its slot filled: built whole before
/// anyone shares it, the state needs no lock for the common one-type
/// request). A later extractor gets the existing state.
///
/// `first` runs with this thread's scopes borrowed: a session extractor
/// run from inside it (there is no reason to) finds no layer.
pub(crate) fn sessions_for(
    type_id: TypeId,
    type_name: &'static str,
    first: impl FnOnce(Arc<LayerConfig>) -> RequestSessions,
) -> Result<(SharedSessions, bool), SessionRejection> {
    let missing = || SessionRejection::MissingLayer { type_name };
    SCOPES
        .try_with(|scopes| {
            let mut scopes = scopes.try_borrow_mut().map_err(|_| missing())?;
            let scope = scopes.last_mut().ok_or_else(missing)?;
            let config = scope.config().ok_or_else(missing)?;
            if !(config.contains)(type_id) {
                return Err(SessionRejection::Unregistered {
                    type_name,
                    registry: config.registry_name,
                });
            }
            if let Scope::Active(sessions) = scope {
                return Ok((SharedSessions::clone(sessions), false));
            }
            let Scope::Idle(config) = std::mem::replace(scope, Scope::Opening) else {
                return Err(missing());
            };
            let sessions = SharedSessions::new(first(config));
            *scope = Scope::Active(SharedSessions::clone(&sessions));
            Ok((sessions, true))
        })
        .unwrap_or_else(|_| Err(missing()))
}
