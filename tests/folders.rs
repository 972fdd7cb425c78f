//! Where Vigil keeps its files. The library crates are given their folders (keys, sessions,
//! the station's sealing key, the tile cache); only the `vigil` binary looks at HOME and the
//! XDG variables. So a test, a benchmark or another program built on the crates never reads
//! the developer's signing keys nor writes into their sessions.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use vigil_record::provenance::seal::PUBLIC_KEY_FILE;
use vigil_record::provenance::verify::{Verdict, verify_session};
use vigil_record::session::{META_FILE, TLOG_FILE};
use vigil_station::{Folders, Pipeline, PipelineConfig};

/// The Rust files under `dir`, recursively.
fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn no_library_crate_reads_home_or_the_xdg_variables() {
    // What finding the user's folders takes: the variables, a home lookup, or a crate that
    // does either. Comments may mention them; code may not.
    const FORBIDDEN: [&str; 7] = [
        "\"HOME\"",
        "\"XDG_",
        "\"VIGIL_SIGNING_KEY\"",
        "home_dir",
        "directories::",
        "dirs::",
        "ProjectDirs",
    ];
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates");
    let mut files = Vec::new();
    rust_files(&crates, &mut files);
    assert!(files.len() > 50, "the crates' sources: {}", files.len());
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for pattern in FORBIDDEN {
                if code.contains(pattern) {
                    found.push(format!(
                        "{}:{}: {}",
                        file.display(),
                        number + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    for manifest in std::fs::read_dir(&crates).expect("crates/") {
        let manifest = manifest.expect("an entry").path().join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).expect("a manifest");
        for line in text.lines() {
            if line.starts_with("directories") || line.starts_with("dirs") {
                found.push(format!("{}: {line}", manifest.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "only the binary (src/cli.rs) resolves the user's folders:\n{}",
        found.join("\n")
    );
}

/// The one folder under `root` (panics unless there is exactly one).
fn only_entry(root: &Path) -> PathBuf {
    let entries: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.expect("an entry").path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries.into_iter().next().expect("one")
}

#[test]
fn a_recording_pipeline_keeps_its_key_and_sessions_in_the_folders_it_is_given() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let folders = Folders {
        sessions_root: scratch.path().join("sessions"),
        keys_dir: scratch.path().join("vehicle-keys"),
        station_key: scratch.path().join("station/seal.key"),
    };
    let record = |folders: &Folders| {
        let pipeline = Pipeline::start(PipelineConfig {
            links: vec!["udpin:127.0.0.1:0".parse().expect("an address")],
            record_default_session: true,
            ..PipelineConfig::new(folders.clone())
        })
        .expect("the pipeline starts");
        let session = pipeline
            .station()
            .snapshot()
            .session_dir
            .clone()
            .expect("recording");
        pipeline.shutdown();
        session
    };

    let session = record(&folders);
    assert_eq!(session, only_entry(&folders.sessions_root));
    for file in [TLOG_FILE, META_FILE, PUBLIC_KEY_FILE] {
        assert!(
            session.join(file).is_file(),
            "{file} in {}",
            session.display()
        );
    }
    let report = verify_session(&session);
    assert_eq!(report.verdict, Verdict::Intact, "{}", report.summary());
    // The station's key was made where it was asked, for its owner alone.
    let mode = std::fs::metadata(&folders.station_key)
        .expect("the station key")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    // Another run seals with the same key, and another station (other folders) with its own.
    let public_key = std::fs::read(session.join(PUBLIC_KEY_FILE)).expect("the public key");
    std::fs::remove_dir_all(&folders.sessions_root).expect("removed");
    let again = record(&folders);
    assert_eq!(
        std::fs::read(again.join(PUBLIC_KEY_FILE)).expect("the public key"),
        public_key
    );
    let other = Folders::under(&scratch.path().join("other"));
    let elsewhere = record(&other);
    assert!(elsewhere.starts_with(scratch.path().join("other/sessions")));
    assert!(other.station_key.is_file());
    assert_ne!(
        std::fs::read(elsewhere.join(PUBLIC_KEY_FILE)).expect("the public key"),
        public_key
    );
}
