//! [`SessionStatus`]: what the request carried for one session type.

use session_core::OpenError;

/// What the request carried for one session type, as seen at extraction.
///
/// Mutations (`insert`, `remove`, …) do not change it: it describes the
/// incoming request, so a handler can say "your session expired" even after
/// starting a new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionStatus {
    /// No cookie of this type's name was sent.
    Absent,
    /// A cookie opened and is in use.
    Valid,
    /// A cookie was sent but could not be used; it is treated as absent and a
    /// removal cookie clears it.
    Invalid(OpenError),
}

impl SessionStatus {
    /// Whether a valid session was carried.
    pub fn is_valid(&self) -> bool {
        matches!(self, SessionStatus::Valid)
    }

    /// Whether the carried session had expired.
    pub fn is_expired(&self) -> bool {
        matches!(self, SessionStatus::Invalid(OpenError::Expired { .. }))
    }

    /// A short stable label: `absent`, `valid`, or the [`OpenError::label`].
    pub fn label(&self) -> &'static str {
        match self {
            SessionStatus::Absent => "absent",
            SessionStatus::Valid => "valid",
            SessionStatus::Invalid(error) => error.label(),
        }
    }
}
