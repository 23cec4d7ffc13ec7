//! Store mode on every backend: the memory store, Redis (one server and a
//! cluster), SQLite and PostgreSQL. One test binary, so the backends' drivers
//! (redis, sqlx) are linked once.
//!
//! - `store_conformance`: the `SessionStore` contract on memory and Redis,
//!   then what only Redis or only the memory store does;
//! - `store_sql`: the same contract on SQLite and PostgreSQL, then what only
//!   the SQL stores do;
//! - `store_http`: the `store_mode` example through the test kit's client,
//!   scenario by scenario, then outages under the app;
//! - `hybrid_backends`: the `hybrid` example's authority: a refresh
//!   racing a refresh, a replayed refresh cookie;
//! - `store_races`: deterministic races between requests and failing
//!   handlers;
//! - `store_model`: random interleavings checked against a reference model,
//!   and mutant stores it must catch;
//! - `redis_cluster_failover`: a cluster primary killed under the app;
//! - `revocation_feeds`: the revocation feeds of Redis, Redis Cluster,
//!   PostgreSQL and SQLite against the feed contract, and outages cut with
//!   a loopback proxy.
//!
//! The servers are the ones `.ci/run` starts (`SESSION_SEAL_REDIS_URL`,
//! `SESSION_SEAL_REDIS_CLUSTER_URLS`, `SESSION_SEAL_POSTGRES_URL`); without
//! one, its tests skip with a message, unless `SESSION_SEAL_REQUIRE_REDIS=1`
//! or `SESSION_SEAL_REQUIRE_POSTGRES=1` makes that a failure. Run one module
//! with `cargo test --test store <module>::`.

// The example's app, as its `main` uses it; whatever part a test does not
// use must not warn.
#[allow(dead_code)]
#[path = "../../examples/store_mode/app.rs"]
mod app;

#[allow(dead_code)]
#[path = "../../examples/hybrid/app.rs"]
mod hybrid_app;

#[path = "../common/mod.rs"]
mod common;

/// For each `async fn scenario(store: AppStore)` of the calling module, a
/// module `scenario` with one test per backend, each on a fresh store
/// (`memory`, `redis`, `redis_cluster`, `sqlite`, `postgres`), tidied after
/// a pass (a failed run's rows stay for inspection; Redis rows expire by
/// their TTL).
macro_rules! on_every_backend {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            use std::sync::Arc;

            use crate::common::{sql, store};

            #[tokio::test]
            async fn memory() {
                let memory = session_seal::store::MemoryStore::new();
                super::$scenario(Arc::new(memory)).await;
            }

            #[tokio::test]
            async fn redis() {
                let test = concat!(module_path!(), "::redis");
                if let Some(redis) = store::redis_store(test).await {
                    super::$scenario(Arc::new(redis.clone())).await;
                    store::remove_keys(&store::redis_url(), &redis);
                }
            }

            #[tokio::test]
            async fn redis_cluster() {
                let test = concat!(module_path!(), "::redis_cluster");
                if let Some(cluster) = store::redis_cluster_store(test).await {
                    super::$scenario(Arc::new(cluster.clone())).await;
                    store::remove_cluster_keys(&cluster);
                }
            }

            #[tokio::test]
            async fn sqlite() {
                let (sqlite, _file) = sql::sqlite_store(stringify!($scenario)).await;
                super::$scenario(Arc::new(sqlite)).await;
            }

            #[tokio::test]
            async fn postgres() {
                let test = concat!(module_path!(), "::postgres");
                let table = sql::unique_table(stringify!($scenario));
                let config = sql::test_config(&table);
                let Some(postgres) = sql::postgres_store_with(test, config).await else {
                    return;
                };
                super::$scenario(Arc::new(postgres.clone())).await;
                sql::drop_table(&postgres, &table).await;
            }
        }
    )*};
}

mod hybrid_backends;
mod redis_cluster_failover;
mod revocation_feeds;
mod store_conformance;
mod store_http;
mod store_model;
mod store_races;
mod store_sql;
