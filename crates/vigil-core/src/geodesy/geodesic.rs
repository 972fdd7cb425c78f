//! Distance, bearing and destination along geodesics (shortest paths) on the WGS84 ellipsoid.
//!
//! Exists because "how far is the drone from the observation post, and in which direction"
//! must be right to the millimetre at 100 m and to the metre across a continent, and must not
//! fail for nearly antipodal points where Vincenty's iteration does not converge.
//!
//! This is C. F. F. Karney's algorithm ("Algorithms for geodesics", J. Geodesy 87:43, 2013),
//! transcribed from the MIT-licensed Python `geographiclib` 2.1 (`geodesic.py`,
//! `geodesicline.py`, `geomath.py`, © Charles Karney), keeping only what distance, azimuth
//! and destination need. It is accurate to about 15 nanometres for any pair of points and
//! always converges. Internally it works in degrees, as the original does, because exact
//! reduction of angles such as 90° and 180° is what makes the special cases exact; the public
//! functions take and return radians.

// Long: Karney's direct and inverse geodesic solutions with their series coefficients and their tests against GeographicLib; they move onto the `geo` crate's geodesics (GeographicLib's port) in the next step of issue 13.

use std::sync::LazyLock;

use super::wgs84::{Geodetic, WGS84_A_M, WGS84_F};

/// The ellipsoid and the tolerances of the algorithm.
const F1: f64 = 1.0 - WGS84_F;
const E2: f64 = WGS84_F * (2.0 - WGS84_F);
const EP2: f64 = E2 / (F1 * F1);
const THIRD_FLATTENING: f64 = WGS84_F / (2.0 - WGS84_F);
const B_M: f64 = WGS84_A_M * F1;
const MAXIT1: u32 = 20;
const MAXIT2: u32 = MAXIT1 + f64::MANTISSA_DIGITS + 10;
/// sqrt(f64::MIN_POSITIVE).
const TINY: f64 = 1.491_668_146_240_041_3e-154;
const TOL0: f64 = f64::EPSILON;
const TOL1: f64 = 200.0 * TOL0;
/// sqrt(f64::EPSILON), exactly 2^-26.
const TOL2: f64 = 1.490_116_119_384_765_6e-8;
const TOLB: f64 = TOL0;
const XTHRESH: f64 = 1000.0 * TOL2;

/// The result of the inverse problem between two points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeodesicInverse {
    /// Length of the geodesic, metres.
    pub distance_m: f64,
    /// Azimuth at the first point, clockwise from north, radians in [0, 2π).
    pub initial_bearing_rad: f64,
    /// Azimuth at the second point (the direction of travel on arrival), radians in [0, 2π).
    pub final_bearing_rad: f64,
}

/// Shortest distance, initial and final bearing from `a` to `b` on the ellipsoid.
///
/// Heights are ignored: this is the distance along the ellipsoid's surface. For coincident
/// points the distance is 0 and the bearings are whatever the limit gives (0 or π). Any
/// input is accepted; NaN in gives NaN out.
pub fn geodesic_inverse(a: &Geodetic, b: &Geodetic) -> GeodesicInverse {
    let raw = inverse_deg(lat_deg_of(a), a.lon_deg(), lat_deg_of(b), b.lon_deg());
    GeodesicInverse {
        distance_m: raw.s12_m,
        initial_bearing_rad: bearing_rad_from_deg(atan2d(raw.salp1, raw.calp1)),
        final_bearing_rad: bearing_rad_from_deg(atan2d(raw.salp2, raw.calp2)),
    }
}

/// Shortest distance from `a` to `b` along the ellipsoid, metres (heights ignored).
pub fn distance_m(a: &Geodetic, b: &Geodetic) -> f64 {
    geodesic_inverse(a, b).distance_m
}

/// Initial bearing of the shortest path from `a` to `b`, clockwise from north, radians in
/// [0, 2π).
pub fn initial_bearing_rad(a: &Geodetic, b: &Geodetic) -> f64 {
    geodesic_inverse(a, b).initial_bearing_rad
}

/// The point reached by travelling `distance_m` along the geodesic that leaves `a` with
/// bearing `bearing_rad` (clockwise from north). The height of `a` is kept; the longitude is
/// returned in [-π, π]. Negative distances travel backwards.
pub fn destination(a: &Geodetic, bearing_rad: f64, distance_m: f64) -> Geodetic {
    let (lat_deg, lon_deg) = direct_deg(
        lat_deg_of(a),
        a.lon_deg(),
        bearing_rad.to_degrees(),
        distance_m,
    );
    Geodetic::from_deg(lat_deg, lon_deg, a.alt_hae_m)
}

/// Latitude in degrees, clamped to ±90° (radians → degrees may overshoot 90 by an ulp).
fn lat_deg_of(p: &Geodetic) -> f64 {
    p.lat_deg().clamp(-90.0, 90.0)
}

/// An azimuth in degrees in [-180°, 180°] as a bearing in radians in [0, 2π).
fn bearing_rad_from_deg(azi_deg: f64) -> f64 {
    let deg = if azi_deg < 0.0 {
        azi_deg + 360.0
    } else {
        azi_deg
    };
    let rad = deg.to_radians();
    if rad >= std::f64::consts::TAU {
        0.0
    } else {
        rad + 0.0
    }
}

// ---------------------------------------------------------------------------------------------
// Angle helpers (GeographicLib's Math class).

fn sq(x: f64) -> f64 {
    x * x
}

/// Normalises (x, y) to a unit vector.
fn norm2(x: f64, y: f64) -> (f64, f64) {
    let r = x.hypot(y);
    (x / r, y / r)
}

/// Error-free sum: u + v = s + t exactly.
fn sum_exact(u: f64, v: f64) -> (f64, f64) {
    let s = u + v;
    let up = s - v;
    let vpp = s - up;
    let t = if s == 0.0 {
        s
    } else {
        0.0 - ((up - u) + (vpp - v))
    };
    (s, t)
}

/// Evaluates the polynomial with coefficients `p` (highest power first) at `x`.
fn polyval(p: &[f64], x: f64) -> f64 {
    p.iter().fold(0.0, |y, &c| y * x + c)
}

/// Rounds tiny angles so that they underflow to zero rather than to denormals.
fn ang_round(x: f64) -> f64 {
    let z = 1.0 / 16.0;
    let y = x.abs();
    let y = if y < z { z - (z - y) } else { y };
    y.copysign(x)
}

/// x reduced to [-180, 180] (IEEE remainder by 360; NaN for infinities).
fn remainder_360(x: f64) -> f64 {
    if !x.is_finite() {
        return f64::NAN;
    }
    let y = x % 360.0;
    if y > 180.0 {
        y - 360.0
    } else if y < -180.0 {
        y + 360.0
    } else {
        y
    }
}

/// An angle reduced to [-180, 180], keeping the sign of x at ±180.
fn ang_normalize(x: f64) -> f64 {
    let y = remainder_360(x);
    if y.abs() == 180.0 {
        180f64.copysign(x)
    } else {
        y
    }
}

/// NaN for latitudes outside [-90, 90].
fn lat_fix(x: f64) -> f64 {
    if x.abs() > 90.0 { f64::NAN } else { x }
}

/// y - x reduced to [-180, 180], as an exact sum (d, t).
fn ang_diff(x: f64, y: f64) -> (f64, f64) {
    let (d, t) = sum_exact(remainder_360(-x), remainder_360(y));
    let (d, t) = sum_exact(remainder_360(d), t);
    if d == 0.0 || d.abs() == 180.0 {
        let sign_source = if t == 0.0 { y - x } else { -t };
        (d.copysign(sign_source), t)
    } else {
        (d, t)
    }
}

/// Sine and cosine of x degrees, exact for multiples of 90°.
fn sincosd(x: f64) -> (f64, f64) {
    let r = if x.is_finite() { x % 360.0 } else { f64::NAN };
    let q = if r.is_nan() {
        0.0
    } else {
        (r / 90.0).round_ties_even()
    };
    sincos_quadrant((r - 90.0 * q).to_radians(), q, x)
}

/// Sine and cosine of (x + t) degrees for x in [-180, 180] and a small correction t.
fn sincosde(x: f64, t: f64) -> (f64, f64) {
    let q = if x.is_finite() {
        (x / 90.0).round_ties_even()
    } else {
        0.0
    };
    sincos_quadrant(ang_round((x - 90.0 * q) + t).to_radians(), q, x)
}

/// Sine and cosine of r radians rotated by q quarter turns; zeros get the sign of x.
fn sincos_quadrant(r: f64, q: f64, x: f64) -> (f64, f64) {
    let (s, c) = r.sin_cos();
    let (s, c) = match (q as i64).rem_euclid(4) {
        1 => (c, -s),
        2 => (-s, -c),
        3 => (-c, s),
        _ => (s, c),
    };
    let s = if s == 0.0 { s.copysign(x) } else { s };
    (s, c + 0.0)
}

/// atan2 in degrees, exact for the axes.
fn atan2d(y: f64, x: f64) -> f64 {
    let (mut y, mut x) = (y, x);
    let mut q = 0;
    if y.abs() > x.abs() {
        std::mem::swap(&mut x, &mut y);
        q = 2;
    }
    if x < 0.0 {
        q += 1;
        x = -x;
    }
    let ang = y.atan2(x).to_degrees();
    match q {
        1 => 180f64.copysign(y) - ang,
        2 => 90.0 - ang,
        3 => -90.0 + ang,
        _ => ang,
    }
}

// ---------------------------------------------------------------------------------------------
// Series (Karney 2013, eqs. 17-25, to sixth order).

const ORDER: usize = 6;

/// Series coefficients that depend only on the ellipsoid (A3 and C3 as polynomials in eps).
struct EllipsoidSeries {
    a3x: [f64; ORDER],
    c3x: [f64; 15],
}

static SERIES: LazyLock<EllipsoidSeries> = LazyLock::new(|| {
    let n = THIRD_FLATTENING;
    #[rustfmt::skip]
    const A3_COEFF: [f64; 18] = [
        -3.0, 128.0,
        -2.0, -3.0, 64.0,
        -1.0, -3.0, -1.0, 16.0,
        3.0, -1.0, -2.0, 8.0,
        1.0, -1.0, 2.0,
        1.0, 1.0,
    ];
    #[rustfmt::skip]
    const C3_COEFF: [f64; 45] = [
        3.0, 128.0,
        2.0, 5.0, 128.0,
        -1.0, 3.0, 3.0, 64.0,
        -1.0, 0.0, 1.0, 8.0,
        -1.0, 1.0, 4.0,
        5.0, 256.0,
        1.0, 3.0, 128.0,
        -3.0, -2.0, 3.0, 64.0,
        1.0, -3.0, 2.0, 32.0,
        7.0, 512.0,
        -10.0, 9.0, 384.0,
        5.0, -9.0, 5.0, 192.0,
        7.0, 512.0,
        -14.0, 7.0, 512.0,
        21.0, 2560.0,
    ];
    let mut a3x = [0.0; ORDER];
    let mut o = 0;
    for (k, j) in (0..ORDER).rev().enumerate() {
        let m = (ORDER - j - 1).min(j);
        a3x[k] = polyval(&A3_COEFF[o..=o + m], n) / A3_COEFF[o + m + 1];
        o += m + 2;
    }
    let mut c3x = [0.0; 15];
    let (mut o, mut k) = (0, 0);
    for l in 1..ORDER {
        for j in (l..ORDER).rev() {
            let m = (ORDER - j - 1).min(j);
            c3x[k] = polyval(&C3_COEFF[o..=o + m], n) / C3_COEFF[o + m + 1];
            k += 1;
            o += m + 2;
        }
    }
    EllipsoidSeries { a3x, c3x }
});

/// Fills `c[1..=6]` with eps^l · P_l(eps²) / d_l from a packed coefficient table.
fn fill_eps_series(eps: f64, coeff: &[f64], c: &mut [f64; ORDER + 1]) {
    let eps2 = sq(eps);
    let mut d = eps;
    let mut o = 0;
    for (l, cl) in c.iter_mut().enumerate().skip(1) {
        let m = (ORDER - l) / 2;
        *cl = d * polyval(&coeff[o..=o + m], eps2) / coeff[o + m + 1];
        o += m + 2;
        d *= eps;
    }
}

/// A1 - 1.
fn a1m1f(eps: f64) -> f64 {
    let t = polyval(&[1.0, 4.0, 64.0, 0.0], sq(eps)) / 256.0;
    (t + eps) / (1.0 - eps)
}

/// C1 coefficients.
fn c1f(eps: f64) -> [f64; ORDER + 1] {
    #[rustfmt::skip]
    const COEFF: [f64; 18] = [
        -1.0, 6.0, -16.0, 32.0,
        -9.0, 64.0, -128.0, 2048.0,
        9.0, -16.0, 768.0,
        3.0, -5.0, 512.0,
        -7.0, 1280.0,
        -7.0, 2048.0,
    ];
    let mut c = [0.0; ORDER + 1];
    fill_eps_series(eps, &COEFF, &mut c);
    c
}

/// C1' coefficients (the reverted series, for the direct problem).
fn c1pf(eps: f64) -> [f64; ORDER + 1] {
    #[rustfmt::skip]
    const COEFF: [f64; 18] = [
        205.0, -432.0, 768.0, 1536.0,
        4005.0, -4736.0, 3840.0, 12288.0,
        -225.0, 116.0, 384.0,
        -7173.0, 2695.0, 7680.0,
        3467.0, 7680.0,
        38081.0, 61440.0,
    ];
    let mut c = [0.0; ORDER + 1];
    fill_eps_series(eps, &COEFF, &mut c);
    c
}

/// A2 - 1.
fn a2m1f(eps: f64) -> f64 {
    let t = polyval(&[-11.0, -28.0, -192.0, 0.0], sq(eps)) / 256.0;
    (t - eps) / (1.0 + eps)
}

/// C2 coefficients.
fn c2f(eps: f64) -> [f64; ORDER + 1] {
    #[rustfmt::skip]
    const COEFF: [f64; 18] = [
        1.0, 2.0, 16.0, 32.0,
        35.0, 64.0, 384.0, 2048.0,
        15.0, 80.0, 768.0,
        7.0, 35.0, 512.0,
        63.0, 1280.0,
        77.0, 2048.0,
    ];
    let mut c = [0.0; ORDER + 1];
    fill_eps_series(eps, &COEFF, &mut c);
    c
}

/// A3.
fn a3f(eps: f64) -> f64 {
    polyval(&SERIES.a3x, eps)
}

/// C3 coefficients (`c[1..=5]`).
fn c3f(eps: f64) -> [f64; ORDER] {
    let mut c = [0.0; ORDER];
    let mut mult = 1.0;
    let mut o = 0;
    for (l, cl) in c.iter_mut().enumerate().skip(1) {
        let m = ORDER - l - 1;
        mult *= eps;
        *cl = mult * polyval(&SERIES.c3x[o..=o + m], eps);
        o += m + 1;
    }
    c
}

/// eps from k² (Karney 2013, eq. 16).
fn eps_of_k2(k2: f64) -> f64 {
    k2 / (2.0 * (1.0 + (1.0 + k2).sqrt()) + k2)
}

/// Clenshaw summation of Σ c[l] sin(2lx) (`sinp`) or Σ c[l] cos((2l+1)x), with
/// `c[0]` unused in the sine case.
fn sin_cos_series(sinp: bool, sinx: f64, cosx: f64, c: &[f64]) -> f64 {
    let mut k = c.len();
    let mut n = k - usize::from(sinp);
    let ar = 2.0 * (cosx - sinx) * (cosx + sinx);
    let mut y1 = 0.0;
    let mut y0 = if n & 1 == 1 {
        k -= 1;
        c[k]
    } else {
        0.0
    };
    n /= 2;
    while n > 0 {
        n -= 1;
        k -= 1;
        y1 = ar * y0 - y1 + c[k];
        k -= 1;
        y0 = ar * y1 - y0 + c[k];
    }
    if sinp {
        2.0 * sinx * cosx * y0
    } else {
        cosx * (y0 - y1)
    }
}

/// Solves the astroid equation k⁴ + 2k³ - (x² + y² - 1)k² - 2y²k - y² = 0 for the positive
/// root (Karney 2013, eq. 55).
fn astroid(x: f64, y: f64) -> f64 {
    let p = sq(x);
    let q = sq(y);
    let r = (p + q - 1.0) / 6.0;
    if q == 0.0 && r <= 0.0 {
        return 0.0;
    }
    let s = p * q / 4.0;
    let r2 = sq(r);
    let r3 = r * r2;
    let disc = s * (s + 2.0 * r3);
    let mut u = r;
    if disc >= 0.0 {
        let mut t3 = s + r3;
        t3 += if t3 < 0.0 { -disc.sqrt() } else { disc.sqrt() };
        let t = t3.cbrt();
        u += t + if t != 0.0 { r2 / t } else { 0.0 };
    } else {
        let ang = (-disc).sqrt().atan2(-(s + r3));
        u += 2.0 * r * (ang / 3.0).cos();
    }
    let v = (sq(u) + q).sqrt();
    let uv = if u < 0.0 { q / (v - u) } else { u + v };
    let w = (uv - q) / (2.0 * v);
    uv / ((uv + sq(w)).sqrt() + w)
}

// ---------------------------------------------------------------------------------------------
// The inverse problem.

/// The two points reduced to reduced latitudes (sin β, cos β) and the radius factor dn.
#[derive(Debug, Clone, Copy)]
struct Endpoints {
    sbet1: f64,
    cbet1: f64,
    dn1: f64,
    sbet2: f64,
    cbet2: f64,
    dn2: f64,
}

/// Points on the auxiliary sphere: (sin σ, cos σ) of both ends.
#[derive(Debug, Clone, Copy)]
struct Sigmas {
    ssig1: f64,
    csig1: f64,
    ssig2: f64,
    csig2: f64,
}

/// Raw solution of the inverse problem: distance and (sin, cos) of both azimuths.
#[derive(Debug, Clone, Copy)]
struct InverseRaw {
    s12_m: f64,
    salp1: f64,
    calp1: f64,
    salp2: f64,
    calp2: f64,
}

/// Distance s12/b and reduced length m12/b (Karney 2013, eqs. 38-40).
fn lengths(eps: f64, sig12: f64, sg: &Sigmas, ep: &Endpoints) -> (f64, f64) {
    let a1 = a1m1f(eps);
    let c1a = c1f(eps);
    let a2 = a2m1f(eps);
    let c2a = c2f(eps);
    let m0x = a1 - a2;
    let (a1, a2) = (1.0 + a1, 1.0 + a2);
    let b1 = sin_cos_series(true, sg.ssig2, sg.csig2, &c1a)
        - sin_cos_series(true, sg.ssig1, sg.csig1, &c1a);
    let b2 = sin_cos_series(true, sg.ssig2, sg.csig2, &c2a)
        - sin_cos_series(true, sg.ssig1, sg.csig1, &c2a);
    let s12b = a1 * (sig12 + b1);
    let j12 = m0x * sig12 + (a1 * b1 - a2 * b2);
    let m12b =
        ep.dn2 * (sg.csig1 * sg.ssig2) - ep.dn1 * (sg.ssig1 * sg.csig2) - sg.csig1 * sg.csig2 * j12;
    (s12b, m12b)
}

/// σ12 from the two ends, clamped to be non-negative.
fn sigma12(sg: &Sigmas) -> f64 {
    ((sg.csig1 * sg.ssig2 - sg.ssig1 * sg.csig2).max(0.0) + 0.0)
        .atan2(sg.csig1 * sg.csig2 + sg.ssig1 * sg.ssig2)
}

/// Solves the inverse problem in degrees; returns metres and unnormalised azimuth sines and
/// cosines (Karney 2013, section 4).
fn inverse_deg(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> InverseRaw {
    let (lon12, lon12s) = ang_diff(lon1, lon2);
    let mut lonsign = 1f64.copysign(lon12);
    let (lon12, lon12s) = (lonsign * lon12, lonsign * lon12s);
    let lam12 = lon12.to_radians();
    let (slam12, clam12) = sincosde(lon12, lon12s);
    let lon12s = (180.0 - lon12) - lon12s; // the supplementary longitude difference

    // Make |lat1| >= |lat2| and lat1 <= 0.
    let mut lat1 = ang_round(lat_fix(lat1));
    let mut lat2 = ang_round(lat_fix(lat2));
    let swapp = if lat1.abs() < lat2.abs() || lat2.is_nan() {
        -1.0
    } else {
        1.0
    };
    if swapp < 0.0 {
        lonsign = -lonsign;
        std::mem::swap(&mut lat1, &mut lat2);
    }
    let latsign = 1f64.copysign(-lat1);
    let ep = endpoints(lat1 * latsign, lat2 * latsign);

    let mut raw = solve_canonical(&ep, lat1 * latsign, lam12, slam12, clam12, lon12s);
    if swapp < 0.0 {
        std::mem::swap(&mut raw.salp1, &mut raw.salp2);
        std::mem::swap(&mut raw.calp1, &mut raw.calp2);
    }
    raw.salp1 *= swapp * lonsign;
    raw.calp1 *= swapp * latsign;
    raw.salp2 *= swapp * lonsign;
    raw.calp2 *= swapp * latsign;
    raw.s12_m += 0.0;
    raw
}

/// Reduced latitudes of the canonicalised points, with the exact symmetries restored.
fn endpoints(lat1: f64, lat2: f64) -> Endpoints {
    let reduced = |lat: f64| {
        let (s, c) = sincosd(lat);
        let (s, c) = norm2(s * F1, c);
        (s, c.max(TINY))
    };
    let (sbet1, cbet1) = reduced(lat1);
    let (mut sbet2, mut cbet2) = reduced(lat2);
    // If the latitudes are equal or opposite, make them exactly so.
    if cbet1 < -sbet1 {
        if cbet2 == cbet1 {
            sbet2 = sbet1.copysign(sbet2);
        }
    } else if sbet2.abs() == -sbet1 {
        cbet2 = cbet1;
    }
    Endpoints {
        sbet1,
        cbet1,
        dn1: (1.0 + EP2 * sq(sbet1)).sqrt(),
        sbet2,
        cbet2,
        dn2: (1.0 + EP2 * sq(sbet2)).sqrt(),
    }
}

/// Solves the canonical inverse problem: along a meridian, along the equator, or in general.
fn solve_canonical(
    ep: &Endpoints,
    lat1: f64,
    lam12: f64,
    slam12: f64,
    clam12: f64,
    lon12s: f64,
) -> InverseRaw {
    if (lat1 == -90.0 || slam12 == 0.0)
        && let Some(raw) = meridian(ep, slam12, clam12)
    {
        return raw;
    }
    if ep.sbet1 == 0.0 && lon12s >= WGS84_F * 180.0 {
        // Along the equator (and not so far that the geodesic leaves it).
        return InverseRaw {
            s12_m: WGS84_A_M * lam12,
            salp1: 1.0,
            calp1: 0.0,
            salp2: 1.0,
            calp2: 0.0,
        };
    }
    general(ep, lam12, slam12, clam12)
}

/// The meridional geodesic, if it is the shortest path (it is not for points nearly
/// antipodal across a pole).
fn meridian(ep: &Endpoints, slam12: f64, clam12: f64) -> Option<InverseRaw> {
    let (calp1, salp1) = (clam12, slam12);
    let sg = Sigmas {
        ssig1: ep.sbet1,
        csig1: calp1 * ep.cbet1,
        ssig2: ep.sbet2,
        csig2: ep.cbet2,
    };
    let sig12 = sigma12(&sg);
    let (mut s12x, m12x) = lengths(THIRD_FLATTENING, sig12, &sg, ep);
    let is_shortest = sig12 < TOL2 || m12x >= 0.0;
    if !is_shortest {
        return None;
    }
    if sig12 < 3.0 * TINY || (sig12 < TOL0 && (s12x < 0.0 || m12x < 0.0)) {
        s12x = 0.0;
    }
    Some(InverseRaw {
        s12_m: s12x * B_M,
        salp1,
        calp1,
        salp2: 0.0,
        calp2: 1.0,
    })
}

/// The general case: a starting guess, then Newton's method safeguarded by bisection on the
/// initial azimuth.
fn general(ep: &Endpoints, lam12: f64, slam12: f64, clam12: f64) -> InverseRaw {
    let start = inverse_start(ep, lam12, slam12, clam12);
    if let Some(short) = start.short_line {
        return InverseRaw {
            s12_m: short.sig12 * B_M * short.dnm,
            salp1: start.salp1,
            calp1: start.calp1,
            salp2: short.salp2,
            calp2: short.calp2,
        };
    }
    let (mut salp1, mut calp1) = (start.salp1, start.calp1);
    let mut numit = 0;
    let (mut tripn, mut tripb) = (false, false);
    let (mut salp1a, mut calp1a) = (TINY, 1.0);
    let (mut salp1b, mut calp1b) = (TINY, -1.0);
    let mut sol;
    loop {
        sol = lambda12(ep, salp1, calp1, slam12, clam12, numit < MAXIT1);
        let v = sol.lam12_error;
        let threshold = if tripn { 8.0 } else { 1.0 } * TOL0;
        let converged = v.abs() < threshold || v.is_nan();
        if tripb || converged || numit == MAXIT2 {
            break;
        }
        // Update the bracket.
        if v > 0.0 && (numit > MAXIT1 || calp1 / salp1 > calp1b / salp1b) {
            (salp1b, calp1b) = (salp1, calp1);
        } else if v < 0.0 && (numit > MAXIT1 || calp1 / salp1 < calp1a / salp1a) {
            (salp1a, calp1a) = (salp1, calp1);
        }
        numit += 1;
        if numit < MAXIT1 && sol.dlam12 > 0.0 {
            let dalp1 = -v / sol.dlam12;
            if dalp1.abs() < std::f64::consts::PI {
                let (sdalp1, cdalp1) = dalp1.sin_cos();
                let nsalp1 = salp1 * cdalp1 + calp1 * sdalp1;
                if nsalp1 > 0.0 {
                    calp1 = calp1 * cdalp1 - salp1 * sdalp1;
                    (salp1, calp1) = norm2(nsalp1, calp1);
                    tripn = v.abs() <= 16.0 * TOL0;
                    continue;
                }
            }
        }
        // Newton failed or went out of the bracket: bisect.
        (salp1, calp1) = norm2((salp1a + salp1b) / 2.0, (calp1a + calp1b) / 2.0);
        tripn = false;
        tripb = (salp1a - salp1).abs() + (calp1a - calp1) < TOLB
            || (salp1 - salp1b).abs() + (calp1 - calp1b) < TOLB;
    }
    let (s12b, _) = lengths(sol.eps, sol.sig12, &sol.sigmas, ep);
    InverseRaw {
        s12_m: s12b * B_M,
        salp1,
        calp1,
        salp2: sol.salp2,
        calp2: sol.calp2,
    }
}

/// A geodesic short enough to be solved on a sphere of mean curvature.
#[derive(Debug, Clone, Copy)]
struct ShortLine {
    sig12: f64,
    salp2: f64,
    calp2: f64,
    dnm: f64,
}

/// The starting azimuth for Newton's method, or the whole answer for very short lines.
#[derive(Debug, Clone, Copy)]
struct Start {
    salp1: f64,
    calp1: f64,
    short_line: Option<ShortLine>,
}

/// Starting guess for the initial azimuth (Karney 2013, sections 4 and 5).
fn inverse_start(ep: &Endpoints, lam12: f64, slam12: f64, clam12: f64) -> Start {
    let Endpoints {
        sbet1,
        cbet1,
        sbet2,
        cbet2,
        ..
    } = *ep;
    let sbet12 = sbet2 * cbet1 - cbet2 * sbet1;
    let cbet12 = cbet2 * cbet1 + sbet2 * sbet1;
    let sbet12a = sbet2 * cbet1 + cbet2 * sbet1;
    let shortline = cbet12 >= 0.0 && sbet12 < 0.5 && cbet2 * lam12 < 0.5;
    let (mut somg12, mut comg12, mut dnm) = (slam12, clam12, f64::NAN);
    if shortline {
        let mut sbetm2 = sq(sbet1 + sbet2);
        sbetm2 /= sbetm2 + sq(cbet1 + cbet2);
        dnm = (1.0 + EP2 * sbetm2).sqrt();
        let omg12 = lam12 / (F1 * dnm);
        (somg12, comg12) = omg12.sin_cos();
    }
    let mut salp1 = cbet2 * somg12;
    let mut calp1 = if comg12 >= 0.0 {
        sbet12 + cbet2 * sbet1 * sq(somg12) / (1.0 + comg12)
    } else {
        sbet12a - cbet2 * sbet1 * sq(somg12) / (1.0 - comg12)
    };
    let ssig12 = salp1.hypot(calp1);
    let csig12 = sbet1 * sbet2 + cbet1 * cbet2 * comg12;
    let mut short_line = None;
    if shortline && ssig12 < etol2() {
        let salp2 = cbet1 * somg12;
        let calp2 = sbet12
            - cbet1
                * sbet2
                * if comg12 >= 0.0 {
                    sq(somg12) / (1.0 + comg12)
                } else {
                    1.0 - comg12
                };
        let (salp2, calp2) = norm2(salp2, calp2);
        short_line = Some(ShortLine {
            sig12: ssig12.atan2(csig12),
            salp2,
            calp2,
            dnm,
        });
    } else if THIRD_FLATTENING.abs() >= 0.1
        || csig12 >= 0.0
        || ssig12 >= 6.0 * THIRD_FLATTENING.abs() * std::f64::consts::PI * sq(cbet1)
    {
        // The spherical guess is good enough.
    } else {
        (salp1, calp1) = nearly_antipodal_start(ep, slam12, clam12, sbet12a);
    }
    let (salp1, calp1) = if salp1 > 0.0 || salp1.is_nan() {
        norm2(salp1, calp1)
    } else {
        (1.0, 0.0)
    };
    Start {
        salp1,
        calp1,
        short_line,
    }
}

/// Tolerance for the short-line shortcut.
fn etol2() -> f64 {
    0.1 * TOL2 / ((WGS84_F.abs().max(0.001) * (1.0 - WGS84_F / 2.0).min(1.0)) / 2.0).sqrt()
}

/// Starting guess for nearly antipodal points from the astroid (Karney 2013, section 5).
fn nearly_antipodal_start(ep: &Endpoints, slam12: f64, clam12: f64, sbet12a: f64) -> (f64, f64) {
    let (sbet1, cbet1, cbet2) = (ep.sbet1, ep.cbet1, ep.cbet2);
    let lam12x = (-slam12).atan2(-clam12);
    let k2 = sq(sbet1) * EP2;
    let eps = eps_of_k2(k2);
    let lamscale = WGS84_F * cbet1 * a3f(eps) * std::f64::consts::PI;
    let betscale = lamscale * cbet1;
    let x = lam12x / lamscale;
    let y = sbet12a / betscale;
    if y > -TOL1 && x > -1.0 - XTHRESH {
        let salp1 = (-x).min(1.0);
        (salp1, -(1.0 - sq(salp1)).sqrt())
    } else {
        let k = astroid(x, y);
        let omg12a = lamscale * (-x * k / (1.0 + k));
        let (somg12, comg12) = (omg12a.sin(), -omg12a.cos());
        let salp1 = cbet2 * somg12;
        let calp1 = sbet12a - cbet2 * sbet1 * sq(somg12) / (1.0 - comg12);
        (salp1, calp1)
    }
}

/// One evaluation of the hybrid problem: where a geodesic with initial azimuth α1 crosses the
/// second latitude, and how far its longitude is from the target.
#[derive(Debug, Clone, Copy)]
struct Lambda12 {
    lam12_error: f64,
    salp2: f64,
    calp2: f64,
    sig12: f64,
    sigmas: Sigmas,
    eps: f64,
    dlam12: f64,
}

/// Solves the hybrid problem for initial azimuth (salp1, calp1) (Karney 2013, section 4);
/// `diffp` asks for the derivative d(λ12)/d(α1) as well, for Newton's method.
fn lambda12(
    ep: &Endpoints,
    salp1: f64,
    calp1: f64,
    slam120: f64,
    clam120: f64,
    diffp: bool,
) -> Lambda12 {
    let Endpoints {
        sbet1,
        cbet1,
        dn1,
        sbet2,
        cbet2,
        ..
    } = *ep;
    let calp1 = if sbet1 == 0.0 && calp1 == 0.0 {
        -TINY
    } else {
        calp1
    };
    let salp0 = salp1 * cbet1;
    let calp0 = calp1.hypot(salp1 * sbet1);
    let somg1 = salp0 * sbet1;
    let comg1 = calp1 * cbet1;
    let (ssig1, csig1) = norm2(sbet1, comg1);
    let salp2 = if cbet2 != cbet1 { salp0 / cbet2 } else { salp1 };
    let calp2 = if cbet2 != cbet1 || sbet2.abs() != -sbet1 {
        let d = if cbet1 < -sbet1 {
            (cbet2 - cbet1) * (cbet1 + cbet2)
        } else {
            (sbet1 - sbet2) * (sbet1 + sbet2)
        };
        (sq(calp1 * cbet1) + d).sqrt() / cbet2
    } else {
        calp1.abs()
    };
    let somg2 = salp0 * sbet2;
    let comg2 = calp2 * cbet2;
    let (ssig2, csig2) = norm2(sbet2, comg2);
    let sigmas = Sigmas {
        ssig1,
        csig1,
        ssig2,
        csig2,
    };
    let sig12 = sigma12(&sigmas);
    let somg12 = (comg1 * somg2 - somg1 * comg2).max(0.0) + 0.0;
    let comg12 = comg1 * comg2 + somg1 * somg2;
    let eta = (somg12 * clam120 - comg12 * slam120).atan2(comg12 * clam120 + somg12 * slam120);
    let eps = eps_of_k2(sq(calp0) * EP2);
    let c3a = c3f(eps);
    let b312 = sin_cos_series(true, ssig2, csig2, &c3a) - sin_cos_series(true, ssig1, csig1, &c3a);
    let domg12 = -WGS84_F * a3f(eps) * salp0 * (sig12 + b312);
    let dlam12 = if !diffp {
        f64::NAN
    } else if calp2 == 0.0 {
        -2.0 * F1 * dn1 / sbet1
    } else {
        let (_, m12b) = lengths(eps, sig12, &sigmas, ep);
        m12b * F1 / (calp2 * cbet2)
    };
    Lambda12 {
        lam12_error: eta + domg12,
        salp2,
        calp2,
        sig12,
        sigmas,
        eps,
        dlam12,
    }
}

// ---------------------------------------------------------------------------------------------
// The direct problem.

/// Solves the direct problem in degrees and metres; returns (lat2, lon2) in degrees.
fn direct_deg(lat1: f64, lon1: f64, azi1: f64, s12_m: f64) -> (f64, f64) {
    let lat1 = lat_fix(lat1);
    let (salp1, calp1) = sincosd(ang_round(azi1));
    let (sbet1, cbet1) = sincosd(ang_round(lat1));
    let (sbet1, cbet1) = norm2(sbet1 * F1, cbet1);
    let cbet1 = cbet1.max(TINY);
    let salp0 = salp1 * cbet1;
    let calp0 = calp1.hypot(salp1 * sbet1);
    let somg1 = salp0 * sbet1;
    let comg1 = if sbet1 != 0.0 || calp1 != 0.0 {
        cbet1 * calp1
    } else {
        1.0
    };
    let (ssig1, csig1) = norm2(sbet1, comg1);
    let eps = eps_of_k2(sq(calp0) * EP2);
    let a1m1 = a1m1f(eps);
    let c1a = c1f(eps);
    let b11 = sin_cos_series(true, ssig1, csig1, &c1a);
    let (s, c) = b11.sin_cos();
    let stau1 = ssig1 * c + csig1 * s;
    let ctau1 = csig1 * c - ssig1 * s;
    let c1pa = c1pf(eps);
    let c3a = c3f(eps);
    let a3c = -WGS84_F * salp0 * a3f(eps);
    let b31 = sin_cos_series(true, ssig1, csig1, &c3a);

    let tau12 = s12_m / (B_M * (1.0 + a1m1));
    let tau12 = if tau12.is_finite() { tau12 } else { f64::NAN };
    let (s, c) = tau12.sin_cos();
    let b12 = -sin_cos_series(true, stau1 * c + ctau1 * s, ctau1 * c - stau1 * s, &c1pa);
    let sig12 = tau12 - (b12 - b11);
    let (ssig12, csig12) = sig12.sin_cos();
    let ssig2 = ssig1 * csig12 + csig1 * ssig12;
    let mut csig2 = csig1 * csig12 - ssig1 * ssig12;
    let sbet2 = calp0 * ssig2;
    let mut cbet2 = salp0.hypot(calp0 * csig2);
    if cbet2 == 0.0 {
        cbet2 = TINY;
        csig2 = TINY;
    }
    let somg2 = salp0 * ssig2;
    let comg2 = csig2;
    let omg12 = (somg2 * comg1 - comg2 * somg1).atan2(comg2 * comg1 + somg2 * somg1);
    let lam12 = omg12 + a3c * (sig12 + (sin_cos_series(true, ssig2, csig2, &c3a) - b31));
    let lon2 = ang_normalize(ang_normalize(lon1) + ang_normalize(lam12.to_degrees()));
    let lat2 = atan2d(sbet2, F1 * cbet2);
    (lat2, lon2)
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

    #[test]
    fn inverse_matches_geographiclib() {
        for &(lat1, lon1, lat2, lon2, s12, azi1, azi2) in INVERSE_REFERENCE {
            let a = Geodetic::from_deg(lat1, lon1, 0.0);
            let b = Geodetic::from_deg(lat2, lon2, 0.0);
            let inv = geodesic_inverse(&a, &b);
            let case = format!("({lat1}, {lon1}) -> ({lat2}, {lon2})");
            assert!(
                (inv.distance_m - s12).abs() < 1e-6,
                "{case}: {inv:?} vs {s12}"
            );
            let antipodal = lat1 == -lat2 && (lon1 - lon2).abs() == 180.0;
            if s12 > 0.0 && !antipodal {
                // Exactly antipodal and coincident points have no unique azimuth.
                // Compare the sideways offset an azimuth error makes at the far end.
                let az1 = inv.initial_bearing_rad.to_degrees();
                let az2 = inv.final_bearing_rad.to_degrees();
                let off1_m = angle_diff_deg(az1, azi1).to_radians() * s12;
                let off2_m = angle_diff_deg(az2, azi2).to_radians() * s12;
                assert!(off1_m < 1e-6, "{case}: azi1 {az1} vs {azi1}");
                assert!(off2_m < 1e-6, "{case}: azi2 {az2} vs {azi2}");
            }
            assert_eq!(distance_m(&a, &b), inv.distance_m);
            assert_eq!(initial_bearing_rad(&a, &b), inv.initial_bearing_rad);
        }
    }

    #[test]
    fn published_geographiclib_example() {
        // From the geographiclib documentation: Inverse(-41.32, 174.81, 40.96, -5.50).
        let inv = geodesic_inverse(
            &Geodetic::from_deg(-41.32, 174.81, 0.0),
            &Geodetic::from_deg(40.96, -5.50, 0.0),
        );
        assert!(
            (inv.distance_m - 19_959_679.267_353_82).abs() < 1e-6,
            "{inv:?}"
        );
        assert!((inv.initial_bearing_rad.to_degrees() - 161.067_669_986_158_82).abs() < 1e-9);
        assert!((inv.final_bearing_rad.to_degrees() - 18.825_195_123_248_392).abs() < 1e-9);
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
            let inv = geodesic_inverse(&from, &to);
            worst_m = worst_m.max((inv.distance_m - dist).abs());
            assert!(
                (inv.distance_m - dist).abs() < 1e-6,
                "{from:?} {bearing} {dist}: {inv:?}"
            );
            if (10.0..1e7).contains(&dist) {
                let d = (inv.initial_bearing_rad - bearing).rem_euclid(2.0 * PI);
                assert!(
                    d.min(2.0 * PI - d) < 1e-9,
                    "{from:?} {bearing} {dist}: {inv:?}"
                );
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
            let inv = geodesic_inverse(
                &Geodetic::from_deg(0.0, 0.0, 0.0),
                &Geodetic::from_deg(lat2, lon2, 0.0),
            );
            assert!(
                inv.distance_m > 19_900_000.0 && inv.distance_m < 20_004_000.0,
                "{inv:?}"
            );
            assert!(inv.initial_bearing_rad.is_finite(), "{inv:?}");
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

    #[test]
    fn angle_helpers_are_exact_on_the_axes() {
        assert_eq!(sincosd(90.0), (1.0, 0.0));
        assert_eq!(sincosd(-180.0), (-0.0, -1.0));
        assert_eq!(sincosd(450.0), (1.0, 0.0));
        assert_eq!(atan2d(1.0, 0.0), 90.0);
        assert_eq!(atan2d(0.0, -1.0), 180.0);
        assert_eq!(ang_normalize(540.0), 180.0);
        assert_eq!(ang_normalize(-190.0), 170.0);
        assert_eq!(ang_diff(179.0, -179.0).0, 2.0);
        assert_eq!(bearing_rad_from_deg(-1e-30), 0.0);
    }
}
