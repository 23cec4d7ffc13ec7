//! Wire format 3 end to end: sealing with a [`Keyring`], opening with it,
//! with a [`VerifyingKeyring`] and with a [`Keyring::verify_only`] one.

use std::ffi::OsString;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

use super::*;
use crate::error::SealError;
use crate::wire::{WireFormat, inspect};
use crate::{SessionSecret, SessionSpec};

const NOW: u64 = 1_700_000_000;

/// The asymmetric type of these tests.
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Access {
    user_id: u64,
    scopes: Vec<String>,
}
impl SessionPayload for Access {
    const SPEC: SessionSpec = SessionSpec::builder("Access", "access", "access")
        .max_age_secs(300)
        .asymmetric()
        .build();
}

/// Declares a type with `Access`'s fields and the given spec.
macro_rules! twin {
    ($name:ident, $spec:expr) => {
        #[derive(Serialize, Deserialize, Debug, PartialEq)]
        struct $name {
            user_id: u64,
            scopes: Vec<String>,
        }
        impl SessionPayload for $name {
            const SPEC: SessionSpec = $spec;
        }
    };
}

twin!(
    OtherNamespace,
    SessionSpec::builder("OtherNamespace", "access", "other")
        .max_age_secs(300)
        .asymmetric()
        .build()
);
twin!(
    OtherCookie,
    SessionSpec::builder("OtherCookie", "access2", "access")
        .max_age_secs(300)
        .asymmetric()
        .build()
);
// Namespace "ab" with cookie "c" against namespace "a" with cookie "bc":
// the same bytes run together, told apart only by the length bytes.
twin!(
    SplitLeft,
    SessionSpec::builder("SplitLeft", "c", "ab")
        .max_age_secs(300)
        .asymmetric()
        .build()
);
twin!(
    SplitRight,
    SessionSpec::builder("SplitRight", "bc", "a")
        .max_age_secs(300)
        .asymmetric()
        .build()
);
// `Access`'s binding as a signed (format 1) and an encrypted (format 2) type.
twin!(
    SignedTwin,
    SessionSpec::builder("SignedTwin", "access", "access")
        .max_age_secs(300)
        .build()
);
twin!(
    EncryptedTwin,
    SessionSpec::builder("EncryptedTwin", "access", "access")
        .max_age_secs(300)
        .encrypted()
        .build()
);
// `Access`'s binding at schema version 2, with no migration from 1.
twin!(
    AccessV2,
    SessionSpec::builder("AccessV2", "access", "access")
        .version(2)
        .max_age_secs(300)
        .asymmetric()
        .build()
);

fn secret(byte: u8) -> SessionSecret {
    SessionSecret::from_bytes(&[byte; 32]).expect("32 bytes")
}

fn access() -> Access {
    Access {
        user_id: 42,
        scopes: vec!["read".into(), "write".into()],
    }
}

fn twin_payload<T: From<Access>>() -> T {
    T::from(access())
}

macro_rules! from_access {
    ($($name:ident),*) => {$(
        impl From<Access> for $name {
            fn from(access: Access) -> Self {
                $name { user_id: access.user_id, scopes: access.scopes }
            }
        }
    )*};
}
from_access!(SignedTwin, EncryptedTwin, OtherNamespace, AccessV2);

/// The three parts of a format 3 value.
fn parts(value: &str) -> (&str, &str, &str) {
    let mut parts = value.split('.');
    let parts = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    assert_eq!(value.split('.').count(), 3);
    parts
}

#[test]
fn a_value_round_trips_through_the_keyring_the_public_keys_and_a_verify_only_keyring() {
    let keyring = Keyring::new(secret(1));
    let value = keyring.seal_at(&access(), NOW).expect("seals");
    let (h, _, s) = parts(&value);
    assert_eq!(h.len(), 39);
    assert_eq!(s.len(), 86, "64 bytes of signature");
    let header = URL_SAFE_NO_PAD.decode(h).unwrap();
    assert_eq!(header[0], 3, "format byte");
    assert_eq!(header[1..5], keyring.public_key().key_id().to_bytes());

    let public = keyring.verifying_keyring();
    let verify_only = Keyring::verify_only(public.clone());
    for opened in [
        keyring.open_at::<Access>(&value, NOW + 1).expect("keyring"),
        public
            .open_at::<Access>(&value, NOW + 1)
            .expect("public keys"),
        verify_only
            .open_at::<Access>(&value, NOW + 1)
            .expect("verify-only keyring"),
        verify_only
            .open_bytes_at::<Access>(value.as_bytes(), NOW + 1)
            .expect("bytes"),
    ] {
        assert_eq!(opened.payload(), &access());
        assert_eq!(opened.issued_at, NOW);
        assert_eq!(opened.started_at, NOW);
        assert_eq!(opened.expires_at, NOW + 300);
        assert_eq!(opened.key_id, keyring.public_key().key_id());
        assert!(!opened.needs_reissue());
    }
    // Ed25519 is deterministic: the same inputs seal to the same value.
    assert_eq!(keyring.seal_at(&access(), NOW).unwrap(), value);
    let seen = inspect(&value).expect("inspects");
    assert_eq!(seen.format, WireFormat::Asymmetric);
    assert_eq!(seen.key_id, keyring.public_key().key_id());
    assert_eq!(
        seen.payload.as_deref(),
        Some(&br#"{"user_id":42,"scopes":["read","write"]}"#[..])
    );
    let json = keyring
        .open_json_at(&Access::SPEC, &value, NOW + 1)
        .expect("untyped");
    assert_eq!(json.payload["user_id"], 42);
}

#[test]
fn the_format_3_key_id_is_the_public_keys_not_the_secrets() {
    let keyring = Keyring::new(secret(1));
    let public = keyring.public_key();
    assert_ne!(public.key_id(), keyring.primary_key_id());
    assert_eq!(keyring.verifying_keyring().primary(), public);
    // Anyone with the public key computes the same id.
    assert_eq!(
        PublicKey::from_bytes(&public.to_bytes()).unwrap().key_id(),
        public.key_id()
    );
    // One signing key per secret, whatever the binding.
    let a = keyring.seal_at(&access(), NOW).unwrap();
    let b = keyring
        .seal_at(&twin_payload::<OtherNamespace>(), NOW)
        .unwrap();
    assert_eq!(parts(&a).0, parts(&b).0, "same header, same kid");
    assert_ne!(parts(&a).2, parts(&b).2, "the binding is signed");
}

#[test]
fn every_byte_flip_of_h_p_or_s_is_bad_signature_or_malformed_never_a_panic() {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let keyring = Keyring::new(secret(1));
    let public = keyring.verifying_keyring();
    let value = keyring.seal_at(&access(), NOW).expect("seals");
    let (h, p, _) = parts(&value);
    let p_start = h.len() + 1;
    let s_start = p_start + p.len() + 1;
    let mut bad_signatures = [0usize; 3];
    for at in 0..value.len() {
        if value.as_bytes()[at] == b'.' {
            continue;
        }
        // The lowest and the highest of the character's six bits: two
        // other base64url characters (each verification is slow in a debug
        // build, so not every character).
        let bits = ALPHABET
            .iter()
            .position(|c| *c == value.as_bytes()[at])
            .unwrap();
        for (flip, replacement) in [ALPHABET[bits ^ 1], ALPHABET[bits ^ 32]]
            .into_iter()
            .enumerate()
        {
            let mut tampered = value.clone().into_bytes();
            tampered[at] = replacement;
            let tampered = String::from_utf8(tampered).unwrap();
            let results = [
                keyring.open_at::<Access>(&tampered, NOW + 1).err(),
                if flip == 0 {
                    public.open_at::<Access>(&tampered, NOW + 1).err()
                } else {
                    Some(OpenError::Malformed)
                },
            ];
            for result in results {
                assert!(
                    matches!(result, Some(OpenError::BadSignature | OpenError::Malformed)),
                    "byte {at} -> {}: {result:?}",
                    replacement as char
                );
            }
            if results[0] == Some(OpenError::BadSignature) {
                let part = usize::from(at >= p_start) + usize::from(at >= s_start);
                bad_signatures[part] += 1;
            }
        }
    }
    // Flips that still decode reach the signature check in every part (all
    // but a few: the format byte, and stray bits at the end of a part).
    assert!(
        bad_signatures.iter().all(|count| *count > 10),
        "{bad_signatures:?}"
    );
}

#[test]
fn a_value_opens_only_for_its_own_namespace_and_cookie_name() {
    let keyring = Keyring::new(secret(1));
    let public = keyring.verifying_keyring();
    let value = keyring.seal_at(&access(), NOW).expect("seals");
    assert_eq!(
        keyring.open_at::<OtherNamespace>(&value, NOW).err(),
        Some(OpenError::BadSignature)
    );
    assert_eq!(
        keyring.open_at::<OtherCookie>(&value, NOW).err(),
        Some(OpenError::BadSignature)
    );
    assert_eq!(
        public.open_at::<OtherNamespace>(&value, NOW).err(),
        Some(OpenError::BadSignature)
    );
    assert_eq!(
        public.open_at::<OtherCookie>(&value, NOW).err(),
        Some(OpenError::BadSignature)
    );
    // And back: the other binding's value does not open as `Access`.
    let other = keyring
        .seal_at(&twin_payload::<OtherNamespace>(), NOW)
        .unwrap();
    assert!(keyring.open_at::<OtherNamespace>(&other, NOW).is_ok());
    assert_eq!(
        public.open_at::<Access>(&other, NOW).err(),
        Some(OpenError::BadSignature)
    );
    // The length bytes keep "ab"/"c" and "a"/"bc" apart.
    let left = keyring
        .seal_at(
            &SplitLeft {
                user_id: 1,
                scopes: vec![],
            },
            NOW,
        )
        .unwrap();
    assert!(public.open_at::<SplitLeft>(&left, NOW).is_ok());
    assert_eq!(
        public.open_at::<SplitRight>(&left, NOW).err(),
        Some(OpenError::BadSignature)
    );
}

#[test]
fn formats_never_cross_in_either_direction() {
    let keyring = Keyring::new(secret(1));
    let asymmetric = keyring.seal_at(&access(), NOW).unwrap();
    let signed = keyring.seal_at(&twin_payload::<SignedTwin>(), NOW).unwrap();
    let encrypted = keyring
        .seal_at(&twin_payload::<EncryptedTwin>(), NOW)
        .unwrap();
    assert!(keyring.open_at::<SignedTwin>(&signed, NOW).is_ok());
    assert!(keyring.open_at::<EncryptedTwin>(&encrypted, NOW).is_ok());
    // A format 1 or 2 value is not shaped like format 3, and the reverse.
    for value in [&signed, &encrypted] {
        assert_eq!(
            keyring.open_at::<Access>(value, NOW).err(),
            Some(OpenError::Malformed),
            "{value}"
        );
        assert_eq!(
            keyring
                .verifying_keyring()
                .open_at::<Access>(value, NOW)
                .err(),
            Some(OpenError::Malformed)
        );
    }
    assert_eq!(
        keyring.open_at::<SignedTwin>(&asymmetric, NOW).err(),
        Some(OpenError::Malformed)
    );
    assert_eq!(
        keyring.open_at::<EncryptedTwin>(&asymmetric, NOW).err(),
        Some(OpenError::Malformed)
    );
    // A format 3 value with its format byte set to 1: the signature covers
    // the header, and a signed type wants a 32-byte tag.
    let (h, p, s) = parts(&asymmetric);
    let mut header = URL_SAFE_NO_PAD.decode(h).unwrap();
    header[0] = 1;
    let relabelled = format!("{}.{p}.{s}", URL_SAFE_NO_PAD.encode(&header));
    assert_eq!(
        keyring.open_at::<Access>(&relabelled, NOW).err(),
        Some(OpenError::Malformed)
    );
    assert_eq!(
        keyring.open_at::<SignedTwin>(&relabelled, NOW).err(),
        Some(OpenError::Malformed)
    );
}

#[test]
fn rotation_opens_previous_keys_flagged_and_unknown_keys_are_bad_signatures() {
    let old = Keyring::new(secret(1));
    let value = old.seal_at(&access(), NOW).unwrap();
    let rotated = Keyring::new(secret(2)).with_previous(secret(1));
    let public = rotated.verifying_keyring();
    assert_eq!(public.primary(), Keyring::new(secret(2)).public_key());
    assert_eq!(public.previous(), [old.public_key()]);
    let by_hand = VerifyingKeyring::new(Keyring::new(secret(2)).public_key())
        .with_previous(old.public_key())
        .with_previous(old.public_key());
    assert_eq!(by_hand.previous().len(), 1, "a key given twice counts once");
    for opened in [
        rotated.open_at::<Access>(&value, NOW).expect("keyring"),
        public.open_at::<Access>(&value, NOW).expect("public keys"),
        by_hand.open_at::<Access>(&value, NOW).expect("by hand"),
        Keyring::verify_only(public.clone())
            .open_at::<Access>(&value, NOW)
            .expect("verify-only"),
    ] {
        assert!(opened.previous_key);
        assert!(opened.needs_reissue());
        assert_eq!(opened.key_id, old.public_key().key_id());
    }
    // Sealing always uses the primary.
    let resealed = rotated.reseal_at(&access(), NOW, NOW + 10).unwrap();
    let opened = public.open_at::<Access>(&resealed, NOW + 10).unwrap();
    assert!(!opened.previous_key);
    assert_eq!(opened.key_id, rotated.public_key().key_id());
    // Keys that do not know the value's key id.
    let unknown = [
        Keyring::new(secret(2)).open_at::<Access>(&value, NOW).err(),
        Keyring::new(secret(2))
            .verifying_keyring()
            .open_at::<Access>(&value, NOW)
            .err(),
        VerifyingKeyring::new(Keyring::new(secret(3)).public_key())
            .open_at::<Access>(&value, NOW)
            .err(),
    ];
    assert_eq!(unknown, [Some(OpenError::BadSignature); 3]);
}

#[test]
fn a_known_key_id_with_another_public_key_is_a_bad_signature() {
    // A header naming the primary's key id over a value signed by another
    // secret: the lookup succeeds, the signature does not.
    let keyring = Keyring::new(secret(1));
    let forger = Keyring::new(secret(9));
    let forged = forger.seal_at(&access(), NOW).unwrap();
    let (h, p, s) = parts(&forged);
    let mut header = URL_SAFE_NO_PAD.decode(h).unwrap();
    header[1..5].copy_from_slice(&keyring.public_key().key_id().to_bytes());
    let forged = format!("{}.{p}.{s}", URL_SAFE_NO_PAD.encode(&header));
    assert_eq!(
        keyring
            .verifying_keyring()
            .open_at::<Access>(&forged, NOW)
            .err(),
        Some(OpenError::BadSignature)
    );
}

#[test]
fn a_signature_whose_s_is_not_reduced_is_refused() {
    // The group order L, little-endian, as Ed25519 encodes scalars.
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let keyring = Keyring::new(secret(1));
    let value = keyring.seal_at(&access(), NOW).unwrap();
    let (h, p, s) = parts(&value);
    let mut signature = URL_SAFE_NO_PAD.decode(s).unwrap();
    // s + L: the same scalar modulo L, so a verifier that reduced s would
    // accept it; `verify_strict` must not.
    let mut carry = 0u16;
    for (byte, l) in signature[32..].iter_mut().zip(L) {
        let sum = u16::from(*byte) + u16::from(l) + carry;
        *byte = (sum & 0xff) as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0, "s < L < 2^253, so s + L fits 32 bytes");
    let malleated = format!("{h}.{p}.{}", URL_SAFE_NO_PAD.encode(&signature));
    assert_ne!(malleated, value);
    assert_eq!(
        keyring.open_at::<Access>(&malleated, NOW).err(),
        Some(OpenError::BadSignature)
    );
    assert_eq!(
        keyring
            .verifying_keyring()
            .open_at::<Access>(&malleated, NOW)
            .err(),
        Some(OpenError::BadSignature)
    );
}

#[test]
fn expiry_version_and_size_are_checked_as_for_format_1() {
    let keyring = Keyring::new(secret(1));
    let public = keyring.verifying_keyring();
    let value = keyring.seal_at(&access(), NOW).unwrap();
    assert_eq!(
        public.open_at::<Access>(&value, NOW + 300).err(),
        Some(OpenError::Expired {
            expired_at: NOW + 300
        })
    );
    // The signature is checked before the expiry: an expired forgery is a
    // bad signature.
    let mut forged = value.clone().into_bytes();
    let last = forged.len() - 2;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    assert_eq!(
        public.open_at::<Access>(&forged, NOW + 1000).err(),
        Some(OpenError::BadSignature)
    );
    // Versions: no migration declared either way.
    let v2 = keyring
        .seal_at(&twin_payload::<AccessV2>(), NOW)
        .expect("seals");
    assert_eq!(
        public.open_at::<Access>(&v2, NOW).err(),
        Some(OpenError::UnknownVersion {
            found: 2,
            current: 1
        })
    );
    assert_eq!(
        public.open_at::<AccessV2>(&value, NOW).err(),
        Some(OpenError::UnknownVersion {
            found: 1,
            current: 2
        })
    );
    // Too large to look at, and too large to seal: format 3's 86-character
    // signature is counted.
    assert!(matches!(
        public.open_at::<Access>(&"A".repeat(4097), NOW),
        Err(OpenError::TooLarge {
            size: 4097,
            limit: 4096
        })
    ));
    let fits = |spec: &SessionSpec, scopes: usize| {
        let mut json = serde_json::to_vec(&Access {
            user_id: 1,
            scopes: vec!["x".repeat(scopes)],
        })
        .unwrap();
        keyring.seal_json(spec, &mut json, NOW, NOW).is_ok()
    };
    let longest = (0..4096)
        .take_while(|&n| fits(&SignedTwin::SPEC, n))
        .last()
        .unwrap();
    assert!(
        !fits(&Access::SPEC, longest),
        "longest signed payload is too long for format 3"
    );
    assert!(matches!(
        keyring.seal_at(
            &Access {
                user_id: 1,
                scopes: vec!["x".repeat(longest)]
            },
            NOW
        ),
        Err(SealError::TooLarge { .. })
    ));
}

#[test]
fn a_verifying_keyring_refuses_signed_and_encrypted_types() {
    let keyring = Keyring::new(secret(1));
    let public = keyring.verifying_keyring();
    let signed = keyring.seal_at(&twin_payload::<SignedTwin>(), NOW).unwrap();
    let encrypted = keyring
        .seal_at(&twin_payload::<EncryptedTwin>(), NOW)
        .unwrap();
    assert_eq!(
        public.open_at::<SignedTwin>(&signed, NOW).err(),
        Some(OpenError::BadSignature)
    );
    assert_eq!(
        public.open_at::<EncryptedTwin>(&encrypted, NOW).err(),
        Some(OpenError::BadSignature)
    );
    // It has no key for those types at all, whatever the value.
    assert_eq!(
        public.open_at::<SignedTwin>("", NOW).err(),
        Some(OpenError::BadSignature)
    );
    assert_eq!(
        public.open_at::<SignedTwin>(&"A".repeat(5000), NOW).err(),
        Some(OpenError::BadSignature)
    );
}

#[test]
fn a_verify_only_keyring_opens_format_3_and_refuses_every_seal() {
    let keyring = Keyring::new(secret(1)).with_previous(secret(2));
    let verify_only = Keyring::verify_only(keyring.verifying_keyring());
    assert!(verify_only.is_verify_only());
    assert!(!keyring.is_verify_only());
    let value = keyring.seal_at(&access(), NOW).unwrap();
    assert!(verify_only.open_at::<Access>(&value, NOW).is_ok());
    let signed = keyring.seal_at(&twin_payload::<SignedTwin>(), NOW).unwrap();
    assert_eq!(
        verify_only.open_at::<SignedTwin>(&signed, NOW).err(),
        Some(OpenError::BadSignature)
    );
    assert_eq!(
        verify_only
            .open_json_at(&SignedTwin::SPEC, &signed, NOW)
            .err(),
        Some(OpenError::BadSignature)
    );
    // Every seal, of every format, started or continued.
    assert!(matches!(
        verify_only.seal_at(&access(), NOW),
        Err(SealError::VerifyOnly)
    ));
    assert!(matches!(
        verify_only.seal(&twin_payload::<SignedTwin>()),
        Err(SealError::VerifyOnly)
    ));
    assert!(matches!(
        verify_only.reseal_at(&twin_payload::<EncryptedTwin>(), NOW, NOW),
        Err(SealError::VerifyOnly)
    ));
    let stored = SessionSpec::builder("Stored", "sid", "stored")
        .store()
        .build();
    assert!(matches!(
        verify_only.seal_json(&stored, &mut b"\"id\"".to_vec(), NOW, NOW),
        Err(SealError::VerifyOnly)
    ));
    assert_eq!(
        SealError::VerifyOnly.to_string(),
        "this keyring holds public keys only and cannot seal"
    );
    // Its key ids and public keys are the public keys'.
    assert_eq!(verify_only.public_key(), keyring.public_key());
    assert_eq!(verify_only.primary_key_id(), keyring.public_key().key_id());
    assert_eq!(
        verify_only.previous_key_ids(),
        vec![Keyring::new(secret(2)).public_key().key_id()]
    );
    assert_eq!(
        verify_only.verifying_keyring().previous(),
        keyring.verifying_keyring().previous()
    );
    // A secret added to it is ignored, and preparing specs is harmless.
    let still = verify_only.clone().with_previous(secret(1));
    assert!(still.is_verify_only());
    assert!(matches!(
        still.seal_at(&access(), NOW),
        Err(SealError::VerifyOnly)
    ));
    still.prepare(&[Access::SPEC, SignedTwin::SPEC]);
    keyring.prepare(&[Access::SPEC, SignedTwin::SPEC]);
}

#[test]
fn public_keys_parse_from_base64_with_typed_errors() {
    let key = Keyring::new(secret(1)).public_key();
    let url = key.to_base64();
    assert_eq!(url.len(), 43);
    assert!(!url.contains('='));
    assert_eq!(key.to_string(), url);
    assert_eq!(format!("{key:?}"), format!("PublicKey({url})"));
    // Standard or URL-safe alphabet, padded or not, whitespace around.
    let standard = STANDARD.encode(key.to_bytes());
    for text in [
        url.clone(),
        format!("{url}="),
        standard.clone(),
        standard.trim_end_matches('=').to_owned(),
        format!("  {url}\n"),
    ] {
        assert_eq!(PublicKey::from_base64(&text), Ok(key), "{text:?}");
        assert_eq!(text.parse::<PublicKey>(), Ok(key), "{text:?}");
    }
    assert_eq!(
        PublicKey::from_base64("not base64!"),
        Err(PublicKeyError::NotBase64)
    );
    assert_eq!(
        "".parse::<PublicKey>(),
        Err(PublicKeyError::Length { len: 0 })
    );
    let short = URL_SAFE_NO_PAD.encode([7u8; 31]);
    assert_eq!(
        PublicKey::from_base64(&short),
        Err(PublicKeyError::Length { len: 31 })
    );
    let long = URL_SAFE_NO_PAD.encode([7u8; 33]);
    assert_eq!(
        long.parse::<PublicKey>(),
        Err(PublicKeyError::Length { len: 33 })
    );
    // The identity and a point of order 4 (y = 0): small order, refused.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert_eq!(
        PublicKey::from_bytes(&identity),
        Err(PublicKeyError::Invalid)
    );
    assert_eq!(
        PublicKey::from_bytes(&[0u8; 32]),
        Err(PublicKeyError::Invalid)
    );
    // A y with no x on the curve.
    let off_curve = (2u8..=255)
        .map(|y| {
            let mut bytes = [0u8; 32];
            bytes[0] = y;
            bytes
        })
        .find(|bytes| ed25519_dalek::VerifyingKey::from_bytes(bytes).is_err())
        .expect("about half of all y have no point");
    assert_eq!(
        PublicKey::from_base64(&URL_SAFE_NO_PAD.encode(off_curve)),
        Err(PublicKeyError::Invalid)
    );
    assert!(
        PublicKeyError::Length { len: 31 }
            .to_string()
            .contains("32")
    );
}

#[test]
fn the_environment_lists_the_primary_then_previous_public_keys() {
    let (a, b) = (
        Keyring::new(secret(1)).public_key(),
        Keyring::new(secret(2)).public_key(),
    );
    let lookup = |value: &str| {
        let value = OsString::from(value);
        move |name: &str| (name == PUBLIC_KEYS_VAR).then(|| value.clone())
    };
    let keys = VerifyingKeyring::from_lookup(lookup(&format!(" {a} ,, {b}\n"))).unwrap();
    assert_eq!(keys.primary(), a);
    assert_eq!(keys.previous(), [b]);
    // One per line, as `session-seal pubkey` prints them.
    let keys = VerifyingKeyring::from_lookup(lookup(&format!("{a}\n{b}\n"))).unwrap();
    assert_eq!((keys.primary(), keys.previous()), (a, &[b][..]));
    assert_eq!(
        VerifyingKeyring::from_lookup(|_| None).err(),
        Some(VerifyingKeyringError::Missing)
    );
    assert_eq!(
        VerifyingKeyring::from_lookup(lookup(" , ")).err(),
        Some(VerifyingKeyringError::Missing)
    );
    assert_eq!(
        VerifyingKeyring::from_lookup(lookup(&format!("{a},AAAA"))).err(),
        Some(VerifyingKeyringError::Key {
            position: 2,
            source: PublicKeyError::Length { len: 3 }
        })
    );
    let message = VerifyingKeyringError::Missing.to_string();
    assert!(message.contains("SESSION_SEAL_PUBLIC_KEYS"), "{message}");
    assert!(message.contains("session-seal pubkey"), "{message}");
}

#[test]
fn debug_output_never_shows_the_secret_or_the_signing_seed() {
    let secret_bytes = [0x5au8; 32];
    let keyring =
        Keyring::new(SessionSecret::from_bytes(&secret_bytes).unwrap()).with_previous(secret(2));
    // Make sure the signing key has been derived and cached.
    let _ = keyring.seal_at(&access(), NOW).unwrap();
    let mut seed = [0u8; 32];
    hkdf::Hkdf::<sha2::Sha256>::new(Some(b"session-seal/v1"), &secret_bytes)
        .expand(b"session-seal/v1 ed25519", &mut seed)
        .unwrap();
    let verify_only = Keyring::verify_only(keyring.verifying_keyring());
    let outputs = [
        format!("{keyring:?}"),
        format!("{keyring:#?}"),
        format!("{verify_only:?}"),
        format!("{:?}", keyring.verifying_keyring()),
        format!("{:?}", keyring.public_key()),
    ];
    let hex = |bytes: &[u8]| -> String { bytes.iter().map(|b| format!("{b:02x}")).collect() };
    for output in &outputs {
        for forbidden in [
            hex(&secret_bytes),
            URL_SAFE_NO_PAD.encode(secret_bytes),
            STANDARD.encode(secret_bytes),
            hex(&seed),
            URL_SAFE_NO_PAD.encode(seed),
            STANDARD.encode(seed),
            format!("{seed:?}"),
            format!("{secret_bytes:?}"),
        ] {
            assert!(!output.contains(&forbidden), "{output}");
        }
    }
    assert!(outputs[2].contains("verify_only: true"), "{}", outputs[2]);
    assert!(
        outputs[2].contains(&keyring.public_key().to_base64()),
        "{}",
        outputs[2]
    );
    assert!(outputs[3].contains(&keyring.public_key().to_base64()));
}

proptest! {
    // Each case verifies a few Ed25519 signatures, slow in a debug build.
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Arbitrary text, and valid values with bytes replaced, spliced or cut:
    /// never a panic, and nothing but the genuine value opens.
    #[test]
    fn no_input_makes_an_opener_panic_or_accept_another_value(
        text in "\\PC{0,300}",
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let keyring = Keyring::new(secret(1)).with_previous(secret(2));
        let public = keyring.verifying_keyring();
        let verify_only = Keyring::verify_only(public.clone());
        let value = keyring.seal_at(&access(), NOW).unwrap();
        let mut mutated = value.clone().into_bytes();
        for (at, byte) in &edits {
            let at = at.index(mutated.len());
            mutated[at] = *byte;
        }
        let truncated = &value.as_bytes()[..cut.index(value.len() + 1)];
        let spliced = format!("{text}{value}");
        for input in [text.as_bytes(), &mutated, truncated, spliced.as_bytes()] {
            let results = [
                keyring.open_bytes_at::<Access>(input, NOW),
                verify_only.open_bytes_at::<Access>(input, NOW),
            ];
            for result in results {
                if result.is_ok() {
                    prop_assert_eq!(input, value.as_bytes());
                }
            }
            if let Ok(text) = std::str::from_utf8(input) {
                if public.open_at::<Access>(text, NOW).is_ok() {
                    prop_assert_eq!(text, value.as_str());
                }
                let _ = inspect(text);
                let _ = keyring.open_at::<SignedTwin>(text, NOW);
            }
        }
    }
}
