//! A simulator scenario file (TOML).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil::fuzzing::check_scenario;

fuzz_target!(|data: &[u8]| check_scenario(data));
