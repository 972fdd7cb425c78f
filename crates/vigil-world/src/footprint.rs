//! Camera footprints and target geolocation: where on the ground a drone's camera is looking,
//! and where on the ground something it detects is, with how sure we can be.
//!
//! Why this module exists: an operator needs to see on the map what a drone can see right now
//! (to know what has been observed and what has not), and the tracker needs detections as
//! ground positions with a covariance, while a drone only knows its own pose, its gimbal's
//! angles, its camera's field of view and, for a detection, a position in the image. Some
//! cameras send the ground point of the image centre (CAMERA_FOV_STATUS), but only of the
//! centre, over flat ground, with no uncertainty, and many send nothing. This module does the
//! geometry in the ground station, over flat ground or a terrain model, and propagates the
//! uncertainty of the pose to the ground.
//!
//! # Conventions
//!
//! - SI units, angles in radians; names carry their unit and frame (`hfov_rad`, `slant_range_m`,
//!   `covariance_en_m2`), as in [`vigil_core::geodesy`].
//! - NED (north-east-down) is the frame of attitudes; ENU (east-north-up) is the frame of the
//!   results' covariance. Both are the local tangent frames of [`vigil_core::geodesy::LocalFrame`].
//! - Attitudes are Z-Y-X (yaw, then pitch, then roll) Euler angles taking body vectors to NED:
//!   `v_ned = Rz(yaw)·Ry(pitch)·Rx(roll)·v_body`, as in MAVLink's ATTITUDE. Positive pitch is
//!   nose up, positive roll is right wing down, positive yaw is clockwise seen from above
//!   (east of north).
//! - The camera frame is x along the optical axis, y to the right of the image, z to the bottom
//!   of the image. A gimbal attitude of all zeros looks at the horizon, due north (earth frame)
//!   or straight ahead (vehicle frame), or along the airframe's nose (body frame); a pitch of
//!   -π/2 looks straight down, with the top of the image towards the yaw direction.
//! - Image positions are normalised device coordinates ([`ndc_from_pixel`]): x from -1 at the
//!   left edge to +1 at the right edge, y from -1 at the **top** edge to +1 at the bottom edge
//!   (the direction of image rows). The camera is a pinhole: `hfov_rad` and `vfov_rad` are the
//!   full angles between the left and right edges and the top and bottom edges, and lens
//!   distortion must have been removed from detections before they get here.
//!
//! # Gimbal attitude (MAVLink gimbal protocol v2)
//!
//! GIMBAL_DEVICE_ATTITUDE_STATUS reports a quaternion whose roll and pitch are always relative
//! to the horizon and whose yaw is relative to north or to the vehicle's heading, depending on
//! its flags ([`YawFrame::from_gimbal_device_flags`]): "vehicle frame" in MAVLink is the earth
//! frame rotated by the vehicle's yaw only, not the airframe. Converted to Z-Y-X Euler angles
//! it gives a [`GimbalAttitude`]:
//! - [`YawFrame::Earth`] (`GIMBAL_DEVICE_FLAGS_YAW_IN_EARTH_FRAME`, or the legacy
//!   `GIMBAL_DEVICE_FLAGS_YAW_LOCK`): the camera's attitude is the gimbal's; the vehicle's
//!   attitude does not enter at all.
//! - [`YawFrame::Vehicle`] (`GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME`, or neither flag):
//!   the camera's yaw is the vehicle's yaw plus the gimbal's; roll and pitch are the gimbal's
//!   (a stabilised gimbal). The vehicle's roll and pitch do not enter.
//! - [`YawFrame::Body`] (not a MAVLink gimbal frame): a camera fixed to the airframe or an
//!   unstabilised mount; the gimbal angles are the mounting angles relative to the body, and
//!   the vehicle's full attitude moves the camera (`R_ned_from_camera = R_ned_from_body ·
//!   R_body_from_camera`). A belly camera is pitch -π/2.
//!
//! # Heights
//!
//! [`Geodetic`] calls its height `alt_hae_m`, and the geometry here treats it as a height above
//! the WGS84 ellipsoid. What matters is that the drone's height and the ground's height
//! ([`Terrain::ground_alt_m`], [`FlatTerrain::alt_m`]) are in the **same** datum: the geometry
//! depends only on their difference. Vigil's drones report altitude above mean sea level
//! (GLOBAL_POSITION_INT.alt, HOME_POSITION.altitude), so the usual call puts the drone's
//! `alt_msl_m` into `position.alt_hae_m` and uses the home's `alt_msl_m` (or an MSL terrain
//! model) for the ground; the heights of the results are then MSL too. Doing so treats the
//! geoid as parallel to the ellipsoid, which costs at most N/R ≈ 1.7e-5 of the ground distance
//! (N ≤ 107 m the geoid undulation, R the Earth's radius: 1.7 cm at 1 km) plus the geoid's
//! slope over the footprint (rarely above 1e-4, 10 cm per km). Mixing datums is wrong by the
//! undulation itself, tens of metres of height, which becomes as many metres on the ground at
//! 45° and more at grazing angles.
//!
//! # Ground and range
//!
//! The ground is a [`Terrain`]: [`FlatTerrain`] is a constant height above the datum (so it
//! follows the Earth's curvature, which matters at long range: the horizon is where rays stop
//! meeting it), and a digital elevation model can implement the same trait. A ray is followed
//! from the camera by marching with steps that cannot jump over the terrain if its slope is at
//! most [`Terrain::max_slope`], then the crossing is bisected to a micrometre. Atmospheric
//! refraction is ignored: it bends rays down by about 0.13 of the Earth's curvature, so grazing
//! rays really meet the ground a little nearer than computed here (13 m nearer at 5 km from
//! 100 m up).
//!
//! `max_range_m` is a slant range from the camera. A ray that does not meet the ground within
//! it (above the horizon, or too shallow) is cut there: the footprint's vertex is the ground
//! point below the ray's point at `max_range_m`, and the footprint is flagged `truncated`. So
//! is a ray that leaves the terrain model's coverage, cut at the last point where the model
//! had a height.
//!
//! # Uncertainty
//!
//! [`geolocate`] propagates [`PoseUncertainty`] to first order: a 2×9 Jacobian of the ground
//! point's east and north with respect to the drone's east, north and up, the vehicle's roll,
//! pitch and yaw, and three small rotations of the camera about its own axes, by central
//! differences (one-sided next to the range limit), then `Σ_en = J·diag(σ²)·Jᵀ`. The gimbal's
//! error is a small rotation of the camera rather than errors of its Euler angles, which would
//! wrongly make the cross-track error vanish when looking straight down (gimbal lock). All
//! inputs are independent; the error of the detection's image position is not included. The
//! linearisation underestimates the spread when the ray is close to grazing the ground.

// Long: the camera model, ray casting onto flat ground or a terrain model, and pixel geolocation with its uncertainty share private geometry; the tests are in footprint/tests.rs.

use std::f64::consts::{FRAC_PI_2, PI};

use nalgebra::{Matrix2, Matrix3, Rotation3, Vector3};

use vigil_core::geodesy::{Geodetic, LocalFrame, geodetic_from_ecef, point_in_ring};

/// Segments per footprint edge: each edge of the image is sampled at this many intervals, so
/// that the outline follows the terrain (on flat ground the edges are straight anyway).
pub const EDGE_SEGMENTS: usize = 8;
/// The largest `max_range_m` accepted, metres (a camera sees nothing useful beyond this).
pub const MAX_RANGE_LIMIT_M: f64 = 1_000_000.0;
/// The range limit used by [`geolocate`], metres; [`geolocate_within`] takes its own.
pub const DEFAULT_GEOLOCATION_RANGE_M: f64 = 20_000.0;
/// The terrain slope (rise over run) assumed by [`Terrain::max_slope`] unless a model says
/// otherwise: 5, about 79°.
pub const DEFAULT_MAX_SLOPE: f64 = 5.0;

/// Shortest marching step, metres: terrain features thinner than this along a ray may be
/// missed.
const MIN_STEP_M: f64 = 0.25;
/// At most this many marching steps per ray (the minimum step grows with the range to keep it).
const MAX_MARCH_STEPS: f64 = 20_000.0;
/// The bisection stops when the crossing is bracketed this closely, metres.
const BISECTION_TOLERANCE_M: f64 = 1e-6;
/// Where a ray leaves a terrain model's coverage is found to this, metres.
const COVERAGE_TOLERANCE_M: f64 = 1e-3;
/// How far outside -1..=1 an image coordinate may be (rounding in the caller's conversion).
const NDC_TOLERANCE: f64 = 1e-9;
/// Difference steps of the numerical Jacobian.
const POSITION_STEP_M: f64 = 1e-2;
const ANGLE_STEP_RAD: f64 = 1e-5;

/// `GIMBAL_DEVICE_FLAGS_YAW_LOCK` (legacy; see [`YawFrame::from_gimbal_device_flags`]).
const GIMBAL_DEVICE_FLAGS_YAW_LOCK: u16 = 16;
/// `GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME`.
const GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME: u16 = 32;
/// `GIMBAL_DEVICE_FLAGS_YAW_IN_EARTH_FRAME`.
const GIMBAL_DEVICE_FLAGS_YAW_IN_EARTH_FRAME: u16 = 64;

/// Everything that can stop a footprint or a geolocation. Messages name the offending value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FootprintError {
    /// An input was NaN or infinite.
    #[error("{what} is not a finite number ({value})")]
    NotFinite {
        /// Which input, e.g. "vehicle roll".
        what: &'static str,
        /// The value that was given.
        value: f64,
    },
    /// A finite input outside its domain (a field of view of 0, a negative deviation...).
    #[error("{what} = {value} is out of range: {expected}")]
    OutOfRange {
        /// Which input.
        what: &'static str,
        /// The value that was given.
        value: f64,
        /// The accepted range, in words.
        expected: &'static str,
    },
    /// The camera is at or below the ground under it.
    #[error("the camera at {camera_alt_m} m is not above the ground at {ground_alt_m} m")]
    CameraBelowGround {
        /// The camera's height, metres.
        camera_alt_m: f64,
        /// The ground's height under it, metres, in the same datum.
        ground_alt_m: f64,
    },
    /// The ray (or, for a footprint, every ray) misses the ground within the range limit.
    #[error("the ray does not meet the ground within {max_range_m} m of the camera")]
    NoGroundIntersection {
        /// The range limit, metres.
        max_range_m: f64,
    },
    /// The terrain model has no height where one was needed.
    #[error("the terrain model has no height at {lat_deg}°, {lon_deg}°")]
    NoTerrain {
        /// Latitude of the point, degrees.
        lat_deg: f64,
        /// Longitude of the point, degrees.
        lon_deg: f64,
    },
}

/// The vehicle's attitude: Z-Y-X Euler angles from body (forward-right-down) to NED.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct VehicleAttitude {
    /// Roll, radians, positive right wing down.
    pub roll_rad: f64,
    /// Pitch, radians, positive nose up.
    pub pitch_rad: f64,
    /// Yaw (heading), radians, clockwise from true north.
    pub yaw_rad: f64,
}

impl VehicleAttitude {
    /// Rotation taking body vectors to NED vectors.
    pub fn rot_ned_from_body(&self) -> Matrix3<f64> {
        rot_zyx(self.roll_rad, self.pitch_rad, self.yaw_rad)
    }
}

/// What the gimbal's angles are relative to (see the module's documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YawFrame {
    /// Yaw from true north, roll and pitch from the horizon (MAVLink earth frame).
    Earth,
    /// Yaw from the vehicle's heading, roll and pitch from the horizon (MAVLink vehicle frame).
    Vehicle,
    /// Roll, pitch and yaw from the airframe: a fixed camera or an unstabilised mount.
    Body,
}

impl YawFrame {
    /// The frame of a GIMBAL_DEVICE_ATTITUDE_STATUS quaternion from its `flags` field, by the
    /// message's rules: `YAW_IN_EARTH_FRAME` or `YAW_IN_VEHICLE_FRAME` when one is set; when
    /// neither is, the legacy `YAW_LOCK` means earth frame and its absence vehicle frame.
    /// `None` when both are set, which the message forbids.
    pub fn from_gimbal_device_flags(flags: u16) -> Option<Self> {
        let earth = flags & GIMBAL_DEVICE_FLAGS_YAW_IN_EARTH_FRAME != 0;
        let vehicle = flags & GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME != 0;
        match (earth, vehicle) {
            (true, true) => None,
            (true, false) => Some(Self::Earth),
            (false, true) => Some(Self::Vehicle),
            (false, false) if flags & GIMBAL_DEVICE_FLAGS_YAW_LOCK != 0 => Some(Self::Earth),
            (false, false) => Some(Self::Vehicle),
        }
    }
}

/// Where the gimbal points the camera: Z-Y-X Euler angles from `yaw_frame` to the camera frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GimbalAttitude {
    /// Roll about the optical axis, radians, positive turning the camera clockwise as seen
    /// from behind it (the right of the image goes down).
    pub roll_rad: f64,
    /// Pitch, radians, positive up; -π/2 looks straight down.
    pub pitch_rad: f64,
    /// Yaw, radians, clockwise seen from above, from north or the vehicle's heading.
    pub yaw_rad: f64,
    /// What the angles are relative to.
    pub yaw_frame: YawFrame,
}

/// Everything needed to know where the camera looks, at one instant (the image's time).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CameraPose {
    /// The camera's position. Its height is in the ground's datum, MSL in Vigil (see the
    /// module's documentation on heights).
    pub position: Geodetic,
    /// The vehicle's attitude.
    pub vehicle_attitude: VehicleAttitude,
    /// The gimbal's attitude.
    pub gimbal: GimbalAttitude,
    /// Full horizontal field of view (left edge to right edge), radians, in (0, π).
    pub hfov_rad: f64,
    /// Full vertical field of view (top edge to bottom edge), radians, in (0, π).
    pub vfov_rad: f64,
}

impl CameraPose {
    /// Rotation taking camera vectors (optical axis, image right, image down) to NED vectors.
    pub fn rot_ned_from_camera(&self) -> Matrix3<f64> {
        let g = &self.gimbal;
        let rot_ref_from_camera = rot_zyx(g.roll_rad, g.pitch_rad, g.yaw_rad);
        match g.yaw_frame {
            YawFrame::Earth => rot_ref_from_camera,
            YawFrame::Vehicle => rot_z(self.vehicle_attitude.yaw_rad) * rot_ref_from_camera,
            YawFrame::Body => self.vehicle_attitude.rot_ned_from_body() * rot_ref_from_camera,
        }
    }

    /// Unit vector, in the camera frame, of the ray through an image position (NDC).
    pub fn direction_camera(&self, pixel_ndc: (f64, f64)) -> Vector3<f64> {
        let (x, y) = pixel_ndc;
        Vector3::new(
            1.0,
            x * (self.hfov_rad / 2.0).tan(),
            y * (self.vfov_rad / 2.0).tan(),
        )
        .normalize()
    }

    /// Unit vector, in NED at the camera, of the ray through an image position (NDC).
    pub fn direction_ned(&self, pixel_ndc: (f64, f64)) -> Vector3<f64> {
        self.rot_ned_from_camera() * self.direction_camera(pixel_ndc)
    }
}

/// Normalised device coordinates of an image position: `col_px` and `row_px` are continuous,
/// (0, 0) at the top-left corner of the image and (`width_px`, `height_px`) at its bottom-right
/// corner, so that the centre of pixel (i, j) is (i + 0.5, j + 0.5).
pub fn ndc_from_pixel(col_px: f64, row_px: f64, width_px: f64, height_px: f64) -> (f64, f64) {
    (
        2.0 * col_px / width_px - 1.0,
        2.0 * row_px / height_px - 1.0,
    )
}

/// The height of the ground, for ray intersection. A digital elevation model implements it by
/// interpolating its posts and overriding [`Self::max_slope`] with its steepest slope.
pub trait Terrain {
    /// Height of the ground at a point, metres, in the same datum as the camera's height;
    /// `None` where the model has no data (a non-finite height counts as none).
    fn ground_alt_m(&self, lat_deg: f64, lon_deg: f64) -> Option<f64>;

    /// The steepest slope of the ground (rise over horizontal run). Ray marching relies on it
    /// to never step over terrain: an underestimate can miss features narrower than a step,
    /// an overestimate only costs time.
    fn max_slope(&self) -> f64 {
        DEFAULT_MAX_SLOPE
    }
}

/// Level ground at one height everywhere, e.g. the home altitude (following the ellipsoid's
/// curvature, not a plane).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlatTerrain {
    /// The ground's height, metres, in the camera's datum (the home's `alt_msl_m` in Vigil).
    pub alt_m: f64,
}

impl Terrain for FlatTerrain {
    fn ground_alt_m(&self, _lat_deg: f64, _lon_deg: f64) -> Option<f64> {
        self.alt_m.is_finite().then_some(self.alt_m)
    }

    fn max_slope(&self) -> f64 {
        0.0
    }
}

/// What the camera sees of the ground.
#[derive(Debug, Clone, PartialEq)]
pub struct Footprint {
    /// The ground points of the image's corners: bottom-left, bottom-right, top-right,
    /// top-left, which are near-left, near-right, far-right, far-left for a camera looking
    /// down and forward with the image upright. Cut rays give the ground below their cut.
    pub corners: [Geodetic; 4],
    /// The ground point of the image centre, `None` if its ray misses the ground in range.
    pub centre: Option<Geodetic>,
    /// Map (horizontally projected) area of the outline, square metres.
    pub area_m2: f64,
    /// True if any ray was cut at the range limit or the terrain model's edge.
    pub truncated: bool,
    outline: Vec<Geodetic>,
    plane: LocalFrame,
    /// The outline in `plane`, metres east and north.
    outline_en_m: Vec<[f64; 2]>,
}

impl Footprint {
    /// The outline: the ground points of [`EDGE_SEGMENTS`] intervals along each image edge, in
    /// the order of [`Self::corners`] (which are at indices 0, `EDGE_SEGMENTS`, ...), not closed.
    pub fn outline(&self) -> &[Geodetic] {
        &self.outline
    }

    /// Whether a point is inside the outline (horizontally; false for non-finite input).
    pub fn contains(&self, lat_deg: f64, lon_deg: f64) -> bool {
        if !lat_deg.is_finite() || !lon_deg.is_finite() || lat_deg.abs() > 90.0 {
            return false;
        }
        let point = Geodetic::from_deg(lat_deg, lon_deg, self.plane.origin().alt_hae_m);
        let p = self.plane.enu_from_geodetic(&point);
        point_in_ring(&self.outline_en_m, [p.x, p.y])
    }
}

/// The footprint of the camera on the ground (see the module's documentation).
///
/// Errors: invalid inputs, the camera not above the ground, no terrain height under the
/// camera, or no ray at all meeting the ground within `max_range_m` (slant, metres, at most
/// [`MAX_RANGE_LIMIT_M`]).
pub fn footprint(
    pose: &CameraPose,
    terrain: &dyn Terrain,
    max_range_m: f64,
) -> Result<Footprint, FootprintError> {
    check_pose(pose)?;
    check_max_range(max_range_m)?;
    let start = start_sample(&pose.position, terrain)?;
    let frame = LocalFrame::new(pose.position);
    let rot_ned_from_camera = pose.rot_ned_from_camera();
    let cast_ndc = |ndc: (f64, f64)| {
        let ray = Ray::new(&frame, &(rot_ned_from_camera * pose.direction_camera(ndc)));
        cast(&ray, terrain, &start, max_range_m)
    };

    // Bottom edge left to right, right edge bottom to top, top edge right to left, left edge
    // top to bottom.
    let edges = [
        ((-1.0, 1.0), (1.0, 1.0)),
        ((1.0, 1.0), (1.0, -1.0)),
        ((1.0, -1.0), (-1.0, -1.0)),
        ((-1.0, -1.0), (-1.0, 1.0)),
    ];
    let mut outline = Vec::with_capacity(4 * EDGE_SEGMENTS);
    let mut truncated = false;
    let mut any_hit = false;
    for ((x0, y0), (x1, y1)) in edges {
        for k in 0..EDGE_SEGMENTS {
            let t = k as f64 / EDGE_SEGMENTS as f64;
            match cast_ndc((x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)) {
                RayEnd::Hit { point, .. } => {
                    any_hit = true;
                    outline.push(point);
                }
                RayEnd::Cut { point, .. } => {
                    truncated = true;
                    outline.push(point);
                }
            }
        }
    }
    let centre = match cast_ndc((0.0, 0.0)) {
        RayEnd::Hit { point, .. } => Some(point),
        RayEnd::Cut { .. } => {
            truncated = true;
            None
        }
    };
    if !any_hit && centre.is_none() {
        return Err(FootprintError::NoGroundIntersection { max_range_m });
    }
    let corners = [0, 1, 2, 3].map(|k| outline[k * EDGE_SEGMENTS]);
    let plane = LocalFrame::new(Geodetic::new(
        pose.position.lat_rad,
        pose.position.lon_rad,
        start.ground_alt_m,
    ));
    let outline_en_m: Vec<[f64; 2]> = outline
        .iter()
        .map(|p| {
            let enu_m = plane.enu_from_geodetic(p);
            [enu_m.x, enu_m.y]
        })
        .collect();
    let twice_area_m2: f64 = outline_en_m
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let b = &outline_en_m[(i + 1) % outline_en_m.len()];
            a[0] * b[1] - b[0] * a[1]
        })
        .sum();
    Ok(Footprint {
        corners,
        centre,
        area_m2: twice_area_m2.abs() / 2.0,
        truncated,
        outline,
        plane,
        outline_en_m,
    })
}

/// One-sigma uncertainties of a [`CameraPose`], all independent.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PoseUncertainty {
    /// Of the camera's position east and of its position north (each, not radial), metres.
    pub horiz_std_m: f64,
    /// Of the camera's height relative to the ground, metres.
    pub alt_std_m: f64,
    /// Of the vehicle's Euler angles. Only those that move the camera count: none for an
    /// earth-frame gimbal, the yaw for a vehicle-frame gimbal, all three for a body camera.
    pub attitude_std_rad: AttitudeStd,
    /// Of the camera's pointing: a small rotation about each of the camera's three axes.
    pub gimbal_std_rad: f64,
}

/// One-sigma uncertainties of roll, pitch and yaw.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AttitudeStd {
    /// Of roll, radians.
    pub roll_rad: f64,
    /// Of pitch, radians.
    pub pitch_rad: f64,
    /// Of yaw, radians.
    pub yaw_rad: f64,
}

/// Where an image position is on the ground.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geolocation {
    /// The ground point.
    pub position: Geodetic,
    /// Covariance of its east and north, square metres, in the ENU frame at the point.
    pub covariance_en_m2: Matrix2<f64>,
    /// Distance from the camera, metres.
    pub slant_range_m: f64,
}

/// The ground point of an image position (NDC, each in -1..=1) and its horizontal covariance,
/// within [`DEFAULT_GEOLOCATION_RANGE_M`]. See [`geolocate_within`].
pub fn geolocate(
    pose: &CameraPose,
    terrain: &dyn Terrain,
    pixel_ndc: (f64, f64),
    pose_uncertainty: PoseUncertainty,
) -> Result<Geolocation, FootprintError> {
    geolocate_within(
        pose,
        terrain,
        pixel_ndc,
        pose_uncertainty,
        DEFAULT_GEOLOCATION_RANGE_M,
    )
}

/// The ground point of an image position (NDC, each in -1..=1) and its horizontal covariance
/// by first-order propagation (see the module's documentation), within `max_range_m` (slant,
/// metres).
///
/// Errors: invalid inputs, the camera not above the ground, no terrain height under the camera
/// or along the ray ([`FootprintError::NoTerrain`]), the ray missing the ground in range
/// ([`FootprintError::NoGroundIntersection`]).
pub fn geolocate_within(
    pose: &CameraPose,
    terrain: &dyn Terrain,
    pixel_ndc: (f64, f64),
    pose_uncertainty: PoseUncertainty,
    max_range_m: f64,
) -> Result<Geolocation, FootprintError> {
    check_pose(pose)?;
    check_max_range(max_range_m)?;
    check_ndc(pixel_ndc)?;
    check_uncertainty(&pose_uncertainty)?;
    let frame = LocalFrame::new(pose.position);
    let locate = |delta: &Perturbation| -> Result<(Geodetic, f64), FootprintError> {
        let (moved, ray) = delta.apply(pose, &frame, pixel_ndc);
        let start = start_sample(&moved, terrain)?;
        match cast(&ray, terrain, &start, max_range_m) {
            RayEnd::Hit { point, range_m } => Ok((point, range_m)),
            RayEnd::Cut {
                reason: CutReason::Range,
                ..
            } => Err(FootprintError::NoGroundIntersection { max_range_m }),
            RayEnd::Cut {
                reason: CutReason::NoTerrain { lat_deg, lon_deg },
                ..
            } => Err(FootprintError::NoTerrain { lat_deg, lon_deg }),
        }
    };
    let (position, slant_range_m) = locate(&Perturbation::default())?;
    let ground = LocalFrame::new(position);
    let en_m = |p: &Geodetic| ground.enu_from_geodetic(p).xy();
    let u = &pose_uncertainty;
    let a = &u.attitude_std_rad;
    // (standard deviation, difference step, perturbation of one unit of the step)
    let (h, r) = (POSITION_STEP_M, ANGLE_STEP_RAD);
    let params: [(f64, f64, Perturbation); 9] = [
        (u.horiz_std_m, h, Perturbation::position(0.0, 1.0, 0.0)),
        (u.horiz_std_m, h, Perturbation::position(1.0, 0.0, 0.0)),
        (u.alt_std_m, h, Perturbation::position(0.0, 0.0, -1.0)),
        (a.roll_rad, r, Perturbation::vehicle(1.0, 0.0, 0.0)),
        (a.pitch_rad, r, Perturbation::vehicle(0.0, 1.0, 0.0)),
        (a.yaw_rad, r, Perturbation::vehicle(0.0, 0.0, 1.0)),
        (u.gimbal_std_rad, r, Perturbation::camera(1.0, 0.0, 0.0)),
        (u.gimbal_std_rad, r, Perturbation::camera(0.0, 1.0, 0.0)),
        (u.gimbal_std_rad, r, Perturbation::camera(0.0, 0.0, 1.0)),
    ];
    let mut covariance_en_m2 = Matrix2::zeros();
    for (std, step, unit) in params {
        if std == 0.0 {
            continue;
        }
        let plus = locate(&unit.scaled(step));
        let minus = locate(&unit.scaled(-step));
        let derivative = match (plus, minus) {
            (Ok((p, _)), Ok((m, _))) => (en_m(&p) - en_m(&m)) / (2.0 * step),
            (Ok((p, _)), Err(_)) => en_m(&p) / step,
            (Err(_), Ok((m, _))) => -en_m(&m) / step,
            (Err(err), Err(_)) => return Err(err),
        };
        covariance_en_m2 += derivative * derivative.transpose() * (std * std);
    }
    // Exactly symmetric, whatever the rounding.
    let covariance_en_m2 = (covariance_en_m2 + covariance_en_m2.transpose()) / 2.0;
    // Finite but huge deviations (1e300 rad) overflow the squares: no covariance to give.
    if let Some(&value) = covariance_en_m2.iter().find(|v| !v.is_finite()) {
        return Err(FootprintError::NotFinite {
            what: "position covariance (an uncertainty is too large)",
            value,
        });
    }
    Ok(Geolocation {
        position,
        covariance_en_m2,
        slant_range_m,
    })
}

/// Z-Y-X Euler angles to the rotation `Rz(yaw)·Ry(pitch)·Rx(roll)`.
fn rot_zyx(roll_rad: f64, pitch_rad: f64, yaw_rad: f64) -> Matrix3<f64> {
    let (sr, cr) = roll_rad.sin_cos();
    let (sp, cp) = pitch_rad.sin_cos();
    let (sy, cy) = yaw_rad.sin_cos();
    #[rustfmt::skip]
    let rot = Matrix3::new(
        cp * cy, sr * sp * cy - cr * sy, cr * sp * cy + sr * sy,
        cp * sy, sr * sp * sy + cr * cy, cr * sp * sy - sr * cy,
        -sp,     sr * cp,                cr * cp,
    );
    rot
}

/// Rotation about the down (z) axis by `yaw_rad`.
fn rot_z(yaw_rad: f64) -> Matrix3<f64> {
    rot_zyx(0.0, 0.0, yaw_rad)
}

fn finite(what: &'static str, value: f64) -> Result<f64, FootprintError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(FootprintError::NotFinite { what, value })
    }
}

fn check_pose(pose: &CameraPose) -> Result<(), FootprintError> {
    let lat_rad = finite("latitude", pose.position.lat_rad)?;
    finite("longitude", pose.position.lon_rad)?;
    finite("camera height", pose.position.alt_hae_m)?;
    let v = &pose.vehicle_attitude;
    finite("vehicle roll", v.roll_rad)?;
    finite("vehicle pitch", v.pitch_rad)?;
    finite("vehicle yaw", v.yaw_rad)?;
    let g = &pose.gimbal;
    finite("gimbal roll", g.roll_rad)?;
    finite("gimbal pitch", g.pitch_rad)?;
    finite("gimbal yaw", g.yaw_rad)?;
    if lat_rad.abs() > FRAC_PI_2 {
        return Err(FootprintError::OutOfRange {
            what: "latitude (rad)",
            value: lat_rad,
            expected: "-π/2..=π/2",
        });
    }
    for (what, fov) in [
        ("horizontal field of view (rad)", pose.hfov_rad),
        ("vertical field of view (rad)", pose.vfov_rad),
    ] {
        if !(fov > 0.0 && fov < PI) {
            return Err(if fov.is_finite() {
                FootprintError::OutOfRange {
                    what,
                    value: fov,
                    expected: "strictly between 0 and π",
                }
            } else {
                FootprintError::NotFinite { what, value: fov }
            });
        }
    }
    Ok(())
}

fn check_max_range(max_range_m: f64) -> Result<(), FootprintError> {
    finite("maximum range", max_range_m)?;
    if max_range_m > 0.0 && max_range_m <= MAX_RANGE_LIMIT_M {
        Ok(())
    } else {
        Err(FootprintError::OutOfRange {
            what: "maximum range (m)",
            value: max_range_m,
            expected: "above 0 and at most MAX_RANGE_LIMIT_M (1000 km)",
        })
    }
}

fn check_ndc(pixel_ndc: (f64, f64)) -> Result<(), FootprintError> {
    for (what, value) in [("image x", pixel_ndc.0), ("image y", pixel_ndc.1)] {
        if finite(what, value)?.abs() > 1.0 + NDC_TOLERANCE {
            return Err(FootprintError::OutOfRange {
                what,
                value,
                expected: "-1..=1 across the image",
            });
        }
    }
    Ok(())
}

fn check_uncertainty(u: &PoseUncertainty) -> Result<(), FootprintError> {
    for (what, value) in [
        ("horizontal std", u.horiz_std_m),
        ("height std", u.alt_std_m),
        ("roll std", u.attitude_std_rad.roll_rad),
        ("pitch std", u.attitude_std_rad.pitch_rad),
        ("yaw std", u.attitude_std_rad.yaw_rad),
        ("gimbal std", u.gimbal_std_rad),
    ] {
        if finite(what, value)? < 0.0 {
            return Err(FootprintError::OutOfRange {
                what,
                value,
                expected: "at least 0",
            });
        }
    }
    Ok(())
}

/// A half-line from the camera, in ECEF.
struct Ray {
    origin_ecef_m: Vector3<f64>,
    /// Unit vector.
    dir_ecef: Vector3<f64>,
}

impl Ray {
    /// The ray from the origin of `frame` along `dir_ned` (a unit vector in that frame).
    fn new(frame: &LocalFrame, dir_ned: &Vector3<f64>) -> Self {
        Self {
            origin_ecef_m: frame.origin_ecef_m(),
            dir_ecef: frame.rot_ned_from_ecef().tr_mul(dir_ned),
        }
    }

    fn at(&self, range_m: f64) -> Vector3<f64> {
        self.origin_ecef_m + self.dir_ecef * range_m
    }
}

/// A point of a ray with the ground under it.
#[derive(Clone, Copy)]
struct Sample {
    range_m: f64,
    point: Geodetic,
    ground_alt_m: f64,
    /// Height above the ground, metres.
    clearance_m: f64,
}

impl Sample {
    /// The ground point below the sample.
    fn ground(&self) -> Geodetic {
        Geodetic::new(self.point.lat_rad, self.point.lon_rad, self.ground_alt_m)
    }
}

/// The sample at `point`, or `None` if the terrain has no (finite) height there.
fn sample_at(point: Geodetic, range_m: f64, terrain: &dyn Terrain) -> Option<Sample> {
    let ground_alt_m = terrain.ground_alt_m(point.lat_deg(), point.lon_deg())?;
    let clearance_m = point.alt_hae_m - ground_alt_m;
    clearance_m.is_finite().then_some(Sample {
        range_m,
        point,
        ground_alt_m,
        clearance_m,
    })
}

fn sample(ray: &Ray, terrain: &dyn Terrain, range_m: f64) -> Option<Sample> {
    sample_at(geodetic_from_ecef(&ray.at(range_m)), range_m, terrain)
}

/// The sample at the camera, which must be above the ground.
fn start_sample(position: &Geodetic, terrain: &dyn Terrain) -> Result<Sample, FootprintError> {
    let start = sample_at(*position, 0.0, terrain).ok_or(FootprintError::NoTerrain {
        lat_deg: position.lat_deg(),
        lon_deg: position.lon_deg(),
    })?;
    if start.clearance_m > 0.0 {
        Ok(start)
    } else {
        Err(FootprintError::CameraBelowGround {
            camera_alt_m: position.alt_hae_m,
            ground_alt_m: start.ground_alt_m,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum CutReason {
    Range,
    NoTerrain { lat_deg: f64, lon_deg: f64 },
}

/// Where a ray ends.
enum RayEnd {
    /// It meets the ground at `point`, `range_m` from the camera.
    Hit { point: Geodetic, range_m: f64 },
    /// It was given up; `point` is the ground below the last point followed.
    Cut { point: Geodetic, reason: CutReason },
}

/// Follows a ray from `start` (its sample at the camera, above the ground) to the ground.
///
/// A step of `clearance / (1 + max_slope)` cannot cross the ground: the ray's height changes by
/// at most the step (the height above the ellipsoid changes by at most the distance moved) and
/// the ground's by at most `max_slope` times the horizontal distance, which is at most the
/// step. Steps are at least `MIN_STEP_M` (more for very long ranges) so that grazing rays end.
fn cast(ray: &Ray, terrain: &dyn Terrain, start: &Sample, max_range_m: f64) -> RayEnd {
    let slope = terrain.max_slope();
    let slope = if slope.is_finite() && slope >= 0.0 {
        slope.min(1e6)
    } else {
        DEFAULT_MAX_SLOPE
    };
    let min_step_m = MIN_STEP_M.max(max_range_m / MAX_MARCH_STEPS);
    let mut last = *start;
    // The minimum step bounds the number of iterations; the loop bound is only a backstop.
    for _ in 0..(2 * MAX_MARCH_STEPS as usize + 8) {
        if last.range_m >= max_range_m {
            break;
        }
        let step_m = (last.clearance_m / (1.0 + slope)).max(min_step_m);
        let range_m = if step_m >= max_range_m - last.range_m {
            max_range_m
        } else {
            last.range_m + step_m
        };
        let Some(next) = sample(ray, terrain, range_m) else {
            return coverage_edge(ray, terrain, last, range_m);
        };
        if next.clearance_m <= 0.0 {
            return bisect(ray, terrain, last, next);
        }
        last = next;
    }
    RayEnd::Cut {
        point: last.ground(),
        reason: CutReason::Range,
    }
}

/// The ray leaves the terrain model's coverage between `known` and `unknown_m`: finds where
/// (to `COVERAGE_TOLERANCE_M`), or the ground if the ray meets it first.
fn coverage_edge(
    ray: &Ray,
    terrain: &dyn Terrain,
    mut known: Sample,
    mut unknown_m: f64,
) -> RayEnd {
    for _ in 0..100 {
        if unknown_m - known.range_m <= COVERAGE_TOLERANCE_M {
            break;
        }
        let mid_m = 0.5 * (known.range_m + unknown_m);
        match sample(ray, terrain, mid_m) {
            Some(mid) if mid.clearance_m <= 0.0 => return bisect(ray, terrain, known, mid),
            Some(mid) => known = mid,
            None => unknown_m = mid_m,
        }
    }
    no_terrain(ray, &known, unknown_m)
}

/// A cut at `known` because there is no terrain height at `unknown_m` along the ray.
fn no_terrain(ray: &Ray, known: &Sample, unknown_m: f64) -> RayEnd {
    let beyond = geodetic_from_ecef(&ray.at(unknown_m));
    RayEnd::Cut {
        point: known.ground(),
        reason: CutReason::NoTerrain {
            lat_deg: beyond.lat_deg(),
            lon_deg: beyond.lon_deg(),
        },
    }
}

/// The crossing between `above` (clearance > 0) and `below` (clearance <= 0).
fn bisect(ray: &Ray, terrain: &dyn Terrain, mut above: Sample, mut below: Sample) -> RayEnd {
    for _ in 0..100 {
        if below.range_m - above.range_m <= BISECTION_TOLERANCE_M {
            break;
        }
        let mid_m = 0.5 * (above.range_m + below.range_m);
        match sample(ray, terrain, mid_m) {
            Some(mid) if mid.clearance_m > 0.0 => above = mid,
            Some(mid) => below = mid,
            None => return no_terrain(ray, &above, mid_m),
        }
    }
    // Linear interpolation in the last bracket: exact for locally flat ground.
    let drop_m = above.clearance_m - below.clearance_m;
    let range_m = if drop_m > 0.0 {
        above.range_m + (below.range_m - above.range_m) * (above.clearance_m / drop_m)
    } else {
        below.range_m
    };
    RayEnd::Hit {
        point: geodetic_from_ecef(&ray.at(range_m)),
        range_m,
    }
}

/// A small change of the uncertain inputs of a pose.
#[derive(Debug, Clone, Copy, Default)]
struct Perturbation {
    /// Of the camera's position, NED at the camera, metres.
    pos_ned_m: Vector3<f64>,
    /// Of the vehicle's roll, pitch and yaw, radians.
    vehicle_rad: Vector3<f64>,
    /// A rotation of the camera about its own axes (rotation vector), radians.
    camera_rad: Vector3<f64>,
}

impl Perturbation {
    fn position(north_m: f64, east_m: f64, down_m: f64) -> Self {
        Self {
            pos_ned_m: Vector3::new(north_m, east_m, down_m),
            ..Self::default()
        }
    }

    fn vehicle(roll_rad: f64, pitch_rad: f64, yaw_rad: f64) -> Self {
        Self {
            vehicle_rad: Vector3::new(roll_rad, pitch_rad, yaw_rad),
            ..Self::default()
        }
    }

    fn camera(x_rad: f64, y_rad: f64, z_rad: f64) -> Self {
        Self {
            camera_rad: Vector3::new(x_rad, y_rad, z_rad),
            ..Self::default()
        }
    }

    fn scaled(&self, k: f64) -> Self {
        Self {
            pos_ned_m: self.pos_ned_m * k,
            vehicle_rad: self.vehicle_rad * k,
            camera_rad: self.camera_rad * k,
        }
    }

    /// The perturbed camera position and the ray through `pixel_ndc`; `frame` is NED at the
    /// unperturbed position.
    fn apply(
        &self,
        pose: &CameraPose,
        frame: &LocalFrame,
        pixel_ndc: (f64, f64),
    ) -> (Geodetic, Ray) {
        let mut pose = *pose;
        let frame = if self.pos_ned_m == Vector3::zeros() {
            *frame
        } else {
            pose.position = frame.geodetic_from_ned(&self.pos_ned_m);
            LocalFrame::new(pose.position)
        };
        let v = &mut pose.vehicle_attitude;
        v.roll_rad += self.vehicle_rad.x;
        v.pitch_rad += self.vehicle_rad.y;
        v.yaw_rad += self.vehicle_rad.z;
        let rot_ned_from_camera =
            pose.rot_ned_from_camera() * Rotation3::new(self.camera_rad).into_inner();
        let dir_ned = rot_ned_from_camera * pose.direction_camera(pixel_ndc);
        (pose.position, Ray::new(&frame, &dir_ned))
    }
}

/// How far a camera's footprint reaches along a ray, unless the station says otherwise
/// (`World::set_camera_range_m`, from the alert rules' `coverage.camera_range_m`): a camera
/// at the horizon would otherwise see to infinity, and beyond this nobody on the ground can
/// be made out.
pub const DEFAULT_CAMERA_RANGE_M: f64 = 1000.0;

/// A drone's footprint is recomputed at most this often (about 0.2 ms a drone), on the
/// messages' clock.
pub const FOOTPRINT_PERIOD: std::time::Duration = std::time::Duration::from_millis(250);

/// The ground a vehicle's camera sees now, from its reported position, attitude, gimbal and
/// field of view, over flat ground at its home's altitude. `None` until all of those are known.
pub fn camera_footprint(vehicle: &crate::Vehicle, max_range_m: f64) -> Option<Footprint> {
    let position = vehicle.position?;
    let attitude = vehicle.attitude?;
    let gimbal = vehicle.gimbal?;
    let camera = vehicle.camera?;
    // Heights only need one datum: the drone's and the ground's above mean sea level.
    let ground_alt_m = vehicle
        .home
        .map_or(position.alt_msl_m - position.alt_rel_home_m, |h| {
            h.alt_msl_m
        });
    let pose = CameraPose {
        position: Geodetic::from_deg(position.lat_deg, position.lon_deg, position.alt_msl_m),
        vehicle_attitude: VehicleAttitude {
            roll_rad: attitude.roll_rad,
            pitch_rad: attitude.pitch_rad,
            yaw_rad: attitude.yaw_rad,
        },
        gimbal: GimbalAttitude {
            roll_rad: gimbal.roll_rad,
            pitch_rad: gimbal.pitch_rad,
            yaw_rad: gimbal.yaw_rad,
            yaw_frame: gimbal.yaw_frame,
        },
        hfov_rad: camera.hfov_rad,
        vfov_rad: camera.vfov_rad,
    };
    footprint(
        &pose,
        &FlatTerrain {
            alt_m: ground_alt_m,
        },
        max_range_m,
    )
    .ok()
}

#[cfg(test)]
mod tests;
