//! The journal: one row's record JSON (even first byte) or a whole journal.sqlite (odd).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil::fuzzing::check_journal;

fuzz_target!(|data: &[u8]| check_journal(data));
