//! `#[session(encrypted)]`: wire format 2, built and checked here from its
//! specification with the hkdf and chacha20poly1305 crates directly:
//!
//! - encryption key = HKDF-SHA256(ikm = secret, salt = "session-seal/v1",
//!   info = "session-seal/v1 enc" 0x00 ‖ len8(namespace) ‖ namespace ‖
//!   len8(cookie) ‖ cookie), 32 bytes;
//! - header `H` as for signed values, with format byte 2;
//! - value = b64url(H) "." b64url(nonce (24) ‖ ciphertext ‖ tag (16)) of
//!   XChaCha20-Poly1305, plaintext = the payload JSON, associated data =
//!   the ASCII bytes of b64url(H).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::AeadInPlace as _;
use chacha20poly1305::{KeyInit as _, XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use session_seal::{Keyring, OpenError, SealError, SessionPayload, SessionSecret};
use sha2::Sha256;

const SECRET: [u8; 32] = [0x42; 32];
const OLD_SECRET: [u8; 32] = [0x17; 32];
const STARTED: u64 = 1_750_000_000;
const NOW: u64 = STARTED + 5400;
/// A field value that must never be visible in the cookie.
const EMAIL: &str = "ada.lovelace@example.com";

#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(
    cookie = "__Host-vault",
    namespace = "vault",
    version = 3,
    max_age = "8h"
)]
#[session(absolute_max_age = "1d", encrypted)]
#[session(migrate(from = VaultV2, version = 2))]
struct Vault {
    user_id: u64,
    email: String,
    roles: Vec<String>,
}

/// Version 2 of `Vault`, before `roles`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct VaultV2 {
    user_id: u64,
    email: String,
}

impl From<VaultV2> for Vault {
    fn from(old: VaultV2) -> Self {
        Vault {
            user_id: old.user_id,
            email: old.email,
            roles: vec!["migrated".into()],
        }
    }
}

/// `Vault` signed instead of encrypted: same cookie, namespace, version and shape.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(
    cookie = "__Host-vault",
    namespace = "vault",
    version = 3,
    max_age = "8h"
)]
#[session(absolute_max_age = "1d")]
struct SignedVault {
    user_id: u64,
    email: String,
    roles: Vec<String>,
}

/// `Vault` under another cookie name.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(
    cookie = "__Host-vault2",
    namespace = "vault",
    version = 3,
    max_age = "8h"
)]
#[session(absolute_max_age = "1d", encrypted)]
struct OtherCookie {
    user_id: u64,
    email: String,
    roles: Vec<String>,
}

/// `Vault` in another namespace.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(
    cookie = "__Host-vault",
    namespace = "vaults",
    version = 3,
    max_age = "8h"
)]
#[session(absolute_max_age = "1d", encrypted)]
struct OtherNamespace {
    user_id: u64,
    email: String,
    roles: Vec<String>,
}

fn vault() -> Vault {
    Vault {
        user_id: 7,
        email: EMAIL.into(),
        roles: vec!["admin".into(), "audit".into()],
    }
}

fn secret(bytes: &[u8; 32]) -> SessionSecret {
    SessionSecret::from_bytes(bytes).expect("32 bytes")
}

fn keyring() -> Keyring {
    Keyring::new(secret(&SECRET))
}

fn hkdf(secret: &[u8], info: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    Hkdf::<Sha256>::new(Some(b"session-seal/v1"), secret)
        .expand(info, &mut out)
        .expect("32 bytes");
    out
}

fn kid(secret: &[u8]) -> [u8; 4] {
    let mut out = [0u8; 4];
    Hkdf::<Sha256>::new(Some(b"session-seal/v1"), secret)
        .expand(b"session-seal/v1 kid", &mut out)
        .expect("4 bytes");
    out
}

/// `purpose 0x00 ‖ len8(ns) ‖ ns ‖ len8(cookie) ‖ cookie`.
fn info(purpose: &[u8], namespace: &str, cookie: &str) -> Vec<u8> {
    let mut info = purpose.to_vec();
    info.push(0);
    info.push(u8::try_from(namespace.len()).expect("short"));
    info.extend_from_slice(namespace.as_bytes());
    info.push(u8::try_from(cookie.len()).expect("short"));
    info.extend_from_slice(cookie.as_bytes());
    info
}

/// The 29-byte header.
#[derive(Clone, Copy)]
struct Header {
    format: u8,
    kid: [u8; 4],
    version: u32,
    iat: u64,
    exp: u64,
    age: u32,
}

impl Header {
    fn new(version: u32, iat: u64, exp: u64, age: u32) -> Self {
        Header {
            format: 2,
            kid: kid(&SECRET),
            version,
            iat,
            exp,
            age,
        }
    }

    fn bytes(self) -> Vec<u8> {
        let mut h = vec![self.format];
        h.extend_from_slice(&self.kid);
        h.extend_from_slice(&self.version.to_be_bytes());
        h.extend_from_slice(&self.iat.to_be_bytes());
        h.extend_from_slice(&self.exp.to_be_bytes());
        h.extend_from_slice(&self.age.to_be_bytes());
        assert_eq!(h.len(), 29);
        h
    }

    fn text(self) -> String {
        URL_SAFE_NO_PAD.encode(self.bytes())
    }
}

/// A value built by hand from the specification: `header` as sent, and
/// `C` encrypted under `secret`'s key for (namespace, cookie) with
/// `associated` as associated data (the header's text, unless a test
/// wants them to disagree).
fn hand_built(
    secret: &[u8],
    (namespace, cookie): (&str, &str),
    header: &str,
    associated: &str,
    json: &[u8],
    nonce: [u8; 24],
) -> String {
    let key = hkdf(secret, &info(b"session-seal/v1 enc", namespace, cookie));
    let mut text = json.to_vec();
    let tag = XChaCha20Poly1305::new(&key.into())
        .encrypt_in_place_detached(XNonce::from_slice(&nonce), associated.as_bytes(), &mut text)
        .expect("encrypts");
    let c = [nonce.as_slice(), &text, tag.as_slice()].concat();
    format!("{header}.{}", URL_SAFE_NO_PAD.encode(c))
}

const VAULT: (&str, &str) = ("vault", "__Host-vault");

fn nonce(seed: u8) -> [u8; 24] {
    std::array::from_fn(|i| seed.wrapping_add(u8::try_from(i).expect("small")))
}

/// The bytes of `C`: nonce ‖ ciphertext ‖ tag.
fn sealed_part(value: &str) -> Vec<u8> {
    let (_, c) = value.split_once('.').expect("two parts");
    URL_SAFE_NO_PAD.decode(c).expect("base64url")
}

#[test]
fn round_trip() {
    let keyring = keyring();
    let value = keyring.reseal_at(&vault(), STARTED, NOW).expect("seals");
    assert_eq!(value.matches('.').count(), 1, "H.C: two parts");
    let header = URL_SAFE_NO_PAD
        .decode(value.split('.').next().expect("header"))
        .expect("b64");
    let json = serde_json::to_vec(&vault()).expect("json");
    assert_eq!(
        header,
        Header::new(3, NOW, NOW + 8 * 3600, 5400).bytes(),
        "the same header as a signed value, format byte 2"
    );
    assert_eq!(sealed_part(&value).len(), 24 + json.len() + 16);
    let opened = keyring.open_at::<Vault>(&value, NOW + 60).expect("opens");
    assert_eq!(opened.payload, vault());
    assert_eq!(opened.issued_at, NOW);
    assert_eq!(opened.started_at, STARTED);
    assert_eq!(opened.expires_at, NOW + 8 * 3600);
    assert_eq!(opened.version, 3);
    assert_eq!(opened.key_id, keyring.primary_key_id());
    assert!(!opened.needs_reissue());
    // The renewal point passes as for signed types.
    assert!(
        keyring
            .open_at::<Vault>(&value, NOW + 4 * 3600)
            .expect("opens")
            .needs_reissue()
    );
}

#[test]
fn hand_built_value_opens() {
    // Fixed key (derived with hkdf here), fixed nonce, the chacha20poly1305
    // crate: the format as `session_core::wire` documents it opens through the keyring.
    let json = br#"{"user_id":99,"email":"x@example.com","roles":["x"]}"#;
    let header = Header::new(3, NOW, NOW + 600, 5400).text();
    let value = hand_built(&SECRET, VAULT, &header, &header, json, nonce(1));
    let opened = keyring().open_at::<Vault>(&value, NOW + 1).expect("opens");
    assert_eq!(opened.payload.user_id, 99);
    assert_eq!(opened.payload.email, "x@example.com");
    assert_eq!(opened.payload.roles, ["x"]);
    assert_eq!(opened.issued_at, NOW);
    assert_eq!(opened.expires_at, NOW + 600);
    assert_eq!(opened.started_at, STARTED);
    assert_eq!(opened.key_id.to_bytes(), kid(&SECRET));
    // A sealed value decrypts by hand with the same key: the keyring uses
    // the specified key and associated data too.
    let sealed = keyring().reseal_at(&vault(), STARTED, NOW).expect("seals");
    let (h, _) = sealed.split_once('.').expect("dot");
    let c = sealed_part(&sealed);
    let (nonce, rest) = c.split_at(24);
    let (text, tag) = rest.split_at(rest.len() - 16);
    let mut plain = text.to_vec();
    let key = hkdf(
        &SECRET,
        &info(b"session-seal/v1 enc", "vault", "__Host-vault"),
    );
    XChaCha20Poly1305::new(&key.into())
        .decrypt_in_place_detached(
            XNonce::from_slice(nonce),
            h.as_bytes(),
            &mut plain,
            tag.into(),
        )
        .expect("decrypts by hand");
    assert_eq!(plain, serde_json::to_vec(&vault()).expect("json"));
}

#[test]
fn hand_built_older_version_migrates_and_unknown_versions_do_not_open() {
    let header = Header::new(2, NOW, NOW + 600, 0).text();
    let json = br#"{"user_id":5,"email":"old@example.com"}"#;
    let value = hand_built(&SECRET, VAULT, &header, &header, json, nonce(2));
    let opened = keyring().open_at::<Vault>(&value, NOW).expect("opens");
    assert_eq!(opened.payload.roles, ["migrated"]);
    assert!(opened.migrated && opened.needs_reissue());
    let header = Header::new(9, NOW, NOW + 600, 0).text();
    let value = hand_built(&SECRET, VAULT, &header, &header, json, nonce(3));
    assert_eq!(
        keyring().open_at::<Vault>(&value, NOW).err(),
        Some(OpenError::UnknownVersion {
            found: 9,
            current: 3
        })
    );
    // Authentic but not JSON of the type: malformed, after the tag checked out.
    let header = Header::new(3, NOW, NOW + 600, 0).text();
    let value = hand_built(&SECRET, VAULT, &header, &header, b"{not json", nonce(4));
    assert_eq!(
        keyring().open_at::<Vault>(&value, NOW).err(),
        Some(OpenError::Malformed)
    );
    // An empty plaintext is a well-formed envelope (40 bytes of C) with
    // malformed JSON.
    let value = hand_built(&SECRET, VAULT, &header, &header, b"", nonce(5));
    assert_eq!(sealed_part(&value).len(), 40);
    assert_eq!(
        keyring().open_at::<Vault>(&value, NOW).err(),
        Some(OpenError::Malformed)
    );
}

#[test]
fn expiry_and_the_absolute_cap_apply() {
    let keyring = keyring();
    let value = keyring.reseal_at(&vault(), STARTED, NOW).expect("seals");
    assert_eq!(
        keyring.open_at::<Vault>(&value, NOW + 8 * 3600).err(),
        Some(OpenError::Expired {
            expired_at: NOW + 8 * 3600
        })
    );
    // A signed `exp` past today's cap: expires at started + 1d.
    let iat = STARTED + 20 * 3600;
    let header = Header::new(3, iat, iat + 30 * 86_400, 20 * 3600).text();
    let json = serde_json::to_vec(&vault()).expect("json");
    let value = hand_built(&SECRET, VAULT, &header, &header, &json, nonce(6));
    assert!(keyring.open_at::<Vault>(&value, STARTED + 86_399).is_ok());
    assert_eq!(
        keyring.open_at::<Vault>(&value, STARTED + 86_400).err(),
        Some(OpenError::Expired {
            expired_at: STARTED + 86_400
        })
    );
    // Re-sealing past the cap is refused, as for signed types.
    assert!(matches!(
        keyring.reseal_at(&vault(), STARTED, STARTED + 86_400),
        Err(SealError::Expired { .. })
    ));
}

#[test]
fn every_single_bit_flip_is_rejected() {
    let keyring = keyring();
    // A renewed session, so the age bytes are not all zero.
    let value = keyring.reseal_at(&vault(), STARTED, NOW).expect("seals");
    let bytes = value.as_bytes();
    let mut tried = 0;
    for index in 0..bytes.len() {
        for bit in 0..8 {
            let mut flipped = bytes.to_vec();
            flipped[index] ^= 1 << bit;
            let text = String::from_utf8_lossy(&flipped);
            let error = keyring.open_at::<Vault>(&text, NOW).err();
            assert!(
                matches!(error, Some(OpenError::Malformed | OpenError::BadSignature)),
                "flip of bit {bit} in byte {index}: {error:?}"
            );
            tried += 1;
        }
    }
    assert_eq!(tried, 8 * bytes.len());
    // And every bit of C's bytes (nonce, ciphertext, tag), re-encoded
    // canonically so that each flip reaches the AEAD: all BadSignature.
    let (h, _) = value.split_once('.').expect("dot");
    let c = sealed_part(&value);
    for index in 0..c.len() {
        for bit in 0..8 {
            let mut flipped = c.clone();
            flipped[index] ^= 1 << bit;
            let text = format!("{h}.{}", URL_SAFE_NO_PAD.encode(&flipped));
            assert_eq!(
                keyring.open_at::<Vault>(&text, NOW).err(),
                Some(OpenError::BadSignature),
                "flip of bit {bit} in byte {index} of C"
            );
        }
    }
}

#[test]
fn header_tampering_is_caught_by_the_associated_data() {
    let json = serde_json::to_vec(&vault()).expect("json");
    let original = Header::new(3, NOW, NOW + 600, 60);
    let keyring = keyring().with_previous(secret(&OLD_SECRET));
    let tampered = [
        (
            "version",
            Header {
                version: 2,
                ..original
            },
        ),
        (
            "exp",
            Header {
                exp: NOW + 86_400,
                ..original
            },
        ),
        (
            "iat (started)",
            Header {
                iat: NOW + 30,
                ..original
            },
        ),
        ("age (started)", Header { age: 0, ..original }),
        (
            "kid",
            Header {
                kid: kid(&OLD_SECRET),
                ..original
            },
        ),
    ];
    for (field, header) in tampered {
        // C made for the original header, sent with a changed one.
        let value = hand_built(
            &SECRET,
            VAULT,
            &header.text(),
            &original.text(),
            &json,
            nonce(7),
        );
        assert_eq!(
            keyring.open_at::<Vault>(&value, NOW).err(),
            Some(OpenError::BadSignature),
            "{field}"
        );
        // Control: with the changed header as associated data (and the key
        // its kid names), the same value opens; so the associated data was
        // what rejected it.
        let key = if header.kid == original.kid {
            &SECRET
        } else {
            &OLD_SECRET
        };
        let honest = hand_built(key, VAULT, &header.text(), &header.text(), &json, nonce(7));
        assert!(keyring.open_at::<Vault>(&honest, NOW).is_ok(), "{field}");
    }
    // Changing the format byte is caught before the AEAD: a type opens only
    // its own format.
    let format_1 = Header {
        format: 1,
        ..original
    };
    let value = hand_built(
        &SECRET,
        VAULT,
        &format_1.text(),
        &original.text(),
        &json,
        nonce(7),
    );
    assert_eq!(
        keyring.open_at::<Vault>(&value, NOW).err(),
        Some(OpenError::Malformed)
    );
    let format_3 = Header {
        format: 3,
        ..original
    };
    let value = hand_built(
        &SECRET,
        VAULT,
        &format_3.text(),
        &format_3.text(),
        &json,
        nonce(7),
    );
    assert_eq!(
        keyring.open_at::<Vault>(&value, NOW).err(),
        Some(OpenError::Malformed)
    );
    // An unknown kid is a bad signature, with no decryption attempted.
    let unknown = Header {
        kid: [0xde, 0xad, 0xbe, 0xef],
        ..original
    };
    let value = hand_built(
        &SECRET,
        VAULT,
        &unknown.text(),
        &unknown.text(),
        &json,
        nonce(7),
    );
    assert_eq!(
        keyring.open_at::<Vault>(&value, NOW).err(),
        Some(OpenError::BadSignature)
    );
}

#[test]
fn moved_to_another_cookie_name_or_namespace_is_rejected() {
    let keyring = keyring();
    let value = keyring.reseal_at(&vault(), STARTED, NOW).expect("seals");
    assert_eq!(
        keyring.open_at::<OtherCookie>(&value, NOW).err(),
        Some(OpenError::BadSignature)
    );
    assert_eq!(
        keyring.open_at::<OtherNamespace>(&value, NOW).err(),
        Some(OpenError::BadSignature)
    );
    // Each binding decrypts under its own key only.
    let json = serde_json::to_vec(&vault()).expect("json");
    let header = Header::new(3, NOW, NOW + 600, 0).text();
    let for_other = hand_built(
        &SECRET,
        ("vault", "__Host-vault2"),
        &header,
        &header,
        &json,
        nonce(8),
    );
    assert!(keyring.open_at::<OtherCookie>(&for_other, NOW).is_ok());
    assert_eq!(
        keyring.open_at::<Vault>(&for_other, NOW).err(),
        Some(OpenError::BadSignature)
    );
    // The MAC key of the same binding is not its encryption key.
    let with_mac_key = {
        let mac_key = hkdf(
            &SECRET,
            &info(b"session-seal/v1 mac", "vault", "__Host-vault"),
        );
        let mut text = json.clone();
        let tag = XChaCha20Poly1305::new(&mac_key.into())
            .encrypt_in_place_detached(XNonce::from_slice(&nonce(9)), header.as_bytes(), &mut text)
            .expect("encrypts");
        let c = [nonce(9).as_slice(), &text, tag.as_slice()].concat();
        format!("{header}.{}", URL_SAFE_NO_PAD.encode(c))
    };
    assert_eq!(
        keyring.open_at::<Vault>(&with_mac_key, NOW).err(),
        Some(OpenError::BadSignature)
    );
}

#[test]
fn signed_and_encrypted_values_do_not_open_as_each_other() {
    let keyring = keyring();
    let encrypted = keyring.reseal_at(&vault(), STARTED, NOW).expect("seals");
    let payload = SignedVault {
        user_id: 7,
        email: EMAIL.into(),
        roles: vec![],
    };
    let signed = keyring.reseal_at(&payload, STARTED, NOW).expect("seals");
    assert_eq!(signed.matches('.').count(), 2);
    // Same cookie name, namespace, version and keys: still no confusion.
    assert_eq!(
        keyring.open_at::<SignedVault>(&encrypted, NOW).err(),
        Some(OpenError::Malformed)
    );
    assert_eq!(
        keyring.open_at::<Vault>(&signed, NOW).err(),
        Some(OpenError::Malformed)
    );
    // A downgrade attempt: a correctly MACed format-1 value (under the
    // binding's MAC key) squeezed into two parts for the encrypted type.
    let h = Header {
        format: 1,
        ..Header::new(3, NOW, NOW + 600, 0)
    }
    .text();
    let p = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&vault()).expect("json"));
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&hkdf(
        &SECRET,
        &info(b"session-seal/v1 mac", "vault", "__Host-vault"),
    ))
    .expect("any key");
    mac.update(format!("{h}.{p}").as_bytes());
    let t = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    let downgraded_signed = format!("{h}.{p}.{t}");
    assert!(
        keyring
            .open_at::<SignedVault>(&downgraded_signed, NOW)
            .is_ok()
    );
    for attempt in [
        downgraded_signed.clone(),
        format!("{h}.{p}{t}"),
        format!("{h}.{t}"),
    ] {
        assert_eq!(
            keyring.open_at::<Vault>(&attempt, NOW).err(),
            Some(OpenError::Malformed),
            "{attempt}"
        );
    }
    // And an encrypted header with a valid MAC is not a signed value.
    let h2 = Header::new(3, NOW, NOW + 600, 0).text();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&hkdf(
        &SECRET,
        &info(b"session-seal/v1 mac", "vault", "__Host-vault"),
    ))
    .expect("any key");
    mac.update(format!("{h2}.{p}").as_bytes());
    let t2 = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    assert_eq!(
        keyring
            .open_at::<SignedVault>(&format!("{h2}.{p}.{t2}"), NOW)
            .err(),
        Some(OpenError::Malformed)
    );
}

/// Every base64url decoding of `text` at each of the 4 alignments, and of
/// each `.`-separated part: what an onlooker could try.
fn decodings(text: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut pieces: Vec<&str> = text.split('.').collect();
    pieces.push(text);
    for piece in pieces {
        for skip in 0..4.min(piece.len()) {
            let mut rest: String = piece[skip..].chars().filter(|c| *c != '.').collect();
            while rest.len() % 4 == 1 {
                rest.pop();
            }
            for alphabet in [base64::alphabet::URL_SAFE, base64::alphabet::STANDARD] {
                let lenient = base64::engine::GeneralPurpose::new(
                    &alphabet,
                    base64::engine::GeneralPurposeConfig::new()
                        .with_decode_allow_trailing_bits(true)
                        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
                );
                if let Ok(bytes) = lenient.decode(&rest) {
                    out.push(bytes);
                }
            }
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[test]
fn the_payload_json_does_not_appear_in_the_cookie() {
    let keyring = keyring();
    let value = keyring.reseal_at(&vault(), STARTED, NOW).expect("seals");
    let json = serde_json::to_vec(&vault()).expect("json");
    let needles: [&[u8]; 4] = [EMAIL.as_bytes(), b"lovelace", b"\"email\"", b"audit"];
    for needle in needles {
        assert!(!contains(value.as_bytes(), needle));
    }
    let decoded = decodings(&value);
    assert!(
        decoded.len() >= 8,
        "the onlooker tried {} decodings",
        decoded.len()
    );
    for bytes in &decoded {
        for needle in needles {
            assert!(
                !contains(bytes, needle),
                "{:?} found",
                String::from_utf8_lossy(needle)
            );
        }
        assert!(!contains(bytes, &json[..16]));
    }
    // The same search finds them in a signed cookie: the search works.
    let signed = keyring
        .reseal_at(
            &SignedVault {
                user_id: 7,
                email: EMAIL.into(),
                roles: vec!["audit".into()],
            },
            STARTED,
            NOW,
        )
        .expect("seals");
    assert!(
        decodings(&signed)
            .iter()
            .any(|bytes| contains(bytes, EMAIL.as_bytes()))
    );
}

#[test]
fn rotation_opens_with_previous_keys_and_seals_with_the_primary() {
    let old = Keyring::new(secret(&OLD_SECRET));
    let by_old = old.reseal_at(&vault(), STARTED, NOW).expect("seals");
    let rotated = Keyring::new(secret(&SECRET)).with_previous(secret(&OLD_SECRET));
    let opened = rotated.open_at::<Vault>(&by_old, NOW).expect("opens");
    assert_eq!(opened.payload, vault());
    assert!(opened.previous_key && opened.needs_reissue());
    assert_eq!(opened.key_id, old.primary_key_id());
    assert_eq!(opened.started_at, STARTED);
    // Re-issued with the primary, keeping the start.
    let reissued = rotated
        .reseal_at(&opened.payload, opened.started_at, NOW + 1)
        .expect("seals");
    let header = URL_SAFE_NO_PAD
        .decode(reissued.split('.').next().expect("header"))
        .expect("b64");
    assert_eq!(&header[1..5], &kid(&SECRET));
    let reopened = rotated.open_at::<Vault>(&reissued, NOW + 1).expect("opens");
    assert!(!reopened.previous_key);
    assert_eq!(reopened.started_at, STARTED);
    // The previous key never seals.
    for _ in 0..50 {
        let value = rotated.seal_at(&vault(), NOW).expect("seals");
        assert_eq!(
            session_seal::peek_key_id(&value),
            Some(rotated.primary_key_id())
        );
    }
    // Once the old secret leaves the keyring, its values are bad signatures.
    assert_eq!(
        keyring().open_at::<Vault>(&by_old, NOW).err(),
        Some(OpenError::BadSignature)
    );
}

#[test]
fn too_large_counts_nonce_tag_and_base64() {
    let keyring = keyring();
    let mut big = vault();
    big.roles = vec!["r".repeat(3000)];
    match keyring.seal_at(&big, NOW) {
        Err(SealError::TooLarge { size, limit }) => {
            assert_eq!(limit, 4096);
            let json_len = serde_json::to_vec(&big).expect("json").len();
            // 39 header characters, a dot, base64 of nonce ‖ JSON ‖ tag.
            let value_len =
                39 + 1 + (24 + json_len + 16).div_ceil(3) * 4 - [0, 2, 1][(24 + json_len + 16) % 3];
            let attrs = Vault::SPEC.attributes_len();
            assert_eq!(size, "__Host-vault=".len() + value_len + attrs);
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    // A payload the signed format can carry may be too large encrypted.
    let mut edge = vault();
    let signed_fits = |roles: &[String]| {
        keyring
            .seal_at(
                &SignedVault {
                    user_id: 7,
                    email: EMAIL.into(),
                    roles: roles.to_vec(),
                },
                NOW,
            )
            .is_ok()
    };
    let mut n = 2800;
    while signed_fits(&["r".repeat(n + 1)]) {
        n += 1;
    }
    edge.roles = vec!["r".repeat(n)];
    assert!(signed_fits(&edge.roles));
    assert!(matches!(
        keyring.seal_at(&edge, NOW),
        Err(SealError::TooLarge { .. })
    ));
}
