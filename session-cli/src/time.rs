//! Unix seconds as RFC 3339 (UTC) and as a distance from now, without a
//! date library: the civil-from-days conversion is a few lines of integer
//! arithmetic (Howard Hinnant's algorithm).

/// `2026-12-01T04:35:25Z`.
pub fn rfc3339(unix: u64) -> String {
    let days = unix / 86_400;
    let secs = unix % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// `in 3h`, `2d ago`, `now`: in the largest unit that fits, rounded to the
/// nearest (7 h 59 min is "in 8h").
pub fn relative(unix: u64, now: u64) -> String {
    let (distance, future) = if unix >= now {
        (unix - now, true)
    } else {
        (now - unix, false)
    };
    let rounded = |unit: u64| (distance + unit / 2) / unit;
    let amount = match distance {
        0 => return "now".to_owned(),
        1..=59 => format!("{distance}s"),
        60..=3599 => format!("{}m", rounded(60)),
        3600..=86_399 => format!("{}h", rounded(3600)),
        _ => format!("{}d", rounded(86_400)),
    };
    if future {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

/// (year, month, day) of the day `days` after 1970-01-01.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_796_099_725), "2026-12-01T04:35:25Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn distances() {
        assert_eq!(relative(100, 100), "now");
        assert_eq!(relative(130, 100), "in 30s");
        assert_eq!(relative(100 + 3 * 3600 + 5, 100), "in 3h");
        assert_eq!(relative(100, 100 + 2 * 86_400), "2d ago");
        assert_eq!(relative(100, 220), "2m ago");
        assert_eq!(relative(100 + 8 * 3600 - 60, 100), "in 8h", "rounded");
    }
}
