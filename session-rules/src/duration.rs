//! Durations as session-seal writes them (attributes, the CLI): one or more
//! `<digits><unit>` groups, unit `s`, `m`, `h` or `d` (`30s`, `15m`,
//! `1h30m`, `7d`). One parser, so the derive and the command line accept
//! exactly the same text.

use core::fmt;

use crate::DAY_SECS;

const EXAMPLES: &str = "e.g. \"30s\", \"15m\", \"1h30m\", \"7d\"";

/// Why a duration was refused; its `Display` is the message users see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DurationError<'a> {
    /// Nothing was written.
    Empty,
    /// A unit with no digits before it.
    MissingNumber(char),
    /// Digits at the end with no unit after them.
    MissingUnit(&'a str),
    /// A character that is neither a digit nor a unit.
    UnknownUnit(char),
    /// The total does not fit in 64 bits of seconds.
    Overflow,
}

impl fmt::Display for DurationError<'_> {
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
///
/// # Errors
///
/// [`DurationError`], naming what is wrong.
pub fn parse(text: &str) -> Result<u64, DurationError<'_>> {
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    let mut total: u64 = 0;
    // The current group's number, and where its digits started.
    let mut amount: Option<(u64, usize)> = None;
    for (at, c) in text.char_indices() {
        if let Some(digit) = c.to_digit(10) {
            let (so_far, start) = amount.unwrap_or((0, at));
            let next = so_far
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(digit)))
                .ok_or(DurationError::Overflow)?;
            amount = Some((next, start));
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => DAY_SECS,
            _ => return Err(DurationError::UnknownUnit(c)),
        };
        let (count, _) = amount.take().ok_or(DurationError::MissingNumber(c))?;
        total = count
            .checked_mul(unit)
            .and_then(|secs| total.checked_add(secs))
            .ok_or(DurationError::Overflow)?;
    }
    match amount {
        Some((_, start)) => Err(DurationError::MissingUnit(
            text.get(start..).unwrap_or(text),
        )),
        None => Ok(total),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_groups() {
        assert_eq!(parse("30s"), Ok(30));
        assert_eq!(parse("15m"), Ok(900));
        assert_eq!(parse("8h"), Ok(28_800));
        assert_eq!(parse("7d"), Ok(7 * DAY_SECS));
        assert_eq!(parse("1h30m"), Ok(5_400));
        assert_eq!(parse("1d2h3m4s"), Ok(DAY_SECS + 7_200 + 180 + 4));
        assert_eq!(parse("0s"), Ok(0));
        assert_eq!(parse("007s"), Ok(7));
    }

    #[test]
    fn refuses_the_rest() {
        assert_eq!(parse(""), Err(DurationError::Empty));
        assert_eq!(parse("h"), Err(DurationError::MissingNumber('h')));
        assert_eq!(parse("30"), Err(DurationError::MissingUnit("30")));
        assert_eq!(parse("1h30"), Err(DurationError::MissingUnit("30")));
        assert_eq!(parse("8x"), Err(DurationError::UnknownUnit('x')));
        assert_eq!(parse("8H"), Err(DurationError::UnknownUnit('H')));
        assert_eq!(parse("1 h"), Err(DurationError::UnknownUnit(' ')));
        assert_eq!(parse("-1h"), Err(DurationError::UnknownUnit('-')));
        assert_eq!(parse("99999999999999999999s"), Err(DurationError::Overflow));
        assert_eq!(parse("999999999999999999d"), Err(DurationError::Overflow));
        assert_eq!(parse("１s"), Err(DurationError::UnknownUnit('１')));
    }
}
