//! Every row of the README's troubleshooting table, run with the real binary: the exit code
//! is the table's, the message holds the table's example (`…` for what varies) and so names
//! the option, file, line, field or link, and what the table says is kept is kept.
//!
//! The rows are read from README.md, so the table and this test cannot drift apart: a row
//! without a case, or a case without a row, fails `every_row_has_a_case_and_every_case_a_row`.
//!
//! Each run has HOME and the XDG folders in a scratch folder (nothing touches the user's), a
//! scratch working folder (so messages carry short relative names), `--no-record` or a session
//! folder in the scratch, and short durations and waits.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The cases this test knows, by the first column of the table.
const CASES: &[&str] = &[
    "run-sites-missing",
    "run-sites-unreadable",
    "run-sites-not-json",
    "run-sites-bad-field",
    "run-rules-missing",
    "run-rules-bad-field",
    "run-names-bad-field",
    "run-session-kept",
    "run-session-dir-file",
    "run-link-unparsable",
    "run-link-bad-port",
    "run-serial-missing",
    "run-tcp-refused",
    "run-tcpin-no-peer",
    "run-replay-link-missing",
    "run-basemap-bad",
    "run-tiles-empty",
    "run-tiles-url",
    "run-settings-bad",
    "run-cot-bad",
    "run-key-missing",
    "run-associator-bad",
    "run-signing-bad",
    "cmd-no-vehicle",
    "cmd-serial-missing",
    "cmd-upload-missing",
    "cmd-upload-bad-plan",
    "cmd-upload-bad-waypoints",
    "cmd-upload-bad-item",
    "cmd-upload-empty",
    "cmd-params-load-bad",
    "cmd-download-no-folder",
    "cmd-download-format",
    "cmd-params-folder",
    "replay-missing",
    "replay-folder",
    "replay-not-tlog",
    "replay-tracks-out",
    "replay-session-tracker-bad",
    "sim-scenario-missing",
    "sim-scenario-bad-field",
    "sim-link-unparsable",
    "sim-serial-missing",
    "sim-truth-no-folder",
    "export-to-before-from",
    "export-empty-range",
    "export-not-session",
    "export-out-no-folder",
    "export-layers-bad",
    "export-time-bad",
    "verify-missing",
    "verify-not-session",
];

/// No run may take longer than this (the slowest rows run for 2 s).
const RUN_LIMIT: Duration = Duration::from_secs(90);

/// A row of the table: its case, the example message and the exit code.
#[derive(Debug)]
struct Row {
    case: String,
    says: String,
    exit: i32,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Splits a markdown table line into its cells (`\|` is a pipe inside a cell).
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    let mut out = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                chars.next();
                out.last_mut().expect("a cell").push('|');
            }
            '|' => out.push(String::new()),
            c => out.last_mut().expect("a cell").push(c),
        }
    }
    out.into_iter().map(|c| c.trim().to_owned()).collect()
}

fn unquote(cell: &str) -> &str {
    cell.trim().trim_start_matches('`').trim_end_matches('`')
}

/// The rows of the table in README.md's "Troubleshooting" section.
fn rows() -> Vec<Row> {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let section = readme
        .split("\n## Troubleshooting\n")
        .nth(1)
        .expect("README.md has a \"## Troubleshooting\" section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let mut lines = section.lines().filter(|l| l.trim_start().starts_with('|'));
    let header = cells(lines.next().expect("the table's header"));
    assert_eq!(
        header,
        ["Case", "Input", "What Vigil says", "Exit", "What is kept"],
        "the table's columns"
    );
    lines
        .filter(|l| !l.trim_start().starts_with("|---"))
        .map(|line| {
            let c = cells(line);
            assert_eq!(c.len(), 5, "a row of five cells: {line}");
            Row {
                case: unquote(&c[0]).to_owned(),
                says: unquote(&c[2]).to_owned(),
                exit: c[3]
                    .parse()
                    .unwrap_or_else(|_| panic!("exit code of {line}")),
            }
        })
        .collect()
}

/// The scratch folder: home, working folder and the inputs of every row.
struct Scratch {
    _dir: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
}

impl Scratch {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("work");
        let home = dir.path().join("home");
        for d in [&root, &home, &root.join("maps")] {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        let files: &[(&str, &str)] = &[
            ("junk.geojson", "not json {"),
            (
                "sites.geojson",
                r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[31.0,9.0]},"properties":{"id":"w7","name":"Keradu market","category":"market","population":300,"buffer_m":-5}}]}"#,
            ),
            ("rules.toml", "[buffer_intrusion]\nseverity = \"loud\"\n"),
            ("fleet.toml", "[[drone]]\nsysid = 1\ncalsign = \"Kite 1\"\n"),
            ("notes.txt", "the operator's notes\n"),
            ("console.json", "{\"theme\": \"Night\",, }\n"),
            (
                "bad.plan",
                "{\n  \"fileType\": \"Plan\",\n  \"mission\": {\"items\": []}\n}\n",
            ),
            (
                "bad.waypoints",
                "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t9.0\t31.0\t0\t1\n\
                 1\t0\t3\t16\t0\t0\t0\tnope\t9.0\t31.0\t20\t1\n",
            ),
            (
                "far.waypoints",
                "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t9.0\t31.0\t420\t1\n\
                 1\t0\t3\t22\t0\t0\t0\t0\t0\t0\t20\t1\n\
                 2\t0\t3\t16\t0\t0\t0\t0\t200.5\t31.0\t30\t1\n",
            ),
            (
                "empty.waypoints",
                "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t9.0\t31.0\t420\t1\n",
            ),
            ("bad.param", "SYSID_THISMAV 1\nWPNAV_SPEED fast\n"),
            (
                "scenario.toml",
                "[scenario]\nname = \"x\"\nseed = \"abc\"\n",
            ),
            (
                "notes.tlog",
                "These are notes, not a telemetry log: no MAVLink frame in here.\n",
            ),
            ("kept.geojson", "an earlier export\n"),
        ];
        for (name, text) in files {
            std::fs::write(root.join(name), text).expect("write");
        }
        Self {
            _dir: dir,
            root,
            home,
        }
    }

    /// Runs vigil in the scratch folder with the scratch home; kills it after RUN_LIMIT.
    fn vigil(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigil"));
        cmd.args(args)
            .current_dir(&self.root)
            .env("HOME", &self.home)
            .env("XDG_DATA_HOME", self.home.join("data"))
            .env("XDG_CONFIG_HOME", self.home.join("config"))
            .env("XDG_CACHE_HOME", self.home.join("cache"))
            .env("XDG_STATE_HOME", self.home.join("state"))
            .env_remove("VIGIL_SIGNING_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("vigil starts");
        let started = Instant::now();
        while child.try_wait().expect("wait").is_none() {
            if started.elapsed() > RUN_LIMIT {
                let _ = child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child.wait_with_output().expect("output");
        assert!(
            started.elapsed() <= RUN_LIMIT,
            "vigil {args:?} ran over {RUN_LIMIT:?}"
        );
        out
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Every file of a folder and its bytes.
    fn files(&self, name: &str) -> BTreeMap<String, Vec<u8>> {
        std::fs::read_dir(self.path(name))
            .expect("read_dir")
            .map(|e| {
                let e = e.expect("entry");
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).expect("read"),
                )
            })
            .collect()
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).expect("read")
    }
}

/// Records the sealed session `old` (the built-in demo for 3 s) that several rows use.
fn record_old_session(s: &Scratch) {
    let out = s.vigil(&[
        "run",
        "--headless",
        "--duration",
        "3",
        "--session-dir",
        "old",
    ]);
    assert!(out.status.success(), "recording `old`: {}", show(&out));
    let verify = s.vigil(&["verify", "old"]);
    assert!(verify.status.success(), "`old` verifies: {}", show(&verify));
}

fn show(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

const QUIET: &str = "assets/scenarios/quiet.toml";

/// Runs one case: the command of its row, then its checks of what is kept. Returns the run's
/// output for the exit code and message checks.
fn run_case(case: &str, s: &Scratch) -> Output {
    let quiet = repo().join(QUIET);
    let quiet = quiet.to_str().expect("utf-8 path");
    let headless = ["run", "--headless", "--no-record", "--duration", "1"];
    let with = |extra: &[&str]| {
        let mut args = headless.to_vec();
        args.extend_from_slice(extra);
        s.vigil(&args)
    };
    match case {
        "run-sites-missing" => {
            // Recording by default: no session folder may appear.
            let out = s.vigil(&[
                "run",
                "--headless",
                "--duration",
                "1",
                "--sites",
                "missing.geojson",
            ]);
            assert!(
                !s.home.join("data/vigil/sessions").exists(),
                "a session folder was made"
            );
            out
        }
        "run-sites-unreadable" => with(&["--sites", "maps"]),
        "run-sites-not-json" => with(&["--sites", "junk.geojson"]),
        "run-sites-bad-field" => with(&["--sites", "sites.geojson"]),
        "run-rules-missing" => with(&["--rules", "missing.toml"]),
        "run-rules-bad-field" => with(&["--rules", "rules.toml"]),
        "run-names-bad-field" => with(&["--names", "fleet.toml"]),
        "run-session-kept" => {
            let before = s.files("old");
            let out = s.vigil(&[
                "run",
                "--headless",
                "--duration",
                "1",
                "--session-dir",
                "old",
                "--sites",
                "missing.geojson",
            ]);
            assert_eq!(s.files("old"), before, "the session `old` changed");
            let verify = s.vigil(&["verify", "old"]);
            assert!(verify.status.success(), "`old` verifies: {}", show(&verify));
            out
        }
        "run-session-dir-file" => {
            let before = s.read("notes.txt");
            let out = s.vigil(&[
                "run",
                "--headless",
                "--duration",
                "1",
                "--session-dir",
                "notes.txt",
            ]);
            assert_eq!(s.read("notes.txt"), before, "notes.txt changed");
            out
        }
        "run-link-unparsable" => with(&["--link", "bogus:1:2"]),
        "run-link-bad-port" => with(&["--link", "udpin:0.0.0.0:99999"]),
        "run-serial-missing" => {
            // Recorded and sealed all the same.
            let out = s.vigil(&[
                "run",
                "--headless",
                "--duration",
                "2",
                "--session-dir",
                "serial-session",
                "--link",
                "/dev/ttyNOPE:57600",
            ]);
            assert!(
                s.path("serial-session/seal.json").exists(),
                "the session was not sealed"
            );
            out
        }
        "run-tcp-refused" => s.vigil(&[
            "run",
            "--headless",
            "--no-record",
            "--duration",
            "2",
            "--link",
            "tcp:127.0.0.1:1",
        ]),
        "run-tcpin-no-peer" => with(&["--link", "tcpin:127.0.0.1:0"]),
        "run-replay-link-missing" => with(&["--link", "file:missing.tlog"]),
        "run-basemap-bad" => with(&["--basemap", "junk.geojson"]),
        "run-tiles-empty" => with(&["--tiles", "maps"]),
        "run-tiles-url" => with(&["--tiles", "https://tiles.example.org/map.png"]),
        "run-settings-bad" => {
            let before = s.read("console.json");
            let out = with(&["--settings", "console.json"]);
            assert_eq!(s.read("console.json"), before, "console.json changed");
            out
        }
        "run-cot-bad" => with(&["--cot", "tak.example.org"]),
        "run-key-missing" => with(&["--key", "missing.key"]),
        "run-associator-bad" => with(&["--associator", "mht"]),
        "run-signing-bad" => with(&["--signing", "sometimes"]),
        "cmd-no-vehicle" => s.vigil(&["cmd", "--link", "udpin:127.0.0.1:0", "--wait", "1", "arm"]),
        "cmd-serial-missing" => {
            s.vigil(&["cmd", "--link", "/dev/ttyNOPE:57600", "--wait", "1", "arm"])
        }
        "cmd-upload-missing" => cmd(s, &["upload", "missing.plan"]),
        "cmd-upload-bad-plan" => cmd(s, &["upload", "bad.plan"]),
        "cmd-upload-bad-waypoints" => cmd(s, &["upload", "bad.waypoints"]),
        "cmd-upload-bad-item" => cmd(s, &["upload", "far.waypoints"]),
        "cmd-upload-empty" => cmd(s, &["upload", "empty.waypoints"]),
        "cmd-params-load-bad" => cmd(s, &["params-load", "bad.param"]),
        "cmd-download-no-folder" => cmd(s, &["download", "nodir/back.plan"]),
        "cmd-download-format" => cmd(s, &["download", "back.json"]),
        "cmd-params-folder" => cmd(s, &["params", "maps"]),
        "replay-missing" => s.vigil(&["replay", "missing.tlog", "--headless", "--fast"]),
        "replay-folder" => s.vigil(&["replay", "old", "--headless", "--fast"]),
        "replay-not-tlog" => {
            let before = s.read("notes.tlog");
            let out = s.vigil(&["replay", "notes.tlog", "--headless", "--fast"]);
            assert_eq!(s.read("notes.tlog"), before, "notes.tlog changed");
            out
        }
        "replay-tracks-out" => s.vigil(&[
            "replay",
            "old/telemetry.tlog",
            "--headless",
            "--fast",
            "--tracks-out",
            "nodir/tracks.csv",
        ]),
        "replay-session-tracker-bad" => {
            // A session whose session.json names an association this Vigil does not know
            // (a later version's, say): the replay says where, and guesses nothing.
            std::fs::create_dir_all(s.path("later")).expect("mkdir");
            for name in ["telemetry.tlog", "session.json"] {
                std::fs::copy(s.path("old").join(name), s.path("later").join(name)).expect("copy");
            }
            let meta = String::from_utf8(s.read("later/session.json")).expect("utf-8");
            assert!(meta.contains("\"association\": \"gnn\""), "{meta}");
            let meta = meta.replace("\"association\": \"gnn\"", "\"association\": \"mht\"");
            std::fs::write(s.path("later/session.json"), &meta).expect("write");
            let out = s.vigil(&["replay", "later/telemetry.tlog", "--headless", "--fast"]);
            assert_eq!(
                s.read("later/session.json"),
                meta.as_bytes(),
                "session.json changed"
            );
            out
        }
        "sim-scenario-missing" => sim(s, "missing.toml", &[]),
        "sim-scenario-bad-field" => sim(s, "scenario.toml", &[]),
        "sim-link-unparsable" => s.vigil(&[
            "sim",
            "--scenario",
            quiet,
            "--link",
            "bogus",
            "--duration",
            "1",
        ]),
        "sim-serial-missing" => s.vigil(&[
            "sim",
            "--scenario",
            quiet,
            "--link",
            "serial:/dev/ttyNOPE:57600",
            "--duration",
            "1",
        ]),
        "sim-truth-no-folder" => sim(s, quiet, &["--truth", "nodir/truth.csv"]),
        "export-to-before-from" => {
            let out = s.vigil(&[
                "export", "old", "--format", "geojson", "--from", "100", "--to", "50",
            ]);
            assert!(
                !s.path("old/export.geojson").exists(),
                "an export was written"
            );
            out
        }
        "export-empty-range" => {
            let before = s.read("kept.geojson");
            let out = s.vigil(&[
                "export",
                "old",
                "--format",
                "geojson",
                "--from",
                "100000",
                "--out",
                "kept.geojson",
            ]);
            assert_eq!(s.read("kept.geojson"), before, "kept.geojson was replaced");
            out
        }
        "export-not-session" => s.vigil(&["export", "maps", "--format", "geojson"]),
        "export-out-no-folder" => s.vigil(&[
            "export",
            "old",
            "--format",
            "geojson",
            "--out",
            "nodir/x.geojson",
        ]),
        "export-layers-bad" => s.vigil(&[
            "export",
            "old",
            "--format",
            "geojson",
            "--layers",
            "paths,roads",
        ]),
        "export-time-bad" => s.vigil(&[
            "export",
            "old",
            "--format",
            "geojson",
            "--from",
            "yesterday",
        ]),
        "verify-missing" => s.vigil(&["verify", "nosuch"]),
        "verify-not-session" => s.vigil(&["verify", "maps"]),
        other => panic!("no case {other}"),
    }
}

/// `vigil cmd` on a link where nothing answers: the refusal must come before any waiting.
fn cmd(s: &Scratch, action: &[&str]) -> Output {
    let mut args = vec!["cmd", "--link", "udpin:127.0.0.1:0", "--wait", "30"];
    args.extend_from_slice(action);
    let started = Instant::now();
    let out = s.vigil(&args);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "vigil {args:?} waited for a vehicle before refusing"
    );
    out
}

fn sim(s: &Scratch, scenario: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "sim",
        "--scenario",
        scenario,
        "--link",
        "udpout:127.0.0.1:9",
        "--duration",
        "1",
    ];
    args.extend_from_slice(extra);
    s.vigil(&args)
}

/// The message holds each part of the example (split at `…`), in order.
fn says(stderr: &str, example: &str) -> bool {
    let mut rest = stderr;
    for part in example.split('…').map(str::trim).filter(|p| !p.is_empty()) {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[test]
fn every_row_has_a_case_and_every_case_a_row() {
    let rows: Vec<String> = rows().into_iter().map(|r| r.case).collect();
    let unique: BTreeSet<&String> = rows.iter().collect();
    assert_eq!(unique.len(), rows.len(), "a case twice in the table");
    let rows: BTreeSet<&str> = rows.iter().map(String::as_str).collect();
    let cases: BTreeSet<&str> = CASES.iter().copied().collect();
    let no_case: Vec<_> = rows.difference(&cases).collect();
    let no_row: Vec<_> = cases.difference(&rows).collect();
    assert!(
        no_case.is_empty(),
        "rows of README.md without a case: {no_case:?}"
    );
    assert!(
        no_row.is_empty(),
        "cases without a row in README.md: {no_row:?}"
    );
}

#[test]
fn every_bad_input_fails_naming_the_place() {
    let s = Scratch::new();
    record_old_session(&s);
    let rows = rows();
    let known: BTreeSet<&str> = CASES.iter().copied().collect();
    let rows: Vec<&Row> = rows
        .iter()
        .filter(|r| known.contains(r.case.as_str()))
        .collect();
    // Four at a time: most rows take a fraction of a second, a few run for 1-2 s.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(row) = rows.get(i) else { break };
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        run_case(&row.case, &s)
                    }));
                    let problem = match result {
                        Err(panic) => Some(
                            panic
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_default(),
                        ),
                        Ok(out) => {
                            let stderr = String::from_utf8_lossy(&out.stderr);
                            if out.status.code() != Some(row.exit) {
                                Some(format!(
                                    "exit {:?}, not {}\n{}",
                                    out.status.code(),
                                    row.exit,
                                    show(&out)
                                ))
                            } else if !says(&stderr, &row.says) {
                                Some(format!("the message is not `{}`\n{}", row.says, show(&out)))
                            } else {
                                None
                            }
                        }
                    };
                    if let Some(problem) = problem {
                        failures
                            .lock()
                            .expect("lock")
                            .push(format!("{}: {problem}", row.case));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().expect("lock");
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n\n")
    );
}

/// `--associator` picks the tracker's association for a run or a replay, and `--group-tracks`
/// adds group tracks: every value is taken (a replay of a recording runs to its end with
/// each), the help names them, and
/// anything else is refused before anything starts, naming the option and the values.
#[test]
fn the_associator_is_chosen_on_the_command_line() {
    let s = Scratch::new();
    let tlog = repo().join("tests/data/demo-start.tlog");
    let tlog = tlog.to_str().expect("utf-8 path");
    for (associator, groups) in [
        ("gnn", None),
        ("jpda", None),
        ("jpda", Some("--group-tracks")),
    ] {
        let tracks = format!("tracks-{associator}-{}.csv", groups.is_some());
        let mut args = vec![
            "replay",
            tlog,
            "--headless",
            "--fast",
            "--associator",
            associator,
            "--tracks-out",
            &tracks,
        ];
        args.extend(groups);
        let out = s.vigil(&args);
        assert_eq!(out.status.code(), Some(0), "{associator}\n{}", show(&out));
        assert!(s.path(&tracks).is_file(), "{associator}: no {tracks}");
    }
    // The demo, simulated in-process, for a second.
    let out = s.vigil(&[
        "run",
        "--headless",
        "--no-record",
        "--duration",
        "1",
        "--associator",
        "jpda",
        "--group-tracks",
    ]);
    assert_eq!(out.status.code(), Some(0), "run\n{}", show(&out));
    for command in ["run", "replay"] {
        let help = s.vigil(&[command, "--help"]);
        let text = String::from_utf8_lossy(&help.stdout);
        assert!(
            text.contains("--associator <NAME>")
                && text.contains("jpda")
                && text.contains("gnn")
                && text.contains("--group-tracks"),
            "vigil {command} --help:\n{text}"
        );
    }
    let out = s.vigil(&["replay", tlog, "--headless", "--associator", "hungarian"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        stderr.contains("invalid value 'hungarian' for '--associator <NAME>'")
            && stderr.contains("[possible values: gnn, jpda]"),
        "{stderr}"
    );
}
