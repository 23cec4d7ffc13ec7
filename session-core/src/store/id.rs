//! [`SessionId`], the random id a store-mode cookie carries, and [`StoreKey`],
//! the only form of it a store ever sees.

use std::fmt;

use rand::TryRngCore as _;
use rand::rngs::OsRng;
use subtle::ConstantTimeEq;

use crate::error::{OpenError, SealError};
use crate::keyring::Keyring;
use crate::opened::Opened;
use crate::spec::SessionSpec;
use crate::wire::{self, id::ROUTE_LEN};

/// Bytes of a session id: 192 bits from the operating system's RNG.
pub const SESSION_ID_LEN: usize = wire::id::ID_LEN;

/// The random id of one stored session, as sealed into its cookie.
///
/// Never written to a store: [`StoreKey::derive`] hashes it first, so a dump
/// of the store holds nothing a client could send back. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId([u8; SESSION_ID_LEN]);

impl SessionId {
    /// A fresh id from the operating system's random source.
    ///
    /// # Panics
    ///
    /// If the operating system cannot supply random bytes (as
    /// [`SessionSecret::generate`](crate::SessionSecret::generate)): without
    /// randomness no session id is safe to hand out.
    pub fn generate() -> Self {
        let mut bytes = [0u8; SESSION_ID_LEN];
        #[allow(clippy::expect_used)] // documented: no OS randomness, no ids.
        OsRng
            .try_fill_bytes(&mut bytes)
            .expect("the operating system's random number generator failed");
        SessionId(bytes)
    }

    /// A fresh id whose [`route`](Self::route) is `route`; the other 176
    /// bits are random, as in [`generate`](Self::generate) (which see for
    /// the panic).
    pub fn generate_routed(route: u16) -> Self {
        let mut id = Self::generate();
        id.set_route(route);
        id
    }

    /// A fresh id for a session of `user` (or an anonymous one) in
    /// `namespace`: routed to [`StoreKey::user_route`] when there is a user,
    /// random otherwise. The layer issues every store-mode id this way.
    pub fn generate_for(namespace: &str, user: Option<&str>) -> Self {
        match user {
            Some(user) => Self::generate_routed(StoreKey::user_route(namespace, user)),
            None => Self::generate(),
        }
    }

    /// The id's route: its first 16 bits, copied into its [`StoreKey`].
    pub fn route(&self) -> u16 {
        let [high, low, ..] = self.0;
        u16::from_be_bytes([high, low])
    }

    /// The id of these bytes (tests pin ids this way, and a refresh
    /// rotation derives its successor id).
    pub(crate) fn from_bytes(bytes: [u8; SESSION_ID_LEN]) -> Self {
        SessionId(bytes)
    }

    /// The id's bytes.
    pub(crate) fn as_bytes(&self) -> &[u8; SESSION_ID_LEN] {
        &self.0
    }

    /// Gives the id `route` as its first 16 bits.
    pub(crate) fn set_route(&mut self, route: u16) {
        self.0[..ROUTE_LEN].copy_from_slice(&route.to_be_bytes());
    }

    /// The id as base64url (the JSON string sealed into the cookie).
    #[cfg(test)]
    pub(crate) fn to_text(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.0)
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId(<redacted>)")
    }
}

/// The at-rest key of a stored session: its first two bytes are the id's
/// route, the other 30 are SHA-256 over a domain label, the namespace and the
/// [`SessionId`].
///
/// Binding the namespace means an id can only ever address a row of its own
/// session type, even in a store shared by several types. Shown as lowercase
/// hex; since it is a one-way hash it is not secret, but it is not an
/// identifier a client can use either.
///
/// # Routes
///
/// The [`route`](Self::route) lets a sharded backend (Redis Cluster) keep
/// every session of one user, and that user's index, on one shard, so that
/// "log out everywhere" and the atomic id move stay single-shard operations:
/// a session with a user is always stored under a key whose route is
/// [`user_route`](Self::user_route)`(namespace, user)`, and a renewed session
/// keeps its route. An anonymous session's route is random. The route is 16
/// bits of the id made visible at rest; the id keeps 176 secret random bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StoreKey([u8; 32]);

impl StoreKey {
    /// The key under which `namespace`'s session `id` is stored.
    pub fn derive(namespace: &str, id: &SessionId) -> Self {
        StoreKey(wire::id::store_key(namespace, &id.0))
    }

    /// The route of this key (the first 16 bits of its id); see [Routes](Self#routes).
    pub fn route(&self) -> u16 {
        let [high, low, ..] = self.0;
        u16::from_be_bytes([high, low])
    }

    /// The route every session of `user` in `namespace` is stored under.
    pub fn user_route(namespace: &str, user: &str) -> u16 {
        wire::id::user_route(namespace, user)
    }

    /// The raw 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key from its raw bytes (for stores that keep it in binary).
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        StoreKey(bytes)
    }

    /// Lowercase hex, 64 characters (for stores that keep text keys).
    pub fn to_hex(&self) -> String {
        let mut out = String::with_capacity(64);
        for byte in self.0 {
            out.push(hex_digit(byte >> 4));
            out.push(hex_digit(byte & 0x0f));
        }
        out
    }

    /// Reads [`to_hex`](Self::to_hex)'s output (either case); anything else is `None`.
    pub fn from_hex(text: &str) -> Option<Self> {
        let text = text.as_bytes();
        if text.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
            let [high, low] = pair else { return None };
            *byte = (hex_value(*high)? << 4) | hex_value(*low)?;
        }
        Some(StoreKey(out))
    }

    /// Constant-time equality, for stores that compare keys from the wire.
    pub fn ct_eq(&self, other: &StoreKey) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

/// The lowercase hex digit of a nibble (`0..=15`).
fn hex_digit(nibble: u8) -> char {
    char::from_digit(u32::from(nibble), 16).unwrap_or('0')
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

impl fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreKey({})", self.to_hex())
    }
}

impl fmt::Display for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Sealing and opening store-mode cookies: the payload is the id as a JSON
/// string, under the same envelope and bindings as any payload.
impl Keyring {
    /// Seals a store-mode session's `id` for `spec` at `now`, for a session
    /// that started at `started_at` (`now` for a new one), under the same
    /// envelope and bindings as a payload (the payload is the id as a JSON
    /// string). Fails as [`reseal_at`](Keyring::reseal_at) does.
    ///
    /// The id's JSON is built in a buffer that is wiped when dropped.
    ///
    /// # Panics
    ///
    /// As [`reseal_at`](Keyring::reseal_at), when an encrypted type's nonce
    /// cannot be read from the operating system.
    pub fn seal_id_at(
        &self,
        spec: &SessionSpec,
        id: &SessionId,
        started_at: u64,
        now: u64,
    ) -> Result<String, SealError> {
        let mut json = wire::id::id_json(&id.0);
        self.seal_json(spec, &mut json, started_at, now)
    }

    /// Opens a store-mode cookie of `spec` at `now`: the same checks as
    /// [`open_at`](Keyring::open_at), then the payload must be exactly a
    /// [`SessionId`]. A version newer than `spec`'s is
    /// [`OpenError::UnknownVersion`]; older ones open (the stored row carries
    /// its own schema version).
    pub fn open_id_at(
        &self,
        spec: &SessionSpec,
        value: &str,
        now: u64,
    ) -> Result<Opened<SessionId>, OpenError> {
        let (id, verified) = self.open_with(spec, value.as_bytes(), now, |header, json| {
            if header.version > spec.version() {
                return Err(OpenError::UnknownVersion {
                    found: header.version,
                    current: spec.version(),
                });
            }
            wire::id::id_from_json(json)
                .map(SessionId)
                .ok_or(OpenError::Malformed)
        })?;
        let mut opened = verified.into_opened(id, spec, now);
        // Neither applies to an id: its row is migrated on write, and stored
        // sessions slide at `touch_after`, not `renew_after`.
        opened.migrated = false;
        opened.renewal_due = false;
        Ok(opened)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_and_redacted() {
        let a = SessionId::generate();
        let b = SessionId::generate();
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), "SessionId(<redacted>)");
        assert!(!format!("{a:?}").contains(&a.to_text()));
    }

    #[test]
    fn store_key_depends_on_namespace_and_id_and_hides_the_id() {
        let id = SessionId::generate();
        let key = StoreKey::derive("admin", &id);
        assert_eq!(key, StoreKey::derive("admin", &id));
        assert_ne!(key, StoreKey::derive("tenant", &id));
        assert_ne!(key, StoreKey::derive("admin", &SessionId::generate()));
        assert!(!key.to_hex().contains(&id.to_text()));
    }

    #[test]
    fn routes_are_carried_from_id_to_key_and_shared_by_a_users_sessions() {
        let route = StoreKey::user_route("admin", "alice");
        assert_eq!(route, StoreKey::user_route("admin", "alice"));
        assert_ne!(route, StoreKey::user_route("tenant", "alice"));
        let (phone, laptop) = (
            SessionId::generate_for("admin", Some("alice")),
            SessionId::generate_for("admin", Some("alice")),
        );
        assert_ne!(phone, laptop, "still random past the route");
        assert_eq!(phone.route(), route);
        assert_eq!(StoreKey::derive("admin", &phone).route(), route);
        assert_eq!(StoreKey::derive("admin", &laptop).route(), route);
        let renewed = SessionId::generate_routed(phone.route());
        assert_eq!(StoreKey::derive("admin", &renewed).route(), route);
        let anonymous = SessionId::generate_for("admin", None);
        assert_eq!(
            StoreKey::derive("admin", &anonymous).route(),
            anonymous.route()
        );
    }

    #[test]
    fn store_key_hex_round_trips() {
        let key = StoreKey::derive("admin", &SessionId::generate());
        let hex = key.to_hex();
        assert_eq!(hex.len(), 64);
        assert_eq!(StoreKey::from_hex(&hex), Some(key));
        assert_eq!(StoreKey::from_hex(&hex.to_uppercase()), Some(key));
        assert_eq!(StoreKey::from_hex(&hex[..63]), None);
        assert_eq!(
            StoreKey::from_hex(&hex.replace('a', "g")).is_some(),
            !hex.contains('a')
        );
        assert!(key.ct_eq(&key));
    }

    #[test]
    fn store_keys_compare_and_show_as_their_bytes() {
        let mut bytes = [0u8; 32];
        bytes[0] = 0xab;
        bytes[31] = 0x0f;
        let key = StoreKey::from_bytes(bytes);
        assert_eq!(key.as_bytes(), &bytes);
        let hex = format!("ab{}0f", "00".repeat(30));
        assert_eq!(key.to_hex(), hex);
        assert_eq!(key.to_string(), hex);
        assert_eq!(format!("{key:?}"), format!("StoreKey({hex})"));
        assert_eq!(StoreKey::from_hex(&hex), Some(key));
        let mut other = bytes;
        other[31] = 0x0e;
        assert!(!key.ct_eq(&StoreKey::from_bytes(other)));
        assert!(key.ct_eq(&StoreKey::from_bytes(bytes)));
    }
}
