//! The WGS84 ellipsoid: geodetic positions, Earth-centred Earth-fixed (ECEF) coordinates and
//! local East-North-Up / North-East-Down tangent frames.
//!
//! Exists because every other position format (UTM, MGRS, a tracker's local plane, a camera
//! footprint) goes through ECEF, and the ECEF → geodetic step is where naive code loses
//! millimetres near the poles or fails near the Earth's centre.

use nalgebra::{Matrix3, Vector3};

/// Semi-major axis (equatorial radius) of WGS84, metres.
pub const WGS84_A_M: f64 = 6_378_137.0;
/// Flattening of WGS84.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// Semi-minor axis (polar radius) of WGS84, metres.
pub const WGS84_B_M: f64 = WGS84_A_M * (1.0 - WGS84_F);
/// First eccentricity squared of WGS84.
pub const WGS84_E2: f64 = WGS84_F * (2.0 - WGS84_F);

/// A position given by geodetic latitude, longitude and height above the WGS84 ellipsoid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geodetic {
    /// Geodetic latitude, radians, positive north, in [-π/2, π/2].
    pub lat_rad: f64,
    /// Longitude, radians, positive east.
    pub lon_rad: f64,
    /// Height above the ellipsoid (not above mean sea level), metres.
    pub alt_hae_m: f64,
}

impl Geodetic {
    /// A position from radians and metres.
    pub fn new(lat_rad: f64, lon_rad: f64, alt_hae_m: f64) -> Self {
        Self {
            lat_rad,
            lon_rad,
            alt_hae_m,
        }
    }

    /// A position from degrees and metres above the ellipsoid.
    pub fn from_deg(lat_deg: f64, lon_deg: f64, alt_hae_m: f64) -> Self {
        Self::new(lat_deg.to_radians(), lon_deg.to_radians(), alt_hae_m)
    }

    /// Latitude in degrees.
    pub fn lat_deg(&self) -> f64 {
        self.lat_rad.to_degrees()
    }

    /// Longitude in degrees.
    pub fn lon_deg(&self) -> f64 {
        self.lon_rad.to_degrees()
    }

    /// North and east metres from `self` to `to` on the tangent plane at `self`
    /// ([`LocalFrame::en_m`] there), heights ignored. For one origin and many points, keep a
    /// [`LocalFrame`] instead: this builds one each call.
    pub fn ne_m_to(&self, to: &Geodetic) -> [f64; 2] {
        let [east_m, north_m] = LocalFrame::new(self.on_surface()).en_m(to);
        [north_m, east_m]
    }

    /// The position `ne_m` (north, east metres) from `self` on the tangent plane at `self`
    /// ([`LocalFrame::surface_at_en_m`] there); the height of `self` is kept. The inverse of
    /// [`Self::ne_m_to`]: what dead reckoning by a velocity over a short time needs.
    pub fn offset_by_ne_m(&self, ne_m: [f64; 2]) -> Geodetic {
        if ne_m == [0.0, 0.0] {
            // Exactly where it was: the round trip through ECEF would move it by an ulp, and
            // something standing still must not creep.
            return *self;
        }
        let moved = LocalFrame::new(self.on_surface()).surface_at_en_m([ne_m[1], ne_m[0]]);
        Geodetic::new(moved.lat_rad, moved.lon_rad, self.alt_hae_m)
    }

    /// The same latitude and longitude at height 0.
    fn on_surface(&self) -> Geodetic {
        Geodetic::new(self.lat_rad, self.lon_rad, 0.0)
    }
}

/// Radius of curvature in the prime vertical at a latitude with this sine, metres.
fn prime_vertical_radius_m(sin_lat: f64) -> f64 {
    WGS84_A_M / (1.0 - WGS84_E2 * sin_lat * sin_lat).sqrt()
}

/// ECEF position (metres) of a geodetic position. Exact up to rounding.
pub fn ecef_from_geodetic(pos: &Geodetic) -> Vector3<f64> {
    let (sin_lat, cos_lat) = pos.lat_rad.sin_cos();
    let (sin_lon, cos_lon) = pos.lon_rad.sin_cos();
    let n_m = prime_vertical_radius_m(sin_lat);
    let r_m = (n_m + pos.alt_hae_m) * cos_lat;
    Vector3::new(
        r_m * cos_lon,
        r_m * sin_lon,
        ((1.0 - WGS84_E2) * n_m + pos.alt_hae_m) * sin_lat,
    )
}

/// Geodetic position of an ECEF position (metres).
///
/// Closed form after Vermeille (2002, J. Geodesy 76:451) with the rearrangements of Karney's
/// GeographicLib `Geocentric` that keep it accurate everywhere: at the poles, on the equator,
/// far out in space and inside the Earth down to its centre (which maps to the North Pole at
/// height -b). Round trips agree to a few nanometres; see the tests.
pub fn geodetic_from_ecef(pos_ecef_m: &Vector3<f64>) -> Geodetic {
    let (x_m, y_m, z_m) = (pos_ecef_m.x, pos_ecef_m.y, pos_ecef_m.z);
    let r_m = x_m.hypot(y_m);
    let lon_rad = if r_m == 0.0 { 0.0 } else { y_m.atan2(x_m) };
    // Beyond this the Earth is a point; also avoids overflow in the closed form.
    let max_radius_m = 2.0 * WGS84_A_M / f64::EPSILON;
    let dist_m = r_m.hypot(z_m);
    let (sin_lat, cos_lat, alt_hae_m) = if dist_m > max_radius_m {
        let half_r = (x_m / 2.0).hypot(y_m / 2.0);
        let h = (z_m / 2.0).hypot(half_r);
        ((z_m / 2.0) / h, half_r / h, dist_m)
    } else {
        latitude_and_height(r_m, z_m)
    };
    Geodetic::new(sin_lat.atan2(cos_lat), lon_rad, alt_hae_m)
}

/// The core of [`geodetic_from_ecef`]: (sin lat, cos lat, height) from the distance to the
/// axis `r_m` and the height above the equatorial plane `z_m`.
fn latitude_and_height(r_m: f64, z_m: f64) -> (f64, f64, f64) {
    let e2 = WGS84_E2;
    let e4 = e2 * e2;
    let e2m = 1.0 - e2;
    let p = (r_m / WGS84_A_M).powi(2);
    let q = e2m * (z_m / WGS84_A_M).powi(2);
    let r = (p + q - e4) / 6.0;
    if e4 * q == 0.0 && r <= 0.0 {
        // On the equatorial plane inside the evolute: the general formulas give 0/0.
        let zz = ((e4 - p) / e2m).sqrt();
        let xx = p.sqrt();
        let h = zz.hypot(xx);
        let sin_lat = if z_m < 0.0 { -zz / h } else { zz / h };
        return (sin_lat, xx / h, -WGS84_A_M * e2m * h / e2);
    }
    let k = vermeille_k(p, q, r);
    let d = k * r_m / (k + e2);
    let h = (z_m / k).hypot(r_m / (k + e2));
    let alt_hae_m = (1.0 - e2m / k) * d.hypot(z_m);
    ((z_m / k) / h, (r_m / (k + e2)) / h, alt_hae_m)
}

/// Vermeille's k = sqrt(u + v + w²) - w from p, q and r, arranged against cancellation.
fn vermeille_k(p: f64, q: f64, r: f64) -> f64 {
    let e2 = WGS84_E2;
    let e4 = e2 * e2;
    let s = e4 * p * q / 4.0; // r³·s in Vermeille's notation
    let r2 = r * r;
    let r3 = r * r2;
    let disc = s * (2.0 * r3 + s);
    let u = if disc >= 0.0 {
        let mut t3 = s + r3;
        // Take the sign of the root that maximises |t3|, to avoid cancellation.
        t3 += if t3 < 0.0 { -disc.sqrt() } else { disc.sqrt() };
        let t = t3.cbrt();
        r + t + if t != 0.0 { r2 / t } else { 0.0 }
    } else {
        // Three real roots; pick the one that avoids cancellation (here r < 0).
        let ang = (-disc).sqrt().atan2(-(s + r3));
        r + 2.0 * r * (ang / 3.0).cos()
    };
    let v = (u * u + e4 * q).sqrt();
    let uv = if u < 0.0 { e4 * q / (v - u) } else { u + v };
    let w = (e2 * (uv - q) / (2.0 * v)).max(0.0);
    uv / ((uv + w * w).sqrt() + w)
}

/// A local tangent frame (East-North-Up and North-East-Down) at a fixed origin.
///
/// Build one per origin and reuse it: the rotation is computed once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalFrame {
    origin: Geodetic,
    origin_ecef_m: Vector3<f64>,
    enu_from_ecef: Matrix3<f64>,
}

impl LocalFrame {
    /// The tangent frame at `origin` (its height included: the frame's up axis starts there).
    pub fn new(origin: Geodetic) -> Self {
        let (sin_lat, cos_lat) = origin.lat_rad.sin_cos();
        let (sin_lon, cos_lon) = origin.lon_rad.sin_cos();
        #[rustfmt::skip]
        let enu_from_ecef = Matrix3::new(
            -sin_lon,            cos_lon,            0.0,
            -sin_lat * cos_lon, -sin_lat * sin_lon, cos_lat,
             cos_lat * cos_lon,  cos_lat * sin_lon, sin_lat,
        );
        Self {
            origin,
            origin_ecef_m: ecef_from_geodetic(&origin),
            enu_from_ecef,
        }
    }

    /// The origin of the frame.
    pub fn origin(&self) -> Geodetic {
        self.origin
    }

    /// The origin of the frame in ECEF, metres.
    pub fn origin_ecef_m(&self) -> Vector3<f64> {
        self.origin_ecef_m
    }

    /// Rotation taking ECEF vectors to ENU vectors (`v_enu = R * v_ecef`).
    pub fn rot_enu_from_ecef(&self) -> Matrix3<f64> {
        self.enu_from_ecef
    }

    /// Rotation taking ENU vectors to ECEF vectors (the transpose of [`Self::rot_enu_from_ecef`]).
    pub fn rot_ecef_from_enu(&self) -> Matrix3<f64> {
        self.enu_from_ecef.transpose()
    }

    /// Rotation taking ECEF vectors to NED vectors.
    pub fn rot_ned_from_ecef(&self) -> Matrix3<f64> {
        Self::rot_ned_from_enu() * self.enu_from_ecef
    }

    /// Rotation taking ENU vectors to NED vectors: swaps east and north and negates up. It is
    /// its own inverse, so it also takes NED to ENU.
    #[rustfmt::skip]
    pub fn rot_ned_from_enu() -> Matrix3<f64> {
        Matrix3::new(
            0.0, 1.0, 0.0,
            1.0, 0.0, 0.0,
            0.0, 0.0, -1.0,
        )
    }

    /// ENU position (metres) of an ECEF position.
    pub fn enu_from_ecef(&self, pos_ecef_m: &Vector3<f64>) -> Vector3<f64> {
        self.enu_from_ecef * (pos_ecef_m - self.origin_ecef_m)
    }

    /// ECEF position (metres) of an ENU position.
    pub fn ecef_from_enu(&self, pos_enu_m: &Vector3<f64>) -> Vector3<f64> {
        self.origin_ecef_m + self.enu_from_ecef.tr_mul(pos_enu_m)
    }

    /// NED position (metres) of an ECEF position.
    pub fn ned_from_ecef(&self, pos_ecef_m: &Vector3<f64>) -> Vector3<f64> {
        ned_from_enu(&self.enu_from_ecef(pos_ecef_m))
    }

    /// ECEF position (metres) of a NED position.
    pub fn ecef_from_ned(&self, pos_ned_m: &Vector3<f64>) -> Vector3<f64> {
        self.ecef_from_enu(&ned_from_enu(pos_ned_m))
    }

    /// ENU position (metres) of a geodetic position.
    pub fn enu_from_geodetic(&self, pos: &Geodetic) -> Vector3<f64> {
        self.enu_from_ecef(&ecef_from_geodetic(pos))
    }

    /// Geodetic position of an ENU position (metres).
    pub fn geodetic_from_enu(&self, pos_enu_m: &Vector3<f64>) -> Geodetic {
        geodetic_from_ecef(&self.ecef_from_enu(pos_enu_m))
    }

    /// East and north metres of where `pos` meets the ellipsoid (its height ignored), seen
    /// straight down onto the tangent plane: the plane that maps, sites, surveys and the
    /// simulator's ground do their geometry in. Exactly undone by [`Self::surface_at_en_m`].
    pub fn en_m(&self, pos: &Geodetic) -> [f64; 2] {
        let enu_m = self.enu_from_geodetic(&Geodetic::new(pos.lat_rad, pos.lon_rad, 0.0));
        [enu_m.x, enu_m.y]
    }

    /// The point of the ellipsoid (height 0) straight below or above `en_m` (east, north
    /// metres) of the tangent plane: the inverse of [`Self::en_m`], to a micrometre at 20 km.
    pub fn surface_at_en_m(&self, en_m: [f64; 2]) -> Geodetic {
        // Brought down along its own normal, the plane point lands about d³/2R² short of the
        // vertical through it (0.2 mm at 2.8 km); one more step from the height of that foot
        // puts it on the vertical, d⁴/2R³ (0.3 mm at 20 km) from the ellipsoid, which lowering it
        // along its normal to height 0 moves sideways by a nanometre.
        let [east_m, north_m] = en_m;
        let first = self.geodetic_from_enu(&Vector3::new(east_m, north_m, 0.0));
        let up_m = self
            .enu_from_geodetic(&Geodetic::new(first.lat_rad, first.lon_rad, 0.0))
            .z;
        let second = self.geodetic_from_enu(&Vector3::new(east_m, north_m, up_m));
        Geodetic::new(second.lat_rad, second.lon_rad, 0.0)
    }

    /// NED position (metres) of a geodetic position.
    pub fn ned_from_geodetic(&self, pos: &Geodetic) -> Vector3<f64> {
        self.ned_from_ecef(&ecef_from_geodetic(pos))
    }

    /// Geodetic position of a NED position (metres).
    pub fn geodetic_from_ned(&self, pos_ned_m: &Vector3<f64>) -> Geodetic {
        geodetic_from_ecef(&self.ecef_from_ned(pos_ned_m))
    }
}

/// Swaps the first two components and negates the third: ENU → NED and NED → ENU.
fn ned_from_enu(v: &Vector3<f64>) -> Vector3<f64> {
    Vector3::new(v.y, v.x, -v.z)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::{FRAC_PI_2, PI};

    const MM: f64 = 1e-3;

    // Generated with pyproj 3.7.2 (PROJ 9.5.1), Python 3.11.7.
    // (lat_deg, lon_deg, alt_hae_m, x_m, y_m, z_m): pyproj EPSG:4979 -> EPSG:4978.
    #[rustfmt::skip]
    const ECEF_REFERENCE: &[(f64, f64, f64, f64, f64, f64)] = &[
        (0.0, 0.0, 0.0, 6378137.0, 0.0, 0.0), // equator / prime meridian
        (51.4778, -0.0015, 45.0, 3980609.237097504, -104.2121061577852, 4966859.728504293), // Greenwich
        (-33.8568, 151.2153, 30.0, -4646990.471974816, 2553088.916267233, -3533283.8410643335), // Sydney
        (40.6892, -74.0445, 10.0, 1331342.737558935, -4656590.638556913, 4136319.9181911964), // New York
        (-22.9519, -43.2105, 700.0, 4283289.178257006, -4023753.6792230494, -2472088.1095196395), // Rio de Janeiro
        (35.6586, 139.7454, 40.0, -3959537.6291959905, 3352541.78464385, 3697503.0152551094), // Tokyo
        (64.1466, -21.9426, 20.0, 2586861.9957021642, -1042146.6999060508, 5716878.321874213), // Reykjavik
        (60.3913, 5.3221, 15.0, 3145662.1305585345, 293038.07621481013, 5522159.540957101), // Bergen, Norway exception 32V
        (58.0, 4.0, 0.0, 3379810.2726122183, 236339.35733769927, 5385737.723496882), // Norway exception: would be 31V, is 32V
        (61.5, 2.9, 0.0, 3047374.4328605165, 154373.32916797252, 5582141.592573889), // 31V west of the Norway exception
        (56.0, 3.0, 0.0, 3569943.2813049275, 187092.79953960454, 5264442.236171477), // south-west corner of the Norway exception
        (78.2232, 15.6267, 10.0, 1257701.1972829904, 351788.3476485344, 6222079.835125142), // Longyearbyen, Svalbard 33X
        (79.0, 8.9, 0.0, 1206249.8413285594, 188893.68423916775, 6239195.454850487), // Svalbard 31X
        (72.0, 9.0, 0.0, 1952607.6432131792, 309262.6687437312, 6043686.272242774), // Svalbard 33X at its south-west corner
        (82.0, 32.9, 0.0, 747759.7112114442, 483747.45166108594, 6294478.015756379), // Svalbard 35X
        (83.99, 41.9, 0.0, 498707.8999233445, 447465.00699315063, 6321579.772563081), // Svalbard 37X near 84N
        (84.0, 0.0, 0.0, 668915.059213232, 0.0, 6321696.60857343), // 84N exactly
        (-80.0, 0.0, 0.0, 1111164.8708100126, 0.0, -6259542.96102869), // 80S exactly
        (-79.99, -70.5, 1500.0, 371368.5493018837, -1048712.4316804658, -6260826.135821222), // near 80S
        (-79.5, 179.9, 2000.0, -1166465.51208479, 2035.8684468878762, -6251575.072994546), // near 80S, antimeridian
        (0.0001, 179.9999, 0.0, -6378136.999980636, 11.131949078782336, 11.057427582153936), // equator, east of the antimeridian
        (-0.0001, -179.9999, 0.0, -6378136.999980636, -11.131949078782336, -11.057427582153936), // equator, west of the antimeridian
        (12.0, 6.0, 0.0, 6205480.762208068, 652222.3099677461, 1317402.5312295998), // zone edge 31|32
        (-12.0, 96.0, 0.0, -652222.3099677466, 6205480.762208068, -1317402.5312295998), // zone edge 46|47, south
        (7.9999, -11.0, 0.0, 6200425.009296992, -1205240.5300923903, 881768.9547875375), // band edge N|P
        (15.5007, 32.5599, 380.0, 5181699.361356497, 3308727.48570459, 1693653.5770963035), // Khartoum
        (4.8594, 31.5713, 550.0, 5415168.932807447, 3327696.1771644563, 536740.1721960639), // Juba
        (-4.3217, 15.3125, 280.0, 6134606.546443088, 1679677.0551678808, -477446.0225777987), // Kinshasa
        (33.8938, 35.5018, 50.0, 4314616.232279992, 3077790.3662615754, 3536702.4044470303), // Beirut
        (-1.6792, 29.2228, 1500.0, 5565312.047664598, 3113254.7883201526, -185694.23315118192), // Goma
        (13.5116, 2.1254, 210.0, 6198677.328493662, 230046.8771194892, 1480545.734214704), // Niamey
        (-45.0, -68.0, -20.0, 1692314.0318351444, -4188624.212047094, -4487334.2667302955), // Patagonia, negative height
        (45.0, 90.0, 400000.0, 2.93941781606691e-10, 4800433.591323551, 4770191.121340538), // 400 km above Asia
        (-89.999, 45.0, 0.0, 78.97957035995107, 78.97957035995105, -6356752.3132704655), // near the South Pole (ECEF only)
        (90.0, 0.0, 100.0, 3.918682157154429e-10, 0.0, 6356852.314245179), // North Pole (ECEF only)
    ];

    /// Origin (lat_deg, lon_deg, alt_hae_m), target (lat_deg, lon_deg, alt_hae_m), ENU (m).
    type EnuCase = (f64, f64, f64, f64, f64, f64, f64, f64, f64);

    // Generated with pyproj 3.7.2 (PROJ 9.5.1).
    // (origin lat, lon, h, target lat, lon, h, e_m, n_m, u_m): pyproj pipeline
    // +proj=cart +ellps=WGS84 then +proj=topocentric with the origin.
    #[rustfmt::skip]
    const ENU_REFERENCE: &[EnuCase] = &[
        (4.8594, 31.5713, 550.0, 4.8694, 31.5913, 100.0, 2218.4425087376117, 1105.872850920239, -450.4823022874725),
        (4.8594, 31.5713, 550.0, 4.6594, 31.8713, -400.0, 33283.97623769268, -22107.561593087048, -1075.422094866145),
        (4.8594, 31.5713, 550.0, 5.3594, 30.8713, 2000.0, -77607.6552861184, 55348.45624784765, 736.289850894902),
        (-33.8568, 151.2153, 30.0, -33.8468, 151.23530000000002, 100.0, 1851.0350672913999, 1109.0345812278367, 69.63491779110728),
        (-33.8568, 151.2153, 30.0, -34.0568, 151.51530000000002, -400.0, 27695.11338844144, -22223.274332304936, -528.9278595766282),
        (-33.8568, 151.2153, 30.0, -33.3568, 150.51530000000002, 2000.0, -65171.46565653795, 55252.60531478961, 1397.3415002546208),
        (78.2232, 15.6267, 10.0, 78.23320000000001, 15.6467, 100.0, 455.4956971549336, 1116.5652641903127, 89.8863423590251),
        (78.2232, 15.6267, 10.0, 78.0232, 15.9267, -400.0, 6951.997961448571, -22309.974900937425, -452.6839773676593),
        (78.2232, 15.6267, 10.0, 78.7232, 14.9267, 2000.0, -15291.585004538003, 55932.6407961587, 1727.278486719737),
    ];

    fn ecef_error_m(a: &Geodetic, b: &Geodetic) -> f64 {
        (ecef_from_geodetic(a) - ecef_from_geodetic(b)).norm()
    }

    #[test]
    fn wgs84_constants_are_the_defining_values() {
        assert_eq!(WGS84_A_M, 6_378_137.0);
        assert_eq!(1.0 / WGS84_F, 298.257_223_563);
        // Derived polar radius, as published in NIMA TR8350.2: 6356752.3142 m.
        assert!((WGS84_B_M - 6_356_752.314_2).abs() < 1e-4);
        // First eccentricity squared, NIMA TR8350.2: 6.69437999014e-3.
        assert!((WGS84_E2 - 6.694_379_990_14e-3).abs() < 1e-14);
    }

    #[test]
    fn degree_constructor_and_accessors() {
        let p = Geodetic::from_deg(45.0, -90.0, 12.5);
        assert!((p.lat_rad - PI / 4.0).abs() < 1e-15);
        assert!((p.lon_rad + FRAC_PI_2).abs() < 1e-15);
        assert_eq!(p.alt_hae_m, 12.5);
        assert!((p.lat_deg() - 45.0).abs() < 1e-12);
        assert!((p.lon_deg() + 90.0).abs() < 1e-12);
    }

    #[test]
    fn ecef_matches_pyproj() {
        for &(lat, lon, h, x, y, z) in ECEF_REFERENCE {
            let got = ecef_from_geodetic(&Geodetic::from_deg(lat, lon, h));
            let err = (got - Vector3::new(x, y, z)).norm();
            assert!(err < MM, "({lat}, {lon}, {h}): {got:?} is {err} m off");
        }
    }

    #[test]
    fn geodetic_from_pyproj_ecef() {
        for &(lat, lon, h, x, y, z) in ECEF_REFERENCE {
            let got = geodetic_from_ecef(&Vector3::new(x, y, z));
            let want = Geodetic::from_deg(lat, lon, h);
            let err = ecef_error_m(&got, &want);
            assert!(err < MM, "({lat}, {lon}, {h}): {got:?} is {err} m off");
            assert!(
                (got.alt_hae_m - h).abs() < MM,
                "({lat}, {lon}): height {}",
                got.alt_hae_m
            );
        }
    }

    /// A deterministic spread of points: every 7.5° of latitude including both poles, longitudes
    /// across the antimeridian, heights from -10 km to 400 km and beyond.
    fn sample_points() -> Vec<Geodetic> {
        let mut points = Vec::new();
        for i in 0..=24 {
            let lat = -90.0 + 7.5 * f64::from(i);
            for lon in [
                -180.0,
                -179.999_999,
                -97.3,
                0.0,
                1e-9,
                45.0,
                179.999_999,
                180.0,
            ] {
                for h in [
                    -10_000.0,
                    -100.0,
                    0.0,
                    1.5,
                    8_848.0,
                    400_000.0,
                    36_000_000.0,
                ] {
                    points.push(Geodetic::from_deg(lat, lon, h));
                }
            }
        }
        for lat in [89.999_999_9, -89.999_999_9, 1e-12, -1e-12, 0.0] {
            points.push(Geodetic::from_deg(lat, 10.0, 100.0));
        }
        points
    }

    #[test]
    fn geodetic_ecef_round_trip_is_sub_micrometre() {
        let mut worst_m: f64 = 0.0;
        for p in sample_points() {
            let back = geodetic_from_ecef(&ecef_from_geodetic(&p));
            let err = ecef_error_m(&p, &back);
            assert!(err < 1e-6, "{p:?} came back as {back:?}, {err} m off");
            assert!(
                (back.alt_hae_m - p.alt_hae_m).abs() < 1e-6,
                "{p:?} height {back:?}"
            );
            if p.lat_rad.abs() < FRAC_PI_2 - 1e-9 {
                let dlon = (back.lon_rad - p.lon_rad).rem_euclid(2.0 * PI);
                assert!(
                    dlon.min(2.0 * PI - dlon) < 1e-12,
                    "{p:?} longitude {back:?}"
                );
            }
            worst_m = worst_m.max(err);
        }
        assert!(worst_m < 1e-6);
    }

    #[test]
    fn ecef_geodetic_round_trip_inside_the_earth_down_to_the_centre() {
        // Deep inside the Earth the geodetic coordinates of a point are not unique, so the
        // check is ECEF → geodetic → ECEF.
        for i in 0..40 {
            let t = f64::from(i);
            let scale = [0.0, 1e-9, 1e-3, 1.0, 1e3, 1e5, 1e6, 4e6, 6.3e6][i as usize % 9];
            let dir = Vector3::new((t * 0.7).cos(), (t * 1.3).sin(), (t * 0.37).sin() - 0.2);
            let pos = if dir.norm() == 0.0 {
                dir
            } else {
                dir.normalize() * scale
            };
            let back = ecef_from_geodetic(&geodetic_from_ecef(&pos));
            assert!((back - pos).norm() < 1e-6, "{pos:?} came back as {back:?}");
        }
    }

    #[test]
    fn special_points() {
        let centre = geodetic_from_ecef(&Vector3::zeros());
        assert_eq!(centre.lat_rad, FRAC_PI_2);
        assert!((centre.alt_hae_m + WGS84_B_M).abs() < 1e-6);
        let north_pole = geodetic_from_ecef(&Vector3::new(0.0, 0.0, WGS84_B_M + 10.0));
        assert_eq!(north_pole.lat_rad, FRAC_PI_2);
        assert!((north_pole.alt_hae_m - 10.0).abs() < 1e-9);
        let south_pole = geodetic_from_ecef(&Vector3::new(0.0, 0.0, -WGS84_B_M));
        assert_eq!(south_pole.lat_rad, -FRAC_PI_2);
        assert!(south_pole.alt_hae_m.abs() < 1e-9);
        let equator = geodetic_from_ecef(&Vector3::new(0.0, -WGS84_A_M - 5.0, 0.0));
        assert_eq!(equator.lat_rad, 0.0);
        assert!((equator.lon_rad + FRAC_PI_2).abs() < 1e-15);
        assert!((equator.alt_hae_m - 5.0).abs() < 1e-9);
        // On the equatorial plane inside the evolute (the degenerate branch).
        let inside = geodetic_from_ecef(&Vector3::new(1000.0, 0.0, 0.0));
        assert!((ecef_from_geodetic(&inside) - Vector3::new(1000.0, 0.0, 0.0)).norm() < 1e-6);
        let far = geodetic_from_ecef(&Vector3::new(1e300, 1e300, 1e300));
        assert!(far.alt_hae_m.is_finite() && far.lat_rad.is_finite());
    }

    #[test]
    fn enu_matches_pyproj_topocentric() {
        for &(lat0, lon0, h0, lat, lon, h, e, n, u) in ENU_REFERENCE {
            let frame = LocalFrame::new(Geodetic::from_deg(lat0, lon0, h0));
            let target = Geodetic::from_deg(lat, lon, h);
            let enu = frame.enu_from_geodetic(&target);
            let err = (enu - Vector3::new(e, n, u)).norm();
            assert!(
                err < MM,
                "{target:?} from ({lat0}, {lon0}): {enu:?} is {err} m off"
            );
            let ned = frame.ned_from_geodetic(&target);
            assert!((ned - Vector3::new(n, e, -u)).norm() < MM);
        }
    }

    #[test]
    fn enu_and_ned_round_trips_are_sub_millimetre() {
        for origin in sample_points().into_iter().step_by(11) {
            let frame = LocalFrame::new(origin);
            for pos_m in [
                Vector3::new(0.0, 0.0, 0.0),
                Vector3::new(12.5, -3.0, 1.0),
                Vector3::new(-25_000.0, 40_000.0, -500.0),
                Vector3::new(100_000.0, 100_000.0, 10_000.0),
            ] {
                let g = frame.geodetic_from_enu(&pos_m);
                let back = frame.enu_from_geodetic(&g);
                assert!(
                    (back - pos_m).norm() < 1e-6,
                    "{origin:?}: {pos_m:?} -> {back:?}"
                );
                let g = frame.geodetic_from_ned(&pos_m);
                let back = frame.ned_from_geodetic(&g);
                assert!(
                    (back - pos_m).norm() < 1e-6,
                    "{origin:?}: {pos_m:?} -> {back:?}"
                );
            }
        }
    }

    #[test]
    fn frame_axes_point_the_right_way() {
        let origin = Geodetic::from_deg(10.0, 20.0, 0.0);
        let frame = LocalFrame::new(origin);
        let north = frame.enu_from_geodetic(&Geodetic::from_deg(10.001, 20.0, 0.0));
        assert!(north.y > 100.0 && north.x.abs() < 1e-6, "{north:?}");
        let east = frame.enu_from_geodetic(&Geodetic::from_deg(10.0, 20.001, 0.0));
        assert!(east.x > 100.0 && east.y.abs() < 0.01, "{east:?}");
        let up = frame.enu_from_geodetic(&Geodetic::from_deg(10.0, 20.0, 50.0));
        assert!((up - Vector3::new(0.0, 0.0, 50.0)).norm() < 1e-9, "{up:?}");
        let down = frame.ned_from_geodetic(&Geodetic::from_deg(10.0, 20.0, -7.0));
        assert!(
            (down - Vector3::new(0.0, 0.0, 7.0)).norm() < 1e-9,
            "{down:?}"
        );
    }

    #[test]
    fn rotations_are_orthonormal_and_consistent() {
        let frame = LocalFrame::new(Geodetic::from_deg(-33.0, 151.0, 20.0));
        let r = frame.rot_enu_from_ecef();
        assert!((r * r.transpose() - Matrix3::identity()).norm() < 1e-15);
        assert!((r.determinant() - 1.0).abs() < 1e-15);
        assert!((frame.rot_ecef_from_enu() * r - Matrix3::identity()).norm() < 1e-15);
        let n_e = LocalFrame::rot_ned_from_enu();
        assert!((n_e * n_e - Matrix3::identity()).norm() == 0.0);
        let v_ecef = Vector3::new(1.0, 2.0, 3.0);
        let via_enu = n_e * (r * v_ecef);
        assert!((frame.rot_ned_from_ecef() * v_ecef - via_enu).norm() < 1e-15);
        let p = frame.origin_ecef_m() + v_ecef;
        assert!((frame.ned_from_ecef(&p) - via_enu).norm() < 1e-9);
        assert!((frame.ecef_from_ned(&via_enu) - p).norm() < 1e-9);
        assert_eq!(frame.origin(), Geodetic::from_deg(-33.0, 151.0, 20.0));
        // Up at the origin is the ellipsoid normal, i.e. the third row of the rotation.
        let (sl, cl) = (-33f64).to_radians().sin_cos();
        let (so, co) = 151f64.to_radians().sin_cos();
        assert!((r.row(2).transpose() - Vector3::new(cl * co, cl * so, sl)).norm() < 1e-15);
    }

    #[test]
    fn north_east_offsets_match_the_geodesic_and_round_trip() {
        let here = Geodetic::from_deg(9.0, 31.0, 420.0);
        // 15 m north at 9°N is 15 / 110,598 m per degree, not 15 / 111,320.
        let north = here.offset_by_ne_m([15.0, 0.0]);
        assert_eq!(north.alt_hae_m, 420.0);
        assert!((crate::geodesy::distance_m(&here, &north) - 15.0).abs() < 1e-9);
        assert!(
            ((north.lat_deg() - 9.0) * 110_598.0 - 15.0).abs() < 0.01,
            "{north:?}"
        );
        for ne_m in [
            [0.0, 0.0],
            [-3.0, 8.0],
            [1_200.0, -2_500.0],
            [15_000.0, -12_000.0],
        ] {
            let there = here.offset_by_ne_m(ne_m);
            let back = here.ne_m_to(&there);
            let off_m = (back[0] - ne_m[0]).hypot(back[1] - ne_m[1]);
            assert!(off_m < 1e-6, "{ne_m:?}: {back:?}");
            let d_m = ne_m[0].hypot(ne_m[1]);
            let bearing_rad = ne_m[1].atan2(ne_m[0]);
            let geodesic = crate::geodesy::destination(&here, bearing_rad, d_m);
            // The tangent plane and the geodesic part by about d³/R²: a millimetre at 2.8 km,
            // 17 cm at 19 km.
            let apart_m = (ecef_from_geodetic(&geodesic) - ecef_from_geodetic(&there)).norm();
            assert!(
                apart_m < 2.0 * d_m.powi(3) / 6.3e6f64.powi(2) + 1e-9,
                "{ne_m:?}: {apart_m}"
            );
        }
        // Across the antimeridian, where degree differences wrap.
        let west = Geodetic::from_deg(0.0, -179.9999, 0.0);
        let east = Geodetic::from_deg(0.0, 179.9999, 0.0);
        let [n_m, e_m] = west.ne_m_to(&east);
        assert!(n_m.abs() < 1e-9 && (e_m + 22.26).abs() < 0.01, "{e_m}");
    }
}
