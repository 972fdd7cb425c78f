//! MAVLink on the wire: the generated Vigil dialect, our own frame parser (so that every CRC
//! and parse error is counted and every frame's exact bytes reach the recorder), frame
//! encoding for what the ground station sends, and the flight-mode tables of ArduPilot and PX4.
//!
//! Nothing here knows about links, threads or the world model.

pub mod dialect;
pub mod frame;
pub mod modes;
pub mod signing;
pub mod tlog;

pub use crate::dialect::vigil as mav;
pub use frame::{Frame, FrameEncoder, FrameError, FrameParser, MavVersion};
pub use signing::{SecretKey, Signer, UnsignedPolicy, Verdict, Verifier};

/// The dialect's message enum: every message of common.xml, ardupilotmega.xml and vigil.xml.
pub type MavMessage = mav::MavMessage;

/// The ground station's own MAVLink identity (MAVProxy and QGroundControl use 255 too).
pub const GCS_SYSTEM_ID: u8 = 255;
/// MAV_COMP_ID_MISSIONPLANNER, the component id ground stations use.
pub const GCS_COMPONENT_ID: u8 = 190;

/// Degrees times 1e7, as MAVLink carries latitude and longitude, to degrees.
pub fn deg_from_e7(value: i32) -> f64 {
    f64::from(value) * 1e-7
}

/// Degrees to MAVLink's degrees times 1e7, saturating outside the representable range.
pub fn e7_from_deg(value_deg: f64) -> i32 {
    let scaled = (value_deg * 1e7).round();
    // `as` saturates on overflow and maps NaN to 0, which is what we want for a wire value.
    scaled as i32
}

/// Reads a fixed-size MAVLink char array (NUL-terminated unless full) as text, replacing
/// invalid UTF-8 rather than failing: a status text is still worth showing.
pub fn text_from_chars(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}
