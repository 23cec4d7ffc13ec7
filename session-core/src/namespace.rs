//! [`Namespace`]: a checked namespace name, for APIs that take one at run
//! time (revocations, admin tools) rather than from a spec.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::payload::SessionPayload;
use crate::spec::{SpecError, is_namespace};

/// A namespace name that satisfies the spec rule `[a-z0-9_.-]{1,64}`.
///
/// Session types declare theirs in `#[session(namespace = "...")]`; this
/// type is for values that arrive at run time (a command line, a feed) and
/// must be checked once, where they enter.
///
/// ```
/// use session_core::Namespace;
///
/// let admin = Namespace::new("admin").unwrap();
/// assert_eq!(admin.as_str(), "admin");
/// assert!(Namespace::new("Admin Area").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Namespace(Box<str>);

impl Namespace {
    /// Checks `name` against the namespace rule.
    ///
    /// # Errors
    ///
    /// [`SpecError::Namespace`] when it is empty, longer than 64 bytes or
    /// has a character outside `a-z 0-9 _ . -`.
    pub fn new(name: &str) -> Result<Self, SpecError> {
        if is_namespace(name) {
            Ok(Namespace(name.into()))
        } else {
            Err(SpecError::Namespace)
        }
    }

    /// The namespace of session type `T`.
    pub fn of<T: SessionPayload>() -> Self {
        Namespace(T::SPEC.namespace().into())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Namespace {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for Namespace {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Namespace {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Namespace::new(&name).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::Namespace;

    #[test]
    fn accepts_exactly_the_spec_rule() {
        assert!(Namespace::new("a").is_ok());
        assert!(Namespace::new("tenant-1.v2_x").is_ok());
        assert!(Namespace::new(&"a".repeat(64)).is_ok());
        for bad in ["", "A", "a b", "a:b", "é", &"a".repeat(65)] {
            assert!(Namespace::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn deserializing_checks_the_rule() {
        let ok: Namespace = serde_json::from_str("\"admin\"").unwrap();
        assert_eq!(ok.as_str(), "admin");
        assert!(serde_json::from_str::<Namespace>("\"Admin\"").is_err());
        assert_eq!(serde_json::to_string(&ok).unwrap(), "\"admin\"");
    }
}
