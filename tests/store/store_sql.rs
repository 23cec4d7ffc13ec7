//! The SQL stores (`session-sql`): every conformance check of
//! `session_seal::store::conformance` on PostgreSQL (`postgres::…`, a fresh
//! table per check in the database `.ci/run` sets up; skipped without a
//! server unless `SESSION_SEAL_REQUIRE_POSTGRES=1`) and on SQLite
//! (`sqlite::…`, a fresh temporary file per check). Then what only SQL
//! stores do: migrations, the expiry cleanup, identifier checks, the
//! integer mapping, unreadable rows and outages.

use std::time::{Duration, Instant};

use session_seal::StoreError;
use session_seal::store::{Record, SaveOutcome, SessionId, SessionMeta, SessionStore, StoreKey};
use session_sql::sqlx;
use session_sql::{ConfigError, PostgresStore, SqlStoreConfig, SqliteStore};

use crate::common;
use crate::common::sql::{
    TempDb, drop_table, postgres_store_with, sqlite_store, sqlite_store_with, test_config,
    unique_table,
};

const NOW: u64 = 1_750_000_000;
const HOUR: u64 = 3600;

/// One `#[tokio::test]` per check per backend.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let test = concat!("postgres::", stringify!($name));
                    let table = crate::common::sql::unique_table(stringify!($name));
                    let config = crate::common::sql::test_config(&table);
                    let Some(store) = crate::common::sql::postgres_store_with(test, config).await else {
                        return;
                    };
                    session_seal::store::conformance::$name(&store).await;
                    crate::common::sql::drop_table(&store, &table).await;
                }
            )*
        }

        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let (store, _file) = crate::common::sql::sqlite_store(stringify!($name)).await;
                    session_seal::store::conformance::$name(&store).await;
                }
            )*
        }
    };
}

common::with_every_check!(conformance);

// ------------------------------------------------------------------ helpers

fn key_of(user: &str) -> StoreKey {
    StoreKey::derive("admin", &SessionId::generate_for("admin", Some(user)))
}

fn record(created_at: u64, expires_at: u64) -> Record {
    Record {
        namespace: "admin".into(),
        user: Some("alice".into()),
        version: 1,
        data: br#"{"user_id":42}"#.to_vec(),
        revision: 1,
        created_at,
        touched_at: created_at,
        expires_at,
        meta: SessionMeta::NONE,
    }
}

/// Creates `expired` rows that expired before `NOW` and `live` rows that
/// expire after it; returns the live rows' keys.
async fn fill(store: &dyn SessionStore, expired: u64, live: u64) -> Vec<StoreKey> {
    for n in 0..expired {
        let row = record(NOW - HOUR, NOW - HOUR + n);
        let outcome = store
            .save(&key_of("alice"), &row, None, NOW - 2 * HOUR)
            .await
            .expect("store available");
        assert_eq!(outcome, SaveOutcome::Saved);
    }
    let mut keys = Vec::new();
    for n in 0..live {
        let key = key_of("alice");
        let outcome = store
            .save(&key, &record(NOW, NOW + 1 + n), None, NOW)
            .await
            .expect("store available");
        assert_eq!(outcome, SaveOutcome::Saved);
        keys.push(key);
    }
    keys
}

async fn assert_live(store: &dyn SessionStore, keys: &[StoreKey]) {
    for key in keys {
        assert!(
            store
                .load(key, NOW)
                .await
                .expect("store available")
                .is_some(),
            "live row {key:?} survived"
        );
    }
}

// ------------------------------------------------------ identifiers

const INJECTIONS: &[&str] = &[
    "sessions; DROP TABLE users; --",
    "sessions\" (x int); --",
    "public.sessions",
    "",
    "1sessions",
];

#[test]
fn an_injection_through_the_table_name_is_refused_at_construction() {
    for name in INJECTIONS {
        let config = || SqlStoreConfig::default().table(*name);
        let postgres = PostgresStore::with_config("postgres://u@127.0.0.1/db", config());
        assert!(
            matches!(
                postgres,
                Err(ConfigError::InvalidIdentifier {
                    setting: "table",
                    ..
                })
            ),
            "{name:?}: {postgres:?}"
        );
        let sqlite = SqliteStore::open("/nonexistent/never-opened.db", config());
        assert!(
            matches!(
                sqlite,
                Err(ConfigError::InvalidIdentifier {
                    setting: "table",
                    ..
                })
            ),
            "{name:?}: {sqlite:?}"
        );
    }
    let schema = PostgresStore::with_config(
        "postgres://u@127.0.0.1/db",
        SqlStoreConfig::default().schema("auth; DROP SCHEMA public"),
    );
    assert!(matches!(
        schema,
        Err(ConfigError::InvalidIdentifier {
            setting: "schema",
            ..
        })
    ));
    // And the refusal says what is allowed.
    let message = SqliteStore::open("x.db", SqlStoreConfig::default().table("a;b"))
        .expect_err("refused")
        .to_string();
    assert!(
        message.contains("letters, digits or underscores"),
        "{message}"
    );
}

#[tokio::test]
async fn migration_sql_names_the_configured_table_and_its_indexes() {
    let store = PostgresStore::with_config(
        "postgres://u@127.0.0.1/db",
        SqlStoreConfig::default().schema("auth").table("Sessions"),
    )
    .expect("valid");
    let ddl = store.migration_sql();
    assert!(
        ddl.contains("CREATE SCHEMA IF NOT EXISTS \"auth\";"),
        "{ddl}"
    );
    assert!(
        ddl.contains("CREATE TABLE IF NOT EXISTS \"auth\".\"Sessions\""),
        "{ddl}"
    );
    assert!(ddl.contains("store_key      BYTEA PRIMARY KEY"), "{ddl}");
    assert!(ddl.contains("data           BYTEA NOT NULL"), "{ddl}");
    assert!(
        ddl.contains("(namespace, user_id) WHERE user_id IS NOT NULL"),
        "{ddl}"
    );
    assert!(ddl.contains("\"Sessions_expires_idx\" ON \"auth\".\"Sessions\" (expires_at)"));
    assert!(ddl.contains("client_addr    TEXT,\n"), "{ddl}");
    assert!(ddl.contains("user_agent     TEXT,\n"), "{ddl}");
    assert!(ddl.contains("fingerprint    BYTEA,\n"), "{ddl}");
    assert_eq!(
        store.upgrade_sql(),
        "ALTER TABLE \"auth\".\"Sessions\" ADD COLUMN client_addr TEXT;\n\
         ALTER TABLE \"auth\".\"Sessions\" ADD COLUMN user_agent TEXT;\n\
         ALTER TABLE \"auth\".\"Sessions\" ADD COLUMN fingerprint BYTEA;\n"
    );

    let sqlite = SqliteStore::in_memory(SqlStoreConfig::default()).expect("valid");
    let ddl = sqlite.migration_sql();
    assert!(ddl.contains("store_key      BLOB PRIMARY KEY"), "{ddl}");
    assert!(ddl.contains("fingerprint    BLOB,\n"), "{ddl}");
    assert!(ddl.contains("WITHOUT ROWID"), "{ddl}");
}

// ------------------------------------------------------------- migrate

#[tokio::test]
async fn postgres_migrate_from_two_tasks_at_once_succeeds_and_is_idempotent() {
    let table = unique_table("concurrent_migrate");
    let schema = unique_table("schema");
    let config = test_config(&table).schema(&schema);
    // A first store just to learn whether a server is there.
    let probe_table = unique_table("concurrent_migrate_probe");
    let Some(probe) = postgres_store_with("concurrent_migrate", test_config(&probe_table)).await
    else {
        return;
    };
    let url = common::sql::postgres_url();
    let a = PostgresStore::with_config(&url, config.clone()).expect("valid");
    let b = PostgresStore::with_config(&url, config).expect("valid");
    // Both create the schema, the table and its indexes at the same time;
    // without the advisory lock one of them fails on a duplicate name.
    let (first, second) = tokio::join!(
        tokio::spawn(async move { a.migrate().await.map(|()| a) }),
        tokio::spawn(async move { b.migrate().await.map(|()| b) }),
    );
    let a = first.expect("task").expect("first migrate");
    let b = second.expect("task").expect("second migrate");
    b.migrate()
        .await
        .expect("a third run finds everything in place");
    let key = key_of("alice");
    assert_eq!(
        a.save(&key, &record(NOW, NOW + HOUR), None, NOW)
            .await
            .expect("available"),
        SaveOutcome::Saved
    );
    assert!(b.load(&key, NOW).await.expect("available").is_some());
    let _ = sqlx::query(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
        .execute(probe.pool())
        .await;
    drop_table(&probe, &probe_table).await;
}

#[tokio::test]
async fn sqlite_migrate_from_two_tasks_at_once_succeeds() {
    let file = TempDb::new("sqlite_concurrent_migrate");
    let a = SqliteStore::open(file.path(), SqlStoreConfig::default()).expect("valid");
    let b = SqliteStore::open(file.path(), SqlStoreConfig::default()).expect("valid");
    let (first, second) = tokio::join!(
        tokio::spawn(async move { a.migrate().await.map(|()| a) }),
        tokio::spawn(async move { b.migrate().await.map(|()| b) }),
    );
    let a = first.expect("task").expect("first migrate");
    let b = second.expect("task").expect("second migrate");
    let key = key_of("alice");
    assert_eq!(
        a.save(&key, &record(NOW, NOW + HOUR), None, NOW)
            .await
            .expect("available"),
        SaveOutcome::Saved
    );
    assert!(b.load(&key, NOW).await.expect("available").is_some());
}

#[tokio::test]
async fn sqlite_sessions_survive_reopening_the_file() {
    let (store, file) = sqlite_store("reopen").await;
    let key = key_of("alice");
    let row = record(NOW, NOW + HOUR);
    assert_eq!(
        store.save(&key, &row, None, NOW).await.expect("available"),
        SaveOutcome::Saved
    );
    store.pool().close().await;
    let reopened = SqliteStore::open(file.path(), SqlStoreConfig::default()).expect("valid");
    reopened.migrate().await.expect("idempotent");
    assert_eq!(
        reopened.load(&key, NOW).await.expect("available"),
        Some(row)
    );
}

// ------------------------------------------------------- upgrading a table

/// The table as the first schema (before the metadata columns) created it,
/// with its indexes: `BYTEA`/`BIGINT`/`octet_length` on PostgreSQL,
/// `BLOB`/`INTEGER`/`length` and `WITHOUT ROWID, STRICT` on SQLite.
fn first_schema(table: &str, postgres: bool) -> String {
    let (blob, integer, length, options) = if postgres {
        ("BYTEA", "BIGINT", "octet_length", "")
    } else {
        ("BLOB", "INTEGER", "length", " WITHOUT ROWID, STRICT")
    };
    format!(
        "CREATE TABLE \"{table}\" (
    store_key      {blob} PRIMARY KEY,
    namespace      TEXT NOT NULL,
    user_id        TEXT,
    schema_version {integer} NOT NULL,
    data           {blob} NOT NULL,
    revision       {integer} NOT NULL,
    created_at     {integer} NOT NULL,
    touched_at     {integer} NOT NULL,
    expires_at     {integer} NOT NULL,
    CHECK ({length}(store_key) = 32),
    CHECK (schema_version BETWEEN 0 AND 4294967295),
    CHECK (created_at >= 0 AND touched_at >= 0 AND expires_at >= 0)
){options};
CREATE INDEX \"{table}_user_idx\" ON \"{table}\" (namespace, user_id) WHERE user_id IS NOT NULL;
CREATE INDEX \"{table}_expires_idx\" ON \"{table}\" (expires_at);
"
    )
}

/// The row the first schema's store wrote for `key`: alice's, nine columns.
const FIRST_SCHEMA_ROW: &str = "INSERT INTO \"{table}\" \
     (store_key, namespace, user_id, schema_version, data, revision, created_at, touched_at, expires_at) \
     VALUES ($1, 'admin', 'alice', 1, $2, 4, $3, $4, $5)";

/// What a store reads of the first schema's row once the table is upgraded:
/// everything it held, and no metadata.
fn first_schema_record() -> Record {
    Record {
        revision: 4,
        touched_at: NOW + 60,
        ..record(NOW, NOW + HOUR)
    }
}

/// A login's metadata, for the rows written after the upgrade.
fn laptop() -> SessionMeta {
    SessionMeta::new(
        Some("203.0.113.9".parse().expect("an address")),
        Some("Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"),
    )
}

/// On a store whose table holds `first_schema_record()` under `old` (and
/// now has the metadata columns): the old row reads with no metadata, is
/// listed, updated and moved; a new row keeps its metadata.
async fn check_upgraded(store: &dyn SessionStore, old: &StoreKey) {
    let read = store.load(old, NOW).await.expect("available");
    assert_eq!(read, Some(first_schema_record()), "the old row, intact");
    let listed = store
        .list_user("admin", "alice", NOW)
        .await
        .expect("available");
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].key, &listed[0].meta), (*old, &SessionMeta::NONE));

    let mut update = first_schema_record();
    update.revision = 5;
    update.data = br#"{"user_id":42,"visits":1}"#.to_vec();
    assert_eq!(
        store
            .save(old, &update, Some(4), NOW)
            .await
            .expect("available"),
        SaveOutcome::Saved
    );
    assert_eq!(store.load(old, NOW).await.expect("available"), Some(update));

    let new = key_of("alice");
    let mut login = record(NOW + 1, NOW + HOUR);
    login.meta = laptop();
    assert_eq!(
        store
            .save(&new, &login, None, NOW + 1)
            .await
            .expect("available"),
        SaveOutcome::Saved
    );
    assert_eq!(
        store.load(&new, NOW + 1).await.expect("available"),
        Some(login)
    );
    let metas: Vec<SessionMeta> = store
        .list_user("admin", "alice", NOW + 1)
        .await
        .expect("available")
        .into_iter()
        .map(|session| session.meta)
        .collect();
    assert_eq!(metas, vec![SessionMeta::NONE, laptop()]);
}

/// A table created by the first schema, with a row in it: `migrate()`
/// adds the two nullable columns (from two instances at once: one adds
/// them, the other finds them), and the row reads back intact with no
/// metadata. Before the upgrade this version cannot read the table.
#[tokio::test]
async fn postgres_migrate_upgrades_a_table_of_the_first_schema() {
    let probe_table = unique_table("upgrade_probe");
    let Some(probe) = postgres_store_with("pg_upgrade", test_config(&probe_table)).await else {
        return;
    };
    let table = unique_table("pg_upgrade");
    sqlx::raw_sql(&first_schema(&table, true))
        .execute(probe.pool())
        .await
        .expect("the first schema");
    let old = key_of("alice");
    sqlx::query(&FIRST_SCHEMA_ROW.replace("{table}", &table))
        .bind(old.as_bytes().as_slice())
        .bind(br#"{"user_id":42}"#.as_slice())
        .bind(NOW as i64)
        .bind((NOW + 60) as i64)
        .bind((NOW + HOUR) as i64)
        .execute(probe.pool())
        .await
        .expect("a row of the first schema");

    let url = common::sql::postgres_url();
    let a = PostgresStore::with_config(&url, test_config(&table)).expect("valid");
    let b = PostgresStore::with_config(&url, test_config(&table)).expect("valid");
    assert!(
        matches!(a.load(&old, NOW).await, Err(StoreError::Unavailable { .. })),
        "this version's statements need the new columns"
    );
    let (first, second) = tokio::join!(
        tokio::spawn(async move { a.migrate().await.map(|()| a) }),
        tokio::spawn(async move { b.migrate().await.map(|()| b) }),
    );
    let a = first.expect("task").expect("first migrate");
    second.expect("task").expect("second migrate");
    a.migrate().await.expect("idempotent");

    let columns: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text, is_nullable::text \
         FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position",
    )
    .bind(&table)
    .fetch_all(probe.pool())
    .await
    .expect("columns");
    let names: Vec<&str> = columns.iter().map(|(name, _, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "store_key",
            "namespace",
            "user_id",
            "schema_version",
            "data",
            "revision",
            "created_at",
            "touched_at",
            "expires_at",
            "client_addr",
            "user_agent",
            "fingerprint"
        ]
    );
    let added: Vec<(&str, &str, &str)> = columns[9..]
        .iter()
        .map(|(name, kind, nullable)| (name.as_str(), kind.as_str(), nullable.as_str()))
        .collect();
    assert_eq!(
        added,
        [
            ("client_addr", "text", "YES"),
            ("user_agent", "text", "YES"),
            ("fingerprint", "bytea", "YES")
        ]
    );
    check_upgraded(&a, &old).await;
    drop_table(&probe, &table).await;
    drop_table(&probe, &probe_table).await;
}

/// The same on SQLite: a file holding the first schema's table and a row.
#[tokio::test]
async fn sqlite_migrate_upgrades_a_table_of_the_first_schema() {
    let file = TempDb::new("sqlite_upgrade");
    let a = SqliteStore::open(file.path(), SqlStoreConfig::default()).expect("valid");
    let table = "session_seal_sessions";
    sqlx::raw_sql(&first_schema(table, false))
        .execute(a.pool())
        .await
        .expect("the first schema");
    let old = key_of("alice");
    sqlx::query(&FIRST_SCHEMA_ROW.replace("{table}", table))
        .bind(old.as_bytes().as_slice())
        .bind(br#"{"user_id":42}"#.as_slice())
        .bind(NOW as i64)
        .bind((NOW + 60) as i64)
        .bind((NOW + HOUR) as i64)
        .execute(a.pool())
        .await
        .expect("a row of the first schema");
    assert!(
        matches!(a.load(&old, NOW).await, Err(StoreError::Unavailable { .. })),
        "this version's statements need the new columns"
    );

    let b = SqliteStore::open(file.path(), SqlStoreConfig::default()).expect("valid");
    let (first, second) = tokio::join!(
        tokio::spawn(async move { a.migrate().await.map(|()| a) }),
        tokio::spawn(async move { b.migrate().await.map(|()| b) }),
    );
    let a = first.expect("task").expect("first migrate");
    second.expect("task").expect("second migrate");
    a.migrate().await.expect("idempotent");

    let columns: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT name, type, \"notnull\" FROM pragma_table_info($1)")
            .bind(table)
            .fetch_all(a.pool())
            .await
            .expect("columns");
    let names: Vec<&str> = columns.iter().map(|(name, _, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "store_key",
            "namespace",
            "user_id",
            "schema_version",
            "data",
            "revision",
            "created_at",
            "touched_at",
            "expires_at",
            "client_addr",
            "user_agent",
            "fingerprint"
        ]
    );
    let added: Vec<(&str, &str, i64)> = columns[9..]
        .iter()
        .map(|(name, kind, not_null)| (name.as_str(), kind.as_str(), *not_null))
        .collect();
    assert_eq!(
        added,
        [
            ("client_addr", "TEXT", 0),
            ("user_agent", "TEXT", 0),
            ("fingerprint", "BLOB", 0)
        ]
    );
    check_upgraded(&a, &old).await;
    // Still STRICT: the upgrade kept the table's options.
    let text_in_a_number = sqlx::query("UPDATE session_seal_sessions SET expires_at = 'soon'")
        .execute(a.pool())
        .await;
    assert!(text_in_a_number.is_err(), "STRICT column types");
}

/// Metadata columns holding what no writer of this crate writes (an
/// address that does not parse, an overlong user agent, a blob) read as
/// unknown or bounded, never as an unreadable row.
#[tokio::test]
async fn sqlite_odd_metadata_never_makes_a_row_unreadable() {
    let (store, _file) = sqlite_store("odd_metadata").await;
    let key = key_of("alice");
    let mut row = record(NOW, NOW + HOUR);
    row.meta = laptop();
    assert_eq!(
        store.save(&key, &row, None, NOW).await.expect("available"),
        SaveOutcome::Saved
    );
    let long = "u".repeat(1000);
    let odd: [(&str, Option<&str>, SessionMeta); 3] = [
        (
            "not an address",
            Some("Agent/1"),
            SessionMeta::new(None, Some("Agent/1")),
        ),
        (
            "192.0.2.1",
            Some(&long),
            SessionMeta::new("192.0.2.1".parse().ok(), Some(&long)),
        ),
        (
            "::ffff:192.0.2.1",
            None,
            SessionMeta::new("192.0.2.1".parse().ok(), None),
        ),
    ];
    for (addr, agent, meta) in odd {
        sqlx::query("UPDATE session_seal_sessions SET client_addr = $1, user_agent = $2")
            .bind(addr)
            .bind(agent)
            .execute(store.pool())
            .await
            .expect("update");
        let read = store
            .load(&key, NOW)
            .await
            .expect("available")
            .expect("readable");
        assert_eq!(read.meta, meta, "{addr} {agent:?}");
        let listed = store
            .list_user("admin", "alice", NOW)
            .await
            .expect("available");
        assert_eq!(listed.first().map(|session| &session.meta), Some(&meta));
    }
    assert_eq!(
        store
            .load(&key, NOW)
            .await
            .expect("available")
            .map(|row| row.data),
        Some(row.data)
    );
}

// ------------------------------------------------------------- cleanup

/// 25 expired rows with batches of 10: three batches, and the live rows stay.
#[tokio::test]
async fn postgres_delete_expired_deletes_only_expired_rows_in_batches() {
    let table = unique_table("delete_expired");
    let Some(store) =
        postgres_store_with("delete_expired", test_config(&table).cleanup_batch(10)).await
    else {
        return;
    };
    let live = fill(&store, 25, 5).await;
    assert_eq!(store.delete_expired(NOW).await.expect("available"), 25);
    assert_live(&store, &live).await;
    assert_eq!(store.delete_expired(NOW).await.expect("available"), 0);
    let left: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM \"{table}\""))
        .fetch_one(store.pool())
        .await
        .expect("count");
    assert_eq!(left, 5);
    drop_table(&store, &table).await;
}

#[tokio::test]
async fn sqlite_delete_expired_deletes_only_expired_rows_in_batches() {
    let (store, _file) = sqlite_store_with(
        "sqlite_delete_expired",
        SqlStoreConfig::default().cleanup_batch(10),
    )
    .await;
    let live = fill(&store, 25, 5).await;
    assert_eq!(store.delete_expired(NOW).await.expect("available"), 25);
    assert_live(&store, &live).await;
    assert_eq!(store.delete_expired(NOW).await.expect("available"), 0);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM session_seal_sessions")
        .fetch_one(store.pool())
        .await
        .expect("count");
    assert_eq!(left, 5);
}

/// The spawned cleanup removes rows expired by the real clock and keeps
/// the others.
#[tokio::test]
async fn continuously_delete_expired_runs_in_the_background() {
    let (store, _file) = sqlite_store("continuous_cleanup").await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let expired = key_of("alice");
    let live = key_of("alice");
    for (key, expires_at) in [(expired, now - 10), (live, now + HOUR)] {
        let row = record(now - HOUR, expires_at);
        assert_eq!(
            store.save(&key, &row, None, now - HOUR).await.expect("ok"),
            SaveOutcome::Saved
        );
    }
    let cleanup = tokio::spawn(
        store
            .clone()
            .continuously_delete_expired(Duration::from_millis(20)),
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM session_seal_sessions")
            .fetch_one(store.pool())
            .await
            .expect("count");
        if rows == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the cleanup did not run within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cleanup.abort();
    assert!(store.load(&live, now).await.expect("ok").is_some());
}

// ------------------------------------------------ integers and bad rows

/// Times past `i64::MAX` are clamped: the row stays live, and reads back
/// with `i64::MAX`.
#[tokio::test]
async fn times_past_i64_max_are_clamped_and_stay_live() {
    let (store, _file) = sqlite_store("clamped_times").await;
    check_clamped_times(&store).await;
    let table = unique_table("clamped_times");
    if let Some(store) = postgres_store_with("clamped_times", test_config(&table)).await {
        check_clamped_times(&store).await;
        drop_table(&store, &table).await;
    }
}

async fn check_clamped_times(store: &dyn SessionStore) {
    let key = key_of("alice");
    let forever = record(NOW, u64::MAX);
    assert_eq!(
        store.save(&key, &forever, None, NOW).await.expect("ok"),
        SaveOutcome::Saved
    );
    let read = store.load(&key, NOW).await.expect("ok").expect("live");
    assert_eq!(read.expires_at, i64::MAX as u64);
    assert!(
        store
            .load(&key, i64::MAX as u64 - 1)
            .await
            .expect("ok")
            .is_some()
    );
    assert!(store.load(&key, u64::MAX).await.expect("ok").is_none());
}

/// The table's CHECKs refuse a row no record can be read from.
#[tokio::test]
async fn the_table_refuses_rows_no_record_can_hold() {
    let (store, _file) = sqlite_store("checks").await;
    let pool = store.pool();
    let key = [7u8; 32];
    let insert = |key: Vec<u8>, version: i64, created_at: i64| {
        sqlx::query(
            "INSERT INTO session_seal_sessions VALUES ($1, 'admin', NULL, $2, x'00', 1, $3, 0, 1, NULL, NULL, NULL)",
        )
        .bind(key)
        .bind(version)
        .bind(created_at)
        .execute(pool)
    };
    assert!(insert(vec![1; 31], 1, 0).await.is_err(), "a short key");
    assert!(
        insert(key.to_vec(), -1, 0).await.is_err(),
        "a negative version"
    );
    assert!(
        insert(key.to_vec(), 1 << 32, 0).await.is_err(),
        "a version past u32"
    );
    assert!(
        insert(key.to_vec(), 1, -5).await.is_err(),
        "a negative time"
    );
    assert!(insert(key.to_vec(), 1, 0).await.is_ok(), "a good row");
    let text_in_a_number = sqlx::query("UPDATE session_seal_sessions SET expires_at = 'soon'")
        .execute(pool)
        .await;
    assert!(text_in_a_number.is_err(), "STRICT column types");
}

#[tokio::test]
async fn the_postgres_table_refuses_rows_no_record_can_hold() {
    let table = unique_table("pg_checks");
    let Some(store) = postgres_store_with("pg_checks", test_config(&table)).await else {
        return;
    };
    let sql = format!(
        "INSERT INTO \"{table}\" VALUES ($1, 'admin', NULL, $2, '\\x00', 1, $3, 0, 1, NULL, NULL)"
    );
    let insert = |key: Vec<u8>, version: i64, created_at: i64| {
        sqlx::query(&sql)
            .bind(key)
            .bind(version)
            .bind(created_at)
            .execute(store.pool())
    };
    assert!(insert(vec![1; 31], 1, 0).await.is_err(), "a short key");
    assert!(
        insert(vec![7; 32], -1, 0).await.is_err(),
        "a negative version"
    );
    assert!(
        insert(vec![7; 32], 1 << 32, 0).await.is_err(),
        "a version past u32"
    );
    assert!(insert(vec![7; 32], 1, -5).await.is_err(), "a negative time");
    assert!(insert(vec![7; 32], 1, 0).await.is_ok(), "a good row");
    drop_table(&store, &table).await;
}

/// A row the store cannot decode reads as absent and is left out of the
/// user's list. The table's CHECKs keep such rows out, so this test
/// switches them off (as a table made by hand might lack them) and writes
/// a negative `created_at`, then a version no `u32` holds.
#[tokio::test]
async fn an_unreadable_row_reads_as_absent() {
    // One connection, so the pragma below holds for every statement.
    let (store, _file) =
        sqlite_store_with("unreadable", SqlStoreConfig::default().max_connections(1)).await;
    let key = key_of("alice");
    assert_eq!(
        store
            .save(&key, &record(NOW, NOW + HOUR), None, NOW)
            .await
            .expect("ok"),
        SaveOutcome::Saved
    );
    sqlx::query("PRAGMA ignore_check_constraints = ON")
        .execute(store.pool())
        .await
        .expect("pragma");
    sqlx::query("UPDATE session_seal_sessions SET created_at = -5")
        .execute(store.pool())
        .await
        .expect("corrupt");
    assert_eq!(store.load(&key, NOW).await.expect("ok"), None);
    assert_eq!(
        store.list_user("admin", "alice", NOW).await.expect("ok"),
        vec![]
    );
    sqlx::query("UPDATE session_seal_sessions SET created_at = 1, schema_version = -1")
        .execute(store.pool())
        .await
        .expect("corrupt");
    assert_eq!(store.load(&key, NOW).await.expect("ok"), None);
}

// -------------------------------------------------------------- outages

/// Nothing listens: every operation is `Unavailable` within the timeouts.
#[tokio::test]
async fn postgres_without_a_server_is_unavailable_quickly() {
    let port = common::store::free_port();
    let config = SqlStoreConfig::default()
        .acquire_timeout(Duration::from_millis(500))
        .operation_timeout(Duration::from_secs(2));
    let store = PostgresStore::with_config(&format!("postgres://u:p@127.0.0.1:{port}/db"), config)
        .expect("valid");
    let started = Instant::now();
    let load = store.load(&key_of("alice"), NOW).await;
    assert!(
        matches!(load, Err(StoreError::Unavailable { .. })),
        "{load:?}"
    );
    let save = store
        .save(&key_of("alice"), &record(NOW, NOW + HOUR), None, NOW)
        .await;
    assert!(
        matches!(save, Err(StoreError::Unavailable { .. })),
        "{save:?}"
    );
    assert!(matches!(
        store.migrate().await,
        Err(StoreError::Unavailable { .. })
    ));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

/// A stopped server: `Unavailable`; started again: the same store works
/// and the rows are still there.
#[tokio::test]
async fn postgres_stopped_and_restarted_recovers() {
    let Some(server) = common::sql::PgProcess::spawn("postgres_stopped_and_restarted_recovers")
    else {
        return;
    };
    let store = PostgresStore::with_config(&server.url(), test_config("sessions")).expect("valid");
    store.migrate().await.expect("migrate");
    let key = key_of("alice");
    let row = record(NOW, NOW + HOUR);
    assert_eq!(
        store.save(&key, &row, None, NOW).await.expect("ok"),
        SaveOutcome::Saved
    );

    server.stop();
    let started = Instant::now();
    let load = store.load(&key, NOW).await;
    assert!(
        matches!(load, Err(StoreError::Unavailable { .. })),
        "{load:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    server.start();
    let deadline = Instant::now() + Duration::from_secs(10);
    let read = loop {
        match store.load(&key, NOW).await {
            Ok(read) => break read,
            Err(error) => {
                assert!(
                    Instant::now() < deadline,
                    "no recovery within 10 s: {error}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    assert_eq!(read, Some(row));
}

/// `ping` answers at once on a live database and fails (not hangs) on an
/// address where nothing listens: the check an app runs at start-up.
#[tokio::test]
async fn ping_fails_fast_at_start_up_on_a_wrong_address() {
    let (store, _file) = common::sql::sqlite_store("store_sql::ping").await;
    store.ping().await.expect("a live SQLite file answers");
    if let Some(postgres) = common::sql::postgres_store("store_sql::ping_postgres").await {
        postgres.ping().await.expect("a live PostgreSQL answers");
    }
    let config = SqlStoreConfig::default()
        .acquire_timeout(std::time::Duration::from_secs(2))
        .operation_timeout(std::time::Duration::from_secs(2));
    // Port 1 on loopback: refused at once.
    let nowhere =
        PostgresStore::with_config("postgres://app@127.0.0.1:1/app", config).expect("a valid URL");
    let error = tokio::time::timeout(std::time::Duration::from_secs(10), nowhere.ping())
        .await
        .expect("an answer within 10 s")
        .expect_err("nothing listens there");
    assert!(error.to_string().contains("ping"), "{error}");
}

// ------------------------------------------------------------- TLS

/// Whether the TLS tests must run: `.ci/run` turns TLS on in the test
/// server and sets this; elsewhere they run when the server offers TLS.
fn postgres_tls_required() -> bool {
    std::env::var("SESSION_SEAL_REQUIRE_POSTGRES_TLS").is_ok_and(|value| value == "1")
}

/// `url` with `sslmode=<mode>` added.
fn with_sslmode(url: &str, mode: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}sslmode={mode}")
}

/// Feature `postgres-tls`: with `sslmode=require` the store's connections
/// are encrypted (the server's own `pg_stat_ssl` says so) and it works as
/// over plain TCP; with `verify-full` a certificate no trusted root signed
/// (the test server's is self-signed) is refused rather than trusted.
#[tokio::test]
async fn postgres_over_tls_encrypts_and_verify_full_checks_the_certificate() {
    let table = unique_table("tls");
    let Some(plain) = postgres_store_with("tls", test_config(&table)).await else {
        return;
    };
    let offered: (String,) = sqlx::query_as("SHOW ssl")
        .fetch_one(plain.pool())
        .await
        .expect("SHOW ssl");
    if offered.0 != "on" {
        assert!(
            !postgres_tls_required(),
            "SESSION_SEAL_REQUIRE_POSTGRES_TLS=1 but the server has ssl = {}",
            offered.0
        );
        eprintln!("skipping the TLS test: the server does not offer TLS (ssl = off)");
        drop_table(&plain, &table).await;
        return;
    }
    let url = common::sql::postgres_url();
    let tls = PostgresStore::with_config(&with_sslmode(&url, "require"), test_config(&table))
        .expect("valid");
    tls.ping().await.expect("connects over TLS");
    let encrypted: (bool,) =
        sqlx::query_as("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(tls.pool())
            .await
            .expect("pg_stat_ssl");
    assert!(encrypted.0, "the connection is encrypted");
    let key = key_of("alice");
    assert_eq!(
        tls.save(&key, &record(NOW, NOW + HOUR), None, NOW)
            .await
            .expect("available"),
        SaveOutcome::Saved
    );
    assert!(tls.load(&key, NOW).await.expect("available").is_some());

    let strict =
        PostgresStore::with_config(&with_sslmode(&url, "verify-full"), test_config(&table))
            .expect("valid");
    let refused = strict
        .ping()
        .await
        .expect_err("a self-signed certificate is not trusted");
    assert!(
        !refused.to_string().contains("session_seal:session_seal"),
        "the error names no password: {refused}"
    );
    drop_table(&plain, &table).await;
}
