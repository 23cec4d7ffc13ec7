//! Unix time in seconds, the unit of the wire format.

/// The current time in unix seconds (0 if the clock is before 1970).
///
/// Every request that opens or seals a session reads it. On Linux it reads
/// the coarse real-time clock (`CLOCK_REALTIME_COARSE`), which the kernel
/// updates every scheduler tick (1 to 10 ms) and which the vDSO returns
/// without reading the TSC: 8 ns against 37 ns for the precise clock on our
/// benchmark machine (a KVM guest). At the wire format's one-second
/// resolution the lag of at most one tick does not matter: a value can open
/// up to one tick past its expiry second, and is issued at most one tick
/// early.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn unix_now() -> u64 {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::RealtimeCoarse);
    u64::try_from(now.tv_sec).unwrap_or(0)
}

/// The current time in unix seconds (0 if the clock is before 1970).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn unix_now() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
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
        // The coarse clock may lag by one tick, so across a second boundary
        // it can still read the second before `before`.
        assert!(
            before.saturating_sub(1) <= now && now <= after,
            "{before} <= {now} <= {after}"
        );
    }
}
