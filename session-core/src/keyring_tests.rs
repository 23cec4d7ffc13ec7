use std::ffi::OsString;

use serde::{Deserialize, Serialize};

use super::*;
use crate::payload::decode_migrated;
use crate::store::SessionId;
use crate::wire::peek_key_id;

const NOW: u64 = 1_700_000_000;

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Admin {
    user_id: u64,
    roles: Vec<String>,
}
impl SessionPayload for Admin {
    const SPEC: SessionSpec = SessionSpec::builder("Admin", "admin_sid", "admin")
        .max_age_secs(3600)
        .build();
}

/// Same shape and cookie name as `Admin`, other namespace.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Tenant {
    user_id: u64,
    roles: Vec<String>,
}
impl SessionPayload for Tenant {
    const SPEC: SessionSpec = SessionSpec::builder("Tenant", "admin_sid", "tenant")
        .max_age_secs(3600)
        .build();
}

/// Same shape and namespace as `Admin`, other cookie name.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct AdminOtherCookie {
    user_id: u64,
    roles: Vec<String>,
}
impl SessionPayload for AdminOtherCookie {
    const SPEC: SessionSpec = SessionSpec::builder("AdminOtherCookie", "admin2", "admin")
        .max_age_secs(3600)
        .build();
}

/// Version 2 of a profile with a migration from version 1.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct ProfileV1 {
    name: String,
}
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Profile {
    first: String,
    last: String,
}
impl From<ProfileV1> for Profile {
    fn from(old: ProfileV1) -> Self {
        let (first, last) = old.name.split_once(' ').unwrap_or((&old.name, ""));
        Profile {
            first: first.into(),
            last: last.into(),
        }
    }
}
impl SessionPayload for Profile {
    const SPEC: SessionSpec = SessionSpec::builder("Profile", "profile", "profile")
        .version(2)
        .build();
    fn decode_version(version: u32, json: &[u8]) -> Result<Self, OpenError> {
        match version {
            2 => crate::payload::decode_json(json),
            1 => decode_migrated::<ProfileV1, Self>(json),
            found => Err(crate::payload::unknown_version::<Self>(found)),
        }
    }
}
/// Writes version-1 profiles (same cookie and namespace).
impl SessionPayload for ProfileV1 {
    const SPEC: SessionSpec = SessionSpec::builder("ProfileV1", "profile", "profile").build();
}
/// Writes version-3 profiles, which this build of `Profile` does not know.
#[derive(Serialize, Deserialize)]
struct ProfileV3 {
    first: String,
}
impl SessionPayload for ProfileV3 {
    const SPEC: SessionSpec = SessionSpec::builder("ProfileV3", "profile", "profile")
        .version(3)
        .build();
}

fn secret(byte: u8) -> SessionSecret {
    SessionSecret::from_bytes(&[byte; 32]).expect("32 bytes")
}

fn admin() -> Admin {
    Admin {
        user_id: 4242,
        roles: vec!["admin".into(), "billing".into()],
    }
}

#[test]
fn roundtrip() {
    let keyring = Keyring::new(secret(1));
    let value = keyring.seal_at(&admin(), NOW).expect("seals");
    let opened = keyring.open_at::<Admin>(&value, NOW + 1).expect("opens");
    assert_eq!(opened.payload(), &admin());
    assert_eq!(opened.issued_at, NOW);
    assert_eq!(opened.started_at, NOW);
    assert_eq!(opened.expires_at, NOW + 3600);
    assert_eq!(opened.version, 1);
    assert_eq!(opened.key_id, keyring.primary_key_id());
    assert!(!opened.needs_reissue());
}

#[test]
fn bytes_open_as_their_str_and_not_utf8_is_malformed_whatever_else() {
    let keyring = Keyring::new(secret(1));
    let value = keyring.seal_at(&admin(), NOW).expect("seals");
    let opened = keyring
        .open_bytes_at::<Admin>(value.as_bytes(), NOW + 1)
        .expect("opens");
    assert_eq!(opened.payload(), &admin());

    // Each error is the `&str` path's for a UTF-8 value...
    let mut tampered = value.clone().into_bytes();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x01;
    let as_str = std::str::from_utf8(&tampered).expect("still ASCII");
    assert_eq!(
        keyring.open_bytes_at::<Admin>(&tampered, NOW + 1).err(),
        keyring.open_at::<Admin>(as_str, NOW + 1).err(),
    );
    assert_eq!(
        keyring
            .open_bytes_at::<Admin>(value.as_bytes(), NOW + 7200)
            .err(),
        Some(OpenError::Expired {
            expired_at: NOW + 3600
        }),
    );

    // ...and a byte that makes it not UTF-8, anywhere (header, payload,
    // tag), is `Malformed`, as it is for a value refused on the way to a
    // `&str`: never `BadSignature` because the byte sits under the MAC.
    for at in [0, middle, value.len() - 1] {
        let mut bytes = value.clone().into_bytes();
        bytes[at] = 0xff;
        assert_eq!(
            keyring.open_bytes_at::<Admin>(&bytes, NOW + 1).err(),
            Some(OpenError::Malformed),
            "0xff at {at}"
        );
    }
    let oversized = [0xffu8; crate::wire::MAX_VALUE_LEN + 1];
    assert_eq!(
        keyring.open_bytes_at::<Admin>(&oversized, NOW + 1).err(),
        Some(OpenError::Malformed)
    );
}

#[test]
fn value_uses_only_cookie_octets() {
    let value = Keyring::new(secret(1))
        .seal_at(&admin(), NOW)
        .expect("seals");
    assert!(
        value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'),
        "{value}"
    );
}

#[test]
fn other_namespace_same_cookie_name_is_bad_signature() {
    let keyring = Keyring::new(secret(1));
    let value = keyring.seal_at(&admin(), NOW).expect("seals");
    assert_eq!(
        keyring.open_at::<Tenant>(&value, NOW).err(),
        Some(OpenError::BadSignature)
    );
}

#[test]
fn other_cookie_name_same_namespace_is_bad_signature() {
    let keyring = Keyring::new(secret(1));
    let value = keyring.seal_at(&admin(), NOW).expect("seals");
    assert_eq!(
        keyring.open_at::<AdminOtherCookie>(&value, NOW).err(),
        Some(OpenError::BadSignature)
    );
}

#[test]
fn every_single_bit_flip_is_rejected() {
    let keyring = Keyring::new(secret(1));
    let value = keyring.seal_at(&admin(), NOW).expect("seals");
    let bytes = value.as_bytes();
    for index in 0..bytes.len() {
        for bit in 0..8 {
            let mut flipped = bytes.to_vec();
            flipped[index] ^= 1 << bit;
            // A flip may produce invalid UTF-8; the layer never hands such text
            // to `open`, so only UTF-8 results are candidates.
            if let Ok(text) = std::str::from_utf8(&flipped) {
                assert!(
                    keyring.open_at::<Admin>(text, NOW).is_err(),
                    "flip of bit {bit} in byte {index} was accepted"
                );
            }
        }
    }
}

#[test]
fn other_secret_is_bad_signature() {
    let value = Keyring::new(secret(1))
        .seal_at(&admin(), NOW)
        .expect("seals");
    assert_eq!(
        Keyring::new(secret(2)).open_at::<Admin>(&value, NOW).err(),
        Some(OpenError::BadSignature)
    );
}

#[test]
fn expired_at_exp_and_after() {
    let keyring = Keyring::new(secret(1));
    let value = keyring.seal_at(&admin(), NOW).expect("seals");
    assert!(keyring.open_at::<Admin>(&value, NOW + 3599).is_ok());
    for now in [NOW + 3600, NOW + 10_000] {
        assert_eq!(
            keyring.open_at::<Admin>(&value, now).err(),
            Some(OpenError::Expired {
                expired_at: NOW + 3600
            })
        );
    }
}

#[test]
fn renewal_point_flags_reissue() {
    let keyring = Keyring::new(secret(1));
    let value = keyring.seal_at(&admin(), NOW).expect("seals");
    let early = keyring.open_at::<Admin>(&value, NOW + 1799).expect("opens");
    assert!(!early.renewal_due && !early.needs_reissue());
    let late = keyring.open_at::<Admin>(&value, NOW + 1800).expect("opens");
    assert!(late.renewal_due && late.needs_reissue());
}

#[test]
fn previous_key_opens_and_flags_reissue_removed_key_fails() {
    let old = Keyring::new(secret(1));
    let value = old.seal_at(&admin(), NOW).expect("seals");

    let rotated = Keyring::new(secret(2)).with_previous(secret(1));
    let opened = rotated
        .open_at::<Admin>(&value, NOW)
        .expect("previous key opens");
    assert!(opened.previous_key);
    assert!(opened.needs_reissue());
    assert_eq!(opened.key_id, old.primary_key_id());

    // Re-sealing always uses the primary.
    let resealed = rotated.seal_at(opened.payload(), NOW).expect("seals");
    assert_eq!(peek_key_id(&resealed), Some(rotated.primary_key_id()));
    assert_ne!(rotated.primary_key_id(), old.primary_key_id());

    let retired = Keyring::new(secret(2));
    assert_eq!(
        retired.open_at::<Admin>(&value, NOW).err(),
        Some(OpenError::BadSignature)
    );
}

#[test]
fn unknown_kid_is_bad_signature_and_no_other_key_is_tried() {
    let keyring = Keyring::new(secret(1)).with_previous(secret(2));
    // A value from a key that is not in the ring at all.
    let foreign = Keyring::new(secret(3))
        .seal_at(&admin(), NOW)
        .expect("seals");
    assert_eq!(
        keyring.open_at::<Admin>(&foreign, NOW).err(),
        Some(OpenError::BadSignature)
    );
    // A previous key's value relabelled with the primary's kid: the MAC is
    // checked under the named key only, so it fails.
    let by_previous = Keyring::new(secret(2))
        .seal_at(&admin(), NOW)
        .expect("seals");
    let relabelled = with_header(&by_previous, |h| h.kid = keyring.primary_key_id());
    assert_eq!(
        keyring.open_at::<Admin>(&relabelled, NOW).err(),
        Some(OpenError::BadSignature)
    );
}

/// Re-encodes the header of `value` after `change`, keeping payload and tag.
fn with_header(value: &str, change: impl FnOnce(&mut Header)) -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut header = wire::split_signed(value.as_bytes(), wire::FORMAT_SIGNED)
        .expect("well-formed")
        .header;
    change(&mut header);
    let (_, rest) = value.split_once('.').expect("dot");
    format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header.to_bytes()))
}

#[test]
fn header_fields_are_signed() {
    let keyring = Keyring::new(secret(1));
    let value = keyring.seal_at(&admin(), NOW).expect("seals");
    let tampered = [
        with_header(&value, |h| h.exp += 86_400),
        with_header(&value, |h| h.iat += 1),
        with_header(&value, |h| h.version = 2),
        with_header(&value, |h| h.version = 0),
        with_header(&value, |h| h.age += 1),
        with_header(&value, |h| h.age = u32::MAX),
    ];
    for value in tampered {
        assert_eq!(
            keyring.open_at::<Admin>(&value, NOW).err(),
            Some(OpenError::BadSignature)
        );
    }
}

#[test]
fn shortened_max_age_applies_to_issued_cookies() {
    #[derive(Serialize, Deserialize)]
    struct Long {
        a: u8,
    }
    impl SessionPayload for Long {
        const SPEC: SessionSpec = SessionSpec::builder("Long", "c", "ns")
            .max_age_secs(86_400)
            .build();
    }
    #[derive(Serialize, Deserialize, Debug)]
    struct Short {
        a: u8,
    }
    impl SessionPayload for Short {
        const SPEC: SessionSpec = SessionSpec::builder("Short", "c", "ns")
            .max_age_secs(60)
            .build();
    }
    let keyring = Keyring::new(secret(1));
    let value = keyring.seal_at(&Long { a: 1 }, NOW).expect("seals");
    assert!(keyring.open_at::<Short>(&value, NOW + 59).is_ok());
    assert_eq!(
        keyring.open_at::<Short>(&value, NOW + 60).err(),
        Some(OpenError::Expired {
            expired_at: NOW + 60
        })
    );
}

#[test]
fn older_version_is_migrated_and_flagged() {
    let keyring = Keyring::new(secret(1));
    let v1 = keyring
        .seal_at(
            &ProfileV1 {
                name: "Ada Lovelace".into(),
            },
            NOW,
        )
        .expect("seals");
    let opened = keyring.open_at::<Profile>(&v1, NOW).expect("migrates");
    assert_eq!(
        opened.payload(),
        &Profile {
            first: "Ada".into(),
            last: "Lovelace".into()
        }
    );
    assert!(opened.migrated && opened.needs_reissue());
    assert_eq!(opened.version, 1);
}

#[test]
fn undeclared_version_is_unknown_version() {
    let keyring = Keyring::new(secret(1));
    let v3 = keyring
        .seal_at(
            &ProfileV3 {
                first: "Ada".into(),
            },
            NOW,
        )
        .expect("seals");
    assert_eq!(
        keyring.open_at::<Profile>(&v3, NOW).err(),
        Some(OpenError::UnknownVersion {
            found: 3,
            current: 2
        })
    );
}

#[test]
fn signed_but_wrong_json_is_malformed() {
    // Same binding, incompatible shape: the MAC verifies, the JSON does not fit.
    #[derive(Serialize, Deserialize)]
    struct Other {
        user_id: String,
    }
    impl SessionPayload for Other {
        const SPEC: SessionSpec = SessionSpec::builder("Other", "admin_sid", "admin").build();
    }
    let keyring = Keyring::new(secret(1));
    let value = keyring
        .seal_at(
            &Other {
                user_id: "x".into(),
            },
            NOW,
        )
        .expect("seals");
    assert_eq!(
        keyring.open_at::<Admin>(&value, NOW).err(),
        Some(OpenError::Malformed)
    );
}

#[test]
fn oversize_payload_fails_at_seal() {
    let keyring = Keyring::new(secret(1));
    let big = Admin {
        user_id: 1,
        roles: vec!["x".repeat(4000)],
    };
    match keyring.seal_at(&big, NOW) {
        Err(SealError::TooLarge { size, limit }) => {
            assert!(size > limit);
            assert_eq!(limit, 4096);
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn unserializable_payload_is_serialize_error() {
    use std::collections::HashMap;
    #[derive(Serialize, Deserialize)]
    struct Map {
        by_pair: HashMap<(u8, u8), u8>,
    }
    impl SessionPayload for Map {
        const SPEC: SessionSpec = SessionSpec::builder("Map", "m", "m").build();
    }
    let map = Map {
        by_pair: HashMap::from([((1, 2), 3)]),
    };
    assert!(matches!(
        Keyring::new(secret(1)).seal_at(&map, NOW),
        Err(SealError::Serialize(_))
    ));
}

#[test]
fn garbage_never_panics_and_is_an_error() {
    let keyring = Keyring::new(secret(1));
    let valid = keyring.seal_at(&admin(), NOW).expect("seals");
    let mut inputs: Vec<String> = vec![
        String::new(),
        " ".into(),
        "...".into(),
        "a.b.c".into(),
        "\u{0}\u{0}.\u{0}.\u{0}".into(),
        "ñ".repeat(40),
        "é.é.é".into(),
        "=".repeat(200),
        valid.replace('.', ""),
        valid.replacen('.', "..", 1),
        format!(".{valid}"),
        format!("{valid}."),
        valid.to_uppercase(),
        "A".repeat(4096),
        "A".repeat(5000),
    ];
    for cut in 0..valid.len() {
        inputs.push(valid[..cut].to_string());
    }
    for input in &inputs {
        assert!(keyring.open_at::<Admin>(input, NOW).is_err(), "{input:?}");
    }
}

#[test]
fn from_lookup_production_requires_secret() {
    let env = |tier: Option<&'static str>| {
        move |name: &str| match name {
            "SESSION_SEAL_ENV" => tier.map(OsString::from),
            _ => None,
        }
    };
    assert_eq!(
        Keyring::from_lookup(env(None)).err(),
        Some(KeyringError::MissingInProduction)
    );
    assert_eq!(
        Keyring::from_lookup(env(Some("staging"))).err(),
        Some(KeyringError::MissingInProduction)
    );
    let message = KeyringError::MissingInProduction.to_string();
    assert!(message.contains("openssl rand -base64 32"), "{message}");

    let dev = Keyring::from_lookup(env(Some("dev"))).expect("ephemeral key");
    assert!(dev.is_ephemeral());
    assert_eq!(dev.tier(), Tier::Development);
}

#[test]
fn from_lookup_reads_primary_and_previous() {
    let primary = SessionSecret::generate();
    let previous = SessionSecret::generate();
    let vars = [
        ("SESSION_SEAL_SECRET", primary.to_base64().to_string()),
        (
            "SESSION_SEAL_PREVIOUS_SECRETS",
            format!(" {} ,, ", previous.to_base64().as_str()),
        ),
    ];
    let keyring = Keyring::from_lookup(|name| {
        vars.iter()
            .find(|(var, _)| *var == name)
            .map(|(_, value)| OsString::from(value))
    })
    .expect("valid");
    assert_eq!(keyring.tier(), Tier::Production);
    assert!(!keyring.is_ephemeral());
    assert_eq!(
        keyring.primary_key_id(),
        Keyring::new(primary).primary_key_id()
    );
    assert_eq!(
        keyring.previous_key_ids(),
        vec![Keyring::new(previous).primary_key_id()]
    );

    let bad = Keyring::from_lookup(|name| match name {
        "SESSION_SEAL_SECRET" => Some(OsString::from(vars[0].1.clone())),
        "SESSION_SEAL_PREVIOUS_SECRETS" => Some(OsString::from("c2hvcnQ,???")),
        _ => None,
    });
    assert_eq!(
        bad.err(),
        Some(KeyringError::Previous {
            position: 1,
            source: SecretError::TooShort { len: 5, min: 32 }
        })
    );
}

#[test]
fn duplicate_previous_key_is_ignored() {
    let keyring = Keyring::new(secret(1))
        .with_previous(secret(1))
        .with_previous(secret(2))
        .with_previous(secret(2));
    assert_eq!(keyring.previous_key_ids().len(), 1);
}

#[test]
fn debug_shows_no_secret() {
    let keyring = Keyring::new(secret(0xAB)).with_previous(secret(0xCD));
    let shown = format!("{keyring:?}");
    assert!(shown.starts_with("Keyring"), "{shown}");
    assert!(!shown.contains("abab") && !shown.contains("cdcd") && !shown.contains("171"));
}

#[test]
fn builder_on_shared_keyring_does_not_affect_clone() {
    let base = Keyring::new(secret(1));
    let rotated = base.clone().with_previous(secret(2));
    assert!(base.previous_key_ids().is_empty());
    assert_eq!(rotated.previous_key_ids().len(), 1);
    assert_eq!(base.primary_key_id(), rotated.primary_key_id());
}

#[test]
fn prepare_then_open_uses_cached_state() {
    let keyring = Keyring::new(secret(1)).with_previous(secret(2));
    keyring.prepare(&[Admin::SPEC, Tenant::SPEC]);
    let value = keyring.seal_at(&admin(), NOW).expect("seals");
    assert!(keyring.open_at::<Admin>(&value, NOW).is_ok());
}

/// A store-mode type: its cookie carries only an id.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Stored {
    user_id: u64,
}
impl SessionPayload for Stored {
    const SPEC: SessionSpec = SessionSpec::builder("Stored", "stored_sid", "stored")
        .version(3)
        .max_age_secs(3600)
        .store()
        .build();
}

#[test]
fn sealed_ids_open_under_their_own_spec_only() {
    let keyring = Keyring::new(secret(1));
    let id = SessionId::generate();
    let value = keyring.seal_id_at(&Stored::SPEC, &id, NOW, NOW).unwrap();
    let opened = keyring.open_id_at(&Stored::SPEC, &value, NOW + 1).unwrap();
    assert_eq!(opened.payload, id);
    assert_eq!(opened.expires_at, NOW + 3600);
    assert!(!opened.needs_reissue());
    // Another type's bindings (namespace, cookie name) reject it.
    assert_eq!(
        keyring.open_id_at(&Admin::SPEC, &value, NOW + 1),
        Err(OpenError::BadSignature)
    );
    assert_eq!(
        keyring.open_id_at(&Stored::SPEC, &value, NOW + 3600),
        Err(OpenError::Expired {
            expired_at: NOW + 3600
        })
    );
    // The id never appears in the cookie in a form other than base64 JSON,
    // and a cookie-mode payload under the same spec is not an id.
    let not_an_id = keyring.seal_at(&Stored { user_id: 1 }, NOW).unwrap();
    assert_eq!(
        keyring.open_id_at(&Stored::SPEC, &not_an_id, NOW + 1),
        Err(OpenError::Malformed)
    );
}

#[test]
fn sealed_ids_from_a_newer_schema_are_unknown_older_ones_open() {
    let keyring = Keyring::new(secret(1));
    let id = SessionId::generate();
    const NEWER: SessionSpec = SessionSpec::builder("Stored", "stored_sid", "stored")
        .version(4)
        .max_age_secs(3600)
        .store()
        .build();
    const OLDER: SessionSpec = SessionSpec::builder("Stored", "stored_sid", "stored")
        .version(2)
        .max_age_secs(3600)
        .store()
        .build();
    let newer = keyring.seal_id_at(&NEWER, &id, NOW, NOW).unwrap();
    assert_eq!(
        keyring.open_id_at(&Stored::SPEC, &newer, NOW),
        Err(OpenError::UnknownVersion {
            found: 4,
            current: 3
        })
    );
    let older = keyring.seal_id_at(&OLDER, &id, NOW, NOW).unwrap();
    let opened = keyring.open_id_at(&Stored::SPEC, &older, NOW).unwrap();
    assert_eq!(opened.payload, id);
    assert!(!opened.migrated);
}

/// An hour idle, a day absolute.
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Capped {
    user_id: u64,
}
impl SessionPayload for Capped {
    const SPEC: SessionSpec = SessionSpec::builder("Capped", "capped", "capped")
        .max_age_secs(3600)
        .absolute_max_age_secs(86_400)
        .build();
}

#[test]
fn reseal_keeps_started_and_stops_at_the_absolute_cap() {
    let keyring = Keyring::new(secret(1));
    let payload = Capped { user_id: 7 };
    let first = keyring.seal_at(&payload, NOW).unwrap();
    let opened = keyring.open_at::<Capped>(&first, NOW + 1).unwrap();
    assert_eq!(opened.started_at, NOW);
    assert_eq!(opened.expires_at, NOW + 3600);

    // Renewed every 30 minutes: it slides, keeping its start, until the cap.
    let mut value = first;
    let mut now = NOW;
    while now + 1800 < NOW + 86_400 {
        now += 1800;
        let opened = keyring.open_at::<Capped>(&value, now).unwrap();
        assert_eq!(opened.started_at, NOW, "at {now}");
        value = keyring
            .reseal_at(&opened.payload, opened.started_at, now)
            .unwrap();
    }
    let last = keyring.open_at::<Capped>(&value, now).unwrap();
    assert_eq!(last.expires_at, NOW + 86_400, "the last renewal is capped");
    assert_eq!(
        keyring.open_at::<Capped>(&value, NOW + 86_400).err(),
        Some(OpenError::Expired {
            expired_at: NOW + 86_400
        })
    );
    // Sealing it again at or after the cap is refused, not a fresh lifetime.
    assert!(matches!(
        keyring.reseal_at(&payload, NOW, NOW + 86_400),
        Err(SealError::Expired { expired_at }) if expired_at == NOW + 86_400
    ));
    // A new session (seal_at) starts the clocks again.
    let fresh = keyring.seal_at(&payload, NOW + 86_400).unwrap();
    let opened = keyring.open_at::<Capped>(&fresh, NOW + 86_401).unwrap();
    assert_eq!(opened.started_at, NOW + 86_400);
}

#[test]
fn shortened_absolute_max_age_applies_to_issued_cookies() {
    /// `Capped` after a deploy that shortened the absolute lifetime to 2 hours.
    #[derive(Serialize, Deserialize, Debug)]
    struct Shorter {
        user_id: u64,
    }
    impl SessionPayload for Shorter {
        const SPEC: SessionSpec = SessionSpec::builder("Shorter", "capped", "capped")
            .max_age_secs(3600)
            .absolute_max_age_secs(7200)
            .build();
    }
    let keyring = Keyring::new(secret(1));
    // Started at NOW, renewed at NOW + 6000: signed exp is NOW + 9600.
    let value = keyring
        .reseal_at(&Capped { user_id: 1 }, NOW, NOW + 6000)
        .unwrap();
    assert_eq!(
        keyring
            .open_at::<Capped>(&value, NOW + 7300)
            .unwrap()
            .expires_at,
        NOW + 9600
    );
    assert!(keyring.open_at::<Shorter>(&value, NOW + 7199).is_ok());
    assert_eq!(
        keyring.open_at::<Shorter>(&value, NOW + 7200).err(),
        Some(OpenError::Expired {
            expired_at: NOW + 7200
        })
    );
}

#[test]
fn started_in_the_future_counts_as_now() {
    let keyring = Keyring::new(secret(1));
    let value = keyring
        .reseal_at(&Capped { user_id: 1 }, NOW + 500, NOW)
        .unwrap();
    let opened = keyring.open_at::<Capped>(&value, NOW).unwrap();
    assert_eq!(opened.started_at, NOW);
}

#[test]
fn sealed_ids_carry_their_start() {
    const STORED: SessionSpec = SessionSpec::builder("S", "s_sid", "s")
        .max_age_secs(3600)
        .absolute_max_age_secs(7200)
        .store()
        .build();
    let keyring = Keyring::new(secret(1));
    let id = SessionId::generate();
    let value = keyring.seal_id_at(&STORED, &id, NOW, NOW + 5000).unwrap();
    let opened = keyring.open_id_at(&STORED, &value, NOW + 5001).unwrap();
    assert_eq!(opened.started_at, NOW);
    assert_eq!(opened.expires_at, NOW + 7200);
    assert!(matches!(
        keyring.seal_id_at(&STORED, &id, NOW, NOW + 7200),
        Err(SealError::Expired { .. })
    ));
}

#[test]
fn binding_keys_follow_the_hkdf_tree() {
    // The MAC key of a binding is HKDF-SHA256(secret, salt "session-seal/v1",
    // info "session-seal/v1 mac" 0x00 len8(ns) ns len8(cookie) cookie), and the
    // encryption key the same with "enc"; recomputed here from the bytes.
    let keyring = Keyring::new(secret(1));
    let hkdf = Hkdf::<Sha256>::new(Some(b"session-seal/v1"), &[1; 32]);
    let expand = |info: &[u8]| {
        let mut key = [0u8; 32];
        hkdf.expand(info, &mut key).unwrap();
        key
    };
    let mac_key = expand(b"session-seal/v1 mac\0\x05admin\x09admin_sid");
    let enc_key = expand(b"session-seal/v1 enc\0\x05admin\x09admin_sid");
    let keys = keyring.test_primary().derive(&Admin::SPEC);
    // The cached cipher is keyed with exactly that key: same tag as the
    // reference crate's cipher built from it directly.
    {
        use chacha20poly1305::KeyInit as _;
        use chacha20poly1305::aead::AeadInPlace as _;
        let nonce = chacha20poly1305::XNonce::default();
        let direct = chacha20poly1305::XChaCha20Poly1305::new(&enc_key.into())
            .encrypt_in_place_detached(&nonce, b"ad", &mut [1, 2, 3])
            .unwrap();
        let cached = keys
            .enc
            .seal_in_place(&nonce.into(), b"ad", &mut [1, 2, 3])
            .unwrap();
        assert_eq!(<[u8; 16]>::from(direct), cached);
    }
    assert_ne!(mac_key, enc_key);
    let mut expected = HmacSha256::new_from_slice(&mac_key).unwrap();
    expected.update(b"H.P");
    let mut ours = keyring.test_primary().mac(&Admin::SPEC);
    ours.update(b"H.P");
    assert_eq!(
        ours.finalize().into_bytes(),
        expected.finalize().into_bytes()
    );
}

#[test]
fn more_bindings_than_slots_all_work_and_stay_separate() {
    let keyring = Keyring::new(secret(1));
    let specs: Vec<SessionSpec> = (0..SLOTS + 5)
        .map(|i| {
            let name: &'static str = Box::leak(format!("c{i}").into_boxed_str());
            SessionSpec::builder("T", name, "many").build()
        })
        .collect();
    keyring.prepare(&specs[..3]);
    let macs: Vec<[u8; 32]> = specs
        .iter()
        .map(|spec| {
            let mut mac = keyring.test_primary().mac(spec);
            mac.update(b"x");
            mac.finalize().into_bytes().into()
        })
        .collect();
    for (i, spec) in specs.iter().enumerate() {
        // Every binding has its own key, and asking again gives the same one.
        let mut again = keyring.test_primary().mac(spec);
        again.update(b"x");
        assert_eq!(<[u8; 32]>::from(again.finalize().into_bytes()), macs[i]);
        let mut fresh = keyring.test_primary().derive(spec).mac;
        fresh.update(b"x");
        assert_eq!(<[u8; 32]>::from(fresh.finalize().into_bytes()), macs[i]);
        for j in 0..i {
            assert_ne!(macs[i], macs[j], "bindings {i} and {j}");
        }
    }
    assert_eq!(keyring.test_primary().overflow.read().unwrap().len(), 5);
}

#[test]
fn first_use_from_many_threads_caches_one_entry_per_binding() {
    let keyring = Keyring::new(secret(1));
    let value = Keyring::new(secret(1)).seal_at(&admin(), NOW).unwrap();
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                assert!(keyring.open_at::<Admin>(&value, NOW).is_ok());
                assert!(keyring.open_at::<Tenant>(&value, NOW).is_err());
            });
        }
    });
    let filled = keyring
        .test_primary()
        .slots
        .iter()
        .filter(|slot| slot.get().is_some())
        .count();
    assert_eq!(filled, 2, "Admin and Tenant, once each");
}

// ---- format 2: encrypted types ----

/// `Admin` with its payload encrypted.
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Secret {
    user_id: u64,
    email: String,
}
impl SessionPayload for Secret {
    const SPEC: SessionSpec = SessionSpec::builder("Secret", "__Host-secret", "vault")
        .version(2)
        .max_age_secs(3600)
        .absolute_max_age_secs(86_400)
        .encrypted()
        .build();
}

fn vault() -> Secret {
    Secret {
        user_id: 7,
        email: "ada@example.com".into(),
    }
}

/// The encrypted value of wire format 2 (as `wire` documents it), built here from scratch
/// with the hkdf and chacha20poly1305 crates (not through `Key`).
fn hand_built_encrypted(
    secret_bytes: &[u8],
    header: &[u8],
    json: &[u8],
    nonce: [u8; 24],
) -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use chacha20poly1305::aead::AeadInPlace as _;
    use chacha20poly1305::{KeyInit as _, XNonce};

    let mut info = b"session-seal/v1 enc\0".to_vec();
    info.push(5);
    info.extend_from_slice(b"vault");
    info.push(13);
    info.extend_from_slice(b"__Host-secret");
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(Some(b"session-seal/v1"), secret_bytes)
        .expand(&info, &mut key)
        .expect("32 bytes");
    let h = URL_SAFE_NO_PAD.encode(header);
    let mut text = json.to_vec();
    let tag = chacha20poly1305::XChaCha20Poly1305::new(&key.into())
        .encrypt_in_place_detached(XNonce::from_slice(&nonce), h.as_bytes(), &mut text)
        .expect("encrypts");
    let c = [nonce.as_slice(), &text, tag.as_slice()].concat();
    format!("{h}.{}", URL_SAFE_NO_PAD.encode(c))
}

fn kid_of(secret_bytes: &[u8]) -> [u8; 4] {
    let mut kid = [0u8; 4];
    Hkdf::<Sha256>::new(Some(b"session-seal/v1"), secret_bytes)
        .expand(b"session-seal/v1 kid", &mut kid)
        .expect("4 bytes");
    kid
}

fn header_bytes(format: u8, kid: [u8; 4], version: u32, iat: u64, exp: u64, age: u32) -> Vec<u8> {
    let mut h = vec![format];
    h.extend_from_slice(&kid);
    h.extend_from_slice(&version.to_be_bytes());
    h.extend_from_slice(&iat.to_be_bytes());
    h.extend_from_slice(&exp.to_be_bytes());
    h.extend_from_slice(&age.to_be_bytes());
    h
}

/// Seals `payload` for the encrypted `spec` at `NOW` as
/// [`Keyring::reseal_at`] does, with `nonce`; returns the result, the JSON buffer after
/// the seal and its capacity before.
fn seal_watched<P: Serialize>(
    keyring: &Keyring,
    spec: &SessionSpec,
    payload: &P,
    started: u64,
    nonce: [u8; NONCE_LEN],
) -> (Result<String, SealError>, wire::PayloadJson, usize) {
    let mut json = wire::PayloadJson::serialize(&[], payload).expect("serializes");
    let capacity = json.buf_mut().capacity();
    let len = json.len();
    let result = keyring.seal_json_with_nonce(spec, json.buf_mut(), len, started, NOW, || nonce);
    (result, json, capacity)
}

#[test]
fn encrypted_value_is_the_specified_bytes_with_a_fixed_nonce() {
    let bytes = [0x42u8; 32];
    let keyring = Keyring::new(SessionSecret::from_bytes(&bytes).expect("32 bytes"));
    let nonce: [u8; 24] = std::array::from_fn(|i| u8::try_from(i * 7 + 1).expect("small"));
    let started = NOW - 600;
    let (sealed, mut json, _) = seal_watched(&keyring, &Secret::SPEC, &vault(), started, nonce);
    let sealed = sealed.expect("seals");
    let expected = hand_built_encrypted(
        &bytes,
        &header_bytes(2, kid_of(&bytes), 2, NOW, NOW + 3600, 600),
        &serde_json::to_vec(&vault()).expect("json"),
        nonce,
    );
    assert_eq!(sealed, expected);
    // The buffer holds ciphertext now, not the JSON.
    assert!(!json.buf_mut().windows(15).any(|w| w == b"ada@example.com"));
    let opened = keyring.open_at::<Secret>(&sealed, NOW + 1).expect("opens");
    assert_eq!(opened.payload, vault());
    assert_eq!(opened.started_at, started);
}

#[test]
fn encrypted_round_trip_and_size() {
    let keyring = Keyring::new(SessionSecret::generate());
    let value = keyring.seal_at(&vault(), NOW).expect("seals");
    let json_len = serde_json::to_vec(&vault()).expect("json").len();
    assert_eq!(value.len(), wire::encrypted_len(json_len));
    assert_eq!(value.matches('.').count(), 1);
    let opened = keyring.open_at::<Secret>(&value, NOW + 10).expect("opens");
    assert_eq!(opened.payload, vault());
    assert_eq!(opened.expires_at, NOW + 3600);
    assert_eq!(peek_key_id(&value), Some(keyring.primary_key_id()));
    // Two seals of the same payload differ (fresh nonces).
    assert_ne!(value, keyring.seal_at(&vault(), NOW).expect("seals"));
}

#[test]
fn encrypted_seal_accounts_for_nonce_tag_and_base64() {
    // The largest payload that fits, and one byte more.
    #[derive(Serialize, Deserialize)]
    struct Blob(String);
    impl SessionPayload for Blob {
        const SPEC: SessionSpec = SessionSpec::builder("Blob", "b", "blob")
            .encrypted()
            .build();
    }
    let keyring = Keyring::new(SessionSecret::generate());
    let fixed = "b=".len() + Blob::SPEC.attributes_len();
    let mut fits = 0;
    for n in 2500..3200 {
        let blob = Blob("x".repeat(n));
        match keyring.seal_at(&blob, NOW) {
            Ok(value) => {
                assert!(fixed + value.len() <= MAX_SET_COOKIE_LEN);
                fits = n;
            }
            Err(SealError::TooLarge { size, limit }) => {
                assert_eq!(limit, MAX_SET_COOKIE_LEN);
                // `size` is exactly what the value would have been.
                assert_eq!(size, fixed + wire::encrypted_len(n + 2));
                assert!(size > MAX_SET_COOKIE_LEN);
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    // The boundary is where nonce, tag and base64 growth say it is: the
    // JSON (the string plus 2 quotes) and 40 bytes, times 4/3, fill what
    // the header, the dot, the name and the attributes leave.
    let budget = MAX_SET_COOKIE_LEN - fixed - wire::HEADER_B64_LEN - 1;
    assert!((fits + 2 + 40).div_ceil(3) * 4 <= budget + 2);
    assert!((fits + 3 + 40) * 4 > budget * 3);
    assert!(fits > 2500 && fits < 3199);
}

#[test]
fn encrypted_split_rejects_shapes() {
    let keyring = Keyring::new(SessionSecret::generate());
    let value = keyring.seal_at(&vault(), NOW).expect("seals");
    let (h, c) = value.split_once('.').expect("dot");
    let short_c =
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, [0u8; 39]);
    for bad in [
        String::new(),
        ".".into(),
        h.to_string(),
        format!("{h}."),
        format!("{h}.{c}.{c}"),
        format!("{h}{c}"),
        format!("{h}.{short_c}"),
        format!("{h}.{c}="),
        format!("A{value}"),
    ] {
        assert_eq!(
            keyring.open_at::<Secret>(&bad, NOW).err(),
            Some(OpenError::Malformed),
            "{bad:?}"
        );
    }
    assert_eq!(
        keyring.open_at::<Secret>(&"a".repeat(4097), NOW).err(),
        Some(OpenError::TooLarge {
            size: 4097,
            limit: 4096
        })
    );
}

#[test]
fn nonces_are_fresh_from_the_os_for_every_value() {
    // No generator state in the process: each value draws its own 24
    // bytes. A thousand draws are plenty to catch a nonce that is reused,
    // counted or mostly constant; uniqueness at scale is the 192 bits' job.
    const DRAWS: usize = 1_000;
    let keyring = Keyring::new(SessionSecret::generate());
    let mut seen = std::collections::HashSet::with_capacity(DRAWS);
    for _ in 0..DRAWS {
        let value = keyring.seal_at(&vault(), NOW).expect("seals");
        let parts = wire::split_encrypted(value.as_bytes(), FORMAT_ENCRYPTED).expect("splits");
        let sealed = wire::decode_sealed(&parts).expect("decodes");
        let nonce: [u8; NONCE_LEN] = sealed[..NONCE_LEN].try_into().expect("24 bytes");
        assert!(seen.insert(nonce), "nonce repeated: {nonce:02x?}");
    }
    // Random, not a counter: a counter's nonces are mostly zero bytes,
    // uniform random ones have about 24/256 per nonce.
    let zero_bytes: usize = seen
        .iter()
        .map(|nonce| nonce.iter().filter(|b| **b == 0).count())
        .sum();
    assert!(zero_bytes < DRAWS * 2, "{zero_bytes} zero bytes");
    // And a nonce drawn in a thread is as fresh as one drawn here.
    let other = std::thread::scope(|scope| {
        scope
            .spawn(|| keyring.seal_at(&vault(), NOW).expect("seals"))
            .join()
            .expect("no panic")
    });
    assert_eq!(
        keyring
            .open_at::<Secret>(&other, NOW)
            .expect("opens")
            .payload,
        vault()
    );
}

/// A payload whose JSON is a string of a chosen length.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Filler(String);
impl Filler {
    /// JSON of `len` bytes, quotes included.
    fn json_len(len: usize) -> Self {
        Filler("x".repeat(len - 2))
    }
}

#[test]
fn the_plaintext_buffer_never_grows_while_sealing_or_failing() {
    let keyring = Keyring::new(secret(1));
    // Encrypted types with a long and a short name and attributes.
    let specs = [
        SessionSpec::builder("Filler", "e", "sized")
            .encrypted()
            .build(),
        SessionSpec::builder("Filler", "a_longer_cookie_name", "sized")
            .domain("sessions.example.com")
            .path("/account/settings")
            .encrypted()
            .build(),
    ];
    for spec in specs {
        // The largest JSON the spec can seal, then sizes around it, around
        // the first buffer's capacity, and far past anything that fits.
        let max = (2..=wire::MAX_JSON_LEN)
            .rev()
            .find(|&len| {
                spec.cookie().len() + 1 + wire::encrypted_len(len) + spec.attributes_len()
                    <= MAX_SET_COOKIE_LEN
            })
            .expect("some JSON fits");
        for len in [
            2,
            100,
            1_000,
            max - 1,
            max,
            max + 1,
            wire::FIRST_SEAL_CAPACITY - wire::MIN_SEALED_LEN,
            wire::FIRST_SEAL_CAPACITY - wire::MIN_SEALED_LEN + 1,
            wire::FIRST_SEAL_CAPACITY,
            wire::FIRST_SEAL_CAPACITY + 1,
            wire::MAX_JSON_LEN,
            wire::MAX_JSON_LEN + 1,
            3 * wire::MAX_JSON_LEN,
        ] {
            let payload = Filler::json_len(len);
            let (result, mut json, capacity) =
                seal_watched(&keyring, &spec, &payload, NOW, [7; 24]);
            assert_eq!(
                json.buf_mut().capacity(),
                capacity,
                "{len} bytes: never grown"
            );
            match result {
                Ok(value) => {
                    assert!(len <= max, "{len} bytes sealed");
                    let opened = keyring.open_json_at(&spec, &value, NOW).expect("opens");
                    assert_eq!(opened.payload(), &serde_json::json!(payload.0));
                }
                Err(SealError::TooLarge { size, .. }) => {
                    assert!(len > max, "{len} bytes refused");
                    // The size is exact even for JSON the buffer cut short.
                    assert_eq!(
                        size,
                        spec.cookie().len() + 1 + wire::encrypted_len(len) + spec.attributes_len()
                    );
                }
                Err(other) => panic!("{len} bytes: {other:?}"),
            }
        }
        // A session past its absolute lifetime is refused after the JSON
        // is written: the buffer has not grown either.
        let capped = SessionSpec::builder("Filler", "c", "sized")
            .max_age_secs(10)
            .absolute_max_age_secs(10)
            .encrypted()
            .build();
        let (result, mut json, capacity) = seal_watched(
            &keyring,
            &capped,
            &Filler::json_len(100),
            NOW - 100,
            [7; 24],
        );
        assert!(
            matches!(result, Err(SealError::Expired { .. })),
            "{result:?}"
        );
        assert_eq!(json.buf_mut().capacity(), capacity);
    }
}

#[test]
fn a_json_buffer_without_room_is_never_sealed_as_a_prefix() {
    // Only `PayloadJson` cuts JSON short, and only past what can be sealed;
    // a length that disagrees with the buffer is refused all the same.
    let keyring = Keyring::new(secret(1));
    let mut json = br#""abc""#.to_vec();
    let result = keyring.seal_json_with_nonce(&Admin::SPEC, &mut json, 9, NOW, NOW, || [7; 24]);
    assert!(
        matches!(result, Err(SealError::TooLarge { .. })),
        "{result:?}"
    );
}

#[test]
fn seal_and_reseal_use_the_clock_and_open_with_it() {
    let keyring = Keyring::new(secret(1));
    let before = unix_now();
    let value = keyring.seal(&admin()).expect("seals");
    let opened = keyring.open::<Admin>(&value).expect("opens now");
    assert_eq!(opened.payload(), &admin());
    assert!(opened.issued_at >= before && opened.issued_at <= unix_now());
    assert_eq!(opened.started_at, opened.issued_at, "a new session");
    // `reseal` continues a session: the start is kept.
    let started = before - 100;
    let value = keyring.reseal(&admin(), started).expect("seals");
    let opened = keyring.open::<Admin>(&value).expect("opens now");
    assert_eq!(opened.payload(), &admin());
    assert_eq!(opened.started_at, started);
    assert!(opened.issued_at >= before);
}

/// The bindings whose keys `key` has cached in its slots, in slot order.
fn cached_bindings(key: &Key) -> Vec<Binding> {
    key.slots
        .iter()
        .filter_map(|slot| slot.get().map(|(binding, _)| *binding))
        .collect()
}

#[test]
fn prepare_derives_the_keys_of_every_secret_up_front() {
    let keyring = Keyring::new(secret(1))
        .with_previous(secret(2))
        .with_previous(secret(3));
    assert!(cached_bindings(keyring.test_primary()).is_empty());
    keyring.prepare(&[Admin::SPEC, Tenant::SPEC]);
    let expected = vec![("admin", "admin_sid"), ("tenant", "admin_sid")];
    assert_eq!(cached_bindings(keyring.test_primary()), expected);
    for previous in keyring.test_previous() {
        assert_eq!(cached_bindings(previous), expected);
    }
    // Preparing again adds nothing.
    keyring.prepare(&[Tenant::SPEC]);
    assert_eq!(cached_bindings(keyring.test_primary()), expected);
}

#[test]
fn moving_bytes_between_namespace_and_cookie_name_changes_the_keys() {
    // ("ab", "c") and ("a", "bc") concatenate to the same bytes: only the
    // length prefixes in the HKDF info tell the two bindings apart.
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Left(u8);
    impl SessionPayload for Left {
        const SPEC: SessionSpec = SessionSpec::builder("Left", "c", "ab").build();
    }
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Right(u8);
    impl SessionPayload for Right {
        const SPEC: SessionSpec = SessionSpec::builder("Right", "bc", "a").build();
    }
    let keyring = Keyring::new(secret(1));
    let left = keyring.test_primary().derive(&Left::SPEC);
    let right = keyring.test_primary().derive(&Right::SPEC);
    let tag = |mut mac: HmacSha256| {
        mac.update(b"H.P");
        <[u8; 32]>::from(mac.finalize().into_bytes())
    };
    assert_ne!(tag(left.mac), tag(right.mac));
    // And the keys are the ones the length-prefixed info gives.
    let hkdf = Hkdf::<Sha256>::new(Some(b"session-seal/v1"), &[1; 32]);
    let mut mac_key = [0u8; 32];
    hkdf.expand(b"session-seal/v1 mac\0\x02ab\x01c", &mut mac_key)
        .expect("32 bytes");
    let expected = HmacSha256::new_from_slice(&mac_key).expect("any length");
    assert_eq!(
        tag(keyring.test_primary().derive(&Left::SPEC).mac),
        tag(expected)
    );
    let value = keyring.seal_at(&Left(1), NOW).expect("seals");
    assert_eq!(
        keyring.open_at::<Right>(&value, NOW).err(),
        Some(OpenError::BadSignature)
    );
}

#[test]
fn a_signed_set_cookie_of_exactly_the_limit_seals_and_one_byte_more_does_not() {
    #[derive(Serialize, Deserialize)]
    struct Blob(String);
    impl SessionPayload for Blob {
        const SPEC: SessionSpec = SessionSpec::builder("Blob", "b", "blob").build();
    }
    let keyring = Keyring::new(secret(1));
    let fixed = "b=".len() + Blob::SPEC.attributes_len();
    // A value of `84 + base64_len(json)` bytes: the header, the tag and two
    // dots around the payload. Find the JSON length that fills the limit.
    let room = MAX_SET_COOKIE_LEN - fixed - wire::HEADER_B64_LEN - wire::TAG_B64_LEN - 2;
    assert_eq!(room % 4, 0, "a whole number of base64 quanta");
    let json_len = room / 4 * 3;
    let exact = Blob("x".repeat(json_len - 2));
    let value = keyring.seal_at(&exact, NOW).expect("exactly at the limit");
    assert_eq!(fixed + value.len(), MAX_SET_COOKIE_LEN);
    let over = Blob("x".repeat(json_len - 1));
    match keyring.seal_at(&over, NOW) {
        Err(SealError::TooLarge { size, limit }) => {
            // One more JSON byte is two more base64 characters.
            assert_eq!((size, limit), (MAX_SET_COOKIE_LEN + 2, MAX_SET_COOKIE_LEN));
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
}
