//! Community reports: a CSV or GeoJSON import file, or an HTTP body; the first byte chooses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil::fuzzing::check_reports;

fuzz_target!(|data: &[u8]| check_reports(data));
