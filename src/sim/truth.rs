//! The ground truth as CSV: where every mover was each simulated second, and whether any
//! sensor's range or camera footprint held it, so that tracking and alerts can be scored.
//! Columns: `time_s` (UNIX seconds of the simulated clock), `id`, `kind`, `lat_deg`, `lon_deg`,
//! `covered` (0 or 1), `armed` (0 or 1).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::world::TruthRow;

pub const TRUTH_HEADER: &str = "time_s,id,kind,lat_deg,lon_deg,covered,armed";

/// Writes ground-truth rows to a CSV file.
pub struct TruthWriter {
    out: BufWriter<Box<dyn Write + Send>>,
}

impl TruthWriter {
    pub fn create(path: &Path) -> io::Result<Self> {
        let file = File::create(path)
            .map_err(|err| io::Error::new(err.kind(), format!("{}: {err}", path.display())))?;
        Self::new(Box::new(file))
    }

    pub fn new(out: Box<dyn Write + Send>) -> io::Result<Self> {
        let mut out = BufWriter::new(out);
        writeln!(out, "{TRUTH_HEADER}")?;
        Ok(Self { out })
    }

    pub fn write(&mut self, rows: &[TruthRow]) -> io::Result<()> {
        for row in rows {
            writeln!(
                self.out,
                "{:.3},{},{},{:.7},{:.7},{},{}",
                row.time.as_secs_f64(),
                row.id,
                row.kind.label(),
                row.lat_deg,
                row.lon_deg,
                u8::from(row.covered),
                u8::from(row.armed)
            )?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
