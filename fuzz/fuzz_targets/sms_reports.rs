//! SMS from a GSM modem: its AT answers and the messages' report grammar.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil::fuzzing::check_sms;

fuzz_target!(|data: &[u8]| check_sms(data));
