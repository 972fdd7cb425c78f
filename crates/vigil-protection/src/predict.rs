//! Predicted approaches: which protected place a mover from outside is heading for, when it
//! will reach that place's buffer, with an uncertainty, and the path it will take there.
//!
//! People on foot and vehicles follow the ways of the area's map (roads, tracks, paths: the
//! `LineString` features of an area GeoJSON whose `layer` is `road`, `track` or `path`). A
//! track within [`SNAP_M`] of a way and moving along it (within [`ALONG_RAD`] of the way's
//! direction) is followed along the way's line in the direction it goes; at the end of the
//! line it turns onto a way that starts or ends there (the one closest to straight on), or
//! goes straight on. A track on no way goes straight on along its velocity. The path is
//! followed for `approach.max_time_to_arrival_s` at the track's speed; the first buffer it
//! enters (of those it is not in already: a mover in a village's buffer heads for its school)
//! is the place it is heading for, and the distance along the path to that buffer's edge
//! over the speed is the time of arrival. The velocity is the track's displacement over
//! its last 30 s (see `history.rs`), and its uncertainty gives the arrival's: the speed one
//! standard deviation higher and lower (at least [`MIN_SPEED_SPREAD`] of the speed) gives the
//! earliest and latest arrival.
//!
//! Geometry in the protection's local plane (metres east and north), as every rule.

use super::LatLon;
use super::ProtectionError;
use super::sites::{
    PlaneShape, Site, distance_to_segment_m, enu_of, read_position, structure_error,
};
use vigil_core::geodesy::LocalFrame;
use vigil_core::geojson_file::read_feature_collection;

/// A track this near a way may be on it, m.
pub const SNAP_M: f64 = 40.0;
/// ... when it moves within this angle of the way's direction, rad (45°).
pub const ALONG_RAD: f64 = std::f64::consts::FRAC_PI_4;
/// Ways whose ends are this near are joined, m.
const JOIN_M: f64 = 15.0;
/// The path is tested for buffers this often, m.
const STEP_M: f64 = 10.0;
/// Slower tracks are standing, not heading anywhere, m/s.
const MIN_SPEED_MPS: f64 = 0.3;
/// The speed's spread is taken as at least this share of the speed: the tracker's velocity
/// of one of a group walking in file swings widely, and a walker slows and stops.
pub const MIN_SPEED_SPREAD: f64 = 0.25;
/// The way layers people and vehicles travel on.
const WAY_LAYERS: [&str; 3] = ["road", "track", "path"];
/// The water layers a way may lead down to.
const WATER_LAYERS: [&str; 3] = ["river", "stream", "canal"];
/// A way's end this near a river of the map, and no other way's line, is at the water, m.
const AT_WATER_M: f64 = 30.0;

/// A road, track or path, in degrees.
#[derive(Debug, Clone, PartialEq)]
pub struct Way {
    pub name: String,
    pub points: Vec<LatLon>,
    /// Whether its first and its last point is at the water and goes no further (a path down
    /// to the river: who walks it goes there and back).
    pub water_ends: [bool; 2],
}

/// The built-in demo's area map (`assets/demo/area.geojson`), whose ways the demo predicts on.
pub const DEMO_AREA: &str = include_str!("../../../assets/demo/area.geojson");

/// The demo area's ways (a test checks that it parses).
pub fn demo_ways() -> Vec<Way> {
    parse_ways(DEMO_AREA, "assets/demo/area.geojson").unwrap_or_default()
}

/// The ways of an area GeoJSON (other features are ignored: the map has villages, fields,
/// rivers...). `file` names it in errors.
pub fn parse_ways(text: &str, file: &str) -> Result<Vec<Way>, ProtectionError> {
    let collection = read_feature_collection(text).map_err(|fault| structure_error(file, fault))?;
    let mut ways = Vec::new();
    let mut waters = Vec::new();
    for (index, feature) in collection.features.iter().enumerate() {
        let layer = feature
            .properties
            .as_ref()
            .and_then(|p| p.get("layer"))
            .and_then(|l| l.as_str());
        let water = layer.is_some_and(|l| WATER_LAYERS.contains(&l));
        if !(water || layer.is_some_and(|l| WAY_LAYERS.contains(&l))) {
            continue;
        }
        let Some(geojson::GeometryValue::LineString { coordinates }) =
            feature.geometry.as_ref().map(|g| &g.value)
        else {
            continue;
        };
        let name = feature
            .properties
            .as_ref()
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
            .map_or_else(|| format!("way {}", index + 1), str::to_owned);
        let points = coordinates
            .iter()
            .enumerate()
            .map(|(i, c)| {
                read_position(c).map_err(|reason| ProtectionError::Feature {
                    file: file.to_owned(),
                    feature: format!("feature {} ({name})", index + 1),
                    field: format!("geometry.coordinates[{i}]"),
                    reason,
                })
            })
            .collect::<Result<Vec<LatLon>, _>>()?;
        if points.len() < 2 {
            continue;
        }
        if water {
            waters.push(points);
        } else {
            ways.push(Way {
                name,
                points,
                water_ends: [false; 2],
            });
        }
    }
    let ends: Vec<[bool; 2]> = (0..ways.len())
        .map(|w| {
            let points = &ways[w].points;
            let end = [points[0], points[points.len() - 1]];
            end.map(|p| {
                let others = ways.iter().enumerate().filter(|(o, _)| *o != w);
                near_line(p, waters.iter().map(Vec::as_slice))
                    && !near_line(p, others.map(|(_, o)| o.points.as_slice()))
            })
        })
        .collect();
    for (way, water_ends) in ways.iter_mut().zip(ends) {
        way.water_ends = water_ends;
    }
    Ok(ways)
}

/// Whether a point is within [`AT_WATER_M`] of any of the lines, measured in a plane at the
/// point.
fn near_line<'a>(p: LatLon, mut lines: impl Iterator<Item = &'a [LatLon]>) -> bool {
    let frame = LocalFrame::new(vigil_core::geodesy::Geodetic::from_deg(
        p.lat_deg, p.lon_deg, 0.0,
    ));
    lines.any(|line| {
        line.windows(2).any(|s| {
            let (a, b) = (enu_of(&frame, s[0]), enu_of(&frame, s[1]));
            distance_to_segment_m(a, b, [0.0, 0.0]) <= AT_WATER_M
        })
    })
}

/// A way in the plane.
#[derive(Debug, Clone)]
pub struct PlaneWay {
    pub name: String,
    pub points_en_m: Vec<[f64; 2]>,
    /// See [`Way::water_ends`].
    pub water_ends: [bool; 2],
}

pub fn plane_ways(frame: &LocalFrame, ways: &[Way]) -> Vec<PlaneWay> {
    ways.iter()
        .map(|w| PlaneWay {
            name: w.name.clone(),
            points_en_m: w.points.iter().map(|p| enu_of(frame, *p)).collect(),
            water_ends: w.water_ends,
        })
        .collect()
}

/// Where a track is heading, in the plane.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanePrediction {
    pub track: u64,
    /// The site it is heading for (an index into the sites).
    pub site: usize,
    /// The way it follows there, if any.
    pub way: Option<String>,
    /// Distance along the path to the buffer's edge, m.
    pub distance_m: f64,
    pub speed_mps: f64,
    /// Time to the buffer's edge at its speed, and at its speed one spread higher and lower.
    pub arrival_s: f64,
    pub earliest_s: f64,
    pub latest_s: f64,
    /// From the track to where it enters the buffer.
    pub path_en_m: Vec<[f64; 2]>,
}

/// What a prediction starts from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mover {
    pub track: u64,
    pub pos_en_m: [f64; 2],
    pub vel_en_mps: [f64; 2],
    /// How uncertain its speed is (one standard deviation), m/s.
    pub speed_spread_mps: f64,
}

/// The places and the ways a prediction runs over.
pub struct Terrain<'a> {
    pub ways: &'a [PlaneWay],
    pub sites: &'a [Site],
    pub shapes: &'a [PlaneShape],
}

/// Predicts where a mover is heading within `horizon_s`: the first buffer it is not in
/// already that it enters. `None` when it stands or reaches none in time.
pub fn predict(mover: &Mover, horizon_s: f64, terrain: &Terrain) -> Option<PlanePrediction> {
    let speed_mps = mover.vel_en_mps[0].hypot(mover.vel_en_mps[1]);
    let Reach {
        site,
        way,
        distance_m,
        path_en_m,
    } = follow(mover, speed_mps, horizon_s, terrain)?;
    let spread_mps = mover
        .speed_spread_mps
        .max(MIN_SPEED_SPREAD * speed_mps)
        .min(0.8 * speed_mps);
    Some(PlanePrediction {
        track: mover.track,
        site,
        way,
        distance_m,
        speed_mps,
        arrival_s: distance_m / speed_mps,
        earliest_s: distance_m / (speed_mps + spread_mps),
        latest_s: distance_m / (speed_mps - spread_mps),
        path_en_m,
    })
}

/// Where movers felt within `within_m` of `at` (a ground sensor that tracks nothing) come
/// into site `site`'s buffer if they walk a way that passes there, as most do: from the
/// way's point nearest `at`, along it in the direction that reaches that buffer (within
/// `reach_m`; the nearest way first, then the shorter walk). `None` when no way passing
/// there leads to it.
pub fn way_in_from(
    at: [f64; 2],
    site: usize,
    within_m: f64,
    reach_m: f64,
    terrain: &Terrain,
) -> Option<[f64; 2]> {
    let mut best: Option<(f64, f64, [f64; 2])> = None;
    for way in terrain.ways {
        for pair in way.points_en_m.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let length_m = dx.hypot(dy);
            if length_m <= 0.0 {
                continue;
            }
            let t = (((at[0] - a[0]) * dx + (at[1] - a[1]) * dy) / (length_m * length_m))
                .clamp(0.0, 1.0);
            let foot = [a[0] + dx * t, a[1] + dy * t];
            let off_m = (at[0] - foot[0]).hypot(at[1] - foot[1]);
            if off_m > within_m {
                continue;
            }
            for sign in [1.0, -1.0] {
                let mover = Mover {
                    track: 0,
                    pos_en_m: foot,
                    vel_en_mps: [sign * dx / length_m, sign * dy / length_m],
                    speed_spread_mps: 0.0,
                };
                let Some(p) = predict(&mover, reach_m, terrain).filter(|p| p.site == site) else {
                    continue;
                };
                let Some(entry) = p.path_en_m.last().copied() else {
                    continue;
                };
                let better = best.is_none_or(|(o, d, _)| (off_m, p.distance_m) < (o, d));
                if better {
                    best = Some((off_m, p.distance_m, entry));
                }
            }
        }
    }
    best.map(|(_, _, entry)| entry)
}

/// The site a mover reaches, the way it follows, the distance to the buffer and the path.
struct Reach {
    site: usize,
    way: Option<String>,
    distance_m: f64,
    path_en_m: Vec<[f64; 2]>,
}

fn follow(mover: &Mover, speed_mps: f64, horizon_s: f64, terrain: &Terrain) -> Option<Reach> {
    let Terrain {
        ways,
        sites,
        shapes,
    } = *terrain;
    let (pos_en_m, vel_en_mps) = (mover.pos_en_m, mover.vel_en_mps);
    if speed_mps < MIN_SPEED_MPS || !(speed_mps.is_finite() && horizon_s > 0.0) {
        return None;
    }
    // The buffers it is in already are not where it is heading: a mover in a village's
    // buffer heads for the school, the market or the well inside it (their own buffers).
    let holds =
        |(site, shape): (&Site, &PlaneShape), p: [f64; 2]| shape.distance_m(p) <= site.buffer_m;
    let start: Vec<bool> = (sites.iter().zip(shapes))
        .map(|pair| holds(pair, pos_en_m))
        .collect();
    let in_buffer = |p: [f64; 2]| {
        (sites.iter().zip(shapes))
            .zip(&start)
            .position(|(pair, inside)| !inside && holds(pair, p))
    };
    let reach_m = speed_mps * horizon_s;
    let heading = [vel_en_mps[0] / speed_mps, vel_en_mps[1] / speed_mps];
    let (route, way) = route(pos_en_m, heading, reach_m, ways);
    // Walk the route in steps until a buffer holds the point.
    let mut walked_m = 0.0;
    let mut path = vec![pos_en_m];
    for pair in route.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let length_m = (b[0] - a[0]).hypot(b[1] - a[1]);
        let steps = (length_m / STEP_M).ceil().max(1.0) as usize;
        for step in 1..=steps {
            let f = step as f64 / steps as f64;
            let p = [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f];
            let here_m = walked_m + length_m * f;
            if here_m > reach_m {
                return None;
            }
            if let Some(site) = in_buffer(p) {
                path.push(p);
                return Some(Reach {
                    site,
                    way,
                    distance_m: here_m,
                    path_en_m: path,
                });
            }
        }
        walked_m += length_m;
        path.push(b);
    }
    None
}

/// The line a track is expected to follow for `reach_m`: along the way it is on, or straight.
fn route(
    pos_en_m: [f64; 2],
    heading: [f64; 2],
    reach_m: f64,
    ways: &[PlaneWay],
) -> (Vec<[f64; 2]>, Option<String>) {
    let Some((way, segment, foot, forward)) = on_way(pos_en_m, heading, ways) else {
        return (straight(pos_en_m, heading, reach_m), None);
    };
    let mut route = vec![pos_en_m, foot];
    let mut left_m = reach_m - (foot[0] - pos_en_m[0]).hypot(foot[1] - pos_en_m[1]);
    let mut points: Vec<[f64; 2]> = if forward {
        ways[way].points_en_m[segment + 1..].to_vec()
    } else {
        ways[way].points_en_m[..=segment]
            .iter()
            .rev()
            .copied()
            .collect()
    };
    let mut visited = vec![way];
    loop {
        for p in points {
            let last = route[route.len() - 1];
            left_m -= (p[0] - last[0]).hypot(p[1] - last[1]);
            route.push(p);
            if left_m <= 0.0 {
                return (route, Some(ways[way].name.clone()));
            }
        }
        // The end of the line: onto a way that starts or ends here, or straight on.
        let end = route[route.len() - 1];
        let before = route[route.len() - 2];
        let d = (end[0] - before[0]).hypot(end[1] - before[1]).max(1e-9);
        let dir = [(end[0] - before[0]) / d, (end[1] - before[1]) / d];
        match next_way(end, dir, ways, &visited) {
            Some((next, next_points)) => {
                visited.push(next);
                points = next_points;
            }
            None => {
                route.extend(straight(end, dir, left_m).into_iter().skip(1));
                return (route, Some(ways[way].name.clone()));
            }
        }
    }
}

fn straight(from: [f64; 2], dir: [f64; 2], length_m: f64) -> Vec<[f64; 2]> {
    vec![
        from,
        [from[0] + dir[0] * length_m, from[1] + dir[1] * length_m],
    ]
}

/// The way segment a track is on: (way, segment index, the foot of the perpendicular, whether
/// it moves in the line's direction).
fn on_way(
    pos_en_m: [f64; 2],
    heading: [f64; 2],
    ways: &[PlaneWay],
) -> Option<(usize, usize, [f64; 2], bool)> {
    let mut best: Option<(usize, usize, [f64; 2], bool, f64)> = None;
    for (w, way) in ways.iter().enumerate() {
        for (s, pair) in way.points_en_m.windows(2).enumerate() {
            let (a, b) = (pair[0], pair[1]);
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let len2 = dx * dx + dy * dy;
            if len2 <= 0.0 {
                continue;
            }
            let t =
                (((pos_en_m[0] - a[0]) * dx + (pos_en_m[1] - a[1]) * dy) / len2).clamp(0.0, 1.0);
            let foot = [a[0] + dx * t, a[1] + dy * t];
            let d = (pos_en_m[0] - foot[0]).hypot(pos_en_m[1] - foot[1]);
            if d > SNAP_M || best.as_ref().is_some_and(|b| b.4 <= d) {
                continue;
            }
            let len = len2.sqrt();
            let cos = (heading[0] * dx + heading[1] * dy) / len;
            if cos.abs() < ALONG_RAD.cos() {
                continue;
            }
            best = Some((w, s, foot, cos > 0.0, d));
        }
    }
    best.map(|(w, s, foot, forward, _)| (w, s, foot, forward))
}

/// A way, not yet followed, that starts or ends within [`JOIN_M`] of `end`, the closest to
/// straight on (within 90°), with its points in the direction of travel.
fn next_way(
    end: [f64; 2],
    dir: [f64; 2],
    ways: &[PlaneWay],
    visited: &[usize],
) -> Option<(usize, Vec<[f64; 2]>)> {
    let near = |p: [f64; 2]| (p[0] - end[0]).hypot(p[1] - end[1]) <= JOIN_M;
    let mut best: Option<(usize, Vec<[f64; 2]>, f64)> = None;
    for (w, way) in ways.iter().enumerate() {
        if visited.contains(&w) || way.points_en_m.len() < 2 {
            continue;
        }
        let pts = &way.points_en_m;
        let candidates = [
            (near(pts[0]), pts.clone()),
            (
                near(pts[pts.len() - 1]),
                pts.iter().rev().copied().collect::<Vec<_>>(),
            ),
        ];
        for (joins, points) in candidates {
            if !joins {
                continue;
            }
            let (a, b) = (points[0], points[1]);
            let d = (b[0] - a[0]).hypot(b[1] - a[1]).max(1e-9);
            let cos = (dir[0] * (b[0] - a[0]) + dir[1] * (b[1] - a[1])) / d;
            if cos > 0.0 && best.as_ref().is_none_or(|b| cos > b.2) {
                best = Some((w, points[1..].to_vec(), cos));
            }
        }
    }
    best.map(|(w, points, _)| (w, points))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sites::SiteCategory;

    fn site(buffer_m: f64) -> Site {
        let centre = LatLon {
            lat_deg: 9.0,
            lon_deg: 31.0,
        };
        Site {
            id: 0,
            feature_id: None,
            name: "Testville".into(),
            category: SiteCategory::Village,
            population: None,
            buffer_m,
            sensitive: false,
            outline: vec![vec![centre]],
            centre,
            buffer: Vec::new(),
        }
    }

    fn go(
        pos_en_m: [f64; 2],
        vel_en_mps: [f64; 2],
        horizon_s: f64,
        ways: &[PlaneWay],
        buffer_m: f64,
    ) -> Option<PlanePrediction> {
        let sites = [site(buffer_m)];
        let shapes = [point([0.0, 0.0])];
        let mover = Mover {
            track: 1,
            pos_en_m,
            vel_en_mps,
            speed_spread_mps: 0.1,
        };
        predict(
            &mover,
            horizon_s,
            &Terrain {
                ways,
                sites: &sites,
                shapes: &shapes,
            },
        )
    }

    fn point(centre: [f64; 2]) -> PlaneShape {
        PlaneShape {
            rings: vec![vec![centre]],
            is_point: true,
            centre,
        }
    }

    #[test]
    fn straight_at_a_village_arrives_at_its_buffer() {
        let p = go([1500.0, 0.0], [-1.0, 0.0], 1200.0, &[], 500.0).expect("heading for it");
        assert_eq!((p.site, p.way.as_deref()), (0, None));
        assert!((p.distance_m - 1000.0).abs() <= STEP_M, "{p:?}");
        assert!((p.path_en_m[p.path_en_m.len() - 1][0] - 500.0).abs() <= STEP_M);
        // At 1 m/s with a spread of 0.25 m/s: 1000 s, from 800 s to 1333 s.
        assert!((p.arrival_s - 1000.0).abs() <= STEP_M, "{p:?}");
        assert!((p.earliest_s - 800.0).abs() <= STEP_M, "{p:?}");
        assert!((p.latest_s - 1333.0).abs() <= 2.0 * STEP_M, "{p:?}");
        // Too far for the horizon, walking away, or standing: nothing.
        assert!(go([1500.0, 0.0], [-1.0, 0.0], 600.0, &[], 500.0).is_none());
        assert!(go([1500.0, 0.0], [1.0, 0.0], 1200.0, &[], 500.0).is_none());
        assert!(go([1500.0, 0.0], [-0.1, 0.0], 12000.0, &[], 500.0).is_none());
    }

    #[test]
    fn a_mover_in_a_village_heads_for_the_school_inside_it_not_for_the_village() {
        // A village's 500 m buffer around (0, 0) holds a school at (300, 0) with its own 100 m
        // buffer: a mover in the village walking east is heading for the school.
        let sites = [site(500.0), site(100.0)];
        let shapes = [point([0.0, 0.0]), point([300.0, 0.0])];
        let terrain = Terrain {
            ways: &[],
            sites: &sites,
            shapes: &shapes,
        };
        let mover = |pos_en_m, vel_en_mps| Mover {
            track: 1,
            pos_en_m,
            vel_en_mps,
            speed_spread_mps: 0.1,
        };
        let p = predict(&mover([-100.0, 0.0], [1.0, 0.0]), 600.0, &terrain).expect("the school");
        assert_eq!(p.site, 1);
        assert!((p.distance_m - 300.0).abs() <= STEP_M, "{p:?}");
        // Walking west, out of the village: no other buffer on its way.
        assert!(predict(&mover([-100.0, 0.0], [-1.0, 0.0]), 600.0, &terrain).is_none());
    }

    #[test]
    fn movement_at_a_sensor_beside_a_track_comes_in_where_the_track_enters() {
        // A village's 500 m buffer around (0, 0); the North track comes down from the north
        // east and bends south into it along x = 0. A sensor 60 m off the track at
        // (1060, 2000): straight at the centre it would enter at about (240, 450), along
        // the track at (0, 500).
        let ways = [PlaneWay {
            name: "North track".into(),
            points_en_m: vec![[3000.0, 2000.0], [0.0, 2000.0], [0.0, 0.0]],
            water_ends: [false; 2],
        }];
        let sites = [site(500.0)];
        let shapes = [point([0.0, 0.0])];
        let terrain = Terrain {
            ways: &ways,
            sites: &sites,
            shapes: &shapes,
        };
        let entry =
            way_in_from([1060.0, 2060.0], 0, 100.0, 5000.0, &terrain).expect("along the track");
        assert!(
            entry[0].abs() <= 1.0 && (entry[1] - 500.0).abs() <= STEP_M,
            "{entry:?}"
        );
        // Too far from the track to be on it, or a track leading elsewhere: nothing.
        assert!(way_in_from([1060.0, 2300.0], 0, 100.0, 5000.0, &terrain).is_none());
        let elsewhere = [PlaneWay {
            name: "East road".into(),
            points_en_m: vec![[1000.0, 3000.0], [5000.0, 3000.0]],
            water_ends: [false; 2],
        }];
        let terrain = Terrain {
            ways: &elsewhere,
            ..terrain
        };
        assert!(way_in_from([1060.0, 3060.0], 0, 100.0, 2000.0, &terrain).is_none());
    }

    #[test]
    fn a_track_on_a_way_follows_its_bend_to_the_village() {
        // The track walks west at 1 m/s 2 km north of the village: straight on it misses it,
        // but the track it is on turns south to the village 500 m further west.
        let ways = [PlaneWay {
            name: "North track".into(),
            points_en_m: vec![[1500.0, 2000.0], [0.0, 2000.0], [0.0, 0.0]],
            water_ends: [false; 2],
        }];
        assert!(go([500.0, 2010.0], [-1.0, 0.0], 3000.0, &[], 500.0).is_none());
        let p = go([500.0, 2010.0], [-1.0, 0.0], 3000.0, &ways, 500.0).expect("along the track");
        assert_eq!(p.site, 0);
        assert_eq!(p.way.as_deref(), Some("North track"));
        // 500 m west to the bend, then 1500 m south to the buffer's edge.
        assert!((p.distance_m - 2010.0).abs() <= 2.0 * STEP_M, "{p:?}");
        assert!(p.path_en_m.contains(&[0.0, 2000.0]));
    }

    #[test]
    fn at_the_end_of_a_way_it_turns_onto_the_one_that_goes_on() {
        let ways = [
            PlaneWay {
                name: "Eastern track".into(),
                points_en_m: vec![[2000.0, 1000.0], [1000.0, 1000.0]],
                water_ends: [false; 2],
            },
            PlaneWay {
                name: "Field track".into(),
                // Drawn from the village outwards: followed backwards.
                points_en_m: vec![[0.0, 0.0], [1000.0, 1005.0]],
                water_ends: [false; 2],
            },
            PlaneWay {
                name: "Dead end".into(),
                points_en_m: vec![[1000.0, 1000.0], [1000.0, 3000.0]],
                water_ends: [false; 2],
            },
        ];
        let p =
            go([1800.0, 1000.0], [-1.2, 0.0], 3000.0, &ways, 300.0).expect("onto the field track");
        assert_eq!(p.way.as_deref(), Some("Eastern track"));
        assert!(p.path_en_m.iter().any(|q| q[1] < 900.0), "{p:?}");
    }

    #[test]
    fn the_demo_area_has_its_roads_and_tracks_and_a_bad_file_names_the_place() {
        let ways = parse_ways(DEMO_AREA, "area.geojson").expect("valid");
        assert!(ways.iter().any(|w| w.name == "Eastern track"));
        assert!(
            ways.iter().all(|w| w.name != "Sowe river"),
            "rivers are not ways"
        );
        let water_ends = |name: &str| ways.iter().find(|w| w.name == name).map(|w| w.water_ends);
        assert_eq!(water_ends("Wabenge river path"), Some([false, true]));
        // A ford crosses the river, and a track from the forest ends in no water.
        assert_eq!(water_ends("Sowe ford"), Some([false, false]));
        assert_eq!(water_ends("Eastern track"), Some([false, false]));
        let bad = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"layer":"road","name":"Bad road"},
             "geometry":{"type":"LineString","coordinates":[[31.0,9.0],[31.0,99.0]]}}]}"#;
        let err = parse_ways(bad, "area.geojson")
            .expect_err("latitude 99")
            .to_string();
        assert!(
            err.contains("area.geojson")
                && err.contains("Bad road")
                && err.contains("coordinates[1]"),
            "{err}"
        );
    }

    #[test]
    fn the_demo_groups_way_from_the_forest_to_keradu_is_as_long_as_measured_by_hand() {
        // The armed group of tests/early_warning.rs, on the Eastern track out of the forest:
        // walked point by point in a flat plane (a separate Python calculation over
        // assets/demo/sites.geojson, 1 m steps), its lead enters Keradu's 500 m buffer after
        // 765 m. The prediction follows the way from the group's first, second and third
        // route points at 1.5 m/s.
        let sites = crate::sites::SiteSet::demo().sites;
        let frame = LocalFrame::new(vigil_core::geodesy::Geodetic::from_deg(9.0, 31.0, 0.0));
        let shapes: Vec<PlaneShape> = sites
            .iter()
            .map(|s| {
                let is_point = s.outline.iter().all(|r| r.len() == 1);
                crate::sites::plane_shape(&frame, &s.outline, is_point)
            })
            .collect();
        let ways = plane_ways(&frame, &demo_ways());
        let route = [
            (9.012206, 31.025464),
            (9.011437, 31.023191),
            (9.011302, 31.020462),
        ];
        let at = |i: usize| {
            let (lat_deg, lon_deg) = route[i];
            enu_of(&frame, LatLon { lat_deg, lon_deg })
        };
        let mut walked_m = 0.0;
        for leg in 0..2 {
            let (a, b) = (at(leg), at(leg + 1));
            let d = [b[0] - a[0], b[1] - a[1]];
            let length_m = d[0].hypot(d[1]);
            let mover = Mover {
                track: 1,
                pos_en_m: a,
                vel_en_mps: [1.5 * d[0] / length_m, 1.5 * d[1] / length_m],
                speed_spread_mps: 0.2,
            };
            let terrain = Terrain {
                ways: &ways,
                sites: &sites,
                shapes: &shapes,
            };
            let p = predict(&mover, 3000.0, &terrain).expect("heading for Keradu");
            assert_eq!(sites[p.site].name, "Keradu");
            assert_eq!(p.way.as_deref(), Some("Eastern track"));
            let by_hand_m = 765.0 - walked_m;
            assert!(
                (p.distance_m - by_hand_m).abs() < 15.0,
                "{p:?} against {by_hand_m} m"
            );
            assert!((p.arrival_s - by_hand_m / 1.5).abs() < 10.0, "{p:?}");
            walked_m += length_m;
        }
    }
}
