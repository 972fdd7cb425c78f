//! Files of other ground stations: QGroundControl `.plan`, `QGC WPL 110` `.waypoints`, and
//! parameter files; the first byte chooses the format.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil::fuzzing::check_mission_file;

fuzz_target!(|data: &[u8]| check_mission_file(data));
