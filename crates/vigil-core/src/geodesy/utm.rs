//! Universal Transverse Mercator (UTM) coordinates on WGS84.
//!
//! Exists because paper maps, patrol reports and the MGRS grid all speak UTM, and
//! a sloppy projection puts a reported position metres away from the map. The projection is
//! Krüger's series to sixth order in the third flattening n, in the form and with the
//! coefficients of Karney, "Transverse Mercator with an accuracy of a few nanometers"
//! (J. Geodesy 85:475, 2011, eqs. 35-36): nanometre accuracy within the zone and still far
//! below a millimetre several degrees outside it.
//!
//! Zones are the standard 6° zones with the Norway (32V) and Svalbard (31X, 33X, 35X, 37X)
//! exceptions. UTM is defined from 80°S to 84°N; the polar caps (UPS) are not implemented.

use std::f64::consts::{PI, TAU};
use std::fmt;
use std::sync::LazyLock;

use super::GeoError;
use super::wgs84::{Geodetic, WGS84_A_M, WGS84_E2, WGS84_F};

/// Scale factor on the central meridian.
pub const UTM_SCALE_FACTOR: f64 = 0.9996;
/// Easting of the central meridian, metres.
pub const UTM_FALSE_EASTING_M: f64 = 500_000.0;
/// Northing of the equator in the southern hemisphere, metres.
pub const UTM_FALSE_NORTHING_SOUTH_M: f64 = 10_000_000.0;
/// Southern limit of UTM, degrees.
pub const UTM_MIN_LAT_DEG: f64 = -80.0;
/// Northern limit of UTM, degrees.
pub const UTM_MAX_LAT_DEG: f64 = 84.0;
/// How far from its central meridian a point may be projected into a forced zone, degrees.
pub const UTM_MAX_ZONE_OFFSET_DEG: f64 = 30.0;

/// A UTM position. Heights are not part of UTM; keep `alt_hae_m` alongside if needed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Utm {
    /// Zone number, 1..=60.
    pub zone: u8,
    /// Northern hemisphere (northing from the equator) or southern (northing from 10 000 km
    /// south of it).
    pub northern: bool,
    /// Easting, metres (500 000 on the central meridian).
    pub easting_m: f64,
    /// Northing, metres.
    pub northing_m: f64,
}

impl fmt::Display for Utm {
    /// GeoConvert style, millimetres: `36n 712345.500 67890.500`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hemisphere = if self.northern { 'n' } else { 's' };
        write!(
            f,
            "{}{} {:.3} {:.3}",
            self.zone, hemisphere, self.easting_m, self.northing_m
        )
    }
}

/// The standard UTM zone of a position, with the Norway and Svalbard exceptions.
///
/// Errors if the latitude is outside -80°..=84° or either coordinate is not finite.
pub fn utm_zone(pos: &Geodetic) -> Result<u8, GeoError> {
    check_latitude(pos.lat_rad)?;
    let lon_rad = finite_longitude(pos.lon_rad)?;
    let zone = grid_index(lon_rad, -180.0, 6.0).rem_euclid(60) + 1;
    let band = latitude_band_index(pos.lat_rad).unwrap_or(0);
    // 3° columns east of Greenwich, for the exceptions.
    let column = grid_index(lon_rad, 0.0, 3.0);
    let zone = match (band, column) {
        (17, 1..=3) => 32,   // band V, 3°E..12°E: Norway
        (19, 0..=2) => 31,   // band X, 0°E..9°E: Svalbard
        (19, 3..=6) => 33,   // 9°E..21°E
        (19, 7..=10) => 35,  // 21°E..33°E
        (19, 11..=13) => 37, // 33°E..42°E
        _ => zone,
    };
    Ok(u8::try_from(zone).unwrap_or(1))
}

/// UTM coordinates of a position in its standard zone (see [`utm_zone`]).
pub fn utm_from_geodetic(pos: &Geodetic) -> Result<Utm, GeoError> {
    let zone = utm_zone(pos)?;
    project(pos, zone)
}

/// UTM coordinates of a position in a forced zone, e.g. to keep a track in one grid across a
/// zone boundary. Accurate to well under a millimetre several degrees outside the zone; points
/// more than [`UTM_MAX_ZONE_OFFSET_DEG`] from the zone's central meridian are refused.
pub fn utm_from_geodetic_in_zone(pos: &Geodetic, zone_override: u8) -> Result<Utm, GeoError> {
    check_zone(zone_override)?;
    check_latitude(pos.lat_rad)?;
    let lon_rad = finite_longitude(pos.lon_rad)?;
    let offset_deg = wrap_pi(lon_rad - central_meridian_rad(zone_override))
        .to_degrees()
        .abs();
    if offset_deg > UTM_MAX_ZONE_OFFSET_DEG {
        return Err(GeoError::TooFarFromZone {
            zone: zone_override,
            lon_deg: pos.lon_deg(),
            offset_deg,
            max_deg: UTM_MAX_ZONE_OFFSET_DEG,
        });
    }
    project(pos, zone_override)
}

/// The position (height 0) of UTM coordinates.
///
/// Errors for a zone outside 1..=60 or coordinates that are not finite or that lie so far
/// off the zone that they are not on the ellipsoid.
pub fn geodetic_from_utm(utm: &Utm) -> Result<Geodetic, GeoError> {
    check_zone(utm.zone)?;
    let invalid = || GeoError::InvalidUtm {
        zone: utm.zone,
        easting_m: utm.easting_m,
        northing_m: utm.northing_m,
    };
    if !utm.easting_m.is_finite() || !utm.northing_m.is_finite() {
        return Err(invalid());
    }
    let x_m = utm.easting_m - UTM_FALSE_EASTING_M;
    let y_m = utm.northing_m
        - if utm.northern {
            0.0
        } else {
            UTM_FALSE_NORTHING_SOUTH_M
        };
    let (lat_rad, dlon_rad) = tm_inverse(x_m, y_m);
    let lon_rad = wrap_pi(central_meridian_rad(utm.zone) + dlon_rad);
    if !lat_rad.is_finite() || !lon_rad.is_finite() {
        return Err(invalid());
    }
    Ok(Geodetic::new(lat_rad, lon_rad, 0.0))
}

/// Longitude of the central meridian of a zone, radians.
pub fn central_meridian_rad(zone: u8) -> f64 {
    (6.0 * f64::from(zone) - 183.0).to_radians()
}

/// Index (0 = C at 80°S, 19 = X up to 84°N) of the 8° latitude band holding `lat_rad`, or
/// `None` outside -80°..=84°.
pub(crate) fn latitude_band_index(lat_rad: f64) -> Option<usize> {
    if !in_utm_latitudes(lat_rad) {
        return None;
    }
    usize::try_from(grid_index(lat_rad, UTM_MIN_LAT_DEG, 8.0).min(19)).ok()
}

/// Whether a latitude is within -80°..=84° (NaN is not).
pub(crate) fn in_utm_latitudes(lat_rad: f64) -> bool {
    (UTM_MIN_LAT_DEG.to_radians()..=UTM_MAX_LAT_DEG.to_radians()).contains(&lat_rad)
}

/// The index k of the cell [origin + k·step, origin + (k+1)·step) holding `value_rad`, with
/// the boundaries converted to radians exactly as [`Geodetic::from_deg`] converts, so that a
/// point given as exactly 6°E falls in the zone that starts there. `value_rad` must be finite
/// and not huge (callers reduce longitudes first).
fn grid_index(value_rad: f64, origin_deg: f64, step_deg: f64) -> i64 {
    let boundary_rad = |k: i64| (origin_deg + step_deg * k as f64).to_radians();
    let mut k = ((value_rad.to_degrees() - origin_deg) / step_deg).floor() as i64;
    if value_rad < boundary_rad(k) {
        k -= 1;
    } else if value_rad >= boundary_rad(k + 1) {
        k += 1;
    }
    k
}

fn check_zone(zone: u8) -> Result<(), GeoError> {
    if (1..=60).contains(&zone) {
        Ok(())
    } else {
        Err(GeoError::InvalidZone { zone })
    }
}

fn check_latitude(lat_rad: f64) -> Result<(), GeoError> {
    if !lat_rad.is_finite() {
        return Err(GeoError::NotFinite {
            what: "latitude",
            value: lat_rad,
        });
    }
    if !in_utm_latitudes(lat_rad) {
        return Err(GeoError::LatitudeOutsideUtm {
            lat_deg: lat_rad.to_degrees(),
        });
    }
    Ok(())
}

/// The longitude reduced into (-2π, 2π) (exactly: fmod), or an error if it is not finite.
fn finite_longitude(lon_rad: f64) -> Result<f64, GeoError> {
    if lon_rad.is_finite() {
        Ok(lon_rad % TAU)
    } else {
        Err(GeoError::NotFinite {
            what: "longitude",
            value: lon_rad,
        })
    }
}

/// An angle reduced to [-π, π].
fn wrap_pi(angle_rad: f64) -> f64 {
    let a = angle_rad % TAU;
    if a > PI {
        a - TAU
    } else if a < -PI {
        a + TAU
    } else {
        a
    }
}

fn project(pos: &Geodetic, zone: u8) -> Result<Utm, GeoError> {
    let dlon_rad = wrap_pi(pos.lon_rad - central_meridian_rad(zone));
    let (x_m, y_m) = tm_forward(pos.lat_rad, dlon_rad);
    let northern = pos.lat_rad >= 0.0;
    Ok(Utm {
        zone,
        northern,
        easting_m: UTM_FALSE_EASTING_M + x_m,
        northing_m: y_m
            + if northern {
                0.0
            } else {
                UTM_FALSE_NORTHING_SOUTH_M
            },
    })
}

// ---------------------------------------------------------------------------------------------
// The transverse Mercator projection (Karney 2011).

/// Constants of the Krüger series for WGS84.
struct Krueger {
    /// k0 · A, where A is the rectifying radius (eq. 14), metres.
    scaled_radius_m: f64,
    /// α_1..α_6 (eq. 35), forward.
    alpha: [f64; 6],
    /// β_1..β_6 (eq. 36), reverse.
    beta: [f64; 6],
    /// First eccentricity e.
    e: f64,
}

/// Evaluates Σ c_k n^k for the powers k = first.. given in `c`.
fn series_in_n(n: f64, first: i32, c: &[f64]) -> f64 {
    c.iter()
        .enumerate()
        .map(|(i, ck)| ck * n.powi(first + i as i32))
        .sum()
}

static KRUEGER: LazyLock<Krueger> = LazyLock::new(|| {
    let n = WGS84_F / (2.0 - WGS84_F);
    let n2 = n * n;
    let rectifying_radius_m =
        WGS84_A_M / (1.0 + n) * (1.0 + n2 / 4.0 + n2 * n2 / 64.0 + n2 * n2 * n2 / 256.0);
    #[rustfmt::skip]
    let alpha = [
        series_in_n(n, 1, &[1.0 / 2.0, -2.0 / 3.0, 5.0 / 16.0, 41.0 / 180.0, -127.0 / 288.0, 7891.0 / 37800.0]),
        series_in_n(n, 2, &[13.0 / 48.0, -3.0 / 5.0, 557.0 / 1440.0, 281.0 / 630.0, -1983433.0 / 1935360.0]),
        series_in_n(n, 3, &[61.0 / 240.0, -103.0 / 140.0, 15061.0 / 26880.0, 167603.0 / 181440.0]),
        series_in_n(n, 4, &[49561.0 / 161280.0, -179.0 / 168.0, 6601661.0 / 7257600.0]),
        series_in_n(n, 5, &[34729.0 / 80640.0, -3418889.0 / 1995840.0]),
        series_in_n(n, 6, &[212378941.0 / 319334400.0]),
    ];
    #[rustfmt::skip]
    let beta = [
        series_in_n(n, 1, &[1.0 / 2.0, -2.0 / 3.0, 37.0 / 96.0, -1.0 / 360.0, -81.0 / 512.0, 96199.0 / 604800.0]),
        series_in_n(n, 2, &[1.0 / 48.0, 1.0 / 15.0, -437.0 / 1440.0, 46.0 / 105.0, -1118711.0 / 3870720.0]),
        series_in_n(n, 3, &[17.0 / 480.0, -37.0 / 840.0, -209.0 / 4480.0, 5569.0 / 90720.0]),
        series_in_n(n, 4, &[4397.0 / 161280.0, -11.0 / 504.0, -830251.0 / 7257600.0]),
        series_in_n(n, 5, &[4583.0 / 161280.0, -108847.0 / 3991680.0]),
        series_in_n(n, 6, &[20648693.0 / 638668800.0]),
    ];
    Krueger {
        scaled_radius_m: UTM_SCALE_FACTOR * rectifying_radius_m,
        alpha,
        beta,
        e: WGS84_E2.sqrt(),
    }
});

/// τ' = tan of the conformal latitude, from τ = tan of the geodetic latitude (eqs. 7-9).
fn conformal_tau(tau: f64) -> f64 {
    let e = KRUEGER.e;
    let tau1 = tau.hypot(1.0);
    let sigma = (e * (e * tau / tau1).atanh()).sinh();
    tau * sigma.hypot(1.0) - sigma * tau1
}

/// τ from τ' by Newton's method (eqs. 19-21); converges in 2-3 steps.
fn geodetic_tau(taup: f64) -> f64 {
    let e2m = 1.0 - WGS84_E2;
    let tol = f64::EPSILON.sqrt() / 10.0 * taup.abs().max(1.0);
    let mut tau = taup / e2m;
    for _ in 0..5 {
        let taupa = conformal_tau(tau);
        let dtau =
            (taup - taupa) * (1.0 + e2m * tau * tau) / (e2m * tau.hypot(1.0) * taupa.hypot(1.0));
        tau += dtau;
        if dtau.abs() < tol || dtau.is_nan() {
            break;
        }
    }
    tau
}

/// Projects (latitude, longitude from the central meridian) to (x, y) in metres, scaled by
/// k0, without false easting and northing.
fn tm_forward(lat_rad: f64, dlon_rad: f64) -> (f64, f64) {
    let k = &*KRUEGER;
    let taup = conformal_tau(lat_rad.tan());
    let (sin_l, cos_l) = dlon_rad.sin_cos();
    let xip = taup.atan2(cos_l);
    let etap = (sin_l / taup.hypot(cos_l)).asinh();
    let (mut xi, mut eta) = (xip, etap);
    for (j, a) in (1..).zip(k.alpha) {
        let m = 2.0 * f64::from(j);
        xi += a * (m * xip).sin() * (m * etap).cosh();
        eta += a * (m * xip).cos() * (m * etap).sinh();
    }
    (k.scaled_radius_m * eta, k.scaled_radius_m * xi)
}

/// The inverse of [`tm_forward`]: (latitude, longitude from the central meridian).
fn tm_inverse(x_m: f64, y_m: f64) -> (f64, f64) {
    let k = &*KRUEGER;
    let xi = y_m / k.scaled_radius_m;
    let eta = x_m / k.scaled_radius_m;
    let (mut xip, mut etap) = (xi, eta);
    for (j, b) in (1..).zip(k.beta) {
        let m = 2.0 * f64::from(j);
        xip -= b * (m * xi).sin() * (m * eta).cosh();
        etap -= b * (m * xi).cos() * (m * eta).sinh();
    }
    let (sin_xip, cos_xip) = xip.sin_cos();
    let sinh_etap = etap.sinh();
    let taup = sin_xip / sinh_etap.hypot(cos_xip);
    let dlon_rad = sinh_etap.atan2(cos_xip);
    (geodetic_tau(taup).atan(), dlon_rad)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MM: f64 = 1e-3;

    // Generated with pyproj 3.7.2 (PROJ 9.5.1) and mgrs 1.6.0.
    // (lat_deg, lon_deg, zone, northern, easting_m, northing_m): zone from the mgrs package
    // (so the Norway/Svalbard exceptions come from it), E/N from pyproj EPSG:326zz/327zz.
    #[rustfmt::skip]
    const UTM_REFERENCE: &[(f64, f64, u8, bool, f64, f64)] = &[
        (0.0, 0.0, 31, true, 166021.44308054057, 0.0), // equator / prime meridian
        (51.4778, -0.0015, 30, true, 708213.9506022302, 5707224.5425919965), // Greenwich
        (-33.8568, 151.2153, 56, false, 334900.56965226424, 6252288.752888294), // Sydney
        (40.6892, -74.0445, 18, true, 580735.8707032602, 4504695.165218929), // New York
        (-22.9519, -43.2105, 23, false, 683476.5090745387, 7460687.308213273), // Rio de Janeiro
        (35.6586, 139.7454, 54, true, 386437.6027805164, 3946808.1551744426), // Tokyo
        (64.1466, -21.9426, 27, true, 454138.37651602336, 7113689.868973987), // Reykjavik
        (60.3913, 5.3221, 32, true, 297353.93272915104, 6700648.345231735), // Bergen, Norway exception 32V
        (58.0, 4.0, 32, true, 204618.58932182367, 6439651.047588786), // Norway exception: would be 31V, is 32V
        (61.5, 2.9, 31, true, 494676.6398754861, 6818485.774237538), // 31V west of the Norway exception
        (56.0, 3.0, 32, true, 126049.97071268217, 6222336.335316707), // south-west corner of the Norway exception
        (78.2232, 15.6267, 33, true, 514278.71511326864, 8683355.469470505), // Longyearbyen, Svalbard 33X
        (79.0, 8.9, 31, true, 625470.4642903961, 8776321.465600722), // Svalbard 31X
        (72.0, 9.0, 33, true, 293363.50411041256, 7999233.637229598), // Svalbard 33X at its south-west corner
        (82.0, 32.9, 35, true, 591515.9559476067, 9109499.304495908), // Svalbard 35X
        (83.99, 41.9, 37, true, 533885.3300062275, 9327830.479120014), // Svalbard 37X near 84N
        (84.0, 0.0, 31, true, 465005.3449388639, 9329005.182447437), // 84N exactly
        (-80.0, 0.0, 31, false, 441867.78486720106, 1116915.0440516975), // 80S exactly
        (-79.99, -70.5, 19, false, 470895.75536285975, 1119155.1394405514), // near 80S
        (-79.5, 179.9, 60, false, 558974.6426252695, 1172753.1372380927), // near 80S, antimeridian
        (0.0001, 179.9999, 60, true, 833967.4140492645, 11.068274579507069), // equator, east of the antimeridian
        (-0.0001, -179.9999, 1, false, 166032.58595073846, 9999988.93172542), // equator, west of the antimeridian
        (12.0, 6.0, 32, true, 173285.40864811157, 1328333.183454908), // zone edge 31|32
        (-12.0, 96.0, 47, false, 173285.40864811244, 8671666.816545092), // zone edge 46|47, south
        (7.9999, -11.0, 29, true, 279558.2446934212, 884822.4123196845), // band edge N|P
        (15.5007, 32.5599, 36, true, 452797.45587384567, 1713755.3121292565), // Khartoum
        (4.8594, 31.5713, 36, true, 341572.80012966006, 537289.9698498914), // Juba
        (-4.3217, 15.3125, 33, false, 534675.3836330341, 9522306.08726488), // Kinshasa
        (33.8938, 35.5018, 36, true, 731350.9384492891, 3753198.5857285904), // Beirut
        (-1.6792, 29.2228, 35, false, 747298.8330711613, 9814256.791010458), // Goma
        (13.5116, 2.1254, 31, true, 405351.9167541977, 1493881.5544821196), // Niamey
        (-45.0, -68.0, 19, false, 578815.30291671, 5016563.231650704), // Patagonia, negative height
        (45.0, 90.0, 46, true, 263553.97389879066, 4987329.504698914), // 400 km above Asia
    ];

    // Generated with pyproj 3.7.2 (PROJ 9.5.1).
    // (lat_deg, lon_deg, forced zone, easting_m, northing_m): pyproj EPSG:326zz/327zz.
    #[rustfmt::skip]
    const UTM_FORCED_REFERENCE: &[(f64, f64, u8, f64, f64)] = &[
        (10.0, 9.5, 31, 1213820.5789372623, 1112466.1411715925), // 3.5 deg east of zone 31's edge
        (-35.0, 141.0, 55, -47854.31002592784, 6110467.938102614), // 3 deg west of zone 55's edge
        (60.0, 0.5, 32, 26763.32957882114, 6681895.303100396), // Norway latitude, zone 32 forced
        (0.5, 179.5, 1, 110308.3260602, 55369.0028883263), // across the antimeridian into zone 1
        (48.0, 22.0, 33, 1022031.4066690269, 5340054.711143669), // 4 deg outside zone 33
    ];

    fn horizontal_error_m(a: &Geodetic, b: &Geodetic) -> f64 {
        let (ea, eb) = (
            crate::geodesy::wgs84::ecef_from_geodetic(a),
            crate::geodesy::wgs84::ecef_from_geodetic(b),
        );
        (ea - eb).norm()
    }

    #[test]
    fn forward_matches_pyproj_with_zone_exceptions() {
        for &(lat, lon, zone, northern, e, n) in UTM_REFERENCE {
            let utm = utm_from_geodetic(&Geodetic::from_deg(lat, lon, 0.0)).unwrap();
            assert_eq!((utm.zone, utm.northern), (zone, northern), "({lat}, {lon})");
            assert!(
                (utm.easting_m - e).abs() < MM,
                "({lat}, {lon}): {utm} vs {e}"
            );
            assert!(
                (utm.northing_m - n).abs() < MM,
                "({lat}, {lon}): {utm} vs {n}"
            );
        }
    }

    #[test]
    fn reverse_matches_pyproj() {
        for &(lat, lon, zone, northern, e, n) in UTM_REFERENCE {
            let utm = Utm {
                zone,
                northern,
                easting_m: e,
                northing_m: n,
            };
            let got = geodetic_from_utm(&utm).unwrap();
            let want = Geodetic::from_deg(lat, lon, 0.0);
            let err = horizontal_error_m(&got, &want);
            assert!(err < MM, "{utm}: {got:?} is {err} m from ({lat}, {lon})");
        }
    }

    #[test]
    fn forced_zone_matches_pyproj_outside_the_zone() {
        for &(lat, lon, zone, e, n) in UTM_FORCED_REFERENCE {
            let pos = Geodetic::from_deg(lat, lon, 0.0);
            let utm = utm_from_geodetic_in_zone(&pos, zone).unwrap();
            assert_eq!(utm.zone, zone);
            assert!(
                (utm.easting_m - e).abs() < MM,
                "({lat}, {lon}) in {zone}: {utm}"
            );
            assert!(
                (utm.northing_m - n).abs() < MM,
                "({lat}, {lon}) in {zone}: {utm}"
            );
            let back = geodetic_from_utm(&utm).unwrap();
            assert!(horizontal_error_m(&back, &pos) < 1e-6, "{utm}: {back:?}");
        }
    }

    #[test]
    fn utm_geodetic_utm_round_trip() {
        let mut worst_m: f64 = 0.0;
        for zone in [1u8, 17, 31, 32, 33, 60] {
            for northern in [true, false] {
                for e in [166_000.0, 300_000.0, 500_000.0, 722_222.2, 834_000.0] {
                    for n in [0.0, 1_200_000.0, 4_000_000.0, 8_500_000.0, 9_300_000.0] {
                        let utm = Utm {
                            zone,
                            northern,
                            easting_m: e,
                            northing_m: n,
                        };
                        let pos = geodetic_from_utm(&utm).unwrap();
                        if !in_utm_latitudes(pos.lat_rad) {
                            continue;
                        }
                        let back = utm_from_geodetic_in_zone(&pos, zone).unwrap();
                        let err = (back.easting_m - e).hypot(back.northing_m - n);
                        assert_eq!(back.northern, pos.lat_rad >= 0.0);
                        if back.northern == northern {
                            assert!(err < 1e-6, "{utm} -> {pos:?} -> {back}");
                            worst_m = worst_m.max(err);
                        }
                    }
                }
            }
        }
        assert!(worst_m < 1e-6, "{worst_m}");
    }

    #[test]
    fn geodetic_utm_geodetic_round_trip() {
        for i in 0..500 {
            let t = f64::from(i);
            let lat = -80.0 + (t * 7.31) % 164.0;
            let lon = -180.0 + (t * 13.17) % 360.0;
            let pos = Geodetic::from_deg(lat, lon, 0.0);
            let utm = utm_from_geodetic(&pos).unwrap();
            let back = geodetic_from_utm(&utm).unwrap();
            assert!(
                horizontal_error_m(&pos, &back) < 1e-6,
                "{pos:?} -> {utm} -> {back:?}"
            );
        }
    }

    #[test]
    fn zone_boundaries_and_exceptions() {
        let zone = |lat: f64, lon: f64| utm_zone(&Geodetic::from_deg(lat, lon, 0.0)).unwrap();
        assert_eq!(zone(0.0, -180.0), 1);
        assert_eq!(zone(0.0, 180.0), 1);
        assert_eq!(zone(0.0, 179.999_999), 60);
        assert_eq!(zone(0.0, 540.0), 1);
        assert_eq!(zone(0.0, -0.000_001), 30);
        assert_eq!(zone(0.0, 0.0), 31);
        assert_eq!(zone(12.0, 6.0), 32);
        assert_eq!(zone(12.0, 5.999_999_999), 31);
        // Norway: 56°N..64°N, 3°E..12°E is zone 32.
        assert_eq!(zone(56.0, 3.0), 32);
        assert_eq!(zone(55.999_999, 3.0), 31);
        assert_eq!(zone(63.999_999, 2.999_999), 31);
        assert_eq!(zone(64.0, 4.0), 31);
        assert_eq!(zone(60.0, 11.999), 32);
        // Svalbard: 72°N..84°N.
        assert_eq!(zone(72.0, 8.999), 31);
        assert_eq!(zone(72.0, 9.0), 33);
        assert_eq!(zone(84.0, 20.999), 33);
        assert_eq!(zone(80.0, 21.0), 35);
        assert_eq!(zone(80.0, 33.0), 37);
        assert_eq!(zone(80.0, 41.999), 37);
        assert_eq!(zone(80.0, 42.0), 38);
        assert_eq!(zone(71.999, 9.5), 32);
        assert_eq!(zone(80.0, -0.5), 30);
    }

    #[test]
    fn latitude_limits_are_errors_naming_the_value() {
        let err = utm_from_geodetic(&Geodetic::from_deg(84.5, 10.0, 0.0)).unwrap_err();
        assert_eq!(err, GeoError::LatitudeOutsideUtm { lat_deg: 84.5 });
        assert_eq!(
            err.to_string(),
            "latitude 84.5° is outside the UTM range -80°..=84°"
        );
        let err = utm_from_geodetic(&Geodetic::from_deg(-80.25, 10.0, 0.0)).unwrap_err();
        assert!(err.to_string().contains("-80.25"), "{err}");
        assert!(utm_from_geodetic(&Geodetic::from_deg(84.0, 10.0, 0.0)).is_ok());
        assert!(utm_from_geodetic(&Geodetic::from_deg(-80.0, 10.0, 0.0)).is_ok());
        let err = utm_from_geodetic(&Geodetic::new(f64::NAN, 0.0, 0.0)).unwrap_err();
        assert!(
            matches!(
                err,
                GeoError::NotFinite {
                    what: "latitude",
                    ..
                }
            ),
            "{err}"
        );
        let err = utm_from_geodetic(&Geodetic::new(0.0, f64::INFINITY, 0.0)).unwrap_err();
        assert!(
            matches!(
                err,
                GeoError::NotFinite {
                    what: "longitude",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn forced_zone_errors() {
        let pos = Geodetic::from_deg(10.0, 10.0, 0.0);
        assert_eq!(
            utm_from_geodetic_in_zone(&pos, 0),
            Err(GeoError::InvalidZone { zone: 0 })
        );
        assert_eq!(
            utm_from_geodetic_in_zone(&pos, 61).unwrap_err().to_string(),
            "UTM zone 61 is not in 1..=60"
        );
        let err = utm_from_geodetic_in_zone(&pos, 20).unwrap_err();
        assert!(
            matches!(err, GeoError::TooFarFromZone { zone: 20, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("zone 20"), "{err}");
        let err = utm_from_geodetic_in_zone(&Geodetic::from_deg(85.0, 10.0, 0.0), 32);
        assert!(matches!(err, Err(GeoError::LatitudeOutsideUtm { .. })));
    }

    #[test]
    fn reverse_errors() {
        let utm = |zone, e, n| Utm {
            zone,
            northern: true,
            easting_m: e,
            northing_m: n,
        };
        assert_eq!(
            geodetic_from_utm(&utm(0, 500_000.0, 0.0)),
            Err(GeoError::InvalidZone { zone: 0 })
        );
        assert!(matches!(
            geodetic_from_utm(&utm(31, f64::NAN, 0.0)),
            Err(GeoError::InvalidUtm { .. })
        ));
        assert!(matches!(
            geodetic_from_utm(&utm(31, 1e30, 0.0)),
            Err(GeoError::InvalidUtm { .. })
        ));
    }

    #[test]
    fn display_is_millimetres() {
        let utm = Utm {
            zone: 36,
            northern: false,
            easting_m: 712_345.5,
            northing_m: 67_890.123_45,
        };
        assert_eq!(utm.to_string(), "36s 712345.500 67890.123");
    }

    #[test]
    fn central_meridians() {
        assert_eq!(central_meridian_rad(31), 3f64.to_radians());
        assert_eq!(central_meridian_rad(1), (-177f64).to_radians());
        assert_eq!(central_meridian_rad(60), 177f64.to_radians());
    }
}
