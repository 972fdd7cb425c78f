//! The ground truth as CSV: where every mover was each simulated second, and whether any
//! sensor's range or camera footprint held it, so that tracking and alerts can be scored.
//! Columns: `time_s` (UNIX seconds of the simulated clock), `id`, `kind`, `lat_deg`, `lon_deg`,
//! `covered` (0 or 1), `armed` (0 or 1).

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use super::world::TruthRow;

pub const TRUTH_HEADER: &str = "time_s,id,kind,lat_deg,lon_deg,covered,armed";

/// The columns of [`TRUTH_HEADER`].
const TRUTH_COLUMNS: [&str; 7] = [
    "time_s", "id", "kind", "lat_deg", "lon_deg", "covered", "armed",
];

/// Writes ground-truth rows to a CSV file (the `csv` crate, which quotes an id when it must).
pub struct TruthWriter {
    out: csv::Writer<Box<dyn Write + Send>>,
}

impl TruthWriter {
    pub fn create(path: &Path) -> io::Result<Self> {
        let file = File::create(path)
            .map_err(|err| io::Error::new(err.kind(), format!("{}: {err}", path.display())))?;
        Self::new(Box::new(file))
    }

    pub fn new(out: Box<dyn Write + Send>) -> io::Result<Self> {
        let mut out = csv::Writer::from_writer(out);
        out.write_record(TRUTH_COLUMNS)?;
        Ok(Self { out })
    }

    pub fn write(&mut self, rows: &[TruthRow]) -> io::Result<()> {
        for row in rows {
            self.out.write_record([
                format!("{:.3}", row.time.as_secs_f64()),
                row.id.to_string(),
                row.kind.label().to_string(),
                format!("{:.7}", row.lat_deg),
                format!("{:.7}", row.lon_deg),
                u8::from(row.covered).to_string(),
                u8::from(row.armed).to_string(),
            ])?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_names_the_columns() {
        assert_eq!(TRUTH_COLUMNS.join(","), TRUTH_HEADER);
    }
}
