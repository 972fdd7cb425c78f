//! Geodesy for Vigil: where things are on the WGS84 ellipsoid and how to say it.
//!
//! Drones report WGS84 latitude, longitude and height; trackers and camera footprints work in a
//! local tangent plane; people on the ground read UTM and MGRS. This module converts between
//! them to better than a millimetre (checked against pyproj, geographiclib and the `mgrs`
//! package in the tests), so that no error in the ground station is ever a conversion error.
//!
//! Conventions, everywhere in this module:
//! - SI inside: angles in radians, lengths in metres; the unit is part of every name
//!   (`lat_rad`, `alt_hae_m`, `pos_enu_m`). Degrees appear only in `*_deg` constructors and
//!   accessors.
//! - Heights are above the WGS84 ellipsoid (`hae`), not above mean sea level.
//! - Conversions are named `x_from_y` (`enu_from_ecef(&pos_ecef_m)`); rotation matrices
//!   `rot_x_from_y`, so that `v_x = rot_x_from_y * v_y`.
//!
//! The parts:
//! - [`wgs84`]: the ellipsoid, [`Geodetic`] positions, ECEF and local ENU/NED frames.
//! - [`geodesic`]: distance, bearing and destination on the ellipsoid (Karney's algorithm, from
//!   the `geo` crate).
//! - [`plane`]: whether a point is inside a polygon in a local plane (`geo`'s predicates).
//! - [`utm`]: Universal Transverse Mercator with the Norway and Svalbard zone exceptions.
//! - [`mgrs`]: Military Grid Reference System strings (UTM part only; UPS polar caps are not
//!   supported and give [`GeoError::PolarMgrsUnsupported`]).

pub mod geodesic;
pub mod mgrs;
pub mod plane;
pub mod utm;
pub mod wgs84;

pub use geodesic::{destination, distance_m, initial_bearing_rad};
pub use mgrs::{MgrsCell, geodetic_from_mgrs, mgrs_from_geodetic, utm_from_mgrs};
pub use plane::point_in_ring;
pub use utm::{Utm, geodetic_from_utm, utm_from_geodetic, utm_from_geodetic_in_zone, utm_zone};
pub use wgs84::{Geodetic, LocalFrame, ecef_from_geodetic, geodetic_from_ecef};

/// Everything that can go wrong in a geodetic conversion.
///
/// Every message names the offending value, so that it can be shown to an operator as is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeoError {
    /// UTM is defined from 80°S to 84°N; beyond that UPS would be needed.
    #[error("latitude {lat_deg}° is outside the UTM range -80°..=84°")]
    LatitudeOutsideUtm {
        /// The latitude that was given, in degrees.
        lat_deg: f64,
    },
    /// A coordinate was NaN or infinite.
    #[error("{what} is not a finite number ({value})")]
    NotFinite {
        /// Which coordinate, e.g. "longitude".
        what: &'static str,
        /// The value that was given.
        value: f64,
    },
    /// A UTM zone number outside 1..=60.
    #[error("UTM zone {zone} is not in 1..=60")]
    InvalidZone {
        /// The zone that was given.
        zone: u8,
    },
    /// A forced UTM zone too far from the point for the projection to make sense.
    #[error(
        "longitude {lon_deg}° is {offset_deg:.1}° from the central meridian of UTM zone {zone}; \
         at most {max_deg}° is allowed"
    )]
    TooFarFromZone {
        /// The zone that was forced.
        zone: u8,
        /// The longitude of the point, in degrees.
        lon_deg: f64,
        /// Its distance from the zone's central meridian, in degrees.
        offset_deg: f64,
        /// The limit, in degrees.
        max_deg: f64,
    },
    /// UTM coordinates that do not map to a point on the ellipsoid.
    #[error(
        "UTM zone {zone} easting {easting_m} m northing {northing_m} m is not on the ellipsoid"
    )]
    InvalidUtm {
        /// The zone.
        zone: u8,
        /// The easting, in metres.
        easting_m: f64,
        /// The northing, in metres.
        northing_m: f64,
    },
    /// MGRS precision outside 0..=5 digits per coordinate.
    #[error("MGRS precision {digits} is not in 0..=5 digits")]
    InvalidMgrsPrecision {
        /// The precision that was asked for.
        digits: u8,
    },
    /// The polar caps use UPS, which this module does not implement.
    #[error("polar MGRS (UPS) not supported: {detail}")]
    PolarMgrsUnsupported {
        /// What was polar about the input.
        detail: String,
    },
    /// An MGRS string that cannot be read; `reason` says what is wrong and where.
    #[error("MGRS {input:?}: {reason}")]
    InvalidMgrs {
        /// The string that was given (shortened if very long).
        input: String,
        /// What is wrong, with the 1-based character position where it applies.
        reason: String,
    },
}
