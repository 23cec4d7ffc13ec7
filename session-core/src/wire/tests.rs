//! Unit tests of the encoding and checking steps.
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac as _;

use super::encrypted::UnopenedEncrypted;
use super::json::write_json;
use super::*;

fn header() -> Header {
    Header {
        format: FORMAT_SIGNED,
        kid: KeyId([1, 2, 3, 4]),
        version: 7,
        iat: 1_700_000_000,
        exp: 1_700_086_400,
        age: 90,
    }
}

fn mac(key: u8) -> HmacSha256 {
    HmacSha256::new_from_slice(&[key; 32]).expect("any key length")
}

#[test]
fn header_roundtrip_and_size() {
    let bytes = header().to_bytes();
    assert_eq!(bytes.len(), HEADER_LEN);
    assert_eq!(bytes[0], FORMAT_SIGNED);
    assert_eq!(&bytes[25..], &90u32.to_be_bytes());
    assert_eq!(Header::from_bytes(&bytes, FORMAT_SIGNED), Some(header()));
    assert_eq!(header().started(), 1_700_000_000 - 90);
    assert_eq!(URL_SAFE_NO_PAD.encode(bytes).len(), HEADER_B64_LEN);
    assert_eq!(URL_SAFE_NO_PAD.encode([0u8; TAG_LEN]).len(), TAG_B64_LEN);
}

#[test]
fn other_format_byte_is_rejected() {
    let bytes = header().to_bytes();
    assert_eq!(Header::from_bytes(&bytes, FORMAT_ENCRYPTED), None);
    let mut other = bytes;
    other[0] = 3;
    assert_eq!(Header::from_bytes(&other, FORMAT_SIGNED), None);
}

#[test]
fn signed_len_matches_encoding() {
    for n in 0..40 {
        let json = vec![b'x'; n];
        assert_eq!(seal_signed(mac(9), &header(), &json).len(), signed_len(n));
    }
}

#[test]
fn seal_then_split_then_verify() {
    let value = seal_signed(mac(9), &header(), br#"{"a":1}"#);
    assert_eq!(value.matches('.').count(), 2);
    let parts = split_signed(value.as_bytes(), FORMAT_SIGNED).expect("splits");
    assert_eq!(parts.header, header());
    assert_eq!(verify(&mac(9), &parts), Ok(()));
    let json = payload_json(&parts).expect("decodes");
    assert_eq!(json.as_slice(), br#"{"a":1}"#);
    assert_eq!(verify(&mac(8), &parts), Err(OpenError::BadSignature));
    assert_eq!(
        split_signed(value.as_bytes(), FORMAT_ENCRYPTED).err(),
        Some(OpenError::Malformed)
    );
}

#[test]
fn split_rejects_shapes() {
    let value = seal_signed(mac(9), &header(), b"{}");
    let (h, rest) = value.split_once('.').expect("dot");
    let (p, t) = rest.split_once('.').expect("dot");
    for bad in [
        String::new(),
        ".".into(),
        "..".into(),
        "...".into(),
        h.to_string(),
        format!("{h}.{rest}.x"),
        format!("{h}.{p}.{p}.{t}"),
        format!("{h}.{p}{t}"),
        format!("{h}{p}.{t}"),
        format!("{h}=.{rest}"),
        format!("{value}A"),
        format!("A{value}"),
        "a".repeat(MAX_VALUE_LEN + 1),
    ] {
        assert!(
            split_signed(bad.as_bytes(), FORMAT_SIGNED).is_err(),
            "{bad:?}"
        );
    }
    assert_eq!(
        split_signed("a".repeat(MAX_VALUE_LEN + 1).as_bytes(), FORMAT_SIGNED).err(),
        Some(OpenError::TooLarge {
            size: MAX_VALUE_LEN + 1,
            limit: MAX_VALUE_LEN
        })
    );
}

fn cipher(key: u8) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(&[key; 32])
}

fn encrypted_header() -> Header {
    Header {
        format: FORMAT_ENCRYPTED,
        ..header()
    }
}

#[test]
fn encrypted_len_matches_encoding_and_parts_open() {
    for n in 0..40 {
        let json = vec![b'x'; n];
        let mut buf = Vec::with_capacity(MIN_SEALED_LEN + n);
        buf.extend_from_slice(&json);
        let capacity = buf.capacity();
        let value =
            seal_encrypted(&cipher(9), &encrypted_header(), &mut buf, &[3; 24]).expect("seals");
        assert_eq!(value.len(), encrypted_len(n));
        assert_eq!(buf.len(), MIN_SEALED_LEN + n, "nonce ‖ ciphertext ‖ tag");
        assert_eq!(buf.capacity(), capacity, "not grown");
        assert_eq!(&buf[..NONCE_LEN], &[3; 24]);
        // A buffer without room for nonce and tag is not grown: the
        // same value is made in a copy, and the buffer keeps the JSON.
        let mut tight = json.clone();
        tight.shrink_to_fit();
        let capacity = tight.capacity();
        assert_eq!(
            seal_encrypted(&cipher(9), &encrypted_header(), &mut tight, &[3; 24]),
            Some(value.clone())
        );
        assert_eq!(
            (tight.as_slice(), tight.capacity()),
            (json.as_slice(), capacity)
        );
        let parts = split_encrypted(value.as_bytes(), FORMAT_ENCRYPTED).expect("splits");
        assert_eq!(parts.header, encrypted_header());
        let mut sealed = decode_sealed(&parts).expect("decodes");
        assert_eq!(*sealed, buf);
        assert!(sealed.capacity() <= sealed.len() + 2, "decoded at its size");
        assert_eq!(
            open_sealed(&cipher(9), &parts, &mut sealed.clone()),
            Ok(json.as_slice())
        );
        assert_eq!(
            open_sealed(&cipher(8), &parts, &mut sealed),
            Err(OpenError::BadSignature)
        );
        assert_eq!(
            split_encrypted(value.as_bytes(), FORMAT_SIGNED).err(),
            Some(OpenError::Malformed)
        );
        assert_eq!(peek_key_id(&value), Some(KeyId([1, 2, 3, 4])));
    }
}

#[test]
fn the_header_text_is_the_associated_data() {
    let mut buf = br#"{"a":1}"#.to_vec();
    let value = seal_encrypted(&cipher(9), &encrypted_header(), &mut buf, &[5; 24]).expect("seals");
    let parts = split_encrypted(value.as_bytes(), FORMAT_ENCRYPTED).expect("splits");
    let mut sealed = decode_sealed(&parts).expect("decodes");
    // The same C under another (well-formed) header: the tag fails.
    let other = Header {
        exp: encrypted_header().exp + 1,
        ..encrypted_header()
    };
    let other_text = URL_SAFE_NO_PAD.encode(other.to_bytes());
    let moved = UnopenedEncrypted {
        header_text: other_text.as_bytes(),
        sealed: parts.sealed,
        header: other,
    };
    assert_eq!(
        open_sealed(&cipher(9), &moved, &mut sealed),
        Err(OpenError::BadSignature)
    );
}

#[test]
fn write_json_never_grows_the_buffer_and_counts_what_does_not_fit() {
    let payload = ["a".repeat(20), "b".repeat(20)];
    let full = serde_json::to_vec(&payload).expect("json");
    for capacity in [0, 1, 10, full.len() - 1, full.len(), full.len() + 5] {
        let mut buf = Vec::with_capacity(capacity);
        let capacity = buf.capacity();
        let len = write_json(&mut buf, &payload).expect("serializes");
        assert_eq!(len, full.len(), "the whole length, kept or not");
        assert_eq!(buf.capacity(), capacity, "never grown");
        assert!(full.starts_with(&buf), "what is kept is a prefix");
        assert_eq!(buf.len() == len, capacity >= full.len());
    }
    // Unserializable payloads fail as serde_json fails.
    let map = std::collections::HashMap::from([((1, 2), 3)]);
    assert!(write_json(&mut Vec::with_capacity(100), &map).is_err());
    assert!(PayloadJson::serialize(&[], &map).is_err());
}

#[test]
fn payload_json_holds_any_json_that_can_be_sealed_at_its_size() {
    // One byte more than `MAX_JSON_LEN` cannot fit in either format,
    // even with an empty name and no attributes.
    assert!(signed_len(MAX_JSON_LEN + 1) > MAX_SET_COOKIE_LEN);
    assert!(encrypted_len(MAX_JSON_LEN + 1) > MAX_SET_COOKIE_LEN);
    for len in [
        2,
        150,
        FIRST_SEAL_CAPACITY - MIN_SEALED_LEN,
        FIRST_SEAL_CAPACITY,
        FIRST_SEAL_CAPACITY + 1,
        MAX_JSON_LEN,
        MAX_JSON_LEN + 1,
        3 * MAX_JSON_LEN,
    ] {
        let text = "x".repeat(len - 2);
        let mut json = PayloadJson::serialize(&[], &text).expect("serializes");
        assert_eq!(json.len(), len);
        let buf = json.buf_mut();
        if len <= FIRST_SEAL_CAPACITY {
            assert_eq!(buf.capacity(), FIRST_SEAL_CAPACITY, "{len}");
        } else if len <= MAX_JSON_LEN {
            assert_eq!(buf.capacity(), len + MIN_SEALED_LEN, "{len}: exact");
        } else {
            assert_eq!(buf.capacity(), FIRST_SEAL_CAPACITY, "{len}: not resized");
        }
        if len <= MAX_JSON_LEN {
            assert_eq!(*buf, serde_json::to_vec(&text).expect("json"), "{len}");
        } else {
            assert!(buf.len() < len, "{len}: kept in part");
        }
    }
}

#[test]
fn binding_info_is_length_prefixed() {
    let lengths = binding_lengths("admin", "sid");
    assert_eq!(
        binding_info(b"p", &lengths, "admin", "sid").concat(),
        b"p\0\x05admin\x03sid"
    );
    // Moving a byte between namespace and cookie name changes the info.
    let a = binding_info(b"p", &binding_lengths("ab", "c"), "ab", "c").concat();
    let b = binding_info(b"p", &binding_lengths("a", "bc"), "a", "bc").concat();
    assert_ne!(a, b);
}

#[test]
fn peek_reads_kid_only_from_well_formed_values() {
    let value = seal_signed(mac(9), &header(), b"{}");
    assert_eq!(peek_key_id(&value), Some(KeyId([1, 2, 3, 4])));
    assert_eq!(peek_key_id("garbage"), None);
}

#[test]
fn a_key_id_shows_its_bytes_in_hex() {
    let kid = KeyId([0xab, 0x00, 0x01, 0xff]);
    assert_eq!(kid.to_bytes(), [0xab, 0x00, 0x01, 0xff]);
    assert_eq!(kid.to_string(), "ab0001ff");
    assert_eq!(format!("{kid:?}"), "KeyId(ab0001ff)");
}

#[test]
fn max_json_len_is_the_longest_json_whose_base64_fits_a_set_cookie() {
    // Base64 alone, before any header, name or attribute: the bound is tight.
    assert!(base64_len(MAX_JSON_LEN) <= MAX_SET_COOKIE_LEN);
    assert!(base64_len(MAX_JSON_LEN + 1) > MAX_SET_COOKIE_LEN);
}

#[test]
fn base64_len_is_the_unpadded_encoded_length() {
    for n in 0..100 {
        assert_eq!(
            base64_len(n),
            URL_SAFE_NO_PAD.encode(vec![0u8; n]).len(),
            "{n}"
        );
    }
}

#[test]
fn a_value_of_exactly_max_value_len_is_read_and_one_byte_more_is_too_large() {
    let h = URL_SAFE_NO_PAD.encode(header().to_bytes());
    let t = "A".repeat(TAG_B64_LEN);
    let p = "A".repeat(MAX_VALUE_LEN - HEADER_B64_LEN - TAG_B64_LEN - 2);
    let signed = format!("{h}.{p}.{t}");
    assert_eq!(signed.len(), MAX_VALUE_LEN);
    assert!(split_signed(signed.as_bytes(), FORMAT_SIGNED).is_ok());
    let longer = format!("{h}.{p}A.{t}");
    assert_eq!(
        split_signed(longer.as_bytes(), FORMAT_SIGNED).err(),
        Some(OpenError::TooLarge {
            size: MAX_VALUE_LEN + 1,
            limit: MAX_VALUE_LEN
        })
    );
    let h = URL_SAFE_NO_PAD.encode(encrypted_header().to_bytes());
    let c = "A".repeat(MAX_VALUE_LEN - HEADER_B64_LEN - 1);
    let encrypted = format!("{h}.{c}");
    assert_eq!(encrypted.len(), MAX_VALUE_LEN);
    let parts = split_encrypted(encrypted.as_bytes(), FORMAT_ENCRYPTED).expect("shaped");
    assert_eq!(parts.sealed.len(), c.len());
    let longer = format!("{h}.{c}A");
    assert_eq!(
        split_encrypted(longer.as_bytes(), FORMAT_ENCRYPTED).err(),
        Some(OpenError::TooLarge {
            size: MAX_VALUE_LEN + 1,
            limit: MAX_VALUE_LEN
        })
    );
}
