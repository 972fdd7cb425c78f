//! Vigil's shared vocabulary, at the bottom of the workspace: nothing here knows about MAVLink,
//! links, threads or the world model. [`time`] is the mission clock (microseconds since the
//! UNIX epoch, passed into everything that decides by time) and its one UTC format;
//! [`geodesy`] converts between WGS84, local East-North-Up frames, UTM and MGRS; [`address`]
//! names a link (`serial:`, `udp:`, `tcp:`, `file:`); [`latency`] is a fixed-size histogram
//! for the figures the station reports about itself; [`rng`] is the one seeded generator
//! (simulator noise, tests, benchmarks); [`geojson_file`] reads the GeoJSON files people write
//! by hand, keeping where an error is.

pub mod address;
pub mod geodesy;
pub mod geojson_file;
pub mod latency;
pub mod rng;
pub mod time;
pub mod worker;
