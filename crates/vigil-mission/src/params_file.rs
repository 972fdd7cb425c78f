//! Parameter files as MAVProxy, Mission Planner and QGroundControl save them.
//!
//! Operators keep vehicle tunings as parameter files and move them between
//! ground stations, so Vigil reads all three dialects (`NAME VALUE`,
//! `NAME,VALUE`, and QGroundControl's `SYSID COMPID NAME VALUE TYPE`), even
//! mixed in one file, and writes the plain `NAME VALUE` form every one of
//! them loads.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use super::{MissionFileError, clip, read_text, strip_bom, write_text};

/// Longest parameter name MAVLink carries.
const MAX_NAME_LEN: usize = 16;

/// A non-comment line of a parameter file, with where it came from.
struct Line<'a> {
    origin: &'a str,
    line: usize,
}

impl Line<'_> {
    /// `text` from column `column` (1-based) parsed as `T`.
    fn parse<T: FromStr>(
        &self,
        text: &str,
        column: usize,
        name: &'static str,
        expected: &'static str,
    ) -> Result<T, MissionFileError> {
        text.parse()
            .map_err(|_| self.bad(text, column, name, expected))
    }

    fn bad(
        &self,
        text: &str,
        column: usize,
        name: &'static str,
        expected: &'static str,
    ) -> MissionFileError {
        MissionFileError::BadColumn {
            origin: self.origin.to_string(),
            line: self.line,
            column,
            name,
            text: clip(text),
            expected,
        }
    }

    /// The name in column `column`, checked.
    fn name(&self, text: &str, column: usize) -> Result<String, MissionFileError> {
        let valid = (1..=MAX_NAME_LEN).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if valid {
            Ok(text.to_string())
        } else {
            Err(self.bad(
                text,
                column,
                "name",
                "a parameter name (1 to 16 of A-Z a-z 0-9 _)",
            ))
        }
    }

    fn value(&self, text: &str, column: usize) -> Result<f32, MissionFileError> {
        self.parse(text, column, "value", "a number")
    }

    /// One parameter from the line's content (comment already removed).
    fn param(&self, content: &str) -> Result<(String, f32), MissionFileError> {
        if content.contains(',') {
            return match content
                .split(',')
                .map(str::trim)
                .collect::<Vec<_>>()
                .as_slice()
            {
                [name, value] => Ok((self.name(name, 1)?, self.value(value, 2)?)),
                fields => Err(self.wrong_shape(fields.len())),
            };
        }
        match content.split_whitespace().collect::<Vec<_>>().as_slice() {
            [name, value] => Ok((self.name(name, 1)?, self.value(value, 2)?)),
            [sysid, compid, name, value, kind] => {
                self.parse::<u8>(sysid, 1, "vehicle id", "an integer in 0..=255")?;
                self.parse::<u8>(compid, 2, "component id", "an integer in 0..=255")?;
                self.parse::<u8>(kind, 5, "type", "a MAV_PARAM_TYPE number")?;
                Ok((self.name(name, 3)?, self.value(value, 4)?))
            }
            fields => Err(self.wrong_shape(fields.len())),
        }
    }

    fn wrong_shape(&self, fields: usize) -> MissionFileError {
        MissionFileError::Line {
            origin: self.origin.to_string(),
            line: self.line,
            message: format!(
                "expected NAME VALUE, NAME,VALUE or SYSID COMPID NAME VALUE TYPE, found {fields} fields"
            ),
        }
    }
}

/// Reads a parameter file's text, in file order; `origin` names it in errors.
/// `#` starts a comment; blank lines are skipped; a name set twice is an error.
pub fn parse_params(text: &str, origin: &str) -> Result<Vec<(String, f32)>, MissionFileError> {
    let mut params = Vec::new();
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    for (index, raw) in strip_bom(text).lines().enumerate() {
        let line = Line {
            origin,
            line: index + 1,
        };
        let content = raw.split('#').next().unwrap_or_default().trim();
        if content.is_empty() {
            continue;
        }
        let (name, value) = line.param(content)?;
        if let Some(&first_line) = first_seen.get(&name) {
            return Err(MissionFileError::DuplicateParam {
                origin: origin.to_string(),
                name,
                first_line,
                line: line.line,
            });
        }
        first_seen.insert(name.clone(), line.line);
        params.push((name, value));
    }
    Ok(params)
}

/// Writes `NAME VALUE` lines in the order given, each value the shortest text
/// that reads back as the same f32.
pub fn to_params_string(params: &[(String, f32)]) -> String {
    params
        .iter()
        .map(|(name, value)| format!("{name:<16} {value}\n"))
        .collect()
}

/// Reads a parameter file in any of the three dialects.
pub fn load_params(path: &Path) -> Result<Vec<(String, f32)>, MissionFileError> {
    parse_params(&read_text(path)?, &path.display().to_string())
}

/// Writes a parameter file as `NAME VALUE` lines.
pub fn save_params(path: &Path, params: &[(String, f32)]) -> Result<(), MissionFileError> {
    write_text(path, &to_params_string(params))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str, value: f32) -> (String, f32) {
        (name.to_string(), value)
    }

    fn err_text(text: &str) -> String {
        parse_params(text, "copter.param").unwrap_err().to_string()
    }

    #[test]
    fn reads_mavproxy_files() {
        let text = "# MAVProxy param save\nACRO_BAL_PITCH   1.000000\nANGLE_MAX        4500.000000  # 45 deg\n\nWPNAV_SPEED\t500\n";
        let params = parse_params(text, "x").unwrap();
        assert_eq!(
            params,
            vec![
                p("ACRO_BAL_PITCH", 1.0),
                p("ANGLE_MAX", 4500.0),
                p("WPNAV_SPEED", 500.0)
            ]
        );
    }

    #[test]
    fn reads_mission_planner_files() {
        let text = "#NOTE: 14/05/2024 10:32:11 Frame : Quad\r\nATC_ANG_PIT_P,4.5\r\nATC_RAT_RLL_I, 0.135 \r\nFENCE_ALT_MAX,1E-05\r\n";
        let params = parse_params(text, "x").unwrap();
        assert_eq!(
            params,
            vec![
                p("ATC_ANG_PIT_P", 4.5),
                p("ATC_RAT_RLL_I", 0.135),
                p("FENCE_ALT_MAX", 1e-5)
            ]
        );
    }

    #[test]
    fn reads_qgroundcontrol_files() {
        let text = "# Onboard parameters for Vehicle 1\n#\n# Stack: ArduPilot\n# Vehicle: Multi-Rotor\n#\n\
                    # Vehicle-Id Component-Id Name Value Type\n\
                    1\t1\tACRO_BAL_PITCH\t1.000000000000000000\t9\n\
                    1\t1\tANGLE_MAX\t4500\t4\n\
                    1\t1\tATC_RAT_PIT_D\t0.003599999938160181\t9\n";
        let params = parse_params(text, "x").unwrap();
        assert_eq!(
            params,
            vec![
                p("ACRO_BAL_PITCH", 1.0),
                p("ANGLE_MAX", 4500.0),
                p("ATC_RAT_PIT_D", 0.0036)
            ]
        );
    }

    #[test]
    fn keeps_file_order_and_round_trips_exactly() {
        let original = vec![
            p("Z_LAST_FIRST", 0.1),
            p("A_TINY", 1.0e-45),
            p("B_HUGE", -3.4028235e38),
            p("C_THIRD", 1.0 / 3.0),
            p("D_INT", 16_777_216.0),
            p("SIXTEEN_CHARS_OK", -0.0),
        ];
        let text = to_params_string(&original);
        assert!(text.starts_with("Z_LAST_FIRST     0.1\nA_TINY"), "{text}");
        let back = parse_params(&text, "x").unwrap();
        assert_eq!(format!("{back:?}"), format!("{original:?}"));
    }

    #[test]
    fn save_and_load_use_the_path() {
        let path = std::env::temp_dir().join(format!("vigil-params-{}.param", std::process::id()));
        let params = vec![p("SYSID_THISMAV", 7.0), p("BATT_CAPACITY", 5200.0)];
        save_params(&path, &params).unwrap();
        assert_eq!(load_params(&path).unwrap(), params);
        std::fs::remove_file(&path).unwrap();
        let err = load_params(&path).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("{}: ", path.display())),
            "{err}"
        );
    }

    #[test]
    fn duplicate_names_both_lines() {
        let err = parse_params("A 1\n\nB 2\nA,3\n", "copter.param").unwrap_err();
        assert!(matches!(
            &err,
            MissionFileError::DuplicateParam {
                first_line: 1,
                line: 4,
                ..
            }
        ));
        assert_eq!(
            err.to_string(),
            "copter.param line 4: parameter A is set again (first on line 1)"
        );
    }

    #[test]
    fn bad_value_names_line_and_column() {
        assert_eq!(
            err_text("A 1\nB,5x\n"),
            "copter.param line 2: column 2 (value): \"5x\" is not a number"
        );
        assert_eq!(
            err_text("A 1\nB 2.5x\n"),
            "copter.param line 2: column 2 (value): \"2.5x\" is not a number"
        );
        assert_eq!(
            err_text("1\t1\tANGLE_MAX\tlots\t4\n"),
            "copter.param line 1: column 4 (value): \"lots\" is not a number"
        );
        assert_eq!(
            err_text("1\t300\tANGLE_MAX\t4500\t4\n"),
            "copter.param line 1: column 2 (component id): \"300\" is not an integer in 0..=255"
        );
    }

    #[test]
    fn bad_name_names_line_and_column() {
        assert_eq!(
            err_text("\nTHIS_NAME_IS_TOO_LONG 1\n"),
            "copter.param line 2: column 1 (name): \"THIS_NAME_IS_TOO_LONG\" is not a parameter name (1 to 16 of A-Z a-z 0-9 _)"
        );
        assert!(
            err_text("BAD-NAME,1")
                .starts_with("copter.param line 1: column 1 (name): \"BAD-NAME\"")
        );
        assert!(err_text(",1").starts_with("copter.param line 1: column 1 (name): \"\""));
    }

    #[test]
    fn wrong_field_count_names_the_line() {
        assert_eq!(
            err_text("A 1\nB 2 3\n"),
            "copter.param line 2: expected NAME VALUE, NAME,VALUE or SYSID COMPID NAME VALUE TYPE, found 3 fields"
        );
        assert!(err_text("A,1,2").ends_with("found 3 fields"));
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "\u{feff}",
            "é",
            "#",
            ",",
            "\u{feff}A 1",
            "1 1 é 1 1",
            "A\u{0}B 1",
        ] {
            let _ = parse_params(text, "x");
        }
        assert_eq!(parse_params("\u{feff}A 1", "x").unwrap(), vec![p("A", 1.0)]);
    }
}
