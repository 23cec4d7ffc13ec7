//! Client fingerprints: binding a session to the browser that logged in.
//!
//! A type declared `#[session(fingerprint)]` records, at login, a keyed
//! hash of two request headers that a browser sends unchanged on every
//! request and that differ between browser families and installations:
//! `User-Agent` and `Accept-Language`. Every later request computes the
//! same hash and compares; a difference means the session's cookie came
//! from another browser (a hijack signal), and the adapter then treats the
//! session as absent (and ends it in store mode) or only reports it, as
//! configured.
//!
//! The hash is
//!
//! ```text
//! F = first 16 bytes of HMAC-SHA256(K, len16(user_agent) ‖ user_agent
//!                                     ‖ len16(accept_language) ‖ accept_language)
//! ```
//!
//! with `K` the binding's fingerprint key (HKDF info
//! `"session-seal/v1 fingerprint" 0x00 ‖ B`, see [`crate::wire`]), the
//! header values as raw bytes (an absent header is empty; a value longer
//! than [`MAX_SIGNAL_LEN`] counts by its first `MAX_SIGNAL_LEN` bytes) and
//! `len16` their length as two big-endian bytes. Keyed, not a bare
//! SHA-256: a reader of the session store cannot test guesses of a
//! user's browser against it, and a value from one session type means
//! nothing for another.
//!
//! Where `F` is kept:
//! - **store mode**: in the session's row
//!   ([`SessionMeta::fingerprint`](crate::store::SessionMeta::fingerprint));
//!   16 bytes per row.
//! - **cookie mode**: inside the sealed value, authenticated with it: the
//!   payload bytes (format 1's decoded `P`, format 2's plaintext) are
//!   `F ‖ JSON` instead of `JSON`. Nothing is stored on the server, the
//!   value grows by 22 base64url characters, and `F` cannot be changed
//!   without the key. [`Opened::fingerprint`](crate::Opened::fingerprint)
//!   returns it.
//!
//! Values made under a previous secret still match while that secret is
//! kept ([`Keyring::fingerprint_matches`] tries each key, primary first).
//!
//! What it stops and what it does not: a cookie copied into another
//! browser, or stolen by malware that replays it from its own HTTP client,
//! fails the check. An attacker who copies the headers too passes it:
//! both are sent with every request and are not secret. A browser update
//! changes `User-Agent`, and a change of language settings changes
//! `Accept-Language`: the user is asked to log in again, by design.

use hmac::Mac as _;
use subtle::ConstantTimeEq as _;

use crate::keyring::Keyring;
use crate::spec::SessionSpec;
use crate::wire::HmacSha256;

/// The bytes of a header value that count (a longer value is cut): more
/// than any browser sends, so the cut only bounds the hashing work an
/// attacker can cause.
pub const MAX_SIGNAL_LEN: usize = 1024;

/// The length of a [`Fingerprint`] in bytes.
pub const FINGERPRINT_LEN: usize = 16;

/// What a request says about its browser, as the fingerprint reads it.
#[derive(Clone, Copy, Default)]
pub struct ClientSignals<'a> {
    /// The `User-Agent` header's bytes (empty when absent).
    pub user_agent: &'a [u8],
    /// The `Accept-Language` header's bytes (empty when absent).
    pub accept_language: &'a [u8],
}

impl std::fmt::Debug for ClientSignals<'_> {
    /// Lengths only: the values are personal data.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSignals")
            .field("user_agent_len", &self.user_agent.len())
            .field("accept_language_len", &self.accept_language.len())
            .finish()
    }
}

/// A keyed hash of a browser's [`ClientSignals`] for one session type (see
/// the [module docs](self)). `Debug` does not show its bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; FINGERPRINT_LEN]);

impl Fingerprint {
    /// The fingerprint with these bytes, as a store read them back.
    pub const fn from_bytes(bytes: [u8; FINGERPRINT_LEN]) -> Self {
        Fingerprint(bytes)
    }

    /// The fingerprint in `bytes`, if there are exactly
    /// [`FINGERPRINT_LEN`] of them.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Fingerprint)
    }

    /// Its bytes, to store.
    pub const fn as_bytes(&self) -> &[u8; FINGERPRINT_LEN] {
        &self.0
    }
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fingerprint(<redacted>)")
    }
}

impl Keyring {
    /// The fingerprint of `signals` for `spec`'s binding, under the
    /// primary secret: what a login records.
    pub fn fingerprint(&self, spec: &SessionSpec, signals: &ClientSignals<'_>) -> Fingerprint {
        let mut macs = self.fingerprint_macs(spec);
        // The primary secret is always first.
        match macs.next() {
            Some(mac) => compute(mac, signals),
            None => Fingerprint([0; FINGERPRINT_LEN]),
        }
    }

    /// Whether `recorded` is the fingerprint of `signals` for `spec`'s
    /// binding under the primary or a previous secret, compared in
    /// constant time.
    pub fn fingerprint_matches(
        &self,
        spec: &SessionSpec,
        recorded: &Fingerprint,
        signals: &ClientSignals<'_>,
    ) -> bool {
        self.fingerprint_macs(spec).any(|mac| {
            let candidate = compute(mac, signals);
            bool::from(candidate.0.ct_eq(&recorded.0))
        })
    }
}

/// `mac` over the encoding of `signals` (module docs), cut to 16 bytes.
fn compute(mut mac: HmacSha256, signals: &ClientSignals<'_>) -> Fingerprint {
    for signal in [signals.user_agent, signals.accept_language] {
        let signal = signal.get(..MAX_SIGNAL_LEN).unwrap_or(signal);
        // At most MAX_SIGNAL_LEN, so it fits in two bytes.
        let len = u16::try_from(signal.len()).unwrap_or(u16::MAX);
        mac.update(&len.to_be_bytes());
        mac.update(signal);
    }
    let tag: [u8; 32] = mac.finalize().into_bytes().into();
    #[allow(clippy::expect_used)] // A 32-byte tag always holds 16 bytes.
    let (out, _) = tag
        .split_first_chunk::<FINGERPRINT_LEN>()
        .expect("HMAC-SHA256 gives 32 bytes");
    Fingerprint(*out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SessionSecret;

    const SPEC: SessionSpec = SessionSpec::builder("T", "sid", "app")
        .fingerprint()
        .build();
    const OTHER: SessionSpec = SessionSpec::builder("U", "other", "app")
        .fingerprint()
        .build();

    fn keyring(byte: u8) -> Keyring {
        Keyring::new(SessionSecret::from_bytes(&[byte; 32]).expect("32 bytes"))
    }

    const FIREFOX: ClientSignals<'static> = ClientSignals {
        user_agent: b"Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
        accept_language: b"en-GB,en;q=0.5",
    };

    #[test]
    fn the_same_browser_matches_and_another_does_not() {
        let keys = keyring(1);
        let recorded = keys.fingerprint(&SPEC, &FIREFOX);
        assert!(keys.fingerprint_matches(&SPEC, &recorded, &FIREFOX));
        let other_agent = ClientSignals {
            user_agent: b"curl/8.5.0",
            ..FIREFOX
        };
        assert!(!keys.fingerprint_matches(&SPEC, &recorded, &other_agent));
        let other_language = ClientSignals {
            accept_language: b"de-DE",
            ..FIREFOX
        };
        assert!(!keys.fingerprint_matches(&SPEC, &recorded, &other_language));
    }

    #[test]
    fn fields_cannot_slide_into_each_other() {
        let keys = keyring(1);
        let a = ClientSignals {
            user_agent: b"ab",
            accept_language: b"c",
        };
        let b = ClientSignals {
            user_agent: b"a",
            accept_language: b"bc",
        };
        assert_ne!(keys.fingerprint(&SPEC, &a), keys.fingerprint(&SPEC, &b));
    }

    #[test]
    fn it_is_keyed_per_secret_and_per_binding() {
        let recorded = keyring(1).fingerprint(&SPEC, &FIREFOX);
        assert_ne!(recorded, keyring(2).fingerprint(&SPEC, &FIREFOX));
        assert_ne!(recorded, keyring(1).fingerprint(&OTHER, &FIREFOX));
        assert!(!keyring(2).fingerprint_matches(&SPEC, &recorded, &FIREFOX));
    }

    #[test]
    fn a_previous_secret_still_matches() {
        let old = keyring(1);
        let recorded = old.fingerprint(&SPEC, &FIREFOX);
        let rotated = keyring(2).with_previous(SessionSecret::from_bytes(&[1; 32]).expect("32"));
        assert!(rotated.fingerprint_matches(&SPEC, &recorded, &FIREFOX));
        assert_ne!(rotated.fingerprint(&SPEC, &FIREFOX), recorded);
    }

    #[test]
    fn it_is_the_documented_construction() {
        // Recomputed from the module docs with the HKDF and HMAC crates
        // directly, not through the keyring.
        let secret = [7u8; 32];
        let hkdf = hkdf::Hkdf::<sha2::Sha256>::new(Some(b"session-seal/v1"), &secret);
        let mut info = b"session-seal/v1 fingerprint\x00".to_vec();
        info.extend_from_slice(&[3]);
        info.extend_from_slice(b"app");
        info.extend_from_slice(&[3]);
        info.extend_from_slice(b"sid");
        let mut key = [0u8; 32];
        hkdf.expand(&info, &mut key).expect("32 bytes");
        let mut mac = <HmacSha256 as hmac::Mac>::new_from_slice(&key).expect("any length");
        mac.update(
            &u16::try_from(FIREFOX.user_agent.len())
                .expect("short")
                .to_be_bytes(),
        );
        mac.update(FIREFOX.user_agent);
        mac.update(
            &u16::try_from(FIREFOX.accept_language.len())
                .expect("short")
                .to_be_bytes(),
        );
        mac.update(FIREFOX.accept_language);
        let expected = mac.finalize().into_bytes();
        let got = keyring(7).fingerprint(&SPEC, &FIREFOX);
        assert_eq!(got.as_bytes()[..], expected[..16]);
    }

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Bound {
        user: u64,
    }

    impl crate::SessionPayload for Bound {
        const SPEC: SessionSpec = SPEC;
    }

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct BoundEncrypted {
        user: u64,
    }

    impl crate::SessionPayload for BoundEncrypted {
        const SPEC: SessionSpec = SessionSpec::builder("E", "enc", "enc")
            .encrypted()
            .absolute_max_age_secs(86_400)
            .fingerprint()
            .build();
    }

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Plain {
        user: u64,
    }

    impl crate::SessionPayload for Plain {
        const SPEC: SessionSpec = SessionSpec::builder("P", "plain", "plain").build();
    }

    const NOW: u64 = 1_760_000_000;

    #[test]
    fn a_cookie_mode_value_carries_its_fingerprint_authenticated() {
        let keys = keyring(1);
        let fingerprint = keys.fingerprint(&SPEC, &FIREFOX);
        let value = keys
            .reseal_bound_at(&Bound { user: 7 }, Some(&fingerprint), NOW, NOW)
            .expect("sealed");
        let opened = keys.open_at::<Bound>(&value, NOW + 1).expect("opens");
        assert_eq!(opened.payload, Bound { user: 7 });
        assert_eq!(opened.fingerprint, Some(fingerprint));

        let secret = keys
            .reseal_bound_at(&BoundEncrypted { user: 8 }, Some(&fingerprint), NOW, NOW)
            .expect("sealed");
        let opened = keys
            .open_at::<BoundEncrypted>(&secret, NOW + 1)
            .expect("opens");
        assert_eq!(
            (opened.payload.user, opened.fingerprint),
            (8, Some(fingerprint))
        );

        // Without one, a bound type is not sealed at all.
        assert!(matches!(
            keys.reseal_at(&Bound { user: 7 }, NOW, NOW),
            Err(crate::SealError::MissingFingerprint { type_name: "T" })
        ));
        // A type that binds none carries none, whatever it is given.
        let plain = keys.reseal_bound_at(&Plain { user: 9 }, Some(&fingerprint), NOW, NOW);
        let opened = keys
            .open_at::<Plain>(&plain.expect("sealed"), NOW + 1)
            .expect("opens");
        assert_eq!((opened.payload.user, opened.fingerprint), (9, None));
    }

    #[test]
    fn a_store_mode_id_cookie_carries_no_fingerprint() {
        // The row keeps a store-mode type's fingerprint; its id cookie is
        // sealed and opened as any other type's.
        const STORED: SessionSpec = SessionSpec::builder("S", "sid", "app")
            .store()
            .fingerprint()
            .build();
        let keys = keyring(1);
        let id = crate::store::SessionId::generate_for("app", None);
        let value = keys.seal_id_at(&STORED, &id, NOW, NOW).expect("sealed");
        let opened = keys.open_id_at(&STORED, &value, NOW + 1).expect("opens");
        assert_eq!(opened.payload, id);
        assert_eq!(opened.fingerprint, None);
    }

    #[test]
    fn long_headers_count_by_their_first_bytes() {
        let keys = keyring(1);
        let long = vec![b'a'; MAX_SIGNAL_LEN + 500];
        let cut = ClientSignals {
            user_agent: &long[..MAX_SIGNAL_LEN],
            accept_language: b"",
        };
        let whole = ClientSignals {
            user_agent: &long,
            accept_language: b"",
        };
        assert_eq!(
            keys.fingerprint(&SPEC, &cut),
            keys.fingerprint(&SPEC, &whole)
        );
    }

    #[test]
    fn debug_shows_no_bytes() {
        let fingerprint = Fingerprint::from_bytes([0xab; FINGERPRINT_LEN]);
        assert_eq!(format!("{fingerprint:?}"), "Fingerprint(<redacted>)");
        let shown = format!("{FIREFOX:?}");
        assert!(!shown.contains("Mozilla"), "{shown}");
        assert_eq!(
            shown,
            format!(
                "ClientSignals {{ user_agent_len: {}, accept_language_len: 14 }}",
                FIREFOX.user_agent.len()
            )
        );
        assert_eq!(Fingerprint::from_slice(&[1; 15]), None);
        assert_eq!(
            Fingerprint::from_slice(&[1; 16]),
            Some(Fingerprint::from_bytes([1; 16]))
        );
    }
}
