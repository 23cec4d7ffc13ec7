//! Format 2's cipher (HChaCha20 + ring's ChaCha20-Poly1305) against the
//! draft's test vector and, byte for byte, against RustCrypto's
//! `chacha20poly1305::XChaCha20Poly1305`; and that tampering with any bit
//! fails to open.

use chacha20poly1305::aead::AeadInPlace as _;
use chacha20poly1305::{KeyInit as _, XNonce};
use proptest::prelude::*;

use super::xchacha::XChaCha20Poly1305;
use super::{AEAD_TAG_LEN, NONCE_LEN};

type Reference = chacha20poly1305::XChaCha20Poly1305;

fn hex(text: &str) -> Vec<u8> {
    let text: String = text.split_whitespace().collect();
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).expect("hex"))
        .collect()
}

/// Seals with ours: `(ciphertext, tag)`.
fn ours_seal(
    key: &[u8; 32],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> (Vec<u8>, [u8; AEAD_TAG_LEN]) {
    let mut text = plaintext.to_vec();
    let tag = XChaCha20Poly1305::new(key)
        .seal_in_place(nonce, aad, &mut text)
        .expect("seals");
    (text, tag)
}

/// Seals with the reference crate: `(ciphertext, tag)`.
fn reference_seal(
    key: &[u8; 32],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> (Vec<u8>, [u8; AEAD_TAG_LEN]) {
    let mut text = plaintext.to_vec();
    let tag = Reference::new(key.into())
        .encrypt_in_place_detached(XNonce::from_slice(nonce), aad, &mut text)
        .expect("seals");
    (text, tag.into())
}

/// Opens with ours: the plaintext, or `None`.
fn ours_open(
    key: &[u8; 32],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8; AEAD_TAG_LEN],
) -> Option<Vec<u8>> {
    let mut text = ciphertext.to_vec();
    XChaCha20Poly1305::new(key).open_in_place(nonce, aad, &mut text, tag)?;
    Some(text)
}

/// Opens with the reference crate: the plaintext, or `None`.
fn reference_open(
    key: &[u8; 32],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8; AEAD_TAG_LEN],
) -> Option<Vec<u8>> {
    let mut text = ciphertext.to_vec();
    Reference::new(key.into())
        .decrypt_in_place_detached(XNonce::from_slice(nonce), aad, &mut text, tag.into())
        .ok()?;
    Some(text)
}

#[test]
fn draft_xchacha_03_test_vector() {
    // draft-irtf-cfrg-xchacha-03, appendix A.3.1 (AEAD_XChaCha20_Poly1305).
    let key: [u8; 32] = std::array::from_fn(|i| 0x80 + i as u8);
    let nonce: [u8; 24] = std::array::from_fn(|i| 0x40 + i as u8);
    let aad = hex("50515253c0c1c2c3c4c5c6c7");
    let plaintext = b"Ladies and Gentlemen of the class of '99: \
        If I could offer you only one tip for the future, sunscreen would be it.";
    let ciphertext = hex(
        "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb
         731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452
         2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9
         21f9664c97637da9768812f615c68b13b52e",
    );
    let tag: [u8; 16] = hex("c0875924c1c7987947deafd8780acf49")
        .try_into()
        .expect("16 bytes");
    assert_eq!(
        ours_seal(&key, &nonce, &aad, plaintext),
        (ciphertext.clone(), tag)
    );
    assert_eq!(
        ours_open(&key, &nonce, &aad, &ciphertext, &tag).as_deref(),
        Some(plaintext.as_slice())
    );
}

#[test]
fn every_flipped_bit_fails_to_open() {
    // A short message, as exhaustively as it goes: each bit of the nonce,
    // the ciphertext, the tag and the associated data flipped alone.
    let key = [7u8; 32];
    let nonce: [u8; 24] = std::array::from_fn(|i| i as u8 * 11);
    let aad = b"Amk1iH4AAAABAAAAAGVT8QAAAAAAZVRhgAAAAAA".to_vec();
    let plaintext = br#"{"user_id":7,"email":"ada@example.com"}"#;
    let (ciphertext, tag) = ours_seal(&key, &nonce, &aad, plaintext);
    assert!(ours_open(&key, &nonce, &aad, &ciphertext, &tag).is_some());
    for bit in 0..NONCE_LEN * 8 {
        let mut nonce = nonce;
        nonce[bit / 8] ^= 1 << (bit % 8);
        assert_eq!(ours_open(&key, &nonce, &aad, &ciphertext, &tag), None);
    }
    for bit in 0..ciphertext.len() * 8 {
        let mut ciphertext = ciphertext.clone();
        ciphertext[bit / 8] ^= 1 << (bit % 8);
        assert_eq!(ours_open(&key, &nonce, &aad, &ciphertext, &tag), None);
    }
    for bit in 0..AEAD_TAG_LEN * 8 {
        let mut tag = tag;
        tag[bit / 8] ^= 1 << (bit % 8);
        assert_eq!(ours_open(&key, &nonce, &aad, &ciphertext, &tag), None);
    }
    for bit in 0..aad.len() * 8 {
        let mut aad = aad.clone();
        aad[bit / 8] ^= 1 << (bit % 8);
        assert_eq!(ours_open(&key, &nonce, &aad, &ciphertext, &tag), None);
    }
    // Another key, a byte more or less of ciphertext or associated data.
    assert_eq!(ours_open(&[8; 32], &nonce, &aad, &ciphertext, &tag), None);
    let shorter = &ciphertext[..ciphertext.len() - 1];
    assert_eq!(ours_open(&key, &nonce, &aad, shorter, &tag), None);
    let longer = [ciphertext.as_slice(), &[0]].concat();
    assert_eq!(ours_open(&key, &nonce, &aad, &longer, &tag), None);
    assert_eq!(ours_open(&key, &nonce, &aad[1..], &ciphertext, &tag), None);
}

#[test]
fn a_failed_open_leaves_no_plaintext() {
    let key = [3u8; 32];
    let nonce = [9u8; 24];
    let (ciphertext, mut tag) = ours_seal(&key, &nonce, b"ad", b"secret payload");
    tag[0] ^= 1;
    let mut text = ciphertext.clone();
    assert_eq!(
        XChaCha20Poly1305::new(&key).open_in_place(&nonce, b"ad", &mut text, &tag),
        None
    );
    assert!(
        text.iter().all(|&byte| byte == 0),
        "what was decrypted is wiped"
    );
}

/// Where one bit flips in a sealed value: which part, and which bit.
#[derive(Clone, Copy, Debug)]
enum Part {
    Nonce,
    Ciphertext,
    Tag,
    Aad,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn matches_the_reference_crate_both_ways(
        key in any::<[u8; 32]>(),
        nonce in any::<[u8; 24]>(),
        aad in proptest::collection::vec(any::<u8>(), 0..=128),
        plaintext in proptest::collection::vec(any::<u8>(), 0..=4096),
    ) {
        let ours = ours_seal(&key, &nonce, &aad, &plaintext);
        let reference = reference_seal(&key, &nonce, &aad, &plaintext);
        prop_assert_eq!(&ours, &reference);
        let (ciphertext, tag) = ours;
        let theirs_opens_ours = reference_open(&key, &nonce, &aad, &ciphertext, &tag);
        prop_assert_eq!(theirs_opens_ours.as_ref(), Some(&plaintext));
        let ours_opens_theirs = ours_open(&key, &nonce, &aad, &reference.0, &reference.1);
        prop_assert_eq!(ours_opens_theirs.as_ref(), Some(&plaintext));
    }

    #[test]
    fn a_flipped_bit_fails_to_open_with_either(
        key in any::<[u8; 32]>(),
        nonce in any::<[u8; 24]>(),
        aad in proptest::collection::vec(any::<u8>(), 1..=128),
        plaintext in proptest::collection::vec(any::<u8>(), 1..=4096),
        part in prop_oneof![
            Just(Part::Nonce),
            Just(Part::Ciphertext),
            Just(Part::Tag),
            Just(Part::Aad),
        ],
        at in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let (mut ciphertext, mut tag) = ours_seal(&key, &nonce, &aad, &plaintext);
        let (mut nonce, mut aad) = (nonce, aad);
        let bytes: &mut [u8] = match part {
            Part::Nonce => &mut nonce,
            Part::Ciphertext => &mut ciphertext,
            Part::Tag => &mut tag,
            Part::Aad => &mut aad,
        };
        let len = bytes.len();
        bytes[at.index(len)] ^= 1 << bit;
        prop_assert_eq!(ours_open(&key, &nonce, &aad, &ciphertext, &tag), None);
        prop_assert_eq!(reference_open(&key, &nonce, &aad, &ciphertext, &tag), None);
    }
}
