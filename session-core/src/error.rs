//! Error types. None of them carries secret material or cookie values.

use std::fmt;

/// How to make a secret, quoted by every message that asks for one.
pub const GENERATE_HINT: &str = "generate one with `openssl rand -base64 32` \
     (or `head -c 32 /dev/urandom | base64`)";

/// A session secret could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The environment variable holding the secret is not set.
    #[error("{var} is not set: {hint}", hint = GENERATE_HINT)]
    Missing {
        /// The variable that was read.
        var: &'static str,
    },
    /// The text is not base64 (standard or URL-safe alphabet, padding optional).
    #[error("the session secret is not valid base64 (standard or URL-safe alphabet); {hint}", hint = GENERATE_HINT)]
    NotBase64,
    /// The secret is shorter than the minimum.
    #[error("the session secret has {len} bytes but needs at least {min}; {hint}", hint = GENERATE_HINT)]
    TooShort {
        /// Bytes supplied.
        len: usize,
        /// Bytes required.
        min: usize,
    },
}

/// A [`Keyring`](crate::Keyring) could not be built from the environment.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyringError {
    /// Production tier (the default when `SESSION_SEAL_ENV` is unset) requires a secret.
    #[error(
        "SESSION_SEAL_SECRET must be set in production: {hint}; \
         for local development set SESSION_SEAL_ENV=development to use an ephemeral key",
        hint = GENERATE_HINT
    )]
    MissingInProduction,
    /// The primary secret is invalid.
    #[error("SESSION_SEAL_SECRET: {0}")]
    Primary(#[source] SecretError),
    /// One of the previous secrets is invalid (counted from 1, left to right).
    #[error("SESSION_SEAL_PREVIOUS_SECRETS, entry {position}: {source}")]
    Previous {
        /// 1-based position in the comma-separated list.
        position: usize,
        /// What is wrong with it.
        #[source]
        source: SecretError,
    },
}

/// A payload could not be sealed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The `Set-Cookie` header would exceed what browsers keep; they drop such
    /// cookies silently, so we refuse at insert time instead. For encrypted
    /// types the size includes the 24-byte nonce, the 16-byte tag and their
    /// base64 growth.
    #[error("session cookie would be {size} bytes, over the {limit}-byte browser limit")]
    TooLarge {
        /// Bytes of `name=value` plus attributes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The session reached its absolute lifetime (`absolute_max_age` after
    /// it started): it cannot be sealed again, only replaced by a new one.
    #[error("session reached its absolute lifetime at unix time {expired_at}")]
    Expired {
        /// Unix seconds at which it ended.
        expired_at: u64,
    },
    /// serde_json refused the payload (e.g. a map with non-string keys).
    #[error("session payload could not be serialized: {0}")]
    Serialize(#[source] serde_json::Error),
    /// A revocable type's payload names a user whose key is empty or longer
    /// than [`MAX_USER_LEN`](crate::revocation::MAX_USER_LEN) bytes: such a
    /// session could not be revoked by user, so it is not issued.
    #[error("a revocable session's user key must be 1..=1024 bytes, not {len}")]
    RevocableUser {
        /// The key's length in bytes.
        len: usize,
    },
    /// The keyring was made with [`Keyring::verify_only`](crate::Keyring::verify_only):
    /// it holds public keys, which open asymmetric values but cannot make
    /// any value (or CSRF token).
    #[error("this keyring holds public keys only and cannot seal")]
    VerifyOnly,
    /// A cookie-mode type that binds a client fingerprint
    /// (`#[session(fingerprint)]`) was sealed without one: use
    /// [`Keyring::reseal_bound_at`](crate::Keyring::reseal_bound_at) (the
    /// axum layer does).
    #[error("session type {type_name} binds a client fingerprint; seal it with one")]
    MissingFingerprint {
        /// The session type's name.
        type_name: &'static str,
    },
}

/// A [`PublicKey`](crate::PublicKey) could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublicKeyError {
    /// The text is not base64 (standard or URL-safe alphabet, padding optional).
    #[error(
        "the public key is not valid base64 (standard or URL-safe alphabet); \
         print it with `session-seal pubkey`"
    )]
    NotBase64,
    /// The bytes are not the 32 of an Ed25519 public key.
    #[error("the public key has {len} bytes; an Ed25519 public key has 32")]
    Length {
        /// Bytes decoded.
        len: usize,
    },
    /// The 32 bytes are not a usable Ed25519 public key: not the encoding
    /// of a curve point, or a point of small order (which any signature
    /// would match).
    #[error("the public key is not a usable Ed25519 public key")]
    Invalid,
}

/// A [`VerifyingKeyring`](crate::VerifyingKeyring) could not be built from
/// the environment.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyingKeyringError {
    /// `SESSION_SEAL_PUBLIC_KEYS` is not set, or lists no key.
    #[error(
        "SESSION_SEAL_PUBLIC_KEYS is not set: run `session-seal pubkey` where \
         SESSION_SEAL_SECRET is set and copy its output (comma-separated, primary first)"
    )]
    Missing,
    /// One of the keys is invalid (counted from 1, left to right).
    #[error("SESSION_SEAL_PUBLIC_KEYS, entry {position}: {source}")]
    Key {
        /// 1-based position in the comma-separated list.
        position: usize,
        /// What is wrong with it.
        #[source]
        source: PublicKeyError,
    },
}

/// A cookie value could not be opened. Each variant is a reason to treat the
/// session as absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// Longer than the limit; rejected before any decoding.
    #[error("session cookie is {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// Bytes received.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not the parts of the type's format (three for a signed type, two for
    /// an encrypted one) in canonical base64url of the right sizes; a format
    /// byte other than the type's (a signed value sent to an encrypted type,
    /// or the reverse: never a downgrade); or (after the signature or AEAD
    /// tag checked out) a payload that is not valid JSON for the type.
    #[error("session cookie is malformed")]
    Malformed,
    /// The signature (or, for an encrypted type, the AEAD tag over the header
    /// and ciphertext) does not verify, or the key id is not in the keyring.
    #[error("session cookie signature is invalid")]
    BadSignature,
    /// The session's lifetime ended.
    #[error("session expired at unix time {expired_at}")]
    Expired {
        /// Unix seconds at which it expired.
        expired_at: u64,
    },
    /// Sealed under a schema version that is neither current nor a declared migration.
    #[error("session has schema version {found}, this build reads version {current}")]
    UnknownVersion {
        /// Version in the cookie.
        found: u32,
        /// The type's current version.
        current: u32,
    },
    /// The cookie is genuine but its session was ended on the server: in
    /// store mode its row is gone (logged out, revoked, evicted by
    /// `max_per_user`, or expired there); for a revocable cookie-mode type a
    /// revocation of its user or namespace covers it.
    #[error("session was ended on the server")]
    Revoked,
    /// The session is genuine but bound to another browser: the
    /// fingerprint recorded at login ([`crate::fingerprint`]) differs from
    /// this request's. A hijack signal; a store-mode session is ended.
    #[error("session belongs to another browser (client fingerprint differs)")]
    FingerprintMismatch,
}

impl OpenError {
    /// A short stable label for logs and metrics (`"bad_signature"`, …).
    pub const fn label(&self) -> &'static str {
        match self {
            OpenError::TooLarge { .. } => "too_large",
            OpenError::Malformed => "malformed",
            OpenError::BadSignature => "bad_signature",
            OpenError::Expired { .. } => "expired",
            OpenError::UnknownVersion { .. } => "unknown_version",
            OpenError::Revoked => "revoked",
            OpenError::FingerprintMismatch => "fingerprint_mismatch",
        }
    }
}

/// Two session types of one registry collide.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// Two types use the same cookie name.
    #[error(
        "session cookie name collision: `{first}` and `{second}` both use the cookie name `{cookie}`"
    )]
    DuplicateCookie {
        /// First type.
        first: &'static str,
        /// Second type.
        second: &'static str,
        /// The shared cookie name.
        cookie: &'static str,
    },
    /// Two types use the same namespace.
    #[error(
        "session namespace collision: `{first}` and `{second}` both use the namespace `{namespace}`"
    )]
    DuplicateNamespace {
        /// First type.
        first: &'static str,
        /// Second type.
        second: &'static str,
        /// The shared namespace.
        namespace: &'static str,
    },
    /// The access type of a hybrid session (`#[session(refresh = R)]`) is a
    /// member, but its refresh type is not: the layer could not open the
    /// refresh cookie it refreshes from.
    #[error(
        "session type `{access}` refreshes from `{refresh}`, which is not a member of the registry: add `{refresh}` to it"
    )]
    RefreshNotRegistered {
        /// The access type.
        access: &'static str,
        /// Its refresh type.
        refresh: &'static str,
    },
}

/// A [`SessionStore`](crate::store::SessionStore) could not do what was asked.
///
/// Only infrastructure failures: a missing, expired or corrupt row is not an
/// error (it reads as absent), and a lost revision race is
/// [`SaveOutcome::Conflict`](crate::store::SaveOutcome::Conflict).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend could not be reached or answered with an error. The
    /// message comes from the backend and never contains session data.
    #[error("session store unavailable: {message}")]
    Unavailable {
        /// What the backend reported.
        message: String,
        /// The backend's own error, when there is one (a driver's I/O or
        /// protocol error), for callers that inspect or downcast it.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
    /// A row with a user was offered under a key off that user's route
    /// ([`StoreKey::user_route`](crate::store::StoreKey::user_route)), which
    /// a sharded backend could not index with the user's other sessions. A
    /// bug in the caller: a session changes user only by moving to a key
    /// made with [`SessionId::generate_for`](crate::store::SessionId::generate_for).
    #[error(
        "session store key is not on its user's route; move the session to a key made for the new user"
    )]
    Misrouted,
}

impl StoreError {
    /// A [`StoreError::Unavailable`] with this message and no source.
    pub fn unavailable(message: impl fmt::Display) -> Self {
        StoreError::Unavailable {
            message: message.to_string(),
            source: None,
        }
    }

    /// A [`StoreError::Unavailable`] for the backend's own `error`: its
    /// text is the message (so logs that show the error show it), and the
    /// error itself is kept as the [`source`](std::error::Error::source).
    ///
    /// A backend passes only errors that cannot quote session data.
    pub fn from_backend(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::with_source(error.to_string(), error)
    }

    /// A [`StoreError::Unavailable`] with this message (say, which
    /// operation failed and the backend's text) and the backend's `error` as
    /// the [`source`](std::error::Error::source).
    pub fn with_source(
        message: impl fmt::Display,
        error: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError::Unavailable {
            message: message.to_string(),
            source: Some(Box::new(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::StoreError;

    #[test]
    fn a_backend_error_is_kept_as_the_source() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let error = StoreError::from_backend(refused);
        assert_eq!(error.to_string(), "session store unavailable: refused");
        let source = error.source().expect("kept");
        let io = source
            .downcast_ref::<std::io::Error>()
            .expect("an io::Error");
        assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused);
        assert!(StoreError::unavailable("timed out").source().is_none());
    }
}
