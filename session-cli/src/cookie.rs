//! `inspect` and `verify`: looking at a cookie value.

use std::ffi::OsStr;
use std::io::{Read as _, Write};

use session_core::unix_now;
use session_core::{Inspection, WireFormat, inspect};
use session_core::{KeyId, Keyring, SessionSecret, SessionSpec};

use crate::Failure;
use crate::escape::escape_non_printing;
use crate::secrets::{Secrets, Sources};
use crate::time::{relative, rfc3339};

/// The longest a session can last (browsers keep cookies at most 400 days):
/// `verify` has no type, so only the value's own expiry limits it.
const LONGEST_MAX_AGE_SECS: u64 = 400 * 86_400;

/// Reads the value: the argument, or standard input for `-`. A pasted
/// `name=value` pair is accepted (base64url never contains `=`).
///
/// Text that is not UTF-8 is a malformed value (exit code 3), like any other
/// value that is not base64url, wherever it comes from; only failing to read
/// standard input at all is a problem of the setup (exit code 1).
fn read_value(argument: &OsStr) -> Result<String, Failure> {
    let text = if argument == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|error| Failure::config(format!("cannot read standard input: {error}")))?;
        String::from_utf8(bytes)
            .map_err(|_| Failure::malformed("standard input is not UTF-8 text"))?
    } else {
        argument
            .to_str()
            .ok_or_else(|| Failure::malformed("the value is not UTF-8 text"))?
            .to_owned()
    };
    let text = text.trim();
    let value = text.split_once('=').map_or(text, |(_, value)| value.trim());
    Ok(value.to_owned())
}

/// A failure to write the output (a closed pipe, a full disk).
fn write_failed(error: std::io::Error) -> Failure {
    Failure::config(format!("cannot write the output: {error}"))
}

/// How `kid` relates to the configured secrets, if any are configured.
fn key_note(kid: KeyId, secrets: Option<&Secrets>) -> &'static str {
    let Some(secrets) = secrets else {
        return "";
    };
    // A format 3 value carries its public key's id, any other the secret's.
    let id_of = |secret: SessionSecret| {
        let keyring = Keyring::new(secret);
        keyring.primary_key_id() == kid || keyring.public_key().key_id() == kid
    };
    if id_of(secrets.primary.clone()) {
        " (the primary secret)"
    } else if secrets.previous.iter().any(|s| id_of(s.clone())) {
        " (a previous secret)"
    } else {
        " (no configured secret)"
    }
}

/// The header fields, one per line.
fn write_fields(
    out: &mut impl Write,
    seen: &Inspection,
    secrets: Option<&Secrets>,
    now: u64,
) -> std::io::Result<()> {
    writeln!(out, "format   {}", seen.format.label())?;
    writeln!(
        out,
        "kid      {}{}",
        seen.key_id,
        key_note(seen.key_id, secrets)
    )?;
    writeln!(out, "version  {}", seen.version)?;
    for (name, at) in [
        ("issued ", seen.issued_at),
        ("expires", seen.expires_at),
        ("started", seen.started_at),
    ] {
        writeln!(out, "{name}  {} ({})", rfc3339(at), relative(at, now))?;
    }
    Ok(())
}

/// A payload as pretty JSON, with every non-printing character in it
/// escaped (`\u009b`): it came off the wire, and must not drive the
/// terminal. Line by line, so the pretty-printer's own line breaks stay; the
/// result is still JSON, decoding to the same value.
fn write_json(out: &mut impl Write, json: &serde_json::Value) -> std::io::Result<()> {
    let pretty = serde_json::to_string_pretty(json).unwrap_or_else(|_| json.to_string());
    for line in pretty.lines() {
        writeln!(out, "{}", escape_non_printing(line))?;
    }
    Ok(())
}

/// `inspect`: the header, and a signed value's payload, labelled unverified.
pub fn run_inspect(
    out: &mut impl Write,
    sources: &Sources,
    argument: &OsStr,
) -> Result<(), Failure> {
    let value = read_value(argument)?;
    let seen = inspect(&value).map_err(|error| Failure::invalid(&error))?;
    // Secrets are optional here: with them, the key id is matched.
    let secrets = if sources.is_configured() {
        Some(sources.load()?)
    } else {
        None
    };
    let now = unix_now();
    write_fields(out, &seen, secrets.as_ref(), now).map_err(write_failed)?;
    match (&seen.format, &seen.payload) {
        (WireFormat::Signed | WireFormat::Asymmetric, Some(payload)) => {
            writeln!(
                out,
                "payload  UNVERIFIED (anyone can write this; `session-seal verify` checks it):"
            )
            .map_err(write_failed)?;
            match serde_json::from_slice::<serde_json::Value>(payload) {
                Ok(json) => write_json(out, &json).map_err(write_failed)?,
                Err(_) => {
                    writeln!(out, "<not JSON: {} bytes>", payload.len()).map_err(write_failed)?
                }
            }
        }
        _ => writeln!(
            out,
            "payload  encrypted (`session-seal verify` decrypts it)"
        )
        .map_err(write_failed)?,
    }
    Ok(())
}

/// What `verify` checks a value against.
pub struct Binding<'a> {
    /// The session type's cookie name.
    pub cookie: &'a str,
    /// The session type's namespace.
    pub namespace: &'a str,
    /// The unix time to check at, if not now.
    pub now: Option<u64>,
}

/// `verify`: opens the value for real with the configured secrets.
pub fn run_verify(
    out: &mut impl Write,
    sources: &Sources,
    argument: &OsStr,
    binding: &Binding<'_>,
) -> Result<(), Failure> {
    let secrets = sources.load()?;
    let value = read_value(argument)?;
    // The header says which format to open it as (a value of the other
    // format would be `Malformed` for the type anyway).
    let format = inspect(&value).map_or(WireFormat::Signed, |seen| seen.format);
    let spec = spec_for(binding, format)?;
    let mut keyring = Keyring::new(secrets.primary.clone());
    for previous in &secrets.previous {
        keyring = keyring.with_previous(previous.clone());
    }
    let now = binding.now.unwrap_or_else(unix_now);
    let opened = keyring
        .open_json_at(&spec, &value, now)
        .map_err(|error| Failure::invalid(&error))?;
    let seen = inspect(&value).map_err(|error| Failure::invalid(&error))?;
    writeln!(out, "valid").map_err(write_failed)?;
    write_fields(out, &seen, Some(&secrets), now).map_err(write_failed)?;
    writeln!(out, "payload  verified:").map_err(write_failed)?;
    write_json(out, &opened.payload).map_err(write_failed)
}

/// A spec for the binding the user named; names the rules they broke.
fn spec_for(binding: &Binding<'_>, format: WireFormat) -> Result<SessionSpec, Failure> {
    // A spec holds `&'static str`s; the process ends right after.
    let cookie: &'static str = Box::leak(binding.cookie.to_owned().into_boxed_str());
    let namespace: &'static str = Box::leak(binding.namespace.to_owned().into_boxed_str());
    let builder = SessionSpec::builder("session-seal verify", cookie, namespace)
        .max_age_secs(LONGEST_MAX_AGE_SECS)
        .secure(true);
    let builder = match format {
        WireFormat::Encrypted => builder.encrypted(),
        WireFormat::Asymmetric => builder.asymmetric(),
        _ => builder,
    };
    builder
        .try_build()
        .map_err(|error| Failure::usage(format!("--cookie/--namespace: {}", error.message())))
}
