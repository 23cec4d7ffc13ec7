//! [`LayerConfig`]: what every request of one layer shares.

use std::any::TypeId;
use std::net::IpAddr;
use std::sync::Arc;

use session_core::revocation::Revocations;
use session_core::store::SessionStore;
use session_core::unix_now;
use session_core::{Keyring, SessionSpec};

use crate::client::ProxyHeader;
use crate::fingerprint::FingerprintSettings;
use crate::hybrid::HybridSettings;
use crate::policy::SecurePolicy;

/// A clock in unix seconds; replaceable for tests.
pub(crate) type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// A layer's settings, built once per layer and shared by its requests.
#[derive(Clone)]
pub(crate) struct LayerConfig {
    pub(crate) keyring: Keyring,
    pub(crate) secure: SecurePolicy,
    /// `None`: the system clock, called directly (no indirect call on
    /// every request for the common case).
    pub(crate) clock: Option<Clock>,
    pub(crate) registry_name: &'static str,
    pub(crate) contains: fn(TypeId) -> bool,
    /// Where store-mode types keep their rows.
    pub(crate) store: Option<Arc<dyn SessionStore>>,
    /// What revocable cookie-mode types are checked against.
    pub(crate) revocations: Option<Revocations>,
    /// Whether a response after `logout_everywhere` carries
    /// `Clear-Site-Data: "cookies"`.
    pub(crate) clear_site_data: bool,
    /// Whether session changes are written when the response is a 5xx.
    pub(crate) save_on_server_error: bool,
    /// Whether a store-mode login records the client's address and user
    /// agent.
    pub(crate) session_metadata: bool,
    /// Peers whose forwarding header is believed (canonical addresses).
    pub(crate) trusted_proxies: Vec<IpAddr>,
    /// Which forwarding header trusted proxies write.
    pub(crate) proxy_header: ProxyHeader,
    /// What a client fingerprint mismatch does, and whom it tells.
    pub(crate) fingerprint: FingerprintSettings,
    /// Hybrid sessions' lease window and reuse hook.
    pub(crate) hybrid: HybridSettings,
}

impl LayerConfig {
    pub(crate) fn now(&self) -> u64 {
        match &self.clock {
            Some(clock) => clock(),
            None => unix_now(),
        }
    }

    /// The revocations `spec`'s sessions are checked against: the layer's,
    /// for a revocable type; `None` otherwise.
    pub(crate) fn revocations_for(&self, spec: &SessionSpec) -> Option<&Revocations> {
        self.revocations.as_ref().filter(|_| spec.is_revocable())
    }

    /// `Secure` for `spec`: forced by the spec, else the layer's policy.
    pub(crate) fn secure(&self, spec: &SessionSpec) -> bool {
        spec.secure() || self.secure.resolve(self.keyring.tier())
    }
}
