//! Step 5: a loop that comes back to the points weighing most between stretches of the rest.
//!
//! One loop visits each of its points once a round, so that a drone left alone with every
//! place (its partner sent to an alert) sees the threatened village's ways in no more often
//! than the quiet water point's: once in 40 minutes, while a second group on another track
//! walks its last 600 m in six. The planner measures a loop by its worst weighted revisit
//! (weight × interval), and a loop through the heaviest points `k` times a round, the rest
//! cut into `k` stretches between, lowers it when the heaviest are a small part of the loop:
//! their interval falls to one pass over them and one stretch, the rest's rises by `k - 1`
//! passes over them. Each `k` up to [`MAX_PASSES`] is measured (the interval of each heavy
//! point between its passes, the round for the rest) and the best kept if it lowers the
//! loop's worst weighted revisit by [`MIN_GAIN`] and still fits the battery.

use super::{Point, dist, tour, tour_length};

/// At most this many passes over the heaviest points a round.
const MAX_PASSES: usize = 6;
/// A loop is interleaved only when that lowers its worst weighted revisit by at least this
/// share (a longer mission for a few per cent is not worth it).
const MIN_GAIN: f64 = 0.1;
/// At most this many waypoints in an interleaved loop: ArduPilot keeps some 700 mission
/// items on a 16 KiB board, and the mission adds its take-off, speed and jump.
const MAX_WAYPOINTS: usize = 600;

/// A loop as flown: its waypoints (the heavy points repeated), its round, and how often each
/// of its points comes round.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Route {
    pub waypoints: Vec<[f64; 2]>,
    pub period_s: f64,
    /// Per point of the loop, in the order given: the longest interval between two passes, s.
    pub revisit_s: Vec<f64>,
    /// The worst weight × revisit over the loop's points, s.
    pub weighted_s: f64,
}

/// The loop over `points` (whose plain tour is `plain`) for a drone at `speed_mps` with
/// `endurance_s` from `home`: the plain tour, or the interleaved one when it is better by
/// [`MIN_GAIN`] and fits.
pub(super) fn route(
    points: &[Point],
    plain: &[[f64; 2]],
    speed_mps: f64,
    endurance_s: f64,
    home: [f64; 2],
) -> Route {
    let period_s = tour_length(plain) / speed_mps;
    let top = points.iter().map(|p| p.weight).fold(0.0, f64::max);
    let simple = Route {
        waypoints: plain.to_vec(),
        period_s,
        revisit_s: vec![period_s; points.len()],
        weighted_s: period_s * top,
    };
    let heavy: Vec<usize> = (0..points.len())
        .filter(|&i| points[i].weight >= top)
        .collect();
    let rest: Vec<usize> = (0..points.len())
        .filter(|&i| points[i].weight < top)
        .collect();
    if heavy.is_empty() || rest.is_empty() {
        return simple;
    }
    let rest_weight = rest.iter().map(|&i| points[i].weight).fold(0.0, f64::max);
    let heavy_at: Vec<[f64; 2]> = heavy.iter().map(|&i| points[i].at).collect();
    let heavy_tour = tour(&heavy_at, home);
    let rest_path = open_path(&tour(
        &rest.iter().map(|&i| points[i].at).collect::<Vec<_>>(),
        home,
    ));
    let mut best = simple;
    let max_passes = MAX_PASSES
        .min(rest_path.len())
        .min((MAX_WAYPOINTS.saturating_sub(rest_path.len())) / heavy_tour.len().max(1));
    for passes in 2..=max_passes {
        let waypoints = interleaved(&heavy_tour, &rest_path, passes);
        let length_m = tour_length(&waypoints);
        let period_s = length_m / speed_mps;
        let first = waypoints.first().copied().unwrap_or(home);
        if period_s + 2.0 * dist(home, first) / speed_mps > endurance_s {
            continue;
        }
        let heavy_gap_s = longest_gaps(&waypoints, &heavy_at, length_m)
            .into_iter()
            .fold(0.0, f64::max)
            / speed_mps;
        let weighted_s = (top * heavy_gap_s).max(rest_weight * period_s);
        if weighted_s < best.weighted_s * (1.0 - MIN_GAIN) {
            let revisit_s = (0..points.len())
                .map(|i| {
                    if points[i].weight >= top {
                        heavy_gap_s
                    } else {
                        period_s
                    }
                })
                .collect();
            best = Route {
                waypoints,
                period_s,
                revisit_s,
                weighted_s,
            };
        }
    }
    best
}

/// A closed tour opened at its longest leg, so that stretches of it are compact.
fn open_path(closed: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let n = closed.len();
    if n < 2 {
        return closed.to_vec();
    }
    let longest = (0..n)
        .max_by(|&a, &b| {
            dist(closed[a], closed[(a + 1) % n]).total_cmp(&dist(closed[b], closed[(b + 1) % n]))
        })
        .unwrap_or(n - 1);
    (1..=n).map(|k| closed[(longest + k) % n]).collect()
}

/// `passes` times round `heavy`, each pass followed by one of `passes` stretches of `rest`
/// of about equal length. Every pass enters at the same point and goes the same way, so
/// that each heavy point waits one pass and one stretch between two looks (a pass entered
/// where the drone comes in would leave some waiting nearly two); of those, the one with
/// the shortest round.
fn interleaved(heavy: &[[f64; 2]], rest: &[[f64; 2]], passes: usize) -> Vec<[f64; 2]> {
    let stretches = stretches(rest, passes);
    let n = heavy.len();
    let build = |entry: usize, forwards: bool| {
        let mut out = Vec::with_capacity(n * passes + rest.len());
        for stretch in &stretches {
            if forwards {
                out.extend((0..n).map(|k| heavy[(entry + k) % n]));
            } else {
                out.extend((0..n).map(|k| heavy[(entry + n - k) % n]));
            }
            out.extend_from_slice(stretch);
        }
        out
    };
    (0..n)
        .flat_map(|entry| [(entry, true), (entry, false)])
        .map(|(entry, forwards)| build(entry, forwards))
        .min_by(|a, b| tour_length(a).total_cmp(&tour_length(b)))
        .unwrap_or_default()
}

/// `path` cut into `parts` contiguous stretches of about equal length (none empty when the
/// path has at least `parts` points).
fn stretches(path: &[[f64; 2]], parts: usize) -> Vec<Vec<[f64; 2]>> {
    let total: f64 = path.windows(2).map(|w| dist(w[0], w[1])).sum();
    let mut out: Vec<Vec<[f64; 2]>> = vec![Vec::new(); parts];
    let mut along = 0.0;
    for (i, p) in path.iter().enumerate() {
        if i > 0 {
            along += dist(path[i - 1], *p);
        }
        let by_length = if total > 0.0 {
            ((along / total) * parts as f64) as usize
        } else {
            0
        };
        // Leave at least one point for each stretch still to come.
        let by_count = parts - (path.len() - i).min(parts);
        out[by_length.max(by_count).min(parts - 1)].push(*p);
    }
    out
}

/// For each of `points`, the longest distance flown between two passes over it on the
/// closed `route` of `length_m` (the whole round for a point passed once).
fn longest_gaps(route: &[[f64; 2]], points: &[[f64; 2]], length_m: f64) -> Vec<f64> {
    let mut along = Vec::with_capacity(route.len());
    let mut at = 0.0;
    for (i, p) in route.iter().enumerate() {
        if i > 0 {
            at += dist(route[i - 1], *p);
        }
        along.push(at);
    }
    points
        .iter()
        .map(|p| {
            let passes: Vec<f64> = route
                .iter()
                .zip(&along)
                .filter(|(q, _)| *q == p)
                .map(|(_, a)| *a)
                .collect();
            let Some((first, last)) = passes.first().zip(passes.last()) else {
                return length_m;
            };
            let wrap = length_m - last + first;
            passes.windows(2).map(|w| w[1] - w[0]).fold(wrap, f64::max)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(x: f64, y: f64, weight: f64) -> Point {
        Point {
            at: [x, y],
            site: 0,
            weight,
        }
    }

    /// `n` points round a circle of `radius` about the origin, weighing `weight`.
    fn ring(n: usize, radius: f64, weight: f64) -> Vec<Point> {
        (0..n)
            .map(|i| {
                let a = i as f64 * std::f64::consts::TAU / n as f64;
                point(radius * a.cos(), radius * a.sin(), weight)
            })
            .collect()
    }

    fn plain(points: &[Point]) -> Vec<[f64; 2]> {
        let at: Vec<[f64; 2]> = points.iter().map(|p| p.at).collect();
        tour(&at, [0.0, 0.0])
    }

    /// A small threatened place amid a wide ring of quiet ones: the loop comes back to the
    /// place between stretches of the ring, and each point's promised interval is the one
    /// flown.
    #[test]
    fn a_small_heavy_place_is_passed_several_times_a_round() {
        let mut points = ring(4, 300.0, 6.0);
        points.extend(ring(60, 3000.0, 1.0));
        let plain = plain(&points);
        let speed = 10.0;
        let route = route(&points, &plain, speed, 1e6, [0.0, 0.0]);
        let plain_s = tour_length(&plain) / speed;
        assert!(route.waypoints.len() > points.len(), "{route:?}");
        assert!(
            route.weighted_s < plain_s * 6.0 * (1.0 - MIN_GAIN),
            "{} vs {}",
            route.weighted_s,
            plain_s * 6.0
        );
        let length_m = tour_length(&route.waypoints);
        assert!((route.period_s - length_m / speed).abs() < 1e-6);
        let at: Vec<[f64; 2]> = points.iter().map(|p| p.at).collect();
        let gaps = longest_gaps(&route.waypoints, &at, length_m);
        for (i, gap_m) in gaps.iter().enumerate() {
            assert!(
                (gap_m / speed - route.revisit_s[i]).abs() < 1e-6,
                "point {i}"
            );
        }
        assert!(route.revisit_s[0] < route.period_s / 2.0, "{route:?}");
        assert!(at.iter().all(|p| route.waypoints.contains(p)));
    }

    /// Places of one weight, or a heavy place that is most of the loop, keep the plain tour;
    /// so does a loop that would gain but whose passes would not fit the battery.
    #[test]
    fn a_loop_gains_nothing_from_passes_keeps_its_plain_tour() {
        let even = ring(30, 2000.0, 2.0);
        assert_eq!(
            route(&even, &plain(&even), 10.0, 1e6, [0.0, 0.0]).waypoints,
            plain(&even)
        );

        let mut most = ring(60, 3000.0, 6.0);
        most.extend(ring(4, 300.0, 1.0));
        assert_eq!(
            route(&most, &plain(&most), 10.0, 1e6, [0.0, 0.0]).waypoints,
            plain(&most)
        );

        let mut points = ring(4, 300.0, 6.0);
        points.extend(ring(60, 3000.0, 1.0));
        let plain_s = tour_length(&plain(&points)) / 10.0;
        let tight = route(&points, &plain(&points), 10.0, plain_s * 1.2, [0.0, 0.0]);
        assert_eq!(tight.waypoints, plain(&points));
    }

    #[test]
    fn stretches_are_contiguous_and_none_is_empty() {
        let path: Vec<[f64; 2]> = (0..7).map(|i| [i as f64, 0.0]).collect();
        for parts in 1..=7 {
            let s = stretches(&path, parts);
            assert_eq!(s.len(), parts);
            assert!(s.iter().all(|p| !p.is_empty()), "{parts}: {s:?}");
            assert_eq!(s.concat(), path);
        }
    }
}
