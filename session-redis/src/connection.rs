//! Where the store's commands go: one server (through redis-rs's
//! reconnecting `ConnectionManager`) or a Redis Cluster (through redis-rs's
//! cluster client, which routes each command by its first key's slot and
//! follows MOVED/ASK redirections). A revocation feed's follower also
//! opens a [`Dedicated`] connection of its own for its blocking reads.

use std::sync::OnceLock;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::cluster::{ClusterClient, ClusterClientBuilder, ClusterConfig};
use redis::cluster_async::ClusterConnection;
use redis::{AsyncConnectionConfig, Client, Cmd, RedisResult, ScriptInvocation, Value};

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
    Cluster {
        client: ClusterClient,
        /// The node URLs it was built from, for [`Target::dedicated`].
        nodes: Vec<String>,
    },
}

impl Target {
    /// A target for the cluster whose nodes (some or all) are `nodes`.
    pub(crate) fn cluster(nodes: &[String], config: &RedisStoreConfig) -> RedisResult<Self> {
        let client = cluster_builder(nodes, config)
            .response_timeout(config.response_timeout)
            .build()?;
        Ok(Target::Cluster {
            client,
            nodes: nodes.to_vec(),
        })
    }

    pub(crate) fn is_cluster(&self) -> bool {
        matches!(self, Target::Cluster { .. })
    }

    /// A new connection for one caller alone, which no other operation
    /// shares (a blocking read on a shared multiplexed connection would hold
    /// up every command queued behind it): a plain multiplexed connection to
    /// the server, or a cluster connection of its own. It does not
    /// reconnect: after an error the caller opens another one.
    ///
    /// `response_timeout` bounds each reply, so it must be longer than any
    /// `BLOCK` the caller sends; in a cluster, a request with its retries
    /// may take twice that.
    pub(crate) async fn dedicated(
        &self,
        config: &RedisStoreConfig,
        response_timeout: Duration,
    ) -> RedisResult<Dedicated> {
        match self {
            Target::Server(client) => {
                let connection_config = AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(config.connection_timeout))
                    .set_response_timeout(Some(response_timeout));
                let connection = client
                    .get_multiplexed_async_connection_with_config(&connection_config)
                    .await?;
                Ok(Dedicated::Server(connection))
            }
            Target::Cluster { nodes, .. } => {
                // A client of its own: the store's client bounds a whole
                // request (retries included) by the store's response
                // timeout, which a blocking read may outlast.
                let client = cluster_builder(nodes, config)
                    .response_timeout(response_timeout)
                    .overall_response_timeout(Some(response_timeout.saturating_mul(2)))
                    .build()?;
                Ok(Dedicated::Cluster(client.get_async_connection().await?))
            }
        }
    }
}

/// The settings every cluster client of this crate shares: the nodes, the
/// retries and their pauses, the connection timeout.
fn cluster_builder(nodes: &[String], config: &RedisStoreConfig) -> ClusterClientBuilder {
    ClusterClientBuilder::new(nodes.iter().map(String::as_str))
        .retries(CLUSTER_RETRIES)
        .min_retry_wait(duration_ms(RECONNECT_MIN_DELAY))
        .max_retry_wait(duration_ms(RECONNECT_MAX_DELAY))
        .connection_timeout(config.connection_timeout)
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
            Target::Cluster { client, .. } => {
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

/// A connection of one caller's own (see [`Target::dedicated`]).
pub(crate) enum Dedicated {
    Server(MultiplexedConnection),
    Cluster(ClusterConnection),
}

impl Dedicated {
    /// Runs one command.
    pub(crate) async fn query(&mut self, command: &Cmd) -> RedisResult<Value> {
        match self {
            Dedicated::Server(connection) => command.query_async(connection).await,
            Dedicated::Cluster(cluster) => command.query_async(cluster).await,
        }
    }
}
