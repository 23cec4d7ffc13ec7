//! [`Keyring`]: the primary secret, previous secrets for rotation, and the
//! per-binding keys derived from them (for format 3, see the crate docs).

use std::ffi::OsString;
use std::fmt;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use ed25519_dalek::VerifyingKey;
use hkdf::Hkdf;
use hmac::Mac as _;
use rand::TryRngCore as _;
use rand::rngs::OsRng;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::{KeyringError, OpenError, SealError, SecretError};
use crate::fingerprint::{FINGERPRINT_LEN, Fingerprint};
use crate::opened::Opened;
use crate::payload::SessionPayload;
use crate::secret::SessionSecret;
use crate::spec::SessionSpec;
use crate::tier::{self, Tier};
use crate::time::unix_now;
use crate::verifying::{PublicKey, PublicKeys, VerifyingKeyring};
use crate::wire::{
    self, CSRF_INFO, ENC_INFO, FINGERPRINT_INFO, FORMAT_ENCRYPTED, FORMAT_SIGNED, HKDF_SALT,
    Header, HmacSha256, KID_INFO, KeyId, MAC_INFO, MAX_SET_COOKIE_LEN, NONCE_LEN, REFRESH_INFO,
    XChaCha20Poly1305,
};
use crate::wire::{FORMAT_ASYMMETRIC, Signer};

/// Environment variable with previous secrets, comma-separated base64.
pub const PREVIOUS_SECRETS_VAR: &str = "SESSION_SEAL_PREVIOUS_SECRETS";

/// Which cached keys: namespace and cookie name of a spec.
type Binding = (&'static str, &'static str);

/// The keys of one (namespace, cookie name) binding under one secret.
#[derive(Clone)]
struct BindingKeys {
    /// The MAC key as a pre-keyed HMAC state (inner and outer pads absorbed),
    /// cloned per operation.
    mac: HmacSha256,
    /// The XChaCha20-Poly1305 cipher of format 2 (encrypted types): the
    /// binding's encryption key, zeroized on drop (see `wire::xchacha` for
    /// the per-value subkey).
    enc: XChaCha20Poly1305,
    /// The binding's CSRF token key as a pre-keyed HMAC state
    /// ([`crate::csrf`]).
    csrf: HmacSha256,
    /// The binding's client fingerprint key as a pre-keyed HMAC state
    /// ([`crate::fingerprint`]).
    fingerprint: HmacSha256,
    /// The binding's refresh-successor key as a pre-keyed HMAC state
    /// ([`crate::store::refresh`]).
    successor: HmacSha256,
}

/// Bindings whose keys are cached in lock-free slots; more spill to a
/// locked list.
const SLOTS: usize = 16;

/// One secret with its key id and its cache of per-binding keys.
struct Key {
    kid: KeyId,
    secret: SessionSecret,
    /// Keys per (namespace, cookie), filled once per binding (at `prepare`
    /// or first use) into the first free slot and never changed after, so a
    /// lookup is a scan of plain loads, where a `RwLock` would take two
    /// atomic read-modify-writes per operation. Scanned, not hashed: an app
    /// has a handful of session types, and comparing two short strings
    /// costs less than hashing them (`benches/README.md`).
    slots: [OnceLock<(Binding, BindingKeys)>; SLOTS],
    /// Bindings beyond [`SLOTS`] (an app with that many session types).
    overflow: RwLock<Vec<(Binding, BindingKeys)>>,
    /// The Ed25519 signing key of format 3 (one per secret, for every
    /// binding), derived on first use.
    signer: OnceLock<Signer>,
}

impl Clone for Key {
    /// Same secret, empty cache (MAC states are cheap to derive again).
    fn clone(&self) -> Self {
        Key::new(self.secret.clone())
    }
}

impl Key {
    fn new(secret: SessionSecret) -> Self {
        let hkdf = Hkdf::<Sha256>::new(Some(HKDF_SALT), secret.expose());
        let mut kid = [0u8; 4];
        #[allow(clippy::expect_used)] // HKDF-SHA256 fails only above 8160 output bytes.
        hkdf.expand(KID_INFO, &mut kid)
            .expect("4 bytes is a valid HKDF-SHA256 output length");
        Key {
            kid: KeyId(kid),
            secret,
            slots: [const { OnceLock::new() }; SLOTS],
            overflow: RwLock::new(Vec::new()),
            signer: OnceLock::new(),
        }
    }

    /// The format 3 signing key and public key, derived on first use.
    fn signer(&self) -> &Signer {
        self.signer
            .get_or_init(|| Signer::derive(self.secret.expose()))
    }

    /// The pre-keyed MAC state of `spec`'s binding, a copy to feed.
    fn mac(&self, spec: &SessionSpec) -> HmacSha256 {
        self.with_keys(spec, |keys| keys.mac.clone())
    }

    /// Runs `f` with the keys of `spec`'s binding, derived and cached on
    /// first use.
    #[inline]
    fn with_keys<R>(&self, spec: &SessionSpec, f: impl FnOnce(&BindingKeys) -> R) -> R {
        let binding = (spec.namespace(), spec.cookie());
        for slot in &self.slots {
            match slot.get() {
                Some((known, keys)) if *known == binding => return f(keys),
                Some(_) => {}
                // Slots fill in order: the binding is in none of the rest.
                None => return f(&self.insert(binding, spec)),
            }
        }
        let overflow = self.overflow.read().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, keys)) = overflow.iter().find(|(known, _)| *known == binding) {
            return f(keys);
        }
        drop(overflow);
        f(&self.insert(binding, spec))
    }

    /// Derives `binding`'s keys and caches them in the first free slot (or
    /// the overflow list), unless another thread got there first; returns a
    /// copy of the cached keys.
    #[cold]
    fn insert(&self, binding: Binding, spec: &SessionSpec) -> BindingKeys {
        let mut pending = Some((binding, self.derive(spec)));
        for slot in &self.slots {
            let Some(entry) = pending.take() else { break };
            // Fails when another thread filled the slot meanwhile (with this
            // binding or another): keep ours for the next slot.
            if let Err(entry) = slot.set(entry) {
                pending = Some(entry);
            }
            if let Some((known, cached)) = slot.get()
                && *known == binding
            {
                return cached.clone();
            }
        }
        // A poisoned lock only means another thread panicked while holding it;
        // the list itself is always consistent (entries are pushed whole).
        let mut overflow = self
            .overflow
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((_, existing)) = overflow.iter().find(|(known, _)| *known == binding) {
            return existing.clone();
        }
        // `pending` is always here: a slot that took it returned above.
        let keys = pending.map_or_else(|| self.derive(spec), |(_, keys)| keys);
        overflow.push((binding, keys.clone()));
        keys
    }

    /// HKDF-SHA256 of the secret with the binding in `info`, once per purpose.
    fn derive(&self, spec: &SessionSpec) -> BindingKeys {
        let hkdf = Hkdf::<Sha256>::new(Some(HKDF_SALT), self.secret.expose());
        let (namespace, cookie) = (spec.namespace(), spec.cookie());
        let lengths = wire::binding_lengths(namespace, cookie);
        let expand = |purpose: &[u8]| {
            let mut key = Zeroizing::new([0u8; 32]);
            #[allow(clippy::expect_used)] // HKDF-SHA256 fails only above 8160 output bytes.
            hkdf.expand_multi_info(
                &wire::binding_info(purpose, &lengths, namespace, cookie),
                key.as_mut(),
            )
            .expect("32 bytes is a valid HKDF-SHA256 output length");
            key
        };
        let enc_key = expand(ENC_INFO);
        let hmac = |purpose: &[u8]| {
            #[allow(clippy::expect_used)] // HMAC accepts keys of any length; this cannot fail.
            HmacSha256::new_from_slice(expand(purpose).as_ref()).expect("HMAC takes any key length")
        };
        BindingKeys {
            mac: hmac(MAC_INFO),
            enc: XChaCha20Poly1305::new(&enc_key),
            csrf: hmac(CSRF_INFO),
            fingerprint: hmac(FINGERPRINT_INFO),
            successor: hmac(REFRESH_INFO),
        }
    }
}

#[derive(Clone)]
struct Inner {
    tier: Tier,
    ephemeral: bool,
    keys: Keys,
}

/// What a keyring holds.
#[derive(Clone)]
// One per keyring, behind its `Arc`: the size of the secret variant (its
// inline key caches) costs nothing, where a box would cost every operation
// a second pointer to follow.
#[allow(clippy::large_enum_variant)]
enum Keys {
    /// Secrets: the primary seals, every one opens.
    Secret { primary: Key, previous: Vec<Key> },
    /// Public keys only ([`Keyring::verify_only`]): they open format 3
    /// values and seal nothing.
    Public(PublicKeys),
}

/// The keys of one application: a primary secret that seals, and previous
/// secrets that still open during a rotation.
///
/// Cloning is cheap (an `Arc`). Every (namespace, cookie name) pair gets its
/// own MAC key and its own encryption key, derived with HKDF-SHA256 from the
/// secret, so a cookie issued for one type never opens as another; the MAC
/// (or, for encrypted types, the AEAD tag) also covers the header (format,
/// key id, schema version, issue time, expiry, session age).
///
/// A type declared `encrypted` (see [`SessionSpec::is_encrypted`]) is sealed
/// with XChaCha20-Poly1305 under a fresh random 24-byte nonce read from the
/// operating system's random number generator for every value, so its
/// cookie hides the payload. No generator state is kept in the process, so
/// nothing is copied by `fork` and no call is needed in a child process:
/// forked workers, threads and separate servers all draw independent
/// nonces. Everything else, rotation included, works as for signed types.
///
/// # What is wiped
///
/// The payload JSON that the seal and open methods hold lives only in
/// buffers made for that one call, allocated once with all the capacity
/// they need and never grown (growing a buffer moves its bytes and frees
/// the old copy unwiped). They are overwritten, spare capacity included,
/// when the call ends, whether it succeeds, fails (`TooLarge`, `Expired`,
/// `BadSignature`, `Malformed`, a serializer error) or unwinds:
///
/// - sealing an encrypted type: the payload's JSON as serialized, then the
///   ciphertext that replaces it in place. JSON too long for any cookie is
///   counted, not kept: only the part that fits the buffer is stored;
/// - opening: the decoded payload part of a signed value, or the decoded
///   nonce, ciphertext and tag of an encrypted one and the plaintext JSON
///   decrypted in place.
///
/// Not wiped: the JSON of a signed type while it is sealed (the cookie
/// carries that JSON readably, as base64url, so a wiped copy would protect
/// nothing); the payload value you pass to a seal and the one an [`Opened`]
/// returns (and any copies your code makes); the temporaries of serde and
/// serde_json while they serialize and deserialize (a string unescaped on
/// its way to the value, for one); the cookie values themselves; and
/// whatever the allocator or the operating system keeps (swap, core
/// dumps). A binding's encryption key is wiped when the keyring drops it,
/// and each encrypted value's XChaCha20 subkey when its seal or open
/// returns; the copies the cipher code makes on the stack (HChaCha20's
/// working state, and `ring`'s per-value ChaCha20 and Poly1305 keys, which
/// `ring` does not wipe) are not (see `wire::xchacha`). The derived key
/// bytes the binding keys come from are wiped after use, and so is the
/// seed of a secret's Ed25519 signing key (format 3), whose signing key is
/// wiped when the keyring drops it (copies `ed25519-dalek` makes while
/// signing are its own).
///
/// A type declared `asymmetric` (see [`SessionSpec::is_asymmetric`]) is
/// signed with an Ed25519 key derived from each secret (wire format 3; see
/// the module docs), so that [`public_key`](Self::public_key) and
/// [`verifying_keyring`](Self::verifying_keyring) can hand other services
/// what opens its values and cannot make them. A keyring made with
/// [`verify_only`](Self::verify_only) is such a service's: no secret, so it
/// opens only asymmetric types and every seal is [`SealError::VerifyOnly`].
///
/// Two clocks bound a session: the idle `max_age` (each value expires
/// `max_age` after it was sealed) and, when the type declares one,
/// `absolute_max_age` counted from when the session started. [`seal`](Self::seal)
/// and [`seal_at`](Self::seal_at) start a new session;
/// [`reseal_at`](Self::reseal_at) seals a continuing one and keeps its start,
/// so no renewal extends it past `started + absolute_max_age`.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use session_core::{Keyring, SessionPayload, SessionSecret, SessionSpec};
///
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// struct Admin { user_id: u64 }
/// impl SessionPayload for Admin {
///     const SPEC: SessionSpec = SessionSpec::builder("Admin", "admin_sid", "admin").build();
/// }
///
/// let keyring = Keyring::new(SessionSecret::generate());
/// let cookie = keyring.seal(&Admin { user_id: 7 })?;
/// let opened = keyring.open::<Admin>(&cookie)?;
/// assert_eq!(opened.payload(), &Admin { user_id: 7 });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Keyring {
    inner: Arc<Inner>,
}

impl Keyring {
    /// A keyring with `primary` as its only key, in the [`Tier::Production`] tier.
    pub fn new(primary: SessionSecret) -> Self {
        Keyring {
            inner: Arc::new(Inner {
                tier: Tier::Production,
                ephemeral: false,
                keys: Keys::Secret {
                    primary: Key::new(primary),
                    previous: Vec::new(),
                },
            }),
        }
    }

    /// Adds a previous secret: cookies sealed with it still open (and are
    /// flagged for re-issue), but it never seals. A secret whose key id is
    /// already in the keyring is ignored, and so is any secret given to a
    /// [`verify_only`](Self::verify_only) keyring (it holds public keys).
    pub fn with_previous(mut self, secret: SessionSecret) -> Self {
        if self.is_verify_only() {
            return self;
        }
        let key = Key::new(secret);
        if let Keys::Secret { primary, previous } = &mut self.inner_mut().keys {
            let known = std::iter::once(&*primary)
                .chain(previous.iter())
                .any(|k| k.kid == key.kid);
            if !known {
                previous.push(key);
            }
        }
        self
    }

    /// A keyring with no secret, holding `keys`: it opens asymmetric
    /// (format 3) types as `keys` does, opening any other type is
    /// [`OpenError::BadSignature`], and every seal is
    /// [`SealError::VerifyOnly`] (CSRF tokens too: see
    /// [`try_csrf_token`](Self::try_csrf_token)). For a service that serves
    /// sessions minted elsewhere through code that takes a `Keyring` (the
    /// axum layer). Production tier, as [`new`](Self::new).
    pub fn verify_only(keys: VerifyingKeyring) -> Self {
        keys.into_keyring()
    }

    /// A verify-only keyring of `keys` (what a [`VerifyingKeyring`] wraps).
    pub(crate) fn from_public_keys(keys: PublicKeys) -> Self {
        Keyring {
            inner: Arc::new(Inner {
                tier: Tier::Production,
                ephemeral: false,
                keys: Keys::Public(keys),
            }),
        }
    }

    /// The public keys of a verify-only keyring; `None` for secrets.
    pub(crate) fn public_keys(&self) -> Option<&PublicKeys> {
        match &self.inner.keys {
            Keys::Public(keys) => Some(keys),
            Keys::Secret { .. } => None,
        }
    }

    /// [`public_keys`](Self::public_keys), to change (copying a shared
    /// keyring first).
    pub(crate) fn public_keys_mut(&mut self) -> Option<&mut PublicKeys> {
        if !self.is_verify_only() {
            return None;
        }
        match &mut self.inner_mut().keys {
            Keys::Public(keys) => Some(keys),
            Keys::Secret { .. } => None,
        }
    }

    /// Whether this keyring was made by [`verify_only`](Self::verify_only):
    /// public keys and no secret.
    pub fn is_verify_only(&self) -> bool {
        matches!(self.inner.keys, Keys::Public(_))
    }

    /// The Ed25519 public key of the primary secret: what opens the
    /// asymmetric values this keyring seals (a verify-only keyring's
    /// primary public key). Derived on first use.
    pub fn public_key(&self) -> PublicKey {
        match &self.inner.keys {
            Keys::Secret { primary, .. } => *primary.signer().public(),
            Keys::Public(keys) => keys.primary(),
        }
    }

    /// The public keys of every secret, the primary first: a keyring that
    /// opens this one's asymmetric values, previous secrets included, and
    /// cannot seal.
    pub fn verifying_keyring(&self) -> VerifyingKeyring {
        match &self.inner.keys {
            Keys::Secret { primary, previous } => VerifyingKeyring::from_keys(PublicKeys::new(
                *primary.signer().public(),
                previous.iter().map(|key| *key.signer().public()),
            )),
            Keys::Public(_) => VerifyingKeyring::from_keyring(self.clone()),
        }
    }

    /// Sets the tier (used by the axum layer for its default `Secure` policy).
    pub fn with_tier(mut self, tier: Tier) -> Self {
        self.inner_mut().tier = tier;
        self
    }

    /// Reads the environment:
    ///
    /// - `SESSION_SEAL_ENV` decides the [`Tier`] (unset means production);
    /// - `SESSION_SEAL_SECRET` is the primary secret (base64). In production it
    ///   is required; in development a missing secret is replaced by a random
    ///   one (sessions then end with the process) and a warning is logged;
    /// - `SESSION_SEAL_PREVIOUS_SECRETS`, optional, comma-separated base64
    ///   secrets that still open cookies during a rotation.
    pub fn from_env() -> Result<Self, KeyringError> {
        Self::from_lookup(|name| std::env::var_os(name))
    }

    /// Like [`from_env`](Self::from_env), reading variables through `lookup`.
    pub fn from_lookup<F>(lookup: F) -> Result<Self, KeyringError>
    where
        F: Fn(&str) -> Option<OsString>,
    {
        let tier = Tier::parse(lookup(tier::ENV_VAR).as_deref());
        let (primary, ephemeral) = match SessionSecret::from_lookup(&lookup) {
            Ok(secret) => (secret, false),
            Err(SecretError::Missing { .. }) if tier == Tier::Development => {
                tracing::warn!(
                    target: crate::TRACING_TARGET,
                    "SESSION_SEAL_SECRET is not set: using an ephemeral random key \
                     (development tier); sessions will not survive a restart"
                );
                (SessionSecret::generate(), true)
            }
            Err(SecretError::Missing { .. }) => return Err(KeyringError::MissingInProduction),
            Err(error) => return Err(KeyringError::Primary(error)),
        };
        let mut keyring = Keyring::new(primary).with_tier(tier);
        keyring.inner_mut().ephemeral = ephemeral;
        if let Some(list) = lookup(PREVIOUS_SECRETS_VAR) {
            let list = Zeroizing::new(list.into_string().map_err(|_| KeyringError::Previous {
                position: 1,
                source: SecretError::NotBase64,
            })?);
            for (index, entry) in list.split(',').enumerate() {
                if entry.trim().is_empty() {
                    continue;
                }
                let secret =
                    SessionSecret::from_base64(entry).map_err(|source| KeyringError::Previous {
                        position: index + 1,
                        source,
                    })?;
                keyring = keyring.with_previous(secret);
            }
        }
        Ok(keyring)
    }

    /// The tier this keyring was built for.
    pub fn tier(&self) -> Tier {
        self.inner.tier
    }

    /// Whether the primary secret was generated because none was configured
    /// (development tier): sessions will not survive a restart.
    pub fn is_ephemeral(&self) -> bool {
        self.inner.ephemeral
    }

    /// The key id of the primary secret: the only one that ever seals (of
    /// a verify-only keyring, its primary public key's).
    pub fn primary_key_id(&self) -> KeyId {
        match &self.inner.keys {
            Keys::Secret { primary, .. } => primary.kid,
            Keys::Public(keys) => keys.primary().key_id(),
        }
    }

    /// The key ids of the previous secrets, in the order given (of a
    /// verify-only keyring, its previous public keys').
    pub fn previous_key_ids(&self) -> Vec<KeyId> {
        match &self.inner.keys {
            Keys::Secret { previous, .. } => previous.iter().map(|key| key.kid).collect(),
            Keys::Public(keys) => keys.previous().iter().map(PublicKey::key_id).collect(),
        }
    }

    /// Derives and caches the keys of `specs` now, so the first request of each
    /// type does no key derivation. Optional: keys are otherwise derived on first use.
    pub fn prepare(&self, specs: &[SessionSpec]) {
        for spec in specs {
            for key in self.keys() {
                key.with_keys(spec, |_| ());
                if spec.is_asymmetric() {
                    key.signer();
                }
            }
        }
    }

    /// Starts a new session with `payload` now; see [`seal_at`](Self::seal_at).
    ///
    /// # Panics
    ///
    /// As [`reseal_at`](Self::reseal_at), when an encrypted type's nonce
    /// cannot be read from the operating system.
    pub fn seal<T: SessionPayload>(&self, payload: &T) -> Result<String, SealError> {
        self.seal_at(payload, unix_now())
    }

    /// Starts a new session with `payload` at `now` (unix seconds): sealed
    /// with the primary key, started and issued at `now`, expiring at
    /// [`T::SPEC.expiry(now, now)`](SessionSpec::expiry).
    ///
    /// Fails with [`SealError::TooLarge`] when the `Set-Cookie` header would
    /// exceed 4096 bytes (browsers would drop it silently).
    ///
    /// # Panics
    ///
    /// As [`reseal_at`](Self::reseal_at), when an encrypted type's nonce
    /// cannot be read from the operating system.
    pub fn seal_at<T: SessionPayload>(&self, payload: &T, now: u64) -> Result<String, SealError> {
        self.reseal_at(payload, now, now)
    }

    /// Seals `payload` now for a session that started at `started_at`; see
    /// [`reseal_at`](Self::reseal_at).
    ///
    /// # Panics
    ///
    /// As [`reseal_at`](Self::reseal_at), when an encrypted type's nonce
    /// cannot be read from the operating system.
    pub fn reseal<T: SessionPayload>(
        &self,
        payload: &T,
        started_at: u64,
    ) -> Result<String, SealError> {
        self.reseal_at(payload, started_at, unix_now())
    }

    /// Seals `payload` at `now` for a session that continues: the one that
    /// started at `started_at` (from [`Opened::started_at`]). Use it to
    /// renew, update or re-issue a session; the new value expires at
    /// [`T::SPEC.expiry(started_at, now)`](SessionSpec::expiry), so it never
    /// outlives the type's `absolute_max_age`.
    ///
    /// Fails with [`SealError::Expired`] when the session's absolute lifetime
    /// has already ended, [`SealError::TooLarge`] as
    /// [`seal_at`](Self::seal_at) does, and [`SealError::RevocableUser`]
    /// when a revocable type's user key could not be revoked.
    ///
    /// # Panics
    ///
    /// For an encrypted type, if the operating system cannot supply the
    /// nonce's random bytes (as [`SessionSecret::generate`] does): without
    /// randomness no nonce is safe to use.
    pub fn reseal_at<T: SessionPayload>(
        &self,
        payload: &T,
        started_at: u64,
        now: u64,
    ) -> Result<String, SealError> {
        self.reseal_bound_at(payload, None, started_at, now)
    }

    /// [`reseal_at`](Self::reseal_at) for a cookie-mode type that binds a
    /// client fingerprint (`#[session(fingerprint)]`): the value carries
    /// `fingerprint`, authenticated with the payload (see
    /// [`crate::fingerprint`]), and [`Opened::fingerprint`] returns it. For
    /// such a type `fingerprint` is required
    /// ([`SealError::MissingFingerprint`] without it); for any other type
    /// it is ignored.
    ///
    /// # Panics
    ///
    /// As [`reseal_at`](Self::reseal_at).
    pub fn reseal_bound_at<T: SessionPayload>(
        &self,
        payload: &T,
        fingerprint: Option<&Fingerprint>,
        started_at: u64,
        now: u64,
    ) -> Result<String, SealError> {
        if self.is_verify_only() {
            return Err(SealError::VerifyOnly);
        }
        if T::SPEC.is_revocable() {
            check_revocable_user(payload)?;
        }
        let prefix: &[u8] = match (carries_fingerprint(&T::SPEC), fingerprint) {
            (false, _) => &[],
            (true, Some(fingerprint)) => fingerprint.as_bytes(),
            (true, None) => {
                return Err(SealError::MissingFingerprint {
                    type_name: T::SPEC.type_name(),
                });
            }
        };
        if T::SPEC.is_encrypted() {
            // The plaintext: in a buffer that never grows, wiped on every path.
            let mut json =
                wire::PayloadJson::serialize(prefix, payload).map_err(SealError::Serialize)?;
            let json_len = json.len();
            return self.seal_json_with_nonce(
                &T::SPEC,
                json.buf_mut(),
                json_len,
                started_at,
                now,
                fresh_nonce,
            );
        }
        // A signed value carries its JSON readably, so this copy is not
        // wiped: an ordinary buffer, big enough for most payloads from the
        // start. (Wiping it measurably slowed every signed seal for nothing.)
        let mut json = Vec::with_capacity(wire::FIRST_SEAL_CAPACITY);
        json.extend_from_slice(prefix);
        serde_json::to_writer(&mut json, payload).map_err(SealError::Serialize)?;
        self.seal_json(&T::SPEC, &mut json, started_at, now)
    }

    /// Seals `json` (the payload's JSON, in a buffer the encrypted format
    /// encrypts in place when it has the room) with a fresh random nonce
    /// when `spec` is encrypted.
    pub(crate) fn seal_json(
        &self,
        spec: &SessionSpec,
        json: &mut Vec<u8>,
        started_at: u64,
        now: u64,
    ) -> Result<String, SealError> {
        let json_len = json.len();
        self.seal_json_with_nonce(spec, json, json_len, started_at, now, fresh_nonce)
    }

    /// [`seal_json`](Self::seal_json) for JSON of `json_len` bytes, of
    /// which `json` may hold only a prefix when it is too long to seal (see
    /// [`wire::PayloadJson`]), with the nonce of an encrypted value taken
    /// from `nonce` (called at most once, only for encrypted types). The
    /// seam through which unit tests pin format 2 with a fixed nonce;
    /// everything else passes [`fresh_nonce`].
    fn seal_json_with_nonce(
        &self,
        spec: &SessionSpec,
        json: &mut Vec<u8>,
        json_len: usize,
        started_at: u64,
        now: u64,
        nonce: impl FnOnce() -> [u8; NONCE_LEN],
    ) -> Result<String, SealError> {
        let Keys::Secret { primary, .. } = &self.inner.keys else {
            return Err(SealError::VerifyOnly);
        };
        // A start in the future (a clock step) counts as now.
        let started_at = started_at.min(now);
        let exp = spec.expiry(started_at, now);
        if exp <= now {
            return Err(SealError::Expired { expired_at: exp });
        }
        let format = format_of(spec);
        let value_len = match format {
            FORMAT_ENCRYPTED => wire::encrypted_len(json_len),
            FORMAT_ASYMMETRIC => wire::asymmetric_len(json_len),
            _ => wire::signed_len(json_len),
        };
        let size = spec.cookie().len() + 1 + value_len + spec.attributes_len();
        let too_large = SealError::TooLarge {
            size,
            limit: MAX_SET_COOKIE_LEN,
        };
        // JSON cut short by its buffer is past `MAX_JSON_LEN`, so the size
        // check alone refuses it; the length check is so that nothing can
        // ever seal a prefix.
        if size > MAX_SET_COOKIE_LEN || json.len() != json_len {
            return Err(too_large);
        }
        // Format 3 values carry the id of the public key that checks them.
        let kid = if format == FORMAT_ASYMMETRIC {
            primary.signer().public().key_id()
        } else {
            primary.kid
        };
        let header = Header {
            format,
            kid,
            version: spec.version(),
            iat: now,
            exp,
            // Saturates only past 136 years; `absolute_max_age` is at most
            // `u32::MAX` seconds, so a capped session never gets there.
            age: u32::try_from(now - started_at).unwrap_or(u32::MAX),
        };
        if format == FORMAT_ASYMMETRIC {
            return Ok(wire::seal_asymmetric(
                primary.signer(),
                spec.namespace(),
                spec.cookie(),
                &header,
                json,
            ));
        }
        if format == FORMAT_ENCRYPTED {
            let nonce = nonce();
            return primary
                .with_keys(spec, |keys| {
                    wire::seal_encrypted(&keys.enc, &header, json, &nonce)
                })
                // Only a plaintext past the cipher's limit is refused, and the
                // size check above stops those long before.
                .ok_or(too_large);
        }
        Ok(wire::seal_signed(primary.mac(spec), &header, json))
    }

    /// Opens `value` now; see [`open_at`](Self::open_at).
    pub fn open<T: SessionPayload>(&self, value: &str) -> Result<Opened<T>, OpenError> {
        self.open_at(value, unix_now())
    }

    /// Opens a cookie value as a `T` at time `now` (unix seconds).
    ///
    /// Checks, in order, stopping at the first failure: size and shape
    /// ([`OpenError::TooLarge`], [`OpenError::Malformed`]); the MAC under the
    /// key named by the header's key id, in constant time, over the bytes as
    /// received (for an asymmetric type, the Ed25519 signature under the
    /// public key the id names) ([`OpenError::BadSignature`]; nothing is
    /// parsed before this);
    /// expiry ([`OpenError::Expired`]); schema version and JSON
    /// ([`OpenError::UnknownVersion`], [`OpenError::Malformed`]).
    ///
    /// A cookie expires at the earliest of its signed `exp`,
    /// `iat + T::SPEC.max_age_secs()` and, when the type has one,
    /// `started + T::SPEC.absolute_max_age_secs()`: shortening either
    /// setting in code also shortens cookies already issued.
    pub fn open_at<T: SessionPayload>(
        &self,
        value: &str,
        now: u64,
    ) -> Result<Opened<T>, OpenError> {
        self.open_typed(value.as_bytes(), now)
    }

    /// [`open_at`](Self::open_at) for a cookie value as the bytes of a
    /// request header, which need not be UTF-8: the same checks, and a value
    /// that is not UTF-8 is [`OpenError::Malformed`] whatever else is wrong
    /// with it, exactly as if it had been refused on the way to a `&str`.
    ///
    /// For code that reads cookies as the bytes of a header (the layer
    /// does): UTF-8 is checked only when opening fails, since a value that
    /// opens was sealed by this keyring and is base64url and dots
    /// throughout.
    pub fn open_bytes_at<T: SessionPayload>(
        &self,
        value: &[u8],
        now: u64,
    ) -> Result<Opened<T>, OpenError> {
        self.open_typed(value, now).map_err(|error| {
            if std::str::from_utf8(value).is_err() {
                OpenError::Malformed
            } else {
                error
            }
        })
    }

    /// The body of [`open_at`](Self::open_at) and
    /// [`open_bytes_at`](Self::open_bytes_at): bytes in, whatever they are.
    fn open_typed<T: SessionPayload>(
        &self,
        value: &[u8],
        now: u64,
    ) -> Result<Opened<T>, OpenError> {
        let spec = T::SPEC;
        let (payload, verified) = self.open_with(&spec, value, now, |header, json| {
            T::decode_version(header.version, json)
        })?;
        Ok(verified.into_opened(payload, &spec, now))
    }

    /// Opens a value sealed for `spec`'s binding (namespace and cookie name)
    /// at `now`, as untyped JSON, whatever its schema version: the same
    /// checks as [`open_at`](Self::open_at) up to and including expiry, then
    /// the payload must be JSON. For tools that have no Rust type for the
    /// session (the `session-seal verify` command); `Opened::migrated` is
    /// always `false`.
    pub fn open_json_at(
        &self,
        spec: &SessionSpec,
        value: &str,
        now: u64,
    ) -> Result<Opened<serde_json::Value>, OpenError> {
        let (json, verified) = self.open_with(spec, value.as_bytes(), now, |_, json| {
            serde_json::from_slice(json).map_err(|_| OpenError::Malformed)
        })?;
        let mut opened = verified.into_opened(json, spec, now);
        opened.migrated = false;
        Ok(opened)
    }

    /// Size, shape, MAC (or AEAD), expiry, then `read` with the header and
    /// the payload JSON (decoded into a buffer wiped when this returns).
    pub(crate) fn open_with<R>(
        &self,
        spec: &SessionSpec,
        value: &[u8],
        now: u64,
        read: impl FnOnce(&Header, &[u8]) -> Result<R, OpenError>,
    ) -> Result<(R, Verified), OpenError> {
        let sealed = Sealed { spec, value, now };
        if carries_fingerprint(spec) {
            // The payload bytes are `F ‖ JSON` (crate::fingerprint).
            let mut fingerprint = None;
            let (value, mut verified) = self.open_format(sealed, |header, bytes| {
                let (bound, json) = bytes
                    .split_first_chunk::<FINGERPRINT_LEN>()
                    .ok_or(OpenError::Malformed)?;
                fingerprint = Some(Fingerprint::from_bytes(*bound));
                read(header, json)
            })?;
            verified.fingerprint = fingerprint;
            return Ok((value, verified));
        }
        self.open_format(sealed, read)
    }

    /// [`open_with`](Self::open_with) by the format of `sealed.spec`, with
    /// `read` given the payload bytes as sealed.
    fn open_format<R>(
        &self,
        sealed: Sealed<'_>,
        read: impl FnOnce(&Header, &[u8]) -> Result<R, OpenError>,
    ) -> Result<(R, Verified), OpenError> {
        let format = format_of(sealed.spec);
        if format == FORMAT_ASYMMETRIC {
            return self.open_asymmetric(sealed, read);
        }
        if self.is_verify_only() {
            // Public keys check no HMAC and open no ciphertext.
            return Err(OpenError::BadSignature);
        }
        if format == FORMAT_ENCRYPTED {
            return self.open_encrypted(sealed, read);
        }
        let parts = wire::split_signed(sealed.value, format)?;
        let header = parts.header;
        let (key, previous_key) = self.key_for(header.kid).ok_or(OpenError::BadSignature)?;
        key.with_keys(sealed.spec, |keys| wire::verify(&keys.mac, &parts))?;

        let verified = sealed.check(header, previous_key)?;
        let json = wire::payload_json(&parts)?;
        Ok((read(&header, &json)?, verified))
    }

    /// [`open_with`](Self::open_with) for format 2: size and shape, `C`
    /// decoded (at least a nonce and a tag), the key by id, the AEAD tag
    /// over the header text and ciphertext, and only then expiry and `read`
    /// with the JSON decrypted in place, in a buffer wiped when this
    /// returns, on every path.
    ///
    /// Out of line so that the signed format's `open_with` compiles as it did
    /// before format 2 existed.
    #[inline(never)]
    fn open_encrypted<R>(
        &self,
        sealed: Sealed<'_>,
        read: impl FnOnce(&Header, &[u8]) -> Result<R, OpenError>,
    ) -> Result<(R, Verified), OpenError> {
        let parts = wire::split_encrypted(sealed.value, FORMAT_ENCRYPTED)?;
        let header = parts.header;
        let mut buf = wire::decode_sealed(&parts)?;
        let (key, previous_key) = self.key_for(header.kid).ok_or(OpenError::BadSignature)?;
        let json = key.with_keys(sealed.spec, |keys| {
            wire::open_sealed(&keys.enc, &parts, buf.as_mut_slice())
        })?;
        let verified = sealed.check(header, previous_key)?;
        Ok((read(&header, json)?, verified))
    }

    /// [`open_with`](Self::open_with) for format 3: the public key by the
    /// header's key id (a secret's, derived on first use, or one of a
    /// verify-only keyring's), then as [`open_asymmetric_with`].
    #[inline(never)]
    fn open_asymmetric<R>(
        &self,
        sealed: Sealed<'_>,
        read: impl FnOnce(&Header, &[u8]) -> Result<R, OpenError>,
    ) -> Result<(R, Verified), OpenError> {
        match &self.inner.keys {
            Keys::Public(keys) => open_asymmetric_with(sealed, |kid| keys.key_for(kid), read),
            Keys::Secret { .. } => open_asymmetric_with(
                sealed,
                |kid| {
                    self.keys().enumerate().find_map(|(at, key)| {
                        let public = key.signer().public();
                        (public.key_id() == kid).then(|| (public.verifying_key(), at > 0))
                    })
                },
                read,
            ),
        }
    }

    /// The key with this id, and whether it is a previous one.
    fn key_for(&self, kid: KeyId) -> Option<(&Key, bool)> {
        let Keys::Secret { primary, previous } = &self.inner.keys else {
            return None;
        };
        find_key(primary, previous, kid, |key| key.kid)
    }

    /// The primary secret's key, for the unit tests.
    #[cfg(test)]
    fn test_primary(&self) -> &Key {
        self.keys().next().expect("a keyring with secrets")
    }

    /// The previous secrets' keys, for the unit tests.
    #[cfg(test)]
    fn test_previous(&self) -> impl Iterator<Item = &Key> {
        self.keys().skip(1)
    }

    /// Every secret's key, the primary first; none for a verify-only keyring.
    fn keys(&self) -> impl Iterator<Item = &Key> {
        let (primary, previous) = match &self.inner.keys {
            Keys::Secret { primary, previous } => (Some(primary), previous.as_slice()),
            Keys::Public(_) => (None, &[][..]),
        };
        primary.into_iter().chain(previous)
    }

    /// The pre-keyed CSRF HMAC state of `spec`'s binding under each secret,
    /// the primary first.
    pub(crate) fn csrf_macs<'a>(
        &'a self,
        spec: &'a SessionSpec,
    ) -> impl Iterator<Item = HmacSha256> + 'a {
        self.keys()
            .map(move |key| key.with_keys(spec, |keys| keys.csrf.clone()))
    }

    /// The pre-keyed refresh-successor HMAC state of `spec`'s binding under
    /// the primary secret; `None` for a verify-only keyring.
    pub(crate) fn successor_mac(&self, spec: &SessionSpec) -> Option<HmacSha256> {
        self.keys()
            .next()
            .map(|key| key.with_keys(spec, |keys| keys.successor.clone()))
    }

    /// The pre-keyed fingerprint HMAC state of `spec`'s binding under each
    /// secret, the primary first.
    pub(crate) fn fingerprint_macs<'a>(
        &'a self,
        spec: &'a SessionSpec,
    ) -> impl Iterator<Item = HmacSha256> + 'a {
        self.keys()
            .map(move |key| key.with_keys(spec, |keys| keys.fingerprint.clone()))
    }

    /// Mutable access for the builder methods; a shared keyring is copied
    /// (secrets cloned, caches started empty).
    fn inner_mut(&mut self) -> &mut Inner {
        Arc::make_mut(&mut self.inner)
    }
}

/// Whether `spec`'s sealed values carry a client fingerprint before the
/// JSON: a cookie-mode type that binds one (a store-mode row keeps its own,
/// and its id cookie carries none).
fn carries_fingerprint(spec: &SessionSpec) -> bool {
    spec.binds_fingerprint() && !spec.is_stored()
}

/// The wire format of `spec`'s values: encrypted (format 2) for types
/// declared `encrypted`, asymmetric (format 3) for types declared
/// `asymmetric`, signed (format 1) for all others.
fn format_of(spec: &SessionSpec) -> u8 {
    if spec.is_encrypted() {
        FORMAT_ENCRYPTED
    } else if spec.is_asymmetric() {
        FORMAT_ASYMMETRIC
    } else {
        FORMAT_SIGNED
    }
}

/// Opens a format 3 value, in the order of [`Keyring::open_at`]: size and
/// shape, the public key `lookup` gives for the header's key id (none:
/// [`OpenError::BadSignature`]), the Ed25519 signature (`verify_strict`),
/// and only then expiry and `read` with the header and the payload JSON
/// (decoded into a buffer wiped when this returns). `lookup` also says
/// whether the key is a previous one.
fn open_asymmetric_with<'k, R>(
    sealed: Sealed<'_>,
    lookup: impl FnOnce(KeyId) -> Option<(&'k VerifyingKey, bool)>,
    read: impl FnOnce(&Header, &[u8]) -> Result<R, OpenError>,
) -> Result<(R, Verified), OpenError> {
    let parts = wire::split_asymmetric(sealed.value)?;
    let header = parts.header;
    let (key, previous_key) = lookup(header.kid).ok_or(OpenError::BadSignature)?;
    let spec = sealed.spec;
    wire::verify_asymmetric(key, spec.namespace(), spec.cookie(), &parts)?;
    let verified = sealed.check(header, previous_key)?;
    let json = wire::asymmetric_payload_json(&parts)?;
    Ok((read(&header, &json)?, verified))
}

/// The key among `primary` and then `previous` whose id (as `id_of` reads
/// it) is `kid`, and whether it is a previous one: how a keyring of
/// secrets and one of public keys find the key a value names.
pub(crate) fn find_key<'k, K>(
    primary: &'k K,
    previous: &'k [K],
    kid: KeyId,
    id_of: impl Fn(&K) -> KeyId,
) -> Option<(&'k K, bool)> {
    if id_of(primary) == kid {
        return Some((primary, false));
    }
    previous
        .iter()
        .find(|key| id_of(key) == kid)
        .map(|key| (key, true))
}

/// A value being opened: its bytes as received, for `spec`'s binding, at
/// `now`. What every step of [`Keyring::open_with`] is given.
#[derive(Clone, Copy)]
struct Sealed<'a> {
    spec: &'a SessionSpec,
    value: &'a [u8],
    now: u64,
}

impl Sealed<'_> {
    /// [`Verified::check`] of the authenticated `header` against this
    /// value's spec and time.
    fn check(&self, header: Header, previous_key: bool) -> Result<Verified, OpenError> {
        Verified::check(header, previous_key, self.spec, self.now)
    }
}

/// A nonce for one encrypted value: 24 bytes read from the operating
/// system's random number generator on every call. Random, not counted:
/// 192 bits make a repeat negligible across any number of processes
/// sharing a key, with no state to coordinate. Read from the operating
/// system rather than a generator in this process, because such a
/// generator's state is copied by `fork` and two children would then draw
/// the same nonces; with no state here, that cannot happen.
///
/// # Panics
///
/// If the operating system cannot supply random bytes (documented on the
/// public seal methods).
fn fresh_nonce() -> [u8; NONCE_LEN] {
    let mut nonce = [0u8; NONCE_LEN];
    #[allow(clippy::expect_used)] // documented: no OS randomness, no nonces.
    OsRng
        .try_fill_bytes(&mut nonce)
        .expect("the operating system's random number generator failed");
    nonce
}

/// What an envelope whose MAC (or AEAD tag) and expiry checked out said
/// about its payload.
pub(crate) struct Verified {
    header: Header,
    expires_at: u64,
    previous_key: bool,
    /// The client fingerprint the value carries (a cookie-mode type that
    /// binds one).
    fingerprint: Option<Fingerprint>,
}

impl Verified {
    /// The expiry of an authenticated `header`: the earliest of its `exp`,
    /// `iat + max_age` and the absolute cap of today's `spec`;
    /// [`OpenError::Expired`] when that is not after `now`.
    #[inline]
    fn check(
        header: Header,
        previous_key: bool,
        spec: &SessionSpec,
        now: u64,
    ) -> Result<Self, OpenError> {
        let expires_at = header
            .exp
            .min(header.iat.saturating_add(spec.max_age_secs()))
            .min(spec.absolute_expiry(header.started()).unwrap_or(u64::MAX));
        if expires_at <= now {
            return Err(OpenError::Expired {
                expired_at: expires_at,
            });
        }
        Ok(Verified {
            header,
            expires_at,
            previous_key,
            fingerprint: None,
        })
    }

    pub(crate) fn into_opened<T>(self, payload: T, spec: &SessionSpec, now: u64) -> Opened<T> {
        Opened {
            payload,
            issued_at: self.header.iat,
            expires_at: self.expires_at,
            started_at: self.header.started(),
            version: self.header.version,
            key_id: self.header.kid,
            previous_key: self.previous_key,
            migrated: self.header.version != spec.version(),
            renewal_due: now >= self.header.iat.saturating_add(spec.renew_after_secs()),
            fingerprint: self.fingerprint,
        }
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Keys::Public(keys) = &self.inner.keys {
            return f
                .debug_struct("Keyring")
                .field("tier", &self.inner.tier)
                .field("verify_only", &true)
                .field("public_keys", keys)
                .finish_non_exhaustive();
        }
        f.debug_struct("Keyring")
            .field("tier", &self.inner.tier)
            .field("ephemeral", &self.inner.ephemeral)
            .field("primary", &self.primary_key_id())
            .field("previous", &self.previous_key_ids())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[path = "keyring_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "keyring_vectors.rs"]
mod vectors;

/// A revocable payload's user key, if it has one, must fit a revocation
/// ([`crate::revocation::MAX_USER_LEN`]); an anonymous one (no user) is
/// revoked only with its whole namespace.
fn check_revocable_user<T: SessionPayload>(payload: &T) -> Result<(), SealError> {
    match payload.session_user() {
        Some(user) if user.is_empty() || user.len() > crate::revocation::MAX_USER_LEN => {
            Err(SealError::RevocableUser { len: user.len() })
        }
        _ => Ok(()),
    }
}
