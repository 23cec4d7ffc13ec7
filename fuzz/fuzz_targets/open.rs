//! Arbitrary bytes as a cookie value: `Keyring::open_at` must never panic,
//! and anything it accepts must be exactly what we would have sealed
//! (payload, issue time and session start: the whole 29-byte header).
#![no_main]

use libfuzzer_sys::fuzz_target;
use session_seal::{OpenError, SessionPayload};
use session_seal_fuzz::{FuzzSession, KEYRING, NOW, OtherSession};

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
});
