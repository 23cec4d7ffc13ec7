//! [`Current`]: what one extractor holds of its session type.

use session_core::Opened;

use crate::status::SessionStatus;

/// The payload and times a [`TypedSession`](crate::TypedSession) exposes,
/// and the status of the request's cookie.
pub(crate) struct Current<T> {
    pub(crate) value: Option<T>,
    pub(crate) status: SessionStatus,
    pub(crate) issued_at: Option<u64>,
    pub(crate) expires_at: Option<u64>,
    pub(crate) started_at: Option<u64>,
}

impl<T> Current<T> {
    /// No session, nothing carried.
    pub(crate) fn absent() -> Self {
        Current {
            value: None,
            status: SessionStatus::Absent,
            issued_at: None,
            expires_at: None,
            started_at: None,
        }
    }

    /// Takes an opened value's payload and times (not its status, which
    /// describes the request's cookie).
    pub(crate) fn accept(&mut self, opened: Opened<T>) {
        self.issued_at = Some(opened.issued_at);
        self.expires_at = Some(opened.expires_at);
        self.started_at = Some(opened.started_at);
        self.value = Some(opened.payload);
    }

    /// Ends the session in this view; returns its payload.
    pub(crate) fn end(&mut self) -> Option<T> {
        self.issued_at = None;
        self.expires_at = None;
        self.started_at = None;
        self.value.take()
    }
}
