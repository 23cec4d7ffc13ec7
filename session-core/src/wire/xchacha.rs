//! XChaCha20-Poly1305 as format 2 uses it (draft-irtf-cfrg-xchacha-03):
//! the subkey is HChaCha20(key, `nonce[0..16]`), and the value is sealed
//! and opened with the IETF ChaCha20-Poly1305 AEAD (RFC 8439) under that
//! subkey and the 12-byte nonce `0x00000000 ‖ nonce[16..24]`.
//!
//! HChaCha20 is the RustCrypto `chacha20` crate's [`hchacha`] (portable
//! code); the AEAD is `ring`'s [`CHACHA20_POLY1305`], BoringSSL's
//! assembly. Together they seal or open a 149-byte value in about a fifth
//! of the time the RustCrypto `chacha20poly1305` crate takes, whose AVX2
//! set-up dominates at that size (`benches/README.md`). The output is byte
//! for byte that of `chacha20poly1305::XChaCha20Poly1305`, which the tests
//! check (`xchacha_tests.rs`, with the draft's test vector).
//!
//! # What is wiped
//!
//! Wiped: the binding's 32-byte key, held in a [`Zeroizing`] array and
//! wiped when the keyring drops its cached keys; and our copy of each
//! value's subkey, in another, wiped when the seal or open returns.
//!
//! Not wiped, left in the stack memory of the call until it is reused:
//! the subkey inside `ring`'s per-value key and the Poly1305 key `ring`
//! derives from it (`ring` wipes none of its key types, and wiping them
//! for it would take `unsafe`; the RustCrypto crates wiped their ChaCha20
//! state and Poly1305 key block on drop), and HChaCha20's working state,
//! from which the binding's key could be computed back (the RustCrypto
//! crate runs the same `hchacha` and left it as well). A subkey alone
//! opens only the value sealed with it (the nonces are random) and does
//! not give the binding's key.

use chacha20::cipher::consts::U10;
use chacha20::hchacha;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
use zeroize::{Zeroize as _, Zeroizing};

use super::{AEAD_TAG_LEN, NONCE_LEN};

/// Bytes of the nonce that go into HChaCha20.
const HCHACHA_INPUT_LEN: usize = 16;

/// An XChaCha20-Poly1305 key: a binding's 32-byte encryption key, wiped
/// on drop.
#[derive(Clone)]
pub(crate) struct XChaCha20Poly1305 {
    key: Zeroizing<[u8; 32]>,
}

impl XChaCha20Poly1305 {
    /// The cipher under `key` (copied; the caller wipes its own copy).
    pub(crate) fn new(key: &[u8; 32]) -> Self {
        XChaCha20Poly1305 {
            key: Zeroizing::new(*key),
        }
    }

    /// The IETF ChaCha20-Poly1305 key and nonce of one value: the subkey
    /// HChaCha20(key, `nonce[0..16]`) and `0x00000000 ‖ nonce[16..24]`.
    /// The subkey is new for every value, so `ring`'s key is built per
    /// call: a copy of 32 bytes (the CPU features are detected once per
    /// process), small beside HChaCha20 (measured in `benches/README.md`).
    fn ietf(&self, nonce: &[u8; NONCE_LEN]) -> Option<(LessSafeKey, Nonce)> {
        let (prefix, suffix) = nonce.split_first_chunk::<HCHACHA_INPUT_LEN>()?;
        let mut ietf_nonce = [0u8; 12];
        *ietf_nonce.last_chunk_mut::<8>()? = suffix.try_into().ok()?;
        let mut derived = hchacha::<U10>(self.key.as_ref().into(), prefix.into());
        let subkey: Zeroizing<[u8; 32]> = Zeroizing::new(derived.into());
        derived.as_mut_slice().zeroize();
        let key = UnboundKey::new(&CHACHA20_POLY1305, subkey.as_ref()).ok()?;
        Some((
            LessSafeKey::new(key),
            Nonce::assume_unique_for_key(ietf_nonce),
        ))
    }

    /// Encrypts `text` in place under `nonce` with `aad` as associated data,
    /// returning the tag; `None` only when the cipher refuses the plaintext
    /// (past 256 GiB).
    pub(crate) fn seal_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        text: &mut [u8],
    ) -> Option<[u8; AEAD_TAG_LEN]> {
        let (key, nonce) = self.ietf(nonce)?;
        let tag = key
            .seal_in_place_separate_tag(nonce, Aad::from(aad), text)
            .ok()?;
        tag.as_ref().try_into().ok()
    }

    /// Checks `tag` over `text` (the ciphertext) and `aad` under `nonce`,
    /// in constant time, and decrypts `text` in place; `None` when the tag
    /// does not check out, and then `text` holds zeros (`ring` decrypts and
    /// authenticates in one pass and wipes what it decrypted).
    pub(crate) fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        text: &mut [u8],
        tag: &[u8; AEAD_TAG_LEN],
    ) -> Option<()> {
        let (key, nonce) = self.ietf(nonce)?;
        key.open_in_place_separate_tag(nonce, Aad::from(aad), (*tag).into(), text, 0..)
            .ok()
            .map(|_| ())
    }
}
