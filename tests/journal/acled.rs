//! The ACLED export end to end: `vigil export SESSION --format acled` on the synthetic
//! session, read back with the `csv` crate: ACLED's header, the HXL hashtag row, the
//! incident's values, the provenance beside it, strict redaction, and other layers refused.

use std::path::{Path, PathBuf};

use super::{synthetic_session, text, vigil_command};

/// `vigil export --format acled` with `args`; the CSV's header and rows (the HXL row first).
fn export_acled(dir: &Path, args: &[&str]) -> (Vec<String>, Vec<csv::StringRecord>) {
    let output = vigil_command()
        .args(["export", &dir.to_string_lossy(), "--format", "acled"])
        .args(args)
        .output()
        .expect("vigil export runs");
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("incidents: 1"),
        "{}",
        text(&output)
    );
    let out = args
        .iter()
        .position(|a| *a == "--out")
        .and_then(|i| args.get(i + 1))
        .map_or_else(|| dir.join("export-acled.csv"), PathBuf::from);
    let mut reader = csv::Reader::from_path(&out).expect("the CSV opens");
    let header = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .collect::<Result<_, _>>()
        .expect("the rows read");
    (header, rows)
}

#[test]
fn the_acled_export_reads_back_with_acleds_columns_an_hxl_row_and_the_incident() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("session");
    let records = synthetic_session(&dir);
    let out = tmp.path().join("incidents.csv");
    let (header, rows) = export_acled(
        &dir,
        &["--redact", "public", "--out", &out.to_string_lossy()],
    );
    assert_eq!(
        header[..8],
        [
            "event_id_cnty",
            "event_date",
            "year",
            "time_precision",
            "disorder_type",
            "event_type",
            "sub_event_type",
            "actor1"
        ]
    );
    assert_eq!(header.last().map(String::as_str), Some("vigil_alerts"));
    assert_eq!(rows.len(), 2, "the HXL row and one incident: {rows:?}");
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let cell = |row: usize, name: &str| rows[row][column(name)].to_owned();
    for (name, tag) in [
        ("event_id_cnty", "#event+code"),
        ("event_date", "#date+occurred"),
        ("event_type", "#event+type"),
        ("sub_event_type", "#event+type+sub"),
        ("actor1", "#group+name+first"),
        ("latitude", "#geo+lat"),
        ("longitude", "#geo+lon"),
        ("source", "#meta+source"),
        ("notes", "#description"),
        ("fatalities", "#affected+killed"),
    ] {
        assert_eq!(cell(0, name), tag, "{name}");
    }
    for (name, value) in [
        ("event_id_cnty", "VIGIL-session-I-1"),
        ("event_date", "2026-03-14"),
        ("year", "2026"),
        ("time_precision", "1"),
        ("disorder_type", "Political violence"),
        ("event_type", "Violence against civilians"),
        ("sub_event_type", "Attack"),
        ("actor1", "unidentified armed men"),
        ("civilian_targeting", "Civilian targeting"),
        ("latitude", "9.0085"),
        ("longitude", "31.0149"),
        ("geo_precision", "1"),
        ("source", "patrol 2"),
        ("notes", "shots fired at people drawing water at the well"),
        ("fatalities", "1"),
        ("vigil_confidence", "high"),
        ("vigil_state", "verified"),
        ("vigil_reports", "1"),
        ("vigil_alerts", "1"),
    ] {
        assert_eq!(cell(1, name), value, "{name}");
    }
    let provenance = std::fs::read_to_string(tmp.path().join("incidents.provenance.csv"))
        .expect("the provenance beside the CSV");
    assert!(
        provenance.contains(&format!("\njournal_records,{records}\n"))
            && provenance.contains("\nredaction,public\n"),
        "{provenance}"
    );
    assert!(
        !std::fs::read_to_string(&out)
            .expect("the CSV")
            .contains("Officer Dalia")
    );

    // Strict: in the session folder by default, the place on the 1 km grid, said so.
    let (_, rows) = export_acled(&dir, &["--redact", "strict"]);
    let cell = |name: &str| rows[1][column(name)].to_owned();
    assert_eq!(cell("geo_precision"), "2");
    assert_ne!(
        (cell("latitude"), cell("longitude")),
        ("9.0085".into(), "31.0149".into())
    );
    assert!(dir.join("export-acled.provenance.csv").exists());

    // Other layers than the incidents are refused, and nothing is written.
    let refused = vigil_command()
        .args([
            "export",
            &dir.to_string_lossy(),
            "--format",
            "acled",
            "--layers",
            "tracks",
        ])
        .arg("--out")
        .arg(tmp.path().join("refused.csv"))
        .output()
        .expect("vigil export runs");
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("incidents only"),
        "{}",
        text(&refused)
    );
    assert!(!tmp.path().join("refused.csv").exists());
}
