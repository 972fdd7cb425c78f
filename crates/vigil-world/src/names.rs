//! What the operator calls each drone and sensor: a drone's callsign ("Kite 1") and a sensor's
//! name ("Keradu east, fields"), from the fleet file (`vigil run --names`) or the simulated
//! scenario. MAVLink carries only numbers; without a name a drone is "Drone 1" and a sensor
//! "sensor 105/158".

use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    /// Callsigns by system id.
    pub drones: BTreeMap<u8, String>,
    /// Names by (system id, component id).
    pub sensors: BTreeMap<(u8, u8), String>,
}

impl Names {
    /// The drone's callsign, or "Drone N".
    pub fn drone(&self, sysid: u8) -> String {
        self.drones
            .get(&sysid)
            .cloned()
            .unwrap_or_else(|| format!("Drone {sysid}"))
    }

    /// The drone's callsign, or its number alone (map labels).
    pub fn drone_short(&self, sysid: u8) -> String {
        self.drones
            .get(&sysid)
            .cloned()
            .unwrap_or_else(|| sysid.to_string())
    }

    /// The sensor's name, or "sensor S/C".
    pub fn sensor(&self, sysid: u8, compid: u8) -> String {
        self.sensors
            .get(&(sysid, compid))
            .cloned()
            .unwrap_or_else(|| format!("sensor {sysid}/{compid}"))
    }

    /// Whether the sensor has a name of its own.
    pub fn has_sensor(&self, sysid: u8, compid: u8) -> bool {
        self.sensors.contains_key(&(sysid, compid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_or_numbers() {
        let names = Names {
            drones: BTreeMap::from([(1, "Kite 1".to_owned())]),
            sensors: BTreeMap::from([((105, 158), "Keradu east".to_owned())]),
        };
        assert_eq!(names.drone(1), "Kite 1");
        assert_eq!(names.drone(2), "Drone 2");
        assert_eq!(names.sensor(105, 158), "Keradu east");
        assert_eq!(names.sensor(106, 158), "sensor 106/158");
    }
}
