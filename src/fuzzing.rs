//! The entry points that fuzzing exercises, one per kind of input Vigil reads from outside:
//! link bytes, tlogs, scenario files, mission and parameter files, protected sites, alert
//! rules, community reports (CSV and GeoJSON files, HTTP bodies, and the CSV exports of
//! KoboToolbox, ODK Central and Ushahidi), the console's basemap and settings, and the
//! journal. Each feeds arbitrary bytes through the real parsing code and checks invariants
//! that must hold for any input: no panic; an error names the file (or origin) it came from;
//! what is accepted is within its documented ranges; frames are no longer than the largest
//! MAVLink frame and the same whatever the chunking; files with a writer (missions,
//! parameters, console settings, journal records) write back to text that reads back the
//! same. The cargo-fuzz targets in `fuzz/` call these, and so does the
//! mutation test in `tests/fuzz_props.rs`, which runs on the stable toolchain in every CI run.
//! SMS (the modem's AT answers and the messages' grammar) and the report page's form bodies and
//! tokens files have targets of their own.

use std::fmt::Display;
use std::path::Path;
use std::sync::OnceLock;

use vigil_console_files::{Settings, VectorBasemap};
use vigil_protection::imports::{
    FieldMapping, parse_export_csv, parse_kobo_csv, parse_odk_csv, parse_ushahidi_csv,
};
use vigil_protection::reports::{parse_report_json, parse_reports_csv, parse_reports_geojson};
use vigil_protection::{NewReport, Protection, RulesConfig, SiteSet};
use vigil_record::journal::JournalRecord;
use vigil_record::journal::store::JournalReader;
use vigil_world::World;

use vigil_core::time::TimeUs;
use vigil_mission::{params_file, plan, waypoints};
use vigil_protocol::frame::{FrameAt, MAX_FRAME_LEN, frame_at};
use vigil_protocol::signing::{SecretKey, UnsignedPolicy, Verifier};
use vigil_protocol::tlog::TlogReader;
use vigil_protocol::{Frame, FrameParser};
use vigil_sim::Scenario;

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

/// An error's message names where the input came from.
fn assert_names(err: &dyn Display, origin: &str) {
    let message = err.to_string();
    assert!(
        message.contains(origin) && message.len() > origin.len() + 2,
        "an error does not say where or why: {message:?} (origin {origin})"
    );
}

/// A scenario file's bytes.
pub fn check_scenario(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Scenario::parse(text, Path::new("fuzz.toml")) {
        Ok(scenario) => {
            let _ = scenario.start_time();
            let _ = scenario.origin();
        }
        Err(err) => assert_names(&err, "fuzz.toml"),
    }
}

/// A mission or parameter file's bytes; the first byte chooses the format. What parses must
/// write back to text that parses again to the same text; what does not gets an error naming
/// the file and line.
pub fn check_mission_file(data: &[u8]) {
    let Some((&format, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match format % 3 {
        0 => round_trip(text, "fuzz.plan", plan::parse_plan, plan::to_plan_string),
        1 => round_trip(
            text,
            "fuzz.waypoints",
            waypoints::parse_waypoints,
            waypoints::to_waypoints_string,
        ),
        _ => round_trip(text, "fuzz.param", params_file::parse_params, |p| {
            params_file::to_params_string(p)
        }),
    }
}

/// Parse, write, parse again: the second writing equals the first.
fn round_trip<T, E: Display>(
    text: &str,
    origin: &str,
    parse: impl Fn(&str, &str) -> Result<T, E>,
    write: impl Fn(&T) -> String,
) {
    match parse(text, origin) {
        Ok(value) => {
            let written = write(&value);
            match parse(&written, "again") {
                Ok(again) => assert_eq!(
                    write(&again),
                    written,
                    "{origin}: what was written reads back differently"
                ),
                Err(err) => {
                    panic!("{origin}: what was written does not read back: {err}\n{written}")
                }
            }
        }
        Err(err) => assert_names(&err, origin),
    }
}

/// A protected-sites GeoJSON file's bytes. What is accepted is placed as loading does
/// (local plane, buffers), and every position is a position.
pub fn check_sites(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let set = match SiteSet::parse(text, "fuzz-sites.geojson") {
        Ok(set) => set,
        Err(err) => return assert_names(&err, "fuzz-sites.geojson"),
    };
    for site in &set.sites {
        assert!(!site.name.trim().is_empty());
        assert!(site.outline.iter().flatten().all(|p| p.is_valid()));
        assert!(site.centre.is_valid(), "{:?}", site.centre);
        assert!((0.0..=50_000.0).contains(&site.buffer_m));
    }
    for area in &set.areas {
        assert!(area.outline.iter().all(|ring| ring.len() >= 4));
    }
    let mut protection = Protection::new(set, RulesConfig::default());
    let view = protection.view();
    for site in view.sites.iter() {
        assert!(
            site.buffer
                .iter()
                .flatten()
                .all(|p| p.lat_deg.is_finite() && p.lon_deg.is_finite()),
            "{}: a buffer vertex is not a number",
            site.name
        );
    }
}

/// An alert-rules TOML file's bytes. What is accepted runs: one protection step over the
/// demo sites (which builds the coverage grid from the rules).
pub fn check_rules(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let rules = match RulesConfig::parse(text, "fuzz-rules.toml") {
        Ok(rules) => rules,
        Err(err) => return assert_names(&err, "fuzz-rules.toml"),
    };
    assert!(rules.coverage.cell_m.is_finite() && rules.coverage.cell_m > 0.0);
    assert!(rules.coverage.margin_m.is_finite() && rules.coverage.margin_m >= 0.0);
    assert!(rules.gathering.min_tracks >= 2);
    static DEMO: OnceLock<SiteSet> = OnceLock::new();
    let sites = DEMO.get_or_init(SiteSet::demo).clone();
    let mut protection = Protection::new(sites, rules);
    let world = World::new();
    let _ = protection.tick(&world, &[], TimeUs(1_800_000_000_000_000));
    let _ = protection.tick(&world, &[], TimeUs(1_800_000_060_000_000));
    let _ = protection.view();
}

/// Community reports: the first byte chooses a CSV file, a GeoJSON file or an HTTP body
/// (bytes as the HTTP server takes them, invalid UTF-8 replaced).
pub fn check_reports(data: &[u8]) {
    let Some((&format, rest)) = data.split_first() else {
        return;
    };
    let check = |reports: &[NewReport], origin: &str| {
        for report in reports {
            assert!(report.position.is_valid(), "{:?}", report.position);
            assert!(!report.category.trim().is_empty());
            assert!(report.origin.starts_with(origin), "{}", report.origin);
        }
    };
    match format % 3 {
        0 | 1 => {
            let Ok(text) = std::str::from_utf8(rest) else {
                return;
            };
            let (origin, parsed) = if format % 3 == 0 {
                ("fuzz.csv", parse_reports_csv(text, "fuzz.csv"))
            } else {
                ("fuzz.geojson", parse_reports_geojson(text, "fuzz.geojson"))
            };
            match parsed {
                Ok(reports) => check(&reports, origin),
                Err(err) => assert_names(&err, origin),
            }
        }
        _ => {
            let text = String::from_utf8_lossy(rest);
            match parse_report_json(&text, "http:fuzz") {
                Ok(report) => check(std::slice::from_ref(&report), "http:fuzz"),
                Err(err) => assert_names(&err, "http:fuzz"),
            }
        }
    }
}

/// Community reports exported by the survey tools: the first byte chooses a KoboToolbox, an
/// ODK Central or an Ushahidi CSV export, or none (the header decides, Vigil's own included).
/// What is accepted has a position, a category and a `file:line` origin, and a channel when
/// it came from a tool; an error names the file.
pub fn check_report_imports(data: &[u8]) {
    let Some((&format, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let mapping = FieldMapping::default();
    let (from_a_tool, parsed) = match format % 4 {
        0 => (true, parse_kobo_csv(text, "fuzz.csv", &mapping)),
        1 => (true, parse_odk_csv(text, "fuzz.csv", &mapping)),
        2 => (true, parse_ushahidi_csv(text, "fuzz.csv", &mapping)),
        _ => (false, parse_export_csv(text, "fuzz.csv", None, &mapping)),
    };
    match parsed {
        Ok(reports) => {
            for report in &reports {
                assert!(report.position.is_valid(), "{:?}", report.position);
                assert!(!report.category.trim().is_empty());
                assert!(report.origin.starts_with("fuzz.csv:"), "{}", report.origin);
                if from_a_tool {
                    assert!(!report.category.contains(char::is_whitespace));
                    assert!(!report.channel.is_empty());
                }
            }
        }
        Err(err) => assert_names(&err, "fuzz.csv"),
    }
}

/// A basemap GeoJSON file's bytes: every point a position, the bounds around them all.
pub fn check_basemap(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let map = match VectorBasemap::parse(text, "fuzz-area.geojson") {
        Ok(map) => map,
        Err(err) => return assert_names(&err, "fuzz-area.geojson"),
    };
    let points = || map.features.iter().flat_map(|f| f.points_deg.iter());
    assert!(
        points()
            .all(|&(lat, lon)| (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon))
    );
    match map.bounds_deg {
        None => assert!(points().next().is_none()),
        Some((south, west, north, east)) => {
            assert!(points().all(|&(lat, lon)| {
                (south..=north).contains(&lat) && (west..=east).contains(&lon)
            }));
            let (lat, lon) = map
                .centre_deg()
                .unwrap_or_else(|| unreachable!("has bounds"));
            assert!((south..=north).contains(&lat) && (west..=east).contains(&lon));
        }
    }
}

/// The console's settings file: errors give a line; what is read is within range and is
/// saved as JSON that reads back the same.
pub fn check_console_settings(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let settings = match Settings::from_json(text) {
        Ok(settings) => settings,
        Err(err) => {
            assert!(err.line() >= 1, "a settings error without a line: {err}");
            return;
        }
    };
    assert!(
        (0.5..=3.0).contains(&settings.ui_scale),
        "{}",
        settings.ui_scale
    );
    assert!(
        (0.0..=3600.0).contains(&settings.trail_s),
        "{}",
        settings.trail_s
    );
    let saved = serde_json::to_string_pretty(&settings)
        .unwrap_or_else(|err| panic!("settings that were read cannot be saved: {err}"));
    match Settings::from_json(&saved) {
        Ok(again) => assert_eq!(again, settings, "saved settings read back differently"),
        Err(err) => panic!("saved settings do not read back: {err}\n{saved}"),
    }
}

/// The journal: an even first byte makes the rest one row's body (a record's JSON, as the
/// readers decode it), an odd one a whole `journal.sqlite` file, read as `vigil verify`
/// and the exports read it. Records read write back to JSON that reads back the same.
pub fn check_journal(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        if let Ok(record) = serde_json::from_slice::<JournalRecord>(rest) {
            record_round_trip(&record);
        }
        return;
    }
    // A folder of this process's own, made for each input and removed after it.
    let dir = std::env::temp_dir().join(format!("vigil-fuzz-journal-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join(vigil_record::journal::JOURNAL_FILE);
    if std::fs::create_dir_all(&dir).is_err() || std::fs::write(&path, rest).is_err() {
        return;
    }
    let report = vigil_record::provenance::verify::verify_session(&dir);
    let _ = report.summary();
    match JournalReader::open(&path) {
        Ok(reader) => {
            let _ = reader.count();
            match reader.records(None, None, &[]) {
                Ok(records) => records.iter().for_each(|(_, r)| record_round_trip(r)),
                Err(err) => assert_names(&err, &path.display().to_string()),
            }
        }
        Err(err) => assert_names(&err, &path.display().to_string()),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn record_round_trip(record: &JournalRecord) {
    let json = serde_json::to_string(record)
        .unwrap_or_else(|err| panic!("a record read cannot be written: {err}"));
    assert!(
        json.starts_with(&format!("{{\"kind\":\"{}\"", record.kind())),
        "{json}"
    );
    match serde_json::from_str::<JournalRecord>(&json) {
        Ok(back) => assert_eq!(&back, record, "a record reads back differently: {json}"),
        Err(err) => panic!("a written record does not read back: {err}\n{json}"),
    }
}

/// SMS from a GSM modem: the first byte chooses the character set and whether the rest is
/// read as `AT+CMGL` lines or `AT+CMGR` lines; every message read is then parsed as a report
/// against the demo's place names. A report read says it came by SMS from a valid place, its
/// origin is the storage index, and the sender's number is not in its description; a refusal's reply to
/// the sender fits in one SMS.
pub fn check_sms(data: &[u8]) {
    use vigil_protection::sms::at::{self, Charset};
    use vigil_protection::sms::{Gazetteer, parse_report};
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let charset = if choice & 1 == 0 {
        Charset::Gsm
    } else {
        Charset::Ucs2
    };
    let lines: Vec<Vec<u8>> = rest.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    for line in &lines {
        let _ = at::final_result(line);
        let _ = at::new_message(line);
    }
    let messages: Vec<_> = if choice & 2 == 0 {
        at::parse_cmgl(&lines, charset)
            .into_iter()
            .filter_map(Result::ok)
            .collect()
    } else {
        at::parse_cmgr(3, &lines, charset)
            .ok()
            .flatten()
            .into_iter()
            .collect()
    };
    static GAZETTEER: OnceLock<Gazetteer> = OnceLock::new();
    let gazetteer = GAZETTEER.get_or_init(|| Gazetteer::from_sites(&SiteSet::demo().sites));
    for sms in messages {
        let digits: String = sms
            .sender
            .as_str()
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        match parse_report(&sms, TimeUs(1_800_000_000_000_000), &|name| {
            gazetteer.lookup(name)
        }) {
            Ok(report) => {
                assert!(report.position.is_valid(), "{report:?}");
                assert_eq!(report.channel, "sms");
                // The origin is the storage index only; the number stays out of the text.
                assert_eq!(report.origin, format!("sms:{}", sms.index), "{report:?}");
                if digits.len() >= 7 {
                    assert!(!report.description.contains(&digits), "{report:?}");
                }
            }
            Err(refused) => {
                let reply = refused.reply();
                assert!(reply.chars().count() <= 160, "{reply}");
            }
        }
    }
}

/// The report page's form bodies and the report endpoint's tokens files: the first byte
/// chooses. A form read is a report of a listed category at a valid place within the
/// form's limits; a tokens file read knows each of its tokens.
pub fn check_report_form(data: &[u8]) {
    use vigil_station::reports_http::page::{self, Place};
    use vigil_station::reports_http::tokens::ReportTokens;
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    if choice & 1 == 0 {
        let places = [Place {
            name: "Keradu west borehole".into(),
            at: vigil_protection::LatLon {
                lat_deg: 9.005063,
                lon_deg: 31.010277,
            },
        }];
        let now = TimeUs(1_800_000_000_000_000);
        let (_, report) = page::read_form(rest, &places, now, "web".into(), "http:fuzz".into());
        if let Ok(report) = report {
            assert!(report.position.is_valid(), "{report:?}");
            assert!(
                page::CATEGORIES.iter().any(|(c, _)| *c == report.category),
                "{report:?}"
            );
            assert!(report.description.chars().count() <= page::MAX_DESCRIPTION_CHARS);
            assert!(report.time <= now);
        }
    } else if let Ok(tokens) = ReportTokens::parse(&String::from_utf8_lossy(rest), "fuzz.txt") {
        for (token, holder) in tokens.entries() {
            assert_eq!(tokens.holder(token), Some(holder));
        }
    }
}
