//! The simulator's ground truth as `vigil sim --truth FILE` writes it (a CSV file, header
//! `time_s,id,kind,lat_deg,lon_deg,covered,armed`, one row per mover per simulated second,
//! `time_s` in UNIX seconds of the simulated clock), read here with the `csv` crate rather
//! than through `vigil-sim`, which the record layer must not depend on. Columns are found by
//! their names, so a file with more columns still reads; each error names the file, the line
//! and the column.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use super::ScoreError;

/// The columns the score needs.
pub const TRUTH_COLUMNS: [&str; 7] = [
    "time_s", "id", "kind", "lat_deg", "lon_deg", "covered", "armed",
];

/// Two rows of one mover at most this far apart are consecutive (one simulated second, and
/// some slack for the writer's rounding), µs.
pub const CONSECUTIVE_US: u64 = 1_500_000;

/// Where one mover was at one simulated second.
#[derive(Debug, Clone, PartialEq)]
pub struct TruthRow {
    /// µs since the epoch, on the simulated clock.
    pub time_us: u64,
    pub id: String,
    pub kind: String,
    pub lat_deg: f64,
    pub lon_deg: f64,
    /// Whether a sensor's range or a camera's footprint held it.
    pub covered: bool,
    pub armed: bool,
}

/// The ground truth, by mover, each mover's rows in time order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Truth {
    pub movers: BTreeMap<String, Vec<TruthRow>>,
    /// The first and last rows' times (µs since the epoch).
    pub start_us: u64,
    pub end_us: u64,
}

impl Truth {
    /// Reads a truth file.
    pub fn read(path: &Path) -> Result<Self, ScoreError> {
        let file = std::fs::File::open(path).map_err(|source| ScoreError::TruthIo {
            file: path.to_owned(),
            source,
        })?;
        Self::from_reader(file, path)
    }

    /// Reads truth CSV from `reader`; `file` names it in errors.
    pub fn from_reader(reader: impl Read, file: &Path) -> Result<Self, ScoreError> {
        let bad = |line: u64, column: &str, reason: String| ScoreError::Truth {
            file: file.to_owned(),
            line,
            column: column.to_owned(),
            reason,
        };
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(reader);
        let headers = csv
            .headers()
            .map_err(|err| bad(line_of(&err).unwrap_or(1), "header", err.to_string()))?
            .clone();
        let mut index = [0usize; 7];
        for (slot, name) in index.iter_mut().zip(TRUTH_COLUMNS) {
            *slot = headers.iter().position(|h| h.trim() == name).ok_or_else(|| {
                bad(
                    1,
                    name,
                    format!(
                        "no such column (the header must name {}, as `vigil sim --truth` writes it)",
                        TRUTH_COLUMNS.join(",")
                    ),
                )
            })?;
        }
        let mut rows = Vec::new();
        for record in csv.records() {
            let record =
                record.map_err(|err| bad(line_of(&err).unwrap_or(0), "", err.to_string()))?;
            let line = record.position().map_or(0, |p| p.line());
            let field = |column: usize| record.get(index[column]).unwrap_or_default().trim();
            let number = |column: usize| -> Result<f64, ScoreError> {
                let text = field(column);
                text.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| {
                        bad(
                            line,
                            TRUTH_COLUMNS[column],
                            format!("{text:?} is not a number"),
                        )
                    })
            };
            let flag = |column: usize| -> Result<bool, ScoreError> {
                match field(column) {
                    "1" | "true" => Ok(true),
                    "0" | "false" => Ok(false),
                    text => Err(bad(
                        line,
                        TRUTH_COLUMNS[column],
                        format!("{text:?} is neither 0 nor 1"),
                    )),
                }
            };
            let time_s = number(0)?;
            if time_s < 0.0 {
                return Err(bad(line, "time_s", format!("{time_s} is before 1970")));
            }
            let (lat_deg, lon_deg) = (number(3)?, number(4)?);
            if !(-90.0..=90.0).contains(&lat_deg) {
                return Err(bad(line, "lat_deg", format!("{lat_deg} is not a latitude")));
            }
            if !(-180.0..=180.0).contains(&lon_deg) {
                return Err(bad(
                    line,
                    "lon_deg",
                    format!("{lon_deg} is not a longitude"),
                ));
            }
            let id = field(1);
            if id.is_empty() {
                return Err(bad(line, "id", "is empty".into()));
            }
            rows.push(TruthRow {
                time_us: (time_s * 1e6).round() as u64,
                id: id.to_owned(),
                kind: field(2).to_owned(),
                lat_deg,
                lon_deg,
                covered: flag(5)?,
                armed: flag(6)?,
            });
        }
        Self::from_rows(rows).ok_or_else(|| ScoreError::EmptyTruth {
            file: file.to_owned(),
        })
    }

    /// The truth of some rows, in any order; `None` without rows.
    pub fn from_rows(rows: Vec<TruthRow>) -> Option<Self> {
        let start_us = rows.iter().map(|r| r.time_us).min()?;
        let end_us = rows.iter().map(|r| r.time_us).max()?;
        let mut movers: BTreeMap<String, Vec<TruthRow>> = BTreeMap::new();
        for row in rows {
            movers.entry(row.id.clone()).or_default().push(row);
        }
        for rows in movers.values_mut() {
            rows.sort_by_key(|r| r.time_us);
        }
        Some(Self {
            movers,
            start_us,
            end_us,
        })
    }

    /// Mover `id`'s row nearest `time_us`, if one is within [`CONSECUTIVE_US`].
    pub fn at(&self, id: &str, time_us: u64) -> Option<&TruthRow> {
        nearest(self.movers.get(id)?, time_us)
    }

    /// Every mover's row nearest `time_us` (within [`CONSECUTIVE_US`]).
    pub fn all_at(&self, time_us: u64) -> impl Iterator<Item = &TruthRow> {
        self.movers
            .values()
            .filter_map(move |rows| nearest(rows, time_us))
    }
}

fn nearest(rows: &[TruthRow], time_us: u64) -> Option<&TruthRow> {
    let after = rows.partition_point(|r| r.time_us < time_us);
    let candidates = [after.checked_sub(1), Some(after)];
    candidates
        .into_iter()
        .flatten()
        .filter_map(|i| rows.get(i))
        .min_by_key(|r| r.time_us.abs_diff(time_us))
        .filter(|r| r.time_us.abs_diff(time_us) <= CONSECUTIVE_US)
}

fn line_of(err: &csv::Error) -> Option<u64> {
    err.position().map(csv::Position::line)
}
