//! Where the store's commands go: one server (through redis-rs's
//! reconnecting `ConnectionManager`) or a Redis Cluster (through redis-rs's
//! cluster client, which routes each command by its first key's slot and
//! follows MOVED/ASK redirections).

use std::sync::OnceLock;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterClientBuilder, ClusterConfig};
use redis::cluster_async::ClusterConnection;
use redis::{Client, Cmd, RedisResult, ScriptInvocation, Value};

use crate::RedisStoreConfig;

/// Reconnect attempts after a failed connect before an operation gives up:
/// one, so an outage answers within about two connection timeouts instead of
/// redis-rs's default six backed-off retries.
const RECONNECT_RETRIES: usize = 1;
/// Shortest pause before a reconnect attempt.
const RECONNECT_MIN_DELAY: Duration = Duration::from_millis(100);
/// Longest pause before a reconnect attempt.
const RECONNECT_MAX_DELAY: Duration = Duration::from_millis(500);
/// Retries of one cluster request (after a redirection, a refused
/// connection or a topology change). The response timeout bounds them all.
const CLUSTER_RETRIES: u32 = 3;

/// What the store talks to, before the first connection.
// One per store, behind its `Arc`: the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Target {
    Server(Client),
    Cluster(ClusterClient),
}

impl Target {
    /// A target for the cluster whose nodes (some or all) are `nodes`.
    pub(crate) fn cluster(nodes: &[String], config: &RedisStoreConfig) -> RedisResult<Self> {
        let client = ClusterClientBuilder::new(nodes.iter().map(String::as_str))
            .retries(CLUSTER_RETRIES)
            .min_retry_wait(duration_ms(RECONNECT_MIN_DELAY))
            .max_retry_wait(duration_ms(RECONNECT_MAX_DELAY))
            .connection_timeout(config.connection_timeout)
            .response_timeout(config.response_timeout)
            .build()?;
        Ok(Target::Cluster(client))
    }

    pub(crate) fn is_cluster(&self) -> bool {
        matches!(self, Target::Cluster(_))
    }
}

fn duration_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A connection to the target, shared by every clone of the store.
#[derive(Clone)]
pub(crate) enum Connection {
    Server(ConnectionManager),
    Cluster(ClusterConnection),
}

impl Connection {
    /// The shared connection in `slot`, created on first use: redis-rs
    /// spawns a task when it builds one, which needs a Tokio runtime, and a
    /// constructor that works anywhere is easier to use. Two first calls
    /// racing each build one; the loser's is dropped before it connected.
    pub(crate) fn get(
        slot: &OnceLock<Connection>,
        target: &Target,
        config: &RedisStoreConfig,
    ) -> RedisResult<Connection> {
        if let Some(connection) = slot.get() {
            return Ok(connection.clone());
        }
        let connection = match target {
            Target::Server(client) => {
                let manager_config = ConnectionManagerConfig::new()
                    .set_number_of_retries(RECONNECT_RETRIES)
                    .set_min_delay(RECONNECT_MIN_DELAY)
                    .set_max_delay(RECONNECT_MAX_DELAY)
                    .set_response_timeout(Some(config.response_timeout))
                    .set_connection_timeout(Some(config.connection_timeout));
                Connection::Server(ConnectionManager::new_lazy_with_config(
                    client.clone(),
                    manager_config,
                )?)
            }
            Target::Cluster(client) => {
                let cluster_config = ClusterConfig::new()
                    .set_connection_timeout(config.connection_timeout)
                    .set_response_timeout(config.response_timeout);
                Connection::Cluster(client.get_pending_async_connection_with_config(cluster_config))
            }
        };
        Ok(slot.get_or_init(|| connection).clone())
    }

    /// Runs a script (EVALSHA, then SCRIPT LOAD and EVALSHA again if the
    /// server does not have it yet).
    pub(crate) async fn invoke(&mut self, invocation: &ScriptInvocation<'_>) -> RedisResult<Value> {
        match self {
            Connection::Server(manager) => invocation.invoke_async(manager).await,
            Connection::Cluster(cluster) => invocation.invoke_async(cluster).await,
        }
    }

    /// Runs one command.
    pub(crate) async fn query(&mut self, command: &Cmd) -> RedisResult<Value> {
        match self {
            Connection::Server(manager) => command.query_async(manager).await,
            Connection::Cluster(cluster) => command.query_async(cluster).await,
        }
    }
}
