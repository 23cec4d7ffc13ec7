//! Arbitrary bytes as a cookie value: `Keyring::open_at` must never panic,
//! and anything it accepts must be exactly what we would have sealed
//! (payload, issue time and session start: the whole 29-byte header).
//!
//! The same bytes are opened as an encrypted type (format 2), whose values
//! carry a random nonce and so cannot be compared with a fresh seal: an
//! accepted one must be canonical (its parts re-encode to the same text),
//! re-seal to a value that opens alike, and never open as the signed type of
//! the same binding.
//!
//! And as a type bound to a client fingerprint (its 16 bytes before the
//! JSON, inside the signed payload), which re-seals to the same text.
//!
//! And as an asymmetric type (format 3, Ed25519), through the keyring and
//! through the public keys alone, which must agree: Ed25519 signatures are
//! deterministic and `verify_strict` refuses a non-canonical one, so an
//! accepted value is exactly what sealing its payload again produces.
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use session_seal::{OpenError, SessionPayload};
use session_seal_fuzz::{
    AsymmetricSession, AsymmetricSignedTwin, BoundSession, EncryptedSession, FuzzSession, KEYRING,
    NOW, OtherSession, PUBLIC_KEYS, SignedTwin,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match KEYRING.open_at::<FuzzSession>(text, NOW) {
        Ok(opened) => {
            let resealed = KEYRING
                .reseal_at(&opened.payload, opened.started_at, opened.issued_at)
                .expect("a payload that opened seals again");
            if !opened.migrated && !opened.previous_key {
                // No malleability: the only accepted spelling is ours.
                assert_eq!(resealed, text, "a non-canonical value was accepted");
            }
            let reopened = KEYRING
                .open_at::<FuzzSession>(&resealed, NOW)
                .expect("a re-sealed value opens");
            assert_eq!(reopened.payload, opened.payload);
            assert!(!reopened.previous_key && !reopened.migrated);
            assert_eq!(reopened.started_at, opened.started_at);
            assert_eq!(
                reopened.expires_at,
                FuzzSession::SPEC.expiry(opened.started_at, opened.issued_at)
            );
            assert!(reopened.expires_at <= opened.started_at + 7 * 86_400);
        }
        Err(OpenError::TooLarge { size, limit }) => {
            assert_eq!(size, text.len());
            assert!(size > limit);
        }
        Err(_) => {}
    }
    // Same key, namespace and JSON shape, other cookie name: never opens.
    if let Ok(opened) = KEYRING.open_at::<OtherSession>(text, NOW) {
        let resealed = KEYRING
            .reseal_at(&opened.payload, opened.started_at, opened.issued_at)
            .expect("seals");
        // Only a genuine OtherSession value may open as one.
        assert!(opened.previous_key || resealed == text);
        assert!(KEYRING.open_at::<FuzzSession>(text, NOW).is_err());
    }
    open_encrypted(text);
    open_asymmetric(text);
    open_bound(text);
});

/// A type bound to a client fingerprint: an accepted value carries one,
/// and sealing its payload with that fingerprint gives the same text.
fn open_bound(text: &str) {
    match KEYRING.open_at::<BoundSession>(text, NOW) {
        Ok(opened) => {
            let fingerprint = opened
                .fingerprint
                .expect("a bound value carries a fingerprint");
            let resealed = KEYRING
                .reseal_bound_at(
                    &opened.payload,
                    Some(&fingerprint),
                    opened.started_at,
                    opened.issued_at,
                )
                .expect("a payload that opened seals again");
            if !opened.previous_key {
                assert_eq!(resealed, text, "a non-canonical value was accepted");
            }
        }
        Err(OpenError::TooLarge { size, limit }) => {
            assert_eq!(size, text.len());
            assert!(size > limit);
        }
        Err(_) => {}
    }
}

/// The format-3 checks of the target.
fn open_asymmetric(text: &str) {
    let opened = KEYRING.open_at::<AsymmetricSession>(text, NOW);
    // The public keys alone reach the same verdict.
    assert_eq!(
        PUBLIC_KEYS.open_at::<AsymmetricSession>(text, NOW),
        opened,
        "keyring and public keys disagree"
    );
    match opened {
        Ok(opened) => {
            let resealed = KEYRING
                .reseal_at(&opened.payload, opened.started_at, opened.issued_at)
                .expect("a payload that opened seals again");
            if !opened.previous_key {
                // No malleability: the only accepted spelling is ours.
                assert_eq!(resealed, text, "a non-canonical value was accepted");
            }
            let reopened = PUBLIC_KEYS
                .open_at::<AsymmetricSession>(&resealed, NOW)
                .expect("a re-sealed value opens");
            assert_eq!(reopened.payload, opened.payload);
            assert!(!reopened.previous_key);
            assert!(reopened.expires_at <= opened.started_at + 7 * 86_400);
            assert_eq!(
                KEYRING.open_at::<AsymmetricSignedTwin>(text, NOW).err(),
                Some(OpenError::Malformed)
            );
        }
        Err(OpenError::TooLarge { size, limit }) => {
            assert_eq!(size, text.len());
            assert!(size > limit);
        }
        Err(_) => {}
    }
}

/// The format-2 checks of the target.
fn open_encrypted(text: &str) {
    match KEYRING.open_at::<EncryptedSession>(text, NOW) {
        Ok(opened) => {
            // Canonical: two parts, each the canonical base64url of its bytes.
            let (header, sealed) = text.split_once('.').expect("two parts");
            let header_bytes = URL_SAFE_NO_PAD.decode(header).expect("header");
            let sealed_bytes = URL_SAFE_NO_PAD.decode(sealed).expect("C");
            assert_eq!(header_bytes.len(), 29);
            assert_eq!(header_bytes[0], 2);
            assert!(sealed_bytes.len() >= 40);
            assert_eq!(
                format!(
                    "{}.{}",
                    URL_SAFE_NO_PAD.encode(&header_bytes),
                    URL_SAFE_NO_PAD.encode(&sealed_bytes)
                ),
                text,
                "a non-canonical value was accepted"
            );
            let resealed = KEYRING
                .reseal_at(&opened.payload, opened.started_at, opened.issued_at)
                .expect("a payload that opened seals again");
            assert_ne!(resealed, text, "a fresh nonce per seal");
            let reopened = KEYRING
                .open_at::<EncryptedSession>(&resealed, NOW)
                .expect("a re-sealed value opens");
            assert_eq!(reopened.payload, opened.payload);
            assert_eq!(reopened.started_at, opened.started_at);
            assert!(reopened.expires_at <= opened.started_at + 7 * 86_400);
            assert_eq!(
                KEYRING.open_at::<SignedTwin>(text, NOW).err(),
                Some(OpenError::Malformed)
            );
        }
        Err(OpenError::TooLarge { size, limit }) => {
            assert_eq!(size, text.len());
            assert!(size > limit);
        }
        Err(_) => {}
    }
    // A value of the signed twin never opens as the encrypted type.
    if KEYRING.open_at::<SignedTwin>(text, NOW).is_ok() {
        assert_eq!(
            KEYRING.open_at::<EncryptedSession>(text, NOW).err(),
            Some(OpenError::Malformed)
        );
    }
}
