//! Mission time: microseconds since the UNIX epoch, passed into everything that decides by
//! time (link health, command retries, replay) so that they are deterministic under test.
//!
//! Also the one place where UTC is read from text and written as text ([`parse_utc`],
//! [`utc_string`], [`utc_millis_string`]): scenarios, report files, export bounds and every
//! timestamp Vigil writes go through here, on the `humantime` crate.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A moment on the mission clock, in microseconds since the UNIX epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TimeUs(pub u64);

impl TimeUs {
    pub fn from_secs_f64(secs: f64) -> Self {
        Self((secs * 1e6).max(0.0) as u64)
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 * 1e-6
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Self) -> Duration {
        Duration::from_micros(self.0.saturating_sub(earlier.0))
    }

    pub fn plus(self, duration: Duration) -> Self {
        Self(
            self.0
                .saturating_add(u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)),
        )
    }
}

/// The live clock: UNIX time read once at start, then advanced by the monotonic clock, so it
/// never jumps backwards when the system clock is stepped mid-mission.
#[derive(Debug, Clone, Copy)]
pub struct MonoClock {
    start: Instant,
    start_unix: TimeUs,
}

impl MonoClock {
    pub fn new() -> Self {
        let unix_us = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
        Self {
            start: Instant::now(),
            start_unix: TimeUs(unix_us),
        }
    }

    pub fn now(&self) -> TimeUs {
        self.at(Instant::now())
    }

    /// The mission time of a monotonic instant taken after the clock started.
    pub fn at(&self, instant: Instant) -> TimeUs {
        self.start_unix
            .plus(instant.saturating_duration_since(self.start))
    }
}

impl Default for MonoClock {
    fn default() -> Self {
        Self::new()
    }
}

// UTC text, read and written here only. The calendar arithmetic is `humantime`'s (a small,
// dependency-free crate); what is ours is the grammar gate below, because its strict parser
// also takes a fraction followed by any `+hhmm`-shaped tail, and a timestamp off by hours
// must be refused, not read as UTC.

/// What [`parse_utc`] accepts, as error messages name it.
pub const UTC_GRAMMAR: &str = "YYYY-MM-DDTHH:MM:SS[.fff]Z";

/// The last moment the four-digit-year format can write: 9999-12-31T23:59:59.999999Z.
const LAST_WRITABLE: TimeUs = TimeUs(253_402_300_799_999_999);

/// Formats a mission time as RFC 3339 UTC to the second (`2026-11-23T00:28:17Z`). A time
/// past the year 9999 (only a corrupt or hostile record holds one) is written as the last
/// second of 9999, so that the text is always a valid timestamp.
pub fn utc_string(time: TimeUs) -> String {
    humantime::format_rfc3339_seconds(system_time(time)).to_string()
}

/// Formats a mission time as RFC 3339 UTC to the millisecond (`2026-03-14T09:00:00.250Z`),
/// as exports write it; past the year 9999 as [`utc_string`] does.
pub fn utc_millis_string(time: TimeUs) -> String {
    humantime::format_rfc3339_millis(system_time(time)).to_string()
}

fn system_time(time: TimeUs) -> SystemTime {
    UNIX_EPOCH + Duration::from_micros(time.min(LAST_WRITABLE).0)
}

/// Parses an RFC 3339 UTC timestamp into mission time; `None` when it is not one.
///
/// # Grammar
/// `YYYY-MM-DDTHH:MM:SS[.f…]Z` ([`UTC_GRAMMAR`]), surrounding whitespace ignored:
/// - the date is a real Gregorian date, 1970-01-01 to 9999-12-31 (mission time starts at the
///   UNIX epoch), with four-digit years and two-digit fields;
/// - the separator is an upper-case `T`; hours 00-23, minutes 00-59, seconds 00-60 (a leap
///   second reads as :59);
/// - an optional fraction of one to nine digits, kept to the microsecond (truncated);
/// - the zone is `Z` or `+00:00`: any other offset, or none, is refused rather than guessed.
pub fn parse_utc(text: &str) -> Option<TimeUs> {
    let text = text.trim();
    let body = text
        .strip_suffix('Z')
        .or_else(|| text.strip_suffix("+00:00"))?;
    // `YYYY-MM-DDTHH:MM:SS` is 19 bytes; `get` refuses a cut inside a multi-byte character.
    let fraction = body.get(19..)?;
    if body.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    if let Some(digits) = fraction.strip_prefix('.') {
        if !(1..=9).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    } else if !fraction.is_empty() {
        return None;
    }
    let since_epoch = humantime::parse_rfc3339(text)
        .ok()?
        .duration_since(UNIX_EPOCH)
        .ok()?;
    u64::try_from(since_epoch.as_micros()).ok().map(TimeUs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_strings_match_known_dates() {
        assert_eq!(utc_string(TimeUs(0)), "1970-01-01T00:00:00Z");
        assert_eq!(
            utc_string(TimeUs(1_700_000_000_000_000)),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(
            utc_string(TimeUs(951_782_400_000_000)),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            utc_millis_string(TimeUs(1_700_000_000_250_999)),
            "2023-11-14T22:13:20.250Z"
        );
        // Past the year 9999 (a corrupt record): still a timestamp, never a panic.
        assert_eq!(utc_string(TimeUs(u64::MAX)), "9999-12-31T23:59:59Z");
        assert_eq!(
            utc_millis_string(TimeUs(u64::MAX)),
            "9999-12-31T23:59:59.999Z"
        );
    }

    #[test]
    fn utc_text_reads_back_what_is_written() {
        for time in [0, 951_782_400_000_000, 1_700_000_000_250_000] {
            assert_eq!(
                parse_utc(&utc_millis_string(TimeUs(time))),
                Some(TimeUs(time))
            );
        }
        assert_eq!(parse_utc("1970-01-01T00:00:00Z"), Some(TimeUs(0)));
        assert_eq!(
            parse_utc(" 2023-11-14T22:13:20.25+00:00\n"),
            Some(TimeUs(1_700_000_000_250_000))
        );
        assert_eq!(
            parse_utc("2000-02-29T00:00:00.000001999Z"),
            Some(TimeUs(951_782_400_000_001))
        );
        assert_eq!(
            parse_utc("9999-12-31T23:59:59Z"),
            Some(TimeUs(253_402_300_799_000_000))
        );
    }

    #[test]
    fn what_is_not_the_grammar_is_refused() {
        for text in [
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:00",
            "2026-01-01 00:00:00Z",
            "2026-01-01t00:00:00Z",
            "2026-1-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "10000-01-01T00:00:00Z",
            "9223372036854775807-03-01T00:00:00Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00.1234567890Z",
            "2026-01-01T00:00:00+02:00",
            "2026-01-01T00:00:00.1+0200Z",
            "2026-01-01T00:00:00.1+02:00",
            "2026-01-01T00:00:00.5e3Z",
            "2026-01-01T00:00:0é.5Z",
        ] {
            assert_eq!(parse_utc(text), None, "{text:?}");
        }
    }
}
