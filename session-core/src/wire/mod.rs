//! The wire format, all of it: a 29-byte header `H` and, for signed types (format 1),
//! `H "." P "." T`, each part base64url without padding.
//!
//! | bytes | field |
//! |---|---|
//! | 1 | format: `1` signed, `2` encrypted, `3` asymmetric |
//! | 4 | key id |
//! | 4 | schema version (u32) |
//! | 8 | `iat`: unix seconds, when the value was sealed |
//! | 8 | `exp`: unix seconds, when it stops opening |
//! | 4 | `age`: `iat − started` in seconds (u32, saturating) |
//!
//! All integers are big-endian. `P` is the payload as JSON; `T` is
//! HMAC-SHA256 over the ASCII bytes of `H "." P` exactly as they appear in the
//! cookie, under the MAC key of the type's (namespace, cookie name) binding.
//! The binding is not part of the MAC input: each binding has its own key
//! (see [`Keyring`](crate::Keyring)), so a tag made for one pair means nothing
//! under any other.
//!
//! Format 2, for encrypted types, is `H "." C` with the same header (format
//! byte 2): `C` is base64url(`nonce` (24 random bytes) ‖ ciphertext ‖ tag
//! (16 bytes)) of XChaCha20-Poly1305 under the binding's encryption key,
//! with the payload JSON as plaintext and the ASCII bytes of `H` as sent as
//! associated data. The header stays readable (the key id must be, to pick
//! the key) but every bit of it is authenticated by the AEAD tag. A type
//! opens only its own format: a signed value presented to an encrypted type,
//! or the reverse, is `Malformed`, never a downgrade.
//!
//! Format 3, for asymmetric types, is `H "." P "." S` with the same header
//! (format byte 3) and payload part as format 1: `S` is the 64-byte
//! Ed25519 signature of the secret's signing key over
//! `"session-seal/v1 sig" 0x00 ‖ B ‖ H "." P` (see `wire/asymmetric.rs`),
//! which anyone holding the public key can check and only the secret's
//! holder can make.
//!
//! XChaCha20-Poly1305 is as draft-irtf-cfrg-xchacha-03 defines it: HChaCha20
//! of the key and the nonce's first 16 bytes gives a subkey, under which
//! ChaCha20-Poly1305 (RFC 8439) seals with the nonce `0x00000000 ‖` its
//! last 8 bytes. HChaCha20 comes from RustCrypto's `chacha20` crate and
//! ChaCha20-Poly1305 from `ring` (BoringSSL's assembly), which is several
//! times faster for cookie-sized values than RustCrypto's
//! `chacha20poly1305`; the tests check the two byte for byte.
//!
//! # Keys
//!
//! Every key comes from the secret by HKDF-SHA256 with salt
//! `"session-seal/v1"` ([`HKDF_SALT`]):
//!
//! - the key id, 4 bytes: info `"session-seal/v1 kid"` ([`KID_INFO`]);
//! - a binding's MAC key (format 1), 32 bytes: info `"session-seal/v1 mac"
//!   0x00 len8(namespace) namespace len8(cookie) cookie` ([`MAC_INFO`]);
//! - a binding's encryption key (format 2), 32 bytes: the same with
//!   `"session-seal/v1 enc"` ([`ENC_INFO`]);
//! - a binding's CSRF token key, 32 bytes: the same with
//!   `"session-seal/v1 csrf"` ([`CSRF_INFO`]; tokens in [`crate::csrf`]);
//! - a binding's fingerprint key, 32 bytes: the same with
//!   `"session-seal/v1 fingerprint"` ([`FINGERPRINT_INFO`]; see
//!   [`crate::fingerprint`]);
//! - a refresh type's successor key, 32 bytes: the same with
//!   `"session-seal/v1 refresh"` ([`REFRESH_INFO`]; the id a rotated
//!   refresh id moves to, see [`crate::store::refresh`]).
//!
//! Format 3 (asymmetric types) has one Ed25519 key pair per secret, for
//! every binding: its 32-byte seed comes with info `"session-seal/v1
//! ed25519"` ([`ED25519_INFO`]) and no binding. Its key id is not derived
//! from the secret but from the public key, the first 4 bytes of
//! `SHA-256("session-seal/v1 pk" ‖ public key)` ([`PUBLIC_KEY_ID_CONTEXT`]),
//! so a holder of public keys only finds keys by id too; its signatures
//! cover `"session-seal/v1 sig" 0x00 len8(namespace) namespace len8(cookie)
//! cookie ‖ H "." P` ([`SIG_CONTEXT`]).
//!
//! # Opening, in order
//!
//! 1. Size: over [`MAX_VALUE_LEN`] bytes is `TooLarge`, before anything is
//!    split or decoded.
//! 2. Shape: the parts at their fixed places, a canonical header of the
//!    type's own format, a canonical tag (format 1) or 64-byte signature
//!    (format 3); else `Malformed`.
//! 3. The key by the header's key id (an unknown id is `BadSignature`),
//!    then the MAC over `H "." P` as received, or the AEAD tag over `C` with
//!    `H` as associated data, compared in constant time, or the Ed25519
//!    signature over the binding and `H "." P` as received, checked with
//!    `verify_strict`: `BadSignature`.
//! 4. Only then the header's times (`Expired`) and version (`UnknownVersion`,
//!    or a declared migration), and the payload JSON (`Malformed`).
//!
//! # Store-mode ids
//!
//! A store-mode cookie seals a session id as its payload: the JSON string of
//! the id's 24 bytes in base64url. The store never sees the id,
//! only `SHA-256("session-seal/store/v1" 0x00 len8(namespace) namespace id)`
//! with the id's first two bytes (its route) in place of the hash's.
//!
//! Known-answer vectors for the three formats (format 3's with its public
//! key and key id), the key id, the store key and the
//! user route are in `session-core/src/wire/vectors.txt`, checked in the
//! crate's tests: sealing reproduces each value byte for byte and each
//! value opens to its payload.
//!
//! This module holds the pure encoding and checking steps; the keyring
//! chooses keys and applies them in that order.
//!
//! # Plaintext buffers
//!
//! Every buffer here that holds payload JSON is a [`Zeroizing`] `Vec` made
//! for one call: `PayloadJson` for sealing an encrypted type,
//! `payload_json` and `decode_sealed` for opening either format. Each
//! is allocated once with all the capacity it will need and never grows,
//! because growing a `Vec` moves its bytes and frees the old block without
//! wiping it. Its bytes and its spare capacity are overwritten when it is
//! dropped, on success, on every error and on unwinding alike. What lies
//! outside these buffers (the JSON of a signed seal among them) is not
//! wiped; see [`Keyring`](crate::Keyring).

mod asymmetric;
mod encrypted;
pub(crate) mod id;
mod inspect;
mod json;
mod signed;
#[cfg(test)]
mod tests;
mod xchacha;
#[cfg(test)]
mod xchacha_tests;

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Hmac;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::OpenError;

pub use asymmetric::{
    ED25519_INFO, PUBLIC_KEY_ID_CONTEXT, PUBLIC_KEY_LEN, SIG_CONTEXT, SIGNATURE_B64_LEN,
    SIGNATURE_LEN,
};
pub(crate) use asymmetric::{
    Signer, asymmetric_len, asymmetric_payload_json, public_key_id, seal_asymmetric,
    split_asymmetric, verify_asymmetric,
};
pub(crate) use encrypted::{
    decode_sealed, encrypted_len, open_sealed, seal_encrypted, split_encrypted,
};
pub use inspect::{Inspection, WireFormat, inspect, peek_key_id};
pub(crate) use json::PayloadJson;
pub(crate) use signed::{payload_json, seal_signed, signed_len, split_signed, verify};
pub(crate) use xchacha::XChaCha20Poly1305;

/// HKDF salt of every key derived from a secret.
pub const HKDF_SALT: &[u8] = b"session-seal/v1";
/// HKDF info of the key id.
pub const KID_INFO: &[u8] = b"session-seal/v1 kid";
/// HKDF info purpose of a binding's MAC key (format 1); the binding follows
/// after a zero byte: `0x00 len8(namespace) namespace len8(cookie) cookie`.
pub const MAC_INFO: &[u8] = b"session-seal/v1 mac";
/// HKDF info purpose of a binding's encryption key (format 2).
pub const ENC_INFO: &[u8] = b"session-seal/v1 enc";
/// HKDF info purpose of a binding's CSRF token key ([`crate::csrf`]).
pub const CSRF_INFO: &[u8] = b"session-seal/v1 csrf";
/// HKDF info purpose of a binding's client fingerprint key
/// ([`crate::fingerprint`]).
pub const FINGERPRINT_INFO: &[u8] = b"session-seal/v1 fingerprint";
/// HKDF info purpose of a refresh type's successor key: the id a hybrid
/// session's refresh id is rotated to ([`crate::store::refresh`]).
pub const REFRESH_INFO: &[u8] = b"session-seal/v1 refresh";

/// HMAC-SHA256.
pub(crate) type HmacSha256 = Hmac<Sha256>;

/// The public 4-byte identifier of a secret, carried in every cookie header so
/// that opening picks the key directly instead of trying each one.
///
/// Derived from the secret by HKDF, so it reveals nothing about it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub(crate) [u8; 4]);

impl KeyId {
    /// The raw bytes.
    pub const fn to_bytes(self) -> [u8; 4] {
        self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// The format byte of a signed value (`H "." P "." T`).
pub const FORMAT_SIGNED: u8 = 1;
/// The format byte of an encrypted value (`H "." C`).
pub const FORMAT_ENCRYPTED: u8 = 2;
/// The format byte of an asymmetric value (`H "." P "." S`, Ed25519).
pub const FORMAT_ASYMMETRIC: u8 = 3;
/// Bytes in the binary header.
pub const HEADER_LEN: usize = 29;
/// Bytes in the MAC tag.
pub const TAG_LEN: usize = 32;
/// Length of the base64url header part.
pub const HEADER_B64_LEN: usize = 39;
/// Length of the base64url tag part.
pub const TAG_B64_LEN: usize = 43;
/// Bytes in the random nonce of an encrypted value (XChaCha20-Poly1305).
pub const NONCE_LEN: usize = 24;
/// Bytes in the AEAD tag of an encrypted value (Poly1305).
pub const AEAD_TAG_LEN: usize = 16;
/// Fewest bytes the decoded `C` part of an encrypted value can have: a
/// nonce and a tag around an empty ciphertext.
pub const MIN_SEALED_LEN: usize = NONCE_LEN + AEAD_TAG_LEN;
/// Longest cookie value [`Keyring::open`](crate::Keyring::open) looks at; browsers
/// keep at most 4096 bytes per cookie, so anything longer did not come from us.
pub const MAX_VALUE_LEN: usize = 4096;
/// Longest `Set-Cookie` (`name=value` plus attributes) we issue.
pub const MAX_SET_COOKIE_LEN: usize = 4096;
/// Longest payload JSON that can be sealed: base64 turns `n` bytes into at
/// least `4n/3` characters, so any longer JSON makes a value past
/// [`MAX_SET_COOKIE_LEN`] whatever the format, name and attributes.
pub const MAX_JSON_LEN: usize = MAX_SET_COOKIE_LEN / 4 * 3;
/// Capacity of the buffer a seal first serializes into (see
/// [`PayloadJson::serialize`]). Most payloads' JSON fits in it with room
/// for format 2's nonce and tag, and a block this small comes from the
/// allocator's per-thread cache and is quick to wipe; a buffer sized for
/// the longest JSON would make every seal allocate and wipe several times
/// as much.
pub(crate) const FIRST_SEAL_CAPACITY: usize = 1024;

/// The fixed-size authenticated header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) format: u8,
    pub(crate) kid: KeyId,
    pub(crate) version: u32,
    pub(crate) iat: u64,
    pub(crate) exp: u64,
    pub(crate) age: u32,
}

impl Header {
    /// When the session began: `iat − age`.
    pub(crate) fn started(&self) -> u64 {
        self.iat.saturating_sub(u64::from(self.age))
    }

    pub(crate) fn to_bytes(self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        let (format, rest) = out.split_at_mut(1);
        let (kid, rest) = rest.split_at_mut(4);
        let (version, rest) = rest.split_at_mut(4);
        let (iat, rest) = rest.split_at_mut(8);
        let (exp, age) = rest.split_at_mut(8);
        format.copy_from_slice(&[self.format]);
        kid.copy_from_slice(&self.kid.0);
        version.copy_from_slice(&self.version.to_be_bytes());
        iat.copy_from_slice(&self.iat.to_be_bytes());
        exp.copy_from_slice(&self.exp.to_be_bytes());
        age.copy_from_slice(&self.age.to_be_bytes());
        out
    }

    /// Reads a header whose format byte is `format`; `None` for any other.
    pub(crate) fn from_bytes(bytes: &[u8; HEADER_LEN], format: u8) -> Option<Self> {
        let (found, rest) = bytes.split_first()?;
        if *found != format {
            return None;
        }
        let (kid, rest) = rest.split_first_chunk::<4>()?;
        let (version, rest) = rest.split_first_chunk::<4>()?;
        let (iat, rest) = rest.split_first_chunk::<8>()?;
        let (exp, age) = rest.split_first_chunk::<8>()?;
        let age: &[u8; 4] = age.try_into().ok()?;
        Some(Header {
            format,
            kid: KeyId(*kid),
            version: u32::from_be_bytes(*version),
            iat: u64::from_be_bytes(*iat),
            exp: u64::from_be_bytes(*exp),
            age: u32::from_be_bytes(*age),
        })
    }
}

/// The HKDF `info` of a binding's key for `purpose`:
/// `purpose ‖ 0x00 ‖ len8(namespace) ‖ namespace ‖ len8(cookie) ‖ cookie`.
///
/// Namespaces are ≤ 64 and cookie names ≤ 255 bytes (`SessionSpec` enforces
/// both), so each length fits its byte and the encoding is unambiguous.
pub(crate) fn binding_info<'a>(
    purpose: &'a [u8],
    lengths: &'a [u8; 2],
    namespace: &'a str,
    cookie: &'a str,
) -> [&'a [u8]; 6] {
    let [namespace_len, cookie_len] = lengths;
    [
        purpose,
        b"\0",
        std::slice::from_ref(namespace_len),
        namespace.as_bytes(),
        std::slice::from_ref(cookie_len),
        cookie.as_bytes(),
    ]
}

/// The one-byte lengths of `binding_info`.
pub(crate) fn binding_lengths(namespace: &str, cookie: &str) -> [u8; 2] {
    let len8 = |s: &str| u8::try_from(s.len()).unwrap_or(u8::MAX);
    [len8(namespace), len8(cookie)]
}

/// Unpadded base64 length of `n` bytes.
pub(crate) fn base64_len(n: usize) -> usize {
    n / 3 * 4 + [0, 2, 3].get(n % 3).copied().unwrap_or(0)
}

/// Encodes `bytes` into `out` at `at`, returning the end.
pub(crate) fn encode_at(out: &mut [u8], at: usize, bytes: &[u8]) -> usize {
    let written = out
        .get_mut(at..)
        .and_then(|rest| URL_SAFE_NO_PAD.encode_slice(bytes, rest).ok())
        .unwrap_or(0);
    at + written
}

/// Writes a `.` at `at`, returning the end.
pub(crate) fn put_dot(out: &mut [u8], at: usize) -> usize {
    match out.get_mut(at) {
        Some(byte) => {
            *byte = b'.';
            at + 1
        }
        None => at,
    }
}

/// Decodes canonical base64url `text` into a [`Zeroizing`] buffer
/// allocated once at the decoder's upper bound for that length (at most two
/// bytes over), so decoding never grows it; [`OpenError::Malformed`] for
/// text that is not canonical base64url.
pub(crate) fn decode_wiped(text: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    let mut buf = Zeroizing::new(vec![0u8; base64::decoded_len_estimate(text.len())]);
    let len = URL_SAFE_NO_PAD
        .decode_slice(text, buf.as_mut_slice())
        .map_err(|_| OpenError::Malformed)?;
    buf.truncate(len);
    Ok(buf)
}

/// Decodes canonical base64url (no padding, no stray trailing bits) into
/// exactly `N` bytes (at most [`MAX_FIXED_LEN`]), with the `base64` crate.
pub(crate) fn decode_exact<const N: usize>(text: &[u8]) -> Result<[u8; N], OpenError> {
    if N > MAX_FIXED_LEN || text.len() != base64_len(N) {
        return Err(OpenError::Malformed);
    }
    // The decoder wants room for its estimate (up to two bytes over).
    let mut room = [0u8; MAX_FIXED_LEN + 2];
    let written = URL_SAFE_NO_PAD
        .decode_slice(text, &mut room)
        .map_err(|_| OpenError::Malformed)?;
    let decoded = room.get(..written).ok_or(OpenError::Malformed)?;
    decoded.try_into().map_err(|_| OpenError::Malformed)
}

/// The longest fixed-size part [`decode_exact`] reads: format 3's
/// signature.
const MAX_FIXED_LEN: usize = SIGNATURE_LEN;
