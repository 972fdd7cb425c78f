//! Software in the loop: simulated vehicles that speak real MAVLink over the same transports as
//! real ones. This is the start of `vigil sim`: one ArduCopter-like vehicle with the command,
//! mission and parameter protocols and simple kinematics, and a runner that serves it on a UDP
//! socket, a TCP connection or a serial device (a pseudo-terminal in tests).

pub mod runner;
pub mod vehicle;

pub use runner::{SimRunner, SimTransport};
pub use vehicle::{SimVehicle, SimVehicleConfig};
