//! Where the sensors would detect a target, as far as the caller knows: what makes a track's
//! life follow what is observable (see `delete`). A region is a disc sector (a ground sensor's
//! range and field of view) or a polygon (a camera's footprint on the ground), with how often a
//! target inside has a chance to be detected and the probability that it is.
//!
//! A track is *observable* at a scan when it was detected in it, or when its position lies
//! inside some region by at least [`MARGIN_SIGMA`] times its position standard deviation (along
//! its most uncertain axis): a track at a region's edge, or one so uncertain that it may be
//! anywhere, is not held to a sensor that may not see it. Coverage that is not known
//! ([`Coverage::unknown`], the default) makes no track observable that was not detected, and
//! the deleter then keeps to one coast time for all.

use std::f64::consts::PI;

use nalgebra::Vector2;

use super::error::TrackingError;
use super::measure::{bearing_rad, wrap_angle_rad};
use super::spatial::{Aabb, BoxGrid};
use super::types::GaussianState;

/// A track is inside a region only when it is this many of its standard deviations inside.
pub const MARGIN_SIGMA: f64 = 2.0;

/// The shape of a region, in the tracker's plane (ENU metres).
#[derive(Debug, Clone, PartialEq)]
pub enum Region {
    /// Within `radius_m` of `centre_enu_m`, at bearings within `half_width_rad` of
    /// `bearing_rad` (clockwise from north; π or more: the whole disc).
    Sector {
        /// The sensor's position.
        centre_enu_m: Vector2<f64>,
        /// How far it sees, metres.
        radius_m: f64,
        /// The middle of its field of view, radians clockwise from north.
        bearing_rad: f64,
        /// Half its field of view, radians.
        half_width_rad: f64,
    },
    /// Inside a simple polygon (a camera's footprint): vertices in order, not closed.
    Polygon(Vec<Vector2<f64>>),
}

impl Region {
    /// A whole disc.
    pub fn disc(centre_enu_m: Vector2<f64>, radius_m: f64) -> Self {
        Self::Sector {
            centre_enu_m,
            radius_m,
            bearing_rad: 0.0,
            half_width_rad: PI,
        }
    }

    fn validate(&self) -> Result<(), TrackingError> {
        let finite = |v: &Vector2<f64>| v.x.is_finite() && v.y.is_finite();
        let ok = match self {
            Self::Sector {
                centre_enu_m,
                radius_m,
                bearing_rad,
                half_width_rad,
            } => {
                finite(centre_enu_m)
                    && radius_m.is_finite()
                    && *radius_m > 0.0
                    && bearing_rad.is_finite()
                    && !half_width_rad.is_nan()
                    && *half_width_rad > 0.0
            }
            Self::Polygon(vertices) => vertices.len() >= 3 && vertices.iter().all(finite),
        };
        if ok {
            Ok(())
        } else {
            Err(TrackingError::InvalidConfig(
                "a coverage region needs finite coordinates, a positive radius and field of \
                 view, or at least three vertices",
            ))
        }
    }

    fn bounding_box(&self) -> Aabb {
        match self {
            Self::Sector {
                centre_enu_m,
                radius_m,
                ..
            } => Aabb {
                min: centre_enu_m - Vector2::repeat(*radius_m),
                max: centre_enu_m + Vector2::repeat(*radius_m),
            },
            Self::Polygon(vertices) => {
                let mut boxed = Aabb {
                    min: vertices[0],
                    max: vertices[0],
                };
                for v in vertices {
                    boxed.min = boxed.min.inf(v);
                    boxed.max = boxed.max.sup(v);
                }
                boxed
            }
        }
    }

    /// Whether `p` is inside by at least `margin_m` (false for anything not a number).
    pub fn contains(&self, p: Vector2<f64>, margin_m: f64) -> bool {
        match self {
            Self::Sector {
                centre_enu_m,
                radius_m,
                bearing_rad: middle,
                half_width_rad,
            } => {
                let distance = (p - centre_enu_m).norm();
                let inside = (distance + margin_m).partial_cmp(radius_m);
                if inside.is_none_or(std::cmp::Ordering::is_gt) {
                    return false;
                }
                if *half_width_rad >= PI {
                    return true;
                }
                // Inside the wedge, and `margin_m` from both of its edges.
                let off = wrap_angle_rad(bearing_rad(*centre_enu_m, p) - middle).abs();
                let to_edge = half_width_rad - off;
                to_edge >= 0.0 && distance * to_edge.min(PI / 2.0).sin() >= margin_m
            }
            Self::Polygon(vertices) => {
                inside_ring(vertices, p)
                    && (0..vertices.len()).all(|i| {
                        let (a, b) = (vertices[i], vertices[(i + 1) % vertices.len()]);
                        segment_distance(a, b, p) >= margin_m
                    })
            }
        }
    }
}

/// Even-odd point in polygon.
fn inside_ring(vertices: &[Vector2<f64>], p: Vector2<f64>) -> bool {
    let mut inside = false;
    let mut j = vertices.len() - 1;
    for i in 0..vertices.len() {
        let (a, b) = (vertices[i], vertices[j]);
        if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x {
            inside = !inside;
        }
        j = i;
    }
    inside
}

fn segment_distance(a: Vector2<f64>, b: Vector2<f64>, p: Vector2<f64>) -> f64 {
    let ab = b - a;
    let t = if ab.norm_squared() > 0.0 {
        ((p - a).dot(&ab) / ab.norm_squared()).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (a + ab * t - p).norm()
}

/// One sensor's or camera's coverage.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageRegion {
    /// Where it would detect a target.
    pub region: Region,
    /// Seconds between its chances to detect a target inside (its report period).
    pub period_s: f64,
    /// Probability that it detects a target inside at each chance, in (0, 1].
    pub pd: f64,
}

impl CoverageRegion {
    /// Checks the shape, a positive period and a probability in (0, 1].
    pub fn validate(&self) -> Result<(), TrackingError> {
        self.region.validate()?;
        if !(self.period_s.is_finite() && self.period_s > 0.0 && self.pd > 0.0 && self.pd <= 1.0) {
            return Err(TrackingError::InvalidConfig(
                "a coverage region needs a positive period and a probability in (0, 1]",
            ));
        }
        Ok(())
    }

    /// Detections a target inside is expected to give per second.
    pub fn rate_hz(&self) -> f64 {
        self.pd / self.period_s
    }
}

/// The coverage the tracker is given: unknown, or a set of regions (possibly none: then
/// nothing is observed but what is detected).
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    known: bool,
    regions: Vec<CoverageRegion>,
    grid: BoxGrid,
    near: Vec<u32>,
}

impl Coverage {
    /// Coverage nobody described (the tracker's default).
    pub fn unknown() -> Self {
        Self::default()
    }

    /// Known coverage made of `regions`; an invalid region is refused.
    pub fn new(regions: Vec<CoverageRegion>) -> Result<Self, TrackingError> {
        for region in &regions {
            region.validate()?;
        }
        let boxes: Vec<Aabb> = regions.iter().map(|r| r.region.bounding_box()).collect();
        // Cells about as wide as the median region.
        let mut widths: Vec<f64> = boxes.iter().map(|b| (b.max - b.min).max()).collect();
        let cell_m = if widths.is_empty() {
            f64::NAN
        } else {
            let middle = widths.len() / 2;
            *widths.select_nth_unstable_by(middle, f64::total_cmp).1
        };
        let mut grid = BoxGrid::new(cell_m);
        for (id, boxed) in boxes.into_iter().enumerate() {
            grid.set(id, boxed, true);
        }
        Ok(Self {
            known: true,
            regions,
            grid,
            near: Vec::new(),
        })
    }

    /// Whether the coverage is known.
    pub fn is_known(&self) -> bool {
        self.known
    }

    /// The regions.
    pub fn regions(&self) -> &[CoverageRegion] {
        &self.regions
    }

    /// The largest rate of detections (per second) that a target at `state` would give, of
    /// the regions it is inside by [`MARGIN_SIGMA`] standard deviations; `None` if it is
    /// inside none, or the coverage is unknown.
    pub fn rate_at(&mut self, state: &GaussianState) -> Option<f64> {
        if !self.known || self.regions.is_empty() {
            return None;
        }
        let p = state.pos_enu_m();
        let sigma = super::spatial::largest_eigenvalue(&state.pos_covar_m2())
            .max(0.0)
            .sqrt();
        let margin_m = MARGIN_SIGMA * sigma;
        if !(p.x.is_finite() && p.y.is_finite() && margin_m.is_finite()) {
            return None;
        }
        let point = Aabb { min: p, max: p };
        let mut near = std::mem::take(&mut self.near);
        self.grid.near(Some(&point), &mut near);
        let rate = near
            .iter()
            .map(|&id| &self.regions[id as usize])
            .filter(|r| r.region.contains(p, margin_m))
            .map(CoverageRegion::rate_hz)
            .fold(None, |best: Option<f64>, rate| {
                Some(best.map_or(rate, |b| b.max(rate)))
            });
        self.near = near;
        rate
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{DMatrix, DVector};

    use super::*;

    fn at(x: f64, y: f64, sigma_m: f64) -> GaussianState {
        let mut covar = DMatrix::identity(4, 4);
        covar[(0, 0)] = sigma_m * sigma_m;
        covar[(1, 1)] = sigma_m * sigma_m;
        GaussianState::new(DVector::from_vec(vec![x, y, 0.0, 0.0]), covar, 0.0).expect("state")
    }

    fn region(region: Region, period_s: f64) -> CoverageRegion {
        CoverageRegion {
            region,
            period_s,
            pd: 0.8,
        }
    }

    #[test]
    fn sectors_and_polygons_hold_what_is_well_inside() {
        // A radar at the origin looking east (90°) with a 90° field of view, 500 m.
        let radar = Region::Sector {
            centre_enu_m: Vector2::zeros(),
            radius_m: 500.0,
            bearing_rad: PI / 2.0,
            half_width_rad: PI / 4.0,
        };
        assert!(radar.contains(Vector2::new(300.0, 0.0), 10.0));
        assert!(!radar.contains(Vector2::new(495.0, 0.0), 10.0));
        assert!(!radar.contains(Vector2::new(-300.0, 0.0), 0.0));
        // At 44° off the boresight, 300 m out: 5 m from the edge.
        let near_edge = Vector2::new(300.0 * (PI / 2.0 - 0.768).sin(), 300.0 * (0.768f64).sin());
        assert!(radar.contains(near_edge, 0.0));
        assert!(!radar.contains(near_edge, 20.0));
        let disc = Region::disc(Vector2::new(100.0, 100.0), 50.0);
        assert!(disc.contains(Vector2::new(100.0, 60.0), 5.0));
        assert!(!disc.contains(Vector2::new(100.0, 60.0), 15.0));
        let square = Region::Polygon(vec![
            Vector2::new(0.0, 0.0),
            Vector2::new(100.0, 0.0),
            Vector2::new(100.0, 100.0),
            Vector2::new(0.0, 100.0),
        ]);
        assert!(square.contains(Vector2::new(50.0, 50.0), 40.0));
        assert!(!square.contains(Vector2::new(50.0, 95.0), 10.0));
        assert!(!square.contains(Vector2::new(150.0, 50.0), 0.0));
        assert!(!square.contains(Vector2::new(f64::NAN, 50.0), 0.0));
    }

    #[test]
    fn the_rate_is_the_best_region_a_track_is_surely_inside() {
        let mut coverage = Coverage::new(vec![
            region(Region::disc(Vector2::zeros(), 200.0), 2.0),
            region(Region::disc(Vector2::new(150.0, 0.0), 100.0), 1.0),
        ])
        .expect("valid");
        assert_eq!(coverage.rate_at(&at(0.0, 0.0, 5.0)), Some(0.4));
        assert_eq!(coverage.rate_at(&at(140.0, 0.0, 5.0)), Some(0.8));
        // 2σ (60 m) reaches out of the small disc, not of the large one.
        assert_eq!(coverage.rate_at(&at(60.0, 0.0, 30.0)), Some(0.4));
        assert_eq!(coverage.rate_at(&at(60.0, 0.0, 80.0)), None);
        assert_eq!(coverage.rate_at(&at(1000.0, 0.0, 5.0)), None);
        assert_eq!(Coverage::unknown().rate_at(&at(0.0, 0.0, 5.0)), None);
        assert!(Coverage::new(vec![]).expect("valid").is_known());
        let bad = region(Region::disc(Vector2::zeros(), -1.0), 1.0);
        assert!(Coverage::new(vec![bad]).is_err());
        let no_pd = CoverageRegion {
            pd: 0.0,
            ..region(Region::disc(Vector2::zeros(), 1.0), 1.0)
        };
        assert!(Coverage::new(vec![no_pd]).is_err());
    }
}
