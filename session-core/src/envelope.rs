//! Wire format v1: `H "." P "." T`, each part base64url without padding.
//!
//! - `H`: 25 bytes: format `1`, key id (4), schema version (u32), `iat` (u64),
//!   `exp` (u64), all big-endian.
//! - `P`: the payload as JSON.
//! - `T`: HMAC-SHA256 (32 bytes) under the namespace key over
//!   `"session-seal/v1" 0x00 ‖ len8(namespace) ‖ namespace ‖ len8(cookie) ‖ cookie ‖ "H.P"`,
//!   where `"H.P"` are the ASCII bytes exactly as they appear in the cookie.
//!
//! This module holds the pure encoding and checking steps; [`Keyring`](crate::Keyring)
//! chooses keys and applies them in the order DESIGN §4 prescribes.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::OpenError;
use crate::keyring::KeyId;

/// HMAC-SHA256.
pub(crate) type HmacSha256 = Hmac<Sha256>;

/// The format byte of wire format v1.
pub const FORMAT_V1: u8 = 1;
/// Bytes in the binary header.
pub const HEADER_LEN: usize = 25;
/// Bytes in the MAC tag.
pub const TAG_LEN: usize = 32;
/// Length of the base64url header part.
pub const HEADER_B64_LEN: usize = 34;
/// Length of the base64url tag part.
pub const TAG_B64_LEN: usize = 43;
/// Longest cookie value [`Keyring::open`](crate::Keyring::open) looks at; browsers
/// keep at most 4096 bytes per cookie, so anything longer did not come from us.
pub const MAX_VALUE_LEN: usize = 4096;
/// Longest `Set-Cookie` (`name=value` plus attributes) we issue.
pub const MAX_SET_COOKIE_LEN: usize = 4096;

/// Domain-separation prefix of every MAC input.
const MAC_DOMAIN: &[u8] = b"session-seal/v1\0";

/// The fixed-size signed header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) kid: KeyId,
    pub(crate) version: u32,
    pub(crate) iat: u64,
    pub(crate) exp: u64,
}

impl Header {
    fn to_bytes(self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        let (format, rest) = out.split_at_mut(1);
        let (kid, rest) = rest.split_at_mut(4);
        let (version, rest) = rest.split_at_mut(4);
        let (iat, exp) = rest.split_at_mut(8);
        format.copy_from_slice(&[FORMAT_V1]);
        kid.copy_from_slice(&self.kid.0);
        version.copy_from_slice(&self.version.to_be_bytes());
        iat.copy_from_slice(&self.iat.to_be_bytes());
        exp.copy_from_slice(&self.exp.to_be_bytes());
        out
    }

    fn from_bytes(bytes: &[u8; HEADER_LEN]) -> Option<Self> {
        let (format, rest) = bytes.split_first()?;
        if *format != FORMAT_V1 {
            return None;
        }
        let (kid, rest) = rest.split_first_chunk::<4>()?;
        let (version, rest) = rest.split_first_chunk::<4>()?;
        let (iat, exp) = rest.split_first_chunk::<8>()?;
        let exp: &[u8; 8] = exp.try_into().ok()?;
        Some(Header {
            kid: KeyId(*kid),
            version: u32::from_be_bytes(*version),
            iat: u64::from_be_bytes(*iat),
            exp: u64::from_be_bytes(*exp),
        })
    }
}

/// The pre-keyed MAC state for one (key, namespace, cookie name): the fixed
/// prefix of the MAC input is absorbed once, so each operation clones this
/// state and feeds only `"H.P"`.
pub(crate) fn bound_state(namespace_key: &[u8], namespace: &str, cookie: &str) -> HmacSha256 {
    #[allow(clippy::expect_used)] // HMAC accepts keys of any length; this cannot fail.
    let mut mac = HmacSha256::new_from_slice(namespace_key).expect("HMAC takes any key length");
    mac.update(MAC_DOMAIN);
    // Namespaces are ≤ 64 and cookie names ≤ 255 bytes (SessionSpec enforces
    // both), so each length fits its byte and the encoding is unambiguous.
    mac.update(&[len8(namespace)]);
    mac.update(namespace.as_bytes());
    mac.update(&[len8(cookie)]);
    mac.update(cookie.as_bytes());
    mac
}

fn len8(s: &str) -> u8 {
    u8::try_from(s.len()).unwrap_or(u8::MAX)
}

/// Produces the cookie value for `json` under `header`, MACed with `state`.
pub(crate) fn seal(state: &HmacSha256, header: Header, json: &[u8]) -> String {
    let payload_len = base64::encoded_len(json.len(), false).unwrap_or(0);
    let mut out = String::with_capacity(HEADER_B64_LEN + 1 + payload_len + 1 + TAG_B64_LEN);
    URL_SAFE_NO_PAD.encode_string(header.to_bytes(), &mut out);
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(json, &mut out);
    let mut mac = state.clone();
    mac.update(out.as_bytes());
    let tag = mac.finalize().into_bytes();
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(tag, &mut out);
    out
}

/// A cookie value split into its parts, with header and tag decoded but
/// nothing authenticated yet.
#[derive(Debug)]
pub(crate) struct Unverified<'a> {
    /// `"H.P"` exactly as received: the MAC input.
    pub(crate) signed: &'a str,
    /// The base64url payload part.
    pub(crate) payload: &'a str,
    pub(crate) header: Header,
    pub(crate) tag: [u8; TAG_LEN],
}

/// Steps 1 and 2 of opening: size limit, exactly three parts, fixed-size
/// header and tag decoded. Nothing here is trusted yet.
pub(crate) fn split(value: &str) -> Result<Unverified<'_>, OpenError> {
    if value.len() > MAX_VALUE_LEN {
        return Err(OpenError::TooLarge {
            size: value.len(),
            limit: MAX_VALUE_LEN,
        });
    }
    let (signed, tag_text) = value.rsplit_once('.').ok_or(OpenError::Malformed)?;
    let (header_text, payload) = signed.split_once('.').ok_or(OpenError::Malformed)?;
    if payload.contains('.') || header_text.len() != HEADER_B64_LEN || tag_text.len() != TAG_B64_LEN
    {
        return Err(OpenError::Malformed);
    }
    let header_bytes: [u8; HEADER_LEN] = decode_exact(header_text)?;
    let header = Header::from_bytes(&header_bytes).ok_or(OpenError::Malformed)?;
    let tag: [u8; TAG_LEN] = decode_exact(tag_text)?;
    Ok(Unverified {
        signed,
        payload,
        header,
        tag,
    })
}

/// Decodes canonical base64url (no padding, no stray trailing bits) into exactly `N` bytes.
fn decode_exact<const N: usize>(text: &str) -> Result<[u8; N], OpenError> {
    // Larger than any part we decode (25 or 32 bytes): the decoder checks the
    // buffer against a rounded-up estimate, and the exact length is checked below.
    let mut buf = [0u8; 64];
    let written = URL_SAFE_NO_PAD
        .decode_slice(text, &mut buf)
        .map_err(|_| OpenError::Malformed)?;
    if written != N {
        return Err(OpenError::Malformed);
    }
    let mut out = [0u8; N];
    out.copy_from_slice(buf.get(..N).ok_or(OpenError::Malformed)?);
    Ok(out)
}

/// Step 3: constant-time MAC check over the bytes as received.
pub(crate) fn verify(state: &HmacSha256, parts: &Unverified<'_>) -> Result<(), OpenError> {
    let mut mac = state.clone();
    mac.update(parts.signed.as_bytes());
    // `verify_slice` compares in constant time (subtle).
    mac.verify_slice(&parts.tag)
        .map_err(|_| OpenError::BadSignature)
}

/// Decodes the (authenticated) payload part to JSON bytes.
pub(crate) fn payload_json(parts: &Unverified<'_>) -> Result<Vec<u8>, OpenError> {
    URL_SAFE_NO_PAD
        .decode(parts.payload)
        .map_err(|_| OpenError::Malformed)
}

/// Reads the key id of a cookie value without authenticating anything.
///
/// For diagnostics and tests (e.g. "which key sealed this?"); never a reason
/// to trust the value.
pub fn peek_key_id(value: &str) -> Option<KeyId> {
    split(value).ok().map(|parts| parts.header.kid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            kid: KeyId([1, 2, 3, 4]),
            version: 7,
            iat: 1_700_000_000,
            exp: 1_700_086_400,
        }
    }

    #[test]
    fn header_roundtrip_and_size() {
        let bytes = header().to_bytes();
        assert_eq!(bytes.len(), HEADER_LEN);
        assert_eq!(bytes[0], FORMAT_V1);
        assert_eq!(Header::from_bytes(&bytes), Some(header()));
        assert_eq!(URL_SAFE_NO_PAD.encode(bytes).len(), HEADER_B64_LEN);
        assert_eq!(URL_SAFE_NO_PAD.encode([0u8; TAG_LEN]).len(), TAG_B64_LEN);
    }

    #[test]
    fn unknown_format_byte_is_rejected() {
        let mut bytes = header().to_bytes();
        bytes[0] = 2;
        assert_eq!(Header::from_bytes(&bytes), None);
    }

    #[test]
    fn seal_then_split_then_verify() {
        let state = bound_state(&[9; 32], "admin", "sid");
        let value = seal(&state, header(), br#"{"a":1}"#);
        assert_eq!(value.matches('.').count(), 2);
        let parts = split(&value).expect("splits");
        assert_eq!(parts.header, header());
        assert_eq!(verify(&state, &parts), Ok(()));
        assert_eq!(payload_json(&parts).expect("decodes"), br#"{"a":1}"#);
        let other = bound_state(&[9; 32], "admin", "sid2");
        assert_eq!(verify(&other, &parts), Err(OpenError::BadSignature));
    }

    #[test]
    fn split_rejects_shapes() {
        let state = bound_state(&[9; 32], "a", "b");
        let value = seal(&state, header(), b"{}");
        let (h, rest) = value.split_once('.').expect("dot");
        for bad in [
            String::new(),
            ".".into(),
            "..".into(),
            "...".into(),
            h.to_string(),
            format!("{h}.{rest}.x"),
            format!("{h}=.{rest}"),
            format!("{value}A"),
            "a".repeat(MAX_VALUE_LEN + 1),
        ] {
            assert!(split(&bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            split(&"a".repeat(MAX_VALUE_LEN + 1)).err(),
            Some(OpenError::TooLarge {
                size: MAX_VALUE_LEN + 1,
                limit: MAX_VALUE_LEN
            })
        );
    }

    #[test]
    fn peek_reads_kid_only_from_well_formed_values() {
        let state = bound_state(&[9; 32], "a", "b");
        let value = seal(&state, header(), b"{}");
        assert_eq!(peek_key_id(&value), Some(KeyId([1, 2, 3, 4])));
        assert_eq!(peek_key_id("garbage"), None);
    }
}
