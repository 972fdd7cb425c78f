//! Coverage: a grid over the area of when each cell was last seen by a drone's camera
//! footprint or held in a sensor node's range, and from it how long each protected site has
//! gone unobserved. It runs every second in the world thread with tens of drones and hundreds
//! of sensors, so shapes are rasterised with scanlines over their bounding rows (each row's
//! span computed from the edges), never by testing every cell.

use std::sync::Arc;

use vigil_core::time::TimeUs;

/// A cell never observed.
pub const NEVER: f32 = f32::NEG_INFINITY;

/// The grid, in the protection's local plane (metres east and north of its origin).
#[derive(Debug, Clone)]
pub struct CoverageGrid {
    /// South-west corner of cell (0, 0).
    pub sw_corner_en_m: [f64; 2],
    pub cell_m: f64,
    pub cols: usize,
    pub rows: usize,
    /// Times are seconds after this.
    pub epoch: TimeUs,
    /// Row-major from the south-west; seconds after `epoch`, [`NEVER`] if never.
    last_observed_s: Vec<f32>,
}

/// At most this many cells (a 25 km square at 50 m); a larger area gets larger cells.
pub const MAX_CELLS: usize = 250_000;

impl CoverageGrid {
    /// A grid over `[west, south]..[east, north]` (metres in the plane).
    pub fn new(min_en_m: [f64; 2], max_en_m: [f64; 2], cell_m: f64, epoch: TimeUs) -> Self {
        let width = (max_en_m[0] - min_en_m[0]).max(cell_m);
        let height = (max_en_m[1] - min_en_m[1]).max(cell_m);
        let mut cell_m = cell_m;
        while (width / cell_m).ceil() * (height / cell_m).ceil() > MAX_CELLS as f64 {
            cell_m *= 2.0;
        }
        let cols = (width / cell_m).ceil() as usize;
        let rows = (height / cell_m).ceil() as usize;
        Self {
            sw_corner_en_m: min_en_m,
            cell_m,
            cols,
            rows,
            epoch,
            last_observed_s: vec![NEVER; cols * rows],
        }
    }

    pub fn seconds(&self, time: TimeUs) -> f32 {
        (time.as_secs_f64() - self.epoch.as_secs_f64()) as f32
    }

    /// The cell holding a point, if inside the grid.
    pub fn cell_of(&self, p: [f64; 2]) -> Option<usize> {
        let col = ((p[0] - self.sw_corner_en_m[0]) / self.cell_m).floor();
        let row = ((p[1] - self.sw_corner_en_m[1]) / self.cell_m).floor();
        if col < 0.0 || row < 0.0 || col >= self.cols as f64 || row >= self.rows as f64 {
            return None;
        }
        Some(row as usize * self.cols + col as usize)
    }

    pub fn last_observed_s(&self, cell: usize) -> f32 {
        self.last_observed_s.get(cell).copied().unwrap_or(NEVER)
    }

    fn row_centre_y(&self, row: usize) -> f64 {
        self.sw_corner_en_m[1] + (row as f64 + 0.5) * self.cell_m
    }

    /// Rows whose centre lies within `[y0, y1]`.
    fn rows_between(&self, y0: f64, y1: f64) -> std::ops::Range<usize> {
        let first = ((y0 - self.sw_corner_en_m[1]) / self.cell_m - 0.5)
            .ceil()
            .max(0.0);
        let last = ((y1 - self.sw_corner_en_m[1]) / self.cell_m - 0.5).floor();
        if last < first || last < 0.0 {
            return 0..0;
        }
        (first as usize).min(self.rows)..((last as usize) + 1).min(self.rows)
    }

    /// Calls `cell` for each cell whose centre is between `x0` and `x1` on `row`.
    fn span(&self, row: usize, x0: f64, x1: f64, mut cell: impl FnMut(usize)) {
        let first = ((x0 - self.sw_corner_en_m[0]) / self.cell_m - 0.5)
            .ceil()
            .max(0.0);
        let last = ((x1 - self.sw_corner_en_m[0]) / self.cell_m - 0.5).floor();
        if last < first || last < 0.0 {
            return;
        }
        let (first, last) = (
            first as usize,
            (last as usize).min(self.cols.saturating_sub(1)),
        );
        for col in first..=last {
            cell(row * self.cols + col);
        }
    }

    /// Calls `cell` for each cell whose centre is inside the polygon (a ring, closed or not).
    pub fn for_polygon(&self, ring: &[[f64; 2]], mut cell: impl FnMut(usize)) {
        if ring.len() < 3 {
            return;
        }
        let (mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY);
        for p in ring {
            y0 = y0.min(p[1]);
            y1 = y1.max(p[1]);
        }
        let mut crossings: Vec<f64> = Vec::with_capacity(8);
        for row in self.rows_between(y0, y1) {
            let y = self.row_centre_y(row);
            crossings.clear();
            let n = ring.len();
            let mut j = n - 1;
            for i in 0..n {
                let (a, b) = (ring[i], ring[j]);
                if (a[1] > y) != (b[1] > y) {
                    crossings.push(a[0] + (y - a[1]) / (b[1] - a[1]) * (b[0] - a[0]));
                }
                j = i;
            }
            crossings.sort_by(f64::total_cmp);
            for pair in crossings.chunks_exact(2) {
                self.span(row, pair[0], pair[1], &mut cell);
            }
        }
    }

    /// Calls `cell` for each cell whose centre is within `radius_m` of `centre`.
    pub fn for_disc(&self, centre: [f64; 2], radius_m: f64, mut cell: impl FnMut(usize)) {
        for row in self.rows_between(centre[1] - radius_m, centre[1] + radius_m) {
            let dy = self.row_centre_y(row) - centre[1];
            let half = (radius_m * radius_m - dy * dy).max(0.0).sqrt();
            self.span(row, centre[0] - half, centre[0] + half, &mut cell);
        }
    }

    /// Marks a polygon observed at `time`.
    pub fn observe_polygon(&mut self, ring: &[[f64; 2]], time: TimeUs) {
        let t = self.seconds(time);
        let mut cells = Vec::new();
        self.for_polygon(ring, |c| cells.push(c));
        self.mark(&cells, t);
    }

    pub fn observe_disc(&mut self, centre: [f64; 2], radius_m: f64, time: TimeUs) {
        let t = self.seconds(time);
        let mut cells = Vec::new();
        self.for_disc(centre, radius_m, |c| cells.push(c));
        self.mark(&cells, t);
    }

    fn mark(&mut self, cells: &[usize], t: f32) {
        for &c in cells {
            if let Some(slot) = self.last_observed_s.get_mut(c) {
                *slot = slot.max(t);
            }
        }
    }

    /// A copy for readers.
    pub fn view(&self) -> CoverageView {
        CoverageView {
            sw_corner_en_m: self.sw_corner_en_m,
            cell_m: self.cell_m,
            cols: self.cols,
            rows: self.rows,
            epoch: self.epoch,
            last_observed_s: Arc::from(self.last_observed_s.as_slice()),
        }
    }
}

/// The coverage grid as readers see it: compact (4 bytes a cell) and cheap to clone.
/// Cell `(col, row)` is `last_observed_s[row * cols + col]`, row 0 in the south; its centre is
/// [`super::ProtectionView::cell_centre`]; the age at time `now` is
/// `now - epoch - last_observed_s` seconds ([`NEVER`] if never observed).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CoverageView {
    pub sw_corner_en_m: [f64; 2],
    pub cell_m: f64,
    pub cols: usize,
    pub rows: usize,
    pub epoch: TimeUs,
    pub last_observed_s: Arc<[f32]>,
}

impl CoverageView {
    /// Seconds since the cell was observed at `now`; `None` if never (or outside the grid).
    pub fn age_s(&self, col: usize, row: usize, now: TimeUs) -> Option<f64> {
        if col >= self.cols {
            return None;
        }
        let t = *self.last_observed_s.get(row * self.cols + col)?;
        (t != NEVER).then(|| (now.as_secs_f64() - self.epoch.as_secs_f64() - f64::from(t)).max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> CoverageGrid {
        CoverageGrid::new([0.0, 0.0], [1000.0, 1000.0], 50.0, TimeUs(0))
    }

    #[test]
    fn a_square_marks_the_cells_whose_centres_it_holds() {
        let g = grid();
        let mut cells = Vec::new();
        g.for_polygon(
            &[
                [100.0, 100.0],
                [300.0, 100.0],
                [300.0, 200.0],
                [100.0, 200.0],
            ],
            |c| cells.push(c),
        );
        // Centres 125..275 east (4 columns) and 125, 175 north (2 rows).
        assert_eq!(cells.len(), 8);
        // The same by testing every cell's centre.
        let ring = [
            [100.0, 100.0],
            [300.0, 100.0],
            [300.0, 200.0],
            [100.0, 200.0],
        ];
        let brute = (0..g.rows * g.cols)
            .filter(|c| {
                let (col, row) = (c % g.cols, c / g.cols);
                let p = [25.0 + 50.0 * col as f64, 25.0 + 50.0 * row as f64];
                super::super::sites::point_in_ring(&ring, p)
            })
            .count();
        assert_eq!(brute, cells.len());
    }

    #[test]
    fn a_rotated_footprint_matches_a_cell_by_cell_test() {
        let g = grid();
        let ring = [
            [500.0, 120.0],
            [880.0, 500.0],
            [500.0, 880.0],
            [130.0, 480.0],
        ];
        let mut cells = Vec::new();
        g.for_polygon(&ring, |c| cells.push(c));
        let mut brute: Vec<usize> = (0..g.rows * g.cols)
            .filter(|c| {
                let (col, row) = (c % g.cols, c / g.cols);
                let p = [25.0 + 50.0 * col as f64, 25.0 + 50.0 * row as f64];
                super::super::sites::point_in_ring(&ring, p)
            })
            .collect();
        cells.sort_unstable();
        brute.sort_unstable();
        assert_eq!(cells, brute);
        assert!(cells.len() > 100);
    }

    #[test]
    fn a_disc_and_shapes_outside_the_grid_stay_inside_it() {
        let g = grid();
        let mut cells = Vec::new();
        g.for_disc([0.0, 0.0], 120.0, |c| cells.push(c));
        // A quarter disc of radius 120 m holds the centres (25|75, 25|75); (125, 25) is 127 m out.
        assert!(cells.iter().all(|&c| c < g.cols * g.rows));
        assert_eq!(cells.len(), 4);
        let mut outside = 0;
        g.for_polygon(
            &[[-500.0, -500.0], [-100.0, -500.0], [-100.0, -100.0]],
            |_| outside += 1,
        );
        assert_eq!(outside, 0);
    }

    #[test]
    fn observations_keep_the_latest_time_and_age_from_there() {
        let mut g = grid();
        g.observe_disc([500.0, 500.0], 60.0, TimeUs(10_000_000));
        g.observe_disc([500.0, 500.0], 60.0, TimeUs(5_000_000));
        let view = g.view();
        let cell = g.cell_of([510.0, 510.0]).expect("inside");
        let (col, row) = (cell % g.cols, cell / g.cols);
        assert_eq!(view.age_s(col, row, TimeUs(25_000_000)), Some(15.0));
        assert_eq!(view.age_s(0, 0, TimeUs(25_000_000)), None);
    }
}
