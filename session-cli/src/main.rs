//! `session-seal`: operate session-seal's secrets and look at its cookies.
//!
//! ```text
//! session-seal keygen                 a new secret for SESSION_SEAL_SECRET
//! session-seal rotate [--keep N]      the two lines of a key rotation
//! session-seal kid                    key ids of the configured secrets
//! ```
//!
//! Secrets come from `SESSION_SEAL_SECRET` / `SESSION_SEAL_PREVIOUS_SECRETS`,
//! or from files (`--secret-file`, `--previous-secrets-file`). Only `keygen`
//! and `rotate` ever print a secret: printing one is their purpose.
//!
//! Exit codes: 0 success; 1 a configuration problem (no secret, unreadable
//! file, bad base64); 2 a usage error.
#![forbid(unsafe_code)]

mod keys;
mod secrets;

use std::io::Write as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Operate session-seal: generate and rotate secrets, read key ids.
#[derive(Debug, Parser)]
#[command(name = "session-seal", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    sources: secrets::Sources,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a new random secret (base64url), ready for SESSION_SEAL_SECRET.
    #[command(after_help = "Example:\n  export SESSION_SEAL_SECRET=\"$(session-seal keygen)\"")]
    Keygen {
        /// Random bytes in the secret (at least 32).
        #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(32..=1024))]
        bytes: u16,
    },
    /// Print the environment of a key rotation: a new primary secret, and the
    /// current primary first among the previous secrets (then the key ids).
    #[command(
        after_help = "Example:\n  session-seal rotate --keep 2 > rotated.env\n\n\
        Deploy rotated.env; once the longest max_age of your session types has\n\
        passed, the oldest previous secret can be dropped."
    )]
    Rotate {
        /// How many previous secrets to keep (the oldest beyond this are dropped).
        #[arg(long, default_value_t = 2)]
        keep: usize,
    },
    /// Print the key id of each configured secret (to match a cookie's kid).
    #[command(after_help = "Example:\n  SESSION_SEAL_SECRET=... session-seal kid")]
    Kid,
}

/// A failure to report in one line, with its exit code.
#[derive(Debug)]
pub struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    /// A configuration problem: exit code 1.
    pub fn config(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: 1,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut out = std::io::stdout().lock();
    let result = match cli.command {
        Command::Keygen { bytes } => keys::keygen(&mut out, usize::from(bytes)),
        Command::Rotate { keep } => keys::rotate(&mut out, &cli.sources, keep),
        Command::Kid => keys::kid(&mut out, &cli.sources),
    };
    let _ = out.flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("session-seal: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
