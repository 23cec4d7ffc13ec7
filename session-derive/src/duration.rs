//! Durations as written in attributes: one or more `<digits><unit>` groups,
//! unit `s`, `m`, `h` or `d` (`"30s"`, `"15m"`, `"1h30m"`, `"7d"`).

/// Seconds in one day.
pub const DAY: u64 = session_rules::DAY_SECS;
/// The default `max_age`, as written.
pub const DEFAULT_MAX_AGE: &str = "1d";
/// The default `max_age` of a `flash` type, as written
/// ([`session_rules::DEFAULT_FLASH_MAX_AGE_SECS`]).
pub const DEFAULT_FLASH_MAX_AGE: &str = "5m";
/// The longest `max_age` of a `flash` type, as written
/// ([`session_rules::MAX_FLASH_MAX_AGE_SECS`]).
pub const MAX_FLASH_MAX_AGE: &str = "1h";
/// Browsers cap a cookie's lifetime at 400 days (RFC 6265bis §5.5).
pub const MAX_DAYS: u64 = session_rules::MAX_MAX_AGE_DAYS;

pub use session_rules::duration::parse;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flash_lifetimes_as_written_are_the_rules() {
        assert_eq!(
            parse(DEFAULT_FLASH_MAX_AGE),
            Ok(session_rules::DEFAULT_FLASH_MAX_AGE_SECS)
        );
        assert_eq!(
            parse(MAX_FLASH_MAX_AGE),
            Ok(session_rules::MAX_FLASH_MAX_AGE_SECS)
        );
        assert_eq!(parse(DEFAULT_MAX_AGE), Ok(DAY));
    }
}
