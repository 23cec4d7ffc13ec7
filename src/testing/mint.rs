//! Minting session cookies for tests, without going through a login route.

use session_core::fingerprint::ClientSignals;
use session_core::{Keyring, SealError, SessionPayload, StoreError};

/// Why a test session could not be minted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MintError {
    /// The payload could not be sealed or encoded.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// The store refused the row.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A row already exists under the fresh id (practically impossible).
    #[error("a session row already exists under the minted id")]
    Conflict,
    /// A store-mode mint for a cookie-mode type.
    #[error("`{type_name}` is a cookie-mode session; use with_session")]
    NotStored {
        /// The session type.
        type_name: &'static str,
    },
}

/// The `Cookie` request header pair (`name=value`) of `payload` sealed at
/// `issued_at` under `keyring`, for tests that build requests themselves.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use session_seal::{Keyring, SessionPayload, SessionSecret};
///
/// #[derive(Serialize, Deserialize, SessionPayload)]
/// #[session(cookie = "sid", namespace = "app")]
/// struct Login { user: u64 }
///
/// let keyring = Keyring::new(SessionSecret::generate());
/// let pair = session_seal::testing::cookie_pair(&keyring, &Login { user: 7 }, 1_700_000_000)?;
/// assert!(pair.starts_with("sid="));
/// # Ok::<(), session_seal::SealError>(())
/// ```
pub fn cookie_pair<T: SessionPayload>(
    keyring: &Keyring,
    payload: &T,
    issued_at: u64,
) -> Result<String, SealError> {
    let value = seal_for_test_client(keyring, payload, issued_at)?;
    Ok(format!("{}={value}", T::SPEC.cookie()))
}

/// `payload` sealed at `issued_at`; for a type that binds a client
/// fingerprint, bound to a client that sends neither `User-Agent` nor
/// `Accept-Language` (as the test client's requests, unless a test adds
/// them).
pub(crate) fn seal_for_test_client<T: SessionPayload>(
    keyring: &Keyring,
    payload: &T,
    issued_at: u64,
) -> Result<String, SealError> {
    let fingerprint = T::SPEC
        .binds_fingerprint()
        .then(|| keyring.fingerprint(&T::SPEC, &ClientSignals::default()));
    keyring.reseal_bound_at(payload, fingerprint.as_ref(), issued_at, issued_at)
}
