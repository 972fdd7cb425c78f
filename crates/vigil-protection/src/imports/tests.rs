use super::values::{is_utc_column, parse_time, snake_case};
use super::*;
use vigil_core::time::utc_millis_string;

const KOBO_CSV: &str = include_str!("../../tests/data/kobo_reports.csv");
const ODK_CSV: &str = include_str!("../../tests/data/odk_reports.csv");
const USHAHIDI_CSV: &str = include_str!("../../tests/data/ushahidi_reports.csv");

fn utc(report: &NewReport) -> String {
    utc_millis_string(report.time)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// The message of an error, checked to name the file, the place and the field.
fn message_naming(err: ProtectionError, file: &str, place: &str, field: &str) -> String {
    let message = err.to_string();
    let expected = format!("{file}: {place}: {field}");
    assert!(
        message.starts_with(&expected),
        "{message:?} (expected {expected:?})"
    );
    message
}

#[test]
fn formats_are_named_and_read_from_the_command_line() {
    for format in ReportFormat::ALL {
        assert_eq!(format.name().parse::<ReportFormat>(), Ok(format));
        assert_eq!(format.to_string(), format.name());
    }
    assert_eq!("KoboToolbox".parse(), Ok(ReportFormat::Kobo));
    assert_eq!(" ODK ".parse(), Ok(ReportFormat::Odk));
    assert_eq!("odk-central".parse(), Ok(ReportFormat::Odk));
    let err = "sms".parse::<ReportFormat>().expect_err("not a format");
    assert_eq!(
        err.to_string(),
        "\"sms\" is not a report format: vigil, kobo, odk or ushahidi"
    );
}

#[test]
fn mappings_are_set_field_by_field() {
    let mut mapping = FieldMapping::default();
    for field in FieldMapping::FIELDS {
        mapping
            .set(field, &format!(" {field}_column "))
            .expect("a field");
    }
    assert_eq!(mapping.time.as_deref(), Some("time_column"));
    assert_eq!(mapping.channel.as_deref(), Some("channel_column"));
    mapping.set("People", "How many people?").expect("any case");
    assert_eq!(mapping.people.as_deref(), Some("How many people?"));
    let err = mapping.set("when", "start").expect_err("not a field");
    assert!(
        err.to_string().starts_with("\"when\" is not a field"),
        "{err}"
    );
}

#[test]
fn formats_are_detected_from_the_header() {
    assert_eq!(detect_format(KOBO_CSV), Some(ReportFormat::Kobo));
    assert_eq!(detect_format(ODK_CSV), Some(ReportFormat::Odk));
    assert_eq!(detect_format(USHAHIDI_CSV), Some(ReportFormat::Ushahidi));
    assert_eq!(
        detect_format("time_utc,lat_deg,lon_deg,category\n"),
        Some(ReportFormat::Vigil)
    );
    // A Kobo form without its metadata columns still shows its geopoint's companions.
    assert_eq!(
        detect_format("\n\nwhat,where,_where_latitude,_where_longitude\n"),
        Some(ReportFormat::Kobo)
    );
    assert_eq!(
        detect_format("\u{feff}\"Post ID\";\"Post date (UTC)\"\r\n"),
        Some(ReportFormat::Ushahidi)
    );
    assert_eq!(detect_format("name,age\nAlice,30\n"), None);
    assert_eq!(detect_format(""), None);
    assert_eq!(detect_format("\"never closed"), None);
}

#[test]
fn delimiters_are_sniffed_from_the_header_outside_quotes() {
    assert_eq!(sniff_delimiter("\"a;b\",c,d\n;;;;;;"), b',');
    assert_eq!(sniff_delimiter("\"a,b\";\"c\";\"d\""), b';');
    assert_eq!(sniff_delimiter("a\tb\tc"), b'\t');
    assert_eq!(sniff_delimiter("a;b,c"), b',');
    assert_eq!(sniff_delimiter(""), b',');
}

#[test]
fn kobo_csv_with_semicolons_a_bom_groups_and_an_empty_trailing_row_is_read() {
    let reports = parse_kobo_csv(KOBO_CSV, "kobo.csv", &FieldMapping::default()).expect("valid");
    assert_eq!(reports.len(), 3);
    let armed = &reports[0];
    assert_eq!(utc(armed), "2026-03-14T16:30:00.123Z", "start, +02:00");
    assert!(close(armed.position.lat_deg, 9.0084) && close(armed.position.lon_deg, 31.0157));
    assert_eq!(armed.category, "armed_men");
    assert_eq!(
        armed.description,
        "Men with guns near the well, \"about ten\";\nthey came from the north road"
    );
    assert_eq!(armed.people, Some(12));
    assert_eq!(armed.reporter, "Amina Deng, +211 912 345 678");
    assert_eq!(armed.channel, "kobo");
    assert_eq!(armed.origin, "kobo.csv:2");
    let looting = &reports[1];
    assert_eq!(
        (
            looting.origin.as_str(),
            looting.people,
            looting.reporter.as_str()
        ),
        ("kobo.csv:4", None, "")
    );
    assert_eq!(utc(looting), "2026-03-14T19:05:40.000Z");
    // No `start`: the submission time, which Kobo writes in UTC without an offset.
    let displaced = &reports[2];
    assert_eq!(utc(displaced), "2026-03-15T06:12:45.000Z");
    assert_eq!(displaced.reporter, "+211 955 000 111");
    assert_eq!(displaced.origin, "kobo.csv:5");
    // The same export detected, and as a file.
    let detected = parse_export_csv(KOBO_CSV, "kobo.csv", None, &FieldMapping::default());
    assert_eq!(detected.expect("detected"), reports);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/kobo_reports.csv");
    let imported = import_reports(&path, None).expect("imported");
    assert_eq!(imported.len(), 3);
    assert!(imported[0].origin.ends_with("kobo_reports.csv:2"));
}

#[test]
fn kobo_csv_with_commas_labels_and_only_a_geopoint_column_is_read_by_its_mapping() {
    let text = "start,Type of incident,Where,Channel,Reporter\r\n\
                2026-03-14T18:30:00.123+0200,Armed men,9.0084 31.0157,radio,Amina\r\n\
                2026-03-14T03:00:00-05:30,LootingAndBurning,8.9896 31.0104 448 6.1,,\r\n\
                ,,,,\r\n";
    let mapping = FieldMapping {
        location: Some("Where".into()),
        category: Some("type of incident".into()),
        ..FieldMapping::default()
    };
    let reports = parse_kobo_csv(text, "labels.csv", &mapping).expect("valid");
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0].category, "armed_men");
    assert_eq!(reports[0].channel, "radio");
    assert_eq!(reports[0].reporter, "Amina");
    assert_eq!(utc(&reports[0]), "2026-03-14T16:30:00.123Z");
    assert_eq!(reports[1].category, "looting_and_burning");
    assert_eq!(reports[1].channel, "kobo");
    assert_eq!(utc(&reports[1]), "2026-03-14T08:30:00.000Z");
    assert!(close(reports[1].position.lon_deg, 31.0104));
    let err = parse_kobo_csv(
        &text.replace("9.0084 31.0157", "9.0084"),
        "labels.csv",
        &mapping,
    )
    .expect_err("half a geopoint");
    let message = message_naming(err, "labels.csv", "line 2", "Where");
    assert!(message.ends_with("is not a geopoint: latitude longitude [altitude [accuracy]]"));
}

#[test]
fn odk_central_csv_is_read() {
    let reports = parse_odk_csv(ODK_CSV, "odk.csv", &FieldMapping::default()).expect("valid");
    assert_eq!(reports.len(), 2);
    assert_eq!(utc(&reports[0]), "2026-03-14T16:30:00.123Z");
    assert_eq!(reports[0].category, "armed_men");
    assert_eq!(
        reports[0].description,
        "Men with guns near the well, \"about ten\"\nthey came from the north road"
    );
    assert_eq!(reports[0].people, Some(12));
    assert_eq!(reports[0].reporter, "Amina Deng, +211 912 345 678");
    assert_eq!(reports[0].channel, "odk");
    assert_eq!(reports[0].origin, "odk.csv:2");
    assert_eq!(reports[1].origin, "odk.csv:4");
    assert!(close(reports[1].position.lat_deg, 8.9896));
    // Without `start`, the submission date (always `Z`).
    let mapping = FieldMapping {
        time: Some("SubmissionDate".into()),
        ..FieldMapping::default()
    };
    let reports = parse_odk_csv(ODK_CSV, "odk.csv", &mapping).expect("valid");
    assert_eq!(utc(&reports[1]), "2026-03-14T19:10:00.004Z");
    // A geopoint in a nested group, named by its last part.
    let text = "SubmissionDate,a-b-spot-Latitude,a-b-spot-Longitude,a-kind\n\
                2026-03-14T16:36:10Z,9.5,31.5,Shooting\n";
    let mapping = FieldMapping {
        location: Some("spot".into()),
        category: Some("kind".into()),
        ..FieldMapping::default()
    };
    let reports = parse_odk_csv(text, "odk.csv", &mapping).expect("valid");
    assert_eq!(
        (reports[0].category.as_str(), reports[0].position.lat_deg),
        ("shooting", 9.5)
    );
}

#[test]
fn ushahidi_csv_is_read_past_its_hxl_row() {
    let mapping = FieldMapping {
        people: Some("How many people?".into()),
        ..FieldMapping::default()
    };
    let reports = parse_ushahidi_csv(USHAHIDI_CSV, "ushahidi.csv", &mapping).expect("valid");
    assert_eq!(reports.len(), 2);
    let armed = &reports[0];
    assert_eq!(utc(armed), "2026-03-14T16:30:00.000Z", "the post date");
    assert_eq!(armed.category, "armed_men,threats");
    assert_eq!(
        armed.description,
        "Armed men near the well\nAbout ten men with guns, coming from the north road.\n\
         Seen by the water committee."
    );
    assert_eq!((armed.people, armed.reporter.as_str()), (Some(12), ""));
    assert_eq!(armed.channel, "ushahidi");
    assert_eq!(armed.origin, "ushahidi.csv:3");
    let looting = &reports[1];
    assert_eq!(looting.reporter, "+211912345678");
    assert_eq!(looting.category, "looting");
    assert_eq!(looting.origin, "ushahidi.csv:5");
    // HXL hashtags under the header are skipped; without categories, the survey.
    let tagged = USHAHIDI_CSV
        .replacen(",,,,,,,,,,,,,,", "#id,,#date +created,,,,#contact,,,#description +title,#description,#geo +lat,#geo +lon,,", 1)
        .replace("\"Armed men,Threats\"", "");
    let reports =
        parse_ushahidi_csv(&tagged, "ushahidi.csv", &FieldMapping::default()).expect("valid");
    assert_eq!(reports[0].category, "incident_report");
    assert_eq!(reports[0].people, None);
}

#[test]
fn kobo_geojson_is_read_and_bad_features_named() {
    let text = r#"{"type": "FeatureCollection", "name": "incident_report", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [31.0157, 9.0084, 452.3]},
         "properties": {"start": "2026-03-14T18:30:00.123+02:00", "group_incident/what": "armed_men",
                        "group_incident/people": "12", "reporter_name": "Amina Deng",
                        "_submission_time": "2026-03-14T16:35:02", "_id": 48213307}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [31.0104, 8.9896]},
         "properties": {"_submission_time": "2026-03-14T19:08:11", "group_incident/what": "Looting"}}
    ]}"#;
    let reports =
        parse_kobo_geojson(text, "kobo.geojson", &FieldMapping::default()).expect("valid");
    assert_eq!(reports.len(), 2);
    assert_eq!(utc(&reports[0]), "2026-03-14T16:30:00.123Z");
    assert!(close(reports[0].position.lon_deg, 31.0157));
    assert_eq!(
        (reports[0].people, reports[0].reporter.as_str()),
        (Some(12), "Amina Deng")
    );
    assert_eq!(reports[1].category, "looting");
    assert_eq!(utc(&reports[1]), "2026-03-14T19:08:11.000Z");
    assert_eq!(reports[1].origin, "kobo.geojson#1");
    let line = text.replace(
        r#""type": "Point", "coordinates": [31.0104, 8.9896]"#,
        r#""type": "LineString", "coordinates": [[31.0, 8.9], [31.1, 9.0]]"#,
    );
    let err = parse_kobo_geojson(&line, "kobo.geojson", &FieldMapping::default())
        .expect_err("a geotrace");
    message_naming(err, "kobo.geojson", "feature #1", "geometry");
    let far = text.replace("[31.0104, 8.9896]", "[31.0104, 98.9896]");
    let err = parse_kobo_geojson(&far, "kobo.geojson", &FieldMapping::default())
        .expect_err("off the globe");
    message_naming(err, "kobo.geojson", "feature #1", "geometry.coordinates");
    let untimed = text.replace(r#""_submission_time": "2026-03-14T19:08:11", "#, "");
    let err = parse_kobo_geojson(&untimed, "kobo.geojson", &FieldMapping::default())
        .expect_err("no time");
    message_naming(err, "kobo.geojson", "feature #1", "time");
}

#[test]
fn import_reports_reads_by_extension_and_format() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("written");
        path
    };
    let odk = write("odk.csv", ODK_CSV);
    assert_eq!(import_reports(&odk, None).expect("detected").len(), 2);
    assert_eq!(
        import_reports(&odk, Some(ReportFormat::Odk))
            .expect("named")
            .len(),
        2
    );
    let vigil = write(
        "vigil.csv",
        "time_utc,lat_deg,lon_deg,category\n2026-03-14T18:30:00Z,9.0,31.0,shooting\n",
    );
    assert_eq!(
        import_reports(&vigil, None).expect("Vigil's own")[0].channel,
        ""
    );
    assert_eq!(
        import_reports(&vigil, Some(ReportFormat::Vigil))
            .expect("Vigil's own")
            .len(),
        1
    );
    let kobo_geojson = write(
        "kobo.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature",
            "geometry":{"type":"Point","coordinates":[31.0,9.0]},
            "properties":{"_submission_time":"2026-03-14T16:35:02","what":"shooting"}}]}"#,
    );
    assert_eq!(
        import_reports(&kobo_geojson, None).expect("Kobo's")[0].channel,
        "kobo"
    );
    let vigil_geojson = write(
        "vigil.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature",
            "geometry":{"type":"Point","coordinates":[31.0,9.0]},
            "properties":{"time_utc":"2026-03-14T16:35:02Z","category":"shooting"}}]}"#,
    );
    assert_eq!(
        import_reports(&vigil_geojson, None).expect("Vigil's")[0].origin,
        format!("{}#0", vigil_geojson.display())
    );
    let file = kobo_geojson.display().to_string();
    let err = import_reports(&kobo_geojson, Some(ReportFormat::Ushahidi)).expect_err("CSV only");
    assert_eq!(
        err.to_string(),
        format!("{file}: (file): Ushahidi exports are read as CSV, not GeoJSON")
    );
    let text = write("reports.txt", ODK_CSV);
    let err = import_reports(&text, None).expect_err("not csv");
    assert!(err.to_string().contains("extension \"txt\""), "{err}");
    let missing = dir.path().join("missing.csv");
    let err = import_reports(&missing, None).expect_err("no file");
    assert!(
        err.to_string().starts_with(&missing.display().to_string()),
        "{err}"
    );
    let unknown = write("unknown.csv", "name,age\nAlice,30\n");
    let err = import_reports(&unknown, None).expect_err("not an export");
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("{}: line 1: the header is not", unknown.display())),
        "{message}"
    );
}

#[test]
fn times_with_an_offset_are_converted_to_utc() {
    let at = |text: &str, naive_is_utc: bool| parse_time(text, naive_is_utc).map(utc_millis_string);
    for (text, expected) in [
        ("2026-03-14T18:30:00.123+02:00", "2026-03-14T16:30:00.123Z"),
        ("2026-03-14T18:30:00.123+0200", "2026-03-14T16:30:00.123Z"),
        ("2026-03-14T18:30:00+02", "2026-03-14T16:30:00.000Z"),
        ("2026-03-14T01:30:00-05:30", "2026-03-14T07:00:00.000Z"),
        ("2026-03-14T00:30:00+02:00", "2026-03-13T22:30:00.000Z"),
        ("2026-12-31T23:30:00-01:00", "2027-01-01T00:30:00.000Z"),
        ("2024-02-29T23:00:00-03:00", "2024-03-01T02:00:00.000Z"),
        ("2026-03-14T16:30:00Z", "2026-03-14T16:30:00.000Z"),
        ("2026-03-14T16:30:00-00:00", "2026-03-14T16:30:00.000Z"),
        ("2026-03-14 16:30:00+00:00", "2026-03-14T16:30:00.000Z"),
        (" 2026-03-14T16:30:00.5+23:59 ", "2026-03-13T16:31:00.500Z"),
        ("1970-01-01T02:00:00+02:00", "1970-01-01T00:00:00.000Z"),
    ] {
        assert_eq!(at(text, false).as_deref(), Ok(expected), "{text:?}");
    }
    assert_eq!(
        at("2026-03-14 16:30:00", true).as_deref(),
        Ok("2026-03-14T16:30:00.000Z")
    );
    assert_eq!(
        at("2026-03-14T16:30:00.250", true).as_deref(),
        Ok("2026-03-14T16:30:00.250Z")
    );
    assert!(is_utc_column("_submission_time") && is_utc_column("group/_submission_time"));
    assert!(is_utc_column("SubmissionDate") && is_utc_column("Post date (UTC)"));
    assert!(!is_utc_column("start") && !is_utc_column("end"));
}

#[test]
fn times_that_are_not_the_grammar_are_refused_not_guessed() {
    let offset_needed = parse_time("2026-03-14T18:30:00", false).expect_err("no offset");
    assert_eq!(
        offset_needed,
        "has no UTC offset, and this column is not in UTC (YYYY-MM-DDTHH:MM:SS[.fff] then Z or \
         ±HH:MM)"
    );
    for text in [
        "",
        "2026-03-14",
        "yesterday",
        "2026-03-14T18:30",
        "2026-03-14t18:30:00Z",
        "2026-03-14_18:30:00Z",
        "2026-03-14T18:30:00.+02:00",
        "2026-03-14T18:30:00.1234567890Z",
        "2026-03-14T18:30:00+2:00",
        "2026-03-14T18:30:00+24:00",
        "2026-03-14T18:30:00+02:60",
        "2026-03-14T18:30:00+02:0",
        "2026-03-14T18:30:00+02-00",
        "2026-03-14T18:30:00 +02:00",
        "2026-03-14T18:30:00Zjunk",
        "2026-03-14T18:30:00z",
        "2026-03-14T18:30:00+٠٢:٠٠",
        "2026-02-29T18:30:00Z",
        "2026-03-14T24:00:00Z",
        "2026-3-14T18:30:00Z",
        "2026-03-14T18:30:0é",
        "2026-03-14T18:30:00é+02:00",
    ] {
        assert!(parse_time(text, true).is_err(), "{text:?}");
    }
    assert_eq!(
        parse_time("1970-01-01T00:30:00+01:00", false),
        Err("is before 1970 or after 9999 in UTC".into())
    );
    assert_eq!(
        parse_time("9999-12-31T23:30:00-01:00", false),
        Err("is before 1970 or after 9999 in UTC".into())
    );
    assert!(parse_time("9999-12-31T23:30:00+01:00", false).is_ok());
}

#[test]
fn categories_are_kept_in_lower_snake_case() {
    for (text, expected) in [
        ("armed_men", "armed_men"),
        ("Armed men", "armed_men"),
        ("  Armed   men!  ", "armed_men"),
        ("ArmedMen", "armed_men"),
        ("SMS", "sms"),
        ("IDPs arriving", "idps_arriving"),
        ("Hommes armés", "hommes_armés"),
        ("armed-men/looting", "armed_men_looting"),
        ("Type 2", "type_2"),
        ("?!", ""),
    ] {
        assert_eq!(snake_case(text), expected, "{text:?}");
    }
}

#[test]
fn columns_are_found_by_path_or_last_part_and_ambiguity_is_named() {
    let row = "2026-03-14T18:30:00Z;armed_men;theft;9.0;31.0;1;2";
    let header = "start;a/what;b/what;a/_p_latitude;a/_p_longitude;_q_latitude;_q_longitude";
    let text = format!("{header}\n{row}\n");
    let err = parse_kobo_csv(&text, "k.csv", &FieldMapping::default()).expect_err("two points");
    let message = message_naming(err, "k.csv", "line 1", "location");
    assert!(message.contains("several geopoints (a/p, q)"), "{message}");
    let mapping = FieldMapping {
        location: Some("p".into()),
        ..FieldMapping::default()
    };
    let err = parse_kobo_csv(&text, "k.csv", &mapping).expect_err("two whats");
    let message = message_naming(err, "k.csv", "line 1", "category");
    assert!(
        message.contains("\"what\" is several columns (a/what, b/what)"),
        "{message}"
    );
    let mapping = FieldMapping {
        category: Some("b/what".into()),
        ..mapping
    };
    let reports = parse_kobo_csv(&text, "k.csv", &mapping).expect("named");
    assert_eq!(
        (reports[0].category.as_str(), reports[0].position.lat_deg),
        ("theft", 9.0)
    );
    let mapping = FieldMapping {
        location: Some("r".into()),
        ..mapping
    };
    let err = parse_kobo_csv(&text, "k.csv", &mapping).expect_err("no such geopoint");
    message_naming(err, "k.csv", "line 1", "location: no geopoint \"r\"");
    let mapping = FieldMapping {
        people: Some("how_many".into()),
        location: Some("q".into()),
        ..mapping
    };
    let err = parse_kobo_csv(&text, "k.csv", &mapping).expect_err("no such column");
    let message = message_naming(err, "k.csv", "line 1", "people");
    assert!(
        message.ends_with("no column \"how_many\" (as the mapping names it)"),
        "{message}"
    );
}

#[test]
fn errors_name_the_file_line_and_column() {
    let mapping = FieldMapping::default();
    let header = "\"start\";\"what\";\"_p_latitude\";\"_p_longitude\";\"people\"";
    let good = "\"2026-03-14T18:30:00+02:00\";\"shooting\";\"9.0\";\"31.0\";\"3\"";
    let with = |row: &str| format!("\u{feff}{header}\r\n{good}\r\n{row}\r\n");
    let fails = |row: &str| parse_kobo_csv(&with(row), "k.csv", &mapping).expect_err(row);
    let message = message_naming(
        fails("\"2026-03-14T18:30:00+02:00\";\"shooting\";\"95.5\";\"31.0\";\"\""),
        "k.csv",
        "line 3",
        "_p_latitude",
    );
    assert!(
        message.ends_with("\"95.5\" is not a number of degrees within ±90"),
        "{message}"
    );
    message_naming(
        fails("\"2026-03-14T18:30:00+02:00\";\"shooting\";\"9.0\";\"\";\"\""),
        "k.csv",
        "line 3",
        "_p_longitude: is empty",
    );
    message_naming(
        fails("\"2026-03-14T18:30:00+02:00\";\"shooting\";\"9.0\";\"31.0\";\"many\""),
        "k.csv",
        "line 3",
        "people: \"many\" is not a whole number",
    );
    message_naming(
        fails("\"2026-03-14T18:30:00\";\"shooting\";\"9.0\";\"31.0\";\"\""),
        "k.csv",
        "line 3",
        "start: \"2026-03-14T18:30:00\" has no UTC offset",
    );
    message_naming(
        fails("\"\";\"shooting\";\"9.0\";\"31.0\";\"\""),
        "k.csv",
        "line 3",
        "start: is empty",
    );
    message_naming(
        fails("\"2026-03-14T18:30:00Z\";\"???\";\"9.0\";\"31.0\";\"\""),
        "k.csv",
        "line 3",
        "what: \"???\" has no letters or digits",
    );
    message_naming(
        fails("\"2026-03-14T18:30:00Z\";\"shooting\";\"9.0\""),
        "k.csv",
        "line 3",
        "3 fields, the header has 5",
    );
    message_naming(
        fails("\"2026-03-14T18:30:00Z\";\"shooting\";\"9.0\";\"31.0\";\"never; closed"),
        "k.csv",
        "line 3",
        "a quoted field is not closed",
    );
    let no_time = "what;_p_latitude;_p_longitude\nshooting;9;31\n";
    let err = parse_kobo_csv(no_time, "k.csv", &mapping).expect_err("no time column");
    message_naming(
        err,
        "k.csv",
        "line 1",
        "time: no column named any of start, _submission_time: name it in the mapping",
    );
    let err = parse_odk_csv("SubmissionDate,incident-what\n", "o.csv", &mapping)
        .expect_err("no geopoint");
    message_naming(
        err,
        "o.csv",
        "line 1",
        "location: no geopoint (<name>-Latitude and <name>-Longitude columns)",
    );
    let err = parse_export_csv("name,age\nAlice,30\n", "x.csv", None, &mapping)
        .expect_err("not an export");
    message_naming(err, "x.csv", "line 1", "the header is not that of a Vigil");
    assert!(
        parse_export_csv("\u{feff}\r\n", "x.csv", None, &mapping)
            .expect("empty")
            .is_empty()
    );
}

#[test]
fn the_reporter_stays_in_its_field_and_out_of_errors() {
    let text = "start;what;_p_latitude;_p_longitude;people;reporter_phone\n\
                2026-03-14T18:30:00Z;shooting;9.0;31.0;+211912345678;+211912345678\n";
    // A mapping that would read the reporter's column as another field is refused.
    let mapping = FieldMapping {
        people: Some("reporter_phone".into()),
        ..FieldMapping::default()
    };
    let message = parse_kobo_csv(text, "k.csv", &mapping)
        .expect_err("the reporter as people")
        .to_string();
    assert_eq!(
        message,
        "k.csv: line 1: reporter_phone: is both the reporter and the people column: name \
         another people column in the mapping"
    );
    let mapping = FieldMapping {
        reporter: Some("what".into()),
        ..FieldMapping::default()
    };
    let message = parse_kobo_csv(text, "k.csv", &mapping)
        .expect_err("the reporter as the category")
        .to_string();
    assert!(
        message.contains("what: is both the reporter and the category column"),
        "{message}"
    );
    // A row's error names the reporter's line, never the reporter.
    let bad = text.replace("9.0;", "north;");
    let message = parse_kobo_csv(&bad, "k.csv", &FieldMapping::default())
        .expect_err("bad latitude")
        .to_string();
    assert!(message.starts_with("k.csv: line 2: _p_latitude") && !message.contains("+211"));
    let fine = text.replace(";+211912345678;", ";7;");
    let reports = parse_kobo_csv(&fine, "k.csv", &FieldMapping::default()).expect("valid");
    let report = &reports[0];
    assert_eq!(report.reporter, "+211912345678");
    assert!(!report.description.contains("+211") && !report.origin.contains("+211"));
}
