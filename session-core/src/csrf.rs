//! CSRF tokens bound to one session type and one session.
//!
//! A token is `base64url(HMAC-SHA256(K, m))`, 43 characters, where `K` is
//! the binding's CSRF key (HKDF info `"session-seal/v1 csrf" 0x00 ‖ B`, see
//! [`crate::wire`]) and `m` encodes a [`CsrfContext`]:
//!
//! ```text
//! m = started_at (8 bytes, big-endian)
//!   ‖ has_user (1 byte: 0 or 1) ‖ len16(user) ‖ user
//!   ‖ len16(session) ‖ session
//! ```
//!
//! So a token made for one session type (its namespace and cookie name are
//! in `K`) is useless for another, and one made for one session is useless
//! once that session ends: a new login has a new `started_at`; a store-mode
//! renewal has a new id, whose at-rest key is the `session` part. Tokens
//! made under a previous secret verify while that secret is kept; checking
//! compares MACs in constant time.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac as _;

use crate::error::SealError;
use crate::keyring::Keyring;
use crate::spec::SessionSpec;
use crate::wire::HmacSha256;

/// The length of a token: 32 bytes in unpadded base64url.
pub const CSRF_TOKEN_LEN: usize = 43;

/// What a CSRF token is bound to: values that change when the session does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CsrfContext<'a> {
    /// Unix seconds at which the session started (0 without a session).
    pub started_at: u64,
    /// The session's user, if it has one.
    pub user: Option<&'a str>,
    /// What else identifies this one session: a store-mode row's at-rest
    /// key, or a random nonce (a session without a user, or none at all).
    pub session: &'a [u8],
}

impl Keyring {
    /// A CSRF token for `spec`'s binding and `context`, under the primary
    /// secret.
    ///
    /// A [`verify_only`](Keyring::verify_only) keyring has no secret to make
    /// one with: the token is then empty, and no token ever verifies under
    /// it. [`try_csrf_token`](Self::try_csrf_token) says so instead.
    pub fn csrf_token(&self, spec: &SessionSpec, context: &CsrfContext<'_>) -> String {
        self.try_csrf_token(spec, context).unwrap_or_default()
    }

    /// [`csrf_token`](Self::csrf_token), refusing with
    /// [`SealError::VerifyOnly`] on a keyring that holds public keys only.
    pub fn try_csrf_token(
        &self,
        spec: &SessionSpec,
        context: &CsrfContext<'_>,
    ) -> Result<String, SealError> {
        let mac = self
            .csrf_macs(spec)
            .next()
            .map(|mac| feed(mac, context).finalize().into_bytes());
        mac.map(|tag| URL_SAFE_NO_PAD.encode(tag))
            .ok_or(SealError::VerifyOnly)
    }

    /// Whether `token` is the CSRF token of `spec`'s binding and `context`
    /// under the primary or a previous secret, compared in constant time.
    /// Anything that is not 43 base64url characters is refused before any
    /// MAC is computed.
    pub fn verify_csrf_token(
        &self,
        spec: &SessionSpec,
        context: &CsrfContext<'_>,
        token: &str,
    ) -> bool {
        let mut tag = [0u8; 32];
        if token.len() != CSRF_TOKEN_LEN
            || URL_SAFE_NO_PAD
                .decode_slice(token.as_bytes(), &mut tag)
                .ok()
                != Some(tag.len())
        {
            return false;
        }
        self.csrf_macs(spec)
            .any(|mac| feed(mac, context).verify_slice(&tag).is_ok())
    }
}

/// `mac` over the encoding of `context` (module docs).
fn feed(mut mac: HmacSha256, context: &CsrfContext<'_>) -> HmacSha256 {
    mac.update(&context.started_at.to_be_bytes());
    match context.user {
        Some(user) => {
            mac.update(&[1]);
            mac.update(&len16(user.as_bytes()));
            mac.update(user.as_bytes());
        }
        None => mac.update(&[0, 0, 0]),
    }
    mac.update(&len16(context.session));
    mac.update(context.session);
    mac
}

/// A length as two big-endian bytes; longer inputs (never made here: user
/// keys of revocable types are ≤ 1024 bytes, store keys 32) saturate, which
/// only makes their tokens collide with other over-long inputs.
fn len16(bytes: &[u8]) -> [u8; 2] {
    u16::try_from(bytes.len()).unwrap_or(u16::MAX).to_be_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SessionSecret;

    const ADMIN: SessionSpec = SessionSpec::builder("Admin", "admin", "admin").build();
    const TENANT: SessionSpec = SessionSpec::builder("Tenant", "tenant", "tenant").build();

    fn keyring_of(byte: u8) -> Keyring {
        Keyring::new(SessionSecret::from_bytes(&[byte; 32]).unwrap())
    }

    fn context<'a>(started_at: u64, user: Option<&'a str>, session: &'a [u8]) -> CsrfContext<'a> {
        CsrfContext {
            started_at,
            user,
            session,
        }
    }

    #[test]
    fn a_token_verifies_only_for_its_type_and_session() {
        let keyring = keyring_of(1);
        let ctx = context(1000, Some("42"), b"");
        let token = keyring.csrf_token(&ADMIN, &ctx);
        assert_eq!(token.len(), CSRF_TOKEN_LEN);
        assert!(keyring.verify_csrf_token(&ADMIN, &ctx, &token));
        assert!(!keyring.verify_csrf_token(&TENANT, &ctx, &token));
        for other in [
            context(1001, Some("42"), b""),
            context(1000, Some("43"), b""),
            context(1000, None, b""),
            context(1000, Some("42"), b"x"),
        ] {
            assert!(
                !keyring.verify_csrf_token(&ADMIN, &other, &token),
                "{other:?}"
            );
        }
        assert!(!keyring_of(2).verify_csrf_token(&ADMIN, &ctx, &token));
    }

    #[test]
    fn the_encoding_is_unambiguous() {
        let keyring = keyring_of(1);
        // A user that ends where the session part begins, and the reverse.
        let a = keyring.csrf_token(&ADMIN, &context(1, Some("ab"), b"c"));
        let b = keyring.csrf_token(&ADMIN, &context(1, Some("a"), b"bc"));
        assert_ne!(a, b);
        // Only the length prefixes tell these apart: the user's bytes run
        // into the session's.
        for filler in ["\0\0", "\u{1}\u{1}"] {
            let session = format!("{filler}b");
            let user = format!("a{filler}");
            let first = keyring.csrf_token(&ADMIN, &context(1, Some("a"), session.as_bytes()));
            let second = keyring.csrf_token(&ADMIN, &context(1, Some(&user), b"b"));
            assert_ne!(first, second, "{filler:?}");
        }
        // No user and an empty user differ.
        let none = keyring.csrf_token(&ADMIN, &context(1, None, b""));
        let empty = keyring.csrf_token(&ADMIN, &context(1, Some(""), b""));
        assert_ne!(none, empty);
    }

    #[test]
    fn tokens_under_a_previous_secret_verify_after_rotation() {
        let old = keyring_of(1);
        let ctx = context(1000, Some("42"), b"id");
        let token = old.csrf_token(&ADMIN, &ctx);
        let rotated = keyring_of(2).with_previous(SessionSecret::from_bytes(&[1; 32]).unwrap());
        assert!(rotated.verify_csrf_token(&ADMIN, &ctx, &token));
        assert_ne!(rotated.csrf_token(&ADMIN, &ctx), token);
    }

    #[test]
    fn a_verify_only_keyring_makes_no_token_and_verifies_none() {
        let keyring = keyring_of(1);
        let ctx = context(1000, Some("42"), b"");
        let token = keyring.csrf_token(&ADMIN, &ctx);
        assert_eq!(keyring.try_csrf_token(&ADMIN, &ctx).unwrap(), token);
        let public = Keyring::verify_only(keyring.verifying_keyring());
        assert!(matches!(
            public.try_csrf_token(&ADMIN, &ctx),
            Err(SealError::VerifyOnly)
        ));
        assert_eq!(public.csrf_token(&ADMIN, &ctx), "");
        assert!(!public.verify_csrf_token(&ADMIN, &ctx, &token));
        assert!(!public.verify_csrf_token(&ADMIN, &ctx, ""));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let keyring = keyring_of(1);
        let ctx = context(1000, Some("42"), b"");
        let token = keyring.csrf_token(&ADMIN, &ctx);
        let mut flipped = token.clone().into_bytes();
        flipped[10] = if flipped[10] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        let padded = format!("{token}=");
        for bad in [
            "",
            "short",
            &token[..42],
            &padded,
            &flipped,
            &"é".repeat(22),
        ] {
            assert!(!keyring.verify_csrf_token(&ADMIN, &ctx, bad), "{bad:?}");
        }
        // Any other last character: other bytes, or unused bits set
        // (non-canonical base64, refused by the decoder).
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for &c in alphabet.iter().filter(|c| **c != token.as_bytes()[42]) {
            let mut other = token.clone().into_bytes();
            other[42] = c;
            let other = String::from_utf8(other).unwrap();
            assert!(!keyring.verify_csrf_token(&ADMIN, &ctx, &other), "{other}");
        }
    }
}
