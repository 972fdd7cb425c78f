//! The patrol planner (issue #18 item 2): drones that close the gaps the ground sensors leave.
//!
//! What is watched is the **approaches** to each protected place: points along the edge of
//! its buffer, one camera swath apart, and along the **ways in** (the roads, tracks and paths
//! that lead into the buffer, out to [`WAY_IN_M`] beyond its edge), minus those a ground
//! sensor already covers (its disc, or its sector for a node with a boresight; see
//! `patrol/approaches.rs`). Each point carries its place's **risk weight** ([`risk_weight`]:
//! the kind of place, sensitive, its population, night; [`THREAT_WEIGHT`] times more while an
//! alert about movers is up there). The planner gives each drone one closed loop over a share
//! of the points and measures the plan by the worst **weighted revisit interval**: a loop's
//! flying time round (its length over the drone's cruise speed) times the highest weight on
//! it — what the planner minimises:
//!
//! 1. the points are ordered along a Hilbert curve over their area and cut into one
//!    contiguous run per drone with equal weights (compact areas); each goes to the drone
//!    whose home is nearest its centre (greedily, nearest pairs first);
//! 2. each loop is a nearest-neighbour tour improved by 2-opt until no exchange shortens it;
//! 3. the cuts between neighbouring runs move, a point at a time, from the worst loop to its
//!    neighbours on the curve while that lowers the worst weighted revisit interval (and
//!    always, off a loop too long for its drone's battery);
//! 4. whole places (and areas: a village with its school, market and boreholes) move from
//!    the worst loop to another drone's, among those based nearest them, or are exchanged for
//!    one of its places, the change that lowers the worst weighted revisit interval most,
//!    while one does (`patrol/moves.rs`: a place the curve gave to a far drone's share);
//! 5. a loop whose heaviest points are a small part of it passes them several times a round,
//!    the rest in stretches between, where that lowers its worst weighted revisit
//!    (`patrol/interleave.rs`: the drone left alone while its partner follows movers at the
//!    camp).
//!
//! Each loop must fit the drone's endurance once (out from home, round, back home, with the
//! rules' reserve): the balance moves points off a loop that does not fit first; a loop that
//! still does not fit keeps its most important points (by weight, then nearest home) and the
//! rest are reported unpatrolled; a drone that reaches none is reported, not planned. The
//! same input gives the same plan. A plan becomes one AUTO mission per drone ([`PatrolLoop::mission`]):
//! take off, the loop, DO_JUMP back to its first point for ever, so that the drone keeps
//! patrolling through a lost link, and the firmware's own failsafes bring it home.
//!
//! Geometry is in a local plane (metres east and north) about the first site's centre;
//! written here rather than with a routing crate because the loops are small (a few hundred
//! points each) and the weighting is ours.

use super::LatLon;
use super::predict::Way;
use super::sites::{Site, SiteCategory, SiteId, latlon_of};
use vigil_core::geodesy::{Geodetic, LocalFrame};
use vigil_mission::{GeoPoint, Mission, MissionItem};

/// MAV_FRAME_GLOBAL_RELATIVE_ALT.
const FRAME_RELATIVE: u8 = 3;
const NAV_WAYPOINT: u16 = 16;
const NAV_TAKEOFF: u16 = 22;
const DO_JUMP: u16 = 177;
const DO_CHANGE_SPEED: u16 = 178;
/// Approach points are at least this far apart, m.
const MIN_SPACING_M: f64 = 50.0;
/// The cuts between arcs move at most this many times.
const MAX_BALANCE_STEPS: usize = 400;
/// Drones whose homes are this close share a base: their points are cut between them.
const BASE_RADIUS_M: f64 = 2000.0;
/// How far beyond a buffer's edge the ways into it are watched, m. A loop round the edge sees
/// someone crossing it only while he is within a camera's swath of it (a minute or so at a
/// walk), however often it comes round; someone coming along a road or a track, as most do,
/// is on its last 600 m for 6 to 10 minutes, so that a loop taking in that stretch sees him
/// there, before he enters: the avenues of approach an analyst marks on the map.
pub const WAY_IN_M: f64 = 600.0;
/// How much more a place weighs while an alert about movers is up there: whoever comes by
/// one way in may have others coming by the rest (a pincer, or the group's stragglers), so
/// that the drones left patrolling keep to its approaches before any quiet place's.
pub const THREAT_WEIGHT: f64 = 3.0;

/// A ground sensor's coverage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SensorCover {
    pub at: LatLon,
    pub radius_m: f64,
    /// Facing and field of view, for a sector; `None`: a disc.
    pub sector_rad: Option<(f64, f64)>,
}

/// A drone that can patrol.
#[derive(Debug, Clone, PartialEq)]
pub struct PatrolDrone {
    pub sysid: u8,
    pub home: LatLon,
    pub speed_mps: f64,
    /// Flight time left on its battery above the reserve, s.
    pub endurance_s: f64,
    /// The width of ground its camera sees at the patrol height, m.
    pub swath_m: f64,
}

/// What the planner plans from.
#[derive(Debug, Clone, PartialEq)]
pub struct PatrolInput {
    pub sites: Vec<Site>,
    pub sensors: Vec<SensorCover>,
    pub drones: Vec<PatrolDrone>,
    /// The area's roads, tracks and paths: their stretches leading into a buffer are watched.
    pub ways: Vec<Way>,
    pub alt_rel_m: f64,
    /// Night weights (villages and camps weigh more: people are asleep in them).
    pub night: bool,
    /// The places an alert about movers is up at: they weigh [`THREAT_WEIGHT`] times more.
    pub threatened: Vec<SiteId>,
}

/// One drone's loop.
#[derive(Debug, Clone, PartialEq)]
pub struct PatrolLoop {
    pub sysid: u8,
    pub waypoints: Vec<LatLon>,
    pub alt_rel_m: f64,
    pub length_m: f64,
    /// The speed the period is counted at, m/s: the mission sets it (DO_CHANGE_SPEED), so
    /// that the vehicle's own default (ArduCopter's WPNAV_SPEED) does not stretch the round.
    pub speed_mps: f64,
    /// Time round the loop, s.
    pub period_s: f64,
    /// The highest risk weight on it.
    pub weight: f64,
    /// The worst weight × revisit interval over its points, s: `period_s × weight`, unless
    /// the loop comes back to its heaviest points between stretches of the rest
    /// (`patrol/interleave.rs`: its waypoints hold them more than once).
    pub weighted_s: f64,
}

/// How often a site's approaches are seen.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteRevisit {
    pub site: String,
    pub weight: f64,
    /// The longest interval between two passes over any of its approach points, s; `None`
    /// when sensors cover all of them.
    pub revisit_s: Option<f64>,
    /// Approach points, and how many of them ground sensors cover.
    pub points: usize,
    pub sensor_covered: usize,
}

/// The plan.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PatrolPlan {
    pub loops: Vec<PatrolLoop>,
    pub sites: Vec<SiteRevisit>,
    /// Drones left out, and why.
    pub left_out: Vec<(u8, String)>,
    /// Approach points no drone's battery reaches (the least weighted are dropped first).
    pub unpatrolled_points: usize,
    /// The worst weighted revisit interval (period × weight), s.
    pub worst_weighted_s: f64,
}

/// Why no plan.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PatrolError {
    #[error("no protected site to patrol")]
    NoSites,
    #[error("no drone to patrol with")]
    NoDrones,
    #[error("drone {0}: {1}")]
    BadDrone(u8, String),
}

/// A place's risk weight: 3 for a camp, 2.5 for a clinic, 2 for a village, 1.5 for a school
/// or a market, 1 for a water point or anything else; half again for a sensitive place; at
/// night half again for a village or camp.
pub fn risk_weight(site: &Site, night: bool) -> f64 {
    let base = match site.category {
        SiteCategory::Camp => 3.0,
        SiteCategory::Clinic => 2.5,
        SiteCategory::Village => 2.0,
        SiteCategory::School | SiteCategory::Market => 1.5,
        SiteCategory::WaterPoint | SiteCategory::Other => 1.0,
    };
    let sensitive = if site.sensitive { 1.5 } else { 1.0 };
    let dark = if night && site.category.is_lived_in() {
        1.5
    } else {
        1.0
    };
    base * sensitive * dark
}

#[derive(Debug, Clone, Copy)]
struct Point {
    at: [f64; 2],
    site: usize,
    weight: f64,
}

fn dist(a: [f64; 2], b: [f64; 2]) -> f64 {
    // Not `hypot`: its care for overflow took nearly nine tenths of the planner's time (the
    // demo's plan, places not moved: 0.60 s with it, 0.07 s without), and the loops are
    // kilometres across.
    let (dx, dy) = (a[0] - b[0], a[1] - b[1]);
    (dx * dx + dy * dy).sqrt()
}

/// A closed tour's length.
fn tour_length(points: &[[f64; 2]]) -> f64 {
    if points.len() < 2 {
        return 0.0;
    }
    points.windows(2).map(|p| dist(p[0], p[1])).sum::<f64>()
        + dist(points[points.len() - 1], points[0])
}

/// A short closed tour: nearest neighbour from the point nearest `start`, then 2-opt.
fn tour(points: &[[f64; 2]], start: [f64; 2]) -> Vec<[f64; 2]> {
    let mut left: Vec<[f64; 2]> = points.to_vec();
    let mut out = Vec::with_capacity(left.len());
    let mut at = start;
    while !left.is_empty() {
        let (i, _) = left
            .iter()
            .enumerate()
            .map(|(i, p)| (i, dist(*p, at)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, 0.0));
        at = left.swap_remove(i);
        out.push(at);
    }
    let n = out.len();
    let mut improved = n > 3;
    while improved {
        improved = false;
        for i in 0..n - 1 {
            let mut ab = dist(out[i], out[i + 1]);
            for j in i + 2..n {
                if (j + 1) % n == i {
                    continue;
                }
                let (a, b) = (out[i], out[i + 1]);
                let (c, d) = (out[j], out[(j + 1) % n]);
                if dist(a, c) + dist(b, d) + 1e-9 < ab + dist(c, d) {
                    out[i + 1..=j].reverse();
                    ab = dist(out[i], out[i + 1]);
                    improved = true;
                }
            }
        }
    }
    out
}

struct Arc {
    /// Into the bearing-sorted points: `from..to`.
    from: usize,
    to: usize,
    drone: usize,
    tour: Vec<[f64; 2]>,
    weight: f64,
    period_s: f64,
    /// Round once with the way out and back fits the drone's endurance.
    fits: bool,
}

impl Arc {
    /// What the balance lowers: the weighted revisit interval, far above any when the loop
    /// does not fit the drone's battery (so that points move off it until it does).
    fn weighted_s(&self) -> f64 {
        let weighted = self.period_s * self.weight;
        if self.fits { weighted } else { 1e9 + weighted }
    }
}

fn build(arc: &mut Arc, points: &[Point], drones: &[(PatrolDrone, [f64; 2])]) {
    let slice = &points[arc.from..arc.to];
    let (drone, home) = &drones[arc.drone];
    let at: Vec<[f64; 2]> = slice.iter().map(|p| p.at).collect();
    arc.tour = tour(&at, *home);
    arc.weight = slice.iter().map(|p| p.weight).fold(0.0, f64::max);
    arc.period_s = tour_length(&arc.tour) / drone.speed_mps;
    let first = arc.tour.first().copied().unwrap_or(*home);
    arc.fits = arc.period_s + 2.0 * dist(*home, first) / drone.speed_mps <= drone.endurance_s;
}

fn worst(arcs: &[Arc]) -> f64 {
    arcs.iter().map(Arc::weighted_s).fold(0.0, f64::max)
}

/// Plans the patrols.
pub fn plan(input: &PatrolInput) -> Result<PatrolPlan, PatrolError> {
    plan_with(
        input,
        PlanSteps {
            follow_bases: true,
            balance: true,
            move_places: true,
            interleave: true,
        },
    )
}

/// The planner's steps that can be left out, to measure what each brings (the benchmark's
/// baselines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanSteps {
    /// Also cut the area by base (each approach to its nearest base, each base's shared by its
    /// drones) and keep whichever first cut keeps more weight within the batteries; else one
    /// curve over every drone, whatever its base (the first version's cut).
    pub follow_bases: bool,
    /// Move the cuts to lower the worst weighted revisit (else the first cut as it is).
    pub balance: bool,
    /// Then move whole places between drones while that lowers it (see `patrol/moves.rs`).
    pub move_places: bool,
    /// Then let a loop pass its heaviest points several times a round where that lowers its
    /// worst weighted revisit (see `patrol/interleave.rs`).
    pub interleave: bool,
}

/// The first site, once the input is checked: sites, drones, and each drone's figures.
fn check(input: &PatrolInput) -> Result<&Site, PatrolError> {
    let first = input.sites.first().ok_or(PatrolError::NoSites)?;
    if input.drones.is_empty() {
        return Err(PatrolError::NoDrones);
    }
    for d in &input.drones {
        if !(d.speed_mps > 0.0 && d.swath_m > 0.0 && d.endurance_s >= 0.0) {
            return Err(PatrolError::BadDrone(
                d.sysid,
                "speed, swath and endurance must be positive".into(),
            ));
        }
    }
    Ok(first)
}

/// As [`plan`], with only `steps`.
pub fn plan_with(input: &PatrolInput, steps: PlanSteps) -> Result<PatrolPlan, PatrolError> {
    let first = check(input)?;
    let frame = LocalFrame::new(Geodetic::from_deg(
        first.centre.lat_deg,
        first.centre.lon_deg,
        0.0,
    ));
    let enu = |p: LatLon| super::sites::enu_of(&frame, p);
    let spacing_m = input
        .drones
        .iter()
        .map(|d| d.swath_m)
        .fold(f64::INFINITY, f64::min)
        .max(MIN_SPACING_M);
    let (points, mut revisits) = approaches::points(input, &frame, spacing_m);
    let drones: Vec<(PatrolDrone, [f64; 2])> = input
        .drones
        .iter()
        .map(|d| (d.clone(), enu(d.home)))
        .collect();
    let (points, mut arcs) = first_cut(points, &drones, steps.follow_bases);
    if steps.balance {
        balance(&mut arcs, &points, &drones);
    }
    let mut shares = moves::shares(&arcs, &points, &drones);
    if steps.move_places {
        moves::move_places(&mut shares, &drones);
    }
    let mut plan = PatrolPlan::default();
    for (index, (drone, _)) in drones.iter().enumerate() {
        if shares
            .iter()
            .all(|s| s.drone != index || s.points.is_empty())
        {
            plan.left_out.push((
                drone.sysid,
                "the other drones share every approach near it".into(),
            ));
        }
    }
    for share in shares.into_iter().filter(|s| !s.points.is_empty()) {
        let (drone, home) = &drones[share.drone];
        // A loop too long for the battery keeps its most important points: by weight, then
        // nearest home, as many as fit.
        let planned = share.points.len();
        let (kept, tour, period_s, weight) = if share.fits {
            (share.points, share.tour, share.period_s, share.weight)
        } else {
            fit(&share.points, drone, *home)
        };
        plan.unpatrolled_points += planned - kept.len();
        if kept.is_empty() {
            plan.left_out.push((
                drone.sysid,
                format!(
                    "its battery ({:.0} min) does not reach any approach and back",
                    drone.endurance_s / 60.0
                ),
            ));
            continue;
        }
        let route = if steps.interleave {
            interleave::route(&kept, &tour, drone.speed_mps, drone.endurance_s, *home)
        } else {
            interleave::Route {
                waypoints: tour,
                period_s,
                revisit_s: vec![period_s; kept.len()],
                weighted_s: period_s * weight,
            }
        };
        for (p, revisit_s) in kept.iter().zip(&route.revisit_s) {
            let r = &mut revisits[p.site];
            r.revisit_s = Some(r.revisit_s.unwrap_or(0.0).max(*revisit_s));
        }
        plan.loops.push(PatrolLoop {
            sysid: drone.sysid,
            waypoints: route
                .waypoints
                .iter()
                .map(|p| latlon_of(&frame, *p))
                .collect(),
            alt_rel_m: input.alt_rel_m,
            length_m: tour_length(&route.waypoints),
            speed_mps: drone.speed_mps,
            period_s: route.period_s,
            weight,
            weighted_s: route.weighted_s,
        });
    }
    plan.worst_weighted_s = plan.loops.iter().map(|l| l.weighted_s).fold(0.0, f64::max);
    plan.sites = revisits;
    Ok(plan)
}

/// The most important of `points` that a drone can fly round once with the way out and back:
/// the longest run of them by weight (then nearest home first) whose loop fits, found by
/// halving. Returns the points kept, their tour, its period and highest weight.
fn fit(
    points: &[Point],
    drone: &PatrolDrone,
    home: [f64; 2],
) -> (Vec<Point>, Vec<[f64; 2]>, f64, f64) {
    let mut ranked = points.to_vec();
    ranked.sort_by(|a, b| {
        b.weight
            .total_cmp(&a.weight)
            .then(dist(a.at, home).total_cmp(&dist(b.at, home)))
    });
    let loop_of = |n: usize| {
        let at: Vec<[f64; 2]> = ranked[..n].iter().map(|p| p.at).collect();
        let tour = tour(&at, home);
        let period_s = tour_length(&tour) / drone.speed_mps;
        let first = tour.first().copied().unwrap_or(home);
        let fits = period_s + 2.0 * dist(home, first) / drone.speed_mps <= drone.endurance_s;
        (tour, period_s, fits)
    };
    let (mut lo, mut hi) = (0, ranked.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if loop_of(mid).2 {
            lo = mid
        } else {
            hi = mid - 1
        }
    }
    if lo == 0 {
        return (Vec::new(), Vec::new(), 0.0, 0.0);
    }
    let (tour, period_s, _) = loop_of(lo);
    ranked.truncate(lo);
    let weight = ranked.iter().map(|p| p.weight).fold(0.0, f64::max);
    (ranked, tour, period_s, weight)
}

/// The index of a point along a Hilbert curve of order 16 over the box `min`..`max`: points
/// near each other on the curve are near each other on the ground, so that contiguous runs of
/// the curve are compact areas to patrol.
fn hilbert_index(p: [f64; 2], min: [f64; 2], max: [f64; 2]) -> u64 {
    const SIDE: u64 = 1 << 16;
    let cell = |v: f64, lo: f64, hi: f64| {
        let f = if hi > lo { (v - lo) / (hi - lo) } else { 0.0 };
        ((f * (SIDE - 1) as f64).round() as u64).min(SIDE - 1)
    };
    let (mut x, mut y) = (cell(p[0], min[0], max[0]), cell(p[1], min[1], max[1]));
    let mut d = 0;
    let mut s = SIDE / 2;
    while s > 0 {
        let rx = u64::from(x & s > 0);
        let ry = u64::from(y & s > 0);
        d += s * s * ((3 * rx) ^ ry);
        // Rotate the quadrant so that the curve runs on.
        if ry == 0 {
            if rx == 1 {
                x = SIDE - 1 - x;
                y = SIDE - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    d
}

/// Step 1: each point to its nearest base (drones whose homes lie within [`BASE_RADIUS_M`]
/// of each other), so that no drone is given an area beyond its battery because another
/// base's area came first on the curve; then each base's points along a Hilbert curve over
/// the whole area, cut into runs of equal weight (compact areas), one per drone of the base,
/// each to the drone nearest it. The bases' runs follow each other in `points`, so that the
/// balancing can still move points between neighbouring runs.
fn arcs_for(
    points: &mut [Point],
    drones: &[(PatrolDrone, [f64; 2])],
    follow_bases: bool,
) -> Vec<Arc> {
    let (mut min, mut max) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in points.iter() {
        for i in 0..2 {
            min[i] = min[i].min(p.at[i]);
            max[i] = max[i].max(p.at[i]);
        }
    }
    // A square box, so that the curve's cells are square on the ground.
    let side = (max[0] - min[0]).max(max[1] - min[1]);
    let max = [min[0] + side, min[1] + side];
    let bases = if follow_bases {
        bases_of(drones)
    } else {
        vec![(
            drones.first().map_or([0.0; 2], |d| d.1),
            (0..drones.len()).collect(),
        )]
    };
    let base_of = |p: &Point| {
        (0..bases.len())
            .min_by(|a, b| dist(p.at, bases[*a].0).total_cmp(&dist(p.at, bases[*b].0)))
            .unwrap_or(0)
    };
    points.sort_by_cached_key(|p| (base_of(p), hilbert_index(p.at, min, max)));
    let mut arcs = Vec::new();
    let mut from = 0;
    for (index, (_, members)) in bases.iter().enumerate() {
        let to = from
            + points[from..]
                .iter()
                .take_while(|p| base_of(p) == index)
                .count();
        arcs.extend(cut(points, from, to, members, drones));
        from = to;
    }
    for arc in &mut arcs {
        build(arc, points, drones);
    }
    arcs
}

/// The first cut (the points reordered along it, and its arcs): one curve over every drone,
/// or with `follow_bases` whichever of that and the cut by base keeps more weight within the
/// drones' batteries. Cutting by base gives each base the approaches nearest it, which is
/// what distant bases with few drones need; but where a base's share is beyond its drones'
/// reach, one curve can give a far drone what the near ones cannot fly (the benchmark's large
/// case), so both are tried.
fn first_cut(
    points: Vec<Point>,
    drones: &[(PatrolDrone, [f64; 2])],
    follow_bases: bool,
) -> (Vec<Point>, Vec<Arc>) {
    let mut one_curve = points.clone();
    let curve_arcs = arcs_for(&mut one_curve, drones, false);
    if !follow_bases {
        return (one_curve, curve_arcs);
    }
    let mut by_base = points;
    let base_arcs = arcs_for(&mut by_base, drones, true);
    if kept_weight(&base_arcs, &by_base, drones) > kept_weight(&curve_arcs, &one_curve, drones) {
        (by_base, base_arcs)
    } else {
        (one_curve, curve_arcs)
    }
}

/// The weight of the points the arcs' loops keep within their drones' batteries.
fn kept_weight(arcs: &[Arc], points: &[Point], drones: &[(PatrolDrone, [f64; 2])]) -> f64 {
    arcs.iter()
        .map(|arc| {
            let run = &points[arc.from..arc.to];
            let kept = if arc.fits {
                run.to_vec()
            } else {
                let (drone, home) = &drones[arc.drone];
                fit(run, drone, *home).0
            };
            kept.iter().map(|p| p.weight).sum::<f64>()
        })
        .sum()
}

/// The bases: each a centre and the drones (indices into `drones`) whose homes are within
/// [`BASE_RADIUS_M`] of its first drone's.
fn bases_of(drones: &[(PatrolDrone, [f64; 2])]) -> Vec<([f64; 2], Vec<usize>)> {
    let mut bases: Vec<([f64; 2], Vec<usize>)> = Vec::new();
    for (d, (_, home)) in drones.iter().enumerate() {
        match bases
            .iter_mut()
            .find(|(centre, _)| dist(*centre, *home) <= BASE_RADIUS_M)
        {
            Some((_, members)) => members.push(d),
            None => bases.push((*home, vec![d])),
        }
    }
    bases
}

/// `points[from..to]` cut into runs of equal weight, one per drone of `members`, each run to
/// the drone nearest it (the nearest pairs of run centre and home first).
fn cut(
    points: &[Point],
    from: usize,
    to: usize,
    members: &[usize],
    drones: &[(PatrolDrone, [f64; 2])],
) -> Vec<Arc> {
    let run = &points[from..to];
    if run.is_empty() {
        return Vec::new();
    }
    let k = members.len().min(run.len()).max(1);
    let total: f64 = run.iter().map(|p| p.weight).sum();
    let mut cuts = vec![0];
    let mut acc = 0.0;
    for (i, p) in run.iter().enumerate() {
        acc += p.weight;
        if cuts.len() < k && acc >= total * cuts.len() as f64 / k as f64 {
            cuts.push(i + 1);
        }
    }
    cuts.push(run.len());
    cuts.dedup();
    let centres: Vec<[f64; 2]> = cuts
        .windows(2)
        .map(|w| {
            let s = &run[w[0]..w[1]];
            let m = s.len().max(1) as f64;
            [
                s.iter().map(|p| p.at[0]).sum::<f64>() / m,
                s.iter().map(|p| p.at[1]).sum::<f64>() / m,
            ]
        })
        .collect();
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for (a, c) in centres.iter().enumerate() {
        for &d in members {
            pairs.push((dist(*c, drones[d].1), a, d));
        }
    }
    pairs.sort_by(|x, y| x.0.total_cmp(&y.0));
    let mut drone_of = vec![usize::MAX; centres.len()];
    let mut taken = vec![false; drones.len()];
    for (_, a, d) in pairs {
        if drone_of[a] == usize::MAX && !taken[d] {
            drone_of[a] = d;
            taken[d] = true;
        }
    }
    cuts.windows(2)
        .zip(drone_of)
        .filter(|(_, d)| *d != usize::MAX)
        .map(|(w, drone)| Arc {
            from: from + w[0],
            to: from + w[1],
            drone,
            tour: Vec::new(),
            weight: 0.0,
            period_s: 0.0,
            fits: false,
        })
        .collect()
}

/// Step 3: move the cuts next to the worst loop while that lowers the worst.
fn balance(arcs: &mut [Arc], points: &[Point], drones: &[(PatrolDrone, [f64; 2])]) {
    let k = arcs.len();
    if k < 2 {
        return;
    }
    for _ in 0..MAX_BALANCE_STEPS {
        let before = worst(arcs);
        let Some(w) = (0..k).max_by(|a, b| arcs[*a].weighted_s().total_cmp(&arcs[*b].weighted_s()))
        else {
            return;
        };
        let mut best: Option<(f64, usize, bool)> = None;
        // Give the worst arc's first point to the previous arc, or its last to the next.
        for (neighbour, give_first) in [((w + k - 1) % k, true), ((w + 1) % k, false)] {
            if neighbour == w
                || arcs[w].to - arcs[w].from < 2
                || (give_first && neighbour + 1 != w)
                || (!give_first && w + 1 != neighbour)
            {
                continue;
            }
            let (mut a, mut b) = (clone_arc(&arcs[w]), clone_arc(&arcs[neighbour]));
            if give_first {
                a.from += 1;
                b.to += 1;
            } else {
                a.to -= 1;
                b.from -= 1;
            }
            build(&mut a, points, drones);
            build(&mut b, points, drones);
            let after = (0..k)
                .map(|i| match i {
                    i if i == w => a.weighted_s(),
                    i if i == neighbour => b.weighted_s(),
                    i => arcs[i].weighted_s(),
                })
                .fold(0.0, f64::max);
            // A loop that does not fit gives points away whatever it costs the others.
            let forced = !arcs[w].fits;
            if (forced || after < before) && best.is_none_or(|(v, _, _)| after < v) {
                best = Some((after, neighbour, give_first));
            }
        }
        let Some((_, neighbour, give_first)) = best else {
            return;
        };
        if give_first {
            arcs[w].from += 1;
            arcs[neighbour].to += 1;
        } else {
            arcs[w].to -= 1;
            arcs[neighbour].from -= 1;
        }
        build(&mut arcs[w], points, drones);
        build(&mut arcs[neighbour], points, drones);
    }
}

fn clone_arc(a: &Arc) -> Arc {
    Arc {
        from: a.from,
        to: a.to,
        drone: a.drone,
        tour: Vec::new(),
        weight: 0.0,
        period_s: 0.0,
        fits: false,
    }
}

impl PatrolLoop {
    /// The loop as an AUTO mission from `home`: take off, the speed the round was counted at
    /// (DO_CHANGE_SPEED, as an airspeed: ArduCopter takes it as its horizontal speed), the
    /// loop's points, then DO_JUMP back to the first point for ever.
    pub fn mission(&self, home: GeoPoint) -> Mission {
        let item = |command: u16, params: [f32; 4], at: Option<LatLon>| MissionItem {
            frame: FRAME_RELATIVE,
            command,
            autocontinue: true,
            params,
            x: at.map_or(0.0, |p| p.lat_deg),
            y: at.map_or(0.0, |p| p.lon_deg),
            z: if command == DO_JUMP || command == DO_CHANGE_SPEED {
                0.0
            } else {
                self.alt_rel_m as f32
            },
        };
        let mut items = vec![item(
            NAV_TAKEOFF,
            [0.0; 4],
            Some(LatLon {
                lat_deg: home.lat_deg,
                lon_deg: home.lon_deg,
            }),
        )];
        items.push(item(
            DO_CHANGE_SPEED,
            [0.0, self.speed_mps as f32, -1.0, 0.0],
            None,
        ));
        items.extend(
            self.waypoints
                .iter()
                .map(|p| item(NAV_WAYPOINT, [0.0; 4], Some(*p))),
        );
        // Items are numbered from 1 after home: the take-off is 1, the speed 2, the first
        // point 3.
        items.push(item(DO_JUMP, [3.0, -1.0, 0.0, 0.0], None));
        Mission {
            home: Some(home),
            items,
            ..Mission::default()
        }
    }
}

mod approaches;
mod interleave;
mod moves;
#[cfg(test)]
mod tests;
