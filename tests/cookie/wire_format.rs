//! The wire format, recomputed byte for byte from its specification with
//! the hmac and hkdf crates directly (not session-seal's keyring):
//!
//! - MAC key = HKDF-SHA256(ikm = secret, salt = "session-seal/v1",
//!   info = "session-seal/v1 mac" 0x00 ‖ len8(namespace) ‖ namespace ‖
//!   len8(cookie) ‖ cookie), 32 bytes; key id = the first 4 bytes of
//!   HKDF(secret, info "session-seal/v1 kid");
//! - header `H` = format (1) ‖ kid (4) ‖ version (u32) ‖ iat (u64) ‖
//!   exp (u64) ‖ age (u32), big-endian, 29 bytes;
//! - value = b64url(H) "." b64url(JSON) "." b64url(HMAC-SHA256(MAC key,
//!   the ASCII bytes of b64url(H) "." b64url(JSON))).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use session_seal::{Keyring, OpenError, SessionPayload, SessionSecret};
use sha2::Sha256;

const SECRET: [u8; 32] = [0x42; 32];
const STARTED: u64 = 1_750_000_000;
const NOW: u64 = STARTED + 5400;

#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(
    cookie = "__Host-admin",
    namespace = "admin",
    version = 3,
    max_age = "8h"
)]
#[session(absolute_max_age = "1d")]
struct Admin {
    user_id: u64,
    roles: Vec<String>,
}

/// The same type moved to another cookie name, then to another namespace.
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(
    cookie = "__Host-admin2",
    namespace = "admin",
    version = 3,
    max_age = "8h"
)]
#[session(absolute_max_age = "1d")]
struct OtherCookie {
    user_id: u64,
    roles: Vec<String>,
}
#[derive(Serialize, Deserialize, SessionPayload, Debug, Clone, PartialEq)]
#[session(
    cookie = "__Host-admin",
    namespace = "admins",
    version = 3,
    max_age = "8h"
)]
#[session(absolute_max_age = "1d")]
struct OtherNamespace {
    user_id: u64,
    roles: Vec<String>,
}

fn admin() -> Admin {
    Admin {
        user_id: 7,
        roles: vec!["admin".into(), "audit".into()],
    }
}

fn keyring() -> Keyring {
    Keyring::new(SessionSecret::from_bytes(&SECRET).expect("32 bytes"))
}

fn hkdf(info: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    Hkdf::<Sha256>::new(Some(b"session-seal/v1"), &SECRET)
        .expand(info, &mut out)
        .expect("32 bytes");
    out
}

fn kid() -> [u8; 4] {
    let mut out = [0u8; 4];
    Hkdf::<Sha256>::new(Some(b"session-seal/v1"), &SECRET)
        .expand(b"session-seal/v1 kid", &mut out)
        .expect("4 bytes");
    out
}

/// `"session-seal/v1 mac" 0x00 ‖ len8(ns) ‖ ns ‖ len8(cookie) ‖ cookie`.
fn mac_info(namespace: &str, cookie: &str) -> Vec<u8> {
    let mut info = b"session-seal/v1 mac\0".to_vec();
    info.push(u8::try_from(namespace.len()).expect("short"));
    info.extend_from_slice(namespace.as_bytes());
    info.push(u8::try_from(cookie.len()).expect("short"));
    info.extend_from_slice(cookie.as_bytes());
    info
}

fn header(format: u8, version: u32, iat: u64, exp: u64, age: u32) -> Vec<u8> {
    let mut h = vec![format];
    h.extend_from_slice(&kid());
    h.extend_from_slice(&version.to_be_bytes());
    h.extend_from_slice(&iat.to_be_bytes());
    h.extend_from_slice(&exp.to_be_bytes());
    h.extend_from_slice(&age.to_be_bytes());
    assert_eq!(h.len(), 29);
    h
}

/// A value built by hand from the specification.
fn hand_built(namespace: &str, cookie: &str, header: &[u8], json: &[u8]) -> String {
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(json)
    );
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&hkdf(&mac_info(namespace, cookie))).expect("any key");
    mac.update(signed.as_bytes());
    let tag = mac.finalize().into_bytes();
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(tag))
}

#[test]
fn sealed_value_is_the_specified_bytes() {
    // A session that started 90 minutes ago is renewed now: age 5400,
    // expiry now + 8h (before the one-day cap).
    let sealed = keyring().reseal_at(&admin(), STARTED, NOW).expect("seals");
    let json = serde_json::to_vec(&admin()).expect("json");
    let expected = hand_built(
        "admin",
        "__Host-admin",
        &header(1, 3, NOW, NOW + 8 * 3600, 5400),
        &json,
    );
    assert_eq!(sealed, expected);
    let parts: Vec<&str> = sealed.split('.').collect();
    assert_eq!([parts[0].len(), parts[2].len()], [39, 43]);
}

#[test]
fn exp_is_capped_by_the_absolute_lifetime() {
    // Renewed 20 hours in: exp = min(now + 8h, started + 1d).
    let now = STARTED + 20 * 3600;
    let sealed = keyring().reseal_at(&admin(), STARTED, now).expect("seals");
    let json = serde_json::to_vec(&admin()).expect("json");
    let expected = hand_built(
        "admin",
        "__Host-admin",
        &header(1, 3, now, STARTED + 86_400, 20 * 3600),
        &json,
    );
    assert_eq!(sealed, expected);
}

#[test]
fn hand_built_value_opens() {
    let json = br#"{"user_id":99,"roles":["x"]}"#;
    let value = hand_built(
        "admin",
        "__Host-admin",
        &header(1, 3, NOW, NOW + 600, 5400),
        json,
    );
    let opened = keyring().open_at::<Admin>(&value, NOW + 1).expect("opens");
    assert_eq!(opened.payload.user_id, 99);
    assert_eq!(opened.payload.roles, ["x"]);
    assert_eq!(opened.issued_at, NOW);
    assert_eq!(opened.expires_at, NOW + 600);
    assert_eq!(opened.started_at, STARTED);
    assert_eq!(opened.version, 3);
    assert_eq!(opened.key_id.to_bytes(), kid());
    assert!(!opened.needs_reissue());
}

#[test]
fn hand_built_value_past_the_absolute_cap_is_expired_despite_its_exp() {
    // Renewed 20 hours in with a signed exp far beyond `started + 1d` (as a
    // longer setting would have sealed it): opening applies today's cap,
    // which comes before the idle limit (iat + 8h).
    let iat = STARTED + 20 * 3600;
    let value = hand_built(
        "admin",
        "__Host-admin",
        &header(1, 3, iat, iat + 30 * 86_400, 20 * 3600),
        br#"{"user_id":1,"roles":[]}"#,
    );
    let keyring = keyring();
    let opened = keyring.open_at::<Admin>(&value, iat).expect("opens");
    assert_eq!(opened.expires_at, STARTED + 86_400);
    assert!(keyring.open_at::<Admin>(&value, STARTED + 86_399).is_ok());
    assert_eq!(
        keyring.open_at::<Admin>(&value, STARTED + 86_400).err(),
        Some(OpenError::Expired {
            expired_at: STARTED + 86_400
        })
    );
}

#[test]
fn a_mac_with_the_binding_as_prefix_is_not_the_format() {
    // The first draft MACed a binding prefix under a per-namespace key;
    // values made that way must not open.
    let h = header(1, 3, NOW, NOW + 600, 0);
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&h),
        URL_SAFE_NO_PAD.encode(br#"{"user_id":1,"roles":[]}"#)
    );
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&hkdf(b"session-seal/v1 mac admin")).expect("any key");
    mac.update(b"session-seal/v1\0\x05admin\x0c__Host-admin");
    mac.update(signed.as_bytes());
    let draft = format!(
        "{signed}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    );
    assert_eq!(
        keyring().open_at::<Admin>(&draft, NOW).err(),
        Some(OpenError::BadSignature)
    );
    // And a 25-byte draft header is malformed.
    let short = format!(
        "{}.e30.{}",
        URL_SAFE_NO_PAD.encode(&h[..25]),
        "A".repeat(43)
    );
    assert_eq!(
        keyring().open_at::<Admin>(&short, NOW).err(),
        Some(OpenError::Malformed)
    );
}

#[test]
fn moved_to_another_cookie_name_or_namespace_is_bad_signature() {
    let keyring = keyring();
    let value = keyring.reseal_at(&admin(), STARTED, NOW).expect("seals");
    assert_eq!(
        keyring.open_at::<OtherCookie>(&value, NOW).err(),
        Some(OpenError::BadSignature)
    );
    assert_eq!(
        keyring.open_at::<OtherNamespace>(&value, NOW).err(),
        Some(OpenError::BadSignature)
    );
    // Each binding verifies under its own key: a hand-built value for the
    // other cookie name opens there and only there.
    let json = serde_json::to_vec(&admin()).expect("json");
    let h = header(1, 3, NOW, NOW + 600, 0);
    let for_other = hand_built("admin", "__Host-admin2", &h, &json);
    assert!(keyring.open_at::<OtherCookie>(&for_other, NOW).is_ok());
    assert_eq!(
        keyring.open_at::<Admin>(&for_other, NOW).err(),
        Some(OpenError::BadSignature)
    );
}
