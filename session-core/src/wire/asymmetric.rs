//! Format 3, asymmetric: `H "." P "." S`, signed with Ed25519.
//!
//! The header and payload parts are those of format 1 (format byte 3); `S`
//! is base64url of the 64-byte Ed25519 signature, made with the secret's
//! signing key and checked with `verify_strict`, over
//!
//! ```text
//! "session-seal/v1 sig" 0x00 ‖ len8(namespace) ‖ namespace ‖ len8(cookie) ‖ cookie ‖ H "." P
//! ```
//!
//! where `H "." P` is the ASCII text of the value as sent. One signing key
//! serves every binding of a secret, so the binding is part of the signed
//! message instead of the key: a signature made for one (namespace, cookie
//! name) pair does not verify for any other.
//!
//! The signing key's 32-byte seed is HKDF-SHA256 of the secret (salt
//! [`HKDF_SALT`], info [`ED25519_INFO`]); its key id is the first 4 bytes
//! of `SHA-256("session-seal/v1 pk" ‖ public key)`, so a holder of the
//! public key alone computes the same id.

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use hkdf::Hkdf;
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use super::signed::{seal_three, split_three};
use super::{
    FORMAT_ASYMMETRIC, HEADER_B64_LEN, HKDF_SALT, Header, KeyId, base64_len, binding_info,
    binding_lengths, decode_exact, decode_wiped,
};
use crate::error::OpenError;
use crate::verifying::PublicKey;

/// HKDF info of a secret's Ed25519 seed (format 3); no binding follows:
/// one signing key per secret.
pub const ED25519_INFO: &[u8] = b"session-seal/v1 ed25519";
/// What a format 3 signature's message starts with, before `0x00 ‖ B ‖ H "." P`.
pub const SIG_CONTEXT: &[u8] = b"session-seal/v1 sig";
/// What the key id of a public key hashes before the key's 32 bytes.
pub const PUBLIC_KEY_ID_CONTEXT: &[u8] = b"session-seal/v1 pk";
/// Bytes in an Ed25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Bytes in an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;
/// Length of the base64url signature part.
pub const SIGNATURE_B64_LEN: usize = 86;

/// A secret's Ed25519 signing key (wiped when dropped) and its public key
/// with that key's id. Never printed: it has no `Debug`.
pub(crate) struct Signer {
    key: SigningKey,
    public: PublicKey,
}

impl Signer {
    /// The signing key of `secret`: seed = HKDF-SHA256(ikm = secret, salt
    /// [`HKDF_SALT`], info [`ED25519_INFO`]), 32 bytes, wiped after use.
    pub(crate) fn derive(secret: &[u8]) -> Self {
        let hkdf = Hkdf::<Sha256>::new(Some(HKDF_SALT), secret);
        let mut seed = Zeroizing::new([0u8; 32]);
        #[allow(clippy::expect_used)] // HKDF-SHA256 fails only above 8160 output bytes.
        hkdf.expand(ED25519_INFO, seed.as_mut())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        let key = SigningKey::from_bytes(&seed);
        let public = PublicKey::from_verifying_key(key.verifying_key());
        Signer { key, public }
    }

    /// The public half, whose key id sealed values carry.
    pub(crate) fn public(&self) -> &PublicKey {
        &self.public
    }
}

/// The format 3 key id of `key`: the first 4 bytes of
/// `SHA-256("session-seal/v1 pk" ‖ key)`.
pub(crate) fn public_key_id(key: &VerifyingKey) -> KeyId {
    let digest = Sha256::new()
        .chain_update(PUBLIC_KEY_ID_CONTEXT)
        .chain_update(key.as_bytes())
        .finalize();
    let mut kid = [0u8; 4];
    kid.copy_from_slice(digest.get(..4).unwrap_or_default());
    KeyId(kid)
}

/// The message a format 3 signature covers:
/// `"session-seal/v1 sig" 0x00 ‖ B ‖ signed`, with `B` the binding of
/// `namespace` and `cookie` and `signed` the text `H "." P` as sent.
pub(crate) fn signed_message(namespace: &str, cookie: &str, signed: &[u8]) -> Vec<u8> {
    let lengths = binding_lengths(namespace, cookie);
    let prefix = binding_info(SIG_CONTEXT, &lengths, namespace, cookie);
    let len = prefix.iter().map(|part| part.len()).sum::<usize>() + signed.len();
    let mut message = Vec::with_capacity(len);
    for part in prefix {
        message.extend_from_slice(part);
    }
    message.extend_from_slice(signed);
    message
}

/// Length of the format 3 value for a payload of `json_len` bytes.
pub(crate) fn asymmetric_len(json_len: usize) -> usize {
    HEADER_B64_LEN + 1 + base64_len(json_len) + 1 + SIGNATURE_B64_LEN
}

/// Produces the format 3 value for `json` under `header`, signed by
/// `signer` for the binding of `namespace` and `cookie`.
pub(crate) fn seal_asymmetric(
    signer: &Signer,
    namespace: &str,
    cookie: &str,
    header: &Header,
    json: &[u8],
) -> String {
    seal_three(asymmetric_len(json.len()), header, json, |signed| {
        let message = signed_message(namespace, cookie, signed);
        signer.key.sign(&message).to_bytes()
    })
}

/// A format 3 value split into its parts, with header and signature
/// decoded but nothing authenticated yet.
#[derive(Debug)]
pub(crate) struct Unverified<'a> {
    /// `"H.P"` exactly as received: the end of the signed message.
    pub(crate) signed: &'a [u8],
    /// The base64url payload part.
    pub(crate) payload: &'a [u8],
    pub(crate) header: Header,
    pub(crate) signature: Signature,
}

/// Size and shape of a format 3 value: at most [`MAX_VALUE_LEN`] bytes
/// (else [`OpenError::TooLarge`]), exactly three parts, a canonical 29-byte
/// header with format byte 3 and a canonical 64-byte signature part (else
/// [`OpenError::Malformed`]). Nothing here is trusted yet.
pub(crate) fn split_asymmetric(bytes: &[u8]) -> Result<Unverified<'_>, OpenError> {
    let parts = split_three(bytes, FORMAT_ASYMMETRIC, SIGNATURE_B64_LEN)?;
    Ok(Unverified {
        signed: parts.signed,
        payload: parts.payload,
        header: parts.header,
        signature: Signature::from_bytes(&decode_exact(parts.last)?),
    })
}

/// The signature over the value as received, under `key`, for the binding
/// of `namespace` and `cookie`: `verify_strict`, which refuses a
/// non-canonical `s` (≥ the group order) and small-order points.
pub(crate) fn verify_asymmetric(
    key: &VerifyingKey,
    namespace: &str,
    cookie: &str,
    parts: &Unverified<'_>,
) -> Result<(), OpenError> {
    let message = signed_message(namespace, cookie, parts.signed);
    key.verify_strict(&message, &parts.signature)
        .map_err(|_| OpenError::BadSignature)
}

/// Decodes the (authenticated) payload part into a new buffer, wiped when
/// dropped (see [`decode_wiped`]).
pub(crate) fn asymmetric_payload_json(
    parts: &Unverified<'_>,
) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    decode_wiped(parts.payload)
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    #[test]
    fn the_signature_part_is_86_characters() {
        assert_eq!(base64_len(SIGNATURE_LEN), SIGNATURE_B64_LEN);
        assert_eq!(asymmetric_len(0), 39 + 1 + 1 + 86);
    }

    #[test]
    fn the_message_is_the_context_the_binding_and_the_text() {
        let message = signed_message("ns", "sid", b"H.P");
        assert_eq!(message, b"session-seal/v1 sig\x00\x02ns\x03sidH.P");
    }

    #[test]
    fn signature_parts_that_are_not_canonical_base64url_are_malformed() {
        let good = URL_SAFE_NO_PAD.encode([0u8; SIGNATURE_LEN]);
        assert_eq!(
            decode_exact::<SIGNATURE_LEN>(good.as_bytes()),
            Ok([0u8; SIGNATURE_LEN])
        );
        // Stray trailing bits in the last character.
        let mut stray = good.clone().into_bytes();
        *stray.last_mut().unwrap() = b'B';
        assert_eq!(
            decode_exact::<SIGNATURE_LEN>(&stray),
            Err(OpenError::Malformed)
        );
        let padded = format!("{}==", &good[..84]);
        assert_eq!(
            decode_exact::<SIGNATURE_LEN>(padded.as_bytes()),
            Err(OpenError::Malformed)
        );
        assert_eq!(
            decode_exact::<SIGNATURE_LEN>(&good.as_bytes()[..85]),
            Err(OpenError::Malformed)
        );
        let standard = good.replace('A', "+");
        assert_eq!(
            decode_exact::<SIGNATURE_LEN>(standard.as_bytes()),
            Err(OpenError::Malformed)
        );
    }
}
