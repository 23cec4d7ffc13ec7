//! Shared pieces of the benchmarks: the payload every case uses, the
//! hand-written floor (the least work any signed-cookie scheme can do), and
//! the peers' setups. Used by `benches/sessions.rs` and the `bench-server`
//! binary behind `http.sh`.
#![forbid(unsafe_code)]

use std::sync::Arc;

use axum_extra::extract::cookie::Key;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use session_seal::{Keyring, SessionSecret};
use sha2::Sha256;

/// The 149-byte payload of the benchmark issue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, session_seal::SessionPayload)]
#[session(cookie = "sid", namespace = "bench", max_age = "1d")]
pub struct BenchSession {
    /// A large user id.
    pub user_id: u64,
    /// Tenant slug.
    pub tenant: String,
    /// Role names.
    pub roles: Vec<String>,
    /// A CSRF token.
    pub csrf: String,
    /// When the user logged in.
    pub issued_at: u64,
}

session_seal::registry! {
    /// The one session type of the benchmarks.
    pub struct BenchSessions { BenchSession }
}

/// The benchmark payload.
pub fn payload() -> BenchSession {
    BenchSession {
        user_id: 4_242_424_242,
        tenant: "acme-widgets".into(),
        roles: vec!["admin".into(), "billing".into(), "support".into()],
        csrf: "9f86d081884c7d659a2feaa0c55ad015".into(),
        issued_at: 1_732_291_200,
    }
}

/// Fixed secret bytes, so runs are comparable.
pub const SECRET: [u8; 64] = [0x5a; 64];

/// session-seal's keyring over [`SECRET`], keys derived for [`BenchSessions`].
pub fn keyring() -> Keyring {
    let keyring =
        Keyring::new(SessionSecret::from_bytes(&SECRET).unwrap_or_else(|_| unreachable!()));
    keyring.prepare(&[<BenchSession as session_seal::SessionPayload>::SPEC]);
    keyring
}

/// axum-extra's cookie key over [`SECRET`].
pub fn jar_key() -> Key {
    Key::from(&SECRET)
}

/// The floor: serde_json, a pre-keyed HMAC-SHA256 state cloned per
/// operation, base64url. `P "." T` with the MAC over `P`. No binding, no
/// expiry, no version: what session-seal must not be much slower than.
#[derive(Clone)]
pub struct Floor {
    state: Arc<Hmac<Sha256>>,
}

impl Default for Floor {
    fn default() -> Self {
        Self::new()
    }
}

impl Floor {
    /// Keys the MAC once.
    pub fn new() -> Self {
        let state = Hmac::<Sha256>::new_from_slice(&SECRET).unwrap_or_else(|_| unreachable!());
        Floor {
            state: Arc::new(state),
        }
    }

    /// Serializes, encodes and MACs `payload`.
    pub fn sign(&self, payload: &BenchSession) -> String {
        let json = serde_json::to_vec(payload).unwrap_or_default();
        let mut out = String::with_capacity(json.len() * 4 / 3 + 48);
        URL_SAFE_NO_PAD.encode_string(&json, &mut out);
        let mut mac = (*self.state).clone();
        mac.update(out.as_bytes());
        let tag = mac.finalize().into_bytes();
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(tag, &mut out);
        out
    }

    /// Checks the MAC, then decodes and deserializes.
    pub fn verify(&self, value: &str) -> Option<BenchSession> {
        let (payload, tag_text) = value.rsplit_once('.')?;
        let mut tag = [0u8; 34];
        let written = URL_SAFE_NO_PAD.decode_slice(tag_text, &mut tag).ok()?;
        let mut mac = (*self.state).clone();
        mac.update(payload.as_bytes());
        mac.verify_slice(tag.get(..written)?).ok()?;
        let json = URL_SAFE_NO_PAD.decode(payload).ok()?;
        serde_json::from_slice(&json).ok()
    }
}

/// The `name=value` of the first `Set-Cookie` of `response` (what a browser
/// sends back), for setting up the peers' cookies.
pub fn sent_back_cookie(response: &axum::response::Response) -> String {
    response
        .headers()
        .get(http::header::SET_COOKIE)
        .and_then(|value| value.to_str().ok())
        .and_then(|line| line.split(';').next())
        .unwrap_or_default()
        .to_owned()
}
