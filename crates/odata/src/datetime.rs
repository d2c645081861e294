//! DateTimeOffset literals (`2024-01-01T00:00:00Z`, `2024-01-01T02:00:00+02:00`), reduced to
//! the instant they name so that a backend compares instants, never text in some format.

use std::fmt;

/// An instant: seconds since 1970-01-01T00:00:00Z and nanoseconds within that second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTimeOffset {
    pub unix_seconds: i64,
    pub nanos: u32,
}

impl DateTimeOffset {
    /// Reads `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDThh:mm[:ss[.fraction]]` followed by
    /// `Z` or an offset `±hh:mm`. `None` for anything else, including impossible dates.
    pub fn parse(text: &str) -> Option<DateTimeOffset> {
        let b = text.as_bytes();
        let digits = |range: std::ops::Range<usize>| -> Option<i64> {
            let part = b.get(range)?;
            if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            Some(part.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
        };
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        let days = days_from_civil(year, month, day);
        if b.len() == 10 {
            return Some(DateTimeOffset {
                unix_seconds: days * 86_400,
                nanos: 0,
            });
        }
        if !matches!(b[10], b'T' | b't') || b.get(13) != Some(&b':') {
            return None;
        }
        let (hour, minute) = (digits(11..13)?, digits(14..16)?);
        let mut i = 16;
        let mut second = 0;
        let mut nanos = 0u32;
        if b.get(i) == Some(&b':') {
            second = digits(i + 1..i + 3)?;
            i += 3;
            if b.get(i) == Some(&b'.') {
                let start = i + 1;
                let end = start + b[start..].iter().take_while(|c| c.is_ascii_digit()).count();
                if end == start || end - start > 12 {
                    return None;
                }
                for (k, d) in b[start..end].iter().take(9).enumerate() {
                    nanos += u32::from(d - b'0') * 10u32.pow(8 - k as u32);
                }
                i = end;
            }
        }
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let offset = match b.get(i)? {
            b'Z' | b'z' if i + 1 == b.len() => 0,
            sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
                let (h, m) = (digits(i + 1..i + 3)?, digits(i + 4..i + 6)?);
                if h > 23 || m > 59 {
                    return None;
                }
                let minutes = h * 60 + m;
                if *sign == b'-' { -minutes } else { minutes }
            }
            _ => return None,
        };
        Some(DateTimeOffset {
            unix_seconds: days * 86_400 + hour * 3600 + minute * 60 + second - offset * 60,
            nanos,
        })
    }

    /// Seconds since the epoch as a float, for backends that compare numerically.
    pub fn as_unix_f64(self) -> f64 {
        self.unix_seconds as f64 + f64::from(self.nanos) / 1e9
    }
}

impl fmt::Display for DateTimeOffset {
    /// RFC 3339 in UTC: `2024-01-01T00:00:00Z`, with a fraction only when there is one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.unix_seconds.div_euclid(86_400);
        let secs = self.unix_seconds.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )?;
        if self.nanos > 0 {
            let fraction = format!("{:09}", self.nanos);
            write!(f, ".{}", fraction.trim_end_matches('0'))?;
        }
        f.write_str("Z")
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> Option<i64> {
        DateTimeOffset::parse(text).map(|d| d.unix_seconds)
    }

    #[test]
    fn reads_the_odata_forms() {
        assert_eq!(secs("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(secs("2024-01-01T00:00:00Z"), Some(1_704_067_200));
        assert_eq!(secs("2024-01-01"), Some(1_704_067_200));
        assert_eq!(secs("2024-01-01T00:00Z"), Some(1_704_067_200));
        assert_eq!(secs("2024-01-01T02:00:00+02:00"), Some(1_704_067_200));
        assert_eq!(secs("2023-12-31T22:00:00-02:00"), Some(1_704_067_200));
        assert_eq!(secs("2024-02-29T00:00:00Z"), Some(1_709_164_800));
        let fine = DateTimeOffset::parse("2024-01-01T00:00:00.25Z").unwrap();
        assert_eq!(
            (fine.unix_seconds, fine.nanos),
            (1_704_067_200, 250_000_000)
        );
        assert_eq!(fine.to_string(), "2024-01-01T00:00:00.25Z");
        assert_eq!(
            DateTimeOffset::parse("1969-12-31T23:59:59Z")
                .unwrap()
                .to_string(),
            "1969-12-31T23:59:59Z"
        );
    }

    #[test]
    fn rejects_what_is_not_an_instant() {
        for bad in [
            "",
            "2024",
            "2024-13-01",
            "2023-02-29",
            "2024-01-32",
            "2024-01-01T",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:60:00Z",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00+2:00",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00Zjunk",
            "2024-01-01X",
            "२०२४-01-01",
        ] {
            assert_eq!(DateTimeOffset::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn round_trips_through_display() {
        for days in [-700_000i64, -1, 0, 1, 19_000, 2_000_000] {
            let d = DateTimeOffset {
                unix_seconds: days * 86_400 + 3_723,
                nanos: 0,
            };
            assert_eq!(DateTimeOffset::parse(&d.to_string()), Some(d), "{d}");
        }
    }
}
