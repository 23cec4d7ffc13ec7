//! The known-answer vectors of `wire/vectors.txt`: sealing reproduces each
//! value byte for byte, and each value opens to its payload. Format 3's are
//! also recomputed here from the construction alone, with `hkdf`, `sha2`
//! and `ed25519-dalek` directly.

use super::*;
use crate::store::{SessionId, StoreKey};

/// One record of the vectors file: its fields in order.
type Fields = Vec<(String, String)>;

/// The records of the vectors file.
fn records() -> Vec<Fields> {
    include_str!("wire/vectors.txt")
        .split("\n\n")
        .map(|block| {
            block
                .lines()
                .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
                .map(|line| {
                    let (name, value) = line.split_once(" =").expect("`name = value`");
                    (name.to_owned(), value.trim_start().to_owned())
                })
                .collect::<Fields>()
        })
        .filter(|fields| !fields.is_empty())
        .collect()
}

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .find(|(field, _)| field == name)
        .map(|(_, value)| value.as_str())
        .unwrap_or_else(|| panic!("no `{name}` in {fields:?}"))
}

fn number(fields: &Fields, name: &str) -> u64 {
    field(fields, name).parse().expect("a number")
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).expect("hex"))
        .collect()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn keyring(fields: &Fields) -> Keyring {
    Keyring::new(SessionSecret::from_bytes(&hex(field(fields, "secret"))).expect("secret"))
}

/// The spec a vector describes (its strings leaked: specs hold `'static`).
fn spec(fields: &Fields, kind: &str) -> SessionSpec {
    let leak = |name: &str| -> &'static str { Box::leak(field(fields, name).into()) };
    let mut builder = SessionSpec::builder("Vector", leak("cookie"), leak("namespace"))
        .version(u32::try_from(number(fields, "version")).expect("u32"))
        .max_age_secs(number(fields, "max_age"));
    let absolute = number(fields, "absolute_max_age");
    if absolute > 0 {
        builder = builder.absolute_max_age_secs(absolute);
    }
    match kind {
        "encrypted" => builder = builder.encrypted(),
        "asymmetric" => builder = builder.asymmetric(),
        _ => {}
    }
    builder.build()
}

/// Whether a record is a sealed value (of any format).
fn is_value(kind: &str) -> bool {
    matches!(kind, "signed" | "encrypted" | "asymmetric")
}

/// What each record's expected fields should read, computed from its inputs.
fn computed(fields: &Fields) -> Vec<(&'static str, String)> {
    match field(fields, "kind") {
        "kid" => vec![("kid", keyring(fields).primary_key_id().to_string())],
        kind @ ("signed" | "encrypted" | "asymmetric") => {
            let spec = spec(fields, kind);
            let mut json = field(fields, "payload").as_bytes().to_vec();
            json.reserve(wire::MIN_SEALED_LEN);
            let len = json.len();
            let nonce: [u8; NONCE_LEN] = match kind {
                "encrypted" => hex(field(fields, "nonce")).try_into().expect("24 bytes"),
                _ => [0; NONCE_LEN],
            };
            let value = keyring(fields)
                .seal_json_with_nonce(
                    &spec,
                    &mut json,
                    len,
                    number(fields, "started"),
                    number(fields, "now"),
                    || nonce,
                )
                .expect("seals");
            if kind == "asymmetric" {
                let public = keyring(fields).public_key();
                return vec![
                    ("public_key", public.to_base64()),
                    ("kid", public.key_id().to_string()),
                    ("value", value),
                ];
            }
            vec![("value", value)]
        }
        "store_key" => {
            let id: [u8; 24] = hex(field(fields, "id")).try_into().expect("24 bytes");
            let key = StoreKey::derive(field(fields, "namespace"), &SessionId::from_bytes(id));
            vec![("key", key.to_hex())]
        }
        "user_route" => {
            let route = StoreKey::user_route(field(fields, "namespace"), field(fields, "user"));
            vec![("route", to_hex(&route.to_be_bytes()))]
        }
        other => panic!("unknown kind {other}"),
    }
}

#[test]
fn sealing_reproduces_every_vector() {
    let mut missing = String::new();
    for fields in records() {
        for (name, value) in computed(&fields) {
            let expected = field(&fields, name);
            if expected.is_empty() {
                missing.push_str(&format!("{fields:?}\n{name} = {value}\n\n"));
            } else {
                assert_eq!(value, expected, "{name} of {fields:?}");
            }
        }
    }
    assert!(
        missing.is_empty(),
        "vectors without an expected value:\n{missing}"
    );
}

#[test]
fn every_vector_value_opens_to_its_payload() {
    for fields in records() {
        let kind = field(&fields, "kind");
        if !is_value(kind) {
            continue;
        }
        let spec = spec(&fields, kind);
        let now = number(&fields, "now");
        let (json, verified) = keyring(&fields)
            .open_with(&spec, field(&fields, "value").as_bytes(), now, |_, json| {
                Ok(json.to_vec())
            })
            .expect("opens");
        assert_eq!(json, field(&fields, "payload").as_bytes(), "{fields:?}");
        assert_eq!(verified.header.started(), number(&fields, "started"));
    }
}

/// Every format 3 vector, recomputed from the construction of DESIGN §12
/// without the crate's own helpers: the seed by HKDF, the key pair and
/// signature by `ed25519-dalek`, the key id by SHA-256, and the signed
/// message and the header assembled here byte by byte.
#[test]
fn asymmetric_vectors_match_an_independent_computation() {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use ed25519_dalek::{Signer as _, SigningKey};
    use sha2::Digest as _;

    let mut checked = 0;
    for fields in records() {
        if field(&fields, "kind") != "asymmetric" {
            continue;
        }
        let secret = hex(field(&fields, "secret"));
        let mut seed = [0u8; 32];
        Hkdf::<Sha256>::new(Some(b"session-seal/v1"), &secret)
            .expand(b"session-seal/v1 ed25519", &mut seed)
            .unwrap();
        let signing = SigningKey::from_bytes(&seed);
        let public = signing.verifying_key().to_bytes();
        assert_eq!(
            URL_SAFE_NO_PAD.encode(public),
            field(&fields, "public_key"),
            "{fields:?}"
        );
        let digest = Sha256::new()
            .chain_update(b"session-seal/v1 pk")
            .chain_update(public)
            .finalize();
        let kid = to_hex(&digest[..4]);
        assert_eq!(kid, field(&fields, "kid"), "{fields:?}");

        // The header: format 3, kid, version, iat, exp, age; big-endian.
        let now = number(&fields, "now");
        let started = number(&fields, "started");
        let mut exp = now + number(&fields, "max_age");
        let absolute = number(&fields, "absolute_max_age");
        if absolute > 0 {
            exp = exp.min(started + absolute);
        }
        let version = u32::try_from(number(&fields, "version")).unwrap();
        let age = u32::try_from(now - started).unwrap();
        let mut header = vec![3u8];
        header.extend_from_slice(&digest[..4]);
        header.extend_from_slice(&version.to_be_bytes());
        header.extend_from_slice(&now.to_be_bytes());
        header.extend_from_slice(&exp.to_be_bytes());
        header.extend_from_slice(&age.to_be_bytes());
        assert_eq!(header.len(), 29);
        let signed_text = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&header),
            URL_SAFE_NO_PAD.encode(field(&fields, "payload"))
        );

        // "session-seal/v1 sig" 0x00 len8(ns) ns len8(cookie) cookie H "." P
        let (namespace, cookie) = (field(&fields, "namespace"), field(&fields, "cookie"));
        let mut message = b"session-seal/v1 sig\x00".to_vec();
        message.push(u8::try_from(namespace.len()).unwrap());
        message.extend_from_slice(namespace.as_bytes());
        message.push(u8::try_from(cookie.len()).unwrap());
        message.extend_from_slice(cookie.as_bytes());
        message.extend_from_slice(signed_text.as_bytes());
        let signature = signing.sign(&message).to_bytes();

        let expected = format!("{signed_text}.{}", URL_SAFE_NO_PAD.encode(signature));
        assert_eq!(expected, field(&fields, "value"), "{fields:?}");
        checked += 1;
    }
    assert!(checked >= 3, "format 3 has vectors");
}
