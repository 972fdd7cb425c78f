//! The report page's form bodies and the report endpoint's tokens files.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil::fuzzing::check_report_form;

fuzz_target!(|data: &[u8]| check_report_form(data));
