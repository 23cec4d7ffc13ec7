//! Fingerprint binding in the layer: reading a request's client signals,
//! and what happens when a session's fingerprint differs (see
//! [`session_core::fingerprint`]).

use std::fmt;
use std::sync::Arc;

use http::header::{ACCEPT_LANGUAGE, USER_AGENT};
use http::{HeaderMap, HeaderValue};
use session_core::SessionSpec;
use session_core::fingerprint::ClientSignals;

use crate::TRACING_TARGET;

/// What the layer does with a session whose client fingerprint differs
/// from the one recorded at login (a type declared
/// `#[session(fingerprint)]`); set with
/// [`SessionLayer::fingerprint_policy`](crate::SessionLayer::fingerprint_policy).
/// Either way the mismatch is logged and reported to the
/// [hook](crate::SessionLayer::on_fingerprint_mismatch).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum FingerprintPolicy {
    /// The session reads as absent with status
    /// `Invalid(OpenError::FingerprintMismatch)` and its cookie is
    /// removed; in store mode its row is deleted at once, so the session
    /// ends for the browser that logged in too. The default.
    #[default]
    Enforce,
    /// The session is served as usual; only the report is made. For a
    /// trial period before enforcing, or an app that decides in its hook.
    Report,
}

/// A session presented by a browser other than the one that logged in,
/// as reported to [`SessionLayer::on_fingerprint_mismatch`](crate::SessionLayer::on_fingerprint_mismatch).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FingerprintMismatch {
    /// The session type's name.
    pub type_name: &'static str,
    /// The session type's namespace.
    pub namespace: &'static str,
    /// The session's user ([`SessionPayload::session_user`](session_core::SessionPayload::session_user)),
    /// to alert them; `None` for an anonymous session.
    pub user: Option<String>,
    /// Whether the session was ended ([`FingerprintPolicy::Enforce`]) or
    /// only reported.
    pub ended: bool,
}

/// The hook the layer calls on every mismatch.
pub(crate) type MismatchHook = Arc<dyn Fn(&FingerprintMismatch) + Send + Sync>;

/// The layer's fingerprint settings.
#[derive(Clone, Default)]
pub(crate) struct FingerprintSettings {
    pub(crate) policy: FingerprintPolicy,
    pub(crate) hook: Option<MismatchHook>,
}

impl fmt::Debug for FingerprintSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FingerprintSettings")
            .field("policy", &self.policy)
            .field("hook", &self.hook.is_some())
            .finish()
    }
}

impl FingerprintSettings {
    /// Reports a mismatch of `spec`'s session of `user`: a `tracing`
    /// warning (type and namespace; never the user, an id or a header
    /// value) and the hook. Returns whether the session is to be ended.
    pub(crate) fn mismatch(&self, spec: &SessionSpec, user: Option<String>) -> bool {
        let ended = self.policy == FingerprintPolicy::Enforce;
        tracing::warn!(
            target: TRACING_TARGET,
            session_type = spec.type_name(),
            namespace = spec.namespace(),
            ended,
            "session presented by another browser (client fingerprint differs)"
        );
        if let Some(hook) = &self.hook {
            hook(&FingerprintMismatch {
                type_name: spec.type_name(),
                namespace: spec.namespace(),
                user,
                ended,
            });
        }
        ended
    }
}

/// The headers a fingerprint reads, kept from the request (cheap clones
/// of the header values) for logins later in the request.
#[derive(Clone, Default)]
pub(crate) struct RequestSignals {
    user_agent: Option<HeaderValue>,
    accept_language: Option<HeaderValue>,
}

impl RequestSignals {
    pub(crate) fn read(headers: &HeaderMap) -> Self {
        RequestSignals {
            user_agent: headers.get(USER_AGENT).cloned(),
            accept_language: headers.get(ACCEPT_LANGUAGE).cloned(),
        }
    }

    /// As the fingerprint reads them: an absent header is empty.
    pub(crate) fn signals(&self) -> ClientSignals<'_> {
        fn bytes(value: &Option<HeaderValue>) -> &[u8] {
            value.as_ref().map_or(&[], HeaderValue::as_bytes)
        }
        ClientSignals {
            user_agent: bytes(&self.user_agent),
            accept_language: bytes(&self.accept_language),
        }
    }
}
