//! Format 2, encrypted: `H "." C`, XChaCha20-Poly1305 with `H` as
//! associated data.

use zeroize::Zeroizing;

use super::xchacha::XChaCha20Poly1305;
use super::{
    AEAD_TAG_LEN, HEADER_B64_LEN, HEADER_LEN, Header, MAX_VALUE_LEN, MIN_SEALED_LEN, NONCE_LEN,
    base64_len, decode_exact, decode_wiped, encode_at, put_dot,
};
use crate::error::OpenError;

/// Length of the encrypted value for a payload of `json_len` bytes: the
/// header, a dot, and the base64url of nonce, ciphertext (as long as the
/// JSON) and tag.
pub(crate) fn encrypted_len(json_len: usize) -> usize {
    HEADER_B64_LEN + 1 + base64_len(MIN_SEALED_LEN + json_len)
}

/// Produces the encrypted value for the JSON in `buf` under `header`: `buf`
/// becomes `nonce ‖ ciphertext ‖ tag` (encrypted in place, so no plaintext
/// is left in it), then is base64-encoded after the header.
///
/// `buf` should have the capacity for the nonce and tag (a
/// [`PayloadJson`](super::PayloadJson) has): it is never grown, since
/// growing would free a copy of the plaintext unwiped. A `buf` without
/// that room is left as it is (its owner wipes it) and the JSON is copied
/// into a [`Zeroizing`] buffer of the exact size instead.
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
    let tag = cipher.seal_in_place(nonce, associated, text)?;
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
        .open_in_place(nonce, parts.header_text, text, tag)
        .ok_or(OpenError::BadSignature)?;
    Ok(text)
}
