//! Adversarial tests of the envelope, through the `Keyring` of the facade.
//!
//! Each test states one security claim (SECURITY.md) and fails if the claim
//! is false: tampering (bit flips, truncation, extension, substitution),
//! non-canonical encodings (malleability), cross-type replay, header
//! tampering, key rotation, oversize input and secrets in messages.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::alphabet;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::{Deserialize, Serialize};
use session_seal::{
    KeyId, Keyring, KeyringError, OpenError, SealError, SecretError, SessionPayload, SessionSecret,
    peek_key_id,
};

/// A fixed "now" for every test (unix seconds, mid-2025).
const NOW: u64 = 1_750_000_000;

/// The 64 characters of the base64url alphabet.
const B64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// ---------------------------------------------------------------------------
// Session types
// ---------------------------------------------------------------------------

/// A realistic session: several fields, non-ASCII text, an option and a flag.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(
    cookie = "__Host-account",
    namespace = "account",
    version = 3,
    max_age = "7d"
)]
struct Account {
    user_id: u64,
    email: String,
    display_name: String,
    roles: Vec<String>,
    tenant: Option<String>,
    mfa: bool,
    csrf: String,
}

fn account(user_id: u64) -> Account {
    Account {
        user_id,
        email: format!("user{user_id}@example.com"),
        display_name: "Zoë O'Brien \"the admin\" — ünïcödé".into(),
        roles: vec!["admin".into(), "billing".into(), "audit".into()],
        tenant: Some("acme-widgets".into()),
        mfa: true,
        csrf: "b6f0c1d2e3a4958677a8b9c0d1e2f3a4".into(),
    }
}

// Four types with the same JSON shape, sealed with one secret. Admin and
// Tenant differ in both namespace and cookie name; AdminAlt shares Admin's
// namespace under another cookie name; Foreign shares Admin's cookie name
// under another namespace. AdminAlt and Foreign are not (and could not be) in
// one registry with Admin: `registry!` rejects shared names and namespaces.

#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(cookie = "admin_sid", namespace = "admin", max_age = "8h")]
struct Admin {
    user_id: u64,
    roles: Vec<String>,
}

#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(cookie = "tenant_sid", namespace = "tenant", max_age = "8h")]
struct Tenant {
    user_id: u64,
    roles: Vec<String>,
}

#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(cookie = "admin_alt", namespace = "admin", max_age = "8h")]
struct AdminAlt {
    user_id: u64,
    roles: Vec<String>,
}

#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(cookie = "admin_sid", namespace = "elsewhere", max_age = "8h")]
struct Foreign {
    user_id: u64,
    roles: Vec<String>,
}

fn admin(user_id: u64) -> Admin {
    Admin {
        user_id,
        roles: vec!["admin".into()],
    }
}

/// Version 2, with a declared migration from version 1 of the same JSON shape:
/// a header whose version is lowered to 1 would migrate cleanly if the
/// version were not signed.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(cookie = "profile", namespace = "profile", version = 2, max_age = "1d")]
#[session(migrate(from = ProfileV1, version = 1))]
struct Profile {
    user_id: u64,
    name: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct ProfileV1 {
    user_id: u64,
    name: String,
}

impl From<ProfileV1> for Profile {
    fn from(old: ProfileV1) -> Self {
        Profile {
            user_id: old.user_id,
            name: old.name,
        }
    }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn secret(byte: u8) -> SessionSecret {
    SessionSecret::from_bytes(&[byte; 32]).expect("32 bytes")
}

fn keyring() -> Keyring {
    Keyring::new(secret(1))
}

fn sealed_account() -> (Keyring, String) {
    let keyring = keyring();
    let value = keyring.seal_at(&account(4242), NOW).expect("seals");
    (keyring, value)
}

/// The three parts of a value.
fn parts(value: &str) -> (&str, &str, &str) {
    let mut it = value.split('.');
    let parts = (
        it.next().expect("header"),
        it.next().expect("payload"),
        it.next().expect("tag"),
    );
    assert!(it.next().is_none(), "exactly three parts: {value}");
    parts
}

fn join(h: &str, p: &str, t: &str) -> String {
    format!("{h}.{p}.{t}")
}

/// Asserts that opening any `variants` as `T` either fails or the variant is
/// byte-identical to `original`: no second string opens to the same session.
/// Returns how many variants differed from the original (all rejected).
fn assert_only_original_opens<T: SessionPayload + std::fmt::Debug>(
    keyring: &Keyring,
    original: &str,
    variants: impl IntoIterator<Item = String>,
) -> usize {
    assert!(
        keyring.open_at::<T>(original, NOW).is_ok(),
        "original opens"
    );
    let mut rejected = 0;
    for variant in variants {
        match keyring.open_at::<T>(&variant, NOW) {
            Ok(opened) => assert_eq!(
                variant, original,
                "a different string opened: {variant:?} -> {opened:?}"
            ),
            Err(_) => {
                assert_ne!(variant, original, "the original itself was rejected");
                rejected += 1;
            }
        }
    }
    rejected
}

/// The fixed binary header, as laid out in `session-core/src/wire/mod.rs`:
/// format (1) ‖ kid (4) ‖ version (u32) ‖ iat (u64) ‖ exp (u64) ‖ age (u32),
/// big-endian.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RawHeader {
    format: u8,
    kid: [u8; 4],
    version: u32,
    iat: u64,
    exp: u64,
    age: u32,
}

impl RawHeader {
    fn parse(value: &str) -> Self {
        let (h, _, _) = parts(value);
        let bytes = URL_SAFE_NO_PAD.decode(h).expect("header is base64url");
        assert_eq!(bytes.len(), 29, "header is 29 bytes");
        RawHeader {
            format: bytes[0],
            kid: bytes[1..5].try_into().expect("4"),
            version: u32::from_be_bytes(bytes[5..9].try_into().expect("4")),
            iat: u64::from_be_bytes(bytes[9..17].try_into().expect("8")),
            exp: u64::from_be_bytes(bytes[17..25].try_into().expect("8")),
            age: u32::from_be_bytes(bytes[25..29].try_into().expect("4")),
        }
    }

    fn encode(self) -> String {
        let mut bytes = Vec::with_capacity(29);
        bytes.push(self.format);
        bytes.extend_from_slice(&self.kid);
        bytes.extend_from_slice(&self.version.to_be_bytes());
        bytes.extend_from_slice(&self.iat.to_be_bytes());
        bytes.extend_from_slice(&self.exp.to_be_bytes());
        bytes.extend_from_slice(&self.age.to_be_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

/// Rebuilds the header of `value` after `change`, keeping payload and tag as
/// they are. Checks first that an unchanged rebuild is byte-identical, so a
/// tamper test cannot pass because the helper mangled the value.
fn with_header(value: &str, change: impl FnOnce(&mut RawHeader)) -> String {
    let (_, p, t) = parts(value);
    let mut header = RawHeader::parse(value);
    assert_eq!(join(&header.encode(), p, t), value, "faithful rebuild");
    change(&mut header);
    let tampered = join(&header.encode(), p, t);
    assert_ne!(tampered, value, "the change changed something");
    tampered
}

// ---------------------------------------------------------------------------
// Tamper matrix: bit flips, truncation, extension, substitution
// ---------------------------------------------------------------------------

#[test]
fn every_single_bit_flip_is_rejected_before_anything_is_parsed() {
    let (keyring, value) = sealed_account();
    let bytes = value.as_bytes();
    assert!(value.is_ascii() && bytes.len() > 300, "a realistic value");
    let (mut utf8, mut not_utf8) = (0usize, 0usize);
    for index in 0..bytes.len() {
        for bit in 0..8 {
            let mut flipped = bytes.to_vec();
            flipped[index] ^= 1 << bit;
            match String::from_utf8(flipped) {
                Ok(text) => {
                    utf8 += 1;
                    // The MAC is checked before expiry, version or JSON, so a
                    // flip can only be a shape error or a bad signature.
                    let error = keyring.open_at::<Account>(&text, NOW).err();
                    assert!(
                        matches!(error, Some(OpenError::Malformed | OpenError::BadSignature)),
                        "flip of bit {bit} in byte {index}: {error:?}"
                    );
                }
                Err(invalid) => {
                    // Not UTF-8: cannot reach `open` as `&str` (the layer maps
                    // such values to `Malformed`). A lossy decoding must still fail.
                    not_utf8 += 1;
                    let lossy = String::from_utf8_lossy(invalid.as_bytes()).into_owned();
                    assert!(keyring.open_at::<Account>(&lossy, NOW).is_err());
                }
            }
        }
    }
    // ASCII input: flipping bit 7 always gives a lone byte ≥ 0x80 (not UTF-8),
    // the other seven flips stay ASCII. So every flip was counted exactly once.
    assert_eq!(utf8, 7 * bytes.len());
    assert_eq!(not_utf8, bytes.len());
}

#[test]
fn every_truncation_is_rejected() {
    let (keyring, value) = sealed_account();
    for end in 0..value.len() {
        assert!(
            keyring.open_at::<Account>(&value[..end], NOW).is_err(),
            "prefix of {end} bytes accepted"
        );
    }
    for start in 1..=value.len() {
        assert!(
            keyring.open_at::<Account>(&value[start..], NOW).is_err(),
            "suffix from byte {start} accepted"
        );
    }
    // Dropping one whole character anywhere.
    for index in 0..value.len() {
        let mut shorter = value.clone();
        shorter.remove(index);
        assert!(keyring.open_at::<Account>(&shorter, NOW).is_err());
    }
}

#[test]
fn every_one_byte_extension_is_rejected() {
    let (keyring, value) = sealed_account();
    let (h, p, _) = parts(&value);
    // Ends and both sides of each part boundary ('.').
    let first_dot = h.len();
    let second_dot = h.len() + 1 + p.len();
    let positions = [
        0,
        first_dot,
        first_dot + 1,
        second_dot,
        second_dot + 1,
        value.len(),
    ];
    let extra: Vec<char> = B64URL
        .iter()
        .map(|&b| b as char)
        .chain(['.', '='])
        .collect();
    assert_eq!(extra.len(), 66);
    let mut variants = Vec::new();
    for &at in &positions {
        for &c in &extra {
            let mut longer = value.clone();
            longer.insert(at, c);
            variants.push(longer);
        }
    }
    let rejected = assert_only_original_opens::<Account>(&keyring, &value, variants);
    assert_eq!(rejected, positions.len() * extra.len());
}

#[test]
fn every_single_character_substitution_is_rejected() {
    let (keyring, value) = sealed_account();
    let replacements: Vec<char> = B64URL
        .iter()
        .map(|&b| b as char)
        .chain(['.', '=', '+', '/', ' ', '%', '"', ';', '\0', 'é'])
        .collect();
    let mut variants = Vec::new();
    for (index, original) in value.char_indices() {
        for &c in &replacements {
            if c == original {
                continue;
            }
            let mut changed = String::with_capacity(value.len() + 2);
            changed.push_str(&value[..index]);
            changed.push(c);
            changed.push_str(&value[index + 1..]);
            variants.push(changed);
        }
    }
    let total = variants.len();
    assert_eq!(
        assert_only_original_opens::<Account>(&keyring, &value, variants),
        total
    );
}

// ---------------------------------------------------------------------------
// Non-canonical base64: no malleability
// ---------------------------------------------------------------------------

/// Decodes base64url ignoring stray trailing bits (what a lax decoder would do).
const LAX: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Every other spelling of `part` that differs only in the unused low bits of
/// its last character, checked to decode to the same bytes under `LAX`.
fn trailing_bit_variants(part: &str) -> Vec<String> {
    let bytes = URL_SAFE_NO_PAD.decode(part).expect("canonical");
    let unused_bits = part.len() * 6 - bytes.len() * 8;
    let last = *part.as_bytes().last().expect("non-empty");
    let index = B64URL.iter().position(|&c| c == last).expect("alphabet");
    (1..(1usize << unused_bits))
        .map(|k| {
            let mut variant = part[..part.len() - 1].to_owned();
            variant.push(B64URL[index ^ k] as char);
            assert_eq!(LAX.decode(&variant).expect("lax"), bytes, "{variant}");
            variant
        })
        .collect()
}

#[test]
fn trailing_bit_variants_of_every_part_are_rejected() {
    let keyring = keyring();
    // Payload JSON lengths with each residue mod 3, so the payload part has
    // 4, 2 and 0 unused bits across the three values.
    let mut residues = BTreeSet::new();
    let mut per_part = [0usize; 3];
    for name_len in 0..6 {
        let profile = Profile {
            user_id: 1,
            name: "x".repeat(name_len),
        };
        let value = keyring.seal_at(&profile, NOW).expect("seals");
        let (h, p, t) = parts(&value);
        residues.insert(URL_SAFE_NO_PAD.decode(p).expect("payload").len() % 3);
        let mut variants = Vec::new();
        for v in trailing_bit_variants(h) {
            per_part[0] += 1;
            variants.push(join(&v, p, t));
        }
        for v in trailing_bit_variants(p) {
            per_part[1] += 1;
            variants.push(join(h, &v, t));
        }
        for v in trailing_bit_variants(t) {
            per_part[2] += 1;
            variants.push(join(h, p, &v));
        }
        let n = variants.len();
        assert_eq!(
            assert_only_original_opens::<Profile>(&keyring, &value, variants),
            n
        );
    }
    assert_eq!(residues.len(), 3, "all payload residues covered");
    // 29-byte header: 2 unused bits (3 variants); 32-byte tag: 2 (3 variants).
    assert_eq!(per_part[0], 6 * 3);
    assert_eq!(per_part[2], 6 * 3);
    assert!(per_part[1] > 0, "payload variants were generated");
}

#[test]
fn padding_on_any_part_is_rejected() {
    let (keyring, value) = sealed_account();
    let (h, p, t) = parts(&value);
    let mut variants = Vec::new();
    for pad in ["=", "==", "==="] {
        variants.push(join(&format!("{h}{pad}"), p, t));
        variants.push(join(h, &format!("{p}{pad}"), t));
        variants.push(join(h, p, &format!("{t}{pad}")));
    }
    // Properly padded re-encodings of each part (standard padded base64url).
    let padded = |part: &str| URL_SAFE.encode(URL_SAFE_NO_PAD.decode(part).expect("canonical"));
    for (i, repadded) in [padded(h), padded(p), padded(t)].into_iter().enumerate() {
        let mut pieces = [h.to_owned(), p.to_owned(), t.to_owned()];
        if repadded != pieces[i] {
            pieces[i] = repadded;
            variants.push(join(&pieces[0], &pieces[1], &pieces[2]));
        }
    }
    let n = variants.len();
    assert!(n >= 11, "padded header and tag re-encodings exist");
    assert_eq!(
        assert_only_original_opens::<Account>(&keyring, &value, variants),
        n
    );
}

#[test]
fn standard_alphabet_spellings_are_rejected() {
    let keyring = keyring();
    let (mut dashes, mut underscores) = (0, 0);
    for user_id in 0..16 {
        let value = keyring.seal_at(&account(user_id), NOW).expect("seals");
        let mut variants = Vec::new();
        for (index, c) in value.char_indices() {
            let standard = match c {
                '-' => '+',
                '_' => '/',
                _ => continue,
            };
            if c == '-' {
                dashes += 1;
            } else {
                underscores += 1;
            }
            let mut changed = value.clone();
            changed.replace_range(index..=index, &standard.to_string());
            variants.push(changed);
        }
        // Every part re-encoded in the standard alphabet, with and without padding.
        let (h, p, t) = parts(&value);
        for engine in [&STANDARD, &STANDARD_NO_PAD] {
            let re = |part: &str| engine.encode(URL_SAFE_NO_PAD.decode(part).expect("canonical"));
            let all = join(&re(h), &re(p), &re(t));
            if all != value {
                variants.push(all);
            }
        }
        let n = variants.len();
        assert_eq!(
            assert_only_original_opens::<Account>(&keyring, &value, variants),
            n
        );
    }
    assert!(
        dashes > 0 && underscores > 0,
        "not vacuous: {dashes} '-' and {underscores} '_' substituted"
    );
}

#[test]
fn whitespace_anywhere_is_rejected() {
    let (keyring, value) = sealed_account();
    let mut variants = Vec::new();
    for ws in [
        " ", "\t", "\n", "\r", "\r\n", "\u{0b}", "\u{0c}", "\u{a0}", "\u{2028}",
    ] {
        for (at, _) in value.char_indices().chain([(value.len(), ' ')]) {
            let mut spaced = value.clone();
            spaced.insert_str(at, ws);
            variants.push(spaced);
        }
        variants.push(format!("{ws}{value}{ws}"));
    }
    let n = variants.len();
    assert_eq!(
        assert_only_original_opens::<Account>(&keyring, &value, variants),
        n
    );
}

#[test]
fn percent_encoded_and_case_changed_spellings_are_rejected() {
    let (keyring, value) = sealed_account();
    let mut variants = vec![
        value.replace('.', "%2E"),
        value.replace('.', "%2e"),
        value.to_ascii_uppercase(),
        value.to_ascii_lowercase(),
        format!("\"{value}\""),
        format!("{value};"),
        format!("{value}\0"),
    ];
    for (index, c) in value.char_indices() {
        let mut encoded = value.clone();
        encoded.replace_range(index..=index, &format!("%{:02X}", c as u32));
        variants.push(encoded);
    }
    variants.retain(|v| v != &value);
    let n = variants.len();
    assert_eq!(
        assert_only_original_opens::<Account>(&keyring, &value, variants),
        n
    );
}

// ---------------------------------------------------------------------------
// Cross-type replay
// ---------------------------------------------------------------------------

type Sealer = fn(&Keyring) -> String;
type Opener = fn(&Keyring, &str) -> Result<u64, OpenError>;

/// The four same-shaped types: name, sealer, opener (returning `user_id`).
fn four_types() -> [(&'static str, Sealer, Opener); 4] {
    macro_rules! kind {
        ($t:ident) => {
            (
                stringify!($t),
                (|k: &Keyring| {
                    k.seal_at(
                        &$t {
                            user_id: 7,
                            roles: vec!["admin".into()],
                        },
                        NOW,
                    )
                    .expect("seals")
                }) as Sealer,
                (|k: &Keyring, v: &str| k.open_at::<$t>(v, NOW).map(|o| o.payload.user_id))
                    as Opener,
            )
        };
    }
    [kind!(Admin), kind!(Tenant), kind!(AdminAlt), kind!(Foreign)]
}

/// Covers, among the twelve pairs, a type sharing the namespace under
/// another cookie name (Admin and AdminAlt) and one sharing the cookie name
/// under another namespace (Admin and Foreign, as two apps on one secret).
#[test]
fn cross_type_every_ordered_pair_is_bad_signature() {
    let keyring = keyring();
    let types = four_types();
    let mut pairs = 0;
    for (a_name, seal_a, open_a) in types {
        let value = seal_a(&keyring);
        assert_eq!(open_a(&keyring, &value), Ok(7), "{a_name} opens as itself");
        for (b_name, _, open_b) in types {
            if a_name == b_name {
                continue;
            }
            assert_eq!(
                open_b(&keyring, &value),
                Err(OpenError::BadSignature),
                "sealed as {a_name}, opened as {b_name}"
            );
            pairs += 1;
        }
    }
    assert_eq!(pairs, 12);
}

#[test]
fn cross_type_values_differ_only_in_the_tag() {
    // Same JSON, same version, same lifetime, same key id: header and payload
    // parts are identical, so only the MAC binding tells the types apart.
    let keyring = keyring();
    let values: Vec<String> = four_types()
        .iter()
        .map(|(_, seal, _)| seal(&keyring))
        .collect();
    let first = parts(&values[0]);
    let mut tags = BTreeSet::new();
    for value in &values {
        let (h, p, t) = parts(value);
        assert_eq!((h, p), (first.0, first.1));
        tags.insert(t.to_owned());
    }
    assert_eq!(tags.len(), 4, "four distinct tags");
}

#[test]
fn cross_type_replay_is_bad_signature_under_a_previous_key_too() {
    let old = Keyring::new(secret(1));
    let rotated = Keyring::new(secret(2)).with_previous(secret(1));
    for (a_name, seal_a, _) in four_types() {
        let value = seal_a(&old);
        for (b_name, _, open_b) in four_types() {
            let result = open_b(&rotated, &value);
            if a_name == b_name {
                assert_eq!(result, Ok(7));
            } else {
                assert_eq!(result, Err(OpenError::BadSignature), "{a_name} as {b_name}");
            }
        }
    }
}

#[test]
fn spliced_parts_of_two_valid_values_are_rejected() {
    let keyring = keyring();
    let alice = keyring.seal_at(&account(1), NOW).expect("seals");
    let mallory = keyring.seal_at(&account(2), NOW + 60).expect("seals");
    let (ha, pa, ta) = parts(&alice);
    let (hm, pm, tm) = parts(&mallory);
    for spliced in [
        join(ha, pm, ta),
        join(ha, pm, tm),
        join(hm, pa, ta),
        join(hm, pa, tm),
        join(ha, pa, tm),
        join(hm, pm, ta),
    ] {
        assert_eq!(
            keyring.open_at::<Account>(&spliced, NOW + 60).err(),
            Some(OpenError::BadSignature),
            "{spliced}"
        );
    }
}

// ---------------------------------------------------------------------------
// Header tampering
// ---------------------------------------------------------------------------

#[test]
fn exp_extension_is_bad_signature() {
    let keyring = keyring();
    let value = keyring.seal_at(&admin(1), NOW).expect("seals");
    let exp = RawHeader::parse(&value).exp;
    assert_eq!(exp, NOW + 8 * 3600);
    for new_exp in [exp + 1, exp + 86_400, exp + 365 * 86_400, u64::MAX] {
        let tampered = with_header(&value, |h| h.exp = new_exp);
        assert_eq!(
            keyring.open_at::<Admin>(&tampered, NOW).err(),
            Some(OpenError::BadSignature)
        );
    }
    // The attack that matters: revive an expired cookie. The MAC is checked
    // first, so the answer is BadSignature, not Expired and not a session.
    let later = exp + 10;
    assert_eq!(
        keyring.open_at::<Admin>(&value, later).err(),
        Some(OpenError::Expired { expired_at: exp })
    );
    let revived = with_header(&value, |h| h.exp = later + 3600);
    assert_eq!(
        keyring.open_at::<Admin>(&revived, later).err(),
        Some(OpenError::BadSignature)
    );
    // Moving both iat and exp forward together is no better.
    let shifted = with_header(&value, |h| {
        h.iat = later;
        h.exp = later + 8 * 3600;
    });
    assert_eq!(
        keyring.open_at::<Admin>(&shifted, later).err(),
        Some(OpenError::BadSignature)
    );
}

#[test]
fn iat_moved_is_bad_signature() {
    let keyring = keyring();
    let value = keyring.seal_at(&admin(1), NOW).expect("seals");
    for new_iat in [0, NOW - 1, NOW + 1, NOW + 4 * 3600, u64::MAX] {
        let tampered = with_header(&value, |h| h.iat = new_iat);
        assert_eq!(
            keyring.open_at::<Admin>(&tampered, NOW + 2).err(),
            Some(OpenError::BadSignature),
            "iat {new_iat}"
        );
    }
}

/// Eight hours idle, one day absolute.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(
    cookie = "capped",
    namespace = "capped",
    max_age = "8h",
    absolute_max_age = "1d"
)]
struct Capped {
    user_id: u64,
}

#[test]
fn age_rewritten_to_extend_the_absolute_lifetime_is_bad_signature() {
    let keyring = keyring();
    // Started at NOW, renewed 20 hours later: age is 20 hours, and the value
    // expires at the absolute cap (NOW + 1 day), not 8 hours after renewal.
    let renewed_at = NOW + 20 * 3600;
    let value = keyring
        .reseal_at(&Capped { user_id: 1 }, NOW, renewed_at)
        .expect("seals");
    let header = RawHeader::parse(&value);
    assert_eq!(header.age, 20 * 3600);
    assert_eq!(header.exp, NOW + 86_400);
    let opened = keyring
        .open_at::<Capped>(&value, renewed_at)
        .expect("opens");
    assert_eq!(opened.started_at, NOW);
    // Claiming the session started later (smaller age) would move the cap.
    for age in [0, 1, 20 * 3600 - 1, 20 * 3600 + 1, u32::MAX] {
        let tampered = with_header(&value, |h| h.age = age);
        assert_eq!(
            keyring.open_at::<Capped>(&tampered, renewed_at).err(),
            Some(OpenError::BadSignature),
            "age {age}"
        );
    }
}

#[test]
fn version_downgrade_is_bad_signature_not_a_migration() {
    let keyring = keyring();
    let profile = Profile {
        user_id: 3,
        name: "Ada".into(),
    };
    let value = keyring.seal_at(&profile, NOW).expect("seals");
    assert_eq!(RawHeader::parse(&value).version, 2);
    // Sanity: a genuine version-1 cookie of this shape does migrate.
    #[derive(Serialize, Deserialize, SessionPayload)]
    #[session(cookie = "profile", namespace = "profile", version = 1, max_age = "1d")]
    struct ProfileV1Writer {
        user_id: u64,
        name: String,
    }
    let genuine_v1 = keyring
        .seal_at(
            &ProfileV1Writer {
                user_id: 3,
                name: "Ada".into(),
            },
            NOW,
        )
        .expect("seals");
    let opened = keyring
        .open_at::<Profile>(&genuine_v1, NOW)
        .expect("migrates");
    assert!(opened.migrated);
    assert_eq!(opened.payload, profile);
    // The same header relabelled to version 1 (or 0) is a forgery.
    for version in [1, 0] {
        let tampered = with_header(&value, |h| h.version = version);
        assert_eq!(
            keyring.open_at::<Profile>(&tampered, NOW).err(),
            Some(OpenError::BadSignature),
            "version {version}"
        );
    }
}

#[test]
fn version_upgrade_is_bad_signature_not_unknown_version() {
    let keyring = keyring();
    let value = keyring
        .seal_at(
            &Profile {
                user_id: 3,
                name: "Ada".into(),
            },
            NOW,
        )
        .expect("seals");
    for version in [3, 4, u32::MAX] {
        let tampered = with_header(&value, |h| h.version = version);
        assert_eq!(
            keyring.open_at::<Profile>(&tampered, NOW).err(),
            Some(OpenError::BadSignature),
            "version {version}"
        );
    }
}

#[test]
fn kid_relabelled_to_a_previous_key_is_bad_signature() {
    let rotated = Keyring::new(secret(2)).with_previous(secret(1));
    let previous = rotated.previous_key_ids()[0];
    let by_primary = rotated.seal_at(&admin(1), NOW).expect("seals");
    let tampered = with_header(&by_primary, |h| h.kid = previous.to_bytes());
    assert_eq!(peek_key_id(&tampered), Some(previous));
    assert_eq!(
        rotated.open_at::<Admin>(&tampered, NOW).err(),
        Some(OpenError::BadSignature)
    );
}

#[test]
fn kid_relabelled_to_the_primary_is_bad_signature() {
    let rotated = Keyring::new(secret(2)).with_previous(secret(1));
    let primary = rotated.primary_key_id();
    // Sealed by the previous key (still accepted as such)...
    let by_previous = Keyring::new(secret(1))
        .seal_at(&admin(1), NOW)
        .expect("seals");
    assert!(rotated.open_at::<Admin>(&by_previous, NOW).is_ok());
    // ...relabelled as the primary's, to dodge re-issue: rejected.
    let tampered = with_header(&by_previous, |h| h.kid = primary.to_bytes());
    assert_eq!(
        rotated.open_at::<Admin>(&tampered, NOW).err(),
        Some(OpenError::BadSignature)
    );
    // A value from a secret the keyring has never seen, relabelled likewise.
    let foreign = Keyring::new(secret(9))
        .seal_at(&admin(1), NOW)
        .expect("seals");
    let tampered = with_header(&foreign, |h| h.kid = primary.to_bytes());
    assert_eq!(
        rotated.open_at::<Admin>(&tampered, NOW).err(),
        Some(OpenError::BadSignature)
    );
}

#[test]
fn unknown_kid_is_bad_signature() {
    let keyring = keyring();
    let value = keyring.seal_at(&admin(1), NOW).expect("seals");
    for kid in [[0; 4], [0xff; 4], [1, 2, 3, 4]] {
        let tampered = with_header(&value, |h| h.kid = kid);
        assert_eq!(
            keyring.open_at::<Admin>(&tampered, NOW).err(),
            Some(OpenError::BadSignature)
        );
    }
}

#[test]
fn format_byte_change_is_malformed() {
    let keyring = keyring();
    let value = keyring.seal_at(&admin(1), NOW).expect("seals");
    assert_eq!(RawHeader::parse(&value).format, 1);
    for format in [0u8, 2, 3, 0x7f, 0x80, 0xff] {
        let tampered = with_header(&value, |h| h.format = format);
        assert_eq!(
            keyring.open_at::<Admin>(&tampered, NOW).err(),
            Some(OpenError::Malformed),
            "format {format}"
        );
        assert_eq!(peek_key_id(&tampered), None);
    }
}

// ---------------------------------------------------------------------------
// Rotation
// ---------------------------------------------------------------------------

#[test]
fn previous_key_opens_and_is_flagged_for_reissue() {
    let old = Keyring::new(secret(1));
    let value = old.seal_at(&account(5), NOW).expect("seals");
    let rotated = Keyring::new(secret(2)).with_previous(secret(1));
    let opened = rotated.open_at::<Account>(&value, NOW + 1).expect("opens");
    assert_eq!(opened.payload, account(5));
    assert!(opened.previous_key);
    assert!(opened.needs_reissue());
    assert_eq!(opened.key_id, old.primary_key_id());
    assert_ne!(opened.key_id, rotated.primary_key_id());
    // The same value under the old keyring, where that key is primary: clean.
    let fresh = old.open_at::<Account>(&value, NOW + 1).expect("opens");
    assert!(!fresh.previous_key && !fresh.needs_reissue());
    // Re-issued under the rotated keyring: primary kid, no longer flagged.
    let reissued = rotated.seal_at(&opened.payload, NOW + 1).expect("seals");
    let reopened = rotated
        .open_at::<Account>(&reissued, NOW + 2)
        .expect("opens");
    assert!(!reopened.previous_key && !reopened.needs_reissue());
    assert_eq!(reopened.key_id, rotated.primary_key_id());
}

#[test]
fn retired_key_is_bad_signature() {
    let old = Keyring::new(secret(1));
    let value = old.seal_at(&account(5), NOW).expect("seals");
    // The previous key has left the ring (second rotation).
    let retired = Keyring::new(secret(3)).with_previous(secret(2));
    assert!(!retired.previous_key_ids().contains(&old.primary_key_id()));
    assert_eq!(
        retired.open_at::<Account>(&value, NOW).err(),
        Some(OpenError::BadSignature)
    );
    assert_eq!(
        Keyring::new(secret(2))
            .open_at::<Account>(&value, NOW)
            .err(),
        Some(OpenError::BadSignature)
    );
}

#[test]
fn only_the_primary_ever_seals() {
    let rotated = Keyring::new(secret(3))
        .with_previous(secret(2))
        .with_previous(secret(1));
    let primary = rotated.primary_key_id();
    let previous = rotated.previous_key_ids();
    assert_eq!(previous.len(), 2);
    assert!(!previous.contains(&primary));
    let primary_only = Keyring::new(secret(3));
    let previous_only = Keyring::new(secret(2)).with_previous(secret(1));
    let mut kids = BTreeSet::new();
    for i in 0..200u64 {
        let values = [
            rotated.seal_at(&account(i), NOW + i).expect("seals"),
            rotated.seal_at(&admin(i), NOW + i).expect("seals"),
            rotated
                .seal_at(
                    &Profile {
                        user_id: i,
                        name: "n".repeat(usize::try_from(i % 40).expect("small")),
                    },
                    NOW + i,
                )
                .expect("seals"),
        ];
        for value in &values {
            let kid = peek_key_id(value).expect("well-formed");
            assert_eq!(kid, primary);
            kids.insert(kid.to_string());
        }
        assert!(primary_only.open_at::<Account>(&values[0], NOW + i).is_ok());
        assert_eq!(
            previous_only.open_at::<Account>(&values[0], NOW + i).err(),
            Some(OpenError::BadSignature)
        );
    }
    assert_eq!(kids.len(), 1);
}

#[test]
fn rotation_from_the_environment() {
    let b64 = |s: SessionSecret| s.to_base64().to_string();
    let env = [
        ("SESSION_SEAL_SECRET", b64(secret(3))),
        (
            "SESSION_SEAL_PREVIOUS_SECRETS",
            format!(" {} ,, {}", b64(secret(2)), b64(secret(1))),
        ),
    ];
    let keyring = Keyring::from_lookup(|name| {
        env.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| OsString::from(v))
    })
    .expect("valid env");
    assert_eq!(
        keyring.primary_key_id(),
        Keyring::new(secret(3)).primary_key_id()
    );
    assert_eq!(
        keyring.previous_key_ids(),
        vec![
            Keyring::new(secret(2)).primary_key_id(),
            Keyring::new(secret(1)).primary_key_id()
        ]
    );
    for byte in [1, 2] {
        let value = Keyring::new(secret(byte))
            .seal_at(&admin(1), NOW)
            .expect("seals");
        let opened = keyring.open_at::<Admin>(&value, NOW).expect("opens");
        assert!(opened.previous_key && opened.needs_reissue());
    }
    let unlisted = Keyring::new(secret(4))
        .seal_at(&admin(1), NOW)
        .expect("seals");
    assert_eq!(
        keyring.open_at::<Admin>(&unlisted, NOW).err(),
        Some(OpenError::BadSignature)
    );
    let own = keyring.seal_at(&admin(1), NOW).expect("seals");
    assert_eq!(peek_key_id(&own), Some(keyring.primary_key_id()));
}

#[test]
fn primary_listed_as_previous_is_not_a_second_key() {
    let keyring = Keyring::new(secret(1)).with_previous(secret(1));
    assert!(keyring.previous_key_ids().is_empty());
    let value = keyring.seal_at(&admin(1), NOW).expect("seals");
    let opened = keyring.open_at::<Admin>(&value, NOW).expect("opens");
    assert!(!opened.previous_key, "its own cookies are not re-issued");
}

// ---------------------------------------------------------------------------
// Oversize input
// ---------------------------------------------------------------------------

#[test]
fn oversize_values_are_too_large() {
    let keyring = keyring();
    let valid = keyring.seal_at(&admin(1), NOW).expect("seals");
    for size in [4097, 64 * 1024, 1024 * 1024] {
        let junk = "A".repeat(size);
        // A valid value padded with dots or payload characters: still refused
        // by size, before it is split or its MAC computed.
        let mut padded = valid.clone();
        padded.push_str(&".".repeat(size - valid.len()));
        let (h, p, t) = parts(&valid);
        let long_payload = join(h, &format!("{p}{}", "A".repeat(size - valid.len())), t);
        for value in [junk, padded, long_payload] {
            assert_eq!(value.len(), size);
            assert_eq!(
                keyring.open_at::<Admin>(&value, NOW).err(),
                Some(OpenError::TooLarge { size, limit: 4096 })
            );
            assert_eq!(peek_key_id(&value), None);
        }
    }
}

#[test]
fn size_limit_counts_bytes_and_has_an_exact_boundary() {
    let keyring = keyring();
    assert_eq!(
        keyring.open_at::<Admin>(&"A".repeat(4096), NOW).err(),
        Some(OpenError::Malformed),
        "4096 bytes is within the limit"
    );
    // 1366 three-byte characters: 1366 chars but 4098 bytes.
    let wide = "€".repeat(1366);
    assert_eq!(
        keyring.open_at::<Admin>(&wide, NOW).err(),
        Some(OpenError::TooLarge {
            size: 4098,
            limit: 4096
        })
    );
}

#[test]
fn oversize_rejection_is_quick() {
    let keyring = keyring();
    let mib = "A".repeat(1024 * 1024);
    let mut dotted = "A.".repeat(512 * 1024);
    dotted.truncate(1024 * 1024);
    let start = Instant::now();
    for _ in 0..1000 {
        for value in [&mib, &dotted] {
            assert!(matches!(
                keyring.open_at::<Admin>(value, NOW),
                Err(OpenError::TooLarge { .. })
            ));
        }
    }
    let elapsed = start.elapsed();
    // 2000 rejections of 1 MiB: reading the input even once would take
    // seconds in a debug build; a length check takes microseconds.
    assert!(
        elapsed < Duration::from_millis(500),
        "2000 opens of 1 MiB took {elapsed:?}"
    );
}

#[test]
fn seal_refuses_payloads_browsers_would_drop() {
    let keyring = keyring();
    let mut big = admin(1);
    big.roles = vec!["secret-role-name".repeat(300)];
    match keyring.seal_at(&big, NOW) {
        Err(error @ SealError::TooLarge { size, limit }) => {
            assert!(size > limit);
            assert_eq!(limit, 4096);
            let shown = format!("{error} {error:?}");
            assert!(!shown.contains("secret-role-name"), "{shown}");
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    // Just under: a value that seals also opens.
    let mut fits = admin(1);
    fits.roles = vec!["r".repeat(2800)];
    let value = keyring.seal_at(&fits, NOW).expect("fits");
    assert!(value.len() <= 4096);
    assert_eq!(
        keyring
            .open_at::<Admin>(&value, NOW)
            .expect("opens")
            .payload,
        fits
    );
}

// ---------------------------------------------------------------------------
// Secrets and cookie values never shown
// ---------------------------------------------------------------------------

/// A secret with distinctive bytes, and every way it could be printed.
struct Marked {
    secret: SessionSecret,
    spellings: Vec<String>,
}

fn marked() -> Marked {
    let bytes: Vec<u8> = (0u8..40)
        .map(|i| i.wrapping_mul(37).wrapping_add(11))
        .collect();
    let hex_lower: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let spellings = vec![
        URL_SAFE_NO_PAD.encode(&bytes),
        STANDARD.encode(&bytes),
        hex_lower.to_uppercase(),
        hex_lower,
        format!("{bytes:?}"),
    ];
    Marked {
        secret: SessionSecret::from_bytes(&bytes).expect("40 bytes"),
        spellings,
    }
}

impl Marked {
    fn b64(&self) -> String {
        self.secret.to_base64().to_string()
    }

    /// Fails if `shown` contains the secret, or any 12-character window of
    /// one of its spellings.
    fn assert_absent(&self, shown: &str) {
        for spelling in &self.spellings {
            let chars: Vec<char> = spelling.chars().collect();
            for window in chars.windows(12) {
                let window: String = window.iter().collect();
                assert!(
                    !shown.contains(&window),
                    "secret fragment {window:?} in {shown:?}"
                );
            }
        }
    }
}

/// Display, Debug and alternate Debug of an error and its whole source chain.
fn all_renderings(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = format!("{error} | {error:?} | {error:#?}");
    let mut source = error.source();
    while let Some(inner) = source {
        out.push_str(&format!(" | {inner} | {inner:?}"));
        source = inner.source();
    }
    out
}

#[test]
fn secret_debug_and_display_are_redacted() {
    let m = marked();
    assert_eq!(m.b64(), m.spellings[0], "the spelling we look for is real");
    for shown in [
        format!("{:?}", m.secret),
        format!("{:#?}", m.secret),
        format!("{}", m.secret),
        format!("{:?}", Some(m.secret.clone())),
    ] {
        assert!(shown.contains("<redacted>"), "{shown}");
        m.assert_absent(&shown);
    }
}

#[test]
fn keyring_debug_shows_key_ids_not_secrets() {
    let m = marked();
    let other = marked();
    let keyring = Keyring::new(m.secret.clone())
        .with_previous(secret(7))
        .with_previous(other.secret.clone());
    for shown in [format!("{keyring:?}"), format!("{keyring:#?}")] {
        assert!(
            shown.contains(&keyring.primary_key_id().to_string()),
            "{shown}"
        );
        m.assert_absent(&shown);
        assert!(!shown.contains(&secret(7).to_base64().to_string()));
        assert!(!shown.contains("0707070707"), "{shown}");
    }
}

#[test]
fn keyring_errors_never_show_secrets() {
    let m = marked();
    let good = m.b64();
    let almost = format!("{good}!"); // not base64
    let short = good[..32].to_owned(); // base64 of 24 bytes
    let lookup = |secret: Option<&str>, previous: Option<&str>, env: Option<&str>| {
        let (secret, previous, env) = (
            secret.map(OsString::from),
            previous.map(OsString::from),
            env.map(OsString::from),
        );
        Keyring::from_lookup(move |name| match name {
            "SESSION_SEAL_SECRET" => secret.clone(),
            "SESSION_SEAL_PREVIOUS_SECRETS" => previous.clone(),
            "SESSION_SEAL_ENV" => env.clone(),
            _ => None,
        })
    };
    let cases: Vec<(Result<Keyring, KeyringError>, KeyringError)> = vec![
        (
            lookup(None, Some(&good), None),
            KeyringError::MissingInProduction,
        ),
        (
            lookup(Some(&almost), None, None),
            KeyringError::Primary(SecretError::NotBase64),
        ),
        (
            lookup(Some(&short), None, Some("development")),
            KeyringError::Primary(SecretError::TooShort { len: 24, min: 32 }),
        ),
        (
            lookup(Some(&good), Some(&format!("{good},{almost}")), None),
            KeyringError::Previous {
                position: 2,
                source: SecretError::NotBase64,
            },
        ),
        (
            lookup(Some(&good), Some(&format!("{good}, ,{short}")), None),
            KeyringError::Previous {
                position: 3,
                source: SecretError::TooShort { len: 24, min: 32 },
            },
        ),
    ];
    for (result, expected) in cases {
        let error = result.expect_err("invalid configuration");
        assert_eq!(error, expected);
        let shown = all_renderings(&error);
        m.assert_absent(&shown);
        assert!(
            !shown.contains(&almost) && !shown.contains(&short),
            "{shown}"
        );
    }
}

#[test]
fn secret_errors_never_show_secrets() {
    let m = marked();
    let good = m.b64();
    let bytes = URL_SAFE_NO_PAD.decode(&good).expect("b64");
    let errors = [
        SessionSecret::from_base64(&format!("{good}*")).expect_err("not base64"),
        SessionSecret::from_base64(&good[..40]).expect_err("30 bytes"),
        SessionSecret::from_bytes(&bytes[..31]).expect_err("31 bytes"),
        SessionSecret::from_vec(bytes[..16].to_vec()).expect_err("16 bytes"),
        SessionSecret::from_lookup(|_| Some(OsString::from(format!("{good}%"))))
            .expect_err("not base64"),
    ];
    assert_eq!(errors[1], SecretError::TooShort { len: 30, min: 32 });
    for error in &errors {
        m.assert_absent(&all_renderings(error));
    }
}

#[test]
fn open_errors_never_show_the_cookie_value() {
    let (keyring, value) = sealed_account();
    let (h, p, t) = parts(&value);
    let mut other_tag = t.to_owned();
    other_tag.replace_range(0..1, if t.starts_with('A') { "B" } else { "A" });
    let inputs = [
        value[..value.len() - 1].to_owned(),
        format!("{value}A"),
        join(h, p, &other_tag),
        with_header(&value, |x| x.exp += 1),
        with_header(&value, |x| x.format = 9),
        "A".repeat(5000),
    ];
    let expired = keyring
        .seal_at(&account(1), NOW - 8 * 86_400)
        .expect("seals");
    let mut errors: Vec<(String, OpenError)> = inputs
        .iter()
        .map(|v| {
            (
                v.clone(),
                keyring.open_at::<Account>(v, NOW).expect_err("rejected"),
            )
        })
        .collect();
    errors.push((
        expired.clone(),
        keyring
            .open_at::<Account>(&expired, NOW)
            .expect_err("expired"),
    ));
    let labels: BTreeSet<&str> = errors.iter().map(|(_, e)| e.label()).collect();
    assert!(labels.len() >= 4, "several kinds: {labels:?}");
    for (input, error) in errors {
        let shown = all_renderings(&error);
        for part in input.split('.').filter(|part| part.len() >= 8) {
            assert!(!shown.contains(part), "{shown}");
        }
        for secret_part in [p, "4242", "example.com"] {
            assert!(!shown.contains(secret_part), "{shown}");
        }
    }
}

#[test]
fn opened_key_id_is_public_and_not_the_secret() {
    let m = marked();
    let keyring = Keyring::new(m.secret.clone());
    let value = keyring.seal_at(&admin(1), NOW).expect("seals");
    let kid: KeyId = peek_key_id(&value).expect("kid");
    m.assert_absent(&format!("{kid} {kid:?}"));
    m.assert_absent(&value);
    assert_eq!(kid.to_bytes().len(), 4);
}
