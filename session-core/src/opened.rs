//! [`Opened`]: a verified payload and what the envelope said about it.

use crate::wire::KeyId;

/// A payload whose signature, expiry and version checked out.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[must_use = "an opened session is only useful if its payload is read"]
pub struct Opened<T> {
    /// The payload, converted to the current schema if it was older.
    pub payload: T,
    /// Unix seconds at which the cookie was sealed.
    pub issued_at: u64,
    /// Unix seconds at which it expires: the earliest of the expiry it was
    /// sealed with, its issue time plus the type's `max_age`, and
    /// `started_at` plus the type's `absolute_max_age`.
    pub expires_at: u64,
    /// Unix seconds at which the session began (login). Renewals and
    /// re-issues keep it; pass it to
    /// [`Keyring::reseal_at`](crate::Keyring::reseal_at) when sealing the
    /// session again.
    pub started_at: u64,
    /// The schema version it was sealed under.
    pub version: u32,
    /// The key that sealed it.
    pub key_id: KeyId,
    /// Sealed with a previous (rotated-out) secret.
    pub previous_key: bool,
    /// Sealed under an older schema version and converted.
    pub migrated: bool,
    /// Older than the type's `renew_after`.
    pub renewal_due: bool,
    /// The client fingerprint the value was sealed with: `Some` exactly for
    /// a cookie-mode type that binds one (`#[session(fingerprint)]`; see
    /// [`crate::fingerprint`]). Compare it with
    /// [`Keyring::fingerprint_matches`](crate::Keyring::fingerprint_matches).
    pub fingerprint: Option<crate::fingerprint::Fingerprint>,
}

impl<T> Opened<T> {
    /// The payload.
    pub fn payload(&self) -> &T {
        &self.payload
    }

    /// Takes the payload.
    pub fn into_payload(self) -> T {
        self.payload
    }

    /// Whether the cookie should be sealed again now: it was sealed with a
    /// previous key, under an older schema, or its renewal point has passed.
    pub fn needs_reissue(&self) -> bool {
        self.previous_key || self.migrated || self.renewal_due
    }
}
