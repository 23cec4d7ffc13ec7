//! `session-seal`: operate session-seal's secrets and look at its cookies.
//!
//! ```text
//! session-seal keygen [--output F]    a new secret for SESSION_SEAL_SECRET
//! session-seal rotate [--keep N] [--output F]
//!                                     the two lines of a key rotation
//! session-seal kid                    key ids of the configured secrets
//! session-seal pubkey [--primary-only] [--env]
//!                                     Ed25519 public keys of the configured secrets,
//!                                     for SESSION_SEAL_PUBLIC_KEYS (asymmetric types)
//! session-seal inspect VALUE|-        a cookie's header (and readable payload), unverified
//! session-seal verify VALUE|- --cookie NAME --namespace NS
//!                                     open it for real with the configured secrets
//! session-seal revoke --namespace NS (--user U | --all)
//!              (--redis URL | --redis-cluster URL[,URL...] | --postgres URL | --sqlite PATH)
//!              [--key-prefix P] [--table T] [--at UNIX_SECONDS] [--retention DURATION]
//!                                     end revocable cookie-mode sessions begun before now
//! ```
//!
//! Secrets come from `SESSION_SEAL_SECRET` / `SESSION_SEAL_PREVIOUS_SECRETS`,
//! or from files (`--secret-file`, `--previous-secrets-file`). Only `keygen`
//! and `rotate` ever print a secret: printing one is their purpose. `pubkey`
//! prints public keys, which open `#[session(asymmetric)]` values and cannot
//! make any: what services that only verify such sessions are given.
//!
//! `revoke` needs no secret: it publishes a revocation (namespace, one user
//! or every user, a unix time) to the feed the applications' `Revocations`
//! follow, and each of their processes refuses the revocable
//! (`#[session(revocable)]`) sessions it covers that started before that
//! time. It never prints a backend URL (which may carry a password).
//!
//! Files of secrets are treated as ssh treats private keys. On Unix, one that
//! group or others can read or write (mode & 077) is refused, naming the
//! fix (`chmod 600 FILE`); `--allow-insecure-secret-file` reads it anyway,
//! with a warning. `keygen --output` and `rotate --output` create a new file
//! with mode 0600 from the start (never overwriting one).
//!
//! Text that comes from a cookie (a payload) or quotes one is never printed
//! raw: every non-printing character (controls such as the 8-bit CSI
//! U+009B, bidi overrides and isolates, zero-width and other format
//! characters, line separators; see `escape::is_non_printing`) is written
//! as its JSON escape, `\u009b`, so a cookie cannot drive the terminal or
//! disguise what is shown, and printed JSON stays valid JSON.
//!
//! Exit codes: 0 success (for `verify`: the value is valid); 1 a
//! configuration problem (no secret, unreadable file, bad base64); 2 a usage
//! error; and for a value that does not open (`inspect`, `verify`): 3
//! malformed (including a value, argument or standard input, that is not
//! UTF-8), 4 too large, 5 bad signature (wrong key, wrong cookie name or
//! namespace, tampered), 6 expired, 7 any other reason; for `revoke`: 8
//! the backend is unavailable (unreachable, or it answered with an error;
//! retrying may help).
#![forbid(unsafe_code)]

mod cookie;
mod escape;
mod files;
mod keys;
mod revoke;
mod secrets;
mod time;

use std::ffi::OsString;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Operate session-seal: generate and rotate secrets, read key ids and
/// public keys, look at cookies, revoke sessions.
#[derive(Debug, Parser)]
#[command(name = "session-seal", version, about, long_about = None)]
struct Cli {
    /// What to do.
    #[command(subcommand)]
    command: Command,
    /// Where the secrets come from.
    #[command(flatten)]
    sources: secrets::Sources,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Print a new random secret (base64url), ready for SESSION_SEAL_SECRET.
    #[command(
        after_help = "Example:\n  export SESSION_SEAL_SECRET=\"$(session-seal keygen)\"\n  \
        session-seal keygen --output secret.key    # created with mode 0600"
    )]
    Keygen {
        /// Random bytes in the secret (at least 32).
        #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(32..=1024))]
        bytes: u16,
        /// Write the secret to this new file, created with mode 0600 (it must
        /// not exist), instead of standard output.
        #[arg(long, short, value_name = "PATH")]
        output: Option<PathBuf>,
    },
    /// Print the environment of a key rotation: a new primary secret, and the
    /// current primary first among the previous secrets (then the key ids).
    #[command(
        after_help = "Example:\n  session-seal rotate --keep 2 --output rotated.env\n\n\
        Deploy rotated.env (created with mode 0600; a shell's `> rotated.env`\n\
        would use the umask's, often readable by all); once the longest max_age\n\
        of your session types has passed, the oldest previous secret can be dropped."
    )]
    Rotate {
        /// How many previous secrets to keep (the oldest beyond this are dropped).
        #[arg(long, default_value_t = 2)]
        keep: usize,
        /// Write the two lines to this new file, created with mode 0600 (it
        /// must not exist), instead of standard output.
        #[arg(long, short, value_name = "PATH")]
        output: Option<PathBuf>,
    },
    /// Print the key id of each configured secret (to match a cookie's kid).
    #[command(after_help = "Example:\n  SESSION_SEAL_SECRET=... session-seal kid")]
    Kid,
    /// Print the Ed25519 public key of each configured secret, for
    /// SESSION_SEAL_PUBLIC_KEYS.
    ///
    /// One base64url key per line, the primary's first, then each previous
    /// secret's: what services that verify asymmetric
    /// (`#[session(asymmetric)]`) sessions but never mint them are given.
    /// Public keys are not secret, and open no signed or encrypted value.
    #[command(after_help = "Examples:\n  \
        export SESSION_SEAL_PUBLIC_KEYS=\"$(session-seal pubkey)\"\n  \
        session-seal pubkey --env >> verifier.env\n\n\
        SESSION_SEAL_PUBLIC_KEYS takes the keys separated by newlines or commas,\n\
        the primary first; keep the previous secrets' keys listed until the\n\
        values they signed have expired.")]
    Pubkey {
        /// Print only the primary secret's key (the one that signs now).
        #[arg(long)]
        primary_only: bool,
        /// Print one line for an environment file:
        /// SESSION_SEAL_PUBLIC_KEYS=KEY[,KEY...].
        #[arg(long)]
        env: bool,
    },
    /// Decode a cookie value without any secret: format, key id, version,
    /// times, and a signed or asymmetric value's payload, clearly marked
    /// UNVERIFIED. With secrets configured, also says which one the key id
    /// belongs to.
    ///
    /// The payload is attacker-controlled text: each non-printing character
    /// in it (controls such as the 8-bit CSI U+009B, bidi overrides and
    /// isolates, zero-width and other invisible format characters, line
    /// separators) is printed as its JSON escape, e.g. \u009b or \u202e, so
    /// it cannot drive the terminal, and the JSON printed stays valid.
    #[command(after_help = "Example:\n  session-seal inspect 'AZb0Ykq...'\n  \
        pbpaste | session-seal inspect -\n\n\
        Exit codes: 0 decoded, 3 malformed (also: not UTF-8), 4 too large;\n\
        1 configuration problem, 2 usage error.")]
    Inspect {
        /// The cookie value (or `name=value`), or `-` to read standard input.
        value: OsString,
    },
    /// Open a cookie value for real with the configured secrets, as the
    /// session type with this cookie name and namespace; print `valid` and
    /// the verified fields, or the reason it does not open (and exit with
    /// its code).
    ///
    /// Non-printing characters in the payload are printed as JSON escapes
    /// (\u009b, \u202e), as with `inspect`.
    #[command(after_help = "Example:\n  \
        session-seal verify \"$COOKIE\" --cookie admin_sid --namespace admin\n\n\
        Exit codes: 0 valid, 3 malformed (also: not UTF-8), 4 too large, 5 bad\n\
        signature, 6 expired, 7 other; 1 configuration problem, 2 usage error.")]
    Verify {
        /// The cookie value (or `name=value`), or `-` to read standard input.
        value: OsString,
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
    /// End the revocable sessions of one user, or of every user, in a
    /// namespace: publish a revocation to the feed the applications follow.
    ///
    /// Applies to cookie-mode types declared `#[session(revocable)]`: their
    /// sessions that started before `--at` (default now) no longer open;
    /// one started at or after it does. Needs no secret.
    ///
    /// Name the feed as the applications' `Revocations` do: the same Redis
    /// key prefix, or the same SQL table. The URL is never printed, but a
    /// password in it is visible to other local users in the process list
    /// while the command runs.
    #[command(after_help = "Examples:\n  \
        session-seal revoke --namespace admin --user 42 --redis redis://127.0.0.1:6379\n  \
        session-seal revoke --namespace admin --all --postgres postgres://app@db/app\n  \
        session-seal revoke --namespace shop --user ada@example.com --sqlite shop.db \\\n    \
        --table shop_sessions --retention 30d\n\n\
        Exit codes: 0 published, 8 backend unavailable (retrying may help);\n\
        1 configuration problem, 2 usage error (also: a bad URL, namespace or user).")]
    Revoke(revoke::Args),
}

/// A failure to report in one line, with its exit code.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong, for stderr (escaped when printed).
    message: String,
    /// The process's exit code.
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

    /// A backend that could not be reached or answered with an error: exit
    /// code 8 (retrying may help).
    pub fn unavailable(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: 8,
        }
    }

    /// A value that is not even text (not UTF-8): malformed, exit code 3,
    /// as `invalid` reports any other value that is not a cookie's shape.
    pub fn malformed(reason: &str) -> Self {
        Failure {
            message: format!("invalid: malformed ({reason})"),
            code: 3,
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

/// Prints a warning on stderr, its non-printing characters escaped.
pub fn warn(message: &str) {
    eprintln!(
        "session-seal: warning: {}",
        escape::escape_non_printing(message)
    );
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut out = std::io::stdout().lock();
    let result = match cli.command {
        Command::Keygen { bytes, output } => keys::emit(&mut out, output.as_deref(), |text| {
            keys::keygen(text, usize::from(bytes))
        }),
        Command::Rotate { keep, output } => keys::emit(&mut out, output.as_deref(), |text| {
            keys::rotate(text, &cli.sources, keep)
        }),
        Command::Kid => keys::kid(&mut out, &cli.sources),
        Command::Pubkey { primary_only, env } => {
            keys::pubkey(&mut out, &cli.sources, primary_only, env)
        }
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
        Command::Revoke(args) => revoke::run(&mut out, &args),
    };
    let _ = out.flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            // Messages may quote what the user passed (a cookie name, a
            // path): escaped like everything else printed.
            eprintln!(
                "session-seal: {}",
                escape::escape_non_printing(&failure.message)
            );
            ExitCode::from(failure.code)
        }
    }
}
