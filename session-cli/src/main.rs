//! `session-seal`: operate session-seal's secrets and look at its cookies.
//!
//! ```text
//! session-seal keygen                 a new secret for SESSION_SEAL_SECRET
//! session-seal rotate [--keep N]      the two lines of a key rotation
//! session-seal kid                    key ids of the configured secrets
//! session-seal inspect VALUE|-        a cookie's header (and signed payload), unverified
//! session-seal verify VALUE|- --cookie NAME --namespace NS
//!                                     open it for real with the configured secrets
//! ```
//!
//! Secrets come from `SESSION_SEAL_SECRET` / `SESSION_SEAL_PREVIOUS_SECRETS`,
//! or from files (`--secret-file`, `--previous-secrets-file`). Only `keygen`
//! and `rotate` ever print a secret: printing one is their purpose.
//!
//! Exit codes: 0 success (for `verify`: the value is valid); 1 a
//! configuration problem (no secret, unreadable file, bad base64); 2 a usage
//! error; and for a value that does not open (`inspect`, `verify`): 3
//! malformed, 4 too large, 5 bad signature (wrong key, wrong cookie name or
//! namespace, tampered), 6 expired, 7 any other reason.
#![forbid(unsafe_code)]

mod cookie;
mod keys;
mod secrets;
mod time;

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
    /// Decode a cookie value without any secret: format, key id, version,
    /// times, and a signed value's payload, clearly marked UNVERIFIED. With
    /// secrets configured, also says which one the key id belongs to.
    #[command(after_help = "Example:\n  session-seal inspect 'AZb0Ykq...'\n  \
        pbpaste | session-seal inspect -")]
    Inspect {
        /// The cookie value (or `name=value`), or `-` to read standard input.
        value: String,
    },
    /// Open a cookie value for real with the configured secrets, as the
    /// session type with this cookie name and namespace; print `valid` and
    /// the verified fields, or the reason it does not open (and exit with
    /// its code).
    #[command(after_help = "Example:\n  \
        session-seal verify \"$COOKIE\" --cookie admin_sid --namespace admin\n\n\
        Exit codes: 0 valid, 3 malformed, 4 too large, 5 bad signature, 6 expired,\n\
        7 other; 1 configuration problem, 2 usage error.")]
    Verify {
        /// The cookie value (or `name=value`), or `-` to read standard input.
        value: String,
        /// The session type's cookie name.
        #[arg(long)]
        cookie: String,
        /// The session type's namespace.
        #[arg(long)]
        namespace: String,
        /// Check as of this unix time instead of now.
        #[arg(long, value_name = "UNIX_SECONDS")]
        now: Option<u64>,
    },
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

    /// A usage error clap could not catch: exit code 2.
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: 2,
        }
    }

    /// A value that does not open: one exit code per reason.
    pub fn invalid(error: &session_core::OpenError) -> Self {
        use session_core::OpenError;
        let code = match error {
            OpenError::Malformed => 3,
            OpenError::TooLarge { .. } => 4,
            OpenError::BadSignature => 5,
            OpenError::Expired { .. } => 6,
            _ => 7,
        };
        Failure {
            message: format!("invalid: {} ({error})", error.label()),
            code,
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
        Command::Inspect { value } => cookie::run_inspect(&mut out, &cli.sources, &value),
        Command::Verify {
            value,
            cookie,
            namespace,
            now,
        } => {
            let binding = cookie::Binding {
                cookie: &cookie,
                namespace: &namespace,
                now,
            };
            cookie::run_verify(&mut out, &cli.sources, &value, &binding)
        }
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
