//! Gating that costs almost nothing for pairs far apart: a conservative bound per measurement
//! model, and a uniform grid over the tracks' predicted positions, so that the full gate
//! ([`Observation::gate_distance`]) runs only for the few tracks near each detection instead
//! of for every track × detection pair.
//!
//! # The bound
//! For a symmetric positive definite S and any component i of the residual y,
//! d² = yᵀ S⁻¹ y ≥ y_i² / S_ii (Cauchy–Schwarz), and S_ii = h_iᵀ P h_i + R_ii ≤ λ |h_i|² + R_ii,
//! where h_i is row i of the measurement Jacobian's position block, P the track's position
//! covariance and λ its largest eigenvalue. So a pair the gate admits (d² ≤ γ, the gate's
//! threshold for the measurement's dimension) has y_i² ≤ γ (λ |h_i|² + R_ii) for every i:
//!
//! - position (h = the rows of I): |z_e − x̂_e| ≤ √(γ (λ + R_ee)), the same northwards, and
//!   |z − x̂|² ≤ γ (λ + λ_max(R)) (d² ≥ |y|² / λ_max(S));
//! - range and bearing from a sensor at s (|h_r| = 1, |h_θ| = 1/r̂, r̂ = |x̂ − s|):
//!   |z_r − r̂| ≤ √(γ (λ + σ_r²)), and the bearing error φ has |φ| ≤ √(γ (λ/r̂² + σ_θ²)), so the
//!   distance of x̂ from the line of the measured bearing, r̂ |sin φ|, is at most
//!   √(γ (λ + σ_θ² r̂²)), and x̂ lies ahead of the sensor along that bearing unless the bound on
//!   |φ| reaches π/2;
//! - bearing alone: the same two bearing tests.
//!
//! [`Bound::might_admit`] checks exactly these: a few multiplications and one square root,
//! never a pair the full gate admits (the thresholds carry a relative slack of 1e-9 against
//! rounding). `tests::the_bound_never_rejects_what_the_gate_admits` checks it on random pairs.
//!
//! # The grid
//! With ρ = √(γ_max λ) a track's reach, the same inequalities place the predicted position of
//! any track a detection might be gated with within 2ρ of the detection's core region: the box
//! z ± √(γ R_ii) for a position; for a range and bearing, the annular sector of ranges
//! z_r ± √γ σ_r and bearings z_θ ± √γ σ_θ (x̂ is at most ρ from it radially, and at most ρ
//! across at its own range, r̂ times the extra angle). [`TrackGrid`] keeps each track in the
//! cells of a uniform grid that its box x̂ ± 2ρ touches (keyed by cell, so memory follows the
//! tracks, not the area); a detection looks up the cells its core region's bounding box
//! touches. Tracks whose boxes span too many cells are kept apart and checked against every
//! detection, and so is every track for a detection without a bounded region (a bearing).
//! The cell size follows the tracks' boxes (their median width), so that a track touches about
//! four cells. The grid is rebuilt once a scan, after prediction, and a track updated or
//! started during the scan moves in it at once, so later sources see its new state.

use std::collections::HashMap;
use std::f64::consts::{FRAC_PI_2, PI};
use std::hash::{BuildHasherDefault, Hasher};

use nalgebra::{Matrix2, Vector2};

use super::gate::ChiSquareGate;
use super::measure::{MeasurementModel, Observation};
use super::types::PositionBelief;

/// Relative slack on the thresholds, against rounding in the full gate and in the bound.
const SLACK: f64 = 1e-9;
/// Cells per axis a track's box may span before the track is kept apart.
const MAX_TRACK_CELLS_PER_AXIS: i64 = 8;
/// Cells a detection's box may span before every track is checked instead.
const MAX_QUERY_CELLS: i64 = 4096;
/// Bounds of the cell size, metres.
const MIN_CELL_M: f64 = 10.0;
const MAX_CELL_M: f64 = 20_000.0;
/// Cell size before there is any track, metres.
const DEFAULT_CELL_M: f64 = 100.0;
/// Cell coordinates beyond this are not kept in cells (far beyond any plane a caller uses).
const MAX_CELL_INDEX: f64 = 1e9;

/// The largest eigenvalue of a symmetric 2x2 matrix (NaN if it has one).
pub fn largest_eigenvalue(m: &Matrix2<f64>) -> f64 {
    let half_trace = 0.5 * (m[(0, 0)] + m[(1, 1)]);
    let half_diff = 0.5 * (m[(0, 0)] - m[(1, 1)]);
    let off = 0.5 * (m[(0, 1)] + m[(1, 0)]);
    half_trace + half_diff.hypot(off)
}

/// An axis-aligned box in the plane, metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aabb {
    /// South-west corner.
    pub min: Vector2<f64>,
    /// North-east corner.
    pub max: Vector2<f64>,
}

impl Aabb {
    fn around(centre: Vector2<f64>, half_e: f64, half_n: f64) -> Self {
        Self {
            min: centre - Vector2::new(half_e, half_n),
            max: centre + Vector2::new(half_e, half_n),
        }
    }

    fn grow_to(&mut self, p: Vector2<f64>) {
        self.min = self.min.inf(&p);
        self.max = self.max.sup(&p);
    }

    /// Whether the boxes overlap (true if either has a NaN: the caller then checks the pair).
    pub fn overlaps(&self, other: &Self) -> bool {
        !(self.max.x < other.min.x
            || other.max.x < self.min.x
            || self.max.y < other.min.y
            || other.max.y < self.min.y)
    }
}

/// A track as the bound sees it: its predicted position and the largest eigenvalue of its
/// position covariance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reach {
    /// Predicted position, ENU metres.
    pub pos_enu_m: Vector2<f64>,
    /// λ, the largest eigenvalue of the position covariance, m².
    pub lambda_m2: f64,
}

impl Reach {
    /// The reach of a track believed at `belief`.
    pub fn of(belief: &PositionBelief) -> Self {
        Self {
            pos_enu_m: belief.pos_enu_m,
            lambda_m2: largest_eigenvalue(&belief.pos_covar_m2).max(0.0),
        }
    }

    /// The box x̂ ± 2ρ, ρ = √(γ λ): where any detection gated with this track has its core
    /// region (see the module documentation), for the largest threshold `threshold`.
    pub fn bounding_box(&self, threshold: f64) -> Aabb {
        let half = 2.0 * (threshold * (1.0 + SLACK) * self.lambda_m2).sqrt();
        Aabb::around(self.pos_enu_m, half, half)
    }
}

/// A detection as the bound sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    /// The gate's threshold for this measurement's dimension, with the slack.
    threshold: f64,
    kind: BoundKind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum BoundKind {
    Position {
        z: Vector2<f64>,
        var: Vector2<f64>,
        var_max: f64,
    },
    RangeBearing {
        sensor: Vector2<f64>,
        range_m: f64,
        /// Unit vector of the measured bearing (east, north).
        direction: Vector2<f64>,
        bearing_rad: f64,
        var_range: f64,
        var_bearing: f64,
    },
    Bearing {
        sensor: Vector2<f64>,
        direction: Vector2<f64>,
        var_bearing: f64,
    },
    /// An observation of the wrong shape: every pair goes to the full gate (which refuses it).
    Any,
}

impl Bound {
    /// The bound of an observation for `gate`.
    pub fn new(observation: &Observation, gate: &ChiSquareGate) -> Self {
        let m = observation.model.dim();
        let threshold = gate.threshold(m) * (1.0 + SLACK);
        if observation.check_dims().is_err() {
            return Self {
                threshold,
                kind: BoundKind::Any,
            };
        }
        let (z, r) = (&observation.z, &observation.noise_covar);
        let direction = |bearing: f64| Vector2::new(bearing.sin(), bearing.cos());
        let kind = match observation.model {
            MeasurementModel::Position => BoundKind::Position {
                z: Vector2::new(z[0], z[1]),
                var: Vector2::new(r[(0, 0)], r[(1, 1)]),
                var_max: largest_eigenvalue(&Matrix2::new(
                    r[(0, 0)],
                    r[(0, 1)],
                    r[(1, 0)],
                    r[(1, 1)],
                )),
            },
            MeasurementModel::RangeBearing { sensor_pos_enu_m } => BoundKind::RangeBearing {
                sensor: sensor_pos_enu_m,
                range_m: z[0],
                direction: direction(z[1]),
                bearing_rad: z[1],
                var_range: r[(0, 0)],
                var_bearing: r[(1, 1)],
            },
            MeasurementModel::Bearing { sensor_pos_enu_m } => BoundKind::Bearing {
                sensor: sensor_pos_enu_m,
                direction: direction(z[0]),
                var_bearing: r[(0, 0)],
            },
        };
        Self { threshold, kind }
    }

    /// False only when the full gate surely refuses the pair (see the module documentation);
    /// true for anything not a number, which the full gate then judges.
    pub fn might_admit(&self, reach: &Reach) -> bool {
        let (g, lambda) = (self.threshold, reach.lambda_m2);
        match self.kind {
            BoundKind::Position { z, var, var_max } => {
                let y = z - reach.pos_enu_m;
                !(y.x * y.x > g * (lambda + var.x)
                    || y.y * y.y > g * (lambda + var.y)
                    || y.norm_squared() > g * (lambda + var_max))
            }
            BoundKind::RangeBearing {
                sensor,
                range_m,
                direction,
                var_range,
                var_bearing,
                ..
            } => {
                let d = reach.pos_enu_m - sensor;
                let r2 = d.norm_squared();
                let range_error = range_m - r2.sqrt();
                not_above(range_error * range_error, g * (lambda + var_range))
                    && bearing_might_admit(g, lambda, d, r2, direction, var_bearing)
            }
            BoundKind::Bearing {
                sensor,
                direction,
                var_bearing,
            } => {
                let d = reach.pos_enu_m - sensor;
                bearing_might_admit(g, lambda, d, d.norm_squared(), direction, var_bearing)
            }
            BoundKind::Any => true,
        }
    }

    /// The bounding box of the detection's core region, or `None` if it is unbounded (a
    /// bearing) or not a number: a track it might be gated with has its
    /// [`Reach::bounding_box`] overlapping this.
    pub fn core_box(&self) -> Option<Aabb> {
        let k = self.threshold.sqrt();
        let boxed = match self.kind {
            BoundKind::Position { z, var, .. } => {
                Aabb::around(z, k * var.x.max(0.0).sqrt(), k * var.y.max(0.0).sqrt())
            }
            BoundKind::RangeBearing {
                sensor,
                range_m,
                bearing_rad,
                var_range,
                var_bearing,
                ..
            } => sector_box(
                sensor,
                (range_m - k * var_range.max(0.0).sqrt()).max(0.0),
                range_m + k * var_range.max(0.0).sqrt(),
                bearing_rad,
                k * var_bearing.max(0.0).sqrt(),
            ),
            BoundKind::Bearing { .. } | BoundKind::Any => return None,
        };
        let finite = boxed
            .min
            .iter()
            .chain(boxed.max.iter())
            .all(|v| v.is_finite());
        finite.then_some(boxed)
    }
}

/// `x ≤ y`, or either is not a number (the bound then leaves the pair to the full gate).
fn not_above(x: f64, y: f64) -> bool {
    x.partial_cmp(&y) != Some(std::cmp::Ordering::Greater)
}

/// The bearing tests: the distance from the measured bearing's line, and the side.
fn bearing_might_admit(
    g: f64,
    lambda: f64,
    d: Vector2<f64>,
    r2: f64,
    direction: Vector2<f64>,
    var_bearing: f64,
) -> bool {
    let across = direction.x * d.y - direction.y * d.x;
    let along = direction.dot(&d);
    if across * across > g * (lambda + var_bearing * r2) {
        return false;
    }
    // Behind the sensor: |φ| > π/2, which the gate admits only if its bound reaches π/2.
    !(along < 0.0 && g * (lambda / r2 + var_bearing) < FRAC_PI_2 * FRAC_PI_2)
}

/// The bounding box of the annular sector of ranges `r_lo..=r_hi` and bearings within
/// `half_rad` of `bearing_rad` around `centre`.
fn sector_box(centre: Vector2<f64>, r_lo: f64, r_hi: f64, bearing_rad: f64, half_rad: f64) -> Aabb {
    if half_rad >= PI || half_rad.is_nan() {
        return Aabb::around(centre, r_hi, r_hi);
    }
    let at = |r: f64, bearing: f64| centre + Vector2::new(bearing.sin(), bearing.cos()) * r;
    let mut boxed = Aabb::around(at(r_lo, bearing_rad - half_rad), 0.0, 0.0);
    for p in [
        at(r_hi, bearing_rad - half_rad),
        at(r_lo, bearing_rad + half_rad),
        at(r_hi, bearing_rad + half_rad),
    ] {
        boxed.grow_to(p);
    }
    // The arc's extremes where it crosses north, east, south or west.
    for quarter in 0..4 {
        let axis = f64::from(quarter) * FRAC_PI_2;
        let off = super::measure::wrap_angle_rad(axis - bearing_rad);
        if off.abs() <= half_rad {
            boxed.grow_to(at(r_hi, axis));
        }
    }
    boxed
}

/// Where a box sits in the grid.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Span {
    /// In cells `x0..=x1` × `y0..=y1`.
    Cells { x0: i32, y0: i32, x1: i32, y1: i32 },
    /// Too large, or too far out: checked against every query.
    Wide,
    /// A position that is not a number: never gated (the full gate refuses it).
    Nowhere,
}

/// A multiplicative hash of a cell key (one 64-bit word): a few cycles, where the standard
/// library's SipHash, built against hostile keys, costs tens. Lookups only: no map here is
/// ever iterated, so the order of its buckets never matters.
#[derive(Debug, Default, Clone, Copy)]
pub struct CellHasher(u64);

impl Hasher for CellHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, key: u64) {
        self.0 = (self.0.rotate_left(5) ^ key).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

type Cells = HashMap<u64, Vec<u32>, BuildHasherDefault<CellHasher>>;

fn key(x: i32, y: i32) -> u64 {
    (u64::from(x as u32) << 32) | u64::from(y as u32)
}

/// A uniform grid of boxes keyed by cell, each box an identity (a track's index, a coverage
/// region's): insert, move, remove, and look up the identities near a box.
#[derive(Debug, Clone)]
pub struct BoxGrid {
    cell_m: f64,
    cells: Cells,
    spans: Vec<Span>,
    boxes: Vec<Aabb>,
    wide: Vec<u32>,
    /// Per identity, the last query that returned it (for returning each once).
    seen: Vec<u32>,
    query: u32,
}

impl Default for BoxGrid {
    fn default() -> Self {
        Self::new(DEFAULT_CELL_M)
    }
}

impl BoxGrid {
    /// An empty grid of cells `cell_m` wide (clamped to 10 m..=20 km).
    pub fn new(cell_m: f64) -> Self {
        let mut grid = Self {
            cell_m: DEFAULT_CELL_M,
            cells: Cells::default(),
            spans: Vec::new(),
            boxes: Vec::new(),
            wide: Vec::new(),
            seen: Vec::new(),
            query: 0,
        };
        grid.clear(cell_m);
        grid
    }

    /// Empties the grid and sets its cell size (clamped to 10 m..=20 km; the default for NaN).
    pub fn clear(&mut self, cell_m: f64) {
        self.cell_m = if cell_m.is_nan() {
            DEFAULT_CELL_M
        } else {
            cell_m.clamp(MIN_CELL_M, MAX_CELL_M)
        };
        // The cells used last time keep their memory (a grid rebuilt every scan with much
        // the same cells would otherwise allocate each again); the others go, so that the
        // map holds no more than two scans' worth.
        self.cells.retain(|_, ids| {
            let used = !ids.is_empty();
            ids.clear();
            used
        });
        self.spans.clear();
        self.boxes.clear();
        self.wide.clear();
        self.seen.clear();
        self.query = 0;
    }

    /// Identities held (the highest plus one).
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the grid holds nothing.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The cells `(x0, y0, x1, y1)` a box touches, `None` if it is not a number or far out.
    fn cell_range(&self, boxed: &Aabb) -> Option<(i32, i32, i32, i32)> {
        let scaled = [boxed.min / self.cell_m, boxed.max / self.cell_m];
        let near = scaled
            .iter()
            .flat_map(|v| v.iter())
            .all(|v| v.abs() < MAX_CELL_INDEX);
        // |v| < 1e9 fits an i32 (and NaN is not near).
        near.then(|| {
            let cell = |v: f64| v.floor() as i32;
            (
                cell(scaled[0].x),
                cell(scaled[0].y),
                cell(scaled[1].x),
                cell(scaled[1].y),
            )
        })
    }

    fn span_of(&self, boxed: &Aabb, finite_centre: bool) -> Span {
        if !finite_centre {
            return Span::Nowhere;
        }
        match self.cell_range(boxed) {
            Some((x0, y0, x1, y1))
                if i64::from(x1) - i64::from(x0) < MAX_TRACK_CELLS_PER_AXIS
                    && i64::from(y1) - i64::from(y0) < MAX_TRACK_CELLS_PER_AXIS =>
            {
                Span::Cells { x0, y0, x1, y1 }
            }
            _ => Span::Wide,
        }
    }

    /// Puts identity `id` (at most one more than the highest yet) at `boxed`, moving it if it
    /// is already in; `finite_centre` false keeps it out of every query.
    pub fn set(&mut self, id: usize, boxed: Aabb, finite_centre: bool) {
        let span = self.span_of(&boxed, finite_centre);
        if id >= self.spans.len() {
            self.spans.resize(id + 1, Span::Nowhere);
            self.boxes.resize(id + 1, boxed);
            self.seen.resize(id + 1, 0);
        }
        self.boxes[id] = boxed;
        let old = self.spans[id];
        if old == span {
            return;
        }
        self.unlink(id as u32, old);
        self.spans[id] = span;
        match span {
            Span::Cells { x0, y0, x1, y1 } => {
                for y in y0..=y1 {
                    for x in x0..=x1 {
                        self.cells.entry(key(x, y)).or_default().push(id as u32);
                    }
                }
            }
            Span::Wide => self.wide.push(id as u32),
            Span::Nowhere => {}
        }
    }

    fn unlink(&mut self, id: u32, span: Span) {
        match span {
            Span::Cells { x0, y0, x1, y1 } => {
                for y in y0..=y1 {
                    for x in x0..=x1 {
                        if let Some(ids) = self.cells.get_mut(&key(x, y))
                            && let Some(at) = ids.iter().position(|&i| i == id)
                        {
                            ids.swap_remove(at);
                        }
                    }
                }
            }
            Span::Wide => {
                if let Some(at) = self.wide.iter().position(|&i| i == id) {
                    self.wide.swap_remove(at);
                }
            }
            Span::Nowhere => {}
        }
    }

    /// The identities whose boxes overlap `query` (every identity if `query` is `None` or
    /// spans too many cells), ascending, into `out` (cleared first).
    pub fn near(&mut self, query: Option<&Aabb>, out: &mut Vec<u32>) {
        out.clear();
        let cells = query
            .and_then(|q| self.cell_range(q))
            .filter(|&(x0, y0, x1, y1)| {
                let width = i64::from(x1) - i64::from(x0) + 1;
                let height = i64::from(y1) - i64::from(y0) + 1;
                width * height <= MAX_QUERY_CELLS
            });
        if let Some((x0, y0, x1, y1)) = cells {
            self.query = self.query.wrapping_add(1);
            if self.query == 0 {
                self.seen.fill(0);
                self.query = 1;
            }
            for y in y0..=y1 {
                for x in x0..=x1 {
                    let Some(ids) = self.cells.get(&key(x, y)) else {
                        continue;
                    };
                    for &id in ids {
                        if self.seen[id as usize] != self.query {
                            self.seen[id as usize] = self.query;
                            out.push(id);
                        }
                    }
                }
            }
            out.extend(self.wide.iter().copied());
        } else {
            // No box, a box far out or one too large for the cells: everything.
            let spans = &self.spans;
            out.extend((0..spans.len() as u32).filter(|&i| spans[i as usize] != Span::Nowhere));
        }
        if let Some(q) = query {
            out.retain(|&id| self.boxes[id as usize].overlaps(q));
        }
        out.sort_unstable();
    }
}

/// The tracks in a [`BoxGrid`] by their [`Reach::bounding_box`], with their reaches.
#[derive(Debug, Clone, Default)]
pub struct TrackGrid {
    grid: BoxGrid,
    reaches: Vec<Reach>,
    threshold: f64,
    widths: Vec<f64>,
}

impl TrackGrid {
    /// Puts every track of `states` in a new grid, for a gate whose largest threshold is
    /// `threshold`; the cell size is the median width of their boxes.
    pub fn rebuild(&mut self, beliefs: impl Iterator<Item = PositionBelief>, threshold: f64) {
        self.threshold = threshold;
        self.reaches.clear();
        self.reaches
            .extend(beliefs.map(|belief| Reach::of(&belief)));
        self.widths.clear();
        self.widths.extend(
            self.reaches
                .iter()
                .map(|r| 4.0 * (threshold * r.lambda_m2).sqrt())
                .filter(|w| w.is_finite()),
        );
        let cell_m = if self.widths.is_empty() {
            DEFAULT_CELL_M
        } else {
            let middle = self.widths.len() / 2;
            // Rounded to a power of √2, so that from one scan to the next the cells are
            // mostly the same ones (and keep their memory: `BoxGrid::clear`).
            let median = *self.widths.select_nth_unstable_by(middle, f64::total_cmp).1;
            2f64.powf((2.0 * median.log2()).round() / 2.0)
        };
        self.grid.clear(cell_m);
        for (id, reach) in self.reaches.iter().enumerate() {
            let finite = reach.pos_enu_m.iter().all(|v| v.is_finite());
            self.grid.set(id, reach.bounding_box(threshold), finite);
        }
    }

    /// Moves track `id` to where it is now believed, or adds it (at most one past the last).
    pub fn set(&mut self, id: usize, belief: &PositionBelief) {
        let reach = Reach::of(belief);
        if id >= self.reaches.len() {
            self.reaches.resize(id + 1, reach);
        }
        self.reaches[id] = reach;
        let finite = reach.pos_enu_m.iter().all(|v| v.is_finite());
        self.grid
            .set(id, reach.bounding_box(self.threshold), finite);
    }

    /// The tracks the full gate might admit with the detection of `bound`, ascending, into
    /// `out`: those near its core region that pass [`Bound::might_admit`].
    pub fn candidates(&mut self, bound: &Bound, out: &mut Vec<u32>) {
        self.grid.near(bound.core_box().as_ref(), out);
        out.retain(|&id| bound.might_admit(&self.reaches[id as usize]));
    }
}

#[cfg(test)]
mod tests;
