//! Writes the `open` seed corpus: `cargo run --bin make_seeds` (stable is
//! fine) from `fuzz/`. The values depend only on the fixed secrets and clock
//! in `src/lib.rs`, so the seeds are reproducible.

use std::path::Path;

use session_seal::{Keyring, OpenError, SessionSecret};
use session_seal_fuzz::{
    EncryptedSession, FuzzEncV1, FuzzSession, FuzzV1, KEYRING, NOW, OtherSession, PREVIOUS,
    SignedTwin,
};

fn main() -> std::io::Result<()> {
    let session = FuzzSession {
        user_id: 42,
        name: "Zoë \"admin\"".into(),
        roles: vec!["admin".into(), "billing".into()],
        tenant: Some("acme".into()),
        admin: true,
    };
    let other = OtherSession {
        user_id: 42,
        name: "Zoë \"admin\"".into(),
        roles: vec!["admin".into(), "billing".into()],
        tenant: Some("acme".into()),
        admin: true,
    };
    let previous = Keyring::new(SessionSecret::from_bytes(&PREVIOUS).expect("32 bytes"));
    let seeds = [
        ("v2_primary", KEYRING.seal_at(&session, NOW - 100)),
        (
            "v2_renewed",
            KEYRING.reseal_at(&session, NOW - 3 * 86_400, NOW - 100),
        ),
        (
            "past_absolute_cap",
            KEYRING.reseal_at(&session, NOW - 7 * 86_400 - 50, NOW - 100),
        ),
        ("v2_previous_key", previous.seal_at(&session, NOW - 100)),
        (
            "v1_migrates",
            KEYRING.seal_at(
                &FuzzV1 {
                    user_id: 7,
                    name: "old".into(),
                },
                NOW - 100,
            ),
        ),
        ("other_type", KEYRING.seal_at(&other, NOW - 100)),
        ("expired", KEYRING.seal_at(&session, NOW - 2 * 86_400)),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/open");
    std::fs::create_dir_all(&dir)?;
    for (name, value) in seeds {
        let value = value.expect("seals");
        // Each seed reaches the branch of the `open` target it is meant for.
        let opened = KEYRING.open_at::<FuzzSession>(&value, NOW);
        match name {
            "v2_primary" => assert!(opened.is_ok_and(|o| !o.needs_reissue())),
            "v2_renewed" => assert!(opened.is_ok_and(|o| o.started_at == NOW - 3 * 86_400)),
            "v2_previous_key" => assert!(opened.is_ok_and(|o| o.previous_key)),
            "v1_migrates" => assert!(opened.is_ok_and(|o| o.migrated)),
            "other_type" => {
                assert_eq!(opened.err(), Some(OpenError::BadSignature));
                assert!(KEYRING.open_at::<OtherSession>(&value, NOW).is_ok());
            }
            _ => assert!(matches!(opened, Err(OpenError::Expired { .. }))),
        }
        std::fs::write(dir.join(name), value)?;
    }
    // Format 2: the same branches for the encrypted type.
    let encrypted = EncryptedSession {
        user_id: 42,
        name: "Zoë \"admin\"".into(),
        roles: vec!["admin".into(), "billing".into()],
        tenant: Some("acme".into()),
        admin: true,
    };
    let twin = SignedTwin {
        user_id: 42,
        name: "Zoë \"admin\"".into(),
        roles: vec!["admin".into()],
        tenant: None,
        admin: false,
    };
    let seeds = [
        ("enc_primary", KEYRING.seal_at(&encrypted, NOW - 100)),
        (
            "enc_renewed",
            KEYRING.reseal_at(&encrypted, NOW - 3 * 86_400, NOW - 100),
        ),
        ("enc_previous_key", previous.seal_at(&encrypted, NOW - 100)),
        (
            "enc_v1_migrates",
            KEYRING.seal_at(
                &FuzzEncV1 {
                    user_id: 7,
                    name: "old".into(),
                },
                NOW - 100,
            ),
        ),
        ("enc_signed_twin", KEYRING.seal_at(&twin, NOW - 100)),
        ("enc_expired", KEYRING.seal_at(&encrypted, NOW - 2 * 86_400)),
    ];
    for (name, value) in seeds {
        let value = value.expect("seals");
        let opened = KEYRING.open_at::<EncryptedSession>(&value, NOW);
        match name {
            "enc_primary" => assert!(opened.is_ok_and(|o| !o.needs_reissue())),
            "enc_renewed" => assert!(opened.is_ok_and(|o| o.started_at == NOW - 3 * 86_400)),
            "enc_previous_key" => assert!(opened.is_ok_and(|o| o.previous_key)),
            "enc_v1_migrates" => assert!(opened.is_ok_and(|o| o.migrated)),
            "enc_signed_twin" => {
                assert_eq!(opened.err(), Some(OpenError::Malformed));
                assert!(KEYRING.open_at::<SignedTwin>(&value, NOW).is_ok());
            }
            _ => assert!(matches!(opened, Err(OpenError::Expired { .. }))),
        }
        std::fs::write(dir.join(name), value)?;
    }
    Ok(())
}
