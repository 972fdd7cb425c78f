//! The console's vector basemap (GeoJSON), read without the console.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil::fuzzing::check_basemap;

fuzz_target!(|data: &[u8]| check_basemap(data));
