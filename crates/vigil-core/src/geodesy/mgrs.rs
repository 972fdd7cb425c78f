//! Military Grid Reference System (MGRS) strings, the grid references peace operations use
//! on maps, in reports and over the radio.
//!
//! Exists so that an operator can type `36NYF 12345 67890` and get a position, and read one
//! off any track, without a conversion tool. Covers the UTM part of MGRS (80°S to 84°N) with
//! the current (WGS84, "AA") lettering: column letters cycle through three sets of eight by
//! zone number, and the row letters of even zones are shifted by five. The old "AL" lettering
//! of Clarke/Bessel-based maps is not supported, and neither are the polar caps (UPS, bands
//! A, B, Y, Z): those give [`GeoError::PolarMgrsUnsupported`].
//!
//! MGRS truncates: a reference names the cell whose south-west corner is given, so
//! [`mgrs_from_geodetic`] truncates towards the south-west and [`geodetic_from_mgrs`]
//! returns the south-west corner of the cell (add half of [`MgrsCell::size_m`] to easting
//! and northing for its centre, which is what some other tools return).

use super::GeoError;
use super::utm::{
    UTM_MAX_LAT_DEG, UTM_MIN_LAT_DEG, Utm, central_meridian_rad, geodetic_from_utm,
    in_utm_latitudes, latitude_band_index, utm_from_geodetic, utm_from_geodetic_in_zone,
};
use super::wgs84::Geodetic;

/// Latitude band letters from 80°S, 8° each (X is 12°).
const BAND_LETTERS: &[u8; 20] = b"CDEFGHJKLMNPQRSTUVWX";
/// 100 km column letters, by (zone - 1) mod 3.
const COLUMN_LETTERS: [&[u8; 8]; 3] = [b"ABCDEFGH", b"JKLMNPQR", b"STUVWXYZ"];
/// 100 km row letters, repeating every 2000 km; even zones start at F.
const ROW_LETTERS: &[u8; 20] = b"ABCDEFGHJKLMNPQRSTUV";
/// Polar (UPS) band letters.
const POLAR_BANDS: &[u8; 4] = b"ABYZ";
const SQUARE_M: i64 = 100_000;
const ROW_CYCLE_M: f64 = 2_000_000.0;
const EVEN_ZONE_ROW_SHIFT: usize = 5;
/// Longest input looked at; longer strings are refused before any parsing.
const MAX_INPUT_CHARS: usize = 64;

/// An MGRS cell: its south-west corner in UTM and its side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MgrsCell {
    /// The south-west corner of the cell.
    pub sw_corner: Utm,
    /// Side of the cell, metres: 100 000 for no digits down to 1 for 5+5 digits.
    pub size_m: f64,
}

/// The MGRS reference of a position, truncated to `precision_digits` digits per coordinate
/// (0..=5: 100 km, 10 km, 1 km, 100 m, 10 m, 1 m), formatted as `36NYF 12345 67890`
/// (two-digit zone, band, 100 km square, then easting and northing digits separated by
/// spaces; just `36NYF` for precision 0).
///
/// Errors for a precision above 5, non-finite coordinates and latitudes outside
/// 80°S..=84°N (polar MGRS, UPS, is not supported).
pub fn mgrs_from_geodetic(pos: &Geodetic, precision_digits: u8) -> Result<String, GeoError> {
    if precision_digits > 5 {
        return Err(GeoError::InvalidMgrsPrecision {
            digits: precision_digits,
        });
    }
    if pos.lat_rad.is_finite() && !in_utm_latitudes(pos.lat_rad) {
        return Err(GeoError::PolarMgrsUnsupported {
            detail: format!(
                "latitude {}° is outside {UTM_MIN_LAT_DEG}°..={UTM_MAX_LAT_DEG}°",
                pos.lat_deg()
            ),
        });
    }
    let utm = utm_from_geodetic(pos)?;
    let band = latitude_band_index(pos.lat_rad)
        .map(|i| char::from(BAND_LETTERS[i]))
        .ok_or(GeoError::LatitudeOutsideUtm {
            lat_deg: pos.lat_deg(),
        })?;
    format_mgrs(&utm, band, precision_digits)
}

/// Formats UTM coordinates in MGRS, truncating to the precision.
fn format_mgrs(utm: &Utm, band: char, precision_digits: u8) -> Result<String, GeoError> {
    let invalid = || GeoError::InvalidUtm {
        zone: utm.zone,
        easting_m: utm.easting_m,
        northing_m: utm.northing_m,
    };
    // Whole metres, truncated; both are positive inside UTM.
    let e_m = utm.easting_m.floor() as i64;
    let n_m = utm.northing_m.floor() as i64;
    let column = usize::try_from(e_m / SQUARE_M - 1)
        .ok()
        .and_then(|i| column_set(utm.zone).get(i))
        .ok_or_else(invalid)?;
    let row_index = usize::try_from(n_m / SQUARE_M)
        .map_err(|_| invalid())?
        .checked_add(row_shift(utm.zone))
        .ok_or_else(invalid)?
        % ROW_LETTERS.len();
    let mut text = format!(
        "{:02}{band}{}{}",
        utm.zone,
        char::from(*column),
        char::from(ROW_LETTERS[row_index])
    );
    if precision_digits > 0 {
        let p = usize::from(precision_digits);
        let divisor = 10_i64.pow(5 - u32::from(precision_digits));
        let e = (e_m % SQUARE_M) / divisor;
        let n = (n_m % SQUARE_M) / divisor;
        text.push_str(&format!(" {e:0p$} {n:0p$}"));
    }
    Ok(text)
}

/// The south-west corner (height 0) of the cell an MGRS reference names.
///
/// Accepts upper or lower case, with or without spaces anywhere, a zone with or without a
/// leading zero, and 0 to 10 digits (an even number). Never panics; errors say what is wrong
/// and at which character (1-based) of the input.
pub fn geodetic_from_mgrs(text: &str) -> Result<Geodetic, GeoError> {
    let cell = utm_from_mgrs(text)?;
    geodetic_from_utm(&cell.sw_corner)
}

/// The cell an MGRS reference names, in UTM. See [`geodetic_from_mgrs`] for what is accepted.
pub fn utm_from_mgrs(text: &str) -> Result<MgrsCell, GeoError> {
    let parsed = Parsed::from_text(text)?;
    let cell = parsed.cell()?;
    check_cell_in_band(&parsed, &cell).map_err(|reason| invalid_mgrs(text, reason))?;
    Ok(cell)
}

/// An MGRS string split into its parts, with the position of each letter for messages.
#[derive(Debug, Clone)]
struct Parsed {
    zone: u8,
    band_index: usize,
    band: Located,
    column_index: usize,
    row_index: usize,
    square: (Located, Located),
    easting_digits_m: f64,
    northing_digits_m: f64,
    size_m: f64,
}

/// A character as typed and its 1-based position in the input.
#[derive(Debug, Clone, Copy)]
struct Located {
    pos: usize,
    ch: char,
}

impl Located {
    /// The character in upper case, for matching letters.
    fn upper(self) -> char {
        self.ch.to_ascii_uppercase()
    }
}

/// Reads the parts of an MGRS string in order: zone, band, square letters, digits.
struct Reader<'a> {
    input: &'a str,
    chars: Vec<Located>,
    next: usize,
}

impl<'a> Reader<'a> {
    fn new(input: &'a str) -> Self {
        let chars = input
            .chars()
            .enumerate()
            .filter(|(_, c)| !c.is_whitespace())
            .map(|(i, ch)| Located { pos: i + 1, ch })
            .collect();
        Self {
            input,
            chars,
            next: 0,
        }
    }

    fn error(&self, reason: String) -> GeoError {
        invalid_mgrs(self.input, reason)
    }

    fn peek(&self) -> Option<Located> {
        self.chars.get(self.next).copied()
    }

    /// The next character, or an error saying that `what` is missing.
    fn expect(&mut self, what: &str) -> Result<Located, GeoError> {
        let c = self
            .peek()
            .ok_or_else(|| self.error(format!("missing {what}")))?;
        self.next += 1;
        Ok(c)
    }

    /// The zone number: one or two digits in 1..=60.
    fn zone(&mut self) -> Result<u8, GeoError> {
        let mut zone: u32 = 0;
        let mut digits = 0;
        while let Some(c) = self.peek().filter(|c| c.ch.is_ascii_digit()) {
            digits += 1;
            if digits > 2 {
                return Err(self.error(format!(
                    "zone number has more than 2 digits (position {})",
                    c.pos
                )));
            }
            zone = zone * 10 + c.ch.to_digit(10).unwrap_or(0);
            self.next += 1;
        }
        if digits == 0 {
            return Err(match self.peek() {
                Some(c) if POLAR_BANDS.contains(&ascii_byte(c.upper())) => {
                    polar_error(self.input, c)
                }
                Some(c) => self.error(format!(
                    "expected a zone number at position {}, found {:?}",
                    c.pos, c.ch
                )),
                None => self.error("empty".to_string()),
            });
        }
        match u8::try_from(zone) {
            Ok(z) if (1..=60).contains(&z) => Ok(z),
            _ => Err(self.error(format!("zone {zone} is not in 1..=60"))),
        }
    }

    /// The latitude band letter, as an index into [`BAND_LETTERS`].
    fn band(&mut self, zone: u8) -> Result<(usize, Located), GeoError> {
        let c = self.expect("latitude band letter after the zone")?;
        if POLAR_BANDS.contains(&ascii_byte(c.upper())) {
            return Err(polar_error(self.input, c));
        }
        let index = find(BAND_LETTERS, c.upper()).ok_or_else(|| {
            self.error(format!(
                "{:?} at position {} is not a latitude band letter (C to X without I and O)",
                c.ch, c.pos
            ))
        })?;
        if c.upper() == 'X' && matches!(zone, 32 | 34 | 36) {
            return Err(self.error(format!(
                "grid zone {zone}X does not exist (Svalbard uses 31X, 33X, 35X and 37X)"
            )));
        }
        Ok((index, c))
    }

    /// The 100 km column letter, as an index into the zone's set.
    fn column(&mut self, zone: u8) -> Result<(usize, Located), GeoError> {
        let c = self.expect("100 km square letters after the grid zone")?;
        let set = column_set(zone);
        let index = find(set, c.upper()).ok_or_else(|| {
            self.error(format!(
                "{:?} at position {} is not a 100 km column letter of zone {zone} (one of {})",
                c.ch,
                c.pos,
                String::from_utf8_lossy(set)
            ))
        })?;
        Ok((index, c))
    }

    /// The 100 km row letter, as an index into [`ROW_LETTERS`].
    fn row(&mut self) -> Result<(usize, Located), GeoError> {
        let c = self.expect("100 km row letter after the column letter")?;
        let index = find(ROW_LETTERS, c.upper()).ok_or_else(|| {
            self.error(format!(
                "{:?} at position {} is not a 100 km row letter (A to V without I and O)",
                c.ch, c.pos
            ))
        })?;
        Ok((index, c))
    }

    /// The digits: an even number up to 10, split into easting and northing metres within the
    /// square, and the cell size.
    fn digits(&mut self) -> Result<(f64, f64, f64), GeoError> {
        let rest = &self.chars[self.next.min(self.chars.len())..];
        if let Some(c) = rest.iter().find(|c| !c.ch.is_ascii_digit()) {
            return Err(self.error(format!("{:?} at position {} is not a digit", c.ch, c.pos)));
        }
        let count = rest.len();
        if count % 2 == 1 {
            return Err(self.error(format!(
                "odd number of digits ({count}); easting and northing need as many each"
            )));
        }
        if count > 10 {
            return Err(self.error(format!(
                "{count} digits; at most 10 (5 each, 1 m precision)"
            )));
        }
        let half = count / 2;
        let value = |cs: &[Located]| {
            cs.iter().fold(0.0, |v, c| {
                v * 10.0 + f64::from(c.ch.to_digit(10).unwrap_or(0))
            })
        };
        let size_m = 10f64.powi(5 - half as i32);
        let easting = value(&rest[..half]) * size_m;
        let northing = value(&rest[half..]) * size_m;
        self.next = self.chars.len();
        Ok((easting, northing, size_m))
    }
}

impl Parsed {
    fn from_text(text: &str) -> Result<Self, GeoError> {
        if text.chars().count() > MAX_INPUT_CHARS {
            return Err(invalid_mgrs(
                text,
                format!("longer than {MAX_INPUT_CHARS} characters"),
            ));
        }
        let mut reader = Reader::new(text);
        let zone = reader.zone()?;
        let (band_index, band) = reader.band(zone)?;
        let (column_index, column) = reader.column(zone)?;
        let (row_index, row) = reader.row()?;
        let (easting_digits_m, northing_digits_m, size_m) = reader.digits()?;
        Ok(Self {
            zone,
            band_index,
            band,
            column_index,
            row_index,
            square: (column, row),
            easting_digits_m,
            northing_digits_m,
            size_m,
        })
    }

    fn northern(&self) -> bool {
        self.band_index >= 10
    }

    /// Southern and northern latitude of the band, degrees.
    fn band_limits_deg(&self) -> (f64, f64) {
        let south = UTM_MIN_LAT_DEG + 8.0 * self.band_index as f64;
        let north = if self.band_index == 19 {
            UTM_MAX_LAT_DEG
        } else {
            south + 8.0
        };
        (south, north)
    }

    /// The cell in UTM: the row letter fixes the northing modulo 2000 km, the band picks the
    /// 2000 km cycle nearest the band's centre.
    fn cell(&self) -> Result<MgrsCell, GeoError> {
        let easting_m = (self.column_index as f64 + 1.0) * SQUARE_M as f64 + self.easting_digits_m;
        let row_in_cycle =
            (self.row_index + ROW_LETTERS.len() - row_shift(self.zone)) % ROW_LETTERS.len();
        let northing_in_cycle_m = row_in_cycle as f64 * SQUARE_M as f64 + self.northing_digits_m;
        let (south, north) = self.band_limits_deg();
        let centre = Geodetic::new(
            ((south + north) / 2.0).to_radians(),
            central_meridian_rad(self.zone),
            0.0,
        );
        let centre_northing_m = utm_from_geodetic_in_zone(&centre, self.zone)?.northing_m;
        let cycles = ((centre_northing_m - northing_in_cycle_m) / ROW_CYCLE_M).round();
        Ok(MgrsCell {
            sw_corner: Utm {
                zone: self.zone,
                northern: self.northern(),
                easting_m,
                northing_m: northing_in_cycle_m + cycles * ROW_CYCLE_M,
            },
            size_m: self.size_m,
        })
    }
}

/// Checks that the cell overlaps the latitude band it claims (letters that name a square of
/// another band are an error, as in GeographicLib).
fn check_cell_in_band(parsed: &Parsed, cell: &MgrsCell) -> Result<(), String> {
    let (south_deg, north_deg) = parsed.band_limits_deg();
    let tolerance_rad = 1e-9;
    let mut min_lat = f64::INFINITY;
    let mut max_lat = f64::NEG_INFINITY;
    for (de, dn) in [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)] {
        let corner = Utm {
            easting_m: cell.sw_corner.easting_m + de * cell.size_m,
            northing_m: cell.sw_corner.northing_m + dn * cell.size_m,
            ..cell.sw_corner
        };
        let lat = geodetic_from_utm(&corner)
            .map_err(|e| e.to_string())?
            .lat_rad;
        min_lat = min_lat.min(lat);
        max_lat = max_lat.max(lat);
    }
    let overlaps = max_lat >= south_deg.to_radians() - tolerance_rad
        && min_lat <= north_deg.to_radians() + tolerance_rad;
    if overlaps {
        Ok(())
    } else {
        let (column, row) = parsed.square;
        Err(format!(
            "100 km square {}{} (positions {}-{}) is not in latitude band {} \
             ({south_deg}°..{north_deg}°) of zone {}",
            column.upper(),
            row.upper(),
            column.pos,
            row.pos,
            parsed.band.upper(),
            parsed.zone
        ))
    }
}

fn column_set(zone: u8) -> &'static [u8; 8] {
    COLUMN_LETTERS[usize::from(zone.saturating_sub(1)) % 3]
}

fn row_shift(zone: u8) -> usize {
    if zone.is_multiple_of(2) {
        EVEN_ZONE_ROW_SHIFT
    } else {
        0
    }
}

/// The byte of an ASCII character, or 0 for anything else.
fn ascii_byte(c: char) -> u8 {
    u8::try_from(c).ok().filter(u8::is_ascii).unwrap_or(0)
}

/// Index of `c` in a letter set.
fn find(set: &[u8], c: char) -> Option<usize> {
    let b = ascii_byte(c);
    if b == 0 {
        return None;
    }
    set.iter().position(|&x| x == b)
}

/// The error for a UPS band letter (A, B, Y or Z).
fn polar_error(input: &str, band: Located) -> GeoError {
    GeoError::PolarMgrsUnsupported {
        detail: format!(
            "MGRS {:?}: band {:?} at position {} is a polar band",
            shorten(input),
            band.ch,
            band.pos
        ),
    }
}

fn invalid_mgrs(input: &str, reason: String) -> GeoError {
    GeoError::InvalidMgrs {
        input: shorten(input),
        reason,
    }
}

/// The input for an error message, cut to 40 characters.
fn shorten(input: &str) -> String {
    const KEEP: usize = 40;
    if input.chars().count() > KEEP {
        let mut s: String = input.chars().take(KEEP).collect();
        s.push('…');
        s
    } else {
        input.to_string()
    }
}

#[cfg(test)]
mod tests;
