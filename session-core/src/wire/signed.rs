//! Format 1, signed: `H "." P "." T`.

use hmac::Mac as _;

use super::{
    HEADER_B64_LEN, HEADER_LEN, Header, HmacSha256, MAX_VALUE_LEN, TAG_B64_LEN, TAG_LEN,
    base64_len, decode_exact, decode_wiped, encode_at, put_dot,
};
use crate::error::OpenError;
use zeroize::Zeroizing;

/// Length of the signed value for a payload of `json_len` bytes.
pub(crate) fn signed_len(json_len: usize) -> usize {
    HEADER_B64_LEN + 1 + base64_len(json_len) + 1 + TAG_B64_LEN
}

/// Produces the signed value for `json` under `header`, MACed with `mac`.
///
/// One allocation of the exact size, each part encoded in place, where the
/// base64 crate's `encode_string` goes through a zeroed 1 KiB chunk buffer
/// and a UTF-8 check per part (the instruction counts are in
/// `benches/README.md`).
pub(crate) fn seal_signed(mut mac: HmacSha256, header: &Header, json: &[u8]) -> String {
    seal_three(signed_len(json.len()), header, json, |signed| {
        mac.update(signed);
        mac.finalize().into_bytes()
    })
}

/// Produces `H "." P "." X` for `json` under `header`, with `X` what
/// `authenticate` makes of the text `H "." P`: formats 1 (a MAC tag) and 3
/// (a signature) share this shape. One allocation of `len` bytes (the
/// value's length), each part encoded in place.
pub(crate) fn seal_three<X: AsRef<[u8]>>(
    len: usize,
    header: &Header,
    json: &[u8],
    authenticate: impl FnOnce(&[u8]) -> X,
) -> String {
    let mut out = vec![0u8; len];
    let mut at = encode_at(&mut out, 0, &header.to_bytes());
    at = put_dot(&mut out, at);
    at = encode_at(&mut out, at, json);
    let last = authenticate(out.get(..at).unwrap_or_default());
    at = put_dot(&mut out, at);
    at = encode_at(&mut out, at, last.as_ref());
    out.truncate(at);
    // Base64url and dots are ASCII, so this never takes the lossy path; it
    // is there only so that no input can make this function panic.
    String::from_utf8(out)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
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
    let parts = split_three(bytes, format, TAG_B64_LEN)?;
    Ok(Unverified {
        signed: parts.signed,
        payload: parts.payload,
        header: parts.header,
        tag: decode_exact(parts.last)?,
    })
}

/// A value of three parts, `H "." P "." X`, split: formats 1 (`X` a MAC
/// tag) and 3 (`X` a signature) share this shape.
pub(crate) struct ThreeParts<'a> {
    /// `"H.P"` exactly as received: what `X` authenticates.
    pub(crate) signed: &'a [u8],
    /// The base64url payload part.
    pub(crate) payload: &'a [u8],
    /// The decoded header.
    pub(crate) header: Header,
    /// `X` as received (base64url of the tag or signature, not decoded).
    pub(crate) last: &'a [u8],
}

/// Size and shape of `H "." P "." X` with `X` of `last_b64_len` base64url
/// characters: at most [`MAX_VALUE_LEN`] bytes (else
/// [`OpenError::TooLarge`]), exactly three parts and a canonical 29-byte
/// header of format `format` (else [`OpenError::Malformed`]).
pub(crate) fn split_three(
    bytes: &[u8],
    format: u8,
    last_b64_len: usize,
) -> Result<ThreeParts<'_>, OpenError> {
    if bytes.len() > MAX_VALUE_LEN {
        return Err(OpenError::TooLarge {
            size: bytes.len(),
            limit: MAX_VALUE_LEN,
        });
    }
    // Both fixed-size parts sit at known offsets, so the shape is checked
    // without scanning: `H` is the first 39 bytes and `X` the last
    // `last_b64_len`, each followed or preceded by a dot, and no dot in
    // between.
    let last_start = bytes
        .len()
        .checked_sub(last_b64_len)
        .ok_or(OpenError::Malformed)?;
    let (signed_dot, last) = bytes.split_at(last_start);
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
    Ok(ThreeParts {
        signed,
        payload,
        header,
        last,
    })
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
