//! Flight modes by name: ArduPilot and PX4 both put the mode in HEARTBEAT's `custom_mode`,
//! each with its own numbering. The names are those QGroundControl and MAVProxy show, so an
//! operator can type what they already know (`vigil cmd mode GUIDED`).

use std::borrow::Cow;

use super::mav::{MavAutopilot, MavType};

/// Which firmware family interprets `custom_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Firmware {
    ArduCopter,
    ArduPlane,
    ArduRover,
    Px4,
    /// Anything else: modes are shown by number.
    Other,
}

impl Firmware {
    /// Identifies the firmware from a HEARTBEAT's autopilot and vehicle type.
    pub fn from_heartbeat(autopilot: MavAutopilot, mav_type: MavType) -> Self {
        use MavType::*;
        match autopilot {
            MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA => match mav_type {
                MAV_TYPE_FIXED_WING
                | MAV_TYPE_VTOL_TAILSITTER_DUOROTOR
                | MAV_TYPE_VTOL_TAILSITTER_QUADROTOR
                | MAV_TYPE_VTOL_TILTROTOR
                | MAV_TYPE_VTOL_FIXEDROTOR
                | MAV_TYPE_VTOL_TAILSITTER
                | MAV_TYPE_VTOL_TILTWING
                | MAV_TYPE_VTOL_RESERVED5 => Self::ArduPlane,
                MAV_TYPE_GROUND_ROVER | MAV_TYPE_SURFACE_BOAT => Self::ArduRover,
                _ => Self::ArduCopter,
            },
            MavAutopilot::MAV_AUTOPILOT_PX4 => Self::Px4,
            _ => Self::Other,
        }
    }

    /// The firmware's name as its makers write it.
    pub fn label(self) -> &'static str {
        match self {
            Self::ArduCopter => "ArduCopter",
            Self::ArduPlane => "ArduPlane",
            Self::ArduRover => "ArduRover",
            Self::Px4 => "PX4",
            Self::Other => "other autopilot",
        }
    }

    pub fn is_ardupilot(self) -> bool {
        matches!(self, Self::ArduCopter | Self::ArduPlane | Self::ArduRover)
    }
}

const COPTER_MODES: &[(u32, &str)] = &[
    (0, "STABILIZE"),
    (1, "ACRO"),
    (2, "ALT_HOLD"),
    (3, "AUTO"),
    (4, "GUIDED"),
    (5, "LOITER"),
    (6, "RTL"),
    (7, "CIRCLE"),
    (9, "LAND"),
    (11, "DRIFT"),
    (13, "SPORT"),
    (14, "FLIP"),
    (15, "AUTOTUNE"),
    (16, "POSHOLD"),
    (17, "BRAKE"),
    (18, "THROW"),
    (19, "AVOID_ADSB"),
    (20, "GUIDED_NOGPS"),
    (21, "SMART_RTL"),
    (22, "FLOWHOLD"),
    (23, "FOLLOW"),
    (24, "ZIGZAG"),
    (25, "SYSTEMID"),
    (26, "AUTOROTATE"),
    (27, "AUTO_RTL"),
    (28, "TURTLE"),
];

const PLANE_MODES: &[(u32, &str)] = &[
    (0, "MANUAL"),
    (1, "CIRCLE"),
    (2, "STABILIZE"),
    (3, "TRAINING"),
    (4, "ACRO"),
    (5, "FBWA"),
    (6, "FBWB"),
    (7, "CRUISE"),
    (8, "AUTOTUNE"),
    (10, "AUTO"),
    (11, "RTL"),
    (12, "LOITER"),
    (13, "TAKEOFF"),
    (14, "AVOID_ADSB"),
    (15, "GUIDED"),
    (17, "QSTABILIZE"),
    (18, "QHOVER"),
    (19, "QLOITER"),
    (20, "QLAND"),
    (21, "QRTL"),
    (22, "QAUTOTUNE"),
    (23, "QACRO"),
    (24, "THERMAL"),
    (25, "LOITER_ALT_QLAND"),
    (26, "AUTOLAND"),
];

const ROVER_MODES: &[(u32, &str)] = &[
    (0, "MANUAL"),
    (1, "ACRO"),
    (3, "STEERING"),
    (4, "HOLD"),
    (5, "LOITER"),
    (6, "FOLLOW"),
    (7, "SIMPLE"),
    (8, "DOCK"),
    (9, "CIRCLE"),
    (10, "AUTO"),
    (11, "RTL"),
    (12, "SMART_RTL"),
    (15, "GUIDED"),
    (16, "INITIALISING"),
];

/// PX4 packs a main mode into bits 16-23 and an auto sub-mode into bits 24-31.
const PX4_MODES: &[(u32, &str)] = &[
    (px4(1, 0), "MANUAL"),
    (px4(2, 0), "ALTCTL"),
    (px4(3, 0), "POSCTL"),
    (px4(4, 1), "READY"),
    (px4(4, 2), "TAKEOFF"),
    (px4(4, 3), "HOLD"),
    (px4(4, 4), "MISSION"),
    (px4(4, 5), "RTL"),
    (px4(4, 6), "LAND"),
    (px4(4, 8), "FOLLOW_TARGET"),
    (px4(4, 9), "PRECLAND"),
    (px4(5, 0), "ACRO"),
    (px4(6, 0), "OFFBOARD"),
    (px4(7, 0), "STABILIZED"),
];

/// Other names operators use for the same PX4 modes (QGroundControl's labels).
const PX4_ALIASES: &[(&str, &str)] = &[
    ("POSITION", "POSCTL"),
    ("ALTITUDE", "ALTCTL"),
    ("LOITER", "HOLD"),
    ("RETURN", "RTL"),
    ("AUTO", "MISSION"),
    ("GUIDED", "HOLD"),
];

const fn px4(main_mode: u32, sub_mode: u32) -> u32 {
    (main_mode << 16) | (sub_mode << 24)
}

fn table(firmware: Firmware) -> &'static [(u32, &'static str)] {
    match firmware {
        Firmware::ArduCopter => COPTER_MODES,
        Firmware::ArduPlane => PLANE_MODES,
        Firmware::ArduRover => ROVER_MODES,
        Firmware::Px4 => PX4_MODES,
        Firmware::Other => &[],
    }
}

/// The mode's name, or `MODE(n)` when the firmware or number is unknown.
pub fn mode_name(firmware: Firmware, custom_mode: u32) -> Cow<'static, str> {
    let custom_mode = if firmware == Firmware::Px4 && (custom_mode >> 16) & 0xFF != 4 {
        // Only AUTO has sub-modes; other main modes may carry stale sub-mode bits.
        custom_mode & 0x00FF_0000
    } else {
        custom_mode
    };
    table(firmware)
        .iter()
        .find(|(number, _)| *number == custom_mode)
        .map_or_else(
            || Cow::Owned(format!("MODE({custom_mode})")),
            |(_, name)| Cow::Borrowed(*name),
        )
}

/// The `custom_mode` for a mode name (case-insensitive), or `None` when the firmware has no
/// such mode.
pub fn custom_mode_from_name(firmware: Firmware, name: &str) -> Option<u32> {
    let upper = name.trim().to_ascii_uppercase().replace([' ', '-'], "_");
    let canonical = if firmware == Firmware::Px4 {
        PX4_ALIASES
            .iter()
            .find(|(alias, _)| *alias == upper)
            .map_or(upper.as_str(), |(_, target)| target)
    } else {
        upper.as_str()
    };
    table(firmware)
        .iter()
        .find(|(_, mode)| *mode == canonical)
        .map(|(number, _)| *number)
}

/// All mode names of a firmware, in numbering order (for menus and error messages).
pub fn mode_names(firmware: Firmware) -> impl Iterator<Item = &'static str> {
    table(firmware).iter().map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ardupilot_modes_decode_and_encode() {
        assert_eq!(mode_name(Firmware::ArduCopter, 4), "GUIDED");
        assert_eq!(mode_name(Firmware::ArduPlane, 4), "ACRO");
        assert_eq!(mode_name(Firmware::ArduPlane, 15), "GUIDED");
        assert_eq!(custom_mode_from_name(Firmware::ArduCopter, "rtl"), Some(6));
        assert_eq!(
            custom_mode_from_name(Firmware::ArduPlane, "QLAND"),
            Some(20)
        );
        assert_eq!(custom_mode_from_name(Firmware::ArduCopter, "QLAND"), None);
        assert_eq!(mode_name(Firmware::ArduCopter, 99), "MODE(99)");
    }

    #[test]
    fn px4_modes_use_main_and_sub_mode_bits() {
        // AUTO.MISSION: main mode 4, sub mode 4 => 0x04040000.
        assert_eq!(mode_name(Firmware::Px4, 0x0404_0000), "MISSION");
        assert_eq!(mode_name(Firmware::Px4, 0x0003_0000), "POSCTL");
        assert_eq!(
            custom_mode_from_name(Firmware::Px4, "Return"),
            Some(0x0504_0000)
        );
        assert_eq!(
            custom_mode_from_name(Firmware::Px4, "hold"),
            Some(0x0304_0000)
        );
    }

    #[test]
    fn firmware_follows_the_vehicle_type() {
        use MavAutopilot::*;
        assert_eq!(
            Firmware::from_heartbeat(MAV_AUTOPILOT_ARDUPILOTMEGA, MavType::MAV_TYPE_FIXED_WING),
            Firmware::ArduPlane
        );
        assert_eq!(
            Firmware::from_heartbeat(MAV_AUTOPILOT_ARDUPILOTMEGA, MavType::MAV_TYPE_HEXAROTOR),
            Firmware::ArduCopter
        );
        assert_eq!(
            Firmware::from_heartbeat(MAV_AUTOPILOT_PX4, MavType::MAV_TYPE_QUADROTOR),
            Firmware::Px4
        );
    }
}
