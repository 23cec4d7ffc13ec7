//! [`RedisStoreConfig`]: key prefix and timeouts of a [`RedisStore`](crate::RedisStore).

use std::time::Duration;

/// Settings of a [`RedisStore`](crate::RedisStore), the same for one server
/// and for a cluster.
///
/// Start from [`Default`] and change what you need, with the chainable
/// setters or through the public fields:
///
/// ```
/// use std::time::Duration;
/// use session_redis::RedisStoreConfig;
///
/// let config = RedisStoreConfig::default()
///     .key_prefix("shop")
///     .response_timeout(Duration::from_millis(500));
/// assert_eq!(config.key_prefix, "shop");
/// assert_eq!(config.connection_timeout, Duration::from_secs(2));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedisStoreConfig {
    /// Prepended (with `:`) to every key the store writes, so several apps
    /// or environments can share one Redis. Must not contain `{` or `}`
    /// (they would change the keys' Redis Cluster hash tag). Default
    /// `session-seal`.
    pub key_prefix: String,
    /// How long one operation may wait for Redis's answer (in a cluster:
    /// including redirections and retries). Default 2 s.
    pub response_timeout: Duration,
    /// How long one connection attempt may take. Default 2 s.
    pub connection_timeout: Duration,
}

impl Default for RedisStoreConfig {
    fn default() -> Self {
        RedisStoreConfig {
            key_prefix: "session-seal".to_owned(),
            response_timeout: Duration::from_secs(2),
            connection_timeout: Duration::from_secs(2),
        }
    }
}

impl RedisStoreConfig {
    /// Sets the field `key_prefix`.
    #[must_use]
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// Sets the field `response_timeout`.
    #[must_use]
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// Sets the field `connection_timeout`.
    #[must_use]
    pub fn connection_timeout(mut self, timeout: Duration) -> Self {
        self.connection_timeout = timeout;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_defaults_and_setters() {
        let config = RedisStoreConfig::default();
        assert_eq!(config.key_prefix, "session-seal");
        assert_eq!(config.response_timeout, Duration::from_secs(2));
        assert_eq!(config.connection_timeout, Duration::from_secs(2));
        let config = config
            .key_prefix("x")
            .response_timeout(Duration::from_millis(5))
            .connection_timeout(Duration::from_millis(6));
        assert_eq!(config.key_prefix, "x");
        assert_eq!(config.response_timeout, Duration::from_millis(5));
        assert_eq!(config.connection_timeout, Duration::from_millis(6));
    }
}
