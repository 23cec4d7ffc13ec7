//! Unix time in seconds, the unit of the wire format.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current time in unix seconds (0 if the clock is before 1970).
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
