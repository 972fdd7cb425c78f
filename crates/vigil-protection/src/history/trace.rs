//! Tracing a track back from where it was first seen to the place it came from (see the
//! module comment of `history.rs`): in a straight line, along the way it walks on and up a
//! short path off it, and from the water up the path down to it.

use super::{
    ALONG_WAY_COS, JUNCTION_M, Memory, ON_WAY_M, Origin, Places, SPUR_MAX_M, TRACE_AFTER_M,
    TRACE_STEP_M,
};
use crate::sites::distance_to_segment_m;

/// Traces a track back from where it was first seen, along the way it went since, for
/// `lookback_m`: the first place on that path is where it came from.
pub(super) fn traced_origin(memory: &Memory, now_en_m: [f64; 2], places: &Places) -> Origin {
    let [x0, y0] = memory.first_pos_en_m;
    let (dx, dy) = (now_en_m[0] - x0, now_en_m[1] - y0);
    let moved_m = dx.hypot(dy);
    if moved_m < TRACE_AFTER_M {
        return Origin::Undecided;
    }
    // First seen at the water, where a path comes down to it from a home and goes no
    // further: come for water from there, whichever way it moves about at the river (along
    // the bank, back and forth while drawing water) before it walks back up.
    if let Some(index) = at_water_end(memory.first_pos_en_m, places) {
        return Origin::Site(index);
    }
    let (ux, uy) = (dx / moved_m, dy / moved_m);
    let steps = (places.config.lookback_m / TRACE_STEP_M).ceil() as usize;
    let mut from_a_place = false;
    for step in 1..=steps {
        let back_m = step as f64 * TRACE_STEP_M;
        let p = [x0 - ux * back_m, y0 - uy * back_m];
        if let Some(index) = places.home_of(p) {
            return Origin::Site(index);
        }
        from_a_place |= places.place_of(p).is_some();
    }
    if let Some(index) = back_along_way(memory.first_pos_en_m, [ux, uy], places) {
        return Origin::Site(index);
    }
    // From a place that is nobody's home now (the market at nightfall) on the way into a
    // home: a resident of it going home. From nowhere, or from such a place to no home:
    // from outside.
    if from_a_place {
        let [x, y] = now_en_m;
        let ahead = (1..=steps).find_map(|step| {
            let ahead_m = step as f64 * TRACE_STEP_M;
            places.home_of([x + ux * ahead_m, y + uy * ahead_m])
        });
        if let Some(index) = ahead {
            return Origin::Site(index);
        }
    }
    Origin::Outside
}

/// The home at the top of a path down to the water whose water end `first_en_m` is within
/// [`ON_WAY_M`] of (the path's other end in it).
fn at_water_end(first_en_m: [f64; 2], places: &Places) -> Option<usize> {
    places.ways.iter().find_map(|way| {
        let points = &way.points_en_m;
        let ends = [points.first()?, points.last()?];
        (0..2)
            .filter(|&end| way.water_ends[end])
            .filter(|&end| {
                let [x, y] = *ends[end];
                (x - first_en_m[0]).hypot(y - first_en_m[1]) <= ON_WAY_M
            })
            .find_map(|end| places.home_of(*ends[1 - end]))
    })
}

/// The home a track walking along a way came from: back along that way (the one within
/// [`ON_WAY_M`] of where it was first seen, running within [`ALONG_WAY_COS`] of the way it
/// went) for `lookback_m`. The way it went over its first tens of metres is the tracker's
/// noise as much as its walk (a few degrees off, and a straight line back misses a village by
/// metres), and a road bends: the way itself is where it walked.
fn back_along_way(first_en_m: [f64; 2], dir: [f64; 2], places: &Places) -> Option<usize> {
    // The nearest segment of any way that runs the way it went: (way, segment, distance,
    // cosine). At a junction the nearest segment may be the other way's (first seen where
    // the path to the camp leaves the main road, walking along the road).
    let (way, segment, _, cos) = places
        .ways
        .iter()
        .enumerate()
        .flat_map(|(w, way)| {
            way.points_en_m.windows(2).enumerate().map(move |(i, s)| {
                let (a, b) = (s[0], s[1]);
                let len = (b[0] - a[0]).hypot(b[1] - a[1]);
                let cos = if len > 0.0 {
                    ((b[0] - a[0]) * dir[0] + (b[1] - a[1]) * dir[1]) / len
                } else {
                    0.0
                };
                (w, i, distance_to_segment_m(a, b, first_en_m), cos)
            })
        })
        .filter(|(_, _, d, cos)| *d <= ON_WAY_M && cos.abs() >= ALONG_WAY_COS)
        .min_by(|a, b| a.2.total_cmp(&b.2))?;
    let points = &places.ways[way].points_en_m;
    // Walking from a to b came from a's side: back towards the way's start; else its end.
    let mut path: Vec<[f64; 2]> = vec![first_en_m];
    // (Which end of the way is behind it, and the other end.)
    let (behind, other_end) = if cos > 0.0 {
        path.extend(points[..=segment].iter().rev());
        (0, points[points.len() - 1])
    } else {
        path.extend(&points[segment + 1..]);
        (1, points[0])
    };
    let mut left_m = places.config.lookback_m;
    for leg in path.windows(2) {
        let (p, q) = (leg[0], leg[1]);
        let leg_m = (q[0] - p[0]).hypot(q[1] - p[1]);
        let mut t = 0.0;
        while t < leg_m {
            t = (t + TRACE_STEP_M).min(leg_m);
            if t > left_m {
                return None;
            }
            let f = t / leg_m;
            if let Some(index) =
                places.home_of([p[0] + (q[0] - p[0]) * f, p[1] + (q[1] - p[1]) * f])
            {
                return Some(index);
            }
        }
        if let Some(index) = spur_home(places, way, (p, q), left_m) {
            return Some(index);
        }
        left_m -= leg_m;
    }
    // Back at the way's end, where it goes down to the water and no further: who comes up
    // it went there for water from the home at its other end (the night's water run, first
    // seen standing at the river on the way back).
    if places.ways[way].water_ends[behind] {
        return places.home_of(other_end);
    }
    None
}

/// The home at the far end of another way, no longer than [`SPUR_MAX_M`], that leaves the
/// leg `p`–`q` of the way traced back (its near end within [`JUNCTION_M`] of the leg), when
/// the way there is no longer than `left_m`, m: the path to a place set back from the road
/// (the health post, 125 m up its path from the main road, further than `home_margin_m`
/// from where its patients walk the road home).
fn spur_home(
    places: &Places,
    traced: usize,
    (p, q): ([f64; 2], [f64; 2]),
    left_m: f64,
) -> Option<usize> {
    (places.ways.iter().enumerate())
        .filter(|(w, _)| *w != traced)
        .find_map(|(_, way)| {
            let points = &way.points_en_m;
            let ends = [*points.first()?, *points.last()?];
            let len_m: f64 = (points.windows(2))
                .map(|s| (s[1][0] - s[0][0]).hypot(s[1][1] - s[0][1]))
                .sum();
            (0..2)
                .filter(|_| len_m <= SPUR_MAX_M)
                .filter(|&end| distance_to_segment_m(p, q, ends[end]) <= JUNCTION_M)
                .filter(|&end| {
                    let [x, y] = ends[end];
                    (x - p[0]).hypot(y - p[1]) + len_m <= left_m
                })
                .find_map(|end| places.home_of(ends[1 - end]))
        })
}
