//! A live Cursor-on-Target feed: a thread (`vigil-cot`) reads the ground station's latest
//! snapshot once a period and sends each drone (friendly air) and each confirmed track as a
//! CoT event in its own UDP datagram, by default to TAK's multicast group 239.2.3.1:6969
//! with a TTL of 1 (the local network only).

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use vigil_core::worker::Worker;

use crate::{GroundStation, Snapshot};
use vigil_record::export::cot::{CotEvent, DetailElement, UNKNOWN, drone_type, track_type};
use vigil_record::journal::feed::class_name;

/// TAK's default situational-awareness multicast group.
pub const DEFAULT_COT_ADDR: &str = "239.2.3.1:6969";
/// How often the feed sends.
pub const COT_PERIOD: Duration = Duration::from_secs(1);
/// Events go stale after this (three periods: one lost datagram does not blink a marker).
pub const COT_STALE: Duration = Duration::from_secs(3);

/// Errors starting the feed.
#[derive(Debug, thiserror::Error)]
pub enum CotError {
    #[error("CoT address {text:?}: expected udp:HOST:PORT (e.g. udp:{DEFAULT_COT_ADDR})")]
    Address { text: String },
    #[error("CoT feed to {addr}: {source}")]
    Socket {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Parses `udp:239.2.3.1:6969`, `239.2.3.1:6969` or `udp:` (the default).
pub fn parse_cot_addr(text: &str) -> Result<SocketAddr, CotError> {
    let rest = text.strip_prefix("udp:").unwrap_or(text);
    let rest = if rest.is_empty() {
        DEFAULT_COT_ADDR
    } else {
        rest
    };
    use std::net::ToSocketAddrs;
    rest.to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| CotError::Address {
            text: text.to_owned(),
        })
}

/// The events of a snapshot: drones with a position, then confirmed tracks.
pub fn snapshot_events(snapshot: &Snapshot) -> Vec<CotEvent> {
    let now = snapshot.world.time;
    let stale = now.plus(COT_STALE);
    let mut events = Vec::new();
    for vehicle in snapshot.world.vehicles.values() {
        let Some(position) = vehicle.position_at(now).or(vehicle.position) else {
            continue;
        };
        let speed = position.vel_ned_mps[0].hypot(position.vel_ned_mps[1]);
        let course = position
            .heading_rad
            .map_or(0.0, |h| h.to_degrees().rem_euclid(360.0));
        events.push(CotEvent {
            uid: format!("vigil-vehicle-{}", vehicle.sysid),
            kind: drone_type(&format!("{:?}", vehicle.airframe)).to_owned(),
            how: "m-g",
            time: now,
            stale,
            lat_deg: position.lat_deg,
            lon_deg: position.lon_deg,
            hae_m: if position.alt_msl_m.is_finite() {
                position.alt_msl_m
            } else {
                UNKNOWN
            },
            ce_m: vehicle.gps.hdop.map_or(UNKNOWN, |h| h * 5.0),
            le_m: UNKNOWN,
            // The drone's own callsign when the fleet names it (TAK users see it as such).
            callsign: snapshot
                .world
                .names
                .drones
                .get(&vehicle.sysid)
                .cloned()
                .unwrap_or_else(|| format!("Vigil drone {}", vehicle.sysid)),
            remarks: format!(
                "{} {}",
                vehicle.mode,
                if vehicle.armed { "armed" } else { "disarmed" }
            ),
            detail: vec![DetailElement::track(course, speed)],
        });
    }
    for track in snapshot.tracks.iter() {
        let class = class_name(track.class);
        let speed = track.vel_en_mps[0].hypot(track.vel_en_mps[1]);
        let course = track.vel_en_mps[0]
            .atan2(track.vel_en_mps[1])
            .to_degrees()
            .rem_euclid(360.0);
        events.push(CotEvent {
            uid: format!("vigil-track-{}", track.id),
            kind: track_type(class).to_owned(),
            how: "m-f",
            time: now,
            stale,
            lat_deg: track.lat_deg,
            lon_deg: track.lon_deg,
            hae_m: UNKNOWN,
            ce_m: track.std_en_m[0].max(track.std_en_m[1]),
            le_m: UNKNOWN,
            callsign: format!("Track {}", track.id),
            remarks: format!(
                "{class}{}",
                track
                    .count
                    .map(|c| format!(", count {c}"))
                    .unwrap_or_default()
            ),
            detail: vec![DetailElement::track(course, speed)],
        });
    }
    events
}

/// The running feed.
#[derive(Debug)]
pub struct CotFeed {
    pub addr: SocketAddr,
    /// Datagrams sent and send errors.
    pub sent: Arc<AtomicU64>,
    pub errors: Arc<AtomicU64>,
    worker: Worker,
}

impl CotFeed {
    pub fn start(station: GroundStation, addr: SocketAddr) -> Result<Self, CotError> {
        let socket_error = |source| CotError::Socket { addr, source };
        let bind: SocketAddr = if addr.is_ipv4() {
            "0.0.0.0:0".parse().map_err(|_| CotError::Address {
                text: addr.to_string(),
            })?
        } else {
            "[::]:0".parse().map_err(|_| CotError::Address {
                text: addr.to_string(),
            })?
        };
        let socket = UdpSocket::bind(bind).map_err(socket_error)?;
        if addr.ip().is_multicast() {
            if addr.is_ipv4() {
                socket.set_multicast_ttl_v4(1).map_err(socket_error)?;
            }
        } else {
            socket.set_ttl(1).map_err(socket_error)?;
        }
        let sent = Arc::new(AtomicU64::new(0));
        let errors = Arc::new(AtomicU64::new(0));
        let (t_sent, t_errors) = (sent.clone(), errors.clone());
        let worker = Worker::spawn("vigil-cot", move |stop| {
            let mut next = Instant::now();
            while !stop.is_set() {
                if Instant::now() >= next {
                    for event in snapshot_events(&station.snapshot()) {
                        // One XML document per datagram (`quick-xml` writes it).
                        let sent = event.document().and_then(|xml| socket.send_to(&xml, addr));
                        match sent {
                            Ok(_) => t_sent.fetch_add(1, Ordering::Relaxed),
                            Err(_) => t_errors.fetch_add(1, Ordering::Relaxed),
                        };
                    }
                    next += COT_PERIOD;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
        .map_err(socket_error)?;
        Ok(Self {
            addr,
            sent,
            errors,
            worker,
        })
    }

    /// Stops the feed (dropping it does too).
    pub fn stop(self) {
        self.worker.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_with_the_default() {
        assert_eq!(
            parse_cot_addr("udp:").expect("default").to_string(),
            DEFAULT_COT_ADDR
        );
        assert_eq!(
            parse_cot_addr("udp:127.0.0.1:4242").expect("parsed").port(),
            4242
        );
        assert!(parse_cot_addr("udp:nowhere").is_err());
    }
}
