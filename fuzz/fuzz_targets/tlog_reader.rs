//! A telemetry log: records of an 8-byte time and a frame, cut off or corrupted anywhere.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil::fuzzing::check_tlog;

fuzz_target!(|data: &[u8]| check_tlog(data));
