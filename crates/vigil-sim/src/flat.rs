//! The simulator's local frame: east and north metres from the scenario's origin on the plane
//! tangent to the WGS84 ellipsoid there ([`LocalFrame::en_m`], the one the station measures
//! in), so that a simulated sensor's range and bearing are what the station would compute
//! between the same two positions. The simulator converts both ways with the same frame, so
//! its ground truth is consistent with everything it reports.

use vigil_core::geodesy::{Geodetic, LocalFrame};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlatFrame {
    plane: LocalFrame,
}

impl FlatFrame {
    pub fn new(origin_lat_deg: f64, origin_lon_deg: f64) -> Self {
        Self {
            plane: LocalFrame::new(Geodetic::from_deg(origin_lat_deg, origin_lon_deg, 0.0)),
        }
    }

    /// East and north metres of a latitude and longitude.
    pub fn to_en_m(&self, lat_deg: f64, lon_deg: f64) -> [f64; 2] {
        self.plane.en_m(&Geodetic::from_deg(lat_deg, lon_deg, 0.0))
    }

    /// Latitude and longitude of east and north metres.
    pub fn to_lat_lon_deg(&self, en_m: [f64; 2]) -> (f64, f64) {
        let p = self.plane.surface_at_en_m(en_m);
        (p.lat_deg(), p.lon_deg())
    }
}

/// Distance between two points of the plane.
pub fn distance_m(a: [f64; 2], b: [f64; 2]) -> f64 {
    (b[0] - a[0]).hypot(b[1] - a[1])
}

/// Bearing from `a` to `b`, clockwise from north, in [0, 2π).
pub fn bearing_rad(a: [f64; 2], b: [f64; 2]) -> f64 {
    (b[0] - a[0])
        .atan2(b[1] - a[1])
        .rem_euclid(std::f64::consts::TAU)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_trip_and_scale_like_the_earth() {
        let frame = FlatFrame::new(9.0, 31.0);
        let [east_m, north_m] = frame.to_en_m(9.01, 31.01);
        // On the ellipsoid 0.01 degree of latitude at 9°N is 1106 m; of longitude, 1100 m.
        assert!((north_m - 1105.98).abs() < 0.1, "{north_m}");
        assert!((east_m - 1099.55).abs() < 0.1, "{east_m}");
        let (lat, lon) = frame.to_lat_lon_deg([east_m, north_m]);
        assert!(
            (lat - 9.01).abs() < 1e-11 && (lon - 31.01).abs() < 1e-11,
            "{lat} {lon}"
        );
        assert!((bearing_rad([0.0, 0.0], [1.0, 0.0]) - std::f64::consts::FRAC_PI_2).abs() < 1e-12);
    }
}
