//! Step 4: whole places moved from the worst loop to another drone's while that lowers the
//! worst weighted revisit interval. The cut along the curve keeps each drone's share
//! contiguous on it, and the balance moves only the ends of a share: a place that another
//! drone reaches better, but that lies elsewhere on the curve (the curve gave the village
//! beside the copter's base to the plane's long loop, and the copter the far one at the
//! curve's other end), is found only by moving it whole, and where the other drone's battery
//! has no room for it, only by exchanging it for one of that drone's places. Each place is
//! offered to the drones whose homes are nearest it ([`NEAREST_DRONES`]): moved if a move
//! lowers the worst, else exchanged; the best change is taken, and the search stops when none
//! lowers the worst (or after [`MAX_MOVES`], or [`MAX_LOOPS`] loops built). Deterministic:
//! the same shares give the same changes.

use super::{Arc, PatrolDrone, Point, dist, tour, tour_length};

/// At most this many places move (or pairs are exchanged).
const MAX_MOVES: usize = 24;
/// At most this many loops are built in all while looking for them (each is a tour of up to a
/// few hundred points: the large deployment must still plan in seconds).
const MAX_LOOPS: usize = 3000;
/// A place is offered to this many drones, those whose homes are nearest it.
const NEAREST_DRONES: usize = 3;
/// Places whose centres are this near each other make an area, which also moves whole, m.
const AREA_M: f64 = 1000.0;
/// A move must lower the worst weighted revisit interval by this much, s.
const MIN_GAIN_S: f64 = 1.0;

/// One drone's points, its loop and the loop's figures.
#[derive(Clone)]
pub(super) struct Share {
    pub drone: usize,
    pub points: Vec<Point>,
    pub tour: Vec<[f64; 2]>,
    pub weight: f64,
    pub period_s: f64,
    /// Round once with the way out and back fits the drone's endurance.
    pub fits: bool,
}

impl Share {
    fn new(drone: usize, points: Vec<Point>, drones: &[(PatrolDrone, [f64; 2])]) -> Self {
        let (d, home) = &drones[drone];
        let at: Vec<[f64; 2]> = points.iter().map(|p| p.at).collect();
        let tour = tour(&at, *home);
        let weight = points.iter().map(|p| p.weight).fold(0.0, f64::max);
        let period_s = tour_length(&tour) / d.speed_mps;
        let first = tour.first().copied().unwrap_or(*home);
        let fits = period_s + 2.0 * dist(*home, first) / d.speed_mps <= d.endurance_s;
        Self {
            drone,
            points,
            tour,
            weight,
            period_s,
            fits,
        }
    }

    fn weighted_s(&self) -> f64 {
        self.period_s * self.weight
    }
}

/// Every drone's share after the cut and the balance, the arcs' own loops kept; a drone the
/// cut gave nothing has an empty share, which a place may move to.
pub(super) fn shares(
    arcs: &[Arc],
    points: &[Point],
    drones: &[(PatrolDrone, [f64; 2])],
) -> Vec<Share> {
    let mut shares: Vec<Share> = arcs
        .iter()
        .map(|a| Share {
            drone: a.drone,
            points: points[a.from..a.to].to_vec(),
            tour: a.tour.clone(),
            weight: a.weight,
            period_s: a.period_s,
            fits: a.fits,
        })
        .collect();
    for drone in 0..drones.len() {
        if shares.iter().all(|s| s.drone != drone) {
            shares.push(Share::new(drone, Vec::new(), drones));
        }
    }
    shares
}

/// The worst weighted revisit interval of the loops that fit their batteries, with some
/// shares replaced, and the sum of them (of two moves that lower the worst alike, the one
/// that shortens the loops more is taken). A share beyond its drone's battery is left as it
/// is (the balance moved what it could off it, and `fit` keeps its most important points):
/// only shares that fit change, and only into shares that fit, so that no change drops a
/// point.
fn score(shares: &[Share], replaced: &[(usize, &Share)]) -> (f64, f64) {
    let mut worst: f64 = 0.0;
    let mut sum = 0.0;
    for (i, s) in shares.iter().enumerate() {
        let s = replaced
            .iter()
            .find(|(j, _)| *j == i)
            .map_or(s, |(_, r)| *r);
        if !s.fits {
            continue; // beyond its battery: `fit` trims it, and no change touches it
        }
        let w = s.weighted_s();
        worst = worst.max(w);
        sum += w;
    }
    (worst, sum)
}

/// Step 4 (see the module comment).
pub(super) fn move_places(shares: &mut [Share], drones: &[(PatrolDrone, [f64; 2])]) {
    let mut budget = MAX_LOOPS;
    let areas = areas(shares);
    for _ in 0..MAX_MOVES {
        let Some(w) = (0..shares.len())
            .filter(|i| shares[*i].fits)
            .max_by(|a, b| shares[*a].weighted_s().total_cmp(&shares[*b].weighted_s()))
        else {
            return;
        };
        let best = best_change(shares, w, drones, &areas, false, &mut budget)
            .or_else(|| best_change(shares, w, drones, &areas, true, &mut budget));
        let Some(Change {
            to, from_w, to_d, ..
        }) = best
        else {
            return;
        };
        shares[w] = from_w;
        shares[to] = to_d;
    }
}

/// A change of two shares: the worst's and another's, and what it makes of the plan.
struct Change {
    score: (f64, f64),
    to: usize,
    from_w: Share,
    to_d: Share,
}

/// The places that move together: each place alone, and each area (places whose centres are
/// within [`AREA_M`] of another's: a village and its school, market and boreholes) with more
/// than one of them in the share.
fn units_of(share: &Share, areas: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut places: Vec<usize> = share.points.iter().map(|p| p.site).collect();
    places.sort_unstable();
    places.dedup();
    let mut units: Vec<Vec<usize>> = places.iter().map(|p| vec![*p]).collect();
    for area in areas {
        let here: Vec<usize> = area
            .iter()
            .copied()
            .filter(|p| places.contains(p))
            .collect();
        if here.len() > 1 {
            units.push(here);
        }
    }
    units
}

/// The areas: places (site indices) linked by centres (of their approach points) within
/// [`AREA_M`] of each other.
fn areas(shares: &[Share]) -> Vec<Vec<usize>> {
    let mut sums: std::collections::BTreeMap<usize, ([f64; 2], f64)> = Default::default();
    for p in shares.iter().flat_map(|s| &s.points) {
        let e = sums.entry(p.site).or_insert(([0.0; 2], 0.0));
        e.0[0] += p.at[0];
        e.0[1] += p.at[1];
        e.1 += 1.0;
    }
    let centres: Vec<(usize, [f64; 2])> = sums
        .into_iter()
        .map(|(site, (sum, n))| (site, [sum[0] / n, sum[1] / n]))
        .collect();
    // Single linkage: each place starts an area; linked places share the lowest's.
    let mut area_of: Vec<usize> = (0..centres.len()).collect();
    for i in 0..centres.len() {
        for j in 0..i {
            if dist(centres[i].1, centres[j].1) <= AREA_M {
                let (from, into) = (area_of[i].max(area_of[j]), area_of[i].min(area_of[j]));
                for a in &mut area_of {
                    if *a == from {
                        *a = into;
                    }
                }
            }
        }
    }
    let mut areas: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for (i, (site, _)) in centres.iter().enumerate() {
        areas.entry(area_of[i]).or_default().push(*site);
    }
    areas.into_values().filter(|a| a.len() > 1).collect()
}

/// The best move of one of the worst share's places (or areas) to another drone (with
/// `swap`, the best exchange of one for one of that drone's), if one lowers the worst; each
/// loop built counts against `budget`.
fn best_change(
    shares: &[Share],
    w: usize,
    drones: &[(PatrolDrone, [f64; 2])],
    areas: &[Vec<usize>],
    swap: bool,
    budget: &mut usize,
) -> Option<Change> {
    let (before, _) = score(shares, &[]);
    let mut best: Option<Change> = None;
    for unit in units_of(&shares[w], areas) {
        let (moving, staying): (Vec<Point>, Vec<Point>) = shares[w]
            .points
            .iter()
            .partition(|p| unit.contains(&p.site));
        let centre = centre(&moving);
        let mut near: Vec<usize> = (0..shares.len())
            .filter(|&i| shares[i].drone != shares[w].drone && shares[i].fits)
            .collect();
        near.sort_by(|a, b| {
            let home = |i: &usize| drones[shares[*i].drone].1;
            dist(home(a), centre).total_cmp(&dist(home(b), centre))
        });
        near.truncate(NEAREST_DRONES);
        for to in near {
            // What goes back to the worst share: nothing, or each of the other's units.
            let back: Vec<Vec<usize>> = if swap {
                units_of(&shares[to], areas)
            } else {
                vec![Vec::new()]
            };
            for back in back {
                if *budget < 2 {
                    return best;
                }
                *budget -= 2;
                let (returning, kept): (Vec<Point>, Vec<Point>) = shares[to]
                    .points
                    .iter()
                    .partition(|p| back.contains(&p.site));
                let mut left = staying.clone();
                left.extend_from_slice(&returning);
                let mut taken = kept;
                taken.extend_from_slice(&moving);
                let from_w = Share::new(shares[w].drone, left, drones);
                let to_d = Share::new(shares[to].drone, taken, drones);
                let after = score(shares, &[(w, &from_w), (to, &to_d)]);
                let fit = from_w.fits && to_d.fits;
                if fit
                    && after.0 < before - MIN_GAIN_S
                    && best.as_ref().is_none_or(|b| after < b.score)
                {
                    best = Some(Change {
                        score: after,
                        to,
                        from_w,
                        to_d,
                    });
                }
            }
        }
    }
    best
}

fn centre(points: &[Point]) -> [f64; 2] {
    let n = points.len().max(1) as f64;
    [
        points.iter().map(|p| p.at[0]).sum::<f64>() / n,
        points.iter().map(|p| p.at[1]).sum::<f64>() / n,
    ]
}
