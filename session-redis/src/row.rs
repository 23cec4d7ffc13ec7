//! A row as Redis holds it: a hash of four fields, and a fifth for the
//! login's metadata when there is any. Encoding into script arguments,
//! decoding from replies, and why a row is unreadable.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use redis::{ScriptInvocation, Value};
use session_core::fingerprint::{FINGERPRINT_LEN, Fingerprint};
use session_core::is_namespace;
use session_core::store::{Record, SessionMeta, StoreKey};

// Field names of a row hash. The Lua scripts spell the same names (a unit
// test in `scripts.rs` checks).
pub(crate) const NAMESPACE: &str = "namespace";
pub(crate) const USER: &str = "user";
pub(crate) const DATA: &str = "data";
/// The numbers, in decimal, joined by `:`: version, revision, created_at,
/// touched_at, expires_at.
/// One field rather than five: a read's reply has four values to parse
/// instead of eight.
pub(crate) const META: &str = "meta";
/// The login's [`SessionMeta`]: for a type that binds a client
/// fingerprint, `#`, its 16 bytes in lowercase hex and one space; then the
/// client address (empty if unknown), one space, and the user agent (empty
/// if unknown). Absent when nothing is known, as in every row written
/// before this field existed. An address never starts with `#` nor
/// contains a space, so the first byte tells whether a fingerprint leads
/// and the next space splits address from user agent.
pub(crate) const CLIENT: &str = "client";

// The parts of `meta`, named in errors.
pub(crate) const VERSION: &str = "version";
pub(crate) const REVISION: &str = "revision";
pub(crate) const CREATED_AT: &str = "created_at";
pub(crate) const TOUCHED_AT: &str = "touched_at";
pub(crate) const EXPIRES_AT: &str = "expires_at";

/// The parts of `meta`, in order.
#[cfg(test)]
pub(crate) const META_PARTS: [&str; 5] = [VERSION, REVISION, CREATED_AT, TOUCHED_AT, EXPIRES_AT];

/// Every field of a row, in the order a read asks for them (`HMGET`; the
/// scripts' test checks each is spelled the same there).
pub(crate) const FIELDS: [&str; 5] = [NAMESPACE, USER, DATA, META, CLIENT];

/// The fields `list_user.lua` returns for each row, in its order.
pub(crate) const LISTED_FIELDS: [&str; 4] = [NAMESPACE, USER, META, CLIENT];

/// `record`'s `meta` field.
fn meta(record: &Record) -> String {
    format!(
        "{}:{}:{}:{}:{}",
        record.version, record.revision, record.created_at, record.touched_at, record.expires_at
    )
}

/// `meta`'s `client` field: `<address> <user agent>`, either part empty
/// when unknown; empty (no field written) when both are.
pub(crate) fn client(meta: &SessionMeta) -> String {
    if meta.is_empty() {
        return String::new();
    }
    let mut field = String::new();
    if let Some(fingerprint) = meta.fingerprint() {
        field.push('#');
        for byte in fingerprint.as_bytes() {
            field.push_str(&format!("{byte:02x}"));
        }
        field.push(' ');
    }
    let addr = meta.client_addr().map(|addr| addr.to_string());
    field.push_str(addr.as_deref().unwrap_or(""));
    field.push(' ');
    field.push_str(meta.user_agent().unwrap_or(""));
    field
}

/// The fingerprint that leads a `client` field (`#` and 32 hex digits,
/// then a space), and the rest of the field; a field without one is all
/// rest, and one that does not decode is unknown.
fn split_fingerprint(field: &[u8]) -> (Option<Fingerprint>, &[u8]) {
    let Some(hex) = field.strip_prefix(b"#") else {
        return (None, field);
    };
    let end = hex
        .iter()
        .position(|byte| *byte == b' ')
        .unwrap_or(hex.len());
    let (hex, rest) = hex.split_at(end);
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    let mut bytes = [0u8; FINGERPRINT_LEN];
    let decoded = hex.len() == 2 * FINGERPRINT_LEN
        && hex.chunks(2).zip(&mut bytes).all(|(pair, byte)| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .map(|value| *byte = value)
                .is_some()
        });
    (decoded.then(|| Fingerprint::from_bytes(bytes)), rest)
}

/// The metadata in a `client` field; `None` (no field) and anything that
/// does not decode read as no metadata (the part that does not decode as
/// unknown): metadata never makes a row unreadable.
fn client_meta(field: Option<&[u8]>) -> SessionMeta {
    let Some(field) = field.filter(|field| !field.is_empty()) else {
        return SessionMeta::NONE;
    };
    let (fingerprint, field) = split_fingerprint(field);
    let mut parts = field.splitn(2, |byte| *byte == b' ');
    let addr = parts
        .next()
        .and_then(|addr| std::str::from_utf8(addr).ok())
        .and_then(|addr| addr.parse::<IpAddr>().ok());
    let user_agent = parts
        .next()
        .and_then(|agent| std::str::from_utf8(agent).ok());
    SessionMeta::new(addr, user_agent).with_fingerprint(fingerprint)
}

/// Appends `record` as the six arguments `write_row` in `prelude.lua`
/// reads: namespace, user, has user, data, meta, client (`''`: none).
pub(crate) fn push_record(invocation: &mut ScriptInvocation<'_>, record: &Record) {
    invocation
        .arg(&record.namespace)
        .arg(record.user.as_deref().unwrap_or(""))
        .arg(if record.user.is_some() { "1" } else { "0" })
        .arg(record.data.as_slice())
        .arg(meta(record))
        .arg(client(&record.meta));
}

/// Why a stored row could not be read. Names fields, never their values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Corrupt {
    /// The key holds something other than a hash.
    NotAHash,
    /// The reply did not have the shape the script returns.
    Shape,
    /// A required field is absent.
    Missing(&'static str),
    /// A field is present but not what it should be.
    Invalid(&'static str),
}

impl fmt::Display for Corrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Corrupt::NotAHash => f.write_str("the key is not a hash"),
            Corrupt::Shape => f.write_str("unexpected reply shape"),
            Corrupt::Missing(field) => write!(f, "field `{field}` is missing"),
            Corrupt::Invalid(field) => write!(f, "field `{field}` is invalid"),
        }
    }
}

/// Logs an unreadable row, which then reads as absent.
pub(crate) fn warn_corrupt(key: &str, reason: Corrupt) {
    tracing::warn!(
        target: crate::TRACING_TARGET,
        key,
        %reason,
        "unreadable session row in Redis; treating it as absent"
    );
}

/// Everything of a row but its data.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) namespace: String,
    pub(crate) user: Option<String>,
    pub(crate) version: u32,
    pub(crate) revision: u64,
    pub(crate) created_at: u64,
    pub(crate) touched_at: u64,
    pub(crate) expires_at: u64,
    /// The `client` field.
    pub(crate) client: SessionMeta,
}

/// Reads a row's fields through `get` (field name → raw value).
fn decode_meta<'a>(get: impl Fn(&'static str) -> Option<&'a [u8]>) -> Result<Meta, Corrupt> {
    let namespace = text(get(NAMESPACE), NAMESPACE)?;
    if !is_namespace(&namespace) {
        return Err(Corrupt::Invalid(NAMESPACE));
    }
    let user = match get(USER) {
        Some(bytes) => Some(text(Some(bytes), USER)?),
        None => None,
    };
    let meta = get(META).ok_or(Corrupt::Missing(META))?;
    let mut parts = meta.split(|byte| *byte == b':');
    let info = Meta {
        namespace,
        user,
        version: number(parts.next(), VERSION)?,
        revision: number(parts.next(), REVISION)?,
        created_at: number(parts.next(), CREATED_AT)?,
        touched_at: number(parts.next(), TOUCHED_AT)?,
        expires_at: number(parts.next(), EXPIRES_AT)?,
        client: client_meta(get(CLIENT)),
    };
    if parts.next().is_some() {
        return Err(Corrupt::Invalid(META));
    }
    Ok(info)
}

fn text(bytes: Option<&[u8]>, field: &'static str) -> Result<String, Corrupt> {
    let bytes = bytes.ok_or(Corrupt::Missing(field))?;
    String::from_utf8(bytes.to_vec()).map_err(|_| Corrupt::Invalid(field))
}

/// Plain decimal digits that fit `T` (no sign, no spaces), as the scripts'
/// `canon` accepts.
fn number<T: FromStr>(bytes: Option<&[u8]>, field: &'static str) -> Result<T, Corrupt> {
    let bytes = bytes.ok_or(Corrupt::Missing(field))?;
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return Err(Corrupt::Invalid(field));
    }
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|digits| digits.parse().ok())
        .ok_or(Corrupt::Invalid(field))
}

/// The reply of `HMGET <row> <FIELDS…>`: `None` for no key (every field
/// nil: Redis never keeps an empty hash), else the row or why it is
/// unreadable.
pub(crate) fn decode_load(reply: &Value) -> Option<Result<Record, Corrupt>> {
    let Value::Array(values) = reply else {
        return Some(Err(Corrupt::Shape));
    };
    if values.len() != FIELDS.len() {
        return Some(Err(Corrupt::Shape));
    }
    let mut fields: Vec<(&[u8], &[u8])> = Vec::with_capacity(FIELDS.len());
    for (name, value) in FIELDS.iter().zip(values) {
        match value {
            Value::BulkString(bytes) => fields.push((name.as_bytes(), bytes)),
            Value::Nil => {}
            _ => return Some(Err(Corrupt::Shape)),
        }
    }
    if fields.is_empty() {
        return None;
    }
    Some(decode_row(&fields))
}

/// A row from its fields and values.
fn decode_row(fields: &[(&[u8], &[u8])]) -> Result<Record, Corrupt> {
    let get = |name: &'static str| {
        fields
            .iter()
            .find(|(field, _)| *field == name.as_bytes())
            .map(|(_, value)| *value)
    };
    let meta = decode_meta(get)?;
    let data = get(DATA).ok_or(Corrupt::Missing(DATA))?.to_vec();
    Ok(Record {
        namespace: meta.namespace,
        user: meta.user,
        version: meta.version,
        data,
        revision: meta.revision,
        created_at: meta.created_at,
        touched_at: meta.touched_at,
        expires_at: meta.expires_at,
        meta: meta.client,
    })
}

/// One entry of `list_user.lua`'s reply: the member's key and, if it
/// decodes, its row's metadata; else the member as text and the reason.
pub(crate) fn decode_listed(entry: &Value) -> Result<(StoreKey, Meta), (String, Corrupt)> {
    let Value::Array(items) = entry else {
        return Err((String::new(), Corrupt::Shape));
    };
    let [Value::BulkString(member), rest @ ..] = items.as_slice() else {
        return Err((String::new(), Corrupt::Shape));
    };
    let member_text = String::from_utf8_lossy(member).into_owned();
    let [values @ .., has_data] = rest else {
        return Err((member_text, Corrupt::Shape));
    };
    if values.len() != LISTED_FIELDS.len() {
        return Err((member_text, Corrupt::Shape));
    }
    let Some(key) = std::str::from_utf8(member)
        .ok()
        .and_then(StoreKey::from_hex)
    else {
        return Err((member_text, Corrupt::Invalid("index member")));
    };
    let get = |name: &'static str| {
        LISTED_FIELDS
            .iter()
            .zip(values)
            .find(|(field, _)| **field == name)
            .and_then(|(_, value)| match value {
                Value::BulkString(bytes) => Some(bytes.as_slice()),
                _ => None,
            })
    };
    let meta = decode_meta(get).map_err(|reason| (member_text.clone(), reason))?;
    if *has_data != Value::Int(1) {
        return Err((member_text, Corrupt::Missing(DATA)));
    }
    Ok((key, meta))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(text: &str) -> Value {
        Value::BulkString(text.as_bytes().to_vec())
    }

    /// The `HMGET` reply for a row holding `pairs`.
    fn hmget(pairs: &[(&str, &str)]) -> Value {
        Value::Array(
            FIELDS
                .iter()
                .map(|field| {
                    pairs
                        .iter()
                        .find(|(name, _)| name == field)
                        .map_or(Value::Nil, |(_, value)| bulk(value))
                })
                .collect(),
        )
    }

    fn decode_pairs(pairs: &[(&str, &str)]) -> Result<Record, Corrupt> {
        decode_load(&hmget(pairs)).expect("not empty")
    }

    const GOOD: [(&str, &str); 5] = [
        ("namespace", "admin"),
        ("user", "42"),
        ("data", "{\"secret\":1}"),
        ("meta", "3:7:100:150:200"),
        ("client", "2001:db8::7 Mozilla/5.0 (X11; Linux x86_64)"),
    ];

    fn good_meta() -> SessionMeta {
        SessionMeta::new(
            Some("2001:db8::7".parse().expect("an address")),
            Some("Mozilla/5.0 (X11; Linux x86_64)"),
        )
    }

    #[test]
    fn good_row_names_every_field() {
        let names: Vec<&str> = GOOD.iter().map(|(field, _)| *field).collect();
        assert_eq!(names, FIELDS);
    }

    #[test]
    fn meta_holds_the_numbers_in_order() {
        let record = decode_pairs(&GOOD).expect("decodes");
        assert_eq!(meta(&record), "3:7:100:150:200");
        assert_eq!(META_PARTS.len(), meta(&record).split(':').count());
    }

    #[test]
    fn decodes_a_well_formed_row() {
        let record = decode_pairs(&GOOD).expect("decodes");
        assert_eq!(
            record,
            Record {
                namespace: "admin".into(),
                user: Some("42".into()),
                version: 3,
                data: b"{\"secret\":1}".to_vec(),
                revision: 7,
                created_at: 100,
                touched_at: 150,
                expires_at: 200,
                meta: good_meta(),
            }
        );
        let anonymous: Vec<_> = GOOD.iter().copied().filter(|(f, _)| *f != "user").collect();
        assert_eq!(decode_pairs(&anonymous).expect("decodes").user, None);
    }

    #[test]
    fn a_row_without_client_has_no_metadata_and_a_bad_client_never_spoils_a_row() {
        let without = |value: Option<&str>| {
            let pairs: Vec<(&str, &str)> = GOOD
                .iter()
                .copied()
                .filter(|(f, _)| *f != CLIENT)
                .chain(value.map(|value| (CLIENT, value)))
                .collect();
            decode_pairs(&pairs).expect("decodes").meta
        };
        // A row written before the field existed, or with metadata off.
        assert_eq!(without(None), SessionMeta::NONE);
        assert_eq!(without(Some("")), SessionMeta::NONE);
        let addr = |text: &str| text.parse::<IpAddr>().ok();
        assert_eq!(
            without(Some("192.0.2.1 ")),
            SessionMeta::new(addr("192.0.2.1"), None)
        );
        assert_eq!(
            without(Some("192.0.2.1")),
            SessionMeta::new(addr("192.0.2.1"), None)
        );
        assert_eq!(
            without(Some(" curl/8 (a b)")),
            SessionMeta::new(None, Some("curl/8 (a b)"))
        );
        // Garbage in the field: the part that does not decode is unknown,
        // and the row itself reads.
        assert_eq!(
            without(Some("not-an-ip curl/8")),
            SessionMeta::new(None, Some("curl/8"))
        );
        assert_eq!(without(Some("nonsense")), SessionMeta::NONE);
        let long = format!("192.0.2.1 {}", "u".repeat(1000));
        assert_eq!(
            without(Some(&long)).user_agent().map(str::len),
            Some(SessionMeta::MAX_USER_AGENT_LEN)
        );
        let Value::Array(mut values) = hmget(&GOOD) else {
            unreachable!()
        };
        values[4] = Value::BulkString(b"192.0.2.1 \xff\xfe".to_vec());
        let record = decode_load(&Value::Array(values)).expect("a row");
        assert_eq!(
            record.expect("decodes").meta,
            SessionMeta::new(addr("192.0.2.1"), None),
            "a user agent that is not UTF-8"
        );
    }

    #[test]
    fn the_client_field_round_trips_and_is_empty_without_metadata() {
        for meta in [
            good_meta(),
            SessionMeta::new(Some(IpAddr::from([10, 0, 0, 1])), None),
            SessionMeta::new(None, Some("Only/1.0 agent with spaces")),
            good_meta().with_fingerprint(Some(Fingerprint::from_bytes([0xa5; 16]))),
            SessionMeta::NONE.with_fingerprint(Some(Fingerprint::from_bytes([7; 16]))),
            SessionMeta::new(None, Some("#not a fingerprint"))
                .with_fingerprint(Some(Fingerprint::from_bytes([0; 16]))),
        ] {
            let field = client(&meta);
            assert_eq!(client_meta(Some(field.as_bytes())), meta, "{field}");
        }
        assert_eq!(client(&SessionMeta::NONE), "");
        assert_eq!(
            client(&SessionMeta::new(
                Some(IpAddr::from([10, 0, 0, 1])),
                Some("UA/1")
            )),
            "10.0.0.1 UA/1"
        );
        let fingerprinted = SessionMeta::new(None, Some("UA/1"))
            .with_fingerprint(Some(Fingerprint::from_bytes([0xab; 16])));
        assert_eq!(
            client(&fingerprinted),
            format!("#{}  UA/1", "ab".repeat(16)),
            "fingerprint, empty address, user agent"
        );
        // A fingerprint that does not decode is unknown; the rest still is.
        let bad = client_meta(Some(b"#zz 10.0.0.1 UA/1"));
        assert_eq!(bad.fingerprint(), None);
        assert_eq!(bad.user_agent(), Some("UA/1"));
    }

    #[test]
    fn hmget_replies_map_to_absent_row_or_corrupt() {
        assert_eq!(decode_load(&hmget(&[])), None, "no key");
        assert!(matches!(decode_load(&hmget(&GOOD)), Some(Ok(_))));
        assert_eq!(decode_load(&Value::Nil), Some(Err(Corrupt::Shape)));
        let Value::Array(mut short) = hmget(&GOOD) else {
            unreachable!()
        };
        short.pop();
        assert_eq!(decode_load(&Value::Array(short)), Some(Err(Corrupt::Shape)));
    }

    #[test]
    fn rejects_broken_rows_by_field_never_by_value() {
        let with = |field: &str, value: Option<&str>| {
            let pairs: Vec<(&str, &str)> = GOOD
                .iter()
                .copied()
                .filter_map(|(f, v)| {
                    if f == field {
                        value.map(|x| (f, x))
                    } else {
                        Some((f, v))
                    }
                })
                .collect();
            decode_pairs(&pairs)
        };
        assert_eq!(with("data", None), Err(Corrupt::Missing(DATA)));
        assert_eq!(with("meta", None), Err(Corrupt::Missing(META)));
        assert_eq!(
            with("meta", Some("3:7:100:150")),
            Err(Corrupt::Missing(EXPIRES_AT))
        );
        assert_eq!(
            with("meta", Some("3:7:100:150:200:1")),
            Err(Corrupt::Invalid(META))
        );
        for bad in ["seven", "-1", "+1", "", " 1"] {
            assert_eq!(
                with("meta", Some(&format!("3:{bad}:100:150:200"))),
                Err(Corrupt::Invalid(REVISION)),
                "{bad:?}"
            );
        }
        assert_eq!(
            with("meta", Some("4294967296:7:100:150:200")),
            Err(Corrupt::Invalid(VERSION))
        );
        assert_eq!(
            with("meta", Some("3:7:100:150:18446744073709551616")),
            Err(Corrupt::Invalid(EXPIRES_AT))
        );
        assert_eq!(
            with("namespace", Some("Admin:x")),
            Err(Corrupt::Invalid(NAMESPACE))
        );
        let reason = with("meta", Some("3:seven:100:150:200"))
            .expect_err("invalid")
            .to_string();
        assert!(!reason.contains("seven"), "{reason}");
    }

    #[test]
    fn decodes_listed_entries() {
        let key = StoreKey::from_bytes([7; 32]);
        let mut entry = vec![Value::BulkString(key.to_hex().into_bytes())];
        for field in LISTED_FIELDS {
            let value = GOOD.iter().find(|(f, _)| *f == field).map(|(_, v)| *v);
            entry.push(bulk(value.expect("field")));
        }
        entry.push(Value::Int(1));
        let (decoded, meta) = decode_listed(&Value::Array(entry.clone())).expect("decodes");
        assert_eq!(decoded, key);
        assert_eq!(
            (meta.created_at, meta.touched_at, meta.expires_at),
            (100, 150, 200)
        );
        assert_eq!(meta.client, good_meta());
        // A row without metadata: the script returns '' for the field.
        let mut bare = entry.clone();
        bare[4] = bulk("");
        let (_, meta) = decode_listed(&Value::Array(bare)).expect("decodes");
        assert_eq!(meta.client, SessionMeta::NONE);

        let mut no_data = entry.clone();
        no_data.pop();
        no_data.push(Value::Int(0));
        assert!(matches!(
            decode_listed(&Value::Array(no_data)),
            Err((_, Corrupt::Missing(DATA)))
        ));
        let mut bad_member = entry;
        bad_member[0] = bulk("not-a-key");
        assert!(matches!(
            decode_listed(&Value::Array(bad_member)),
            Err((member, Corrupt::Invalid(_))) if member == "not-a-key"
        ));
    }
}
