use super::*;

// Generated with mgrs 1.6.0 (Python 3.11.7).
// (lat_deg, lon_deg, MGRS at 5 digits): mgrs.MGRS().toMGRS(lat, lon, MGRSPrecision=5).
// The package writes no spaces; Vigil writes "ZZBCR EEEEE NNNNN".
#[rustfmt::skip]
const MGRS_REFERENCE: &[(f64, f64, &str)] = &[
    (0.0, 0.0, "31NAA6602100000"), // equator / prime meridian
    (51.4778, -0.0015, "30UYC0821307224"), // Greenwich
    (-33.8568, 151.2153, "56HLH3490052288"), // Sydney
    (40.6892, -74.0445, "18TWL8073504695"), // New York
    (-22.9519, -43.2105, "23KPQ8347660687"), // Rio de Janeiro
    (35.6586, 139.7454, "54SUE8643746808"), // Tokyo
    (64.1466, -21.9426, "27WVM5413813689"), // Reykjavik
    (60.3913, 5.3221, "32VKN9735300648"), // Bergen, Norway exception 32V
    (58.0, 4.0, "32VKK0461839651"), // Norway exception: would be 31V, is 32V
    (61.5, 2.9, "31VDJ9467618485"), // 31V west of the Norway exception
    (56.0, 3.0, "32VJH2604922336"), // south-west corner of the Norway exception
    (78.2232, 15.6267, "33XWG1427883355"), // Longyearbyen, Svalbard 33X
    (79.0, 8.9, "31XFH2547076321"), // Svalbard 31X
    (72.0, 9.0, "33XTV9336399233"), // Svalbard 33X at its south-west corner
    (82.0, 32.9, "35XNM9151509499"), // Svalbard 35X
    (83.99, 41.9, "37XEP3388527830"), // Svalbard 37X near 84N
    (84.0, 0.0, "31XDP6500529005"), // 84N exactly
    (-80.0, 0.0, "31CDM4186716915"), // 80S exactly
    (-79.99, -70.5, "19CDM7089519155"), // near 80S
    (-79.5, 179.9, "60CWS5897472753"), // near 80S, antimeridian
    (0.0001, 179.9999, "60NZF3396700011"), // equator, east of the antimeridian
    (-0.0001, -179.9999, "01MAV6603299988"), // equator, west of the antimeridian
    (12.0, 6.0, "32PJU7328528333"), // zone edge 31|32
    (-12.0, 96.0, "47LJG7328571666"), // zone edge 46|47, south
    (7.9999, -11.0, "29NKJ7955884822"), // band edge N|P
    (15.5007, 32.5599, "36PVC5279713755"), // Khartoum
    (4.8594, 31.5713, "36NUL4157237289"), // Juba
    (-4.3217, 15.3125, "33MWR3467522306"), // Kinshasa
    (33.8938, 35.5018, "36SYC3135053198"), // Beirut
    (-1.6792, 29.2228, "35MQU4729814256"), // Goma
    (13.5116, 2.1254, "31PDQ0535193881"), // Niamey
    (-45.0, -68.0, "19GEL7881516563"), // Patagonia, negative height
    (45.0, 90.0, "46TBQ6355387329"), // 400 km above Asia
];

// Generated with mgrs 1.6.0 (Python 3.11.7).
// (MGRS, zone, northern, easting_m, northing_m of the cell centre): mgrs.MGRS().MGRSToUTM,
// which returns the centre of the cell (Vigil returns the south-west corner).
#[rustfmt::skip]
const MGRS_DECODE_REFERENCE: &[(&str, u8, bool, f64, f64)] = &[
    ("04QFJ1234567890", 4, true, 612345.5, 2367890.5),
    ("04QFJ", 4, true, 650000.0, 2350000.0),
    ("04QFJ12", 4, true, 615000.0, 2325000.0),
    ("04QFJ1357", 4, true, 613500.0, 2357500.0),
    ("36NYF1234567890", 36, true, 712345.5, 67890.5),
    ("32VJH2604922336", 32, true, 126049.5, 6222336.5),
    ("31XDP6500529005", 31, true, 465005.5, 9329005.5),
    ("33XVG7412345678", 33, true, 474123.5, 8645678.5),
    ("18TWL8304607115", 18, true, 583046.5, 4507115.5),
    ("60XWG", 60, true, 550000.0, 8150000.0),
    // 01CCK1234: mgrs package refuses or warns: Error in "Convert_MGRS_To_UTM": String Error
    ("31NAA6602100000", 31, true, 166021.5, 0.5),
    ("56HLH3435046632", 56, false, 334350.5, 6246632.5),
    ("37XEA0000000000", 37, true, 500000.5, 8000000.5),
    ("21LTC9999999999", 21, false, 299999.5, 8299999.5),
    ("30UXC0000099999", 30, true, 600000.5, 5799999.5),
];

fn without_spaces(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn reason(text: &str) -> String {
    match utm_from_mgrs(text) {
        Err(GeoError::InvalidMgrs { reason, .. }) => reason,
        other => panic!("{text:?}: expected InvalidMgrs, got {other:?}"),
    }
}

#[test]
fn encoding_matches_the_mgrs_package_exactly() {
    for &(lat, lon, want) in MGRS_REFERENCE {
        let got = mgrs_from_geodetic(&Geodetic::from_deg(lat, lon, 0.0), 5).unwrap();
        assert_eq!(without_spaces(&got), want, "({lat}, {lon})");
        assert_eq!(got.len(), want.len() + 2, "{got}");
    }
}

#[test]
fn decoding_matches_the_mgrs_package() {
    for &(text, zone, northern, centre_e, centre_n) in MGRS_DECODE_REFERENCE {
        let cell = utm_from_mgrs(text).unwrap();
        assert_eq!(
            (cell.sw_corner.zone, cell.sw_corner.northern),
            (zone, northern)
        );
        let half = cell.size_m / 2.0;
        assert_eq!(cell.sw_corner.easting_m + half, centre_e, "{text}");
        assert_eq!(cell.sw_corner.northing_m + half, centre_n, "{text}");
    }
}

#[test]
fn formats_with_spaces_and_each_precision() {
    let pos = Geodetic::from_deg(21.409_801_157_814_435, -157.916_076_317_485_85, 0.0);
    let want = [
        "04QFJ",
        "04QFJ 1 6",
        "04QFJ 12 67",
        "04QFJ 123 678",
        "04QFJ 1234 6789",
        "04QFJ 12345 67890",
    ];
    for (p, want) in (0u8..).zip(want) {
        assert_eq!(mgrs_from_geodetic(&pos, p).unwrap(), want);
    }
}

#[test]
fn truncates_rather_than_rounds() {
    // 0.9 m east and north of a metre line must not round up.
    let cell = utm_from_mgrs("33XVG7412345678").unwrap().sw_corner;
    let inside = Utm {
        easting_m: cell.easting_m + 0.9,
        northing_m: cell.northing_m + 0.9,
        ..cell
    };
    let pos = geodetic_from_utm(&inside).unwrap();
    assert_eq!(mgrs_from_geodetic(&pos, 5).unwrap(), "33XVG 74123 45678");
    assert_eq!(mgrs_from_geodetic(&pos, 3).unwrap(), "33XVG 741 456");
}

#[test]
fn string_geodetic_string_round_trip() {
    // Decode to the cell, encode the cell's centre again. Cells at a zone or band edge
    // can have their centre outside the zone or band (many reference points sit on an edge on
    // purpose); those are counted, not compared.
    let (mut compared, mut skipped) = (0, 0);
    for &(_, _, text) in MGRS_REFERENCE {
        for p in 0..=5usize {
            let short = format!("{}{}{}", &text[..5], &text[5..5 + p], &text[10..10 + p]);
            let cell = utm_from_mgrs(&short).unwrap();
            let corner = geodetic_from_mgrs(&short).unwrap();
            assert_eq!(corner, geodetic_from_utm(&cell.sw_corner).unwrap());
            let centre = Utm {
                easting_m: cell.sw_corner.easting_m + cell.size_m / 2.0,
                northing_m: cell.sw_corner.northing_m + cell.size_m / 2.0,
                ..cell.sw_corner
            };
            let pos = geodetic_from_utm(&centre).unwrap();
            let Ok(again) = mgrs_from_geodetic(&pos, p as u8) else {
                // The centre of a square at 84°N can be north of 84°.
                skipped += 1;
                continue;
            };
            if again[..3] != short[..3] || crate::geodesy::utm::utm_zone(&pos) != Ok(centre.zone) {
                skipped += 1;
                continue;
            }
            assert_eq!(without_spaces(&again), short, "{short} -> {pos:?}");
            compared += 1;
        }
    }
    assert!(
        compared > 3 * skipped,
        "{compared} compared, {skipped} skipped"
    );
}

#[test]
fn geodetic_string_geodetic_round_trip_is_within_the_cell() {
    for i in 0..300 {
        let t = f64::from(i);
        let pos = Geodetic::from_deg(-80.0 + (t * 7.77) % 164.0, -180.0 + (t * 11.3) % 360.0, 0.0);
        let text = mgrs_from_geodetic(&pos, 5).unwrap();
        let cell = utm_from_mgrs(&text).unwrap();
        let utm = utm_from_geodetic_in_zone(&pos, cell.sw_corner.zone).unwrap();
        let de = utm.easting_m - cell.sw_corner.easting_m;
        let dn = utm.northing_m - cell.sw_corner.northing_m;
        assert!(
            (0.0..1.0).contains(&de) && (0.0..1.0).contains(&dn),
            "{pos:?} {text}"
        );
    }
}

#[test]
fn accepts_lowercase_spaces_and_short_zone() {
    let reference = geodetic_from_mgrs("04QFJ1234567890").unwrap();
    for text in [
        "4QFJ1234567890",
        "04qfj 12345 67890",
        " 4 q f j 12345\t67890 ",
        "4QFJ 12345 67890",
    ] {
        assert_eq!(geodetic_from_mgrs(text).unwrap(), reference, "{text}");
    }
}

#[test]
fn returns_the_south_west_corner() {
    let cell = utm_from_mgrs("36NYF12").unwrap();
    assert_eq!(cell.size_m, 10_000.0);
    assert_eq!(cell.sw_corner.easting_m, 710_000.0);
    assert_eq!(cell.sw_corner.northing_m, 20_000.0);
    let pos = geodetic_from_mgrs("36NYF12").unwrap();
    let back = crate::geodesy::utm::utm_from_geodetic(&pos).unwrap();
    assert!((back.easting_m - 710_000.0).abs() < 1e-6);
    assert!((back.northing_m - 20_000.0).abs() < 1e-6);
}

#[test]
fn southern_hemisphere_and_high_north() {
    let cell = utm_from_mgrs("56HLH3435046632").unwrap().sw_corner;
    assert!(!cell.northern);
    assert_eq!(cell.northing_m, 6_246_632.0);
    let cell = utm_from_mgrs("31XDP6500529005").unwrap().sw_corner;
    assert_eq!(cell.northing_m, 9_329_005.0);
    let pos = geodetic_from_mgrs("19CDM7089519155").unwrap();
    assert!((pos.lat_deg() + 79.99).abs() < 1e-4, "{pos:?}");
}

#[test]
fn errors_say_what_and_where() {
    assert_eq!(
        utm_from_mgrs("36NYF123").unwrap_err().to_string(),
        "MGRS \"36NYF123\": odd number of digits (3); easting and northing need as many each"
    );
    assert_eq!(reason(""), "empty");
    assert_eq!(reason("   "), "empty");
    assert_eq!(
        reason("NYF"),
        "expected a zone number at position 1, found 'N'"
    );
    assert_eq!(
        reason("361NYF"),
        "zone number has more than 2 digits (position 3)"
    );
    assert_eq!(reason("61NYF"), "zone 61 is not in 1..=60");
    assert_eq!(reason("00NYF"), "zone 0 is not in 1..=60");
    assert_eq!(reason("36"), "missing latitude band letter after the zone");
    assert_eq!(
        reason("36IYF"),
        "'I' at position 3 is not a latitude band letter (C to X without I and O)"
    );
    assert_eq!(
        reason("36N"),
        "missing 100 km square letters after the grid zone"
    );
    assert_eq!(
        reason("36NAF"),
        "'A' at position 4 is not a 100 km column letter of zone 36 (one of STUVWXYZ)"
    );
    assert_eq!(
        reason("36NY"),
        "missing 100 km row letter after the column letter"
    );
    assert_eq!(
        reason("36NYW"),
        "'W' at position 5 is not a 100 km row letter (A to V without I and O)"
    );
    assert_eq!(reason("36NYF12x4"), "'x' at position 8 is not a digit");
    assert_eq!(
        reason("36NYF 1234-5678"),
        "'-' at position 11 is not a digit"
    );
    assert_eq!(
        reason("36NYF123456789012"),
        "12 digits; at most 10 (5 each, 1 m precision)"
    );
    assert_eq!(
        reason("32XNE"),
        "grid zone 32X does not exist (Svalbard uses 31X, 33X, 35X and 37X)"
    );
    assert!(reason(&"1".repeat(65)).contains("longer than 64"));
    let err = utm_from_mgrs(&"9".repeat(100)).unwrap_err().to_string();
    assert!(err.contains('…') && err.len() < 200, "{err}");
}

#[test]
fn square_outside_its_band_is_refused() {
    // 01CCK is 63.5°S, not in band C (80°S..72°S); the mgrs package refuses it too.
    assert_eq!(
        reason("01CCK1234"),
        "100 km square CK (positions 4-5) is not in latitude band C (-80°..-72°) of zone 1"
    );
    // Band N (0°..8°) with a row 1000 km away.
    assert!(reason("36NYR").contains("not in latitude band N"));
    // A square straddling the band edge is fine.
    assert!(utm_from_mgrs("29NKJ7955884822").is_ok());
}

#[test]
fn polar_references_are_refused() {
    for text in ["ZAA0000044403", "01ANB", "yZF", "BAN", "60ypq"] {
        let err = geodetic_from_mgrs(text).unwrap_err();
        assert!(
            matches!(err, GeoError::PolarMgrsUnsupported { .. }),
            "{text}: {err}"
        );
    }
    let err = geodetic_from_mgrs("01ANB").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("polar MGRS (UPS) not supported"),
        "{err}"
    );
    let err = mgrs_from_geodetic(&Geodetic::from_deg(84.5, 0.0, 0.0), 5).unwrap_err();
    assert!(
        matches!(err, GeoError::PolarMgrsUnsupported { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("84.5"), "{err}");
    let err = mgrs_from_geodetic(&Geodetic::from_deg(-89.0, 0.0, 0.0), 5).unwrap_err();
    assert!(
        matches!(err, GeoError::PolarMgrsUnsupported { .. }),
        "{err}"
    );
}

#[test]
fn encoding_errors() {
    let pos = Geodetic::from_deg(1.0, 1.0, 0.0);
    assert_eq!(
        mgrs_from_geodetic(&pos, 6),
        Err(GeoError::InvalidMgrsPrecision { digits: 6 })
    );
    let nan = Geodetic::new(f64::NAN, 0.0, 0.0);
    assert!(matches!(
        mgrs_from_geodetic(&nan, 5),
        Err(GeoError::NotFinite { .. })
    ));
}

#[test]
fn never_panics_on_odd_input() {
    let pieces = [
        "", " ", "0", "1", "4", "36", "60", "61", "99", "N", "n", "X", "A", "Z", "I", "O", "Q",
        "FJ", "YF", "AA", "ZZ", "VV", "12", "345", "67890", "é", "😀", "\u{0}", "-", "\t", "٣",
        "Ⅻ", "ß",
    ];
    let mut count = 0;
    for a in pieces {
        for b in pieces {
            for c in pieces {
                let text = format!("{a}{b}{c}");
                let _ = geodetic_from_mgrs(&text);
                count += 1;
            }
        }
    }
    // Every valid square of a few zones, with every digit count.
    for zone in [1u8, 2, 31, 32, 33, 36, 37, 60] {
        for band in BAND_LETTERS.iter().map(|&b| char::from(b)) {
            for col in b"ABCDEFGHJKLMNPQRSTUVWXYZ".iter().map(|&b| char::from(b)) {
                for row in ROW_LETTERS.iter().map(|&b| char::from(b)) {
                    let text = format!("{zone}{band}{col}{row}{}", "5".repeat(zone as usize % 11));
                    if let Ok(pos) = geodetic_from_mgrs(&text) {
                        assert!(pos.lat_rad.is_finite() && pos.lon_rad.is_finite());
                    }
                    count += 1;
                }
            }
        }
    }
    assert!(count > 70_000);
}
