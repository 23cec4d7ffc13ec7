//! `revoke`: publishing a revocation of cookie-mode sessions
//! (`#[session(revocable)]`) to the feed every application process follows.

use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use session_core::revocation::{Revocation, RevocationFeed, Revoked};
use session_core::{Namespace, StoreError, unix_now};
use session_redis::{RedisRevocationFeed, RedisStore, RedisStoreConfig};
use session_sql::{PostgresRevocationFeed, SqlStoreConfig, SqliteRevocationFeed};

use crate::Failure;
use crate::escape::escape_non_printing;

/// How long connecting, migrating and publishing may take together, beyond
/// the backends' own timeouts (a guard, so the command never hangs).
const DEADLINE: Duration = Duration::from_secs(30);

/// How far ahead of this machine's clock `--at` may be without a warning
/// (clocks of different machines disagree a little).
const FUTURE_SLACK_SECS: u64 = 60;

/// Whose sessions end: exactly one of `--user` and `--all`.
#[derive(Debug, clap::Args)]
#[group(id = "whom", required = true, multiple = false)]
pub struct Target {
    /// Revoke the sessions of this user (the value of the session type's
    /// `user = "..."` field, as `UserKey` writes it).
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// Revoke the sessions of every user of the namespace.
    #[arg(long)]
    pub all: bool,
}

/// The feed to publish to: exactly one backend, as the application's
/// `Revocations` follows it.
#[derive(Debug, clap::Args)]
#[group(id = "backend", required = true, multiple = false)]
pub struct Backend {
    /// A Redis server (`redis://[user:password@]host:port[/db]`, or
    /// `redis+cluster://host:port,host:port`).
    #[arg(long, value_name = "URL")]
    pub redis: Option<String>,
    /// The nodes of a Redis Cluster, comma-separated (one live node is
    /// enough to find the others).
    #[arg(long, value_name = "URL[,URL...]", value_delimiter = ',')]
    pub redis_cluster: Option<Vec<String>>,
    /// A PostgreSQL database (`postgres://user:password@host/db`).
    #[arg(long, value_name = "URL")]
    pub postgres: Option<String>,
    /// A SQLite database file (created if missing).
    #[arg(long, value_name = "PATH")]
    pub sqlite: Option<PathBuf>,
}

/// Everything `revoke` was given.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The namespace of the session types to revoke (`[a-z0-9_.-]{1,64}`).
    #[arg(long, value_name = "NAMESPACE")]
    pub namespace: String,
    /// Whose sessions.
    #[command(flatten)]
    pub target: Target,
    /// Where to publish.
    #[command(flatten)]
    pub backend: Backend,
    /// Redis only: the key prefix of the application's `RedisStoreConfig`
    /// (the stream is `<PREFIX>:revocations`; default `session-seal`).
    #[arg(long, value_name = "PREFIX", conflicts_with_all = ["postgres", "sqlite"])]
    pub key_prefix: Option<String>,
    /// PostgreSQL and SQLite only: the table name of the application's
    /// `SqlStoreConfig` (revocations go to `<TABLE>_revocations`; default
    /// `session_seal_sessions`).
    #[arg(long, value_name = "TABLE", conflicts_with_all = ["redis", "redis_cluster"])]
    pub table: Option<String>,
    /// End the sessions that started before this unix time (default: now).
    #[arg(long, value_name = "UNIX_SECONDS")]
    pub at: Option<u64>,
    /// Let the feed drop revocations older than this (`30d`, `12h`,
    /// `1h30m`): at least the longest `absolute_max_age` of the revocable
    /// types. Default: drop nothing.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub retention: Option<u64>,
}

/// `revoke`: builds the revocation, publishes it, and prints one line.
pub fn run(out: &mut impl Write, args: &Args) -> Result<(), Failure> {
    let now = unix_now();
    let revocation = revocation(args, now)?;
    let keep_since = match args.retention {
        Some(retention) => now.saturating_sub(retention),
        None => 0,
    };
    if revocation.at() > now.saturating_add(FUTURE_SLACK_SECS) {
        crate::warn(&format!(
            "--at {} is in the future: until then, sessions that start (new logins \
             included) are revoked too",
            revocation.at()
        ));
    }
    if revocation.at() < keep_since {
        return Err(Failure::usage(format!(
            "--at {} is older than --retention allows (it starts at {keep_since}): the feed \
             would drop the revocation at once",
            revocation.at()
        )));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::config(format!("cannot start the async runtime: {error}")))?;
    runtime.block_on(publish(args, &revocation, keep_since))?;
    writeln!(out, "{}", describe(&revocation))
        .map_err(|error| Failure::config(format!("cannot write the output: {error}")))
}

/// The revocation the arguments describe, at `--at` or `now`.
fn revocation(args: &Args, now: u64) -> Result<Revocation, Failure> {
    let namespace = Namespace::new(&args.namespace).map_err(|error| {
        Failure::usage(format!("--namespace {}: {error}", quoted(&args.namespace)))
    })?;
    let at = args.at.unwrap_or(now);
    match &args.target.user {
        Some(user) => Revocation::user(namespace, user.as_str(), at)
            .map_err(|error| Failure::usage(format!("--user: {error}"))),
        None => Ok(Revocation::all_users(namespace, at)),
    }
}

/// `revoked user "42" in namespace "admin" at 1800000000`.
pub fn describe(revocation: &Revocation) -> String {
    let whom = match revocation.revoked() {
        Revoked::User(user) => format!("user {}", quoted(user)),
        Revoked::AllUsers => String::from("all users"),
    };
    format!(
        "revoked {whom} in namespace {} at {}",
        quoted(revocation.namespace().as_str()),
        revocation.at()
    )
}

/// `text` as a JSON string with every non-printing character escaped: a
/// user key is the operator's input but may come from anywhere.
fn quoted(text: &str) -> String {
    let json = serde_json::to_string(text).unwrap_or_default();
    escape_non_printing(&json).into_owned()
}

/// Opens the feed the backend arguments name and publishes `revocation`.
async fn publish(args: &Args, revocation: &Revocation, keep_since: u64) -> Result<(), Failure> {
    let backend = &args.backend;
    if let Some(url) = &backend.redis {
        let feed = RedisRevocationFeed::with_config(url, redis_config(args))
            .map_err(|error| bad_backend("--redis", &error))?;
        return within_deadline(feed.publish(revocation, keep_since)).await;
    }
    if let Some(nodes) = &backend.redis_cluster {
        let feed = RedisStore::cluster_with_config(nodes, redis_config(args))
            .map(RedisRevocationFeed::on)
            .map_err(|error| bad_backend("--redis-cluster", &error))?;
        return within_deadline(feed.publish(revocation, keep_since)).await;
    }
    if let Some(url) = &backend.postgres {
        let feed = PostgresRevocationFeed::with_config(url, sql_config(args))
            .map_err(|error| Failure::usage(format!("--postgres: {error}")))?;
        return within_deadline(async {
            feed.migrate().await?;
            feed.publish(revocation, keep_since).await
        })
        .await;
    }
    if let Some(path) = &backend.sqlite {
        let feed = SqliteRevocationFeed::open(path, sql_config(args))
            .map_err(|error| Failure::usage(format!("--sqlite: {error}")))?;
        return within_deadline(async {
            feed.migrate().await?;
            feed.publish(revocation, keep_since).await
        })
        .await;
    }
    // clap requires exactly one backend.
    Err(Failure::usage(
        "name a backend: --redis, --redis-cluster, --postgres or --sqlite",
    ))
}

fn redis_config(args: &Args) -> RedisStoreConfig {
    match &args.key_prefix {
        Some(prefix) => RedisStoreConfig::default().key_prefix(prefix.as_str()),
        None => RedisStoreConfig::default(),
    }
}

fn sql_config(args: &Args) -> SqlStoreConfig {
    match &args.table {
        Some(table) => SqlStoreConfig::default().table(table.as_str()),
        None => SqlStoreConfig::default(),
    }
}

/// A Redis URL or setting that was refused before connecting. Redis reports
/// it as a `StoreError` too; its text never quotes the URL.
fn bad_backend(flag: &str, error: &StoreError) -> Failure {
    Failure::usage(format!("{flag}: {}", backend_message(error)))
}

/// What the backend reported, without `StoreError`'s "session store
/// unavailable" (this is a feed); the backends never quote a URL in it.
fn backend_message(error: &StoreError) -> String {
    match error {
        StoreError::Unavailable { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// Runs `operation`, failing as unavailable after [`DEADLINE`].
async fn within_deadline(
    operation: impl Future<Output = Result<(), StoreError>>,
) -> Result<(), Failure> {
    match tokio::time::timeout(DEADLINE, operation).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(Failure::unavailable(format!(
            "the revocation feed is unavailable: {}",
            backend_message(&error)
        ))),
        Err(_) => Err(Failure::unavailable(format!(
            "the revocation feed is unavailable: no answer within {}s",
            DEADLINE.as_secs()
        ))),
    }
}

/// Seconds in a duration written as the derive's attributes are (one
/// parser for both: `session_rules::duration`).
fn parse_duration(text: &str) -> Result<u64, String> {
    session_rules::duration::parse(text).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(30));
        assert_eq!(parse_duration("1h30m"), Ok(5_400));
        assert_eq!(parse_duration("7d"), Ok(7 * 86_400));
        assert_eq!(parse_duration("0s"), Ok(0));
        for bad in ["", "30", "d", "3x", "1h 30m", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn descriptions_quote_and_escape_the_user() {
        let admin = Namespace::new("admin").expect("valid");
        let user = Revocation::user(admin.clone(), "42", 1_800_000_000).expect("valid");
        assert_eq!(
            describe(&user),
            "revoked user \"42\" in namespace \"admin\" at 1800000000"
        );
        let hostile = Revocation::user(admin.clone(), "a\"b\u{9b}c\u{202e}", 7).expect("valid");
        assert_eq!(
            describe(&hostile),
            "revoked user \"a\\\"b\\u009bc\\u202e\" in namespace \"admin\" at 7"
        );
        let all = Revocation::all_users(admin, 9);
        assert_eq!(
            describe(&all),
            "revoked all users in namespace \"admin\" at 9"
        );
    }
}
