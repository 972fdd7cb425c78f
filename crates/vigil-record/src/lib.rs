//! The record a station leaves behind: each [`session`]'s tlog of every frame and its metadata,
//! the hash-chained [`journal`] of what the station saw and decided, the [`provenance`] that
//! seals both with the station's key and verifies them, and the [`export`]s that others open in
//! their own tools (GeoJSON, GeoPackage, KML, GPX, CSV, CoT); the [`summary`] of how fast the
//! mission responded and the [`score`] of its alerts against a simulation's ground truth.

pub mod export;
pub mod journal;
pub mod provenance;
pub mod score;
pub mod session;
pub mod summary;
