//! Cookie policy chosen on the layer.

use session_core::Tier;

/// When the layer marks session cookies `Secure` (HTTPS only).
///
/// Types whose spec demands `Secure` (a `__Host-` or `__Secure-` prefix,
/// `SameSite=None`, or `#[session(secure)]`) always get it, whatever this says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SecurePolicy {
    /// On in [`Tier::Production`], off in [`Tier::Development`] (so plain
    /// `http://localhost` works while developing). The default.
    #[default]
    Auto,
    /// Always on.
    Always,
    /// Off unless the spec demands it. For tests and plain-HTTP tools; a
    /// production site served over HTTPS wants `Auto` or `Always`.
    Never,
}

impl SecurePolicy {
    /// Whether cookies get `Secure` in `tier` under this policy.
    pub fn resolve(self, tier: Tier) -> bool {
        match self {
            SecurePolicy::Auto => tier.is_production(),
            SecurePolicy::Always => true,
            SecurePolicy::Never => false,
        }
    }
}
