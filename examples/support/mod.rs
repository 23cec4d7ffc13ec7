//! Start-up pieces the examples share: the keyring and the port.

use session_seal::{Keyring, KeyringError, SessionSecret, Tier};

/// The keyring from the environment, or an ephemeral development key (with a
/// note saying how to set a stable one) when `SESSION_SEAL_SECRET` is unset.
pub fn keyring() -> Result<Keyring, KeyringError> {
    if std::env::var_os(session_seal::SECRET_VAR).is_some() {
        return Keyring::from_env();
    }
    println!(
        "note: SESSION_SEAL_SECRET is not set, using an ephemeral development key \
         (sessions end when the server stops).\n      For a stable key: \
         export SESSION_SEAL_SECRET=$(openssl rand -base64 32)"
    );
    Ok(Keyring::new(SessionSecret::generate()).with_tier(Tier::Development))
}

/// `PORT`, or 3000.
pub fn port() -> Result<u16, String> {
    match std::env::var("PORT") {
        Ok(port) => port
            .parse::<u16>()
            .map_err(|_| format!("PORT={port} is not a port number")),
        Err(_) => Ok(3000),
    }
}
