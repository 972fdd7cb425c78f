//! What changed in the world, said as it changes. [`World::apply`](crate::World::apply),
//! [`World::tick`](crate::World::tick) and [`World::on_link_event`](crate::World::on_link_event)
//! return the events of that step, in order; fusion, protection, the journal and the clients
//! consume them instead of comparing the world before and after.

use std::sync::Arc;

use crate::{Detection, Health, Notice, Vehicle};

#[derive(Debug, Clone, PartialEq)]
pub enum WorldEvent {
    /// A vehicle's first heartbeat.
    VehicleFound { sysid: u8 },
    /// A vehicle's telemetry (position, attitude, battery, gimbal...) changed: its state
    /// after the change.
    VehicleUpdated(Arc<Vehicle>),
    /// Armed or disarmed, from its heartbeat.
    ArmedChanged { sysid: u8, armed: bool },
    /// A new flight mode, from its heartbeat.
    ModeChanged { sysid: u8, mode: String },
    /// Fresh, stale or lost, from its heartbeats or their absence.
    VehicleHealth { sysid: u8, health: Health },
    /// A sensor node's first message.
    SensorFound { sysid: u8, compid: u8 },
    /// A sensor node's status report, with the node's own clock at sending (`time_usec`).
    SensorStatus {
        sysid: u8,
        compid: u8,
        sensor_time_us: u64,
    },
    /// Fresh, stale or lost, from its messages or their absence.
    SensorHealth {
        sysid: u8,
        compid: u8,
        health: Health,
    },
    /// A detection from a drone's camera or a ground sensor.
    Detection(Arc<Detection>),
    /// A notice for the operator (also in [`World::notices`](crate::World::notices)).
    Notice(Arc<Notice>),
}
