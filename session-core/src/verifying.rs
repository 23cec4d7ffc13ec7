//! The verify-only side of wire format 3: [`PublicKey`] and
//! [`VerifyingKeyring`], for services that must check asymmetric
//! (`#[session(asymmetric)]`) sessions but never mint them.

use std::ffi::OsString;
use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::VerifyingKey;

use crate::error::{OpenError, PublicKeyError, VerifyingKeyringError};
use crate::keyring::{Keyring, find_key};
use crate::opened::Opened;
use crate::payload::SessionPayload;
use crate::secret::{STANDARD_ANY_PAD, URL_SAFE_ANY_PAD};
use crate::wire::{KeyId, PUBLIC_KEY_LEN, public_key_id};

/// Environment variable read by [`VerifyingKeyring::from_env`]: the public
/// keys, comma-separated base64, the primary first.
pub const PUBLIC_KEYS_VAR: &str = "SESSION_SEAL_PUBLIC_KEYS";

/// The Ed25519 public key of a secret: what opens that secret's
/// asymmetric (format 3) values, and cannot make any.
///
/// Not secret: `Debug` and `Display` show it, in unpadded base64url.
/// Get it from [`Keyring::public_key`](crate::Keyring::public_key) or the
/// `session-seal pubkey` command, where the secret is.
///
/// ```
/// use session_core::{Keyring, PublicKey, SessionSecret};
///
/// let keyring = Keyring::new(SessionSecret::generate());
/// let text = keyring.public_key().to_base64();
/// assert_eq!(text.len(), 43);
/// let parsed: PublicKey = text.parse()?;
/// assert_eq!(parsed, keyring.public_key());
/// # Ok::<(), session_core::PublicKeyError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey {
    key: VerifyingKey,
    kid: KeyId,
}

impl PublicKey {
    /// A public key from its 32 bytes; [`PublicKeyError::Invalid`] when
    /// they do not encode a curve point, or encode one of small order.
    pub fn from_bytes(bytes: &[u8; PUBLIC_KEY_LEN]) -> Result<Self, PublicKeyError> {
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| PublicKeyError::Invalid)?;
        if key.is_weak() {
            return Err(PublicKeyError::Invalid);
        }
        Ok(Self::from_verifying_key(key))
    }

    /// Decodes base64 text: standard or URL-safe alphabet, padding
    /// optional, surrounding whitespace ignored.
    pub fn from_base64(text: &str) -> Result<Self, PublicKeyError> {
        let text = text.trim();
        let decoded = STANDARD_ANY_PAD
            .decode(text)
            .or_else(|_| URL_SAFE_ANY_PAD.decode(text))
            .map_err(|_| PublicKeyError::NotBase64)?;
        let bytes: [u8; PUBLIC_KEY_LEN] = decoded
            .as_slice()
            .try_into()
            .map_err(|_| PublicKeyError::Length { len: decoded.len() })?;
        Self::from_bytes(&bytes)
    }

    /// The 32 bytes.
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.key.to_bytes()
    }

    /// The key as URL-safe base64 without padding (43 characters), as
    /// `SESSION_SEAL_PUBLIC_KEYS` lists it.
    pub fn to_base64(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.key.as_bytes())
    }

    /// The key id that values signed with this key's secret carry: the
    /// first 4 bytes of `SHA-256("session-seal/v1 pk" ‖ key)`.
    pub fn key_id(&self) -> KeyId {
        self.kid
    }

    pub(crate) fn from_verifying_key(key: VerifyingKey) -> Self {
        PublicKey {
            kid: public_key_id(&key),
            key,
        }
    }

    pub(crate) fn verifying_key(&self) -> &VerifyingKey {
        &self.key
    }
}

impl FromStr for PublicKey {
    type Err = PublicKeyError;

    /// As [`PublicKey::from_base64`].
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::from_base64(text)
    }
}

impl fmt::Display for PublicKey {
    /// The unpadded base64url text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

/// Public keys that open asymmetric (`#[session(asymmetric)]`, wire format
/// 3) sessions: a primary and previous ones, as a [`Keyring`](crate::Keyring)
/// has secrets, but no secret at all, so nothing it holds can make a value.
///
/// The key is picked by the value's key id (an unknown one is
/// [`OpenError::BadSignature`]); a value under a previous key opens and is
/// flagged for re-issue ([`Opened::needs_reissue`]), as with a keyring.
/// The checks and their order are those of
/// [`Keyring::open_at`](crate::Keyring::open_at). It has no key for signed
/// or encrypted types: opening one of those is always
/// [`OpenError::BadSignature`].
///
/// Cloning is cheap (an `Arc`). For an axum service, which holds a
/// `Keyring`, turn it into one with [`Keyring::verify_only`].
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use session_core::{Keyring, SessionPayload, SessionSecret, SessionSpec, VerifyingKeyring};
///
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// struct Access { user_id: u64 }
/// impl SessionPayload for Access {
///     const SPEC: SessionSpec = SessionSpec::builder("Access", "access", "access")
///         .max_age_secs(300)
///         .asymmetric()
///         .build();
/// }
///
/// // Where users log in: the secret.
/// let keyring = Keyring::new(SessionSecret::generate());
/// let cookie = keyring.seal(&Access { user_id: 7 })?;
///
/// // Elsewhere: only the public key, e.g. from SESSION_SEAL_PUBLIC_KEYS
/// // (`VerifyingKeyring::from_env()`), as `session-seal pubkey` prints it.
/// let published = keyring.public_key().to_base64();
/// let verifier = VerifyingKeyring::new(published.parse()?);
/// let opened = verifier.open::<Access>(&cookie)?;
/// assert_eq!(opened.payload(), &Access { user_id: 7 });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct VerifyingKeyring {
    /// A verify-only keyring (`Keys::Public`), so that opening goes through
    /// exactly the code a [`Keyring::verify_only`] keyring runs.
    keyring: Keyring,
}

impl VerifyingKeyring {
    /// A keyring with `primary` as its only key.
    pub fn new(primary: PublicKey) -> Self {
        Self::from_keys(PublicKeys {
            primary,
            previous: Vec::new(),
        })
    }

    /// Adds the public key of a previous secret: values signed with it still
    /// open, flagged for re-issue. A key already in the keyring is ignored.
    pub fn with_previous(mut self, key: PublicKey) -> Self {
        if let Some(keys) = self.keyring.public_keys_mut()
            && keys.keys().all(|known| known.kid != key.kid)
        {
            keys.previous.push(key);
        }
        self
    }

    /// Reads [`PUBLIC_KEYS_VAR`] (`SESSION_SEAL_PUBLIC_KEYS`): base64 public
    /// keys separated by commas (or newlines, so that the output of
    /// `session-seal pubkey` can be used as it is), the primary first.
    /// Empty entries are skipped; a key given twice counts once.
    pub fn from_env() -> Result<Self, VerifyingKeyringError> {
        Self::from_lookup(|name| std::env::var_os(name))
    }

    /// Like [`from_env`](Self::from_env), reading the variable through
    /// `lookup`.
    pub fn from_lookup<F>(lookup: F) -> Result<Self, VerifyingKeyringError>
    where
        F: Fn(&str) -> Option<OsString>,
    {
        let list = lookup(PUBLIC_KEYS_VAR).ok_or(VerifyingKeyringError::Missing)?;
        let list = list.into_string().map_err(|_| VerifyingKeyringError::Key {
            position: 1,
            source: PublicKeyError::NotBase64,
        })?;
        let mut keyring: Option<Self> = None;
        for (index, entry) in list.split([',', '\n']).enumerate() {
            if entry.trim().is_empty() {
                continue;
            }
            let key =
                PublicKey::from_base64(entry).map_err(|source| VerifyingKeyringError::Key {
                    position: index + 1,
                    source,
                })?;
            keyring = Some(match keyring {
                None => Self::new(key),
                Some(keyring) => keyring.with_previous(key),
            });
        }
        keyring.ok_or(VerifyingKeyringError::Missing)
    }

    /// The primary key: that of the secret which seals now.
    pub fn primary(&self) -> PublicKey {
        // Its keyring holds public keys (see `from_keys`, `from_keyring`);
        // were it a secret's, this would be that secret's public key.
        self.keyring.public_key()
    }

    /// The previous keys, in the order given.
    pub fn previous(&self) -> &[PublicKey] {
        self.keyring
            .public_keys()
            .map_or(&[], |keys| keys.previous.as_slice())
    }

    /// Opens `value` now; see [`open_at`](Self::open_at).
    pub fn open<T: SessionPayload>(&self, value: &str) -> Result<Opened<T>, OpenError> {
        self.keyring.open(value)
    }

    /// Opens a cookie value as a `T` at time `now` (unix seconds): the
    /// checks of [`Keyring::open_at`], with the signature verified by the
    /// public key the value's key id names.
    ///
    /// `T` must be declared `asymmetric`: for any other type this is
    /// [`OpenError::BadSignature`] whatever the value, since no public key
    /// can check an HMAC or open a ciphertext.
    pub fn open_at<T: SessionPayload>(
        &self,
        value: &str,
        now: u64,
    ) -> Result<Opened<T>, OpenError> {
        self.keyring.open_at(value, now)
    }

    /// The keyring this one is, for [`Keyring::verify_only`].
    pub(crate) fn into_keyring(self) -> Keyring {
        self.keyring
    }

    /// A verifying keyring over `keys`.
    pub(crate) fn from_keys(keys: PublicKeys) -> Self {
        VerifyingKeyring {
            keyring: Keyring::from_public_keys(keys),
        }
    }

    /// A verifying keyring that is `keyring`, which must hold public keys.
    pub(crate) fn from_keyring(keyring: Keyring) -> Self {
        VerifyingKeyring { keyring }
    }
}

/// The public keys of a verify-only keyring: a primary and previous ones.
#[derive(Clone)]
pub(crate) struct PublicKeys {
    primary: PublicKey,
    /// In the order given.
    previous: Vec<PublicKey>,
}

impl PublicKeys {
    /// `primary` and then `previous`, each key once.
    pub(crate) fn new(primary: PublicKey, previous: impl IntoIterator<Item = PublicKey>) -> Self {
        let mut keys = PublicKeys {
            primary,
            previous: Vec::new(),
        };
        for key in previous {
            if keys.keys().all(|known| known.kid != key.kid) {
                keys.previous.push(key);
            }
        }
        keys
    }

    /// The primary key.
    pub(crate) fn primary(&self) -> PublicKey {
        self.primary
    }

    /// The previous keys, in the order given.
    pub(crate) fn previous(&self) -> &[PublicKey] {
        &self.previous
    }

    /// The key with this id, and whether it is a previous one.
    pub(crate) fn key_for(&self, kid: KeyId) -> Option<(&VerifyingKey, bool)> {
        find_key(&self.primary, &self.previous, kid, PublicKey::key_id)
            .map(|(key, is_previous)| (&key.key, is_previous))
    }

    /// Every key, the primary first.
    fn keys(&self) -> impl Iterator<Item = &PublicKey> {
        std::iter::once(&self.primary).chain(&self.previous)
    }
}

impl fmt::Debug for PublicKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKeys")
            .field("primary", &self.primary)
            .field("previous", &self.previous)
            .finish()
    }
}

impl fmt::Debug for VerifyingKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKeyring")
            .field("primary", &self.primary())
            .field("previous", &self.previous())
            .finish()
    }
}

#[cfg(test)]
#[path = "verifying_tests.rs"]
mod tests;
