//! A field's text as a value: degrees, an XForm geopoint, a time with its UTC offset, a
//! category in lower_snake_case.

use crate::LatLon;
use vigil_core::time::TimeUs;

/// Degrees within ±`limit`.
pub(super) fn parse_degrees(text: &str, limit: f64) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && v.abs() <= limit)
        .ok_or_else(|| format!("{text:?} is not a number of degrees within ±{limit}"))
}

/// An XForm geopoint: `lat lon [alt [accuracy]]`, separated by spaces.
pub(super) fn parse_geopoint(text: &str) -> Result<LatLon, String> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [lat, lon, ..] = parts.as_slice() else {
        return Err(format!(
            "{text:?} is not a geopoint: latitude longitude [altitude [accuracy]]"
        ));
    };
    if parts.len() > 4 {
        return Err(format!(
            "{text:?} is not a geopoint: latitude longitude [altitude [accuracy]]"
        ));
    }
    Ok(LatLon {
        lat_deg: parse_degrees(lat, 90.0)?,
        lon_deg: parse_degrees(lon, 180.0)?,
    })
}

/// Whether a column's times are UTC by definition, so that one without an offset is UTC.
pub(super) fn is_utc_column(column: &str) -> bool {
    let last = column.rsplit(['/', '-']).next().unwrap_or(column);
    last.eq_ignore_ascii_case("_submission_time")
        || column.eq_ignore_ascii_case("SubmissionDate")
        || column.to_ascii_lowercase().contains("(utc)")
}

/// The time grammar, as errors name it.
const TIME_GRAMMAR: &str = "YYYY-MM-DDTHH:MM:SS[.fff] then Z or ±HH:MM";

/// The last moment `vigil_core::time` writes (9999-12-31T23:59:59.999999Z), µs.
const LAST_TIME_US: i128 = 253_402_300_799_999_999;

/// A date and time with a UTC offset (`Z`, `±HH:MM`, `±HHMM`, `±HH`), or without one when
/// `naive_is_utc`, in UTC; the date and the clock as [`vigil_core::time::parse_utc`] reads
/// them (with a space allowed for the `T`). The error says why, without the text.
pub(super) fn parse_time(text: &str, naive_is_utc: bool) -> Result<TimeUs, String> {
    let refused = || format!("is not a date and time with a UTC offset ({TIME_GRAMMAR})");
    let text = text.trim();
    let (Some(date), Some(separator), Some(clock), Some(rest)) = (
        text.get(..10),
        text.as_bytes().get(10),
        text.get(11..19),
        text.get(19..),
    ) else {
        return Err(refused());
    };
    if !matches!(separator, b'T' | b' ') {
        return Err(refused());
    }
    let fraction_len = rest.strip_prefix('.').map_or(0, |digits| {
        1 + digits.bytes().take_while(u8::is_ascii_digit).count()
    });
    // The fraction is ASCII, so the split is at a character boundary.
    let (fraction, zone) = rest.split_at(fraction_len);
    let offset_s = match zone {
        "Z" => 0,
        "" if naive_is_utc => 0,
        "" => {
            return Err(format!(
                "has no UTC offset, and this column is not in UTC ({TIME_GRAMMAR})"
            ));
        }
        _ => offset_seconds(zone).ok_or_else(refused)?,
    };
    let local =
        vigil_core::time::parse_utc(&format!("{date}T{clock}{fraction}Z")).ok_or_else(refused)?;
    let utc_us = i128::from(local.0) - i128::from(offset_s) * 1_000_000;
    if !(0..=LAST_TIME_US).contains(&utc_us) {
        return Err("is before 1970 or after 9999 in UTC".into());
    }
    u64::try_from(utc_us)
        .map(TimeUs)
        .map_err(|_| "is before 1970 or after 9999 in UTC".into())
}

/// A UTC offset's seconds east: `±HH:MM`, `±HHMM` or `±HH`, hours 00-23, minutes 00-59.
fn offset_seconds(zone: &str) -> Option<i64> {
    let (sign, digits) = if let Some(digits) = zone.strip_prefix('+') {
        (1, digits)
    } else {
        (-1, zone.strip_prefix('-')?)
    };
    let (hours, minutes) = match digits.len() {
        2 => (digits, "00"),
        4 => (digits.get(..2)?, digits.get(2..)?),
        5 if digits.as_bytes().get(2) == Some(&b':') => (digits.get(..2)?, digits.get(3..)?),
        _ => return None,
    };
    let number = |text: &str| -> Option<i64> {
        (text.len() == 2 && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten()
    };
    let (hours, minutes) = (number(hours)?, number(minutes)?);
    (hours <= 23 && minutes <= 59).then_some(sign * (hours * 3600 + minutes * 60))
}

/// lower_snake_case: letters and digits kept (lower case), a `_` between words, where a word
/// ends at anything else or where a capital follows a small letter (`ArmedMen` → `armed_men`).
pub(super) fn snake_case(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut gap = false;
    let mut after_lower = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if !out.is_empty() && (gap || (after_lower && c.is_uppercase())) {
                out.push('_');
            }
            out.extend(c.to_lowercase());
            after_lower = c.is_lowercase();
            gap = false;
        } else {
            gap = true;
        }
    }
    out
}
