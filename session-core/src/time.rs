//! Unix time in seconds, the unit of the wire format.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current time in unix seconds (0 if the clock is before 1970).
///
/// Every request that opens or seals a session reads it. It is the standard
/// library's `SystemTime` on every platform: the plain real-time clock, so
/// a value expires exactly at its expiry second, and nothing here can fail
/// or panic (a clock before 1970 reads as 0, which expires everything).
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

#[cfg(test)]
mod tests {
    use std::time::{SystemTime, UNIX_EPOCH};

    use super::unix_now;

    #[test]
    fn agrees_with_the_system_clock_to_the_second() {
        let before = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        let now = unix_now();
        let after = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        assert!(
            before <= now && now <= after,
            "{before} <= {now} <= {after}"
        );
    }
}
