//! An alert-rules file (TOML), parsed, checked, and run for a step over the demo sites.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil::fuzzing::check_rules;

fuzz_target!(|data: &[u8]| check_rules(data));
