//! The `SessionStore` contract (see `session_core::store`), checked the same
//! way against every backend with the public harness
//! `session_seal::store::conformance`: each behaviour runs once on a
//! `MemoryStore` (`memory::…`), once on a `RedisStore` on one server under a
//! fresh key prefix (`redis::…`) and once on a `RedisStore` on a Redis
//! Cluster (`redis_cluster::…`); the Redis runs skip without a server
//! unless `SESSION_SEAL_REQUIRE_REDIS=1`. Then the checks only one backend
//! can make: Redis's layout, TTLs, corrupt rows, outages and cluster slots;
//! the memory store's purge and sweep.
//!
//! Times are a fake clock (`NOW`), as the layer's tests use: backends must
//! compare expiry with the caller's `now`, never with their own clock.

use std::sync::Arc;
use std::time::Duration;

use session_redis::RedisStore;
use session_seal::store::{
    MemoryStore, Move, MoveOutcome, Record, SaveOutcome, SessionId, SessionMeta, SessionStore,
    StoreError, StoreKey,
};

use crate::common;
use crate::common::store::{
    RawRedis, Resp, free_port, redis_store_at, redis_url, spawn_redis_server,
};

const NOW: u64 = 1_750_000_000;
const HOUR: u64 = 3600;
const ADMIN: &str = "admin";

/// A fresh admin key on `user`'s route.
fn key_of(user: &str) -> StoreKey {
    StoreKey::derive(ADMIN, &SessionId::generate_for(ADMIN, Some(user)))
}

/// A fresh key for one of alice's admin sessions.
fn new_key() -> StoreKey {
    key_of("alice")
}

/// A fresh admin row for `user` that started at `created_at` and lives an hour.
fn record(user: Option<&str>, created_at: u64) -> Record {
    Record {
        namespace: ADMIN.into(),
        user: user.map(Into::into),
        version: 1,
        data: br#"{"user_id":42,"roles":["admin"]}"#.to_vec(),
        revision: 1,
        created_at,
        touched_at: created_at,
        expires_at: created_at + HOUR,
        meta: SessionMeta::NONE,
    }
}

async fn save(
    store: &dyn SessionStore,
    key: &StoreKey,
    record: &Record,
    expected: Option<u64>,
    now: u64,
) -> SaveOutcome {
    store
        .save(key, record, expected, now)
        .await
        .expect("store available")
}

/// Saves a new row and insists it was written.
async fn create(store: &dyn SessionStore, key: &StoreKey, record: &Record) {
    assert_eq!(
        save(store, key, record, None, NOW).await,
        SaveOutcome::Saved,
        "creating {key:?}"
    );
}

async fn load(store: &dyn SessionStore, key: &StoreKey, now: u64) -> Option<Record> {
    store.load(key, now).await.expect("store available")
}

async fn listed(store: &dyn SessionStore, namespace: &str, user: &str, now: u64) -> Vec<StoreKey> {
    store
        .list_user(namespace, user, now)
        .await
        .expect("store available")
        .into_iter()
        .map(|session| session.key)
        .collect()
}

/// One `#[tokio::test]` per behaviour per backend: `memory::name`,
/// `redis::name` and `redis_cluster::name`.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        /// Every check of the harness has its tests here, and no other.
        #[test]
        fn every_harness_check_has_a_test_per_backend() {
            let listed = [$(stringify!($name)),*];
            let checks: Vec<&str> = session_seal::store::conformance::CHECKS
                .iter()
                .map(|check| check.name)
                .collect();
            assert_eq!(listed.as_slice(), checks.as_slice());
        }

        mod memory {
            $(
                #[tokio::test]
                async fn $name() {
                    session_seal::store::conformance::$name(&session_seal::store::MemoryStore::new()).await;
                }
            )*
        }

        mod redis {
            $(
                #[tokio::test]
                async fn $name() {
                    let test = concat!("redis::", stringify!($name));
                    let Some(store) = crate::common::store::redis_store(test).await else {
                        return;
                    };
                    session_seal::store::conformance::$name(&store).await;
                    crate::common::store::remove_keys(&crate::common::store::redis_url(), &store);
                }
            )*
        }

        mod redis_cluster {
            $(
                #[tokio::test]
                async fn $name() {
                    let test = concat!("redis_cluster::", stringify!($name));
                    let Some(store) = crate::common::store::redis_cluster_store(test).await else {
                        return;
                    };
                    session_seal::store::conformance::$name(&store).await;
                    crate::common::store::remove_cluster_keys(&store);
                }
            )*
        }
    };
}

common::with_every_check!(conformance);

/// The harness's one-call entry point runs every check (and so does not
/// drift from the list above).
#[tokio::test]
async fn memory_passes_the_whole_harness_in_one_call() {
    session_seal::store::conformance::run(|| async { MemoryStore::new() }).await;
    assert!(session_seal::store::conformance::CHECKS.len() >= 22);
}

// ------------------------------------------------------------- Redis only

/// Runs `check` on a fresh Redis prefix (or skips), then removes its keys.
macro_rules! with_redis {
    ($test:literal, |$store:ident, $raw:ident| $body:block) => {{
        let Some($store) = common::store::redis_store($test).await else {
            return;
        };
        let mut $raw = RawRedis::connect(&redis_url()).expect("raw connection to the test Redis");
        $body
        common::store::remove_keys(&redis_url(), &$store);
    }};
}

/// `<prefix>:{<route>}:row:<hex>`, spelled out here rather than asked of
/// the store, so a change of layout fails these tests.
fn row_key(store: &RedisStore, key: &StoreKey) -> String {
    let name = format!(
        "{}:{{{:04x}}}:row:{}",
        store.key_prefix(),
        key.route(),
        key.to_hex()
    );
    assert_eq!(name, store.row_key(key));
    name
}

/// `<prefix>:{<user route>}:user:<namespace>:<user>`.
fn index_key(store: &RedisStore, namespace: &str, user: &str) -> String {
    let route = StoreKey::user_route(namespace, user);
    let name = format!(
        "{}:{{{route:04x}}}:user:{namespace}:{user}",
        store.key_prefix()
    );
    assert_eq!(name, store.user_index_key(namespace, user));
    name
}

/// The numbers a row's `meta` field joins with `:`, in order.
const META_PARTS: [&str; 5] = [
    "version",
    "revision",
    "created_at",
    "touched_at",
    "expires_at",
];

/// `HSET key …` of a well-formed admin row for alice, with `field` (a hash
/// field, or one of the `META_PARTS` of its `meta` field) replaced by
/// `value`, or left out when `value` is `None`.
fn raw_row(raw: &mut RawRedis, key: &str, field: &str, value: Option<&[u8]>) {
    let expires = (NOW + HOUR).to_string();
    let numbers: [&[u8]; 5] = [b"1", b"1", b"1750000000", b"1750000000", expires.as_bytes()];
    let replace = |name: &str, good: &[u8]| -> Option<Vec<u8>> {
        if name == field {
            value.map(<[u8]>::to_vec)
        } else {
            Some(good.to_vec())
        }
    };
    let meta: Vec<Vec<u8>> = META_PARTS
        .iter()
        .zip(numbers)
        .filter_map(|(name, good)| replace(name, good))
        .collect();
    let fields = [
        ("namespace", replace("namespace", b"admin")),
        ("user", replace("user", b"alice")),
        ("data", replace("data", b"{\"card\":\"TOPSECRET\"}")),
        ("meta", Some(meta.join(&b':'))),
    ];
    let mut args: Vec<&[u8]> = vec![b"HSET", key.as_bytes()];
    for (name, value) in &fields {
        if let Some(value) = value {
            args.push(name.as_bytes());
            args.push(value);
        }
    }
    raw.cmd(&[b"DEL", key.as_bytes()]);
    assert!(matches!(raw.cmd(&args), Resp::Int(_)));
}

#[tokio::test]
async fn redis_corrupt_rows_read_as_absent_not_as_errors() {
    with_redis!(
        "redis_corrupt_rows_read_as_absent_not_as_errors",
        |store, raw| {
            let (logs, _capturing) = common::logs::capture();
            let corruptions: [(&str, Option<&[u8]>); 7] = [
                ("data", None),
                ("version", None),
                ("revision", Some(b"seven")),
                ("expires_at", Some(b"-1")),
                ("version", Some(b"4294967296")),
                ("namespace", Some(b"Not A Namespace")),
                ("user", Some(b"\xff\xfe")),
            ];
            for (field, value) in corruptions {
                let key = new_key();
                raw_row(&mut raw, &row_key(&store, &key), field, value);
                let what = format!("{field} = {value:?}");
                assert_eq!(
                    store.load(&key, NOW).await.expect("not an error"),
                    None,
                    "{what}"
                );
                assert!(
                    !store
                        .touch(&key, NOW + HOUR, NOW)
                        .await
                        .expect("not an error"),
                    "{what}"
                );
                // Absent, so a new session may take the key over.
                let fresh = record(Some("alice"), NOW);
                assert_eq!(
                    save(&store, &key, &fresh, None, NOW).await,
                    SaveOutcome::Saved,
                    "{what}"
                );
                assert_eq!(load(&store, &key, NOW).await, Some(fresh), "{what}");
            }

            // Keys of the wrong type.
            for (kind, command) in [
                ("string", vec![&b"SET"[..], b"garbage"]),
                ("list", vec![&b"RPUSH"[..], b"garbage"]),
            ] {
                let key = new_key();
                let row = row_key(&store, &key);
                let mut args = command.clone();
                args.insert(1, row.as_bytes());
                raw.cmd(&args);
                assert_eq!(
                    store.load(&key, NOW).await.expect("not an error"),
                    None,
                    "{kind}"
                );
                assert!(
                    !store
                        .touch(&key, NOW + HOUR, NOW)
                        .await
                        .expect("not an error")
                );
                assert!(
                    store.delete(&key).await.expect("not an error"),
                    "{kind} removed"
                );
                raw.cmd(&args);
                let fresh = record(None, NOW);
                assert_eq!(
                    save(&store, &key, &fresh, None, NOW).await,
                    SaveOutcome::Saved,
                    "{kind}"
                );
            }

            // A corrupt row in a user's index is left out of the list.
            let (good, bad) = (key_of("dave"), key_of("dave"));
            create(&store, &good, &record(Some("dave"), NOW)).await;
            create(&store, &bad, &record(Some("dave"), NOW + 1)).await;
            let meta = format!("1:1:yesterday:{}:{}", NOW + 1, NOW + 1 + HOUR);
            raw.cmd(&[
                b"HSET",
                row_key(&store, &bad).as_bytes(),
                b"meta",
                meta.as_bytes(),
            ]);
            assert_eq!(listed(&store, ADMIN, "dave", NOW).await, vec![good]);

            let text = logs.text();
            assert!(
                text.contains(&bad.to_hex()),
                "the warning names the key: {text}"
            );
            assert!(text.contains("created_at"), "and the field: {text}");
            assert!(!text.contains("TOPSECRET"), "never the data: {text}");
            assert!(!text.contains("yesterday"), "nor a field's value: {text}");
        }
    );
}

#[tokio::test]
async fn redis_keys_at_rest_are_hashed_store_keys() {
    with_redis!("redis_keys_at_rest_are_hashed_store_keys", |store, raw| {
        let (key, anonymous) = (new_key(), new_key());
        let row = record(Some("alice"), NOW);
        create(&store, &key, &row).await;
        create(&store, &anonymous, &record(None, NOW)).await;

        let mut keys: Vec<String> = raw
            .keys(&format!("{}:*", store.key_prefix()))
            .into_iter()
            .map(|key| String::from_utf8(key).expect("text keys"))
            .collect();
        keys.sort();
        let mut expected = vec![
            row_key(&store, &key),
            row_key(&store, &anonymous),
            index_key(&store, ADMIN, "alice"),
        ];
        expected.sort();
        // Nothing else: no key carries a session id, only its SHA-256 hash.
        assert_eq!(keys, expected);

        let row_name = row_key(&store, &key);
        assert_eq!(
            raw.cmd(&[b"TYPE", row_name.as_bytes()]),
            Resp::Simple("hash".into())
        );
        assert_eq!(
            raw.cmd(&[b"HGET", row_name.as_bytes(), b"data"]),
            Resp::Bulk(Some(row.data.clone()))
        );
        let index = index_key(&store, ADMIN, "alice");
        assert_eq!(
            raw.cmd(&[b"SMEMBERS", index.as_bytes()]),
            Resp::Array(Some(vec![Resp::Bulk(Some(key.to_hex().into_bytes()))]))
        );
        assert_eq!(
            raw.cmd(&[b"HEXISTS", row_key(&store, &anonymous).as_bytes(), b"user"]),
            Resp::Int(0),
            "anonymous rows have no user field"
        );
    });
}

#[tokio::test]
async fn redis_rows_and_indexes_expire_and_indexes_outlive_their_rows() {
    with_redis!(
        "redis_rows_and_indexes_expire_and_indexes_outlive_their_rows",
        |store, raw| {
            let ttl = |raw: &mut RawRedis, key: &str| raw.int(&[b"TTL", key.as_bytes()]);
            let index = index_key(&store, ADMIN, "alice");

            let long = new_key();
            create(&store, &long, &record(Some("alice"), NOW)).await;
            let long_ttl = ttl(&mut raw, &row_key(&store, &long));
            assert!(
                (HOUR as i64 - 5..=HOUR as i64).contains(&long_ttl),
                "{long_ttl}"
            );
            assert!(ttl(&mut raw, &index) >= long_ttl, "index TTL is set");

            // A shorter row does not shorten the index.
            let short = new_key();
            let mut brief = record(Some("alice"), NOW);
            brief.expires_at = NOW + 10;
            create(&store, &short, &brief).await;
            let short_ttl = ttl(&mut raw, &row_key(&store, &short));
            assert!((1..=10).contains(&short_ttl), "{short_ttl}");
            assert!(ttl(&mut raw, &index) >= long_ttl - 5);

            // A touch past every other row lengthens it.
            assert!(
                store
                    .touch(&short, NOW + 3 * HOUR, NOW)
                    .await
                    .expect("store available")
            );
            let touched_ttl = ttl(&mut raw, &row_key(&store, &short));
            assert!(touched_ttl > 3 * HOUR as i64 - 5, "{touched_ttl}");
            assert!(ttl(&mut raw, &index) >= touched_ttl);

            // Already expired by the caller's clock: kept a second, never forever.
            let stale = new_key();
            let mut expired = record(None, NOW);
            expired.expires_at = NOW - 1;
            create(&store, &stale, &expired).await;
            let stale_ttl = ttl(&mut raw, &row_key(&store, &stale));
            assert!(stale_ttl == 1 || stale_ttl == -2, "{stale_ttl}");
        }
    );
}

#[tokio::test]
async fn redis_list_user_prunes_index_entries_of_evicted_rows() {
    with_redis!(
        "redis_list_user_prunes_index_entries_of_evicted_rows",
        |store, raw| {
            let (gone, kept) = (new_key(), new_key());
            create(&store, &gone, &record(Some("alice"), NOW)).await;
            create(&store, &kept, &record(Some("alice"), NOW + 1)).await;
            // As if Redis had evicted the row by its TTL.
            raw.cmd(&[b"DEL", row_key(&store, &gone).as_bytes()]);
            assert_eq!(listed(&store, ADMIN, "alice", NOW).await, vec![kept]);
            let index = index_key(&store, ADMIN, "alice");
            assert_eq!(
                raw.cmd(&[b"SMEMBERS", index.as_bytes()]),
                Resp::Array(Some(vec![Resp::Bulk(Some(kept.to_hex().into_bytes()))]))
            );
            assert_eq!(
                store
                    .delete_user(ADMIN, "alice", None)
                    .await
                    .expect("store available"),
                1
            );
        }
    );
}

/// A row as a version without metadata wrote it (no `client` field) reads
/// with none, is listed, updated and renewed; a `client` field that does
/// not decode never makes a row unreadable.
#[tokio::test]
async fn redis_rows_written_before_metadata_read_without_it() {
    with_redis!(
        "redis_rows_written_before_metadata_read_without_it",
        |store, raw| {
            let key = new_key();
            let row = row_key(&store, &key);
            // `raw_row` writes the four fields of the first layout.
            raw_row(&mut raw, &row, "", None);
            raw.cmd(&[
                b"SADD",
                index_key(&store, ADMIN, "alice").as_bytes(),
                key.to_hex().as_bytes(),
            ]);
            assert_eq!(
                raw.cmd(&[b"HEXISTS", row.as_bytes(), b"client"]),
                Resp::Int(0)
            );
            let old = load(&store, &key, NOW).await.expect("readable");
            assert_eq!(old.meta, SessionMeta::NONE);
            assert_eq!(old.data, b"{\"card\":\"TOPSECRET\"}");
            let sessions = store
                .list_user(ADMIN, "alice", NOW)
                .await
                .expect("store available");
            assert_eq!(sessions.len(), 1);
            assert_eq!(sessions[0].meta, SessionMeta::NONE);

            // An update and a renewal of it still write no metadata.
            let mut update = old.clone();
            update.revision = 2;
            assert_eq!(
                save(&store, &key, &update, Some(1), NOW).await,
                SaveOutcome::Saved
            );
            assert_eq!(
                raw.cmd(&[b"HEXISTS", row.as_bytes(), b"client"]),
                Resp::Int(0),
                "no field for no metadata"
            );
            let renewed_key = new_key();
            let mut renewed = update.clone();
            renewed.revision = 3;
            let change = Move::new(key, Some(2), renewed_key, renewed.clone(), NOW).expect("route");
            assert_eq!(
                store.move_session(&change).await.expect("available"),
                MoveOutcome::Moved
            );
            assert_eq!(load(&store, &renewed_key, NOW).await, Some(renewed));

            // Garbage in the field: the row reads, the metadata is what
            // decodes of it.
            let garbage: [(&[u8], SessionMeta); 4] = [
                (b"nonsense", SessionMeta::NONE),
                (
                    b"999.1.1.1 Agent/1",
                    SessionMeta::new(None, Some("Agent/1")),
                ),
                (b"\xff\xfe \xff", SessionMeta::NONE),
                (
                    b"192.0.2.1 A\x00B",
                    SessionMeta::new("192.0.2.1".parse().ok(), Some("A B")),
                ),
            ];
            for (value, meta) in garbage {
                let key = new_key();
                let row = row_key(&store, &key);
                raw_row(&mut raw, &row, "", None);
                raw.cmd(&[b"HSET", row.as_bytes(), b"client", value]);
                let read = load(&store, &key, NOW).await;
                assert_eq!(read.map(|row| row.meta), Some(meta), "{value:?}");
            }
        }
    );
}

/// Waits (at most 10 s) for `operation`, which must fail as `Unavailable`.
async fn expect_unavailable<T: std::fmt::Debug>(
    what: &str,
    operation: impl std::future::Future<Output = Result<T, StoreError>>,
) {
    match tokio::time::timeout(Duration::from_secs(10), operation).await {
        Ok(Err(StoreError::Unavailable { message, .. })) => {
            assert!(!message.contains("user_id"), "{what}: {message}");
        }
        Ok(other) => panic!("{what}: expected Unavailable, got {other:?}"),
        Err(_) => panic!("{what}: no answer within 10 s"),
    }
}

#[tokio::test]
async fn redis_a_killed_server_is_unavailable_and_a_restarted_one_is_used_again() {
    let Some(mut server) = spawn_redis_server() else {
        return;
    };
    let store = redis_store_at(&server.url(), "killed_server");
    store.ping().await.expect("fresh server answers");
    let key = new_key();
    create(&store, &key, &record(Some("alice"), NOW)).await;

    server.kill();
    let started = std::time::Instant::now();
    let row = record(Some("alice"), NOW);
    expect_unavailable("load", store.load(&key, NOW)).await;
    expect_unavailable("save", store.save(&key, &row, Some(1), NOW)).await;
    expect_unavailable("touch", store.touch(&key, NOW + HOUR, NOW)).await;
    expect_unavailable("list_user", store.list_user(ADMIN, "alice", NOW)).await;
    expect_unavailable("delete_user", store.delete_user(ADMIN, "alice", None)).await;
    expect_unavailable("delete", store.delete(&key)).await;
    expect_unavailable("ping", store.ping()).await;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "seven failed operations took {:?}",
        started.elapsed()
    );

    // Redis comes back (empty: no persistence): the same store reconnects.
    server.restart();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while store.ping().await.is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the store reconnects within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(load(&store, &key, NOW).await, None);
    create(&store, &key, &record(Some("alice"), NOW)).await;
    assert_eq!(listed(&store, ADMIN, "alice", NOW).await, vec![key]);
}

#[tokio::test]
async fn redis_store_construction_is_lazy_and_an_absent_server_is_unavailable() {
    // Nothing listens on this port: building the store still succeeds (an
    // app may start before Redis), and each operation fails in bounded time.
    let url = format!("redis://127.0.0.1:{}", free_port());
    let store = RedisStore::new(&url).expect("only a bad URL fails construction");
    expect_unavailable("ping", store.ping()).await;
    expect_unavailable("load", store.load(&new_key(), NOW)).await;
    assert!(RedisStore::new("definitely not a url").is_err());
}

#[test]
fn redis_store_debug_shows_no_credentials() {
    let store = RedisStore::new("redis://sessions:hunter2@127.0.0.1:6379/2").expect("valid url");
    let debug = format!("{store:?}");
    assert!(debug.contains("session-seal"), "{debug}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(!debug.contains("sessions:"), "{debug}");
}

// ---------------------------------------------------- Redis Cluster only

/// `CLUSTER KEYSLOT name`, asked of any node.
fn keyslot(raw: &mut RawRedis, name: &str) -> i64 {
    raw.int(&[b"CLUSTER", b"KEYSLOT", name.as_bytes()])
}

/// The cluster nodes (by URL) that hold `name`: a node answers `EXISTS`
/// for its own slots only (MOVED for the others).
fn nodes_holding(name: &str) -> Vec<String> {
    common::store::redis_cluster_urls()
        .into_iter()
        .filter(|url| {
            let mut raw = RawRedis::connect(url).expect("raw connection to a cluster node");
            raw.cmd(&[b"EXISTS", name.as_bytes()]) == Resp::Int(1)
        })
        .collect()
}

#[tokio::test]
async fn redis_cluster_a_users_rows_and_index_share_one_slot_on_one_node() {
    let test = "redis_cluster_a_users_rows_and_index_share_one_slot_on_one_node";
    let Some(store) = common::store::redis_cluster_store(test).await else {
        return;
    };
    let mut raw = RawRedis::connect(&common::store::redis_cluster_urls()[0])
        .expect("raw connection to a cluster node");
    let (phone, laptop, bob) = (new_key(), new_key(), key_of("bob"));
    create(&store, &phone, &record(Some("alice"), NOW)).await;
    create(&store, &laptop, &record(Some("alice"), NOW + 1)).await;
    create(&store, &bob, &record(Some("bob"), NOW)).await;

    let index = index_key(&store, ADMIN, "alice");
    let slot = keyslot(&mut raw, &index);
    for key in [&phone, &laptop] {
        assert_eq!(keyslot(&mut raw, &row_key(&store, key)), slot, "{key:?}");
    }
    let holders = nodes_holding(&index);
    assert_eq!(holders.len(), 1, "one node holds the index: {holders:?}");
    for key in [&phone, &laptop] {
        assert_eq!(nodes_holding(&row_key(&store, key)), holders, "{key:?}");
    }
    // Another user's keys share their own slot (almost surely another one).
    assert_eq!(
        keyslot(&mut raw, &row_key(&store, &bob)),
        keyslot(&mut raw, &index_key(&store, ADMIN, "bob"))
    );
    assert_eq!(
        store
            .delete_user(ADMIN, "alice", None)
            .await
            .expect("cluster available"),
        2
    );
    assert!(load(&store, &bob, NOW).await.is_some());
    common::store::remove_cluster_keys(&store);
}

/// A key on a route other than `other`'s (so on another hash tag).
fn key_off_route(namespace: &str, other: u16) -> StoreKey {
    loop {
        let key = StoreKey::derive(namespace, &SessionId::generate());
        if key.route() != other {
            return key;
        }
    }
}

#[tokio::test]
async fn redis_cluster_a_move_between_slots_that_conflicts_restores_the_old_row() {
    let test = "redis_cluster_a_move_between_slots_that_conflicts_restores_the_old_row";
    let Some(store) = common::store::redis_cluster_store(test).await else {
        return;
    };
    let alice_route = StoreKey::user_route(ADMIN, "alice");
    // A live row of alice's already sits under the target key (only a test
    // can arrange this: targets are fresh random ids).
    let taken = new_key();
    let mut occupant = record(Some("alice"), NOW);
    occupant.data = br#"{"occupant":true}"#.to_vec();
    create(&store, &taken, &occupant).await;

    // Anonymous → alice (a login), and bob → alice (a user change): the
    // second step conflicts, so the first is undone.
    let anonymous_key = key_off_route(ADMIN, alice_route);
    let anonymous = record(None, NOW);
    create(&store, &anonymous_key, &anonymous).await;
    let bob_key = key_of("bob");
    assert_ne!(bob_key.route(), alice_route);
    let bob = record(Some("bob"), NOW);
    create(&store, &bob_key, &bob).await;

    for (from, old) in [(&anonymous_key, &anonymous), (&bob_key, &bob)] {
        for expected in [Some(1), None] {
            let login = record(Some("alice"), NOW + 5);
            let change = Move::new(*from, expected, taken, login, NOW + 5).expect("routed");
            assert_eq!(
                store
                    .move_session(&change)
                    .await
                    .expect("cluster available"),
                MoveOutcome::Conflict,
                "{from:?}, expected {expected:?}"
            );
            assert_eq!(load(&store, from, NOW + 5).await.as_ref(), Some(old));
        }
    }
    assert_eq!(load(&store, &taken, NOW).await, Some(occupant));
    assert_eq!(listed(&store, ADMIN, "bob", NOW).await, vec![bob_key]);
    assert_eq!(listed(&store, ADMIN, "alice", NOW).await, vec![taken]);
    // The restored rows kept their expiry in Redis.
    for key in [&anonymous_key, &bob_key] {
        let name = row_key(&store, key);
        let holder = nodes_holding(&name).pop().expect("restored row exists");
        let mut raw = RawRedis::connect(&holder).expect("raw connection to a cluster node");
        let ttl = raw.int(&[b"TTL", name.as_bytes()]);
        assert!(ttl > 0, "{key:?}: TTL {ttl}");
    }

    // And without a conflict the same moves go through.
    let fresh = new_key();
    let login = record(Some("alice"), NOW + 6);
    let change = Move::new(bob_key, Some(1), fresh, login.clone(), NOW + 6).expect("routed");
    assert_eq!(
        store
            .move_session(&change)
            .await
            .expect("cluster available"),
        MoveOutcome::Moved
    );
    assert_eq!(load(&store, &bob_key, NOW + 6).await, None);
    assert_eq!(listed(&store, ADMIN, "bob", NOW + 6).await, vec![]);
    assert_eq!(load(&store, &fresh, NOW + 6).await, Some(login));
    common::store::remove_cluster_keys(&store);
}

// ----------------------------------------------------------- memory only

#[tokio::test]
async fn memory_purge_expired_removes_rows_and_their_index_entries() {
    let store = MemoryStore::new();
    let (short, long, anonymous) = (new_key(), new_key(), new_key());
    let mut brief = record(Some("alice"), NOW);
    brief.expires_at = NOW + 10;
    create(&store, &short, &brief).await;
    create(&store, &long, &record(Some("alice"), NOW)).await;
    let mut brief_anonymous = record(None, NOW);
    brief_anonymous.expires_at = NOW + 10;
    create(&store, &anonymous, &brief_anonymous).await;
    assert_eq!(store.len(), 3);

    assert_eq!(store.purge_expired(NOW + 9), 0);
    assert_eq!(store.purge_expired(NOW + 10), 2);
    assert_eq!(store.len(), 1);
    assert_eq!(listed(&store, ADMIN, "alice", NOW).await, vec![long]);
    assert_eq!(
        store
            .delete_user(ADMIN, "alice", None)
            .await
            .expect("store available"),
        1
    );
    assert!(store.is_empty());
}

#[tokio::test]
async fn memory_sweeps_expired_rows_on_writes_at_most_once_a_minute() {
    let store = MemoryStore::new();
    let mut brief = record(Some("alice"), NOW);
    brief.expires_at = NOW + 10;
    // The first write sweeps (nothing is expired yet) and starts the minute.
    create(&store, &new_key(), &brief).await;
    let later = |at: u64| record(Some("alice"), at);
    for at in [NOW + 30, NOW + 59] {
        assert_eq!(
            save(&store, &new_key(), &later(at), None, at).await,
            SaveOutcome::Saved
        );
    }
    assert_eq!(store.len(), 3, "expired at NOW+10, not swept before NOW+60");
    assert_eq!(
        save(&store, &new_key(), &later(NOW + 60), None, NOW + 60).await,
        SaveOutcome::Saved
    );
    assert_eq!(store.len(), 3, "the write at NOW+60 swept the expired row");
    assert_eq!(listed(&store, ADMIN, "alice", NOW + 60).await.len(), 3);
}

#[tokio::test]
async fn memory_store_works_behind_arc_dyn() {
    let store: Arc<dyn SessionStore> = Arc::new(MemoryStore::new());
    let key = new_key();
    create(&store, &key, &record(Some("alice"), NOW)).await;
    assert!(load(&store, &key, NOW).await.is_some());
}
