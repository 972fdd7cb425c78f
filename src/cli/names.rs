//! The fleet's names (`vigil run --names FILE`): each drone's callsign and each sensor's
//! name, as the operators call them, so that the console says "Kite 1" and "Keradu east
//! radar" instead of "Drone 1" and "105/158". A TOML file:
//!
//! ```toml
//! [[drone]]
//! sysid = 1
//! callsign = "Kite 1"
//!
//! [[sensor]]
//! sysid = 105
//! compid = 158        # MAV_COMP_ID_PERIPHERAL when left out
//! name = "Keradu east radar"
//! ```

use std::path::Path;

use anyhow::{Result, anyhow, bail};
use serde::Deserialize;
use vigil_world::Names;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FleetFile {
    #[serde(default)]
    drone: Vec<DroneName>,
    #[serde(default)]
    sensor: Vec<SensorName>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DroneName {
    sysid: u8,
    callsign: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SensorName {
    sysid: u8,
    #[serde(default = "peripheral")]
    compid: u8,
    name: String,
}

/// MAV_COMP_ID_PERIPHERAL, the sensor nodes' component.
fn peripheral() -> u8 {
    158
}

/// Reads a fleet file; errors name the file, and the line and field where TOML says.
pub fn load(path: &Path) -> Result<Names> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    parse(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
}

fn parse(text: &str) -> Result<Names> {
    let file: FleetFile = toml::from_str(text)?;
    let mut names = Names::default();
    for d in file.drone {
        if d.callsign.trim().is_empty() {
            bail!("drone {}: an empty callsign", d.sysid);
        }
        if names.drones.insert(d.sysid, d.callsign).is_some() {
            bail!("drone {} is named twice", d.sysid);
        }
    }
    for s in file.sensor {
        if s.name.trim().is_empty() {
            bail!("sensor {}/{}: an empty name", s.sysid, s.compid);
        }
        if names.sensors.insert((s.sysid, s.compid), s.name).is_some() {
            bail!("sensor {}/{} is named twice", s.sysid, s.compid);
        }
    }
    Ok(names)
}

/// The names a simulated scenario gives its drones and sensors.
pub fn of_scenario(scenario: &vigil_sim::Scenario) -> Names {
    Names {
        drones: scenario
            .drones
            .iter()
            .filter(|d| !d.name.trim().is_empty())
            .map(|d| (d.sysid, d.name.clone()))
            .collect(),
        sensors: scenario
            .sensors
            .iter()
            .filter(|s| !s.name.trim().is_empty())
            .map(|s| ((s.sysid, s.compid), s.name.clone()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fleet_file_names_drones_and_sensors() {
        let names = parse(
            "[[drone]]\nsysid = 1\ncallsign = \"Kite 1\"\n\n[[sensor]]\nsysid = 105\nname = \"Keradu east radar\"\n",
        )
        .expect("parses");
        assert_eq!(names.drone(1), "Kite 1");
        assert_eq!(names.sensor(105, 158), "Keradu east radar");
    }

    #[test]
    fn mistakes_are_named() {
        let twice = parse(
            "[[drone]]\nsysid = 1\ncallsign = \"A\"\n[[drone]]\nsysid = 1\ncallsign = \"B\"\n",
        );
        assert!(
            twice
                .unwrap_err()
                .to_string()
                .contains("drone 1 is named twice")
        );
        let typo = parse("[[drone]]\nsysid = 1\ncalsign = \"A\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            typo.contains("line 3") && typo.contains("calsign"),
            "{typo}"
        );
        let range = parse("[[drone]]\nsysid = 300\ncallsign = \"A\"\n")
            .unwrap_err()
            .to_string();
        assert!(range.contains("line 2"), "{range}");
    }

    #[test]
    fn the_demo_names_its_drones_and_sensors() {
        let names = of_scenario(&vigil_sim::Scenario::demo());
        assert_eq!(names.drone(1), "Kite 1");
        assert_eq!(names.drone(2), "Heron 2");
        assert_eq!(names.sensors.len(), 12);
    }
}
