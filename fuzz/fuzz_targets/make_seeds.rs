//! Writes the `open` and `store_scan` seed corpora: `cargo run --bin
//! make_seeds` (stable is fine) from `fuzz/`. The `open` values depend only
//! on the fixed secrets and clock in `src/lib.rs`, so the seeds are
//! reproducible (but for the encrypted ones' random nonces); the
//! `store_scan` seeds are operations on the target's table of genuine values
//! (indexes, not values), so they do not change at all.

use std::path::Path;

use session_seal::fingerprint::ClientSignals;
use session_seal::{Keyring, OpenError, SessionPayload, SessionSecret};
use session_seal_fuzz::{
    AsymmetricSession, AsymmetricSignedTwin, BoundSession, EncryptedSession, FuzzEncV1,
    FuzzSession, FuzzV1, KEYRING, NOW, OtherSession, PREVIOUS, PUBLIC_KEYS, SignedTwin,
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
    // Format 3: the asymmetric type, opened by the public keys.
    let asymmetric = AsymmetricSession {
        user_id: 42,
        name: "Zoë \"admin\"".into(),
        roles: vec!["admin".into(), "billing".into()],
        tenant: Some("acme".into()),
        admin: true,
    };
    let twin = AsymmetricSignedTwin {
        user_id: 42,
        name: "Zoë \"admin\"".into(),
        roles: vec!["admin".into()],
        tenant: None,
        admin: false,
    };
    let seeds = [
        ("asym_primary", KEYRING.seal_at(&asymmetric, NOW - 100)),
        (
            "asym_previous_key",
            previous.seal_at(&asymmetric, NOW - 100),
        ),
        ("asym_signed_twin", KEYRING.seal_at(&twin, NOW - 100)),
        (
            "asym_expired",
            KEYRING.seal_at(&asymmetric, NOW - 2 * 86_400),
        ),
    ];
    for (name, value) in seeds {
        let value = value.expect("seals");
        let opened = PUBLIC_KEYS.open_at::<AsymmetricSession>(&value, NOW);
        match name {
            "asym_primary" => assert!(opened.is_ok_and(|o| !o.needs_reissue())),
            "asym_previous_key" => assert!(opened.is_ok_and(|o| o.previous_key)),
            "asym_signed_twin" => {
                assert_eq!(opened.err(), Some(OpenError::Malformed));
                assert!(KEYRING.open_at::<AsymmetricSignedTwin>(&value, NOW).is_ok());
            }
            _ => assert!(matches!(opened, Err(OpenError::Expired { .. }))),
        }
        std::fs::write(dir.join(name), value)?;
    }
    // A type bound to a client fingerprint: the fingerprint inside the
    // signed payload.
    let bound = BoundSession {
        user_id: 42,
        name: "Zoë".into(),
        roles: vec!["admin".into()],
        tenant: Some("acme".into()),
        admin: true,
    };
    let signals = ClientSignals {
        user_agent: b"Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Firefox/140.0",
        accept_language: b"en-GB,en;q=0.5",
    };
    let fingerprint = KEYRING.fingerprint(&BoundSession::SPEC, &signals);
    let value = KEYRING
        .reseal_bound_at(&bound, Some(&fingerprint), NOW - 100, NOW - 100)
        .expect("seals");
    let opened = KEYRING.open_at::<BoundSession>(&value, NOW).expect("opens");
    assert_eq!(opened.fingerprint, Some(fingerprint));
    std::fs::write(dir.join("bound_primary"), value)?;
    store_scan_seeds()
}

/// The `store_scan` seeds: one per situation of the store look-up rule.
fn store_scan_seeds() -> std::io::Result<()> {
    use session_seal_fuzz::store_scan::*;

    /// `copies` copies of genuine value `i` under its own name (in ops of
    /// at most 256).
    fn refs(out: &mut Vec<u8>, i: u8, copies: usize) {
        let mut left = copies;
        while left > 0 {
            let now = left.min(256);
            out.extend([OP_REF, i, u8::try_from(now - 1).expect("at most 256")]);
            left -= now;
        }
    }
    let dead = |n: u8| ACCT + LIVE + n;
    let team_dead = |n: u8| TEAM + LIVE + n;
    let mut seeds: Vec<(&str, Vec<u8>)> = Vec::new();

    // One logged-in session of each type: two reads, both found.
    let mut live = Vec::new();
    refs(&mut live, ACCT, 1);
    refs(&mut live, TEAM + 1, 1);
    seeds.push(("live", live));

    // Fault 1: a logged-out cookie repeated 500 times is one read.
    let mut repeated = Vec::new();
    refs(&mut repeated, dead(0), 500);
    seeds.push(("dead_repeated", repeated));

    // Three stale cookies before the live one (the fourth read finds it),
    // interleaved with copies; the team side the same over two lines.
    let mut stale = Vec::new();
    for n in 0..3 {
        refs(&mut stale, dead(n), 3);
    }
    refs(&mut stale, ACCT + 2, 1);
    refs(&mut stale, dead(0), 2);
    stale.push(OP_LINE);
    for n in 0..3 {
        refs(&mut stale, team_dead(n), 2);
    }
    refs(&mut stale, TEAM, 1);
    seeds.push(("stale_then_live", stale));

    // Five distinct logged-out ids, repeated, then a live one: four reads,
    // the live one out of reach.
    let mut capped = Vec::new();
    for _ in 0..20 {
        for n in 0..5 {
            refs(&mut capped, dead(n), 1);
        }
    }
    refs(&mut capped, ACCT + 1, 1);
    seeds.push(("over_the_cap", capped));

    // The same ids under other seals: previous key, older, expired,
    // version 2, another type's key; separators and whitespace.
    let mut variants = Vec::new();
    variants.extend([OP_SEP, 1]);
    for i in [
        ACCT_LIVE2_EXPIRED,
        ACCT_LIVE0_V2,
        ACCT_ID1_AS_TEAM,
        ACCT_DEAD3_PREVIOUS,
        ACCT_LIVE1_OLDER,
        ACCT_LIVE0_PREVIOUS,
    ] {
        refs(&mut variants, i, 2);
    }
    variants.extend([OP_SEP, 2, OP_WRAP, TEAM_LIVE0_PREVIOUS, 0]);
    variants.extend([OP_WRAP, TEAM_DEAD4_OLDER, 1]);
    seeds.push(("variants", variants));

    // Mutated copies, other names, junk and raw bytes on several lines.
    let mut junk = Vec::new();
    junk.extend([OP_MUTATE, ACCT, 40, 1, OP_MUTATE, ACCT + 1, 60, 0]);
    junk.extend([OP_NAMED, 5, ACCT, OP_NAMED, 2, dead(1), OP_NAMED, 1, ACCT]);
    junk.extend([OP_LINE, OP_JUNK, 0, 4, b'a', b'.', b'b', b'.']);
    junk.extend([OP_RAW, 6, b'a', b'c', b'c', b't', b'=', b';']);
    junk.extend([OP_WRAP, ACCT + 1, 2, OP_WRAP, ACCT + 1, 3, OP_LINE]);
    junk.extend([OP_JUNK, 1, 3, 0xff, 0xfe, b'x', OP_REF, TEAM + 2, 0]);
    seeds.push(("junk", junk));

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/store_scan");
    std::fs::create_dir_all(&dir)?;
    for (name, bytes) in seeds {
        std::fs::write(dir.join(name), bytes)?;
    }
    Ok(())
}
