//! The simulator's local frame: east and north metres from the scenario's origin on a plane
//! tangent to the sphere there. Over a demo area of ten kilometres the error against the
//! ellipsoid is far below the simulated sensor noise, and the simulator converts both ways with
//! the same frame, so its ground truth is consistent with everything it reports.

const EARTH_RADIUS_M: f64 = 6_371_008.8;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlatFrame {
    origin_lat_deg: f64,
    origin_lon_deg: f64,
    cos_lat: f64,
}

impl FlatFrame {
    pub fn new(origin_lat_deg: f64, origin_lon_deg: f64) -> Self {
        Self {
            origin_lat_deg,
            origin_lon_deg,
            cos_lat: origin_lat_deg.to_radians().cos(),
        }
    }

    /// East and north metres of a latitude and longitude.
    pub fn to_en_m(&self, lat_deg: f64, lon_deg: f64) -> [f64; 2] {
        let east_m = (lon_deg - self.origin_lon_deg).to_radians() * EARTH_RADIUS_M * self.cos_lat;
        let north_m = (lat_deg - self.origin_lat_deg).to_radians() * EARTH_RADIUS_M;
        [east_m, north_m]
    }

    /// Latitude and longitude of east and north metres.
    pub fn to_lat_lon_deg(&self, en_m: [f64; 2]) -> (f64, f64) {
        let lat_deg = self.origin_lat_deg + (en_m[1] / EARTH_RADIUS_M).to_degrees();
        let lon_deg =
            self.origin_lon_deg + (en_m[0] / (EARTH_RADIUS_M * self.cos_lat)).to_degrees();
        (lat_deg, lon_deg)
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
        // 0.01 degree of latitude is about 1112 m; of longitude at 9 degrees, 1098 m.
        assert!((north_m - 1111.95).abs() < 0.1, "{north_m}");
        assert!((east_m - 1098.26).abs() < 0.1, "{east_m}");
        let (lat, lon) = frame.to_lat_lon_deg([east_m, north_m]);
        assert!((lat - 9.01).abs() < 1e-12 && (lon - 31.01).abs() < 1e-12);
        assert!((bearing_rad([0.0, 0.0], [1.0, 0.0]) - std::f64::consts::FRAC_PI_2).abs() < 1e-12);
    }
}
