//! session-seal: typed, signed session cookies (facade; filled in as the crates land).
#![forbid(unsafe_code)]
pub use session_core::*;
