//! A protected-sites file (GeoJSON), parsed and placed as loading does (buffers included).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil::fuzzing::check_sites;

fuzz_target!(|data: &[u8]| check_sites(data));
