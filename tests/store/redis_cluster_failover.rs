//! A Redis Cluster primary dies under the store-mode app: requests whose
//! sessions live on it get 503 (never a silent logout, never a panic), the
//! others keep working, all within bounded time. Runs on a throwaway
//! three-primary cluster of its own on loopback (never the shared CI one);
//! the app is driven in memory by the test kit's client.

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::StatusCode;
use session_redis::{RedisStore, RedisStoreConfig};
use session_seal::SessionLayer;
use session_seal::testing::TestClient;

use crate::app::{self, AppStore, StoreSessions};
use crate::common::store::{RawRedis, Resp, spawn_redis_cluster};
use crate::common::{dev_keyring, within_10s};

const COOKIE: &str = "account_sid";

/// Which node (index into `urls`) holds `key`: a node answers `EXISTS`
/// only for its own slots.
fn holder(urls: &[String], key: &str) -> Option<usize> {
    urls.iter().position(|url| {
        RawRedis::connect(url)
            .is_ok_and(|mut raw| raw.cmd(&[b"EXISTS", key.as_bytes()]) == Resp::Int(1))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_primary_fails_its_sessions_with_503_and_spares_the_others() {
    let started = Instant::now();
    let Some(mut cluster) = spawn_redis_cluster() else {
        return;
    };
    let urls = cluster.urls();
    let config = RedisStoreConfig::default()
        .key_prefix("failover")
        .connection_timeout(Duration::from_millis(300))
        .response_timeout(Duration::from_millis(800));
    let store = RedisStore::cluster_with_config(&urls, config).expect("node URLs");
    store.ping().await.expect("the fresh cluster answers");
    let shared: AppStore = Arc::new(store.clone());
    let layer = SessionLayer::<StoreSessions>::new(dev_keyring()).store(Arc::clone(&shared));
    let app = TestClient::new(app::router(layer, shared));

    // Users until one node holds some of them and the others hold the rest.
    let mut users: Vec<(u64, TestClient, usize)> = Vec::new();
    for user in 1..=40u64 {
        let mut browser = app.device();
        let reply = browser.get(&format!("/login/{user}/laptop")).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        let index = store.user_index_key("account", &user.to_string());
        let node = holder(&urls, &index).expect("the user's index is on some node");
        users.push((user, browser, node));
        let on = |n: usize| users.iter().filter(|(_, _, node)| *node == n).count();
        if users.len() >= 9 && (0..urls.len()).all(|n| on(n) >= 2) {
            break;
        }
    }
    let victim = 0;
    assert!(users.iter().any(|(_, _, node)| *node == victim));
    assert!(users.iter().any(|(_, _, node)| *node != victim));

    cluster.kill_node(victim);
    let killed = Instant::now();
    // Twice: at once, and after the cluster has marked the node as failed
    // (cluster-node-timeout is 1 s), when its slots are known to be down.
    for (visits, round) in [(0, "just after the kill"), (2, "after failure detection")] {
        if visits > 0 {
            tokio::time::sleep(Duration::from_millis(2500)).await;
        }
        for (user, browser, node) in &mut users {
            let cookie = browser.cookie(COOKIE).expect("logged in").to_owned();
            let reply = within_10s("GET /me", browser.get("/me")).await;
            if *node == victim {
                assert_eq!(
                    reply.status,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "{round}: user {user}: {}",
                    reply.text()
                );
                assert_eq!(reply.text(), "session store unavailable, please retry");
                assert!(
                    reply.set_cookies().is_empty(),
                    "{round}: not a silent logout"
                );
                assert_eq!(
                    browser.cookie(COOKIE),
                    Some(cookie.as_str()),
                    "{round}: cookie kept"
                );
            } else {
                assert_eq!(reply.status, StatusCode::OK, "{round}: user {user}");
                assert_eq!(
                    reply.text(),
                    format!("user {user} on laptop, {visits} visits\n")
                );
                // Writes work too on the living nodes.
                let visit = within_10s("GET /visit", browser.get("/visit")).await;
                assert_eq!(
                    visit.status,
                    StatusCode::OK,
                    "{round}: user {user}: {}",
                    visit.text()
                );
                let _ = within_10s("GET /visit", browser.get("/visit")).await;
            }
        }
    }
    // The survivors' writes stuck.
    for (user, browser, node) in &mut users {
        if *node != victim {
            let body = within_10s("GET /me", browser.get("/me")).await.text();
            assert_eq!(body, format!("user {user} on laptop, 4 visits\n"));
        }
    }
    assert!(
        killed.elapsed() < Duration::from_secs(15),
        "answers after the kill took {:?}",
        killed.elapsed()
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the whole test took {:?}",
        started.elapsed()
    );
}
