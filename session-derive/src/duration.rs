//! Durations as written in attributes: one or more `<digits><unit>` groups,
//! unit `s`, `m`, `h` or `d` (`"30s"`, `"15m"`, `"1h30m"`, `"7d"`).

use std::fmt::{self, Display};

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

const EXAMPLES: &str = "e.g. \"30s\", \"15m\", \"1h30m\", \"7d\"";

/// Why a duration string was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum DurationError {
    /// Nothing was written.
    Empty,
    /// A unit with no digits before it.
    MissingNumber(char),
    /// Digits at the end with no unit after them.
    MissingUnit(String),
    /// A character that is neither a digit nor a unit.
    UnknownUnit(char),
    /// The total does not fit in 64 bits of seconds.
    Overflow,
}

impl Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationError::Empty => {
                write!(f, "empty duration; write a number and a unit, {EXAMPLES}")
            }
            DurationError::MissingNumber(unit) => {
                write!(
                    f,
                    "invalid duration: `{unit}` needs a number before it, {EXAMPLES}"
                )
            }
            DurationError::MissingUnit(digits) => write!(
                f,
                "invalid duration: `{digits}` needs a unit (s, m, h or d), e.g. \"{digits}s\" or \"{digits}m\""
            ),
            DurationError::UnknownUnit(c) => write!(
                f,
                "invalid duration: unknown unit {c:?}; units are s, m, h and d, {EXAMPLES}"
            ),
            DurationError::Overflow => f.write_str("duration is too long"),
        }
    }
}

/// Seconds in `text`.
pub fn parse(text: &str) -> Result<u64, DurationError> {
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => DAY,
            _ => return Err(DurationError::UnknownUnit(c)),
        };
        if digits.is_empty() {
            return Err(DurationError::MissingNumber(c));
        }
        let count: u64 = digits.parse().map_err(|_| DurationError::Overflow)?;
        total = count
            .checked_mul(unit)
            .and_then(|secs| total.checked_add(secs))
            .ok_or(DurationError::Overflow)?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(DurationError::MissingUnit(digits));
    }
    Ok(total)
}

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

    #[test]
    fn accepts_groups() {
        assert_eq!(parse("30s"), Ok(30));
        assert_eq!(parse("15m"), Ok(900));
        assert_eq!(parse("8h"), Ok(28_800));
        assert_eq!(parse("7d"), Ok(7 * DAY));
        assert_eq!(parse("1h30m"), Ok(5_400));
        assert_eq!(parse("1d2h3m4s"), Ok(DAY + 7_200 + 180 + 4));
        assert_eq!(parse("0s"), Ok(0));
        assert_eq!(parse(DEFAULT_MAX_AGE), Ok(DAY));
    }

    #[test]
    fn refuses_the_rest() {
        assert_eq!(parse(""), Err(DurationError::Empty));
        assert_eq!(parse("h"), Err(DurationError::MissingNumber('h')));
        assert_eq!(parse("30"), Err(DurationError::MissingUnit("30".into())));
        assert_eq!(parse("1h30"), Err(DurationError::MissingUnit("30".into())));
        assert_eq!(parse("8x"), Err(DurationError::UnknownUnit('x')));
        assert_eq!(parse("8H"), Err(DurationError::UnknownUnit('H')));
        assert_eq!(parse("1 h"), Err(DurationError::UnknownUnit(' ')));
        assert_eq!(parse("-1h"), Err(DurationError::UnknownUnit('-')));
        assert_eq!(parse("99999999999999999999s"), Err(DurationError::Overflow));
        assert_eq!(parse("999999999999999999d"), Err(DurationError::Overflow));
    }
}
