//! Bytes from a link: the streaming parser (cut into chunks as a serial port delivers them, or
//! as datagrams), the decoder, the one-record reader of tlogs, and the signature check.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil::fuzzing::check_link_bytes;

fuzz_target!(|data: &[u8]| check_link_bytes(data));
