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
//!   `covariance_en_m2`), as in [`crate::geo`].
//! - NED (north-east-down) is the frame of attitudes; ENU (east-north-up) is the frame of the
//!   results' covariance. Both are the local tangent frames of [`crate::geo::LocalFrame`].
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

use std::f64::consts::{FRAC_PI_2, PI};

use nalgebra::{Matrix2, Matrix3, Rotation3, Vector2, Vector3};

use crate::geo::{Geodetic, LocalFrame, geodetic_from_ecef};

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
    outline_en_m: Vec<Vector2<f64>>,
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
        let p = self.plane.enu_from_geodetic(&point).xy();
        let polygon = &self.outline_en_m;
        let mut inside = false;
        for (i, a) in polygon.iter().enumerate() {
            let b = &polygon[(i + 1) % polygon.len()];
            if (a.y > p.y) != (b.y > p.y) && p.x < a.x + (b.x - a.x) * (p.y - a.y) / (b.y - a.y) {
                inside = !inside;
            }
        }
        inside
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
    let outline_en_m: Vec<Vector2<f64>> = outline
        .iter()
        .map(|p| plane.enu_from_geodetic(p).xy())
        .collect();
    let twice_area_m2: f64 = outline_en_m
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let b = &outline_en_m[(i + 1) % outline_en_m.len()];
            a.x * b.y - b.x * a.y
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

#[cfg(test)]
mod tests {
    use super::*;

    const MM: f64 = 1e-3;
    const NO_UNCERTAINTY: PoseUncertainty = PoseUncertainty {
        horiz_std_m: 0.0,
        alt_std_m: 0.0,
        attitude_std_rad: AttitudeStd {
            roll_rad: 0.0,
            pitch_rad: 0.0,
            yaw_rad: 0.0,
        },
        gimbal_std_rad: 0.0,
    };

    /// Home: Juba, 550 m above the datum.
    const HOME_LAT_DEG: f64 = 4.8594;
    const HOME_LON_DEG: f64 = 31.5713;
    const HOME_ALT_M: f64 = 550.0;
    const GROUND: FlatTerrain = FlatTerrain { alt_m: HOME_ALT_M };

    fn gimbal(pitch_deg: f64, yaw_deg: f64, yaw_frame: YawFrame) -> GimbalAttitude {
        GimbalAttitude {
            roll_rad: 0.0,
            pitch_rad: pitch_deg.to_radians(),
            yaw_rad: yaw_deg.to_radians(),
            yaw_frame,
        }
    }

    fn attitude(roll_deg: f64, pitch_deg: f64, yaw_deg: f64) -> VehicleAttitude {
        VehicleAttitude {
            roll_rad: roll_deg.to_radians(),
            pitch_rad: pitch_deg.to_radians(),
            yaw_rad: yaw_deg.to_radians(),
        }
    }

    /// A 60°×45° camera `height_m` above home with this gimbal, on a level vehicle heading north.
    fn pose(height_m: f64, gimbal: GimbalAttitude) -> CameraPose {
        CameraPose {
            position: Geodetic::from_deg(HOME_LAT_DEG, HOME_LON_DEG, HOME_ALT_M + height_m),
            vehicle_attitude: VehicleAttitude::default(),
            gimbal,
            hfov_rad: 60f64.to_radians(),
            vfov_rad: 45f64.to_radians(),
        }
    }

    /// North, east and height above home of a point, in NED at the camera (NED x, y) and up.
    fn ne_m(pose: &CameraPose, p: &Geodetic) -> (f64, f64) {
        let ned = LocalFrame::new(pose.position).ned_from_geodetic(p);
        (ned.x, ned.y)
    }

    fn assert_ne_m(pose: &CameraPose, p: &Geodetic, north_m: f64, east_m: f64, tol_m: f64) {
        let (n, e) = ne_m(pose, p);
        assert!(
            (n - north_m).abs() < tol_m && (e - east_m).abs() < tol_m,
            "got north {n:.4} east {e:.4}, want {north_m:.4} {east_m:.4} (± {tol_m})"
        );
    }

    fn std_en_m(g: &Geolocation) -> (f64, f64) {
        (
            g.covariance_en_m2[(0, 0)].sqrt(),
            g.covariance_en_m2[(1, 1)].sqrt(),
        )
    }

    const TAN_30: f64 = 0.577_350_269_189_625_8;
    const TAN_22_5: f64 = 0.414_213_562_373_095_1; // √2 - 1

    #[test]
    fn nadir_footprint_is_115_by_83_m_centred_below() {
        // 100 m up looking straight down: half-widths 100·tan 30° = 57.735 m east-west (the
        // image's right is east when the top of the image is north) and 100·tan 22.5° =
        // 41.421 m north-south. 115.470 m × 82.843 m = 9565.9 m². Curvature: the ground is
        // 71²/2R = 0.4 mm lower at the corners, well inside a millimetre.
        let p = pose(100.0, gimbal(-90.0, 0.0, YawFrame::Earth));
        let f = footprint(&p, &GROUND, 1000.0).unwrap();
        let (e, n) = (100.0 * TAN_30, 100.0 * TAN_22_5);
        assert!((2.0 * e - 115.47).abs() < 0.005 && (2.0 * n - 82.84).abs() < 0.005);
        // Bottom of the image is south (near), top is north (far).
        assert_ne_m(&p, &f.corners[0], -n, -e, MM);
        assert_ne_m(&p, &f.corners[1], -n, e, MM);
        assert_ne_m(&p, &f.corners[2], n, e, MM);
        assert_ne_m(&p, &f.corners[3], n, -e, MM);
        assert_ne_m(&p, &f.centre.unwrap(), 0.0, 0.0, MM);
        assert!((f.area_m2 - 4.0 * e * n).abs() < 0.5, "{}", f.area_m2);
        assert!((f.area_m2 - 9565.9).abs() < 0.1);
        assert!(!f.truncated);
        for corner in f.corners {
            assert!((corner.alt_hae_m - HOME_ALT_M).abs() < MM);
        }
        assert_eq!(f.outline().len(), 4 * EDGE_SEGMENTS);
    }

    #[test]
    fn pitch_minus_45_looking_north() {
        // Pitch -45°: the centre ray descends at 45°, so it lands 100 m north. The bottom edge
        // of the image descends at 45° + 22.5° = 67.5° and lands 100/tan 67.5° = 100·tan 22.5°
        // = 41.421 m north; the top edge at 22.5°, 100/tan 22.5° = 241.421 m north. A corner
        // ray (1, ±tan 30°, ±tan 22.5°) in the camera frame is, rotated by -45° of pitch, north
        // (1 ∓ tan 22.5°)/√2, east ±tan 30°, down (1 ± tan 22.5°)/√2: for the bottom corners
        // north 0.4142, down 1.0000, so they land 100 m down the ray at 41.421 m north, 57.735
        // m east or west; for the top ones north 1.0000, down 0.4142, so they land at 241.421
        // m north, 241.421·tan 30° = 139.385 m east or west. A trapezoid of (115.470 +
        // 278.770)/2 × 200 = 39 424 m², i.e. tan 30°·(100 + 241.421)·200.
        // Curvature: the far corners are 279 m out, where the ground is 279²/2R = 6 mm lower,
        // which the rays, descending 0.41 per 1 north, reach 15 mm further out: 2 cm there.
        let p = pose(100.0, gimbal(-45.0, 0.0, YawFrame::Earth));
        let f = footprint(&p, &GROUND, 1000.0).unwrap();
        let near_n = 100.0 * TAN_22_5;
        let far_n = 100.0 / TAN_22_5;
        assert!((near_n - 41.421).abs() < 1e-3 && (far_n - 241.421).abs() < 1e-3);
        assert_ne_m(&p, &f.corners[0], near_n, -100.0 * TAN_30, MM);
        assert_ne_m(&p, &f.corners[1], near_n, 100.0 * TAN_30, MM);
        assert_ne_m(&p, &f.corners[2], far_n, far_n * TAN_30, 0.02);
        assert_ne_m(&p, &f.corners[3], far_n, -far_n * TAN_30, 0.02);
        // The centre is 100 m out, where the ground is 100²/2M = 0.8 mm lower: 0.8 mm further.
        let drop_m = 1e4 / (2.0 * HOME_M_M);
        assert_ne_m(&p, &f.centre.unwrap(), 100.0 + drop_m, 0.0, 1e-4);
        let area_m2 = TAN_30 * (100.0 + far_n) * (far_n - near_n);
        assert!((area_m2 - 39_424.0).abs() < 1.0);
        assert!(
            (f.area_m2 - area_m2).abs() / area_m2 < 2e-4,
            "{}",
            f.area_m2
        );
        // The edges of the outline are straight on flat ground: the middle of the far edge
        // is on the line between the far corners.
        assert_ne_m(
            &p,
            &f.outline()[2 * EDGE_SEGMENTS + EDGE_SEGMENTS / 2],
            far_n,
            0.0,
            0.02,
        );
        // The centre's slant range is (100 + 0.8 mm)·√2.
        let g = geolocate(&p, &GROUND, (0.0, 0.0), NO_UNCERTAINTY).unwrap();
        assert!((g.slant_range_m - (100.0 + drop_m) * 2f64.sqrt()).abs() < 1e-4);
    }

    #[test]
    fn vehicle_yaw_rotates_a_vehicle_frame_gimbal() {
        // Vehicle heading east, gimbal straight ahead at -45°: the picture of the previous
        // test turned 90° clockwise: centre 100 m east, the near-left corner (left of east is
        // north) at 41.421 m east, 57.735 m north.
        let mut p = pose(100.0, gimbal(-45.0, 0.0, YawFrame::Vehicle));
        p.vehicle_attitude = attitude(0.0, 0.0, 90.0);
        let f = footprint(&p, &GROUND, 1000.0).unwrap();
        assert_ne_m(&p, &f.centre.unwrap(), 0.0, 100.0, MM);
        assert_ne_m(&p, &f.corners[0], 100.0 * TAN_30, 100.0 * TAN_22_5, MM);
        assert_ne_m(&p, &f.corners[1], -100.0 * TAN_30, 100.0 * TAN_22_5, MM);
        // Gimbal yaw adds to the vehicle's: 90° + 45° looks south-east.
        p.gimbal.yaw_rad = 45f64.to_radians();
        let f = footprint(&p, &GROUND, 1000.0).unwrap();
        let s = 100.0 / 2f64.sqrt();
        assert_ne_m(&p, &f.centre.unwrap(), -s, s, MM);
        // The vehicle's roll and pitch do not move a stabilised camera.
        p.vehicle_attitude.roll_rad = 0.3;
        p.vehicle_attitude.pitch_rad = -0.2;
        let g = footprint(&p, &GROUND, 1000.0).unwrap();
        assert_ne_m(&p, &g.centre.unwrap(), -s, s, MM);
    }

    #[test]
    fn earth_frame_gimbal_ignores_the_vehicle_attitude() {
        let level = pose(100.0, gimbal(-45.0, 0.0, YawFrame::Earth));
        let reference = footprint(&level, &GROUND, 1000.0).unwrap();
        for (roll, pitch, yaw) in [(0.0, 0.0, 90.0), (20.0, -10.0, -135.0), (0.0, 0.0, 180.0)] {
            let mut p = level;
            p.vehicle_attitude = attitude(roll, pitch, yaw);
            let f = footprint(&p, &GROUND, 1000.0).unwrap();
            assert_ne_m(&p, &f.centre.unwrap(), 100.0, 0.0, MM);
            assert_eq!(f, reference);
        }
    }

    #[test]
    fn vehicle_roll_moves_a_body_fixed_camera_but_not_a_stabilised_one() {
        // Rolling 10° right tilts the belly to the left: a belly camera of a northbound drone
        // then looks 100·tan 10° = 17.633 m west.
        for frame in [YawFrame::Body, YawFrame::Vehicle, YawFrame::Earth] {
            let mut p = pose(100.0, gimbal(-90.0, 0.0, frame));
            p.vehicle_attitude = attitude(10.0, 0.0, 0.0);
            let f = footprint(&p, &GROUND, 1000.0).unwrap();
            let want_east_m = if frame == YawFrame::Body {
                -100.0 * 10f64.to_radians().tan()
            } else {
                0.0
            };
            assert_ne_m(&p, &f.centre.unwrap(), 0.0, want_east_m, MM);
        }
        // Pitching 10° nose up turns the belly forwards: 17.633 m north.
        let mut p = pose(100.0, gimbal(-90.0, 0.0, YawFrame::Body));
        p.vehicle_attitude = attitude(0.0, 10.0, 0.0);
        let f = footprint(&p, &GROUND, 1000.0).unwrap();
        assert_ne_m(&p, &f.centre.unwrap(), 17.633, 0.0, MM);
    }

    #[test]
    fn directions_follow_the_conventions() {
        let mut p = pose(100.0, gimbal(0.0, 0.0, YawFrame::Earth));
        let close = |a: Vector3<f64>, b: Vector3<f64>| (a - b).norm() < 1e-12;
        assert!(close(
            p.direction_ned((0.0, 0.0)),
            Vector3::new(1.0, 0.0, 0.0)
        ));
        // Right of the image is east, bottom is down, when looking north at the horizon.
        let right = p.direction_ned((1.0, 0.0));
        assert!(right.y > 0.0 && right.z.abs() < 1e-12);
        let bottom = p.direction_ned((0.0, 1.0));
        assert!(bottom.z > 0.0 && bottom.y.abs() < 1e-12);
        // Yaw is clockwise from north.
        p.gimbal.yaw_rad = FRAC_PI_2;
        assert!(close(
            p.direction_ned((0.0, 0.0)),
            Vector3::new(0.0, 1.0, 0.0)
        ));
        // The rotations are rotations.
        let mut q = pose(10.0, gimbal(-31.0, 12.0, YawFrame::Body));
        q.vehicle_attitude = attitude(3.0, -7.0, 200.0);
        q.gimbal.roll_rad = 0.4;
        let r = q.rot_ned_from_camera();
        assert!((r * r.transpose() - Matrix3::identity()).norm() < 1e-14);
        assert!((r.determinant() - 1.0).abs() < 1e-14);
        // Same as nalgebra's roll-pitch-yaw (applied roll first).
        let v = &q.vehicle_attitude;
        let na = Rotation3::from_euler_angles(v.roll_rad, v.pitch_rad, v.yaw_rad);
        assert!((v.rot_ned_from_body() - na.into_inner()).norm() < 1e-14);
    }

    #[test]
    fn geolocation_of_the_centre_and_corners_matches_the_footprint() {
        let mut p = pose(120.0, gimbal(-60.0, 30.0, YawFrame::Vehicle));
        p.vehicle_attitude = attitude(5.0, -3.0, 70.0);
        p.gimbal.roll_rad = 0.05;
        // Same range limit, same computation: the same bits.
        let f = footprint(&p, &GROUND, 2000.0).unwrap();
        let centre = geolocate_within(&p, &GROUND, (0.0, 0.0), NO_UNCERTAINTY, 2000.0).unwrap();
        assert_eq!(centre.position, f.centre.unwrap());
        assert_eq!(centre.covariance_en_m2, Matrix2::zeros());
        // A different range limit changes the marching steps, not the answer.
        let default = geolocate(&p, &GROUND, (0.0, 0.0), NO_UNCERTAINTY).unwrap();
        let frame = LocalFrame::new(centre.position);
        assert!(frame.enu_from_geodetic(&default.position).norm() < 1e-6);
        for (corner, ndc) in
            f.corners
                .iter()
                .zip([(-1.0, 1.0), (1.0, 1.0), (1.0, -1.0), (-1.0, -1.0)])
        {
            let g = geolocate_within(&p, &GROUND, ndc, NO_UNCERTAINTY, 2000.0).unwrap();
            assert_eq!(g.position, *corner);
            // The slant range is the distance from the camera.
            let d = LocalFrame::new(p.position).ned_from_geodetic(corner).norm();
            assert!((g.slant_range_m - d).abs() < MM);
        }
    }

    #[test]
    fn attitude_errors_of_a_nadir_camera() {
        // A belly camera 100 m up. A pitch error σ moves the centre h·tan σ ≈ h·σ north-south;
        // a yaw error turns the image about the centre, which does not move; a roll error
        // moves it h·σ east-west.
        let p = pose(100.0, gimbal(-90.0, 0.0, YawFrame::Body));
        let sigma = 0.01;
        let mut u = NO_UNCERTAINTY;
        u.attitude_std_rad.pitch_rad = sigma;
        let g = geolocate(&p, &GROUND, (0.0, 0.0), u).unwrap();
        let (se, sn) = std_en_m(&g);
        assert!((sn - 100.0 * sigma).abs() < 1e-4 && se < 1e-6, "{se} {sn}");
        let mut u = NO_UNCERTAINTY;
        u.attitude_std_rad.yaw_rad = sigma;
        let g = geolocate(&p, &GROUND, (0.0, 0.0), u).unwrap();
        assert!(g.covariance_en_m2.norm() < 1e-10, "{}", g.covariance_en_m2);
        // At a corner, 71.06 m from the centre (57.735 east, 41.421 north), the yaw error
        // moves the point r·σ = 0.7106 m across the radius: covariance (r·σ)²·t·tᵀ with t the
        // unit vector (-41.421, 57.735)/r.
        let g = geolocate(&p, &GROUND, (1.0, -1.0), u).unwrap();
        let (e, n) = (100.0 * TAN_30, 100.0 * TAN_22_5);
        let r = e.hypot(n);
        assert!((r - 71.06).abs() < 0.01);
        let t = Vector2::new(-n, e) / r;
        let want = t * t.transpose() * (r * sigma).powi(2);
        assert!(
            (g.covariance_en_m2 - want).norm() < 1e-5,
            "{}",
            g.covariance_en_m2
        );
        let mut u = NO_UNCERTAINTY;
        u.attitude_std_rad.roll_rad = sigma;
        let g = geolocate(&p, &GROUND, (0.0, 0.0), u).unwrap();
        let (se, sn) = std_en_m(&g);
        assert!((se - 100.0 * sigma).abs() < 1e-4 && sn < 1e-6, "{se} {sn}");
        // An earth-frame gimbal does not care about the vehicle's attitude.
        let stabilised = pose(100.0, gimbal(-90.0, 0.0, YawFrame::Earth));
        let mut u = NO_UNCERTAINTY;
        u.attitude_std_rad = AttitudeStd {
            roll_rad: 0.1,
            pitch_rad: 0.1,
            yaw_rad: 0.1,
        };
        let g = geolocate(&stabilised, &GROUND, (1.0, 1.0), u).unwrap();
        assert_eq!(g.covariance_en_m2, Matrix2::zeros());
    }

    #[test]
    fn covariance_grows_with_slant_range_and_attitude_std() {
        // Nadir, pitch error: σ_north = h·σ, so doubling the height or σ doubles it.
        let std_north = |height_m: f64, sigma: f64| {
            let p = pose(height_m, gimbal(-90.0, 0.0, YawFrame::Body));
            let mut u = NO_UNCERTAINTY;
            u.attitude_std_rad.pitch_rad = sigma;
            std_en_m(&geolocate(&p, &GROUND, (0.0, 0.0), u).unwrap()).1
        };
        let base = std_north(100.0, 0.005);
        assert!((base - 0.5).abs() < 1e-4, "{base}");
        assert!((std_north(200.0, 0.005) / base - 2.0).abs() < 1e-4);
        assert!((std_north(100.0, 0.01) / base - 2.0).abs() < 1e-4);
        // Looking at 45°, a pitch error moves the ground point by d(h/tan θ)/dθ = h/sin²θ =
        // 200 m per radian: the slant range (141 m) over sin θ.
        let p = pose(100.0, gimbal(-45.0, 0.0, YawFrame::Body));
        let mut u = NO_UNCERTAINTY;
        u.attitude_std_rad.pitch_rad = 0.005;
        let g = geolocate(&p, &GROUND, (0.0, 0.0), u).unwrap();
        let (se, sn) = std_en_m(&g);
        assert!((sn - 1.0).abs() < 1e-3 && se < 1e-6, "{se} {sn}");
        assert!(sn > base);
    }

    #[test]
    fn gimbal_pointing_error_is_isotropic_at_nadir() {
        // A small rotation of the camera about its right or its down axis tilts the optical
        // axis by σ north-south or east-west: h·σ both ways, even at gimbal lock.
        let p = pose(100.0, gimbal(-90.0, 0.0, YawFrame::Earth));
        let mut u = NO_UNCERTAINTY;
        u.gimbal_std_rad = 0.002;
        let g = geolocate(&p, &GROUND, (0.0, 0.0), u).unwrap();
        let (se, sn) = std_en_m(&g);
        assert!(
            (se - 0.2).abs() < 1e-4 && (sn - 0.2).abs() < 1e-4,
            "{se} {sn}"
        );
        assert!(g.covariance_en_m2[(0, 1)].abs() < 1e-8);
    }

    #[test]
    fn position_and_height_errors() {
        // A horizontal error moves the ground point as much, east and north independently
        // (less about h/R = 1.6e-5: the camera's metre is 100 m up, and the vertical turns
        // with it).
        let p = pose(100.0, gimbal(-45.0, 0.0, YawFrame::Earth));
        let mut u = NO_UNCERTAINTY;
        u.horiz_std_m = 3.0;
        let g = geolocate(&p, &GROUND, (0.3, -0.2), u).unwrap();
        let c = g.covariance_en_m2;
        assert!((c - Matrix2::identity() * 9.0).norm() < 9.0 * 1e-4, "{c}");
        // A height error at 45° moves the centre as much north (h/tan 45°).
        let mut u = NO_UNCERTAINTY;
        u.alt_std_m = 2.0;
        let g = geolocate(&p, &GROUND, (0.0, 0.0), u).unwrap();
        let (se, sn) = std_en_m(&g);
        assert!((sn - 2.0).abs() < 1e-4 && se < 1e-6, "{se} {sn}");
        // Straight down, it does not move it.
        let nadir = pose(100.0, gimbal(-90.0, 0.0, YawFrame::Earth));
        let g = geolocate(&nadir, &GROUND, (0.0, 0.0), u).unwrap();
        assert!(g.covariance_en_m2.norm() < 1e-10);
    }

    /// Ground rising `rise` metres per metre north of `origin` (a plane tilted about the
    /// east axis), `origin`'s height at its latitude.
    struct Slope {
        frame: LocalFrame,
        rise: f64,
    }

    impl Terrain for Slope {
        fn ground_alt_m(&self, lat_deg: f64, lon_deg: f64) -> Option<f64> {
            let h0 = self.frame.origin().alt_hae_m;
            let north_m = self
                .frame
                .enu_from_geodetic(&Geodetic::from_deg(lat_deg, lon_deg, h0))
                .y;
            Some(h0 + self.rise * north_m)
        }

        fn max_slope(&self) -> f64 {
            self.rise.abs()
        }
    }

    fn home() -> LocalFrame {
        LocalFrame::new(Geodetic::from_deg(HOME_LAT_DEG, HOME_LON_DEG, HOME_ALT_M))
    }

    /// Radii of curvature at home, metres: north-south (meridian, M = a(1 - e²)/(1 - e²
    /// sin²φ)^1.5) and east-west (prime vertical, N = a/(1 - e² sin²φ)^0.5).
    const HOME_M_M: f64 = 6_335_896.0;
    const HOME_N_M: f64 = 6_378_290.0;

    #[test]
    fn home_radii_of_curvature() {
        let (a, e2) = (6_378_137.0_f64, 6.694_379_990_14e-3);
        let s2 = HOME_LAT_DEG.to_radians().sin().powi(2);
        assert!((a * (1.0 - e2) / (1.0 - e2 * s2).powf(1.5) - HOME_M_M).abs() < 1.0);
        assert!((a / (1.0 - e2 * s2).sqrt() - HOME_N_M).abs() < 1.0);
    }

    #[test]
    fn sloped_terrain_matches_the_analytic_intersection() {
        // The ray at depression δ from 100 m meets ground rising k per metre north where
        // 100 - n·tan δ = k·n, n = 100/(tan δ + k). To the millimetre, two effects of the
        // Earth's curvature count: the datum falls n²/2M below the camera's horizontal plane
        // (M the radius of curvature north-south), and the terrain's northing, measured at
        // home's height, is k·n·n/M short of the point's, k·n above it (the verticals
        // diverge). So 100 - n·tan δ + n²/2M = k·(n - k·n²/M); one fixed-point step from
        // the flat answer solves it to micrometres (the downhill case moves 9.5 mm).
        let t10 = 0.176_326_980_708_464_97; // tan 10°
        for (pitch_deg, tan_dep, rise, flat_n) in [
            (-45.0, 1.0, 0.5, 100.0 / 1.5),         // uphill: 66.667 m
            (-45.0, 1.0, -0.5, 100.0 / 0.5),        // downhill: 200 m
            (-10.0, t10, 0.5, 100.0 / (t10 + 0.5)), // shallow, uphill: 147.857 m
            (-90.0, f64::INFINITY, 0.7, 0.0),       // straight down
        ] {
            let want_n = if flat_n == 0.0 {
                0.0
            } else {
                (100.0 + flat_n * flat_n * (0.5 + rise * rise) / HOME_M_M) / (tan_dep + rise)
            };
            let terrain = Slope {
                frame: home(),
                rise,
            };
            let p = pose(100.0, gimbal(pitch_deg, 0.0, YawFrame::Earth));
            let g = geolocate(&p, &terrain, (0.0, 0.0), NO_UNCERTAINTY).unwrap();
            assert_ne_m(&p, &g.position, want_n, 0.0, MM);
            let northing_m = want_n - rise * want_n * want_n / HOME_M_M;
            let want_alt_m = HOME_ALT_M + rise * northing_m;
            assert!(
                (g.position.alt_hae_m - want_alt_m).abs() < 1e-4,
                "{:?}",
                g.position
            );
        }
        // Across the slope (looking east) the ground is level along the ray: 100 m, plus
        // 100²/2N/tan 45° = 0.8 mm for the curvature.
        let terrain = Slope {
            frame: home(),
            rise: 0.5,
        };
        let p = pose(100.0, gimbal(-45.0, 90.0, YawFrame::Earth));
        let g = geolocate(&p, &terrain, (0.0, 0.0), NO_UNCERTAINTY).unwrap();
        assert_ne_m(&p, &g.position, 0.0, 100.0 + 1e4 / (2.0 * HOME_N_M), MM);
    }

    /// A ridge along the east axis 50 m north of home, 80 m high, with flanks of slope 5.
    struct Ridge {
        frame: LocalFrame,
    }

    impl Terrain for Ridge {
        fn ground_alt_m(&self, lat_deg: f64, lon_deg: f64) -> Option<f64> {
            let h0 = self.frame.origin().alt_hae_m;
            let north_m = self
                .frame
                .enu_from_geodetic(&Geodetic::from_deg(lat_deg, lon_deg, h0))
                .y;
            Some(h0 + (80.0 - 5.0 * (north_m - 50.0).abs()).max(0.0))
        }
    }

    #[test]
    fn a_ridge_in_front_of_the_ground_is_hit_first() {
        // At -45° from 100 m the ray is 50 m up at the ridge's crest: it meets the near flank
        // (5·(n - 34)) at 100 - n = 5n - 170, n = 45 m, 55 m up, and is under the ridge until
        // n = 57.5 m (12.5 m): a march with coarser fixed steps would find the plain at 100 m.
        let p = pose(100.0, gimbal(-45.0, 0.0, YawFrame::Earth));
        let g = geolocate(&p, &Ridge { frame: home() }, (0.0, 0.0), NO_UNCERTAINTY).unwrap();
        assert_ne_m(&p, &g.position, 45.0, 0.0, MM);
        assert!((g.position.alt_hae_m - (HOME_ALT_M + 55.0)).abs() < MM);
        // At -60° the ray is under the crest's height from further out: it meets the flank at
        // 100 - n·√3 = 5n - 170, n = 270/(5 + √3) = 40.107 m.
        let p = pose(100.0, gimbal(-60.0, 0.0, YawFrame::Earth));
        let g = geolocate(&p, &Ridge { frame: home() }, (0.0, 0.0), NO_UNCERTAINTY).unwrap();
        assert_ne_m(&p, &g.position, 270.0 / (5.0 + 3f64.sqrt()), 0.0, MM);
    }

    #[test]
    fn results_agree_with_geo_conversions_to_a_millimetre() {
        // Everywhere, including next to the poles and across the antimeridian, at heights from
        // 30 m to 3 km, the corners of a nadir footprint, converted to the camera's NED frame
        // by crate::geo: are on the ground; are on their rays, i.e. at d·(∓tan 22.5°, ±tan 30°,
        // 1) with d their depth; and are as deep as the height plus the curvature's drop r²/2R
        // (r the horizontal distance, R within 1% of 6371 km at any latitude).
        for (lat, lon) in [
            (0.0, 0.0),
            (45.0, 7.0),
            (-60.0, -120.0),
            (89.999, 10.0),
            (-89.9, 0.0),
            (10.0, 179.9999),
            (-33.0, -179.9999),
        ] {
            for (height_m, ground_m) in [(30.0, -20.0), (100.0, 550.0), (3000.0, 2000.0)] {
                let terrain = FlatTerrain { alt_m: ground_m };
                let mut p = pose(height_m, gimbal(-90.0, 0.0, YawFrame::Earth));
                p.position = Geodetic::from_deg(lat, lon, ground_m + height_m);
                let f = footprint(&p, &terrain, 10_000.0).unwrap();
                let frame = LocalFrame::new(p.position);
                for (corner, ndc) in
                    f.corners
                        .iter()
                        .zip([(-1.0, 1.0), (1.0, 1.0), (1.0, -1.0), (-1.0, -1.0)])
                {
                    assert!((corner.alt_hae_m - ground_m).abs() < MM, "{corner:?}");
                    let ned = frame.ned_from_geodetic(corner);
                    let dir = p.direction_ned(ndc);
                    let off_ray_m = ned.cross(&dir).norm();
                    assert!(
                        off_ray_m < MM,
                        "{lat} {lon} {height_m}: {off_ray_m} m off the ray"
                    );
                    // Down the ray by the height plus the curvature drop r²/2R.
                    let r2 = ned.x * ned.x + ned.y * ned.y;
                    let drop_m = r2 / (2.0 * 6_371_000.0);
                    assert!(
                        (ned.z - height_m - drop_m).abs() < MM + drop_m * 0.01,
                        "{ned:?}"
                    );
                    let (n, e) = (ndc.1 * -TAN_22_5, ndc.0 * TAN_30);
                    let scale = ned.z;
                    assert!((ned.x - n * scale).abs() < MM && (ned.y - e * scale).abs() < MM);
                }
                assert!(f.contains(lat, lon));
            }
        }
    }

    #[test]
    fn rays_above_the_horizon_are_cut_at_the_range_limit() {
        // Looking at the horizon from 100 m: the top corners point 19.73° up (tan = tan 22.5°
        // / √(1 + tan² 30°) = 0.35872), and are cut 1000 m out, above ground 1000·cos 19.73°
        // = 941.2 m away (the vertical there leans 1000/R = 1.6e-4 rad from the camera's: 7 cm
        // at 440 m up). The bottom corners point as much down and land 100/0.35872 = 278.77 m
        // away (241.42 m north, 139.39 m east or west; the ground there is 6 mm lower for the
        // curvature, which the rays reach 6/0.359 = 17 mm further out). The centre ray is
        // horizontal and the Earth curves away from it: no centre.
        let p = pose(100.0, gimbal(0.0, 0.0, YawFrame::Earth));
        let f = footprint(&p, &GROUND, 1000.0).unwrap();
        assert!(f.truncated);
        assert!(f.centre.is_none());
        let up = TAN_22_5 / (1.0 + TAN_30 * TAN_30).sqrt();
        assert!((up - 0.35872).abs() < 1e-5);
        for corner in &f.corners[2..] {
            let (n, e) = ne_m(&p, corner);
            let horizontal_m = n.hypot(e);
            assert!(
                (horizontal_m - 1000.0 * up.atan().cos()).abs() < 0.2,
                "{horizontal_m}"
            );
            assert!((corner.alt_hae_m - HOME_ALT_M).abs() < MM);
        }
        assert_ne_m(
            &p,
            &f.corners[0],
            100.0 / TAN_22_5,
            -100.0 / TAN_22_5 * TAN_30,
            0.02,
        );
        assert_ne_m(
            &p,
            &f.corners[1],
            100.0 / TAN_22_5,
            100.0 / TAN_22_5 * TAN_30,
            0.02,
        );
        assert!(f.area_m2 > 100_000.0);
        // The top corner itself is not on the ground.
        assert_eq!(
            geolocate_within(&p, &GROUND, (1.0, -1.0), NO_UNCERTAINTY, 1000.0),
            Err(FootprintError::NoGroundIntersection {
                max_range_m: 1000.0
            })
        );
        // A shorter range cuts the bottom corners too (they are √(278.77² + 100²) = 296.2 m
        // away, slant): at 280 m the cut is 280·cos 19.73° = 263.56 m away horizontally, of
        // which 1/√(1 + tan² 30°) = 0.86603 north: 228.25 m. The middle of the bottom edge,
        // 22.5° down, is 100/sin 22.5° = 261.3 m away and still on the ground.
        let f = footprint(&p, &GROUND, 280.0).unwrap();
        let (n, _) = ne_m(&p, &f.corners[0]);
        assert!((n - 228.25).abs() < 0.01 && f.truncated, "{n}");
        let bottom = f.outline()[EDGE_SEGMENTS / 2];
        assert_ne_m(&p, &bottom, 100.0 / TAN_22_5, 0.0, 0.02);
        // Shorter still, nothing is left.
        assert_eq!(
            footprint(&p, &GROUND, 250.0),
            Err(FootprintError::NoGroundIntersection { max_range_m: 250.0 })
        );
        // Looking up, nothing is on the ground.
        let sky = pose(100.0, gimbal(60.0, 0.0, YawFrame::Earth));
        assert_eq!(
            footprint(&sky, &GROUND, 1000.0),
            Err(FootprintError::NoGroundIntersection {
                max_range_m: 1000.0
            })
        );
    }

    #[test]
    fn far_rays_meet_the_curved_ground_before_the_horizon() {
        // From 100 m the horizon is √(2Rh) = 35.7 km away and 0.32° down: a ray 1° down meets
        // level ground at about h/tan 1° = 5729 m plus the curvature's share: the ground has
        // fallen d²/2R = 2.6 m there, which the ray takes 2.6/tan 1° ≈ 147 m more to fall.
        // Solving h + d²/2M = d·tan 1° (M the radius of curvature north-south): d = M(tan 1°
        // - √(tan²1° - 2h/M)) = 5885.6 m, 156 m beyond the flat answer.
        let p = pose(100.0, gimbal(-1.0, 0.0, YawFrame::Earth));
        let g = geolocate(&p, &GROUND, (0.0, 0.0), NO_UNCERTAINTY).unwrap();
        let (n, _) = ne_m(&p, &g.position);
        let t = 1f64.to_radians().tan();
        let want = HOME_M_M * (t - (t * t - 200.0 / HOME_M_M).sqrt());
        assert!((want - 5885.6).abs() < 0.1, "{want}");
        assert!((n - want).abs() < 0.05, "{n} vs {want}");
    }

    #[test]
    fn contains_tells_inside_from_outside() {
        let p = pose(100.0, gimbal(-45.0, 0.0, YawFrame::Earth));
        let f = footprint(&p, &GROUND, 1000.0).unwrap();
        let frame = LocalFrame::new(p.position);
        let at = |n: f64, e: f64| frame.geodetic_from_ned(&Vector3::new(n, e, 100.0));
        for (n, e, inside) in [
            (100.0, 0.0, true),
            (45.0, 55.0, true), // near edge at 41.4 m, half-width 57.7 + 3.6 m
            (45.0, 65.0, false),
            (35.0, 0.0, false),
            (235.0, 130.0, true),
            (245.0, 0.0, false),
            (0.0, 0.0, false),
        ] {
            let g = at(n, e);
            assert_eq!(f.contains(g.lat_deg(), g.lon_deg()), inside, "({n}, {e})");
        }
        assert!(!f.contains(f64::NAN, 0.0));
        assert!(!f.contains(100.0, 0.0));
        // Across the antimeridian.
        let mut p = pose(100.0, gimbal(-90.0, 0.0, YawFrame::Earth));
        p.position = Geodetic::from_deg(0.0, 179.9998, HOME_ALT_M + 100.0);
        let f = footprint(&p, &GROUND, 1000.0).unwrap();
        assert!(f.contains(0.0, -179.9999)); // 33 m east of the camera
        assert!(f.contains(0.0, 179.9997));
        assert!(!f.contains(0.0, -179.999));
    }

    /// Home's ground, but only up to 150 m north of home.
    struct Tile {
        frame: LocalFrame,
    }

    impl Terrain for Tile {
        fn ground_alt_m(&self, lat_deg: f64, lon_deg: f64) -> Option<f64> {
            let p = Geodetic::from_deg(lat_deg, lon_deg, HOME_ALT_M);
            (self.frame.enu_from_geodetic(&p).y <= 150.0).then_some(HOME_ALT_M)
        }
    }

    #[test]
    fn the_footprint_stops_at_the_edge_of_the_terrain_model() {
        let p = pose(100.0, gimbal(-45.0, 0.0, YawFrame::Earth));
        let tile = Tile { frame: home() };
        let f = footprint(&p, &tile, 1000.0).unwrap();
        assert!(f.truncated);
        assert_ne_m(&p, &f.corners[0], 100.0 * TAN_22_5, -100.0 * TAN_30, MM);
        // The far corners are cut where the tile ends (to the 1 mm the edge is searched to).
        for corner in &f.corners[2..] {
            let (n, _) = ne_m(&p, corner);
            assert!(n <= 150.0 && n > 149.99, "{n}");
        }
        assert!(f.centre.is_some());
        match geolocate(&p, &tile, (0.0, -1.0), NO_UNCERTAINTY) {
            Err(FootprintError::NoTerrain { lat_deg, .. }) => {
                assert!(lat_deg > HOME_LAT_DEG);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_name_the_problem() {
        let p = pose(100.0, gimbal(-45.0, 0.0, YawFrame::Earth));
        let mut below = p;
        below.position.alt_hae_m = HOME_ALT_M - 1.0;
        assert_eq!(
            footprint(&below, &GROUND, 1000.0),
            Err(FootprintError::CameraBelowGround {
                camera_alt_m: HOME_ALT_M - 1.0,
                ground_alt_m: HOME_ALT_M
            })
        );
        assert!(matches!(
            geolocate(&below, &GROUND, (0.0, 0.0), NO_UNCERTAINTY),
            Err(FootprintError::CameraBelowGround { .. })
        ));
        let mut nan = p;
        nan.vehicle_attitude.roll_rad = f64::NAN;
        let err = footprint(&nan, &GROUND, 1000.0).unwrap_err();
        assert!(matches!(
            err,
            FootprintError::NotFinite {
                what: "vehicle roll",
                ..
            }
        ));
        assert_eq!(err.to_string(), "vehicle roll is not a finite number (NaN)");
        let mut fov = p;
        fov.hfov_rad = 0.0;
        assert!(matches!(
            footprint(&fov, &GROUND, 1000.0),
            Err(FootprintError::OutOfRange { .. })
        ));
        fov.hfov_rad = f64::INFINITY;
        assert!(matches!(
            footprint(&fov, &GROUND, 1000.0),
            Err(FootprintError::NotFinite { .. })
        ));
        for range in [0.0, -1.0, 2e6, f64::NAN] {
            assert!(footprint(&p, &GROUND, range).is_err());
        }
        assert!(matches!(
            geolocate(&p, &GROUND, (1.5, 0.0), NO_UNCERTAINTY),
            Err(FootprintError::OutOfRange {
                what: "image x",
                ..
            })
        ));
        assert!(geolocate(&p, &GROUND, (0.0, f64::NAN), NO_UNCERTAINTY).is_err());
        let mut u = NO_UNCERTAINTY;
        u.gimbal_std_rad = -0.1;
        assert!(geolocate(&p, &GROUND, (0.0, 0.0), u).is_err());
        let nowhere = FlatTerrain { alt_m: f64::NAN };
        assert!(matches!(
            footprint(&p, &nowhere, 1000.0),
            Err(FootprintError::NoTerrain { .. })
        ));
        let mut lat = p;
        lat.position.lat_rad = 2.0;
        assert!(footprint(&lat, &GROUND, 1000.0).is_err());
    }

    /// Terrain that answers badly.
    struct Hostile(u64);

    impl Terrain for Hostile {
        fn ground_alt_m(&self, lat_deg: f64, lon_deg: f64) -> Option<f64> {
            let k = (lat_deg.to_bits() ^ lon_deg.to_bits() ^ self.0) % 7;
            [
                None,
                Some(f64::NAN),
                Some(f64::INFINITY),
                Some(0.0),
                Some(-1e300),
                Some(1e300),
                Some(lat_deg * 1e3),
            ][k as usize]
        }

        fn max_slope(&self) -> f64 {
            [f64::NAN, -1.0, f64::INFINITY, 0.0, 1e300][(self.0 % 5) as usize]
        }
    }

    /// Deterministic xorshift values: a sane value, randomly scaled, three times in four, and
    /// a hostile one otherwise.
    struct Chaos(u64);

    impl Chaos {
        const HOSTILE: [f64; 12] = [
            0.0,
            -1.0,
            1e-300,
            1e300,
            -1e300,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            PI,
            1e6,
            -1e6,
            f64::MIN_POSITIVE,
        ];

        fn next_u64(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn value(&mut self, sane: f64) -> f64 {
            let r = self.next_u64();
            if r.is_multiple_of(4) {
                Self::HOSTILE[(r / 4 % Self::HOSTILE.len() as u64) as usize]
            } else {
                sane * ((r >> 20) % 2001) as f64 / 1000.0
            }
        }
    }

    #[test]
    fn never_panics() {
        let mut c = Chaos(0x2545_f491_4f6c_dd1d);
        let frames = [YawFrame::Earth, YawFrame::Vehicle, YawFrame::Body];
        let (mut footprints, mut geolocations) = (0, 0);
        for i in 0..1500 {
            let p = CameraPose {
                position: Geodetic::new(c.value(0.7), c.value(3.0), c.value(600.0)),
                vehicle_attitude: VehicleAttitude {
                    roll_rad: c.value(-0.5),
                    pitch_rad: c.value(0.3),
                    yaw_rad: c.value(3.0),
                },
                gimbal: GimbalAttitude {
                    roll_rad: c.value(0.1),
                    pitch_rad: c.value(-1.0),
                    yaw_rad: c.value(-2.0),
                    yaw_frame: frames[i % 3],
                },
                hfov_rad: c.value(1.5),
                vfov_rad: c.value(1.5),
            };
            let u = PoseUncertainty {
                horiz_std_m: c.value(5.0),
                alt_std_m: c.value(5.0),
                attitude_std_rad: AttitudeStd {
                    roll_rad: c.value(0.02),
                    pitch_rad: c.value(0.02),
                    yaw_rad: c.value(0.05),
                },
                gimbal_std_rad: c.value(0.02),
            };
            let range = c.value(3000.0);
            let ndc = (c.value(0.5), c.value(-0.5));
            let flat = FlatTerrain {
                alt_m: c.value(300.0),
            };
            let hostile = Hostile(i as u64);
            for terrain in [&flat as &dyn Terrain, &hostile] {
                if let Ok(f) = footprint(&p, terrain, range) {
                    footprints += 1;
                    assert!(f.area_m2.is_finite());
                    let _ = f.contains(c.value(30.0), c.value(60.0));
                }
                if let Ok(g) = geolocate_within(&p, terrain, ndc, u, range) {
                    geolocations += 1;
                    assert!(g.slant_range_m.is_finite() && g.slant_range_m <= range);
                    assert!(g.covariance_en_m2.iter().all(|v| v.is_finite()));
                }
                let _ = geolocate(&p, terrain, ndc, u);
            }
        }
        // Enough of the chaos was valid to reach the geometry.
        assert!(
            footprints > 20 && geolocations > 20,
            "{footprints} {geolocations}"
        );
        // And a sane pose over hostile terrain, which exercises the marching.
        let p = pose(100.0, gimbal(-30.0, 0.0, YawFrame::Earth));
        for i in 0..50 {
            let _ = footprint(&p, &Hostile(i), 5000.0);
            let _ = geolocate(&p, &Hostile(i), (0.5, 0.5), NO_UNCERTAINTY);
        }
    }

    #[test]
    fn yaw_frame_from_gimbal_device_flags() {
        assert_eq!(
            YawFrame::from_gimbal_device_flags(64),
            Some(YawFrame::Earth)
        );
        assert_eq!(
            YawFrame::from_gimbal_device_flags(32),
            Some(YawFrame::Vehicle)
        );
        assert_eq!(YawFrame::from_gimbal_device_flags(32 | 64), None);
        // Legacy: YAW_LOCK alone means earth frame, nothing means vehicle frame; YAW_LOCK
        // does not override the new flags. ROLL_LOCK (4), PITCH_LOCK (8) do not matter.
        assert_eq!(
            YawFrame::from_gimbal_device_flags(16 | 4 | 8),
            Some(YawFrame::Earth)
        );
        assert_eq!(
            YawFrame::from_gimbal_device_flags(4 | 8),
            Some(YawFrame::Vehicle)
        );
        assert_eq!(
            YawFrame::from_gimbal_device_flags(16 | 32),
            Some(YawFrame::Vehicle)
        );
    }

    #[test]
    fn ndc_of_pixels() {
        assert_eq!(ndc_from_pixel(0.0, 0.0, 1920.0, 1080.0), (-1.0, -1.0));
        assert_eq!(ndc_from_pixel(960.0, 540.0, 1920.0, 1080.0), (0.0, 0.0));
        assert_eq!(ndc_from_pixel(1920.0, 1080.0, 1920.0, 1080.0), (1.0, 1.0));
        // The bottom row is the near side of a camera looking down and forward.
        let p = pose(100.0, gimbal(-45.0, 0.0, YawFrame::Earth));
        let bottom = ndc_from_pixel(960.0, 1079.5, 1920.0, 1080.0);
        let g = geolocate(&p, &GROUND, bottom, NO_UNCERTAINTY).unwrap();
        assert!(ne_m(&p, &g.position).0 < 42.0);
    }
}
