//! The known-answer vectors of `wire/vectors.txt`: sealing reproduces each
//! value byte for byte, and each value opens to its payload.

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
fn spec(fields: &Fields, encrypted: bool) -> SessionSpec {
    let leak = |name: &str| -> &'static str { Box::leak(field(fields, name).into()) };
    let mut builder = SessionSpec::builder("Vector", leak("cookie"), leak("namespace"))
        .version(u32::try_from(number(fields, "version")).expect("u32"))
        .max_age_secs(number(fields, "max_age"));
    let absolute = number(fields, "absolute_max_age");
    if absolute > 0 {
        builder = builder.absolute_max_age_secs(absolute);
    }
    if encrypted {
        builder = builder.encrypted();
    }
    builder.build()
}

/// What each record's expected field should read, computed from its inputs.
fn computed(fields: &Fields) -> (&'static str, String) {
    match field(fields, "kind") {
        "kid" => ("kid", keyring(fields).primary_key_id().to_string()),
        kind @ ("signed" | "encrypted") => {
            let spec = spec(fields, kind == "encrypted");
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
            ("value", value)
        }
        "store_key" => {
            let id: [u8; 24] = hex(field(fields, "id")).try_into().expect("24 bytes");
            let key = StoreKey::derive(field(fields, "namespace"), &SessionId::from_bytes(id));
            ("key", key.to_hex())
        }
        "user_route" => {
            let route = StoreKey::user_route(field(fields, "namespace"), field(fields, "user"));
            ("route", to_hex(&route.to_be_bytes()))
        }
        other => panic!("unknown kind {other}"),
    }
}

#[test]
fn sealing_reproduces_every_vector() {
    let mut missing = String::new();
    for fields in records() {
        let (name, value) = computed(&fields);
        let expected = field(&fields, name);
        if expected.is_empty() {
            missing.push_str(&format!("{fields:?}\n{name} = {value}\n\n"));
        } else {
            assert_eq!(value, expected, "{fields:?}");
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
        if kind != "signed" && kind != "encrypted" {
            continue;
        }
        let spec = spec(&fields, kind == "encrypted");
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
