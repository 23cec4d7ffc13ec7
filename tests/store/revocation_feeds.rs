//! The revocation feeds of the server backends against real servers: the
//! `RevocationFeed` contract (`session_seal::revocation::conformance`) on
//! Redis, a Redis Cluster, PostgreSQL and SQLite, then what each must do
//! when its connection fails.
//!
//! - Outages (Redis, Redis Cluster, PostgreSQL): a `Revocations` handle
//!   follows the feed through a loopback proxy (`common::proxy`). Cutting
//!   the proxy makes it stale within its staleness bound; a revocation
//!   published meanwhile through a direct connection is in its table as
//!   soon as it is current again after the proxy is restored, because a
//!   follower replays the window before it calls itself heard.
//! - SQLite has no connection to lose: a second feed on the same file (as
//!   another process would open it) sees what the first publishes, and a
//!   restarted one replays the window.
//!
//! Each test uses its own key prefix, table or file, and fresh namespaces,
//! so they share the servers with every other test; each wait is a bounded
//! poll of a condition (at most 10 s).

use std::any::TypeId;
use std::future::Future;
use std::time::{Duration, Instant};

use session_redis::{RedisRevocationFeed, RedisStore, RedisStoreConfig};
use session_seal::revocation::{Refusal, Revocation, RevocationFeed, Revocations, conformance};
use session_seal::{Namespace, Registry, SessionSpec};
use session_sql::{PostgresRevocationFeed, SqlStoreConfig, SqliteRevocationFeed};

use crate::common::proxy::{Proxy, address_of, url_through};
use crate::common::sql;
use crate::common::store::{self, RawRedis, Resp};

/// A registry whose one revocable type keeps revocations for eight hours.
struct Feeds;

impl Registry for Feeds {
    const SPECS: &'static [SessionSpec] = &[SessionSpec::builder("Admin", "rv_admin", "rv_admin")
        .max_age_secs(3600)
        .absolute_max_age_secs(8 * 3600)
        .revocable()
        .build()];

    fn contains(_: TypeId) -> bool {
        false
    }
}

/// The longest any wait here lasts.
const PATIENCE: Duration = Duration::from_secs(10);

/// Polls `done` every 10 ms until it holds; fails the test naming `what`
/// after [`PATIENCE`]. Returns how long it took.
async fn wait_until(what: &str, mut done: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < PATIENCE,
            "{what}: not within {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    started.elapsed()
}

/// The system clock in unix seconds, as the feeds' handles read it.
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// A namespace no other test or run uses.
fn fresh_namespace(stem: &str) -> Namespace {
    let tag = store::unique_prefix(stem)
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .replace('-', "_");
    Namespace::new(&format!("{stem}_{tag}")).expect("a valid namespace")
}

/// Runs the conformance checks on feeds made by `connect` and reports how
/// long they took.
async fn conformance_on<F: RevocationFeed>(backend: &str, connect: impl Fn() -> F) {
    let started = Instant::now();
    conformance::check_feed(connect).await;
    eprintln!(
        "revocation feed conformance on {backend}: {:?}",
        started.elapsed()
    );
}

/// The outage scenario: `follower` reaches the server only through
/// `proxies`, `direct` without them.
async fn outage_and_replay<F, D>(backend: &str, follower: F, direct: D, proxies: &[Proxy])
where
    F: RevocationFeed,
    D: RevocationFeed,
{
    let revocations = Revocations::builder::<Feeds>(follower)
        .heartbeat(Duration::from_millis(100))
        .staleness_bound(Duration::from_millis(500))
        .start();
    let first = wait_until("the follower's first replay", || {
        revocations.table().is_current()
    })
    .await;

    for proxy in proxies {
        proxy.cut().await;
    }
    // `check` reads the watchdog's verdict, which follows `is_current` at
    // most a quarter of the bound later: wait for both.
    let stale = wait_until("the follower going stale after the cut", || {
        !revocations.table().is_current()
            && revocations.check("any", None, 0) == Err(Refusal::Stale)
    })
    .await;
    assert!(
        stale >= Duration::from_millis(300),
        "{backend}: stale after {stale:?}: the bound is 500 ms after the last heartbeat"
    );

    let namespace = fresh_namespace("outage");
    let now = revocations.now();
    let ban = Revocation::user(namespace.clone(), "ada", now).expect("valid");
    let keep_since = revocations.table().window_start();
    direct
        .publish(&ban, keep_since)
        .await
        .expect("publish through the direct connection");
    assert_eq!(
        revocations.check(namespace.as_str(), Some("bob"), now - 1),
        Err(Refusal::Stale),
        "{backend}: a cut-off follower fails closed"
    );
    assert_eq!(
        revocations
            .table()
            .covering(namespace.as_str(), Some("ada")),
        None,
        "{backend}: nothing reaches the follower while the proxy is cut"
    );

    for proxy in proxies {
        proxy.restore();
    }
    let back = wait_until("the follower current again after the restore", || {
        revocations.table().is_current()
    })
    .await;
    // Current means replayed: the revocation must be there already.
    assert_eq!(
        revocations
            .table()
            .covering(namespace.as_str(), Some("ada")),
        Some(now),
        "{backend}: the reconnected follower replays what it missed"
    );
    assert_eq!(
        revocations.check(namespace.as_str(), Some("ada"), now - 1),
        Err(Refusal::Revoked)
    );
    assert_eq!(
        revocations.check(namespace.as_str(), Some("bob"), now - 1),
        Ok(())
    );
    eprintln!(
        "revocation feed outage on {backend}: current after {first:?}, stale {stale:?} after the cut, \
         current again {back:?} after the restore"
    );
}

// ------------------------------------------------------------------ Redis

/// Short timeouts, on `prefix`: the store tests' Redis settings.
fn redis_config(prefix: &str) -> RedisStoreConfig {
    RedisStoreConfig::default()
        .key_prefix(prefix)
        .connection_timeout(Duration::from_secs(1))
        .response_timeout(Duration::from_secs(2))
}

/// Deletes the feed's stream from every node of `urls` (a node that does
/// not hold it answers with a redirection, which is ignored).
fn remove_stream(urls: &[String], feed: &RedisRevocationFeed) {
    for url in urls {
        if let Ok(mut raw) = RawRedis::connect(url) {
            raw.cmd(&[b"DEL", feed.stream_key().as_bytes()]);
        }
    }
}

#[tokio::test]
async fn redis_conformance() {
    let test = "revocation_feeds::redis_conformance";
    // The store helper checks the server (or skips, or fails under CI) and
    // picks a fresh prefix.
    let Some(probe) = store::redis_store(test).await else {
        return;
    };
    let url = store::redis_url();
    let config = redis_config(probe.key_prefix());
    conformance_on("redis", || {
        RedisRevocationFeed::with_config(&url, config.clone()).expect("a valid URL")
    })
    .await;
    let feed = RedisRevocationFeed::with_config(&url, config).expect("a valid URL");
    assert!(!feed.is_cluster());
    remove_stream(&[url], &feed);
}

#[tokio::test]
async fn redis_cluster_conformance() {
    let test = "revocation_feeds::redis_cluster_conformance";
    let Some(probe) = store::redis_cluster_store(test).await else {
        return;
    };
    let urls = store::redis_cluster_urls();
    let config = redis_config(probe.key_prefix());
    conformance_on("redis cluster", || {
        RedisRevocationFeed::on(
            RedisStore::cluster_with_config(&urls, config.clone()).expect("valid URLs"),
        )
    })
    .await;
    let feed = RedisRevocationFeed::on(
        RedisStore::cluster_with_config(&urls, config).expect("valid URLs"),
    );
    assert!(feed.is_cluster());
    remove_stream(&urls, &feed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_outage_then_replay_on_reconnect() {
    let test = "revocation_feeds::redis_outage_then_replay_on_reconnect";
    let Some(probe) = store::redis_store(test).await else {
        return;
    };
    let url = store::redis_url();
    let config = redis_config(probe.key_prefix());
    let proxy = Proxy::start(&address_of(&url, 6379)).await;
    let follower = RedisRevocationFeed::with_config(&url_through(&url, &proxy), config.clone())
        .expect("a valid URL");
    let direct = RedisRevocationFeed::with_config(&url, config).expect("a valid URL");
    let key = direct.stream_key().to_owned();
    outage_and_replay("redis", follower, direct.clone(), &[proxy]).await;
    assert_eq!(key, format!("{}:revocations", probe.key_prefix()));
    remove_stream(&[url], &direct);
}

#[tokio::test]
async fn redis_entries_that_are_not_revocations_are_skipped_without_their_contents() {
    let test = "revocation_feeds::redis_entries_that_are_not_revocations";
    let Some(probe) = store::redis_store(test).await else {
        return;
    };
    let url = store::redis_url();
    let feed = RedisRevocationFeed::with_config(&url, redis_config(probe.key_prefix()))
        .expect("a valid URL");
    let namespace = fresh_namespace("malformed");
    let now = unix_now();
    let good = Revocation::user(namespace.clone(), "ada", now)
        .expect("valid")
        .to_message();
    let bad_namespace = format!(r#"{{"namespace":"SECRET Bad","revoked":"all_users","at":{now}}}"#);
    let mut raw = RawRedis::connect(&url).expect("the test server");
    let key = feed.stream_key().as_bytes();
    for (field, value) in [
        ("m", "SECRET not json"),
        ("other", "SECRET in another field"),
        ("m", bad_namespace.as_str()),
        ("m", good.as_str()),
    ] {
        let reply = raw.cmd(&[b"XADD", key, b"*", field.as_bytes(), value.as_bytes()]);
        assert!(matches!(reply, Resp::Bulk(Some(_))), "XADD: {reply:?}");
    }
    // On this thread: the follower's task runs on the test's runtime.
    let (logs, _capturing) = crate::common::logs::capture();
    let revocations = Revocations::builder::<Feeds>(feed.clone())
        .heartbeat(Duration::from_millis(100))
        .start();
    wait_until("the valid entry delivered", || {
        revocations.table().is_current()
            && revocations
                .table()
                .covering(namespace.as_str(), Some("ada"))
                == Some(now)
    })
    .await;
    let text = logs.text();
    assert_eq!(
        text.matches("skipped a stream entry that is not a revocation")
            .count(),
        3,
        "{text}"
    );
    assert!(text.contains("session_seal"), "{text}");
    assert!(
        !text.contains("SECRET"),
        "an entry's contents are never logged: {text}"
    );
    drop(revocations);
    remove_stream(&[url], &feed);
}

/// A `CLUSTER SLOTS` reply's node ports.
fn slot_ports(reply: Resp) -> Vec<i64> {
    let Resp::Array(Some(ranges)) = reply else {
        panic!("CLUSTER SLOTS answered {reply:?}");
    };
    let mut ports = Vec::new();
    for range in ranges {
        let Resp::Array(Some(parts)) = range else {
            panic!("a slot range is {range:?}");
        };
        for node in parts.into_iter().skip(2) {
            if let Resp::Array(Some(node)) = node
                && let Some(Resp::Int(port)) = node.get(1)
            {
                ports.push(*port);
            }
        }
    }
    ports
}

/// The cluster's clients learn the nodes' addresses from the cluster
/// itself, so a proxy in front of the first node alone would be bypassed:
/// on a throwaway cluster of its own, every node announces its proxy's
/// port (`cluster-announce-port`), and cutting the three proxies cuts the
/// follower off. The direct publisher talks to the node that holds the
/// stream as a single server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_cluster_outage_then_replay_on_reconnect() {
    let started = Instant::now();
    let Some(cluster) = store::spawn_redis_cluster() else {
        return;
    };
    let urls = cluster.urls();
    let mut proxies = Vec::new();
    for url in &urls {
        proxies.push(Proxy::start(&address_of(url, 6379)).await);
    }
    for (url, proxy) in urls.iter().zip(&proxies) {
        let mut raw = RawRedis::connect(url).expect("a throwaway node");
        let port = proxy.port().to_string();
        assert_eq!(
            raw.cmd(&[b"CONFIG", b"SET", b"cluster-announce-port", port.as_bytes()]),
            Resp::Simple("OK".into())
        );
    }
    let proxy_ports: Vec<i64> = proxies.iter().map(|p| i64::from(p.port())).collect();
    wait_until("every node announcing its proxy's port", || {
        urls.iter().all(|url| {
            let mut raw = RawRedis::connect(url).expect("a throwaway node");
            let ports = slot_ports(raw.cmd(&[b"CLUSTER", b"SLOTS"]));
            !ports.is_empty() && ports.iter().all(|port| proxy_ports.contains(port))
        })
    })
    .await;

    let prefix = store::unique_prefix("revocation_cluster_outage");
    let config = redis_config(&prefix);
    let through: Vec<String> = urls
        .iter()
        .zip(&proxies)
        .map(|(url, proxy)| url_through(url, proxy))
        .collect();
    let follower = RedisRevocationFeed::on(
        RedisStore::cluster_with_config(&through, config.clone()).expect("valid URLs"),
    );
    let key = follower.stream_key().to_owned();
    // A node answers XLEN only for a key in its own slots.
    let holder = urls
        .iter()
        .find(|url| {
            let mut raw = RawRedis::connect(url).expect("a throwaway node");
            matches!(raw.cmd(&[b"XLEN", key.as_bytes()]), Resp::Int(_))
        })
        .expect("one node holds the stream's slot");
    let direct = RedisRevocationFeed::with_config(holder, config).expect("a valid URL");
    outage_and_replay("redis cluster", follower, direct, &proxies).await;
    eprintln!(
        "redis cluster outage test, with its throwaway cluster: {:?}",
        started.elapsed()
    );
}

// ------------------------------------------------------------- PostgreSQL

/// A migrated feed on a fresh table of the shared test database (its
/// config and URL, to open more), or `None` after a skip message.
async fn postgres_feed(test: &str) -> Option<(PostgresRevocationFeed, SqlStoreConfig, String)> {
    let url = sql::postgres_url();
    let config = sql::test_config(&sql::unique_table(test));
    let feed = PostgresRevocationFeed::with_config(&url, config.clone()).expect("a valid URL");
    match tokio::time::timeout(Duration::from_secs(10), feed.migrate()).await {
        Ok(Ok(())) => Some((feed, config, url)),
        Ok(Err(error)) => sql::skip(test, &format!("no PostgreSQL: {error}")),
        Err(_) => sql::skip(test, "PostgreSQL did not answer within 10 s"),
    }
}

async fn drop_feed_table(feed: &PostgresRevocationFeed) {
    // A name the feed derived from `unique_table`: a plain identifier.
    let drop = format!("DROP TABLE IF EXISTS \"{}\"", feed.table_name());
    let _ = session_sql::sqlx::query(&drop).execute(feed.pool()).await;
}

#[tokio::test]
async fn postgres_conformance() {
    let Some((feed, config, url)) = postgres_feed("revocation_feeds::postgres_conformance").await
    else {
        return;
    };
    conformance_on("postgres", || {
        PostgresRevocationFeed::with_config(&url, config.clone()).expect("a valid URL")
    })
    .await;
    drop_feed_table(&feed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_then_replay_on_reconnect() {
    let test = "revocation_feeds::postgres_outage_then_replay_on_reconnect";
    let Some((direct, config, url)) = postgres_feed(test).await else {
        return;
    };
    let proxy = Proxy::start(&address_of(&url, 5432)).await;
    let follower = PostgresRevocationFeed::with_config(&url_through(&url, &proxy), config)
        .expect("a valid URL");
    outage_and_replay("postgres", follower, direct.clone(), &[proxy]).await;
    drop_feed_table(&direct).await;
}

#[tokio::test]
async fn postgres_names_its_table_after_the_stores() {
    let Some((feed, _, _)) = postgres_feed("revocation_feeds::postgres_names").await else {
        return;
    };
    assert!(feed.table_name().ends_with("_revocations"));
    assert!(
        feed.migration_sql()
            .contains("GENERATED ALWAYS AS IDENTITY")
    );
    // Migrating again finds everything in place.
    feed.migrate().await.expect("idempotent");
    drop_feed_table(&feed).await;
}

#[tokio::test]
async fn postgres_notifications_that_are_not_revocations_are_skipped_without_their_contents() {
    let test = "revocation_feeds::postgres_notifications_not_revocations";
    let Some((feed, _, _)) = postgres_feed(test).await else {
        return;
    };
    let (logs, _capturing) = crate::common::logs::capture();
    let revocations = Revocations::builder::<Feeds>(feed.clone())
        .heartbeat(Duration::from_millis(100))
        .start();
    wait_until("the follower current", || revocations.table().is_current()).await;
    // The channel is the table's name (no schema). Bound, so the text is
    // in no statement sqlx logs.
    let notify = session_sql::sqlx::query("SELECT pg_notify($1, $2)")
        .bind(feed.table_name())
        .bind("SECRET not a revocation");
    notify.execute(feed.pool()).await.expect("notify");
    let namespace = fresh_namespace("malformed");
    let now = revocations.now();
    feed.publish(
        &Revocation::user(namespace.clone(), "ada", now).expect("valid"),
        0,
    )
    .await
    .expect("publish");
    wait_until("the valid notification delivered", || {
        revocations
            .table()
            .covering(namespace.as_str(), Some("ada"))
            == Some(now)
    })
    .await;
    let text = logs.text();
    assert_eq!(
        text.matches("skipped a revocation notification that is not a revocation")
            .count(),
        1,
        "{text}"
    );
    assert!(
        !text.contains("SECRET"),
        "a payload is never logged: {text}"
    );
    drop(revocations);
    drop_feed_table(&feed).await;
}

// ------------------------------------------------------------------ SQLite

/// A migrated feed in `file`.
async fn sqlite_feed(file: &sql::TempDb) -> SqliteRevocationFeed {
    let feed =
        SqliteRevocationFeed::open(file.path(), SqlStoreConfig::default().max_connections(4))
            .expect("a valid config");
    within("migrate", feed.migrate()).await.expect("migrate");
    feed
}

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: not within {PATIENCE:?}"))
}

#[tokio::test]
async fn sqlite_conformance() {
    let file = sql::TempDb::new("revocation_conformance");
    sqlite_feed(&file).await;
    conformance_on("sqlite", || {
        SqliteRevocationFeed::open(file.path(), SqlStoreConfig::default().max_connections(4))
            .expect("a valid config")
    })
    .await;
}

#[tokio::test]
async fn sqlite_a_second_feed_on_the_file_sees_what_the_first_publishes() {
    let file = sql::TempDb::new("revocation_two_feeds");
    let first = sqlite_feed(&file).await;
    // Another process on the same machine: its own pool on the file.
    let second = sqlite_feed(&file).await;
    let publisher = Revocations::builder::<Feeds>(first)
        .heartbeat(Duration::from_millis(100))
        .start();
    let follower = Revocations::builder::<Feeds>(second)
        .heartbeat(Duration::from_millis(100))
        .start();
    wait_until("both current", || {
        publisher.table().is_current() && follower.table().is_current()
    })
    .await;
    let namespace = fresh_namespace("sqlite");
    let now = follower.now();
    publisher
        .revoke(&Revocation::user(namespace.clone(), "ada", now).expect("valid"))
        .await
        .expect("publish");
    publisher
        .revoke(&Revocation::all_users(namespace.clone(), now - 5))
        .await
        .expect("publish");
    let took = wait_until("the second feed delivering both", || {
        follower.table().covering(namespace.as_str(), Some("ada")) == Some(now)
            && follower.table().covering(namespace.as_str(), None) == Some(now - 5)
    })
    .await;
    eprintln!("sqlite: a revocation reached the other feed after {took:?}");
    assert_eq!(
        follower.check(namespace.as_str(), Some("bob"), now - 6),
        Err(Refusal::Revoked)
    );
}

#[tokio::test]
async fn sqlite_a_restarted_follower_replays_the_window() {
    let file = sql::TempDb::new("revocation_restart");
    let namespace = fresh_namespace("restart");
    let now = {
        let before = Revocations::builder::<Feeds>(sqlite_feed(&file).await).start();
        wait_until("the first process current", || before.table().is_current()).await;
        let now = before.now();
        before
            .revoke(&Revocation::user(namespace.clone(), "ada", now - 60).expect("valid"))
            .await
            .expect("publish");
        // Older than the window (eight hours): kept out of the replay.
        before
            .revoke(&Revocation::user(namespace.clone(), "old", now - 9 * 3600).expect("valid"))
            .await
            .expect("publish");
        now
        // The first process ends here: its handle and feed drop.
    };
    let after = Revocations::builder::<Feeds>(sqlite_feed(&file).await).start();
    wait_until("the restarted process current", || {
        after.table().is_current()
    })
    .await;
    assert_eq!(
        after.table().covering(namespace.as_str(), Some("ada")),
        Some(now - 60),
        "the window is replayed before the follower is current"
    );
    assert_eq!(
        after.table().covering(namespace.as_str(), Some("old")),
        None,
        "a revocation older than the window is not replayed"
    );
}

#[tokio::test]
async fn sqlite_rows_that_are_not_revocations_are_skipped_without_their_contents() {
    let file = sql::TempDb::new("revocation_bad_rows");
    let feed = sqlite_feed(&file).await;
    let namespace = fresh_namespace("malformed");
    let now = i64::try_from(unix_now()).expect("a sane clock");
    let too_long = format!("SECRET{}", "x".repeat(1024));
    let insert = format!(
        "INSERT INTO \"{}\" (namespace, user_key, at) VALUES ($1, $2, $3)",
        feed.table_name()
    );
    for (namespace, user) in [
        ("SECRET Bad", None),
        (namespace.as_str(), Some(too_long.as_str())),
        (namespace.as_str(), Some("")),
        (namespace.as_str(), Some("ada")),
    ] {
        session_sql::sqlx::query(&insert)
            .bind(namespace)
            .bind(user)
            .bind(now)
            .execute(feed.pool())
            .await
            .expect("insert a row");
    }
    let (logs, _capturing) = crate::common::logs::capture();
    let revocations = Revocations::builder::<Feeds>(feed)
        .heartbeat(Duration::from_millis(100))
        .start();
    wait_until("the follower current", || revocations.table().is_current()).await;
    assert_eq!(
        revocations
            .table()
            .covering(namespace.as_str(), Some("ada")),
        Some(now.unsigned_abs())
    );
    let text = logs.text();
    assert_eq!(
        text.matches("skipped a revocation row that cannot be read")
            .count(),
        3,
        "{text}"
    );
    assert!(
        !text.contains("SECRET"),
        "a row's contents are never logged: {text}"
    );
}

#[test]
fn proxy_urls_keep_everything_but_the_address() {
    assert_eq!(
        address_of("postgres://u:p@db.local:5433/app?x=1", 5432),
        "db.local:5433"
    );
    assert_eq!(address_of("redis://127.0.0.1", 6379), "127.0.0.1:6379");
}

// ------------------------------------- two processes over HTTP, every feed

/// The HTTP scenarios of `tests/common/revocation_app.rs` (a revocation
/// through one process refused by another; log out other devices) with
/// each process on its own connection to a real feed.
mod over_http {
    use super::*;
    use crate::common::revocation_app::{
        a_revocation_in_one_process_ends_the_session_in_another,
        logout_others_keeps_this_device_only,
    };

    #[tokio::test]
    async fn redis() {
        let test = "revocation_feeds::over_http::redis";
        let Some(probe) = store::redis_store(test).await else {
            return;
        };
        let url = store::redis_url();
        let config = redis_config(probe.key_prefix());
        let connect =
            || RedisRevocationFeed::with_config(&url, config.clone()).expect("a valid URL");
        a_revocation_in_one_process_ends_the_session_in_another(connect(), connect()).await;
        logout_others_keeps_this_device_only(connect(), connect()).await;
        remove_stream(std::slice::from_ref(&url), &connect());
    }

    #[tokio::test]
    async fn redis_cluster() {
        let test = "revocation_feeds::over_http::redis_cluster";
        let Some(probe) = store::redis_cluster_store(test).await else {
            return;
        };
        let urls = store::redis_cluster_urls();
        let config = redis_config(probe.key_prefix());
        let connect = || {
            RedisRevocationFeed::on(
                RedisStore::cluster_with_config(&urls, config.clone()).expect("valid URLs"),
            )
        };
        a_revocation_in_one_process_ends_the_session_in_another(connect(), connect()).await;
        logout_others_keeps_this_device_only(connect(), connect()).await;
        remove_stream(&urls, &connect());
    }

    #[tokio::test]
    async fn postgres() {
        let Some((feed, config, url)) =
            postgres_feed("revocation_feeds::over_http::postgres").await
        else {
            return;
        };
        let connect =
            || PostgresRevocationFeed::with_config(&url, config.clone()).expect("a valid URL");
        a_revocation_in_one_process_ends_the_session_in_another(connect(), connect()).await;
        logout_others_keeps_this_device_only(connect(), connect()).await;
        drop_feed_table(&feed).await;
    }

    #[tokio::test]
    async fn sqlite() {
        let file = sql::TempDb::new("revocation_over_http");
        sqlite_feed(&file).await;
        let connect = || {
            SqliteRevocationFeed::open(file.path(), SqlStoreConfig::default().max_connections(4))
                .expect("a valid config")
        };
        a_revocation_in_one_process_ends_the_session_in_another(connect(), connect()).await;
        logout_others_keeps_this_device_only(connect(), connect()).await;
    }
}
