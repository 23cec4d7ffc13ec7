//! [`SessionSecret`]: the master secret every session key is derived from.

use std::fmt;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use rand::TryRngCore as _;
use rand::rngs::OsRng;
use zeroize::Zeroizing;

use crate::error::SecretError;

/// Environment variable read by [`SessionSecret::from_env`].
pub const SECRET_VAR: &str = "SESSION_SEAL_SECRET";

/// A master secret: at least [`SessionSecret::MIN_LEN`] bytes, wiped from
/// memory on drop, and never printed.
///
/// ```
/// use session_core::SessionSecret;
///
/// let secret = SessionSecret::from_base64("q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k")?;
/// assert_eq!(format!("{secret:?}"), "SessionSecret(<redacted>)");
/// # Ok::<(), session_core::SecretError>(())
/// ```
#[derive(Clone)]
pub struct SessionSecret {
    bytes: Zeroizing<Vec<u8>>,
}

/// Accepts both alphabets, with or without padding: secrets come from shell
/// commands, env files and secret managers that disagree on both.
const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
pub(crate) const STANDARD_ANY_PAD: GeneralPurpose =
    GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
pub(crate) const URL_SAFE_ANY_PAD: GeneralPurpose =
    GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

impl SessionSecret {
    /// The minimum length in bytes (256 bits).
    pub const MIN_LEN: usize = 32;

    /// Copies `bytes` into a secret.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SecretError> {
        Self::from_vec(bytes.to_vec())
    }

    /// Takes ownership of `bytes` (wiped if rejected as too short).
    pub fn from_vec(bytes: Vec<u8>) -> Result<Self, SecretError> {
        let bytes = Zeroizing::new(bytes);
        if bytes.len() < Self::MIN_LEN {
            return Err(SecretError::TooShort {
                len: bytes.len(),
                min: Self::MIN_LEN,
            });
        }
        Ok(Self { bytes })
    }

    /// Decodes base64 text: standard or URL-safe alphabet, padding optional,
    /// surrounding whitespace ignored.
    pub fn from_base64(text: &str) -> Result<Self, SecretError> {
        let text = text.trim();
        let decoded = STANDARD_ANY_PAD
            .decode(text)
            .or_else(|_| URL_SAFE_ANY_PAD.decode(text))
            .map_err(|_| SecretError::NotBase64)?;
        Self::from_vec(decoded)
    }

    /// Reads [`SECRET_VAR`] (`SESSION_SEAL_SECRET`) as base64.
    pub fn from_env() -> Result<Self, SecretError> {
        Self::from_lookup(|name| std::env::var_os(name))
    }

    /// Like [`from_env`](Self::from_env), reading variables through `lookup`
    /// (for tests, or configuration that is not the process environment).
    pub fn from_lookup<F>(lookup: F) -> Result<Self, SecretError>
    where
        F: Fn(&str) -> Option<std::ffi::OsString>,
    {
        let value = lookup(SECRET_VAR).ok_or(SecretError::Missing { var: SECRET_VAR })?;
        let value = Zeroizing::new(value.into_string().map_err(|_| SecretError::NotBase64)?);
        if value.trim().is_empty() {
            return Err(SecretError::Missing { var: SECRET_VAR });
        }
        Self::from_base64(&value)
    }

    /// A fresh 32-byte secret from the operating system's random source.
    ///
    /// # Panics
    ///
    /// If the operating system cannot supply random bytes, which leaves no
    /// safe way to continue.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new(vec![0u8; Self::MIN_LEN]);
        #[allow(clippy::expect_used)] // documented: no OS randomness, no keys.
        OsRng
            .try_fill_bytes(&mut bytes)
            .expect("the operating system's random number generator failed");
        Self { bytes }
    }

    /// The secret encoded as URL-safe base64 without padding, for storing a
    /// generated secret. Handle the result as carefully as the secret itself.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&*self.bytes))
    }

    pub(crate) fn expose(&self) -> &[u8] {
        &self.bytes
    }
}

impl fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionSecret(<redacted>)")
    }
}

impl fmt::Display for SessionSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionSecret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::*;

    const BYTES: [u8; 32] = [0xAB; 32];

    #[test]
    fn too_short_is_rejected_with_lengths() {
        assert_eq!(
            SessionSecret::from_bytes(&[1; 31]).err(),
            Some(SecretError::TooShort { len: 31, min: 32 })
        );
        assert!(SessionSecret::from_bytes(&BYTES).is_ok());
    }

    #[test]
    fn base64_both_alphabets_padding_optional() {
        // 33 bytes with 0xFB.. produce '+' '/' in standard and '-' '_' in URL-safe.
        let raw = [0xFBu8; 34];
        let std_pad = base64::engine::general_purpose::STANDARD.encode(raw);
        let url_pad = base64::engine::general_purpose::URL_SAFE.encode(raw);
        assert!(std_pad.contains('/') && std_pad.ends_with('='));
        for text in [
            std_pad.clone(),
            std_pad.trim_end_matches('=').to_owned(),
            url_pad.clone(),
            url_pad.trim_end_matches('=').to_owned(),
            format!("  {std_pad}\n"),
        ] {
            let secret = SessionSecret::from_base64(&text).expect(&text);
            assert_eq!(secret.expose(), raw);
        }
        assert_eq!(
            SessionSecret::from_base64("not base64!").err(),
            Some(SecretError::NotBase64)
        );
    }

    #[test]
    fn debug_and_display_never_show_bytes() {
        let secret = SessionSecret::from_bytes(&BYTES).expect("valid");
        let encoded = secret.to_base64();
        for shown in [
            format!("{secret:?}"),
            format!("{secret}"),
            format!("{secret:#?}"),
        ] {
            assert_eq!(shown, "SessionSecret(<redacted>)");
            assert!(!shown.contains(encoded.as_str()));
            assert!(!shown.to_lowercase().contains("abab"));
        }
    }

    #[test]
    fn from_lookup_reports_missing_and_invalid() {
        let none = |_: &str| None;
        assert_eq!(
            SessionSecret::from_lookup(none).err(),
            Some(SecretError::Missing { var: SECRET_VAR })
        );
        let blank = |_: &str| Some(OsString::from("  "));
        assert_eq!(
            SessionSecret::from_lookup(blank).err(),
            Some(SecretError::Missing { var: SECRET_VAR })
        );
        let short = |_: &str| Some(OsString::from("c2hvcnQ"));
        assert_eq!(
            SessionSecret::from_lookup(short).err(),
            Some(SecretError::TooShort { len: 5, min: 32 })
        );
        let good = SessionSecret::generate().to_base64();
        let good = good.to_string();
        assert!(SessionSecret::from_lookup(|_| Some(OsString::from(good.clone()))).is_ok());
    }

    #[test]
    fn error_messages_say_how_to_fix() {
        let message = SecretError::Missing { var: SECRET_VAR }.to_string();
        assert!(message.contains("SESSION_SEAL_SECRET"));
        assert!(message.contains("openssl rand -base64 32"));
    }

    #[test]
    fn generate_is_random_and_long_enough() {
        let (a, b) = (SessionSecret::generate(), SessionSecret::generate());
        assert_eq!(a.expose().len(), 32);
        assert_ne!(a.expose(), b.expose());
    }
}
