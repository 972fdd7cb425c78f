//! The record a station leaves behind: each [`session`]'s tlog of every frame and its metadata,
//! the hash-chained [`journal`] of what the station saw and decided, the [`provenance`] that
//! seals both with the station's key and verifies them, and the [`export`]s that others open in
//! their own tools (GeoJSON, GeoPackage, KML, GPX, CSV, CoT).

pub mod export;
pub mod journal;
pub mod provenance;
pub mod session;
pub mod summary;
