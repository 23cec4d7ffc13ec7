//! [`inspect`]: what a cookie value says about itself, read without any key.
//!
//! For operators and tools (the `session-seal inspect` command): which key
//! sealed a value, when it expires, which schema version it claims. Nothing
//! read here is authenticated; only [`Keyring`](crate::Keyring) opening a
//! value makes it trustworthy. It reads values with the same parser that
//! opening uses ([`split_signed`], [`split_asymmetric`],
//! [`split_encrypted`]), so it accepts exactly the shapes a keyring would
//! go on to check.

use super::{
    FORMAT_ENCRYPTED, FORMAT_SIGNED, KeyId, asymmetric_payload_json, payload_json,
    split_asymmetric, split_encrypted, split_signed,
};
use crate::error::OpenError;

/// Which wire format a value claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireFormat {
    /// Format 1: `H.P.T`, the payload readable, authenticated by HMAC-SHA256.
    Signed,
    /// Format 2: `H.C`, the payload encrypted with XChaCha20-Poly1305.
    Encrypted,
    /// Format 3: `H.P.S`, the payload readable, signed with Ed25519.
    Asymmetric,
}

impl WireFormat {
    /// `signed`, `encrypted` or `asymmetric`.
    pub fn label(self) -> &'static str {
        match self {
            WireFormat::Signed => "signed",
            WireFormat::Encrypted => "encrypted",
            WireFormat::Asymmetric => "asymmetric",
        }
    }
}

/// The unauthenticated contents of a cookie value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Inspection {
    /// The wire format its header claims.
    pub format: WireFormat,
    /// The key id in its header.
    pub key_id: KeyId,
    /// The schema version in its header.
    pub version: u32,
    /// Unix seconds at which it claims to have been sealed.
    pub issued_at: u64,
    /// Unix seconds at which it claims to stop opening.
    pub expires_at: u64,
    /// Unix seconds at which it claims its session started.
    pub started_at: u64,
    /// The payload bytes of a signed or asymmetric value (its JSON,
    /// unverified); `None` for an encrypted one.
    pub payload: Option<Vec<u8>>,
}

/// Decodes `value`'s header (and, for a signed or asymmetric value, its payload) without
/// checking anything a key would check.
///
/// Fails with [`OpenError::TooLarge`] past the size limit and
/// [`OpenError::Malformed`] for anything that is not shaped like a value of
/// any format; never panics.
///
/// ```
/// use session_core::{WireFormat, inspect};
/// # use session_core::{Keyring, SessionPayload, SessionSecret, SessionSpec};
/// # #[derive(serde::Serialize, serde::Deserialize)] struct Visits(u32);
/// # impl SessionPayload for Visits {
/// #     const SPEC: SessionSpec = SessionSpec::builder("Visits", "visits", "app").build();
/// # }
/// let keyring = Keyring::new(SessionSecret::generate());
/// let value = keyring.seal_at(&Visits(3), 1_700_000_000)?;
/// let seen = inspect(&value)?;
/// assert_eq!(seen.format, WireFormat::Signed);
/// assert_eq!(seen.key_id, keyring.primary_key_id());
/// assert_eq!(seen.issued_at, 1_700_000_000);
/// assert_eq!(seen.payload.as_deref(), Some(&b"3"[..]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn inspect(value: &str) -> Result<Inspection, OpenError> {
    let bytes = value.as_bytes();
    let (format, header, payload) = match split_signed(bytes, FORMAT_SIGNED) {
        Ok(parts) => (
            WireFormat::Signed,
            parts.header,
            Some(payload_json(&parts)?.to_vec()),
        ),
        Err(OpenError::Malformed) => match split_asymmetric(bytes) {
            Ok(parts) => (
                WireFormat::Asymmetric,
                parts.header,
                Some(asymmetric_payload_json(&parts)?.to_vec()),
            ),
            Err(OpenError::Malformed) => {
                let parts = split_encrypted(bytes, FORMAT_ENCRYPTED)?;
                (WireFormat::Encrypted, parts.header, None)
            }
            Err(error) => return Err(error),
        },
        Err(error) => return Err(error),
    };
    Ok(Inspection {
        format,
        key_id: header.kid,
        version: header.version,
        issued_at: header.iat,
        expires_at: header.exp,
        started_at: header.started(),
        payload,
    })
}

/// Reads the key id of a value of any format without authenticating
/// anything.
///
/// For diagnostics and tests (e.g. "which key sealed this?"); never a reason
/// to trust the value.
pub fn peek_key_id(value: &str) -> Option<KeyId> {
    inspect(value).ok().map(|seen| seen.key_id)
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;
    use crate::wire::HEADER_LEN;

    #[test]
    fn formats_are_labelled_as_the_cli_prints_them() {
        assert_eq!(WireFormat::Signed.label(), "signed");
        assert_eq!(WireFormat::Encrypted.label(), "encrypted");
        assert_eq!(WireFormat::Asymmetric.label(), "asymmetric");
    }

    #[test]
    fn garbage_is_malformed_or_too_large_never_a_panic() {
        for value in [
            "",
            ".",
            "..",
            "a.b.c",
            "AAAA.BBBB",
            "é.é.é",
            "x".repeat(5000).as_str(),
        ] {
            assert!(inspect(value).is_err(), "{value:?}");
        }
        assert!(matches!(
            inspect(&"x".repeat(5000)),
            Err(OpenError::TooLarge { .. })
        ));
    }

    #[test]
    fn a_header_of_either_format_is_read() {
        let mut header = [0u8; HEADER_LEN];
        header[0] = FORMAT_ENCRYPTED;
        header[8] = 2; // version 2
        header[28] = 10; // age 10
        let h = URL_SAFE_NO_PAD.encode(header);
        let seen = inspect(&format!("{h}.AAAA")).expect("shaped like format 2");
        assert_eq!(seen.format, WireFormat::Encrypted);
        assert_eq!(seen.version, 2);
        assert_eq!(seen.payload, None);
        // The same header with three parts is neither format.
        assert_eq!(
            inspect(&format!("{h}.AAAA.AAAA")),
            Err(OpenError::Malformed)
        );
        header[0] = FORMAT_SIGNED;
        let h = URL_SAFE_NO_PAD.encode(header);
        let tag = "A".repeat(43);
        let seen = inspect(&format!("{h}.e30.{tag}")).expect("shaped like format 1");
        assert_eq!(seen.payload.as_deref(), Some(&b"{}"[..]));
        // A tag of the wrong length is not a value a keyring would check.
        assert_eq!(inspect(&format!("{h}.e30.AAAA")), Err(OpenError::Malformed));
        header[0] = 3;
        let h = URL_SAFE_NO_PAD.encode(header);
        assert_eq!(
            inspect(&format!("{h}.e30.{tag}")),
            Err(OpenError::Malformed)
        );
        // Format 3: a 64-byte signature part.
        let signature = "A".repeat(86);
        let seen = inspect(&format!("{h}.e30.{signature}")).expect("shaped like format 3");
        assert_eq!(seen.format, WireFormat::Asymmetric);
        assert_eq!(seen.payload.as_deref(), Some(&b"{}"[..]));
        header[0] = FORMAT_SIGNED;
        let h = URL_SAFE_NO_PAD.encode(header);
        assert_eq!(
            inspect(&format!("{h}.e30.{signature}")),
            Err(OpenError::Malformed),
            "a format 1 header with a format 3 signature"
        );
    }
}
