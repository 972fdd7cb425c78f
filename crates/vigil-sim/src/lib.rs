//! Software in the loop: simulated drones, ground sensor nodes and people on the ground that
//! speak real MAVLink over the same transports as real ones, deterministic for a given scenario
//! and seed. `scenario` reads the files, `world` steps everything on the simulated clock,
//! `runner` serves it over a transport with radio effects and writes the ground truth.

pub mod flat;
pub mod modem;
pub mod movers;
pub mod pty;
pub mod runner;
pub mod scenario;
pub mod sensors;
pub mod signing;
pub mod truth;
pub mod vehicle;
pub mod world;

pub use runner::{RunOptions, SimRunner, SimTransport};
pub use scenario::Scenario;
pub use truth::TruthWriter;
pub use vehicle::{SimVehicle, SimVehicleConfig};
pub use world::SimWorld;
