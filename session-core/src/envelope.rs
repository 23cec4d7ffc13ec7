//! The wire format: a 29-byte header `H` and, for signed types (format 1),
//! `H "." P "." T`, each part base64url without padding.
//!
//! | bytes | field |
//! |---|---|
//! | 1 | format: `1` signed, `2` encrypted |
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
//! This module holds the pure encoding and checking steps; the keyring
//! chooses keys and applies them in order: size and shape, then the MAC or
//! AEAD tag, and only then anything read from the header or payload.
//!
//! # Plaintext buffers
//!
//! Every buffer here that holds payload JSON is a [`Zeroizing`] `Vec` made
//! for one call: [`PayloadJson`] for sealing an encrypted type,
//! [`payload_json`] and [`decode_sealed`] for opening either format. Each
//! is allocated once with all the capacity it will need and never grows,
//! because growing a `Vec` moves its bytes and frees the old block without
//! wiping it. Its bytes and its spare capacity are overwritten when it is
//! dropped, on success, on every error and on unwinding alike. What lies
//! outside these buffers (the JSON of a signed seal among them) is not
//! wiped; see [`Keyring`](crate::Keyring).

use std::fmt;
use std::io;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::AeadInPlace as _;
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::OpenError;
use crate::fixed_b64;

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
pub const FIRST_SEAL_CAPACITY: usize = 1024;

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

/// Length of the signed value for a payload of `json_len` bytes.
pub(crate) fn signed_len(json_len: usize) -> usize {
    HEADER_B64_LEN + 1 + base64_len(json_len) + 1 + TAG_B64_LEN
}

/// Length of the encrypted value for a payload of `json_len` bytes: the
/// header, a dot, and the base64url of nonce, ciphertext (as long as the
/// JSON) and tag.
pub(crate) fn encrypted_len(json_len: usize) -> usize {
    HEADER_B64_LEN + 1 + base64_len(MIN_SEALED_LEN + json_len)
}

/// Unpadded base64 length of `n` bytes.
pub(crate) fn base64_len(n: usize) -> usize {
    n / 3 * 4 + [0, 2, 3].get(n % 3).copied().unwrap_or(0)
}

/// Produces the signed value for `json` under `header`, MACed with `mac`.
///
/// One allocation of the exact size, each part encoded in place: the base64
/// crate's `encode_string` goes through a zeroed 1 KiB chunk buffer and a
/// UTF-8 check per part. With the JSON in the scratch buffer this took a
/// seal of the 149-byte benchmark payload from 23 200 to 22 230
/// instructions (callgrind), below the hand-written floor's 22 380.
pub(crate) fn seal_signed(mut mac: HmacSha256, header: &Header, json: &[u8]) -> String {
    let mut out = vec![0u8; signed_len(json.len())];
    let mut at = encode_at(&mut out, 0, &header.to_bytes());
    at = put_dot(&mut out, at);
    at = encode_at(&mut out, at, json);
    mac.update(out.get(..at).unwrap_or_default());
    at = put_dot(&mut out, at);
    at = encode_at(&mut out, at, &mac.finalize().into_bytes());
    out.truncate(at);
    // Base64url and dots are ASCII, so this never takes the lossy path; it
    // is there only so that no input can make this function panic.
    String::from_utf8(out)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

/// Produces the encrypted value for the JSON in `buf` under `header`: `buf`
/// becomes `nonce ‖ ciphertext ‖ tag` (encrypted in place, so no plaintext
/// is left in it), then is base64-encoded after the header.
///
/// `buf` should have the capacity for the nonce and tag (a [`PayloadJson`]
/// has): it is never grown, since growing would free a copy of the
/// plaintext unwiped. A `buf` without that room is left as it is (its owner
/// wipes it) and the JSON is copied into a [`Zeroizing`] buffer of the exact
/// size instead.
///
/// The associated data is the header's base64url text exactly as it
/// appears in the value. `None` when the cipher refuses the plaintext,
/// which it does only past 256 GiB (the caller's size check keeps payloads
/// to a few KiB): nothing is produced then, rather than a value whose
/// encryption did not happen.
pub(crate) fn seal_encrypted(
    cipher: &XChaCha20Poly1305,
    header: &Header,
    buf: &mut Vec<u8>,
    nonce: &[u8; NONCE_LEN],
) -> Option<String> {
    let json_len = buf.len();
    let sealed_len = MIN_SEALED_LEN.checked_add(json_len)?;
    if buf.capacity() < sealed_len {
        let mut room = Zeroizing::new(Vec::with_capacity(sealed_len));
        room.extend_from_slice(buf);
        return seal_encrypted(cipher, header, &mut room, nonce);
    }
    let capacity = buf.capacity();
    let mut out = vec![0u8; encrypted_len(json_len)];
    let mut at = encode_at(&mut out, 0, &header.to_bytes());
    let associated = out.get(..at).unwrap_or_default();
    // Make room for the nonce in front and the tag behind the JSON (within
    // the capacity checked above: no reallocation).
    buf.resize(sealed_len, 0);
    debug_assert_eq!(buf.capacity(), capacity, "the plaintext buffer never grows");
    buf.copy_within(..json_len, NONCE_LEN);
    let (nonce_part, rest) = buf.split_at_mut(NONCE_LEN);
    nonce_part.copy_from_slice(nonce);
    let (text, tag_part) = rest.split_at_mut(json_len);
    let tag = cipher
        .encrypt_in_place_detached(XNonce::from_slice(nonce), associated, text)
        .ok()?;
    tag_part.copy_from_slice(&tag);
    at = put_dot(&mut out, at);
    at = encode_at(&mut out, at, buf);
    out.truncate(at);
    // As in `seal_signed`: ASCII only, the lossy path is never taken.
    Some(
        String::from_utf8(out)
            .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned()),
    )
}

/// Encodes `bytes` into `out` at `at`, returning the end.
fn encode_at(out: &mut [u8], at: usize, bytes: &[u8]) -> usize {
    let written = out
        .get_mut(at..)
        .and_then(|rest| URL_SAFE_NO_PAD.encode_slice(bytes, rest).ok())
        .unwrap_or(0);
    at + written
}

/// Writes a `.` at `at`, returning the end.
fn put_dot(out: &mut [u8], at: usize) -> usize {
    match out.get_mut(at) {
        Some(byte) => {
            *byte = b'.';
            at + 1
        }
        None => at,
    }
}

/// A signed value split into its parts, with header and tag decoded but
/// nothing authenticated yet.
#[derive(Debug)]
pub(crate) struct Unverified<'a> {
    /// `"H.P"` exactly as received: the MAC input.
    pub(crate) signed: &'a [u8],
    /// The base64url payload part.
    pub(crate) payload: &'a [u8],
    pub(crate) header: Header,
    pub(crate) tag: [u8; TAG_LEN],
}

/// Size and shape of a signed value: at most [`MAX_VALUE_LEN`] bytes
/// (else [`OpenError::TooLarge`]), exactly three parts, a canonical 29-byte
/// header of format `format` and a 32-byte tag (else [`OpenError::Malformed`]).
/// Nothing here is trusted yet.
pub(crate) fn split_signed(bytes: &[u8], format: u8) -> Result<Unverified<'_>, OpenError> {
    if bytes.len() > MAX_VALUE_LEN {
        return Err(OpenError::TooLarge {
            size: bytes.len(),
            limit: MAX_VALUE_LEN,
        });
    }
    // Both fixed-size parts sit at known offsets, so the shape is checked
    // without scanning: `H` is the first 39 bytes and `T` the last 43, each
    // followed or preceded by a dot, and no dot in between.
    let tag_start = bytes
        .len()
        .checked_sub(TAG_B64_LEN)
        .ok_or(OpenError::Malformed)?;
    let (signed_dot, tag_text) = bytes.split_at(tag_start);
    let Some((b'.', signed)) = signed_dot.split_last() else {
        return Err(OpenError::Malformed);
    };
    let (header_text, dot_payload) = signed
        .split_at_checked(HEADER_B64_LEN)
        .ok_or(OpenError::Malformed)?;
    let Some((b'.', payload)) = dot_payload.split_first() else {
        return Err(OpenError::Malformed);
    };
    // memchr scans a vector at a time; `<[u8]>::contains` a byte or word.
    if memchr::memchr(b'.', payload).is_some() {
        return Err(OpenError::Malformed);
    }
    let header_bytes: [u8; HEADER_LEN] = decode_exact(header_text)?;
    let header = Header::from_bytes(&header_bytes, format).ok_or(OpenError::Malformed)?;
    let tag: [u8; TAG_LEN] = decode_exact(tag_text)?;
    Ok(Unverified {
        signed,
        payload,
        header,
        tag,
    })
}

/// An encrypted value split into its parts, with the header decoded and
/// nothing authenticated yet.
#[derive(Debug)]
pub(crate) struct UnopenedEncrypted<'a> {
    /// The header text exactly as received: the associated data.
    pub(crate) header_text: &'a [u8],
    /// The base64url `C` part.
    pub(crate) sealed: &'a [u8],
    pub(crate) header: Header,
}

/// Size and shape of an encrypted value: at most [`MAX_VALUE_LEN`] bytes
/// (else [`OpenError::TooLarge`]), exactly two parts and a canonical 29-byte
/// header of format `format` (else [`OpenError::Malformed`]). `C` is decoded
/// and its length checked by [`decode_sealed`]. Nothing here is trusted yet.
pub(crate) fn split_encrypted(
    bytes: &[u8],
    format: u8,
) -> Result<UnopenedEncrypted<'_>, OpenError> {
    if bytes.len() > MAX_VALUE_LEN {
        return Err(OpenError::TooLarge {
            size: bytes.len(),
            limit: MAX_VALUE_LEN,
        });
    }
    // `H` is the first 39 bytes, then a dot, then `C` with no dot in it.
    let (header_text, dot_sealed) = bytes
        .split_at_checked(HEADER_B64_LEN)
        .ok_or(OpenError::Malformed)?;
    let Some((b'.', sealed)) = dot_sealed.split_first() else {
        return Err(OpenError::Malformed);
    };
    if memchr::memchr(b'.', sealed).is_some() {
        return Err(OpenError::Malformed);
    }
    let header_bytes: [u8; HEADER_LEN] = decode_exact(header_text)?;
    let header = Header::from_bytes(&header_bytes, format).ok_or(OpenError::Malformed)?;
    Ok(UnopenedEncrypted {
        header_text,
        sealed,
        header,
    })
}

/// Decodes `C` (canonical base64url) into a new buffer (see
/// [`decode_wiped`]); it must hold at least a nonce and a tag, else
/// [`OpenError::Malformed`]. [`open_sealed`] decrypts in that buffer, so
/// the plaintext is wiped with it.
pub(crate) fn decode_sealed(
    parts: &UnopenedEncrypted<'_>,
) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    let buf = decode_wiped(parts.sealed)?;
    if buf.len() < MIN_SEALED_LEN {
        return Err(OpenError::Malformed);
    }
    Ok(buf)
}

/// Decodes canonical base64url `text` into a [`Zeroizing`] buffer
/// allocated once at the decoder's upper bound for that length (at most two
/// bytes over), so decoding never grows it; [`OpenError::Malformed`] for
/// text that is not canonical base64url.
fn decode_wiped(text: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    let mut buf = Zeroizing::new(vec![0u8; base64::decoded_len_estimate(text.len())]);
    let len = URL_SAFE_NO_PAD
        .decode_slice(text, buf.as_mut_slice())
        .map_err(|_| OpenError::Malformed)?;
    buf.truncate(len);
    Ok(buf)
}

/// Opens the AEAD in `buf` (`nonce ‖ ciphertext ‖ tag`, from
/// [`decode_sealed`]) with the header text as associated data, returning
/// the plaintext JSON (decrypted in place); [`OpenError::BadSignature`]
/// when the tag does not check out (the tag comparison is constant time).
pub(crate) fn open_sealed<'b>(
    cipher: &XChaCha20Poly1305,
    parts: &UnopenedEncrypted<'_>,
    buf: &'b mut [u8],
) -> Result<&'b [u8], OpenError> {
    let (nonce, rest) = buf
        .split_first_chunk_mut::<NONCE_LEN>()
        .ok_or(OpenError::Malformed)?;
    let (text, tag) = rest
        .split_last_chunk_mut::<AEAD_TAG_LEN>()
        .ok_or(OpenError::Malformed)?;
    cipher
        .decrypt_in_place_detached(
            XNonce::from_slice(nonce.as_slice()),
            parts.header_text,
            text,
            Tag::from_slice(tag.as_slice()),
        )
        .map_err(|_| OpenError::BadSignature)?;
    Ok(text)
}

/// Decodes canonical base64url (no padding, no stray trailing bits) into exactly `N` bytes.
fn decode_exact<const N: usize>(text: &[u8]) -> Result<[u8; N], OpenError> {
    fixed_b64::decode(text).ok_or(OpenError::Malformed)
}

/// Constant-time MAC check over the bytes as received, with a fresh copy
/// of the binding's pre-keyed state.
pub(crate) fn verify(keyed: &HmacSha256, parts: &Unverified<'_>) -> Result<(), OpenError> {
    // Copied once, here, from the cached pre-keyed state (passing a copy
    // in by value cost a second copy of its ~200 bytes).
    let mut mac = keyed.clone();
    mac.update(parts.signed);
    // `verify_slice` compares in constant time (subtle).
    mac.verify_slice(&parts.tag)
        .map_err(|_| OpenError::BadSignature)
}

/// Decodes the (authenticated) payload part into a new buffer, wiped when
/// dropped (see [`decode_wiped`]).
pub(crate) fn payload_json(parts: &Unverified<'_>) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    decode_wiped(parts.payload)
}

/// The JSON of one payload being sealed as an encrypted value, in a
/// [`Zeroizing`] buffer that never grows and is wiped, spare capacity
/// included, when this is dropped.
pub(crate) struct PayloadJson {
    buf: Zeroizing<Vec<u8>>,
    /// The JSON's full length: the buffer holds all of it exactly when its
    /// length is this, which is always so up to [`MAX_JSON_LEN`].
    len: usize,
}

impl PayloadJson {
    /// Serializes `payload` into a buffer of [`FIRST_SEAL_CAPACITY`]. JSON
    /// that does not fit there but is short enough to seal is serialized
    /// once more, into a buffer of its exact length and room for format 2's
    /// nonce and tag (the first buffer is wiped as it is dropped). Longer
    /// JSON, which no cookie can carry, is kept only in part, with its full
    /// length for the `TooLarge` error.
    ///
    /// A `Serialize` impl whose second JSON is longer than its first gets
    /// that second JSON cut short too, and so is refused as too large: the
    /// buffer does not grow even then.
    pub(crate) fn serialize<P: serde::Serialize + ?Sized>(
        payload: &P,
    ) -> Result<Self, serde_json::Error> {
        let json = Self::write(payload, FIRST_SEAL_CAPACITY)?;
        if json.len > json.buf.capacity() && json.len <= MAX_JSON_LEN {
            return Self::write(payload, json.len + MIN_SEALED_LEN);
        }
        Ok(json)
    }

    /// Serializes `payload` into a new buffer of `capacity`.
    fn write<P: serde::Serialize + ?Sized>(
        payload: &P,
        capacity: usize,
    ) -> Result<Self, serde_json::Error> {
        let mut buf = Zeroizing::new(Vec::with_capacity(capacity));
        let len = write_json(&mut buf, payload)?;
        Ok(PayloadJson { buf, len })
    }

    /// The JSON's full length, whether the buffer holds all of it or not.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The buffer, for sealing in place. Anything that writes to it must
    /// stay within its capacity.
    pub(crate) fn buf_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }
}

/// Serializes `payload` as JSON into `buf` without ever growing it, and
/// returns the JSON's full length.
///
/// Bytes that do not fit in `buf`'s spare capacity are counted and dropped,
/// so `buf` holds the whole JSON only when the returned length equals its
/// length.
pub(crate) fn write_json<P: serde::Serialize + ?Sized>(
    buf: &mut Vec<u8>,
    payload: &P,
) -> Result<usize, serde_json::Error> {
    let mut sink = FixedSink { buf, len: 0 };
    serde_json::to_writer(&mut sink, payload)?;
    Ok(sink.len)
}

/// The writer of [`write_json`]: appends within the capacity it was given,
/// and from the first write that does not fit on only counts.
struct FixedSink<'a> {
    buf: &'a mut Vec<u8>,
    /// Bytes written so far, kept or not. While this is within the
    /// capacity every write was kept; once past it nothing more is, so what
    /// is kept is always a prefix of the JSON.
    len: usize,
}

impl io::Write for FixedSink<'_> {
    // Inlined into serde_json's writes, as `Vec`'s own impl is: most write
    // a byte or two.
    #[inline]
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.write_all(bytes)?;
        Ok(bytes.len())
    }

    #[inline]
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.len = self.len.saturating_add(bytes.len());
        if self.len <= self.buf.capacity() {
            self.buf.extend_from_slice(bytes);
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Reads the key id of a signed or encrypted value without authenticating
/// anything.
///
/// For diagnostics and tests (e.g. "which key sealed this?"); never a reason
/// to trust the value.
pub fn peek_key_id(value: &str) -> Option<KeyId> {
    match split_signed(value.as_bytes(), FORMAT_SIGNED) {
        Ok(parts) => Some(parts.header.kid),
        Err(_) => split_encrypted(value.as_bytes(), FORMAT_ENCRYPTED)
            .ok()
            .map(|parts| parts.header.kid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            format: FORMAT_SIGNED,
            kid: KeyId([1, 2, 3, 4]),
            version: 7,
            iat: 1_700_000_000,
            exp: 1_700_086_400,
            age: 90,
        }
    }

    fn mac(key: u8) -> HmacSha256 {
        HmacSha256::new_from_slice(&[key; 32]).expect("any key length")
    }

    #[test]
    fn header_roundtrip_and_size() {
        let bytes = header().to_bytes();
        assert_eq!(bytes.len(), HEADER_LEN);
        assert_eq!(bytes[0], FORMAT_SIGNED);
        assert_eq!(&bytes[25..], &90u32.to_be_bytes());
        assert_eq!(Header::from_bytes(&bytes, FORMAT_SIGNED), Some(header()));
        assert_eq!(header().started(), 1_700_000_000 - 90);
        assert_eq!(URL_SAFE_NO_PAD.encode(bytes).len(), HEADER_B64_LEN);
        assert_eq!(URL_SAFE_NO_PAD.encode([0u8; TAG_LEN]).len(), TAG_B64_LEN);
    }

    #[test]
    fn other_format_byte_is_rejected() {
        let bytes = header().to_bytes();
        assert_eq!(Header::from_bytes(&bytes, FORMAT_ENCRYPTED), None);
        let mut other = bytes;
        other[0] = 3;
        assert_eq!(Header::from_bytes(&other, FORMAT_SIGNED), None);
    }

    #[test]
    fn signed_len_matches_encoding() {
        for n in 0..40 {
            let json = vec![b'x'; n];
            assert_eq!(seal_signed(mac(9), &header(), &json).len(), signed_len(n));
        }
    }

    #[test]
    fn seal_then_split_then_verify() {
        let value = seal_signed(mac(9), &header(), br#"{"a":1}"#);
        assert_eq!(value.matches('.').count(), 2);
        let parts = split_signed(value.as_bytes(), FORMAT_SIGNED).expect("splits");
        assert_eq!(parts.header, header());
        assert_eq!(verify(&mac(9), &parts), Ok(()));
        let json = payload_json(&parts).expect("decodes");
        assert_eq!(json.as_slice(), br#"{"a":1}"#);
        assert_eq!(verify(&mac(8), &parts), Err(OpenError::BadSignature));
        assert_eq!(
            split_signed(value.as_bytes(), FORMAT_ENCRYPTED).err(),
            Some(OpenError::Malformed)
        );
    }

    #[test]
    fn split_rejects_shapes() {
        let value = seal_signed(mac(9), &header(), b"{}");
        let (h, rest) = value.split_once('.').expect("dot");
        let (p, t) = rest.split_once('.').expect("dot");
        for bad in [
            String::new(),
            ".".into(),
            "..".into(),
            "...".into(),
            h.to_string(),
            format!("{h}.{rest}.x"),
            format!("{h}.{p}.{p}.{t}"),
            format!("{h}.{p}{t}"),
            format!("{h}{p}.{t}"),
            format!("{h}=.{rest}"),
            format!("{value}A"),
            format!("A{value}"),
            "a".repeat(MAX_VALUE_LEN + 1),
        ] {
            assert!(
                split_signed(bad.as_bytes(), FORMAT_SIGNED).is_err(),
                "{bad:?}"
            );
        }
        assert_eq!(
            split_signed("a".repeat(MAX_VALUE_LEN + 1).as_bytes(), FORMAT_SIGNED).err(),
            Some(OpenError::TooLarge {
                size: MAX_VALUE_LEN + 1,
                limit: MAX_VALUE_LEN
            })
        );
    }

    fn cipher(key: u8) -> XChaCha20Poly1305 {
        <XChaCha20Poly1305 as chacha20poly1305::KeyInit>::new(&[key; 32].into())
    }

    fn encrypted_header() -> Header {
        Header {
            format: FORMAT_ENCRYPTED,
            ..header()
        }
    }

    #[test]
    fn encrypted_len_matches_encoding_and_parts_open() {
        for n in 0..40 {
            let json = vec![b'x'; n];
            let mut buf = Vec::with_capacity(MIN_SEALED_LEN + n);
            buf.extend_from_slice(&json);
            let capacity = buf.capacity();
            let value =
                seal_encrypted(&cipher(9), &encrypted_header(), &mut buf, &[3; 24]).expect("seals");
            assert_eq!(value.len(), encrypted_len(n));
            assert_eq!(buf.len(), MIN_SEALED_LEN + n, "nonce ‖ ciphertext ‖ tag");
            assert_eq!(buf.capacity(), capacity, "not grown");
            assert_eq!(&buf[..NONCE_LEN], &[3; 24]);
            // A buffer without room for nonce and tag is not grown: the
            // same value is made in a copy, and the buffer keeps the JSON.
            let mut tight = json.clone();
            tight.shrink_to_fit();
            let capacity = tight.capacity();
            assert_eq!(
                seal_encrypted(&cipher(9), &encrypted_header(), &mut tight, &[3; 24]),
                Some(value.clone())
            );
            assert_eq!(
                (tight.as_slice(), tight.capacity()),
                (json.as_slice(), capacity)
            );
            let parts = split_encrypted(value.as_bytes(), FORMAT_ENCRYPTED).expect("splits");
            assert_eq!(parts.header, encrypted_header());
            let mut sealed = decode_sealed(&parts).expect("decodes");
            assert_eq!(*sealed, buf);
            assert!(sealed.capacity() <= sealed.len() + 2, "decoded at its size");
            assert_eq!(
                open_sealed(&cipher(9), &parts, &mut sealed.clone()),
                Ok(json.as_slice())
            );
            assert_eq!(
                open_sealed(&cipher(8), &parts, &mut sealed),
                Err(OpenError::BadSignature)
            );
            assert_eq!(
                split_encrypted(value.as_bytes(), FORMAT_SIGNED).err(),
                Some(OpenError::Malformed)
            );
            assert_eq!(peek_key_id(&value), Some(KeyId([1, 2, 3, 4])));
        }
    }

    #[test]
    fn the_header_text_is_the_associated_data() {
        let mut buf = br#"{"a":1}"#.to_vec();
        let value =
            seal_encrypted(&cipher(9), &encrypted_header(), &mut buf, &[5; 24]).expect("seals");
        let parts = split_encrypted(value.as_bytes(), FORMAT_ENCRYPTED).expect("splits");
        let mut sealed = decode_sealed(&parts).expect("decodes");
        // The same C under another (well-formed) header: the tag fails.
        let other = Header {
            exp: encrypted_header().exp + 1,
            ..encrypted_header()
        };
        let other_text = URL_SAFE_NO_PAD.encode(other.to_bytes());
        let moved = UnopenedEncrypted {
            header_text: other_text.as_bytes(),
            sealed: parts.sealed,
            header: other,
        };
        assert_eq!(
            open_sealed(&cipher(9), &moved, &mut sealed),
            Err(OpenError::BadSignature)
        );
    }

    #[test]
    fn write_json_never_grows_the_buffer_and_counts_what_does_not_fit() {
        let payload = ["a".repeat(20), "b".repeat(20)];
        let full = serde_json::to_vec(&payload).expect("json");
        for capacity in [0, 1, 10, full.len() - 1, full.len(), full.len() + 5] {
            let mut buf = Vec::with_capacity(capacity);
            let capacity = buf.capacity();
            let len = write_json(&mut buf, &payload).expect("serializes");
            assert_eq!(len, full.len(), "the whole length, kept or not");
            assert_eq!(buf.capacity(), capacity, "never grown");
            assert!(full.starts_with(&buf), "what is kept is a prefix");
            assert_eq!(buf.len() == len, capacity >= full.len());
        }
        // Unserializable payloads fail as serde_json fails.
        let map = std::collections::HashMap::from([((1, 2), 3)]);
        assert!(write_json(&mut Vec::with_capacity(100), &map).is_err());
        assert!(PayloadJson::serialize(&map).is_err());
    }

    #[test]
    fn payload_json_holds_any_json_that_can_be_sealed_at_its_size() {
        // One byte more than `MAX_JSON_LEN` cannot fit in either format,
        // even with an empty name and no attributes.
        assert!(signed_len(MAX_JSON_LEN + 1) > MAX_SET_COOKIE_LEN);
        assert!(encrypted_len(MAX_JSON_LEN + 1) > MAX_SET_COOKIE_LEN);
        for len in [
            2,
            150,
            FIRST_SEAL_CAPACITY - MIN_SEALED_LEN,
            FIRST_SEAL_CAPACITY,
            FIRST_SEAL_CAPACITY + 1,
            MAX_JSON_LEN,
            MAX_JSON_LEN + 1,
            3 * MAX_JSON_LEN,
        ] {
            let text = "x".repeat(len - 2);
            let mut json = PayloadJson::serialize(&text).expect("serializes");
            assert_eq!(json.len(), len);
            let buf = json.buf_mut();
            if len <= FIRST_SEAL_CAPACITY {
                assert_eq!(buf.capacity(), FIRST_SEAL_CAPACITY, "{len}");
            } else if len <= MAX_JSON_LEN {
                assert_eq!(buf.capacity(), len + MIN_SEALED_LEN, "{len}: exact");
            } else {
                assert_eq!(buf.capacity(), FIRST_SEAL_CAPACITY, "{len}: not resized");
            }
            if len <= MAX_JSON_LEN {
                assert_eq!(*buf, serde_json::to_vec(&text).expect("json"), "{len}");
            } else {
                assert!(buf.len() < len, "{len}: kept in part");
            }
        }
    }

    #[test]
    fn binding_info_is_length_prefixed() {
        let lengths = binding_lengths("admin", "sid");
        assert_eq!(
            binding_info(b"p", &lengths, "admin", "sid").concat(),
            b"p\0\x05admin\x03sid"
        );
        // Moving a byte between namespace and cookie name changes the info.
        let a = binding_info(b"p", &binding_lengths("ab", "c"), "ab", "c").concat();
        let b = binding_info(b"p", &binding_lengths("a", "bc"), "a", "bc").concat();
        assert_ne!(a, b);
    }

    #[test]
    fn peek_reads_kid_only_from_well_formed_values() {
        let value = seal_signed(mac(9), &header(), b"{}");
        assert_eq!(peek_key_id(&value), Some(KeyId([1, 2, 3, 4])));
        assert_eq!(peek_key_id("garbage"), None);
    }
}
