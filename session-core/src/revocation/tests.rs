use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::*;
use crate::spec::SessionSpec;

const NOW: u64 = 1_800_000_000;

fn ns(name: &str) -> Namespace {
    Namespace::new(name).unwrap()
}

fn table_at(now: u64, retention: u64) -> RevocationTable {
    RevocationTable::new(Duration::from_secs(retention)).with_clock(move || now)
}

#[test]
fn a_revocation_ends_sessions_begun_before_it_only() {
    let table = table_at(NOW, 3600);
    table.heard();
    table.apply(&Revocation::user(ns("admin"), "42", NOW - 10).unwrap());
    assert_eq!(
        table.check("admin", Some("42"), NOW - 11),
        Err(Refusal::Revoked)
    );
    assert_eq!(table.check("admin", Some("42"), NOW - 10), Ok(()));
    assert_eq!(table.check("admin", Some("7"), NOW - 11), Ok(()));
    assert_eq!(table.check("tenant", Some("42"), NOW - 11), Ok(()));
    assert_eq!(table.check("admin", None, NOW - 11), Ok(()));
}

#[test]
fn a_namespace_revocation_covers_every_user_and_anonymous_sessions() {
    let table = table_at(NOW, 3600);
    table.heard();
    table.apply(&Revocation::all_users(ns("admin"), NOW - 10));
    table.apply(&Revocation::user(ns("admin"), "42", NOW - 5).unwrap());
    assert_eq!(
        table.check("admin", Some("7"), NOW - 11),
        Err(Refusal::Revoked)
    );
    assert_eq!(table.check("admin", None, NOW - 11), Err(Refusal::Revoked));
    assert_eq!(table.check("admin", Some("7"), NOW - 10), Ok(()));
    // The later of the two covering revocations counts.
    assert_eq!(table.covering("admin", Some("42")), Some(NOW - 5));
    assert_eq!(
        table.check("admin", Some("42"), NOW - 6),
        Err(Refusal::Revoked)
    );
}

#[test]
fn the_latest_revocation_of_an_entry_is_kept() {
    let table = table_at(NOW, 3600);
    table.apply(&Revocation::user(ns("admin"), "42", NOW - 5).unwrap());
    table.apply(&Revocation::user(ns("admin"), "42", NOW - 50).unwrap());
    assert_eq!(table.covering("admin", Some("42")), Some(NOW - 5));
    assert_eq!(table.len(), 1);
}

#[test]
fn a_table_is_stale_until_heard_and_after_its_bound() {
    let table = RevocationTable::new(Duration::from_secs(60)).with_staleness_bound(Duration::ZERO);
    assert_eq!(table.silent_for(), None);
    assert_eq!(table.check("admin", Some("42"), NOW), Err(Refusal::Stale));
    let generous = RevocationTable::new(Duration::from_secs(60));
    generous.heard();
    assert!(generous.is_current());
    assert_eq!(generous.check("admin", Some("42"), NOW), Ok(()));
    table.heard();
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(table.check("admin", Some("42"), NOW), Err(Refusal::Stale));
}

#[test]
fn a_known_revocation_is_reported_even_when_stale() {
    let table = table_at(NOW, 3600);
    table.apply(&Revocation::user(ns("admin"), "42", NOW).unwrap());
    assert_eq!(
        table.check("admin", Some("42"), NOW - 1),
        Err(Refusal::Revoked)
    );
    assert_eq!(table.check("admin", Some("42"), NOW), Err(Refusal::Stale));
}

#[test]
fn entries_older_than_the_window_are_ignored_and_pruned() {
    let now = Arc::new(AtomicU64::new(NOW));
    let clock = Arc::clone(&now);
    let table = RevocationTable::new(Duration::from_secs(100))
        .with_clock(move || clock.load(Ordering::Relaxed));
    table.apply(&Revocation::user(ns("admin"), "old", NOW - 101).unwrap());
    assert!(table.is_empty(), "older than the window when it arrives");
    table.apply(&Revocation::user(ns("admin"), "a", NOW - 50).unwrap());
    table.apply(&Revocation::all_users(ns("tenant"), NOW - 10));
    assert_eq!(table.len(), 2);
    now.store(NOW + 60, Ordering::Relaxed);
    table.heard(); // prunes: the first pruning is due at once
    assert_eq!(table.covering("admin", Some("a")), None);
    assert_eq!(table.covering("tenant", None), Some(NOW - 10));
    assert_eq!(table.len(), 1);
    now.store(NOW + 200, Ordering::Relaxed);
    table.prune();
    assert!(table.is_empty());
}

#[test]
fn messages_round_trip_and_are_checked() {
    let revocation = Revocation::user(ns("admin"), "42", NOW).unwrap();
    let message = revocation.to_message();
    assert_eq!(
        message,
        r#"{"namespace":"admin","revoked":{"user":"42"},"at":1800000000}"#
    );
    assert_eq!(Revocation::from_message(message.as_bytes()), Ok(revocation));
    let all = Revocation::all_users(ns("admin"), NOW);
    assert_eq!(
        Revocation::from_message(all.to_message().as_bytes()),
        Ok(all)
    );
    for bad in [
        &br#"{"namespace":"Admin","revoked":"all_users","at":1}"#[..],
        br#"{"namespace":"admin","revoked":{"user":""},"at":1}"#,
        br#"{"namespace":"admin","revoked":"nobody","at":1}"#,
        br#"{"namespace":"admin","at":1}"#,
        b"\xff",
    ] {
        assert!(Revocation::from_message(bad).is_err(), "{bad:?}");
    }
    let long = format!(
        r#"{{"namespace":"admin","revoked":{{"user":"{}"}},"at":1}}"#,
        "u".repeat(MAX_USER_LEN + 1)
    );
    assert_eq!(
        Revocation::from_message(long.as_bytes()),
        Err(InvalidRevocation::User)
    );
}

#[test]
fn user_keys_are_bounded() {
    assert!(Revocation::user(ns("a"), "u".repeat(MAX_USER_LEN), 1).is_ok());
    assert_eq!(
        Revocation::user(ns("a"), "u".repeat(MAX_USER_LEN + 1), 1),
        Err(InvalidRevocation::User)
    );
    assert_eq!(
        Revocation::user(ns("a"), "", 1),
        Err(InvalidRevocation::User)
    );
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Admin {
    user: Option<String>,
}

impl crate::SessionPayload for Admin {
    const SPEC: SessionSpec = SessionSpec::builder("Admin", "admin", "admin")
        .max_age_secs(60)
        .absolute_max_age_secs(600)
        .revocable()
        .build();
    fn session_user(&self) -> Option<String> {
        self.user.clone()
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Plain;

impl crate::SessionPayload for Plain {
    const SPEC: SessionSpec = SessionSpec::builder("Plain", "plain", "plain").build();
}

struct App;

impl crate::Registry for App {
    const SPECS: &'static [SessionSpec] = &[Admin::SPEC, Plain::SPEC];
    fn contains(id: std::any::TypeId) -> bool {
        id == std::any::TypeId::of::<Admin>() || id == std::any::TypeId::of::<Plain>()
    }
}

#[test]
fn typed_revocations_need_a_revocable_type_and_a_user() {
    let revocation = Revocation::of_user::<Admin>(&42u64, NOW).unwrap();
    assert_eq!(revocation.namespace().as_str(), "admin");
    assert_eq!(revocation.revoked(), &Revoked::User("42".into()));
    assert_eq!(
        Revocation::of_user::<Plain>(&42u64, NOW),
        Err(InvalidRevocation::NotRevocable)
    );
    assert_eq!(
        Revocation::of_user::<Admin>(&None::<u64>, NOW),
        Err(InvalidRevocation::NotRevocable)
    );
}

#[test]
fn sealing_refuses_a_user_that_could_not_be_revoked() {
    let keyring = crate::Keyring::new(crate::SessionSecret::generate());
    let long = Admin {
        user: Some("u".repeat(MAX_USER_LEN + 1)),
    };
    assert!(matches!(
        keyring.seal_at(&long, NOW),
        Err(crate::SealError::RevocableUser { len }) if len == MAX_USER_LEN + 1
    ));
    let empty = Admin {
        user: Some(String::new()),
    };
    assert!(keyring.seal_at(&empty, NOW).is_err());
    assert!(keyring.seal_at(&Admin { user: None }, NOW).is_ok());
    let longest = Admin {
        user: Some("u".repeat(MAX_USER_LEN)),
    };
    assert!(
        keyring.seal_at(&longest, NOW).is_ok(),
        "exactly the limit is revocable"
    );
    assert!(
        keyring
            .seal_at(
                &Admin {
                    user: Some("42".into())
                },
                NOW
            )
            .is_ok()
    );
}

#[test]
fn retention_is_the_longest_revocable_absolute_lifetime() {
    assert_eq!(handle::retention_of(<App as crate::Registry>::SPECS), 600);
    assert_eq!(handle::retention_of(&[Plain::SPEC]), 0);
}

#[tokio::test]
async fn the_memory_feed_keeps_the_contract() {
    let feed = MemoryFeed::new();
    conformance_checks(feed).await;
}

#[cfg(feature = "testing")]
async fn conformance_checks(feed: MemoryFeed) {
    conformance::check_feed(|| feed.clone()).await;
}

#[cfg(not(feature = "testing"))]
async fn conformance_checks(feed: MemoryFeed) {
    // Without the harness: the essentials by hand.
    let table = Arc::new(RevocationTable::new(Duration::from_secs(3600)));
    let following = Arc::clone(&table);
    let follower = feed.clone();
    let task = tokio::spawn(async move { follower.follow(&following).await });
    let now = crate::unix_now();
    feed.publish(&Revocation::user(ns("admin"), "42", now).unwrap(), 0)
        .await
        .unwrap();
    for _ in 0..500 {
        if table.covering("admin", Some("42")) == Some(now) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(table.covering("admin", Some("42")), Some(now));
    assert!(table.is_current());
    task.abort();
}

#[tokio::test]
async fn a_handle_revokes_here_at_once_and_stops_with_its_last_clone() {
    let feed = MemoryFeed::new();
    let revocations = Revocations::builder::<App>(feed.clone())
        .heartbeat(Duration::from_millis(50))
        .start();
    assert_eq!(revocations.table().retention_secs(), 600);
    assert!(revocations.wait_until_current(Duration::from_secs(5)).await);
    let before = revocations.now() - 1;
    let revocation = revocations.revoke_user::<Admin>(&7u64).await.unwrap();
    assert_eq!(
        revocations.table().covering("admin", Some("7")),
        Some(revocation.at())
    );
    assert_eq!(
        revocations.check("admin", Some("7"), before),
        Err(Refusal::Revoked)
    );
    assert!(matches!(
        revocations.revoke_user::<Plain>(&7u64).await,
        Err(RevokeError::Invalid(InvalidRevocation::NotRevocable))
    ));
    revocations.revoke_all_users::<Admin>().await.unwrap();
    assert_eq!(feed.len(), 2);
    // Another process on the same feed sees both.
    let other = Revocations::builder::<App>(feed.clone()).start();
    assert!(other.wait_until_current(Duration::from_secs(5)).await);
    assert_eq!(
        other.check("admin", Some("8"), before),
        Err(Refusal::Revoked)
    );
    drop(revocations);
    drop(other);
    // The followers were aborted: the feed's watch has no receiver left.
    for _ in 0..100 {
        if feed.followers() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(feed.followers(), 0);
}

#[tokio::test]
async fn local_revocations_need_no_feed_and_are_never_stale() {
    let revocations = Revocations::local::<App>();
    assert!(revocations.table().is_current());
    assert_eq!(revocations.table().retention_secs(), 600);
    let before = revocations.now() - 1;
    assert_eq!(revocations.check("admin", Some("7"), before), Ok(()));
    revocations.revoke_user::<Admin>(&7u64).await.unwrap();
    assert_eq!(
        revocations.check("admin", Some("7"), before),
        Err(Refusal::Revoked)
    );
    assert_eq!(revocations.check("admin", Some("8"), before), Ok(()));
}

#[tokio::test]
async fn a_watched_table_turns_stale_within_a_quarter_of_its_bound() {
    let table = Arc::new(
        RevocationTable::new(Duration::from_secs(60))
            .with_heartbeat(Duration::from_millis(10))
            .with_staleness_bound(Duration::from_millis(80)),
    );
    let watched = Arc::clone(&table);
    assert!(!table.is_watched());
    let watchdog = tokio::spawn(async move { watched.watch().await });
    assert_eq!(
        table.check("admin", None, NOW),
        Err(Refusal::Stale),
        "never heard"
    );
    for _ in 0..1000 {
        if table.is_watched() {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(table.is_watched(), "the watchdog runs");
    table.heard();
    // Heard: fresh at once, without waiting for the watchdog.
    assert_eq!(table.check("admin", None, NOW), Ok(()));
    let heard_at = std::time::Instant::now();
    while table.check("admin", None, NOW).is_ok() {
        assert!(
            heard_at.elapsed() < Duration::from_secs(5),
            "never turned stale"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // Not before the bound, and at most a quarter of it (plus scheduling) after.
    let stale_after = heard_at.elapsed();
    assert!(stale_after >= Duration::from_millis(80), "{stale_after:?}");
    assert!(!table.is_current());
    table.heard();
    assert_eq!(table.check("admin", None, NOW), Ok(()));
    watchdog.abort();
}

#[test]
fn backoff_doubles_up_to_a_heartbeat_and_restarts_after_a_connection() {
    use handle::backoff_after;
    let ms = Duration::from_millis;
    let heartbeat = ms(1000);
    // Quick failures: wait the current backoff, then double it.
    assert_eq!(backoff_after(ms(50), ms(10), heartbeat), (ms(50), ms(100)));
    assert_eq!(
        backoff_after(ms(400), heartbeat, heartbeat),
        (ms(400), ms(800))
    );
    assert_eq!(
        backoff_after(ms(800), ms(10), heartbeat),
        (ms(800), heartbeat)
    );
    assert_eq!(
        backoff_after(heartbeat, ms(10), heartbeat),
        (heartbeat, heartbeat)
    );
    // A follow that ran past a heartbeat had connected: back to the floor.
    assert_eq!(
        backoff_after(ms(800), ms(1001), heartbeat),
        (ms(50), ms(100))
    );
    // A heartbeat shorter than the floor does not shrink it.
    assert_eq!(backoff_after(ms(50), ms(1), ms(10)), (ms(50), ms(50)));
}

#[test]
fn the_watchdog_looks_four_times_per_bound_at_most_once_a_heartbeat() {
    use table::watch_period;
    let ms = Duration::from_millis;
    assert_eq!(watch_period(ms(80), ms(1000)), ms(20));
    assert_eq!(watch_period(ms(80), ms(10)), ms(10));
    assert_eq!(watch_period(Duration::ZERO, Duration::ZERO), ms(1));
}

#[test]
fn a_tables_settings_read_back() {
    let table = RevocationTable::new(Duration::from_secs(90))
        .with_heartbeat(Duration::from_millis(7))
        .with_staleness_bound(Duration::from_millis(70));
    assert_eq!(table.heartbeat(), Duration::from_millis(7));
    assert_eq!(table.staleness_bound(), Duration::from_millis(70));
    assert_eq!(table.retention_secs(), 90);
    let debug = format!("{table:?}");
    assert!(debug.contains("retention_secs: 90"), "{debug}");
}

#[test]
fn silence_is_measured_from_the_last_heard() {
    let table = RevocationTable::new(Duration::from_secs(60));
    table.heard();
    let right_after = table.silent_for().expect("heard");
    assert!(right_after < Duration::from_millis(500), "{right_after:?}");
    std::thread::sleep(Duration::from_millis(30));
    let later = table.silent_for().expect("heard");
    assert!(later >= Duration::from_millis(30), "{later:?}");
    assert!(later < Duration::from_secs(5), "{later:?}");
}

#[test]
fn a_revocation_at_the_window_start_is_kept() {
    let table = table_at(NOW, 100);
    table.apply(&Revocation::user(ns("admin"), "edge", NOW - 100).unwrap());
    table.apply(&Revocation::user(ns("admin"), "gone", NOW - 101).unwrap());
    assert_eq!(table.covering("admin", Some("edge")), Some(NOW - 100));
    assert_eq!(table.covering("admin", Some("gone")), None);
    assert!(!table.is_empty());
    assert_eq!(table.len(), 1);
}

#[test]
fn a_message_may_name_a_user_key_of_exactly_the_limit() {
    let longest = Revocation::user(ns("admin"), "u".repeat(MAX_USER_LEN), NOW).unwrap();
    assert_eq!(
        Revocation::from_message(longest.to_message().as_bytes()),
        Ok(longest)
    );
}

#[test]
fn debug_output_names_what_matters() {
    let user = format!("{:?}", Revoked::User("42".into()));
    assert_eq!(user, "User(\"42\")");
    assert_eq!(format!("{:?}", Revoked::AllUsers), "AllUsers");
    let builder = format!("{:?}", Revocations::builder::<App>(MemoryFeed::new()));
    assert!(builder.contains("retention_secs: 600"), "{builder}");
    let local = format!("{:?}", Revocations::local::<App>());
    assert!(
        local.starts_with("Revocations") && local.contains("entries: 0"),
        "{local}"
    );
    let feed = MemoryFeed::new();
    assert_eq!(format!("{feed:?}"), "MemoryFeed { revocations: 0 }");
}

#[tokio::test]
async fn a_memory_feed_counts_its_revocations_and_followers() {
    let feed = MemoryFeed::new();
    assert!(feed.is_empty());
    assert_eq!(feed.followers(), 0);
    feed.publish(&Revocation::all_users(ns("admin"), NOW), 0)
        .await
        .unwrap();
    assert!(!feed.is_empty());
    assert_eq!(feed.len(), 1);
    let revocations = Revocations::builder::<App>(feed.clone()).start();
    assert!(revocations.wait_until_current(Duration::from_secs(5)).await);
    assert_eq!(feed.followers(), 1);
    // Publishing drops what is older than `keep_since`.
    feed.publish(&Revocation::all_users(ns("tenant"), NOW + 10), NOW + 1)
        .await
        .unwrap();
    assert_eq!(feed.len(), 1);
}
