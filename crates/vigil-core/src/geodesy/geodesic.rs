//! Distance, bearing and destination along geodesics (shortest paths) on the WGS84 ellipsoid.
//!
//! Exists because "how far is the drone from the observation post, and in which direction"
//! must be right to the millimetre at 100 m and to the metre across a continent, and must not
//! fail for nearly antipodal points where Vincenty's iteration does not converge.
//!
//! These are thin wrappers over the `geo` crate's [`geo::Geodesic`], which is C. F. F. Karney's
//! algorithm ("Algorithms for geodesics", J. Geodesy 87:43, 2013) from `geographiclib-rs`: it
//! is accurate to about 15 nanometres for any pair of points and always converges. They take
//! [`Geodetic`] positions and radians where `geo` takes (longitude, latitude) points and
//! degrees. `geo` gives no azimuth at the far end; it is the reverse bearing plus π (see
//! the tests), and no caller needs it.

use geo::{Bearing, Destination, Distance, Geodesic, Point};

use super::wgs84::Geodetic;

/// Shortest distance from `a` to `b` along the ellipsoid, metres (heights ignored). NaN in
/// gives NaN out.
pub fn distance_m(a: &Geodetic, b: &Geodetic) -> f64 {
    Geodesic.distance(point_of(a), point_of(b))
}

/// Initial bearing of the shortest path from `a` to `b`, clockwise from north, radians in
/// [0, 2π). For coincident points it is whatever the limit gives (0 or π).
pub fn initial_bearing_rad(a: &Geodetic, b: &Geodetic) -> f64 {
    let rad = Geodesic.bearing(point_of(a), point_of(b)).to_radians();
    // Degrees just below 360 may round to 2π in radians; + 0.0 turns -0 into 0.
    if rad >= std::f64::consts::TAU {
        0.0
    } else {
        rad + 0.0
    }
}

/// The point reached by travelling `distance_m` along the geodesic that leaves `a` with
/// bearing `bearing_rad` (clockwise from north). The height of `a` is kept; the longitude is
/// returned in [-π, π]. Negative distances travel backwards.
pub fn destination(a: &Geodetic, bearing_rad: f64, distance_m: f64) -> Geodetic {
    let to = Geodesic.destination(point_of(a), bearing_rad.to_degrees(), distance_m);
    Geodetic::from_deg(to.y(), to.x(), a.alt_hae_m)
}

/// A position as `geo`'s (longitude, latitude) point in degrees, the latitude clamped to ±90°
/// (radians → degrees may overshoot 90 by an ulp, and beyond 90 GeographicLib gives NaN).
fn point_of(p: &Geodetic) -> Point {
    Point::new(p.lon_deg(), p.lat_deg().clamp(-90.0, 90.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    // Generated with geographiclib 2.1 (Python 3.11.7).
    // (lat1, lon1, lat2, lon2, s12_m, azi1_deg, azi2_deg): Geodesic.WGS84.Inverse.
    #[rustfmt::skip]
    const INVERSE_REFERENCE: &[(f64, f64, f64, f64, f64, f64, f64)] = &[
        (0.0, 0.0, 0.0, 0.0001, 11.131949079327358, 90.0, 90.0), // 11 m along the equator
        (4.8594, 31.5713, 4.8595, 31.5714, 15.662734948623145, 45.08788364005955, 45.087892111235284), // 15 m in Juba
        (33.8938, 35.5018, 33.9, 35.51, 1023.8246278278851, 47.798984638509886, 47.80355778016345), // 1 km in Beirut
        (-1.6792, 29.2228, -1.5, 29.5, 36662.101151279065, 57.2877246319392, 57.28003502540994), // 36 km near Goma
        (15.5007, 32.5599, 14.8, 33.2, 103652.97933720257, 138.33320374669512, 138.50050047121772), // 100 km near Khartoum
        (60.0, 10.0, 60.5, 10.9, 74748.23341093384, 41.42808171136337, 42.20947205326931), // 70 km in Norway
        (78.2232, 15.6267, 78.9, 11.9, 111866.9324240567, -45.70916407781251, -49.36196049133704), // 100 km on Svalbard
        (-79.9, -70.0, -79.0, -69.0, 102546.11169977677, 11.993657752912831, 11.010531088438144), // 100 km near 80S
        (0.0, 179.9, 0.0, -179.9, 22263.898158653446, 90.0, 90.0), // across the antimeridian
        (89.9, 0.0, 89.9, 180.0, 22338.795682520195, 0.0, 180.0), // across the North Pole
        (-41.32, 174.81, 40.96, -5.5, 19959679.26735382, 161.06766998616015, 18.825195123247063), // GeographicLib documentation example
        (40.6892, -74.0445, 51.4778, -0.0015, 5598774.482880577, 51.220202039286946, 108.47040272221525), // New York to Greenwich
        (0.0, 0.0, 0.5, 179.5, 19936288.578965314, 25.67187286829188, 154.3270854699416), // nearly antipodal
        (0.0, 0.0, 0.0, 179.7, 19995624.889961265, 29.828768395683454, 150.17123160431655), // nearly antipodal on the equator
        (30.0, 0.0, -30.0, 179.9, 20003008.42150941, 11.030296532633967, 168.96970346736603), // nearly antipodal, Vincenty fails
        (10.0, 20.0, -10.0, -160.0, 20003931.458625447, -0.0, -180.0), // exactly antipodal
        (0.0, 0.0, 90.0, 0.0, 10001965.729312724, 0.0, 0.0), // equator to North Pole
        (-33.8568, 151.2153, 35.6586, 139.7454, 7787514.967297507, -9.930501399459247, -10.150896737953998), // Sydney to Tokyo
        (45.0, 7.0, 45.0, 7.0, 0.0, 180.0, 180.0), // zero distance
        (-12.0, 96.0, -12.0, 96.0009, 98.01238597843826, 90.00009356026086, 89.99990643973914), // 100 m east
    ];

    // Generated with geographiclib 2.1 (Python 3.11.7).
    // (lat1, lon1, azi1_deg, s12_m, lat2, lon2, azi2_deg): Geodesic.WGS84.Direct.
    #[rustfmt::skip]
    const DIRECT_REFERENCE: &[(f64, f64, f64, f64, f64, f64, f64)] = &[
        (4.8594, 31.5713, 45.0, 1000.0, 4.865794366353935, 31.57767486961573, 45.00054037531323), // 1 km NE from Juba
        (33.8938, 35.5018, 200.0, 25000.0, 33.68196759599744, 35.40958926174739, -160.05128031996367), // 25 km from Beirut
        (-1.6792, 29.2228, 300.0, 100000.0, -1.2268763469767774, 28.44466696141307, -59.98026796814352), // 100 km from Goma
        (78.2232, 15.6267, 10.0, 80000.0, 78.92815215309298, 16.274425707615386, 10.63490471239692), // 80 km on Svalbard
        (-79.99, -70.5, 180.0, 50000.0, -80.43778246897816, -70.5, 180.0), // 50 km south of 80S
        (0.0, 179.99, 90.0, 5000.0, 0.0, -179.96508423579402, 90.0), // across the antimeridian
        (40.6892, -74.0445, 51.0, 5570000.0, 51.71959280120372, -0.3106003442719043, 108.08698583886714), // transatlantic
        (89.99, 0.0, 0.0, 10000.0, 89.92046965917716, 180.0, 180.0), // over the North Pole
        (10.0, -20.0, 270.0, 0.0, 10.000000000000002, -20.0, -90.0), // zero distance
    ];

    /// Angular difference in degrees, folded into [0, 180].
    fn angle_diff_deg(a: f64, b: f64) -> f64 {
        let d = (a - b).rem_euclid(360.0);
        d.min(360.0 - d)
    }

    /// Distance, and the azimuths at both ends in degrees: the one on arrival at `b` is the
    /// reverse geodesic's initial bearing turned round.
    fn inverse(a: &Geodetic, b: &Geodetic) -> (f64, f64, f64) {
        (
            distance_m(a, b),
            initial_bearing_rad(a, b).to_degrees(),
            (initial_bearing_rad(b, a).to_degrees() + 180.0).rem_euclid(360.0),
        )
    }

    #[test]
    fn inverse_matches_geographiclib() {
        for &(lat1, lon1, lat2, lon2, s12, azi1, azi2) in INVERSE_REFERENCE {
            let a = Geodetic::from_deg(lat1, lon1, 0.0);
            let b = Geodetic::from_deg(lat2, lon2, 0.0);
            let (dist_m, az1, az2) = inverse(&a, &b);
            let case = format!("({lat1}, {lon1}) -> ({lat2}, {lon2})");
            assert!((dist_m - s12).abs() < 1e-6, "{case}: {dist_m} vs {s12}");
            let antipodal = lat1 == -lat2 && (lon1 - lon2).abs() == 180.0;
            if s12 > 0.0 && !antipodal {
                // Exactly antipodal and coincident points have no unique azimuth.
                // Compare the sideways offset an azimuth error makes at the far end.
                let off1_m = angle_diff_deg(az1, azi1).to_radians() * s12;
                assert!(off1_m < 1e-6, "{case}: azi1 {az1} vs {azi1}");
                // Between opposite latitudes a half turn of the Earth swaps the two points,
                // so a nearly antipodal pair has two shortest paths, and the reverse one
                // found may be the other's: the arrival azimuth is not unique there.
                if lat1 != -lat2 || lat1 == 0.0 {
                    let off2_m = angle_diff_deg(az2, azi2).to_radians() * s12;
                    assert!(off2_m < 1e-6, "{case}: azi2 {az2} vs {azi2}");
                }
            }
        }
    }

    #[test]
    fn published_geographiclib_example() {
        // From the geographiclib documentation: Inverse(-41.32, 174.81, 40.96, -5.50).
        let (dist_m, azi1, azi2) = inverse(
            &Geodetic::from_deg(-41.32, 174.81, 0.0),
            &Geodetic::from_deg(40.96, -5.50, 0.0),
        );
        assert!((dist_m - 19_959_679.267_353_82).abs() < 1e-6, "{dist_m}");
        assert!((azi1 - 161.067_669_986_158_82).abs() < 1e-9, "{azi1}");
        assert!((azi2 - 18.825_195_123_248_392).abs() < 1e-9, "{azi2}");
    }

    #[test]
    fn direct_matches_geographiclib() {
        for &(lat1, lon1, azi1, s12, lat2, lon2, _azi2) in DIRECT_REFERENCE {
            let from = Geodetic::from_deg(lat1, lon1, 123.0);
            let to = destination(&from, azi1.to_radians(), s12);
            let want = Geodetic::from_deg(lat2, lon2, 123.0);
            let err = crate::geodesy::wgs84::ecef_from_geodetic(&to)
                - crate::geodesy::wgs84::ecef_from_geodetic(&want);
            assert!(
                err.norm() < 1e-6,
                "({lat1}, {lon1}) {azi1}° {s12} m: {to:?}"
            );
            assert_eq!(to.alt_hae_m, 123.0);
            assert!(to.lon_rad.abs() <= PI);
        }
    }

    #[test]
    fn direct_then_inverse_round_trip() {
        let mut worst_m: f64 = 0.0;
        for i in 0..200u32 {
            let t = f64::from(i);
            let lat = -89.0 + (t * 37.0) % 178.0;
            let lon = -180.0 + (t * 53.0) % 360.0;
            let bearing = (t * 0.731).rem_euclid(2.0 * PI);
            let dist =
                [0.5, 10.0, 1_000.0, 50_000.0, 100_000.0, 3e6, 1.5e7, 1.95e7][i as usize % 8];
            let from = Geodetic::from_deg(lat, lon, 0.0);
            let to = destination(&from, bearing, dist);
            let back_m = distance_m(&from, &to);
            worst_m = worst_m.max((back_m - dist).abs());
            assert!(
                (back_m - dist).abs() < 1e-6,
                "{from:?} {bearing} {dist}: {back_m}"
            );
            if (10.0..1e7).contains(&dist) {
                let d = (initial_bearing_rad(&from, &to) - bearing).rem_euclid(2.0 * PI);
                assert!(d.min(2.0 * PI - d) < 1e-9, "{from:?} {bearing} {dist}: {d}");
            }
        }
        assert!(worst_m < 1e-6);
    }

    #[test]
    fn nearly_antipodal_points_converge() {
        // Vincenty's method fails to converge for these; Karney's must not.
        for (lat2, lon2) in [
            (0.5, 179.5),
            (0.0, 179.7),
            (-0.0001, 179.9999),
            (1e-9, 180.0),
        ] {
            let (a, b) = (
                Geodetic::from_deg(0.0, 0.0, 0.0),
                Geodetic::from_deg(lat2, lon2, 0.0),
            );
            let dist_m = distance_m(&a, &b);
            assert!(dist_m > 19_900_000.0 && dist_m < 20_004_000.0, "{dist_m}");
            assert!(initial_bearing_rad(&a, &b).is_finite());
        }
    }

    #[test]
    fn bearings_are_in_range_and_clockwise_from_north() {
        let origin = Geodetic::from_deg(10.0, 10.0, 0.0);
        let west = Geodetic::from_deg(10.0, 9.99, 0.0);
        let south = Geodetic::from_deg(9.99, 10.0, 0.0);
        let east = Geodetic::from_deg(10.0, 10.01, 0.0);
        let north = Geodetic::from_deg(10.01, 10.0, 0.0);
        assert!(initial_bearing_rad(&origin, &north) < 1e-12);
        assert!((initial_bearing_rad(&origin, &east) - PI / 2.0).abs() < 1e-3);
        assert!((initial_bearing_rad(&origin, &south) - PI).abs() < 1e-12);
        assert!((initial_bearing_rad(&origin, &west) - 1.5 * PI).abs() < 1e-3);
        assert_eq!(distance_m(&origin, &origin), 0.0);
        let b = initial_bearing_rad(&origin, &origin);
        assert!((0.0..2.0 * PI).contains(&b));
    }

    #[test]
    fn non_finite_input_gives_nan_not_a_hang() {
        let nan = Geodetic::new(f64::NAN, 0.0, 0.0);
        let p = Geodetic::from_deg(1.0, 2.0, 0.0);
        assert!(distance_m(&nan, &p).is_nan());
        assert!(distance_m(&p, &Geodetic::new(0.0, f64::INFINITY, 0.0)).is_nan());
        assert!(destination(&p, f64::NAN, 10.0).lat_rad.is_nan());
        assert!(destination(&p, 0.0, f64::INFINITY).lat_rad.is_nan());
    }
}
