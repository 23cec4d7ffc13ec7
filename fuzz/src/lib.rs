//! Shared fixtures of the fuzz targets: the session types, the keyring and
//! the fixed clock that `open` uses and `make_seeds` seals with.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use session_seal::{Keyring, SessionPayload, SessionSecret};

/// The fixed "now" of every fuzz run (unix seconds).
pub const NOW: u64 = 1_750_000_000;

/// The primary secret.
pub const PRIMARY: [u8; 32] = [0x5a; 32];
/// A previous secret (rotation): opens, never seals.
pub const PREVIOUS: [u8; 32] = [0xa5; 32];

/// Primary plus one previous key.
pub static KEYRING: LazyLock<Keyring> = LazyLock::new(|| {
    Keyring::new(SessionSecret::from_bytes(&PRIMARY).expect("32 bytes"))
        .with_previous(SessionSecret::from_bytes(&PREVIOUS).expect("32 bytes"))
});

/// The session type the `open` target opens: version 2 with a migration,
/// both clocks (so the header's `age` matters).
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(cookie = "fuzz_sid", namespace = "fuzz", version = 2, max_age = "1d")]
#[session(absolute_max_age = "7d")]
#[session(migrate(from = FuzzV1, version = 1))]
pub struct FuzzSession {
    pub user_id: u64,
    pub name: String,
    pub roles: Vec<String>,
    pub tenant: Option<String>,
    pub admin: bool,
}

/// Version 1 of it (and its writer, for seeds).
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(cookie = "fuzz_sid", namespace = "fuzz", version = 1, max_age = "1d")]
pub struct FuzzV1 {
    pub user_id: u64,
    pub name: String,
}

impl From<FuzzV1> for FuzzSession {
    fn from(old: FuzzV1) -> Self {
        FuzzSession {
            user_id: old.user_id,
            name: old.name,
            roles: vec!["user".into()],
            tenant: None,
            admin: false,
        }
    }
}

/// Same JSON shape and namespace as `FuzzSession`, other cookie name: a value
/// of one must never open as the other.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(cookie = "other_sid", namespace = "fuzz", version = 2, max_age = "1d")]
pub struct OtherSession {
    pub user_id: u64,
    pub name: String,
    pub roles: Vec<String>,
    pub tenant: Option<String>,
    pub admin: bool,
}

/// The encrypted session type the `open` target also opens (wire format 2):
/// version 2 with a migration and both clocks, like `FuzzSession`.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(cookie = "fuzz_enc", namespace = "fuzz", version = 2, max_age = "1d")]
#[session(absolute_max_age = "7d", encrypted)]
#[session(migrate(from = FuzzEncV1, version = 1))]
pub struct EncryptedSession {
    pub user_id: u64,
    pub name: String,
    pub roles: Vec<String>,
    pub tenant: Option<String>,
    pub admin: bool,
}

/// Version 1 of `EncryptedSession` (and its writer, for seeds).
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(cookie = "fuzz_enc", namespace = "fuzz", version = 1, max_age = "1d")]
#[session(encrypted)]
pub struct FuzzEncV1 {
    pub user_id: u64,
    pub name: String,
}

impl From<FuzzEncV1> for EncryptedSession {
    fn from(old: FuzzEncV1) -> Self {
        EncryptedSession {
            user_id: old.user_id,
            name: old.name,
            roles: vec!["user".into()],
            tenant: None,
            admin: false,
        }
    }
}

/// `EncryptedSession`'s binding and shape, signed: no value opens as both
/// (a type opens only its own format).
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(cookie = "fuzz_enc", namespace = "fuzz", version = 2, max_age = "1d")]
#[session(absolute_max_age = "7d")]
pub struct SignedTwin {
    pub user_id: u64,
    pub name: String,
    pub roles: Vec<String>,
    pub tenant: Option<String>,
    pub admin: bool,
}
