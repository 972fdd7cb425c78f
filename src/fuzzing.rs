//! The entry points that fuzzing exercises, one per kind of input Vigil reads from outside:
//! link bytes, tlogs, scenario files, mission and parameter files. Each feeds arbitrary bytes
//! through the real parsing code and checks invariants that must hold for any input (no
//! panic, frames no longer than the largest MAVLink frame, the same frames whatever the
//! chunking, files that parse write back to files that parse). The cargo-fuzz targets in
//! `fuzz/` call these, and so does the mutation test in `tests/fuzz_props.rs`, which runs on
//! the stable toolchain in every CI run.

use std::path::Path;

use crate::mission::{params_file, plan, waypoints};
use crate::protocol::frame::{FrameAt, MAX_FRAME_LEN, frame_at};
use crate::protocol::signing::{SecretKey, UnsignedPolicy, Verifier};
use crate::protocol::{Frame, FrameParser};
use crate::session::tlog::TlogReader;
use crate::sim::Scenario;
use crate::time::TimeUs;

/// Frames and errors a parser yields for a whole stream.
fn drain(parser: &mut FrameParser, frames: &mut Vec<Frame>) -> usize {
    let mut errors = 0;
    while let Some(result) = parser.next_frame() {
        match result {
            Ok(frame) => frames.push(frame),
            Err(_) => errors += 1,
        }
    }
    errors
}

/// Link bytes: the first byte chooses a chunk size (a serial port hands over a few bytes at a
/// time); the rest is the stream.
pub fn check_link_bytes(data: &[u8]) {
    let Some((&chunk_byte, stream)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk_byte % 64) + 1;

    let mut whole = FrameParser::new();
    whole.push(stream);
    let mut frames_whole = Vec::new();
    drain(&mut whole, &mut frames_whole);

    let mut chunked = FrameParser::new();
    let mut frames_chunked = Vec::new();
    for piece in stream.chunks(chunk) {
        chunked.push(piece);
        drain(&mut chunked, &mut frames_chunked);
    }
    assert_eq!(
        frames_whole, frames_chunked,
        "chunking changed what the parser found"
    );

    let key = SecretKey::from_bytes([0x42; 32]).unwrap_or_else(|_| unreachable!("non-zero"));
    let mut verifier = Verifier::new(Some(key), UnsignedPolicy::Reject);
    for frame in &frames_whole {
        assert!(
            frame.raw().len() <= MAX_FRAME_LEN,
            "frame longer than MAVLink allows"
        );
        match frame_at(frame.raw()) {
            FrameAt::Frame(again, len) => {
                assert_eq!(len, frame.raw().len());
                assert_eq!(&again, frame);
            }
            other => panic!("a parsed frame does not read back: {other:?}"),
        }
        let _ = frame.decode();
        let _ = verifier.check(frame, TimeUs(1_800_000_000_000_000));
    }

    // As datagrams: a partial frame at the end of one never swallows the next.
    let mut datagrams = FrameParser::new();
    let mut frames = Vec::new();
    for datagram in stream.chunks(chunk * 4) {
        datagrams.push(datagram);
        drain(&mut datagrams, &mut frames);
        while datagrams.skip_partial() {
            drain(&mut datagrams, &mut frames);
        }
    }
    assert!(frames.len() <= stream.len() / 8 + 1);
}

/// A tlog file's bytes.
pub fn check_tlog(data: &[u8]) {
    let mut reader = TlogReader::new(std::io::Cursor::new(data), Path::new("fuzz.tlog"));
    // Each record or error consumes at least one byte: a reader that stops advancing is a bug.
    let mut items = 0usize;
    while let Some(item) = reader.next_record() {
        items += 1;
        assert!(items <= data.len() + 1, "the tlog reader does not advance");
        if let Ok(record) = item {
            assert!(record.frame.raw().len() <= MAX_FRAME_LEN);
            let mut out = Vec::new();
            record.write_to(&mut out);
            let mut again = TlogReader::new(std::io::Cursor::new(out), Path::new("again.tlog"));
            match again.next_record() {
                Some(Ok(back)) => assert_eq!(back.frame, record.frame),
                other => panic!("a record read from a tlog does not read back: {other:?}"),
            }
        }
    }
}

/// A scenario file's bytes.
pub fn check_scenario(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(scenario) = Scenario::parse(text, Path::new("fuzz.toml")) {
        let _ = scenario.start_time();
        let _ = scenario.origin();
    }
}

/// A mission or parameter file's bytes; the first byte chooses the format. What parses must
/// write back to text that parses again.
pub fn check_mission_file(data: &[u8]) {
    let Some((&format, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match format % 3 {
        0 => {
            if let Ok(mission) = plan::parse_plan(text, "fuzz.plan") {
                let written = plan::to_plan_string(&mission);
                if let Err(err) = plan::parse_plan(&written, "again.plan") {
                    panic!("a parsed .plan does not read back: {err}\n{written}");
                }
            }
        }
        1 => {
            if let Ok(mission) = waypoints::parse_waypoints(text, "fuzz.waypoints") {
                let written = waypoints::to_waypoints_string(&mission);
                if let Err(err) = waypoints::parse_waypoints(&written, "again.waypoints") {
                    panic!("parsed .waypoints do not read back: {err}\n{written}");
                }
            }
        }
        _ => {
            if let Ok(params) = params_file::parse_params(text, "fuzz.param") {
                let written = params_file::to_params_string(&params);
                if let Err(err) = params_file::parse_params(&written, "again.param") {
                    panic!("a parsed parameter file does not read back: {err}\n{written}");
                }
            }
        }
    }
}
