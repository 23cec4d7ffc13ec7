//! [`Tier`]: production or development, read from `SESSION_SEAL_ENV`.

use std::ffi::OsStr;

/// Environment variable read by [`Tier::from_env`].
pub const ENV_VAR: &str = "SESSION_SEAL_ENV";

/// Where the application runs. Decides whether a missing secret is an error
/// and whether cookies are `Secure` by default.
///
/// Fails closed: anything but an explicit development value is [`Tier::Production`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Tier {
    /// A secret is required and cookies are `Secure`.
    #[default]
    Production,
    /// A missing secret is replaced by an ephemeral one; cookies are not
    /// `Secure` unless the session type demands it (plain `http://localhost` works).
    Development,
}

impl Tier {
    /// Reads `SESSION_SEAL_ENV`; see [`Tier::parse`].
    pub fn from_env() -> Self {
        Self::parse(std::env::var_os(ENV_VAR).as_deref())
    }

    /// `development`, `dev`, `test` and `local` (any case, surrounding spaces
    /// ignored) are [`Tier::Development`]; anything else, including no value
    /// or a value that is not UTF-8, is [`Tier::Production`].
    pub fn parse(value: Option<&OsStr>) -> Self {
        let Some(value) = value.and_then(OsStr::to_str) else {
            return Tier::Production;
        };
        match value.trim().to_ascii_lowercase().as_str() {
            "development" | "dev" | "test" | "local" => Tier::Development,
            _ => Tier::Production,
        }
    }

    /// Whether this is [`Tier::Production`].
    pub fn is_production(self) -> bool {
        self == Tier::Production
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fails_closed() {
        assert_eq!(Tier::parse(None), Tier::Production);
        for value in ["", "prod", "production", "staging", "developmnet", "deve"] {
            assert_eq!(
                Tier::parse(Some(OsStr::new(value))),
                Tier::Production,
                "{value}"
            );
        }
        for value in ["development", "dev", "test", "local", " DEV ", "Local"] {
            assert_eq!(
                Tier::parse(Some(OsStr::new(value))),
                Tier::Development,
                "{value}"
            );
        }
    }
}
