//! `keygen`, `rotate`, `kid` and `pubkey`: the secret-handling commands.

use std::io::Write;
use std::path::Path;

use rand::TryRngCore as _;
use rand::rngs::OsRng;
use session_core::{
    KeyId, Keyring, PREVIOUS_SECRETS_VAR, PUBLIC_KEYS_VAR, PublicKey, SECRET_VAR, SessionSecret,
};
use zeroize::Zeroizing;

use crate::Failure;
use crate::files;
use crate::secrets::Sources;

/// A fresh secret of `bytes` random bytes from the OS.
fn fresh_secret(bytes: usize) -> Result<SessionSecret, Failure> {
    let mut raw = Zeroizing::new(vec![0u8; bytes]);
    OsRng.try_fill_bytes(&mut raw).map_err(|error| {
        Failure::config(format!("the OS random number generator failed: {error}"))
    })?;
    SessionSecret::from_bytes(&raw).map_err(|error| Failure::config(error.to_string()))
}

/// The key id a keyring of just `secret` gives it.
fn key_id(secret: &SessionSecret) -> KeyId {
    Keyring::new(secret.clone()).primary_key_id()
}

/// A failure to write the output (a closed pipe, a full disk).
fn write_failed(error: std::io::Error) -> Failure {
    Failure::config(format!("cannot write the output: {error}"))
}

/// Runs a command that prints secrets (`render`), onto `out`, or, given
/// `output`, into a new file there that only its owner can read (see
/// [`files::write_new_private_file`]): a shell's `> file` would create it
/// with the umask's mode, typically readable by everyone.
pub fn emit(
    out: &mut impl Write,
    output: Option<&Path>,
    render: impl FnOnce(&mut Vec<u8>) -> Result<(), Failure>,
) -> Result<(), Failure> {
    match output {
        Some(path) => files::write_new_private_file(path, render),
        None => {
            let mut text = Zeroizing::new(Vec::with_capacity(4096));
            render(&mut text)?;
            out.write_all(&text).map_err(write_failed)
        }
    }
}

/// Prints one new secret.
pub fn keygen(out: &mut impl Write, bytes: usize) -> Result<(), Failure> {
    let secret = fresh_secret(bytes)?;
    writeln!(out, "{}", secret.to_base64().as_str()).map_err(write_failed)
}

/// Prints the two environment lines of a rotation on stdout, and the key
/// ids on stderr (so stdout can go straight into an env file).
pub fn rotate(out: &mut impl Write, sources: &Sources, keep: usize) -> Result<(), Failure> {
    let current = sources.load()?;
    let new = fresh_secret(32)?;
    let mut previous = vec![current.primary];
    previous.extend(current.previous);
    let dropped = previous.split_off(keep.min(previous.len()));

    let list: Vec<Zeroizing<String>> = previous.iter().map(SessionSecret::to_base64).collect();
    let list = Zeroizing::new(
        list.iter()
            .map(|secret| secret.as_str())
            .collect::<Vec<_>>()
            .join(","),
    );
    writeln!(out, "{SECRET_VAR}={}", new.to_base64().as_str()).map_err(write_failed)?;
    writeln!(out, "{PREVIOUS_SECRETS_VAR}={}", list.as_str()).map_err(write_failed)?;

    eprintln!("primary   {}  (new)", key_id(&new));
    for (index, secret) in previous.iter().enumerate() {
        let note = if index == 0 { "  (was primary)" } else { "" };
        eprintln!("previous  {}{note}", key_id(secret));
    }
    for secret in &dropped {
        eprintln!("dropped   {}  (beyond --keep {keep})", key_id(secret));
    }
    Ok(())
}

/// Prints the key id of each configured secret.
pub fn kid(out: &mut impl Write, sources: &Sources) -> Result<(), Failure> {
    let secrets = sources.load()?;
    writeln!(out, "primary   {}", key_id(&secrets.primary)).map_err(write_failed)?;
    for secret in &secrets.previous {
        writeln!(out, "previous  {}", key_id(secret)).map_err(write_failed)?;
    }
    Ok(())
}

/// The Ed25519 public key a keyring of just `secret` signs asymmetric
/// values with.
pub fn public_key(secret: &SessionSecret) -> PublicKey {
    Keyring::new(secret.clone()).public_key()
}

/// Prints the public key of each configured secret, the primary first: one
/// per line, or one `SESSION_SEAL_PUBLIC_KEYS=...` line with `env`.
pub fn pubkey(
    out: &mut impl Write,
    sources: &Sources,
    primary_only: bool,
    env: bool,
) -> Result<(), Failure> {
    let secrets = sources.load()?;
    let mut keys = vec![public_key(&secrets.primary)];
    if !primary_only {
        keys.extend(secrets.previous.iter().map(public_key));
    }
    let mut texts: Vec<String> = Vec::with_capacity(keys.len());
    for key in keys {
        let text = key.to_base64();
        // A previous secret equal to the primary (or another) adds nothing.
        if !texts.contains(&text) {
            texts.push(text);
        }
    }
    if env {
        writeln!(out, "{PUBLIC_KEYS_VAR}={}", texts.join(",")).map_err(write_failed)
    } else {
        texts
            .iter()
            .try_for_each(|text| writeln!(out, "{text}"))
            .map_err(write_failed)
    }
}
