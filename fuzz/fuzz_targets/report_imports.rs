//! Community reports exported by KoboToolbox, ODK Central or Ushahidi (CSV); the first byte
//! chooses the format, or lets the header choose.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil::fuzzing::check_report_imports;

fuzz_target!(|data: &[u8]| check_report_imports(data));
