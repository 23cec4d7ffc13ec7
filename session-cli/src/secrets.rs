//! Where the CLI finds secrets: files given on the command line, else the
//! same environment variables the library reads.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use session_core::{PREVIOUS_SECRETS_VAR, SECRET_VAR, SessionSecret};
use zeroize::Zeroizing;

use crate::Failure;
use crate::files;

/// The secrets to work with: the primary and the previous ones, in order.
pub struct Secrets {
    /// The one new values are sealed with.
    pub primary: SessionSecret,
    /// The ones values may still be opened with, newest first.
    pub previous: Vec<SessionSecret>,
}

/// Where to read them from.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct Sources {
    /// Read the primary secret from this file instead of SESSION_SEAL_SECRET.
    #[arg(long, value_name = "PATH", global = true)]
    pub secret_file: Option<PathBuf>,
    /// Read the previous secrets (comma- or newline-separated) from this file
    /// instead of SESSION_SEAL_PREVIOUS_SECRETS.
    #[arg(long, value_name = "PATH", global = true)]
    pub previous_secrets_file: Option<PathBuf>,
    /// Read secret files that group or others can access (mode & 077), with
    /// a warning, instead of refusing them (the fix: chmod 600 FILE).
    #[arg(long, global = true)]
    pub allow_insecure_secret_file: bool,
}

impl Sources {
    /// Whether a primary secret is configured at all (file or environment).
    pub fn is_configured(&self) -> bool {
        self.secret_file.is_some() || std::env::var_os(SECRET_VAR).is_some_and(|v| !v.is_empty())
    }

    /// Loads the primary secret (required) and the previous ones (optional).
    pub fn load(&self) -> Result<Secrets, Failure> {
        let primary_text = match &self.secret_file {
            Some(path) => self.read_file(path)?,
            None => read_var(SECRET_VAR)?.ok_or_else(|| {
                Failure::config(format!(
                    "no secret: set {SECRET_VAR} or pass --secret-file (make one with `session-seal keygen`)"
                ))
            })?,
        };
        let primary = SessionSecret::from_base64(primary_text.trim())
            .map_err(|error| Failure::config(format!("the primary secret is unusable: {error}")))?;
        let previous_text = match &self.previous_secrets_file {
            Some(path) => Some(self.read_file(path)?),
            None => read_var(PREVIOUS_SECRETS_VAR)?,
        };
        let mut previous = Vec::new();
        if let Some(list) = previous_text {
            for (index, entry) in list
                .split([',', '\n'])
                .map(str::trim)
                .filter(|entry| !entry.is_empty())
                .enumerate()
            {
                let secret = SessionSecret::from_base64(entry).map_err(|error| {
                    Failure::config(format!(
                        "previous secret #{} is unusable: {error}",
                        index + 1
                    ))
                })?;
                previous.push(secret);
            }
        }
        Ok(Secrets { primary, previous })
    }

    /// Reads a secrets file, refusing one others can access unless allowed.
    fn read_file(&self, path: &Path) -> Result<Zeroizing<String>, Failure> {
        files::read_secret_file(path, self.allow_insecure_secret_file)
    }
}

/// An environment variable, if set; an error if it is not UTF-8.
fn read_var(name: &str) -> Result<Option<Zeroizing<String>>, Failure> {
    match std::env::var_os(name) {
        None => Ok(None),
        Some(value) => OsString::into_string(value)
            .map(|text| Some(Zeroizing::new(text)))
            .map_err(|_| Failure::config(format!("{name} is not valid UTF-8"))),
    }
}
