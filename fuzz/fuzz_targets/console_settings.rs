//! The console's settings file (JSON): read, saved, read back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil::fuzzing::check_console_settings;

fuzz_target!(|data: &[u8]| check_console_settings(data));
