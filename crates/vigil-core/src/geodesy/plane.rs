//! Shapes in a local plane (metres east and north of a [`LocalFrame`](super::LocalFrame)'s
//! origin): whether a point is inside a polygon.
//!
//! Exists so that sites, restricted areas, the coverage grid, camera footprints and the
//! simulator's cameras ask one question one way, decided by the `geo` crate's robust
//! orientation predicate. Written over a slice rather than with `geo`'s `Intersects` on a
//! `Polygon` because that needs a `LineString` built (allocated) per query, and the protection
//! rules ask this of every track against every site on every analysis step.

use geo::kernels::RobustKernel;
use geo::{Coord, Kernel, Orientation};

/// Whether `p` is inside the polygon whose outline is `ring` (closed or not, either winding),
/// its boundary included. Fewer than three points make no polygon: false. A self-crossing
/// outline counts what it winds around (non-zero rule). NaN is never inside.
pub fn point_in_ring(ring: &[[f64; 2]], p: [f64; 2]) -> bool {
    if ring.len() < 3 || !p[0].is_finite() || !p[1].is_finite() {
        return false;
    }
    let p = Coord::from(p);
    let mut winding = 0i32;
    for (i, &a) in ring.iter().enumerate() {
        let (a, b) = (Coord::from(a), Coord::from(ring[(i + 1) % ring.len()]));
        let side = RobustKernel::orient2d(a, b, p);
        if side == Orientation::Collinear && within_box(a, b, p) {
            return true; // on this edge
        }
        if a.y <= p.y {
            if b.y > p.y && side == Orientation::CounterClockwise {
                winding += 1; // an upward crossing with p on its left
            }
        } else if b.y <= p.y && side == Orientation::Clockwise {
            winding -= 1; // a downward crossing with p on its right
        }
    }
    winding != 0
}

/// Whether `p` lies in the bounding box of the segment a–b (for a point known collinear with
/// it: on the segment).
fn within_box(a: Coord, b: Coord, p: Coord) -> bool {
    (a.x.min(b.x)..=a.x.max(b.x)).contains(&p.x) && (a.y.min(b.y)..=a.y.max(b.y)).contains(&p.y)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQUARE: [[f64; 2]; 4] = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]];

    #[test]
    fn inside_outside_and_on_the_edge() {
        assert!(point_in_ring(&SQUARE, [5.0, 5.0]));
        assert!(!point_in_ring(&SQUARE, [15.0, 5.0]));
        assert!(!point_in_ring(&SQUARE, [5.0, -0.001]));
        assert!(point_in_ring(&SQUARE, [10.0, 5.0]), "the boundary counts");
        assert!(point_in_ring(&SQUARE, [0.0, 0.0]), "so do the corners");
    }

    #[test]
    fn closed_or_open_either_winding() {
        let mut closed = SQUARE.to_vec();
        closed.push(SQUARE[0]);
        let mut clockwise = SQUARE.to_vec();
        clockwise.reverse();
        for ring in [&closed[..], &clockwise[..]] {
            assert!(point_in_ring(ring, [1.0, 9.0]));
            assert!(!point_in_ring(ring, [-1.0, 9.0]));
        }
    }

    #[test]
    fn a_concave_ring_and_degenerate_input() {
        // An L: the notch at the top right is outside.
        let ell = [
            [0.0, 0.0],
            [10.0, 0.0],
            [10.0, 4.0],
            [4.0, 4.0],
            [4.0, 10.0],
            [0.0, 10.0],
        ];
        assert!(point_in_ring(&ell, [2.0, 8.0]));
        assert!(point_in_ring(&ell, [8.0, 2.0]));
        assert!(!point_in_ring(&ell, [8.0, 8.0]));
        assert!(!point_in_ring(&SQUARE[..2], [5.0, 0.0]));
        assert!(!point_in_ring(&[], [0.0, 0.0]));
        assert!(!point_in_ring(&SQUARE, [f64::NAN, 5.0]));
    }

    #[test]
    fn agrees_with_geo_polygons_on_a_star() {
        use geo::{Intersects, LineString, Point, Polygon};
        // A five-pointed star drawn as one self-crossing line: the middle pentagon winds
        // twice, so the non-zero rule counts it inside.
        let star: Vec<[f64; 2]> = (0..5)
            .map(|k| {
                let a = f64::from(k * 2) * std::f64::consts::TAU / 5.0;
                [100.0 * a.sin(), 100.0 * a.cos()]
            })
            .collect();
        assert!(point_in_ring(&star, [0.0, 0.0]));
        let simple = [
            [0.0, 0.0],
            [40.0, -10.0],
            [70.0, 30.0],
            [35.0, 5.0],
            [10.0, 50.0],
        ];
        let polygon = Polygon::new(
            simple
                .iter()
                .copied()
                .map(Coord::from)
                .collect::<LineString>(),
            Vec::new(),
        );
        for i in 0..80 {
            for j in 0..80 {
                let p = [f64::from(i) - 5.0, f64::from(j) - 15.0];
                assert_eq!(
                    point_in_ring(&simple, p),
                    polygon.intersects(&Point::from(p)),
                    "{p:?}"
                );
            }
        }
    }
}
