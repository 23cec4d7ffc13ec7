//! Property tests of the envelope, signed and encrypted: roundtrip for
//! arbitrary payloads and times, and no input (arbitrary text, base64url-shaped text, one-character
//! mutations of real values) ever opens to anything but what was sealed.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use session_seal::{Keyring, OpenError, SessionPayload, SessionSecret, peek_key_id};

/// Every field kind a session typically holds.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(cookie = "prop_sid", namespace = "prop", max_age = "2h")]
struct Payload {
    id: u64,
    name: String,
    tags: Vec<String>,
    score: Option<i32>,
    active: bool,
}

/// Same shape and namespace as `Payload`, another cookie name.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(cookie = "prop_other", namespace = "prop", max_age = "2h")]
struct SameNamespace {
    id: u64,
    name: String,
    tags: Vec<String>,
    score: Option<i32>,
    active: bool,
}

/// Same shape and cookie name as `Payload`, another namespace.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(cookie = "prop_sid", namespace = "prop-other", max_age = "2h")]
struct SameCookie {
    id: u64,
    name: String,
    tags: Vec<String>,
    score: Option<i32>,
    active: bool,
}

/// Two hours idle, two days absolute.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(
    cookie = "prop_capped",
    namespace = "prop",
    max_age = "2h",
    absolute_max_age = "2d"
)]
struct Capped {
    id: u64,
}

const MAX_AGE: u64 = 2 * 3600;
const ABSOLUTE_MAX_AGE: u64 = 2 * 86_400;
const NOW: u64 = 1_750_000_000;

fn keyring() -> Keyring {
    Keyring::new(SessionSecret::from_bytes(&[7; 32]).expect("32 bytes"))
}

fn payload() -> impl Strategy<Value = Payload> {
    (
        any::<u64>(),
        ".{0,40}",
        prop::collection::vec(".{0,16}", 0..6),
        any::<Option<i32>>(),
        any::<bool>(),
    )
        .prop_map(|(id, name, tags, score, active)| Payload {
            id,
            name,
            tags,
            score,
            active,
        })
}

/// The value `keyring` seals for a fixed payload at `NOW`.
fn fixed_value(keyring: &Keyring) -> (Payload, String) {
    let payload = Payload {
        id: 42,
        name: "Ada".into(),
        tags: vec!["admin".into(), "ops".into()],
        score: Some(-3),
        active: true,
    };
    let value = keyring.seal_at(&payload, NOW).expect("seals");
    (payload, value)
}

/// Opening `text` either fails or yields exactly `sealed`, and then only
/// because `text` is the very value sealed.
fn only_sealed_opens(
    keyring: &Keyring,
    text: &str,
    value: &str,
    sealed: &Payload,
) -> Result<(), TestCaseError> {
    if let Ok(opened) = keyring.open_at::<Payload>(text, NOW) {
        prop_assert_eq!(&opened.payload, sealed);
        prop_assert_eq!(text, value);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        max_shrink_iters: 256,
        ..ProptestConfig::default()
    })]

    #[test]
    fn roundtrip_at_any_time(payload in payload(), now in 0u64..u64::MAX - MAX_AGE) {
        let keyring = keyring();
        let value = keyring.seal_at(&payload, now).expect("small payloads seal");
        prop_assert_eq!(peek_key_id(&value), Some(keyring.primary_key_id()));
        let opened = keyring.open_at::<Payload>(&value, now).expect("opens");
        prop_assert_eq!(&opened.payload, &payload);
        prop_assert_eq!(opened.issued_at, now);
        prop_assert_eq!(opened.expires_at, now + MAX_AGE);
        prop_assert!(!opened.previous_key && !opened.migrated);
    }

    /// Near `u64::MAX` the expiry saturates instead of wrapping around.
    #[test]
    fn roundtrip_near_the_end_of_time(payload in payload(), now in u64::MAX - MAX_AGE..u64::MAX) {
        let keyring = keyring();
        let value = keyring.seal_at(&payload, now).expect("seals");
        let opened = keyring.open_at::<Payload>(&value, now).expect("opens");
        prop_assert_eq!(&opened.payload, &payload);
        prop_assert_eq!(opened.expires_at, u64::MAX);
    }

    #[test]
    fn lifetime_holds_to_the_second(
        payload in payload(),
        now in 0u64..1u64 << 40,
        later in 0u64..3 * MAX_AGE,
    ) {
        let keyring = keyring();
        let value = keyring.seal_at(&payload, now).expect("seals");
        let result = keyring.open_at::<Payload>(&value, now + later);
        if later < MAX_AGE {
            prop_assert_eq!(result.expect("alive").payload, payload);
        } else {
            prop_assert_eq!(result.err(), Some(OpenError::Expired { expired_at: now + MAX_AGE }));
        }
    }

    /// A continuing session keeps its start through any re-seal, expires at
    /// the earlier of its two clocks, and never opens past the absolute cap.
    #[test]
    fn reseal_keeps_start_and_both_clocks_hold(
        id in any::<u64>(),
        started in 0u64..1u64 << 40,
        since_start in 0u64..3 * ABSOLUTE_MAX_AGE,
        later in 0u64..3 * MAX_AGE,
    ) {
        let keyring = keyring();
        let now = started + since_start;
        let sealed = keyring.reseal_at(&Capped { id }, started, now);
        let cap = started + ABSOLUTE_MAX_AGE;
        if now >= cap {
            prop_assert!(sealed.is_err(), "sealed past the cap");
            return Ok(());
        }
        let value = sealed.expect("seals before the cap");
        let expiry = (now + MAX_AGE).min(cap);
        prop_assert_eq!(<Capped as SessionPayload>::SPEC.expiry(started, now), expiry);
        match keyring.open_at::<Capped>(&value, now + later) {
            Ok(opened) => {
                prop_assert!(now + later < expiry);
                prop_assert_eq!(opened.started_at, started);
                prop_assert_eq!(opened.issued_at, now);
                prop_assert_eq!(opened.expires_at, expiry);
                prop_assert_eq!(opened.payload.id, id);
            }
            Err(error) => {
                prop_assert!(now + later >= expiry);
                prop_assert_eq!(error, OpenError::Expired { expired_at: expiry });
            }
        }
    }

    #[test]
    fn arbitrary_text_never_opens(text in any::<String>()) {
        let keyring = keyring();
        let (payload, value) = fixed_value(&keyring);
        only_sealed_opens(&keyring, &text, &value, &payload)?;
        prop_assert!(keyring.open_at::<Payload>(&text, NOW).is_err());
    }

    #[test]
    fn base64url_and_dots_never_open(text in "[A-Za-z0-9_.=-]{0,200}") {
        let keyring = keyring();
        let (payload, value) = fixed_value(&keyring);
        only_sealed_opens(&keyring, &text, &value, &payload)?;
        prop_assert!(keyring.open_at::<Payload>(&text, NOW).is_err());
    }

    /// Well-shaped forgeries: a valid header naming our key, any payload
    /// JSON, any tag. They reach the MAC check and fail there.
    #[test]
    fn forgeries_with_our_key_id_are_bad_signature(
        json in prop::collection::vec(any::<u8>(), 0..300),
        tag in prop::array::uniform32(any::<u8>()),
        version in 0u32..4,
        exp in any::<u64>(),
        age in any::<u32>(),
    ) {
        let keyring = keyring();
        let mut header = vec![1u8];
        header.extend_from_slice(&keyring.primary_key_id().to_bytes());
        header.extend_from_slice(&version.to_be_bytes());
        header.extend_from_slice(&NOW.to_be_bytes());
        header.extend_from_slice(&exp.to_be_bytes());
        header.extend_from_slice(&age.to_be_bytes());
        let forged = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(&header),
            URL_SAFE_NO_PAD.encode(&json),
            URL_SAFE_NO_PAD.encode(tag)
        );
        prop_assert_eq!(peek_key_id(&forged), Some(keyring.primary_key_id()));
        prop_assert_eq!(keyring.open_at::<Payload>(&forged, NOW).err(), Some(OpenError::BadSignature));
    }

    #[test]
    fn one_changed_character_never_opens_to_another_payload(
        payload in payload(),
        index in any::<prop::sample::Index>(),
        replacement in prop_oneof![
            proptest::char::range('A', 'Z'),
            proptest::char::range('a', 'z'),
            proptest::char::range('0', '9'),
            prop::sample::select(vec!['-', '_', '.', '=', '+', '/', ' ', '%', '"', 'é']),
        ],
    ) {
        let keyring = keyring();
        let value = keyring.seal_at(&payload, NOW).expect("seals");
        let at = index.index(value.len());
        let mut changed = value.clone();
        changed.replace_range(at..=at, &replacement.to_string());
        only_sealed_opens(&keyring, &changed, &value, &payload)?;
        if changed != value {
            prop_assert!(keyring.open_at::<Payload>(&changed, NOW).is_err());
        }
    }

    #[test]
    fn one_inserted_or_removed_character_never_opens(
        payload in payload(),
        index in any::<prop::sample::Index>(),
        inserted in any::<char>(),
        insert in any::<bool>(),
    ) {
        let keyring = keyring();
        let value = keyring.seal_at(&payload, NOW).expect("seals");
        let mut changed = value.clone();
        if insert {
            changed.insert(index.index(value.len() + 1), inserted);
        } else {
            changed.remove(index.index(value.len()));
        }
        prop_assert!(keyring.open_at::<Payload>(&changed, NOW).is_err());
    }

    #[test]
    fn a_value_never_opens_as_another_type(payload in payload(), now in 0u64..1u64 << 40) {
        let keyring = keyring();
        let value = keyring.seal_at(&payload, now).expect("seals");
        prop_assert_eq!(keyring.open_at::<SameNamespace>(&value, now).err(), Some(OpenError::BadSignature));
        prop_assert_eq!(keyring.open_at::<SameCookie>(&value, now).err(), Some(OpenError::BadSignature));
    }

    #[test]
    fn parts_of_two_values_never_combine(a in payload(), b in payload(), pick in 1usize..7) {
        prop_assume!(a != b);
        let keyring = keyring();
        let va = keyring.seal_at(&a, NOW).expect("seals");
        let vb = keyring.seal_at(&b, NOW).expect("seals");
        let pa: Vec<&str> = va.split('.').collect();
        let pb: Vec<&str> = vb.split('.').collect();
        // `pick` selects, bit by bit, which value each part comes from; 1..7
        // always mixes both.
        let mixed: Vec<&str> = (0..3)
            .map(|i| if pick & (1 << i) != 0 { pb[i] } else { pa[i] })
            .collect();
        let mixed = mixed.join(".");
        if mixed != va && mixed != vb {
            prop_assert!(keyring.open_at::<Payload>(&mixed, NOW).is_err());
        }
    }
}

// ---- format 2: encrypted types ----

/// `Payload` encrypted, with both clocks.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(
    cookie = "prop_secret",
    namespace = "prop",
    max_age = "2h",
    absolute_max_age = "2d",
    encrypted
)]
struct Secret {
    id: u64,
    name: String,
    tags: Vec<String>,
    score: Option<i32>,
    active: bool,
}

/// `Secret` signed: same cookie, namespace and shape.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(
    cookie = "prop_secret",
    namespace = "prop",
    max_age = "2h",
    absolute_max_age = "2d"
)]
struct SignedSecret {
    id: u64,
    name: String,
    tags: Vec<String>,
    score: Option<i32>,
    active: bool,
}

fn secret() -> impl Strategy<Value = Secret> {
    payload().prop_map(|p| Secret {
        id: p.id,
        name: p.name,
        tags: p.tags,
        score: p.score,
        active: p.active,
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        max_shrink_iters: 256,
        ..ProptestConfig::default()
    })]

    #[test]
    fn encrypted_roundtrip_keeps_start_and_clocks(
        secret in secret(),
        started in 0u64..1u64 << 40,
        since_start in 0u64..ABSOLUTE_MAX_AGE,
        later in 0u64..3 * MAX_AGE,
    ) {
        let keyring = keyring();
        let now = started + since_start;
        let value = keyring.reseal_at(&secret, started, now).expect("seals");
        prop_assert_eq!(value.matches('.').count(), 1);
        prop_assert_eq!(peek_key_id(&value), Some(keyring.primary_key_id()));
        let expiry = (now + MAX_AGE).min(started + ABSOLUTE_MAX_AGE);
        match keyring.open_at::<Secret>(&value, now + later) {
            Ok(opened) => {
                prop_assert!(now + later < expiry);
                prop_assert_eq!(&opened.payload, &secret);
                prop_assert_eq!(opened.started_at, started);
                prop_assert_eq!(opened.issued_at, now);
                prop_assert_eq!(opened.expires_at, expiry);
            }
            Err(error) => {
                prop_assert!(now + later >= expiry);
                prop_assert_eq!(error, OpenError::Expired { expired_at: expiry });
            }
        }
        // Never as the signed type of the same binding, nor the reverse.
        prop_assert_eq!(keyring.open_at::<SignedSecret>(&value, now).err(), Some(OpenError::Malformed));
    }

    #[test]
    fn encrypted_one_changed_character_never_opens(
        secret in secret(),
        index in any::<prop::sample::Index>(),
        replacement in prop_oneof![
            proptest::char::range('A', 'Z'),
            proptest::char::range('a', 'z'),
            proptest::char::range('0', '9'),
            prop::sample::select(vec!['-', '_', '.', '=', '+', '/', ' ', '%', '"', 'é']),
        ],
    ) {
        let keyring = keyring();
        let value = keyring.seal_at(&secret, NOW).expect("seals");
        let at = index.index(value.len());
        let mut changed = value.clone();
        changed.replace_range(at..=at, &replacement.to_string());
        match keyring.open_at::<Secret>(&changed, NOW) {
            Ok(opened) => {
                prop_assert_eq!(&changed, &value);
                prop_assert_eq!(&opened.payload, &secret);
            }
            Err(error) => prop_assert!(changed != value, "{error:?}"),
        }
    }

    /// Well-shaped forgeries: a valid encrypted header naming our key and
    /// any `C` of at least nonce and tag. They fail at the AEAD.
    #[test]
    fn encrypted_forgeries_with_our_key_id_are_bad_signature(
        sealed in prop::collection::vec(any::<u8>(), 40..300),
        version in 0u32..4,
        exp in any::<u64>(),
        age in any::<u32>(),
    ) {
        let keyring = keyring();
        let mut header = vec![2u8];
        header.extend_from_slice(&keyring.primary_key_id().to_bytes());
        header.extend_from_slice(&version.to_be_bytes());
        header.extend_from_slice(&NOW.to_be_bytes());
        header.extend_from_slice(&exp.to_be_bytes());
        header.extend_from_slice(&age.to_be_bytes());
        let forged = format!("{}.{}", URL_SAFE_NO_PAD.encode(&header), URL_SAFE_NO_PAD.encode(&sealed));
        prop_assert_eq!(peek_key_id(&forged), Some(keyring.primary_key_id()));
        prop_assert_eq!(keyring.open_at::<Secret>(&forged, NOW).err(), Some(OpenError::BadSignature));
    }

    #[test]
    fn encrypted_arbitrary_text_never_opens(text in "[A-Za-z0-9_.=-]{0,200}") {
        prop_assert!(keyring().open_at::<Secret>(&text, NOW).is_err());
    }
}
