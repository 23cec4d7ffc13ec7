//! [`SqlStoreConfig`]: the table, pool and cleanup settings both stores
//! share, and the identifier check that keeps them out of reach of SQL
//! injection.

use std::fmt;
use std::time::Duration;

/// Longest identifier accepted: PostgreSQL truncates names past 63 bytes
/// (`NAMEDATALEN - 1`), which would make two settings name one table.
const MAX_IDENTIFIER_LEN: usize = 63;

/// A table or schema name checked against `[A-Za-z_][A-Za-z0-9_]{0,62}`.
///
/// Both stores build their statements once, at construction, from these
/// names (quoted, so the case is kept); everything else in a statement is a
/// bind parameter. A name that fails the check never reaches SQL text.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Identifier(String);

impl Identifier {
    pub(crate) fn parse(setting: &'static str, value: &str) -> Result<Self, ConfigError> {
        let mut chars = value.chars();
        let valid = value.len() <= MAX_IDENTIFIER_LEN
            && chars
                .next()
                .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if valid {
            Ok(Identifier(value.to_owned()))
        } else {
            Err(ConfigError::InvalidIdentifier {
                setting,
                value: value.to_owned(),
            })
        }
    }

    /// The name in double quotes (it holds no quote to escape).
    pub(crate) fn quoted(&self) -> String {
        format!("\"{}\"", self.0)
    }

    /// The quoted name of this table's index `suffix`, within PostgreSQL's
    /// 63 bytes and distinct for distinct tables (see [`derived_name`]).
    pub(crate) fn derived(&self, suffix: &str) -> String {
        format!("\"{}\"", derived_name(&self.0, suffix))
    }

    /// The identifier [`derived`](Self::derived) quotes: this one's name
    /// and `suffix`, within 63 bytes (for the names of tables and channels
    /// that belong to this table).
    pub(crate) fn derived_identifier(&self, suffix: &str) -> Identifier {
        Identifier(derived_name(&self.0, suffix))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as logs and errors show it: `schema.name`, or `name`.
    pub(crate) fn display_in(&self, schema: Option<&Identifier>) -> String {
        match schema {
            Some(schema) => format!("{}.{}", schema.as_str(), self.as_str()),
            None => self.as_str().to_owned(),
        }
    }
}

/// `<name>_<suffix>` when that fits in PostgreSQL's 63 bytes, as index
/// names have always been, so existing indexes keep their names. A longer
/// one is `<prefix>_<hash>_<suffix>`, exactly 63 bytes: as much of the name
/// as fits, then eight hex digits of a hash of the whole name. Cutting the
/// name alone gave two tables with a long common prefix the same index
/// names, and the second table's `CREATE INDEX IF NOT EXISTS` then created
/// nothing. A table whose index names used to be cut gets new ones: its
/// next migration creates the indexes under them, and the indexes under the
/// old cut names can be dropped.
///
/// `name` and `suffix` are ASCII identifier characters, so the result is an
/// identifier too.
pub(crate) fn derived_name(name: &str, suffix: &str) -> String {
    /// 32-bit FNV-1a: a fixed, published function, so a derived name is
    /// the same in every build and version (unlike std's `DefaultHasher`),
    /// with no hashing crate for names that nobody is trying to make
    /// collide.
    fn fnv1a_32(bytes: &[u8]) -> u32 {
        bytes.iter().fold(0x811c_9dc5, |hash, &byte| {
            (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
        })
    }
    if name.len() + 1 + suffix.len() <= MAX_IDENTIFIER_LEN {
        return format!("{name}_{suffix}");
    }
    let hash = format!("{:08x}", fnv1a_32(name.as_bytes()));
    let keep = MAX_IDENTIFIER_LEN
        .saturating_sub(hash.len() + suffix.len() + 2)
        .min(name.len());
    // ASCII only, so any byte offset is a char boundary.
    let stem = name.get(..keep).unwrap_or(name);
    format!("{stem}_{hash}_{suffix}")
}

impl fmt::Debug for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// A store setting that cannot be used; returned when a store is built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A table or schema name is not a plain identifier
    /// (`[A-Za-z_][A-Za-z0-9_]{0,62}`). Names are written into SQL text, so
    /// anything else (quotes, dots, spaces, semicolons) is refused rather
    /// than escaped.
    #[error(
        "invalid {setting} name {value:?}: use 1 to 63 ASCII letters, digits or underscores, not starting with a digit"
    )]
    InvalidIdentifier {
        /// Which setting (`"table"` or `"schema"`).
        setting: &'static str,
        /// The refused value.
        value: String,
    },
    /// The connection URL or options could not be parsed.
    #[error("invalid database URL: {message}")]
    InvalidUrl {
        /// What the driver reported.
        message: String,
    },
    /// A numeric setting is out of range.
    #[error("invalid {setting}: {reason}")]
    InvalidSetting {
        /// Which setting.
        setting: &'static str,
        /// Why it is refused.
        reason: &'static str,
    },
}

/// Settings shared by [`PostgresStore`](crate::PostgresStore) and
/// [`SqliteStore`](crate::SqliteStore).
///
/// ```
/// use std::time::Duration;
/// use session_sql::SqlStoreConfig;
///
/// let config = SqlStoreConfig::default()
///     .table("sessions")
///     .acquire_timeout(Duration::from_secs(1))
///     .cleanup_batch(500);
/// # let _ = config;
/// ```
///
/// Names are checked when the store is built, so an invalid one is an error
/// there ([`ConfigError::InvalidIdentifier`]), not here.
#[derive(Clone, Debug)]
pub struct SqlStoreConfig {
    pub(crate) table: String,
    pub(crate) schema: Option<String>,
    pub(crate) acquire_timeout: Duration,
    pub(crate) operation_timeout: Duration,
    pub(crate) max_connections: u32,
    pub(crate) cleanup_batch: u32,
}

/// Default table name.
pub const DEFAULT_TABLE: &str = "session_seal_sessions";

impl Default for SqlStoreConfig {
    fn default() -> Self {
        SqlStoreConfig {
            table: DEFAULT_TABLE.to_owned(),
            schema: None,
            // An unreachable database answers with 503 within these bounds
            // instead of holding requests for sqlx's default 30 s.
            acquire_timeout: Duration::from_secs(2),
            operation_timeout: Duration::from_secs(5),
            max_connections: 10,
            cleanup_batch: 1000,
        }
    }
}

impl SqlStoreConfig {
    /// The table's name (default [`DEFAULT_TABLE`]).
    #[must_use]
    pub fn table(mut self, name: impl Into<String>) -> Self {
        self.table = name.into();
        self
    }

    /// The schema the table lives in: a PostgreSQL schema (created by
    /// `migrate` if missing), or the name of an attached SQLite database
    /// (attach it on every connection, in your pool's `after_connect`, and
    /// build the store with `SqliteStore::from_pool`).
    /// Default: none (PostgreSQL's `search_path`, SQLite's `main`).
    #[must_use]
    pub fn schema(mut self, name: impl Into<String>) -> Self {
        self.schema = Some(name.into());
        self
    }

    /// How long an operation waits for a pooled connection (including
    /// opening a new one) before it fails with
    /// [`StoreError::Unavailable`](session_core::StoreError::Unavailable).
    /// Default 2 s.
    #[must_use]
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// How long a whole operation (its connection and every statement) may
    /// take before it fails with `Unavailable`: the bound for a database
    /// that accepts connections but does not answer. Default 5 s.
    #[must_use]
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = timeout;
        self
    }

    /// Most connections the pool opens (default 10; at least 1).
    #[must_use]
    pub fn max_connections(mut self, max: u32) -> Self {
        self.max_connections = max;
        self
    }

    /// Rows deleted per statement by the expiry cleanup (default 1000; at
    /// least 1).
    #[must_use]
    pub fn cleanup_batch(mut self, rows: u32) -> Self {
        self.cleanup_batch = rows;
        self
    }

    /// The checked names: `(schema, table)`.
    pub(crate) fn identifiers(&self) -> Result<(Option<Identifier>, Identifier), ConfigError> {
        if self.max_connections == 0 {
            return Err(ConfigError::InvalidSetting {
                setting: "max_connections",
                reason: "the pool needs at least one connection",
            });
        }
        if self.cleanup_batch == 0 {
            return Err(ConfigError::InvalidSetting {
                setting: "cleanup_batch",
                reason: "a batch deletes at least one row",
            });
        }
        let schema = self
            .schema
            .as_deref()
            .map(|schema| Identifier::parse("schema", schema))
            .transpose()?;
        let table = Identifier::parse("table", &self.table)?;
        Ok((schema, table))
    }
}

/// A checked table name for unit tests that render statements.
#[cfg(test)]
pub(crate) fn test_table(name: &str) -> Identifier {
    Identifier::parse("table", name).expect("a valid table name")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_identifiers_pass_and_everything_else_is_refused() {
        for good in ["sessions", "_s", "Sessions_2", &"a".repeat(63)] {
            assert!(Identifier::parse("table", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "2sessions",
            "sessions; DROP TABLE users; --",
            "a\"b",
            "public.sessions",
            "sé",
            "with space",
            &"a".repeat(64),
        ] {
            assert!(
                matches!(
                    Identifier::parse("table", bad),
                    Err(ConfigError::InvalidIdentifier {
                        setting: "table",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn derived_names_fit_in_63_bytes() {
        let long = Identifier::parse("table", &"t".repeat(63)).expect("valid");
        let index = long.derived("user_idx");
        assert_eq!(index.len(), 63 + 2, "{index}");
        assert!(index.ends_with("_user_idx\""));
        let short = Identifier::parse("table", "s").expect("valid");
        assert_eq!(short.derived("expires_idx"), "\"s_expires_idx\"");
    }

    #[test]
    fn zero_settings_are_refused() {
        assert!(
            SqlStoreConfig::default()
                .max_connections(0)
                .identifiers()
                .is_err()
        );
        assert!(
            SqlStoreConfig::default()
                .cleanup_batch(0)
                .identifiers()
                .is_err()
        );
    }
}
