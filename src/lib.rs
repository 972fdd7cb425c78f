//! Vigil: a ground station for peacekeeping observation drones and ground motion sensors.
//!
//! This package is the `vigil` binary: [`cli`] parses the command line and starts the
//! station (`vigil_station`), the console (`vigil_console`), the simulator (`vigil_sim`) or
//! the record tools (`vigil_record`). [`fuzzing`] holds the checks the fuzz targets and the
//! property tests run on every input Vigil reads from outside. The layers themselves are the
//! workspace's crates (see ARCHITECTURE.md).

pub mod cli;
pub mod fuzzing;
