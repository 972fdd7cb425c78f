//! The "QGC WPL 110" `.waypoints` text format.
//!
//! Mission Planner, MAVProxy and QGroundControl all export missions as this
//! plain tab-separated table, so it is the lingua franca of ArduPilot
//! missions. Row 0 is the home position; the rows after it are the mission
//! items, numbered consecutively.

use std::str::FromStr;

use super::{GeoPoint, Mission, MissionFileError, MissionItem, clip, is_global_frame, strip_bom};

/// The header Vigil writes.
const HEADER: &str = "QGC WPL 110";

/// Header versions read; they share one column layout.
const VERSIONS: [&str; 3] = ["100", "110", "120"];

/// What each of the twelve columns holds, as error messages name it.
const COLUMNS: [&str; 12] = [
    "index",
    "current",
    "frame",
    "command",
    "param1",
    "param2",
    "param3",
    "param4",
    "latitude",
    "longitude",
    "altitude",
    "autocontinue",
];

/// One data row, split into columns, with where it came from.
struct Row<'a> {
    origin: &'a str,
    line: usize,
    cols: Vec<&'a str>,
}

impl Row<'_> {
    /// Column `col` (0-based) parsed as `T`, or an error naming line and column.
    fn get<T: FromStr>(&self, col: usize, expected: &'static str) -> Result<T, MissionFileError> {
        let text = self.cols.get(col).copied().unwrap_or("");
        text.parse().map_err(|_| MissionFileError::BadColumn {
            origin: self.origin.to_string(),
            line: self.line,
            column: col + 1,
            name: COLUMNS.get(col).copied().unwrap_or("?"),
            text: clip(text),
            expected,
        })
    }

    fn number<T: FromStr>(&self, col: usize) -> Result<T, MissionFileError> {
        self.get(col, "a number")
    }

    fn error(&self, message: String) -> MissionFileError {
        MissionFileError::Line {
            origin: self.origin.to_string(),
            line: self.line,
            message,
        }
    }

    /// Row 0: checked like an item, but only its position is kept, with the
    /// altitude read as f64.
    fn home(&self) -> Result<Option<GeoPoint>, MissionFileError> {
        self.item()?;
        let home = GeoPoint {
            lat_deg: self.number(8)?,
            lon_deg: self.number(9)?,
            alt_m: self.number(10)?,
        };
        // At 0, 0 — to the 8 decimals written back (a home 2e-11° from it was kept, written
        // as zeros and then read as no home, its altitude lost) — there is no home.
        let at_zero = |deg: f64| deg.abs() < 0.5e-8;
        Ok((!at_zero(home.lat_deg) || !at_zero(home.lon_deg)).then_some(home))
    }

    fn item(&self) -> Result<MissionItem, MissionFileError> {
        self.get::<u8>(1, "an integer in 0..=255")?;
        Ok(MissionItem {
            frame: self.get(2, "an integer in 0..=255")?,
            command: self.get(3, "an integer in 0..=65535")?,
            params: [
                self.number(4)?,
                self.number(5)?,
                self.number(6)?,
                self.number(7)?,
            ],
            x: self.number(8)?,
            y: self.number(9)?,
            z: self.number(10)?,
            autocontinue: self.get::<u8>(11, "an integer in 0..=255")? != 0,
        })
    }
}

/// Reads a .waypoints file's text; `origin` names it in errors.
pub fn parse_waypoints(text: &str, origin: &str) -> Result<Mission, MissionFileError> {
    let mut lines = strip_bom(text).lines().enumerate().map(|(i, l)| (i + 1, l));
    check_header(lines.next(), origin)?;
    let mut mission = Mission::default();
    let mut next_index = 0usize;
    for (line, content) in lines {
        if content.trim().is_empty() {
            continue;
        }
        let row = split_row(content, line, origin)?;
        let index: usize = row.get(0, "a row index")?;
        if index != next_index {
            return Err(row.error(format!(
                "index {index} is out of order, expected {next_index}"
            )));
        }
        if index == 0 {
            mission.home = row.home()?;
        } else {
            mission.items.push(row.item()?);
        }
        next_index += 1;
    }
    Ok(mission)
}

fn check_header(first: Option<(usize, &str)>, origin: &str) -> Result<(), MissionFileError> {
    let (line, content) = first.unwrap_or((1, ""));
    let words: Vec<&str> = content.split_whitespace().collect();
    let message = match words.as_slice() {
        ["QGC", "WPL", version] if VERSIONS.contains(version) => return Ok(()),
        ["QGC", "WPL", version] => format!(
            "unsupported version \"QGC WPL {}\"; Vigil reads QGC WPL 100, 110 and 120",
            clip(version)
        ),
        _ => format!(
            "expected the header \"{HEADER}\", found \"{}\"",
            clip(content.trim())
        ),
    };
    Err(MissionFileError::Line {
        origin: origin.to_string(),
        line,
        message,
    })
}

/// Splits a data line at tabs or runs of spaces into exactly twelve columns.
fn split_row<'a>(
    content: &'a str,
    line: usize,
    origin: &'a str,
) -> Result<Row<'a>, MissionFileError> {
    let row = Row {
        origin,
        line,
        cols: content.split_whitespace().collect(),
    };
    if row.cols.len() != COLUMNS.len() {
        let found = row.cols.len();
        return Err(row.error(format!(
            "expected {} tab-separated columns (INDEX CURRENT_WP COORD_FRAME COMMAND PARAM1..4 \
             X Y Z AUTOCONTINUE), found {found}",
            COLUMNS.len()
        )));
    }
    Ok(row)
}

/// Writes a mission as "QGC WPL 110", home as row 0 (zeros when unknown).
pub fn to_waypoints_string(mission: &Mission) -> String {
    let home = mission.home.unwrap_or(GeoPoint {
        lat_deg: 0.0,
        lon_deg: 0.0,
        alt_m: 0.0,
    });
    let mut out = format!("{HEADER}\n");
    out.push_str(&format!(
        "0\t1\t0\t16\t0\t0\t0\t0\t{:.8}\t{:.8}\t{}\t1\n",
        home.lat_deg, home.lon_deg, home.alt_m
    ));
    for (i, item) in mission.items.iter().enumerate() {
        out.push_str(&item_row(i + 1, item));
    }
    out
}

/// One item row. Latitude/longitude get 8 decimals (about 1 mm); everything
/// else the shortest text that reads back to the same value.
fn item_row(index: usize, item: &MissionItem) -> String {
    let [p1, p2, p3, p4] = item.params;
    let (x, y) = if is_global_frame(item.frame) {
        (format!("{:.8}", item.x), format!("{:.8}", item.y))
    } else {
        (item.x.to_string(), item.y.to_string())
    };
    format!(
        "{index}\t0\t{}\t{}\t{p1}\t{p2}\t{p3}\t{p4}\t{x}\t{y}\t{}\t{}\n",
        item.frame,
        item.command,
        item.z,
        u8::from(item.autocontinue)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As Mission Planner 1.3 saves it: CRLF, six decimals, home as row 0.
    const MISSION_PLANNER: &str = "QGC WPL 110\r\n\
        0\t1\t0\t16\t0\t0\t0\t0\t-35.363262\t149.165237\t584.090027\t1\r\n\
        1\t0\t3\t22\t15.000000\t0.000000\t0.000000\t0.000000\t0.000000\t0.000000\t20.000000\t1\r\n\
        2\t0\t3\t16\t0.000000\t0.000000\t0.000000\t0.000000\t-35.361354\t149.163880\t30.000000\t1\r\n\
        3\t0\t3\t178\t1.000000\t12.500000\t-1.000000\t0.000000\t0.000000\t0.000000\t0.000000\t1\r\n\
        4\t0\t3\t16\t2.000000\t0.000000\t0.000000\t0.000000\t-35.359832\t149.166214\t45.500000\t1\r\n\
        5\t0\t3\t177\t2.000000\t3.000000\t0.000000\t0.000000\t0.000000\t0.000000\t0.000000\t1\r\n\
        6\t0\t3\t20\t0.000000\t0.000000\t0.000000\t0.000000\t0.000000\t0.000000\t0.000000\t1\r\n";

    fn item(frame: u8, command: u16, params: [f32; 4], x: f64, y: f64, z: f32) -> MissionItem {
        MissionItem {
            frame,
            command,
            autocontinue: true,
            params,
            x,
            y,
            z,
        }
    }

    fn err_text(text: &str) -> String {
        parse_waypoints(text, "mission.waypoints")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn the_mission_planner_file_is_fit_to_upload() {
        let mission = parse_waypoints(MISSION_PLANNER, "mp.waypoints").unwrap();
        assert_eq!(crate::inspect(&mission), crate::Findings::default());
    }

    #[test]
    fn reads_a_mission_planner_file() {
        let m = parse_waypoints(MISSION_PLANNER, "mp.waypoints").unwrap();
        let home = m.home.unwrap();
        assert_eq!((home.lat_deg, home.lon_deg), (-35.363262, 149.165237));
        assert_eq!(home.alt_m, 584.090027);
        assert_eq!(m.items.len(), 6);
        assert_eq!(
            m.items[0],
            item(3, 22, [15.0, 0.0, 0.0, 0.0], 0.0, 0.0, 20.0)
        );
        assert_eq!(
            m.items[1],
            item(3, 16, [0.0; 4], -35.361354, 149.163880, 30.0)
        );
        assert_eq!(
            m.items[2],
            item(3, 178, [1.0, 12.5, -1.0, 0.0], 0.0, 0.0, 0.0)
        );
        assert_eq!(m.items[3].z, 45.5);
        assert_eq!(
            m.items[4],
            item(3, 177, [2.0, 3.0, 0.0, 0.0], 0.0, 0.0, 0.0)
        );
        assert_eq!(m.items[5].command, 20);
    }

    #[test]
    fn accepts_spaces_blank_lines_and_old_versions() {
        let text =
            "QGC WPL 100\n\n0  1  0  16  0 0 0 0  0 0 0  1\n   \n1 0 3 16 0 0 0 0 1.5 2.5 10 0\n";
        let m = parse_waypoints(text, "x").unwrap();
        assert_eq!(m.home, None, "a home at 0,0 means no home");
        assert_eq!(
            m.items,
            vec![MissionItem {
                autocontinue: false,
                ..item(3, 16, [0.0; 4], 1.5, 2.5, 10.0)
            }]
        );
        assert_eq!(
            parse_waypoints("QGC WPL 120\n", "x").unwrap(),
            Mission::default()
        );
    }

    #[test]
    fn round_trips_through_text() {
        let original = parse_waypoints(MISSION_PLANNER, "mp").unwrap();
        let text = to_waypoints_string(&original);
        assert_eq!(parse_waypoints(&text, "again").unwrap(), original);
        assert!(
            text.contains("\t-35.36135400\t149.16388000\t30\t1\n"),
            "{text}"
        );
    }

    #[test]
    fn round_trip_keeps_every_f32_param_and_raw_x_y() {
        let awkward = [
            0.1f32,
            -1.0e-7,
            3.4028235e38,
            f32::MIN_POSITIVE,
            1.0e-45,
            16_777_217.0,
            -0.0,
        ];
        let items = awkward
            .iter()
            .map(|&p| {
                item(
                    2,
                    31000,
                    [p, -p, p * 0.5, 1.0 / 3.0],
                    f64::from(p) * 1.1,
                    1.0e-300,
                    p,
                )
            })
            .collect();
        let home = Some(GeoPoint {
            lat_deg: -35.36326218,
            lon_deg: 149.16523701,
            alt_m: 584.0900268554688,
        });
        let original = Mission {
            home,
            items,
            ..Default::default()
        };
        let back = parse_waypoints(&to_waypoints_string(&original), "x").unwrap();
        assert_eq!(
            format!("{back:?}"),
            format!("{original:?}"),
            "bit-exact, including -0"
        );
    }

    #[test]
    fn lat_lon_round_trip_to_8_decimals() {
        let (lat, lon) = (47.123456789123_f64, -122.987654321987_f64);
        let m = Mission {
            home: None,
            items: vec![item(3, 16, [0.0; 4], lat, lon, 50.0)],
            ..Default::default()
        };
        let back = parse_waypoints(&to_waypoints_string(&m), "x").unwrap();
        assert!((back.items[0].x - lat).abs() <= 5e-9 && (back.items[0].y - lon).abs() <= 5e-9);
        let exact = Mission {
            home: None,
            items: vec![item(6, 16, [0.0; 4], 47.1234567, -122.9876543, 50.0)],
            ..Default::default()
        };
        assert_eq!(
            parse_waypoints(&to_waypoints_string(&exact), "x").unwrap(),
            exact
        );
    }

    #[test]
    fn nan_params_round_trip() {
        let m = Mission {
            home: None,
            items: vec![item(
                2,
                178,
                [f32::NAN, 1.0, f32::INFINITY, 0.0],
                0.0,
                0.0,
                0.0,
            )],
            ..Default::default()
        };
        let text = to_waypoints_string(&m);
        let back = parse_waypoints(&text, "x").unwrap();
        assert!(back.items[0].params[0].is_nan());
        assert_eq!(back.items[0].params[2], f32::INFINITY);
    }

    #[test]
    fn no_home_is_written_as_a_zero_row() {
        let text = to_waypoints_string(&Mission::default());
        assert_eq!(
            text,
            "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t0.00000000\t0.00000000\t0\t1\n"
        );
    }

    #[test]
    fn a_home_at_zero_to_the_written_decimals_is_no_home() {
        // Found by the fuzz smoke: 2e-11° from 0, 0 was kept as a home, written as zeros with
        // its altitude, and read back as no home.
        let text = "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t0\t0.00000000002\t1\t1\n";
        let mission = parse_waypoints(text, "x").unwrap();
        assert_eq!(mission.home, None);
        let written = to_waypoints_string(&mission);
        let again = parse_waypoints(&written, "again").unwrap();
        assert_eq!(to_waypoints_string(&again), written);
        // A home a metre from 0, 0 is a home.
        let text = "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t0\t0.00001\t1\t1\n";
        assert!(parse_waypoints(text, "x").unwrap().home.is_some());
    }

    #[test]
    fn bad_header_names_line_1() {
        assert_eq!(
            err_text("QGC WPL 200\n"),
            "mission.waypoints line 1: unsupported version \"QGC WPL 200\"; Vigil reads QGC WPL 100, 110 and 120"
        );
        assert_eq!(
            err_text("lat,lon,alt\n"),
            "mission.waypoints line 1: expected the header \"QGC WPL 110\", found \"lat,lon,alt\""
        );
        assert_eq!(
            err_text(""),
            "mission.waypoints line 1: expected the header \"QGC WPL 110\", found \"\""
        );
    }

    #[test]
    fn bad_number_names_line_and_column() {
        let text = "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t0\t0\t0\t1\n\n1\t0\t3\t16\t0\t0\t0\t0\t12,3x\t1\t1\t1\n";
        assert_eq!(
            err_text(text),
            "mission.waypoints line 4: column 9 (latitude): \"12,3x\" is not a number"
        );
        let text = "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t0\t0\t0\t1\n1\t0\t3\t70000\t0\t0\t0\t0\t1\t1\t1\t1\n";
        assert_eq!(
            err_text(text),
            "mission.waypoints line 3: column 4 (command): \"70000\" is not an integer in 0..=65535"
        );
    }

    #[test]
    fn a_bad_home_row_is_an_error_too() {
        let text = "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\tx\t1\t2\t3\t1\n";
        assert_eq!(
            err_text(text),
            "mission.waypoints line 2: column 8 (param4): \"x\" is not a number"
        );
        let text = "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t1\t2\t3\tyes\n";
        assert_eq!(
            err_text(text),
            "mission.waypoints line 2: column 12 (autocontinue): \"yes\" is not an integer in 0..=255"
        );
    }

    #[test]
    fn wrong_column_count_names_the_line() {
        let text = "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t0\t0\t0\n";
        let err = err_text(text);
        assert!(
            err.starts_with("mission.waypoints line 2: expected 12 tab-separated columns"),
            "{err}"
        );
        assert!(err.ends_with("found 11"), "{err}");
    }

    #[test]
    fn out_of_order_index_names_the_line() {
        let text = "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t0\t0\t0\t1\n1\t0\t3\t16\t0\t0\t0\t0\t1\t1\t1\t1\n\
                    3\t0\t3\t16\t0\t0\t0\t0\t1\t1\t1\t1\n";
        assert_eq!(
            err_text(text),
            "mission.waypoints line 4: index 3 is out of order, expected 2"
        );
        let text = "QGC WPL 110\n1\t0\t3\t16\t0\t0\t0\t0\t1\t1\t1\t1\n";
        assert_eq!(
            err_text(text),
            "mission.waypoints line 2: index 1 is out of order, expected 0"
        );
    }

    #[test]
    fn garbage_never_panics() {
        let nasty = [
            "QGC WPL 110\n\u{feff}",
            "QGC WPL",
            "\u{feff}QGC WPL 110\n0",
            "QGC WPL 110\n-1 a b c d e f g h i j k",
        ];
        for text in nasty {
            let _ = parse_waypoints(text, "x");
        }
        assert!(parse_waypoints("\u{feff}QGC WPL 110\r\n", "x").is_ok());
    }
}
