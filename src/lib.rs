//! Vigil: a ground station for peacekeeping observation drones and ground motion sensors.
//!
//! The data flow (see ARCHITECTURE.md): [`link`] tasks read bytes from serial, UDP, TCP or a
//! recorded tlog and parse them with [`protocol`]; the [`pipeline`] carries decoded frames to
//! one owner thread that updates the [`world`] model and the [`command`] engine and publishes
//! snapshots; [`session`] records every frame. [`mission`] reads and writes the mission and
//! parameter files of other ground stations; [`geo`] converts between WGS84, local frames,
//! UTM and MGRS; [`tracking`] turns detections into tracks and scores them; [`sim`] is a simulated vehicle for tests and demos;
//! [`protection`] watches the places where civilians live for threats and raises alerts.

pub mod cli;
pub mod command;
#[cfg(feature = "console")]
pub mod console;
pub mod console_files;
pub mod dialect;
pub mod export;
pub mod fusion;
pub mod fuzzing;
pub mod geo;
pub mod journal;
pub mod link;
pub mod mission;
pub mod pipeline;
pub mod protection;
pub mod protocol;
pub mod provenance;
pub mod replay;
pub mod session;
pub mod sim;
pub mod status;
pub mod time;
pub mod tracking;
pub mod world;
