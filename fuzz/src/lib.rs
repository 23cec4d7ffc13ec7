//! Shared fixtures of the fuzz targets: the session types, the keyring and
//! the fixed clock that `open` uses and `make_seeds` seals with.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use session_seal::{Keyring, SessionPayload, SessionSecret, VerifyingKeyring};

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

/// The asymmetric session type the `open` target also opens (wire format 3,
/// Ed25519): version 2 and both clocks, like `FuzzSession`.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(cookie = "fuzz_asym", namespace = "fuzz", version = 2, max_age = "1d")]
#[session(absolute_max_age = "7d", asymmetric)]
pub struct AsymmetricSession {
    pub user_id: u64,
    pub name: String,
    pub roles: Vec<String>,
    pub tenant: Option<String>,
    pub admin: bool,
}

/// `AsymmetricSession`'s binding and shape, signed with HMAC: no value
/// opens as both.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(cookie = "fuzz_asym", namespace = "fuzz", version = 2, max_age = "1d")]
#[session(absolute_max_age = "7d")]
pub struct AsymmetricSignedTwin {
    pub user_id: u64,
    pub name: String,
    pub roles: Vec<String>,
    pub tenant: Option<String>,
    pub admin: bool,
}

/// A signed session type bound to the browser (`fingerprint`): its payload
/// bytes are a 16-byte fingerprint and then the JSON.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(cookie = "fuzz_bound", namespace = "fuzz", version = 2, max_age = "1d")]
#[session(absolute_max_age = "7d", fingerprint)]
pub struct BoundSession {
    pub user_id: u64,
    pub name: String,
    pub roles: Vec<String>,
    pub tenant: Option<String>,
    pub admin: bool,
}

/// The public keys of [`KEYRING`]'s secrets: what a verify-only service
/// holds.
pub static PUBLIC_KEYS: LazyLock<VerifyingKeyring> = LazyLock::new(|| KEYRING.verifying_keyring());

/// The `store_scan` target's input format, shared with `make_seeds`.
///
/// The input is a list of operations, each an op byte (`% 8` picks one of
/// the `OP_*` below) and its operand bytes; together they write `Cookie`
/// header lines out of the target's table of genuine values (an index is
/// taken modulo [`GENUINE`](store_scan::GENUINE)). A missing operand byte
/// reads as 0; the header stops growing at
/// [`MAX_HEADER`](store_scan::MAX_HEADER) bytes.
pub mod store_scan {
    /// `i r`: `name=value` of genuine value `i` under its own cookie name,
    /// `r + 1` times.
    pub const OP_REF: u8 = 0;
    /// `n i`: genuine value `i` under [`NAMES`]`[n]`.
    pub const OP_NAMED: u8 = 1;
    /// `i p x`: genuine value `i`, its byte `p` (mod its length) XORed with
    /// `x`, or the value cut before it if `x` is 0; under its own name.
    pub const OP_MUTATE: u8 = 2;
    /// `n len bytes…`: `len` input bytes as the value of [`NAMES`]`[n]`.
    pub const OP_JUNK: u8 = 3;
    /// `len bytes…`: `len` input bytes appended as they are.
    pub const OP_RAW: u8 = 4;
    /// Starts a new `Cookie` header line.
    pub const OP_LINE: u8 = 5;
    /// `i w`: genuine value `i` under its own name, wrapped ([`WRAPS`]`[w]`).
    pub const OP_WRAP: u8 = 6;
    /// `s`: the separator written before each later pair ([`SEPARATORS`]`[s]`).
    pub const OP_SEP: u8 = 7;

    /// Cookie names `OP_NAMED` and `OP_JUNK` choose from: the two types'
    /// own, forms the scanner reads as them (whitespace around a name is
    /// trimmed) and names it must not.
    pub const NAMES: [&str; 8] = [
        "acct", "team", " acct ", "acct\t", "acc", "acct2", "ACCT", "x",
    ];
    /// `OP_WRAP`'s forms, as (before name `=`, after `=` before the value,
    /// after the value): the first two still open (the scanner trims
    /// whitespace), the last two never do.
    pub const WRAPS: [(&str, &str, &str); 4] = [
        (" ", " \t", "\t "),
        ("", " ", ""),
        ("", "\"", "\""),
        ("", "", "="),
    ];
    /// Pair separators `OP_SEP` chooses from (the first is the default).
    pub const SEPARATORS: [&str; 4] = ["; ", ";", " ;\t", ";;"];

    /// Header bytes at most (all lines together): keeps an execution cheap.
    pub const MAX_HEADER: usize = 64 * 1024;
    /// `Cookie` lines at most.
    pub const MAX_LINES: usize = 64;

    /// Genuine values of the `acct` type: indexes `0..8`, sealed at `NOW`
    /// under the primary key, of ids `0..8`; the rows of ids `0..3` exist
    /// (logged in), those of `3..8` were deleted (logged out).
    pub const ACCT: u8 = 0;
    /// The same for the `team` type: indexes `8..16`.
    pub const TEAM: u8 = 8;
    /// Ids per type.
    pub const IDS: u8 = 8;
    /// Live ids per type (the first ones).
    pub const LIVE: u8 = 3;
    /// `acct` id 0 (live) sealed under the previous key: opens, re-sealed.
    pub const ACCT_LIVE0_PREVIOUS: u8 = 16;
    /// `acct` id 1 (live) sealed 100 s earlier: opens, re-sealed.
    pub const ACCT_LIVE1_OLDER: u8 = 17;
    /// `acct` id 3 (logged out) sealed under the previous key.
    pub const ACCT_DEAD3_PREVIOUS: u8 = 18;
    /// `acct` id 2 (live) sealed two days ago: expired, never looked up.
    pub const ACCT_LIVE2_EXPIRED: u8 = 19;
    /// `acct` id 0 sealed as schema version 2: unknown version, never looked up.
    pub const ACCT_LIVE0_V2: u8 = 20;
    /// `team` id 0 (live) under the previous key.
    pub const TEAM_LIVE0_PREVIOUS: u8 = 21;
    /// `team` id 4 (logged out) sealed 100 s earlier.
    pub const TEAM_DEAD4_OLDER: u8 = 22;
    /// `acct` id 1 (live) sealed as a `team` value (the cookie under
    /// `acct`'s name is a forgery for `acct`: another key).
    pub const ACCT_ID1_AS_TEAM: u8 = 23;
    /// Size of the table.
    pub const GENUINE: u8 = 24;
}
