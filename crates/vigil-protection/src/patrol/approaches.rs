//! Where the planner looks: each site's approach points — its buffer's edge and the ways
//! into it — minus those the ground sensors cover, with the site's weight.

use super::{PatrolInput, Point, SensorCover, SiteRevisit, THREAT_WEIGHT, WAY_IN_M, risk_weight};
use crate::LatLon;
use crate::sites::{PlaneShape, along, buffer_rings, enu_of, plane_shape};
use vigil_core::geodesy::LocalFrame;

/// Each site's approach points not covered by a sensor (in `frame`, `spacing_m` apart), and
/// its revisit entry (its weight, how many points, how many a sensor covers).
pub(super) fn points(
    input: &PatrolInput,
    frame: &LocalFrame,
    spacing_m: f64,
) -> (Vec<Point>, Vec<SiteRevisit>) {
    let enu = |p: LatLon| enu_of(frame, p);
    let sensors: Vec<([f64; 2], SensorCover)> =
        input.sensors.iter().map(|s| (enu(s.at), *s)).collect();
    let mut points: Vec<Point> = Vec::new();
    let mut revisits: Vec<SiteRevisit> = Vec::new();
    let shapes: Vec<(PlaneShape, f64)> = input
        .sites
        .iter()
        .map(|site| {
            let is_point = site.outline.iter().all(|r| r.len() == 1);
            (plane_shape(frame, &site.outline, is_point), site.buffer_m)
        })
        .collect();
    let ways: Vec<Vec<[f64; 2]>> = input
        .ways
        .iter()
        .map(|w| w.points.iter().map(|p| enu(*p)).collect())
        .collect();
    for (index, site) in input.sites.iter().enumerate() {
        let (shape, buffer_m) = &shapes[index];
        let threat = if input.threatened.contains(&site.id) {
            THREAT_WEIGHT
        } else {
            1.0
        };
        let weight = risk_weight(site, input.night) * threat;
        let mut all = 0;
        let mut by_sensor = 0;
        let edge = buffer_rings(shape, *buffer_m)
            .into_iter()
            .flat_map(|ring| along(&ring, spacing_m));
        let approaches: Vec<[f64; 2]> = edge
            .chain(ways_in(index, &shapes, &ways, spacing_m))
            .collect();
        for at in approaches {
            all += 1;
            if covered(at, &sensors) {
                by_sensor += 1;
            } else {
                points.push(Point {
                    at,
                    site: index,
                    weight,
                });
            }
        }
        revisits.push(SiteRevisit {
            site: site.name.clone(),
            weight,
            revisit_s: None,
            points: all,
            sensor_covered: by_sensor,
        });
    }
    (points, revisits)
}

fn covered(p: [f64; 2], sensors: &[([f64; 2], SensorCover)]) -> bool {
    sensors.iter().any(|(c, s)| {
        let (dx, dy) = (p[0] - c[0], p[1] - c[1]);
        if dx.hypot(dy) > s.radius_m {
            return false;
        }
        match s.sector_rad {
            None => true,
            Some((facing, fov)) => {
                // Bearings clockwise from north, as sensors report them.
                let bearing = dx.atan2(dy);
                let off = (bearing - facing + std::f64::consts::PI)
                    .rem_euclid(std::f64::consts::TAU)
                    - std::f64::consts::PI;
                off.abs() <= fov / 2.0
            }
        }
    })
}

/// Points `spacing_m` apart along the ways that lead into site `index`'s buffer, from its edge
/// out to [`WAY_IN_M`] beyond it, outside every site's buffer (inside one, that site's own
/// points watch it). A way that passes by without entering is no way in.
fn ways_in(
    index: usize,
    shapes: &[(PlaneShape, f64)],
    ways: &[Vec<[f64; 2]>],
    spacing_m: f64,
) -> Vec<[f64; 2]> {
    let (shape, buffer_m) = &shapes[index];
    let mut out = Vec::new();
    // Half a spacing beyond the edge: the edge's own points are there.
    let band = buffer_m + spacing_m / 2.0..=buffer_m + WAY_IN_M;
    for way in ways {
        let samples: Vec<([f64; 2], f64)> = along(way, spacing_m)
            .into_iter()
            .chain(way.last().copied())
            .map(|p| (p, shape.distance_m(p)))
            .collect();
        if samples.iter().all(|(_, d)| d > buffer_m) {
            continue;
        }
        out.extend(samples.into_iter().filter_map(|(p, d)| {
            (band.contains(&d) && shapes.iter().all(|(s, b)| s.distance_m(p) > *b)).then_some(p)
        }));
    }
    out
}
