//! The command path under load: with 1,000 targets being tracked and 50 drones at full
//! telemetry, how long a frame takes from its arrival to the snapshot that holds it, and how
//! long a command takes from the client's call to the vehicle's COMMAND_ACK reaching the
//! client. Printed for the station as it is (fusion, tracking and protection on their own
//! thread, `vigil-analysis`) beside the first version's design, measured in the same run
//! (`PipelineConfig::analysis_on_world_thread`: the same code on the world thread, where a
//! tracking scan holds up everything behind it).
//!
//! Run with `cargo bench --bench latency` (plain `main`; it prints figures and never fails on
//! speed). `VIGIL_BENCH_SECONDS` (default 20) sets how long each design is measured after its
//! warm-up.
//!
//! # The load
//! One UDP peer on the loopback plays 50 ArduCopters (HEARTBEAT 1 Hz, GLOBAL_POSITION_INT and
//! ATTITUDE 10 Hz, VFR_HUD and GPS_RAW_INT 5 Hz, SYS_STATUS 2 Hz: 33 messages a second each)
//! and 20 radar nodes (HEARTBEAT and VIGIL_SENSOR_STATUS 1 Hz) that detect 1,000 targets
//! walking across 20 × 20 km, each once a second (a position detection with 5 m of noise
//! stated and none added): about 2,700 frames a second. It answers every COMMAND_LONG with
//! an accepted COMMAND_ACK at once.
//!
//! # What is measured
//! - **frame → snapshot**: the station's own histogram (`PipelineView::latency_p50/p99`),
//!   from a frame's arrival in its link task to the publication of the first snapshot that
//!   holds it, over the whole run.
//! - **command round trip**: `GroundStation::command(1, Disarm)` to the outcome on the client's
//!   channel, 20 a second, after the tracker holds at least 900 confirmed tracks; p50, p99
//!   and the worst.
//!
//! # Output
//! A table on stdout, then one JSON line starting `{"bench":"latency",`.

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use vigil_core::address::LinkAddress;
use vigil_protocol::{FrameEncoder, FrameParser, MavMessage, MavVersion, mav};
use vigil_station::{Folders, GroundStation, Pipeline, PipelineConfig};
use vigil_world::command::{Action, CommandOutcome};

const DRONES: u8 = 50;
const SENSORS: u8 = 20;
const TARGETS: usize = 1000;
/// Where it all happens (a fictional area).
const ORIGIN_LAT_DEG: f64 = 9.0;
const ORIGIN_LON_DEG: f64 = 31.0;
const M_PER_DEG_LAT: f64 = 110_574.0;

fn main() -> Result<()> {
    let seconds: u64 = std::env::var("VIGIL_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    println!("latency under load: {DRONES} drones at full telemetry, {TARGETS} targets tracked");
    let mut results = Vec::new();
    for (name, inline) in [
        ("analysis on its own thread", false),
        ("first version: on the world thread", true),
    ] {
        let figures = run(inline, Duration::from_secs(seconds))
            .with_context(|| format!("measuring {name}"))?;
        results.push((name, figures));
    }
    println!();
    println!(
        "{:<36} {:>8} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8}",
        "design", "tracks", "frame p50", "frame p99", "cmd p50", "cmd p99", "cmd max", "cmds"
    );
    let ms = |d: Option<Duration>| {
        d.map_or("-".to_owned(), |d| {
            format!("{:.2} ms", d.as_secs_f64() * 1e3)
        })
    };
    for (name, f) in &results {
        println!(
            "{:<36} {:>8} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8}",
            name,
            f.tracks,
            ms(f.frame_p50),
            ms(f.frame_p99),
            ms(Some(f.command_p50)),
            ms(Some(f.command_p99)),
            ms(Some(f.command_max)),
            f.commands
        );
    }
    let json: Vec<String> = results
        .iter()
        .map(|(name, f)| {
            format!(
                "{{\"design\":{name:?},\"tracks\":{},\"frame_p50_ms\":{},\"frame_p99_ms\":{},\"command_p50_ms\":{:.3},\"command_p99_ms\":{:.3},\"command_max_ms\":{:.3},\"commands\":{}}}",
                f.tracks,
                f.frame_p50.map_or(-1.0, |d| d.as_secs_f64() * 1e3),
                f.frame_p99.map_or(-1.0, |d| d.as_secs_f64() * 1e3),
                f.command_p50.as_secs_f64() * 1e3,
                f.command_p99.as_secs_f64() * 1e3,
                f.command_max.as_secs_f64() * 1e3,
                f.commands
            )
        })
        .collect();
    println!("{{\"bench\":\"latency\",\"runs\":[{}]}}", json.join(","));
    Ok(())
}

struct Figures {
    tracks: usize,
    frame_p50: Option<Duration>,
    frame_p99: Option<Duration>,
    command_p50: Duration,
    command_p99: Duration,
    command_max: Duration,
    commands: usize,
}

fn run(inline: bool, measure: Duration) -> Result<Figures> {
    let folders = tempfile::tempdir()?;
    let pipeline = Pipeline::start(PipelineConfig {
        links: vec!["udpin:127.0.0.1:0".parse::<LinkAddress>()?],
        analysis_on_world_thread: inline,
        ..PipelineConfig::new(Folders::under(folders.path()))
    })?;
    let station = pipeline.station();
    let vigil = station
        .wait_for(Duration::from_secs(10), |s| {
            s.links
                .first()
                .is_some_and(|l| l.stats.local_addr.is_some())
        })
        .and_then(|s| s.links[0].stats.local_addr)
        .context("the link did not bind")?;
    let peer = Peer::start(vigil)?;
    print!(
        "  {}: warming up",
        if inline {
            "first version"
        } else {
            "analysis thread"
        }
    );
    let warm = station.wait_for(Duration::from_secs(60), |s| {
        s.tracks.len() >= 900 && s.world.vehicles.len() == usize::from(DRONES)
    });
    let Some(warm) = warm else {
        let s = station.snapshot();
        bail!(
            "no steady picture after 60 s: {} tracks, {} vehicles",
            s.tracks.len(),
            s.world.vehicles.len()
        );
    };
    println!(
        " ({} tracks); measuring {} s",
        warm.tracks.len(),
        measure.as_secs()
    );
    let mut round_trips = command_round_trips(&station, measure)?;
    let snapshot = station.snapshot();
    peer.stop();
    pipeline.shutdown();
    round_trips.sort();
    let quantile = |q: f64| {
        let index = ((round_trips.len() as f64 - 1.0) * q).round() as usize;
        round_trips[index.min(round_trips.len() - 1)]
    };
    Ok(Figures {
        tracks: snapshot.tracks.len(),
        frame_p50: snapshot.pipeline.latency_p50,
        frame_p99: snapshot.pipeline.latency_p99,
        command_p50: quantile(0.5),
        command_p99: quantile(0.99),
        command_max: round_trips.last().copied().unwrap_or_default(),
        commands: round_trips.len(),
    })
}

/// Commands to drone 1, 20 a second, for `measure`: each one's time from the call to its
/// outcome.
fn command_round_trips(station: &GroundStation, measure: Duration) -> Result<Vec<Duration>> {
    let end = Instant::now() + measure;
    let mut times = Vec::new();
    while Instant::now() < end {
        let start = Instant::now();
        let outcome = station
            .command(1, Action::Disarm { force: false })?
            .recv_timeout(Duration::from_secs(10))
            .context("no outcome within 10 s")?;
        let took = start.elapsed();
        if outcome != CommandOutcome::Accepted {
            bail!("the command was not accepted: {outcome}");
        }
        times.push(took);
        std::thread::sleep(Duration::from_millis(50).saturating_sub(took));
    }
    if times.is_empty() {
        bail!("no command measured");
    }
    Ok(times)
}

/// The simulated drones and sensor nodes on one UDP socket.
struct Peer {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Peer {
    fn start(vigil: SocketAddr) -> Result<Self> {
        let socket = UdpSocket::bind("127.0.0.1:0")?;
        socket.connect(vigil)?;
        socket.set_read_timeout(Some(Duration::from_millis(100)))?;
        let stop = Arc::new(AtomicBool::new(false));
        let sender = {
            let socket = socket.try_clone()?;
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("bench-peer-tx".into())
                .spawn(move || send_load(&socket, &stop))?
        };
        let answerer = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("bench-peer-rx".into())
                .spawn(move || answer_commands(&socket, &stop))?
        };
        Ok(Self {
            stop,
            threads: vec![sender, answerer],
        })
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

fn unix_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

fn send(socket: &UdpSocket, encoder: &mut FrameEncoder, message: &MavMessage) {
    if let Ok(frame) = encoder.encode(message, MavVersion::V2) {
        let _ = socket.send(frame.raw());
    }
}

/// Sends the drones' telemetry and the nodes' detections, in 10 ms steps.
fn send_load(socket: &UdpSocket, stop: &AtomicBool) {
    let mut drones: Vec<FrameEncoder> = (1..=DRONES).map(|s| FrameEncoder::new(s, 1)).collect();
    let mut nodes: Vec<FrameEncoder> = (0..SENSORS)
        .map(|i| FrameEncoder::new(100 + i, 1))
        .collect();
    let start = Instant::now();
    let mut step: u64 = 0;
    let mut detection_id = vec![0u32; usize::from(SENSORS)];
    while !stop.load(Ordering::Relaxed) {
        let t_s = start.elapsed().as_secs_f64();
        for (i, encoder) in drones.iter_mut().enumerate() {
            // Spread the drones over the 10 ms steps.
            let phase = (step + i as u64) % 100;
            if phase.is_multiple_of(10) {
                send(socket, encoder, &drone_position(i, t_s));
                send(socket, encoder, &attitude());
            }
            if phase.is_multiple_of(20) {
                send(
                    socket,
                    encoder,
                    &MavMessage::VFR_HUD(mav::VFR_HUD_DATA {
                        airspeed: 5.0,
                        groundspeed: 5.0,
                        alt: 120.0,
                        ..Default::default()
                    }),
                );
                send(
                    socket,
                    encoder,
                    &MavMessage::GPS_RAW_INT(mav::GPS_RAW_INT_DATA {
                        fix_type: mav::GpsFixType::GPS_FIX_TYPE_3D_FIX,
                        satellites_visible: 14,
                        ..Default::default()
                    }),
                );
            }
            if phase.is_multiple_of(50) {
                send(
                    socket,
                    encoder,
                    &MavMessage::SYS_STATUS(mav::SYS_STATUS_DATA {
                        voltage_battery: 15_800,
                        battery_remaining: 80,
                        ..Default::default()
                    }),
                );
            }
            if phase == 0 {
                send(socket, encoder, &drone_heartbeat());
            }
        }
        let now_us = unix_us();
        for (n, encoder) in nodes.iter_mut().enumerate() {
            if (step + n as u64).is_multiple_of(100) {
                send(socket, encoder, &node_heartbeat());
                send(socket, encoder, &node_status(n, now_us));
            }
        }
        // Each target once a second: a tenth of them... a hundredth in each 10 ms step.
        let per_step = TARGETS / 100;
        let first = usize::try_from(step % 100).unwrap_or(0) * per_step;
        for target in first..first + per_step {
            let node = target % usize::from(SENSORS);
            detection_id[node] = detection_id[node].wrapping_add(1);
            let message = detection(target, t_s, now_us, detection_id[node]);
            send(socket, &mut nodes[node], &message);
        }
        step += 1;
        let next = start + Duration::from_millis(10 * step);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
}

/// Answers every COMMAND_LONG at once with an accepted COMMAND_ACK from its target.
fn answer_commands(socket: &UdpSocket, stop: &AtomicBool) {
    let mut parser = FrameParser::new();
    let mut encoders: Vec<FrameEncoder> = (0..=255u8).map(|s| FrameEncoder::new(s, 1)).collect();
    let mut buf = [0u8; 2048];
    while !stop.load(Ordering::Relaxed) {
        let Ok(n) = socket.recv(&mut buf) else {
            continue;
        };
        parser.push(&buf[..n]);
        while let Some(frame) = parser.next_frame() {
            let Ok(frame) = frame else { continue };
            if let Ok(MavMessage::COMMAND_LONG(command)) = frame.decode() {
                let ack = MavMessage::COMMAND_ACK(mav::COMMAND_ACK_DATA {
                    command: command.command,
                    result: mav::MavResult::MAV_RESULT_ACCEPTED,
                    target_system: frame.sysid(),
                    target_component: frame.compid(),
                    ..Default::default()
                });
                send(
                    socket,
                    &mut encoders[usize::from(command.target_system)],
                    &ack,
                );
            }
        }
    }
}

fn drone_heartbeat() -> MavMessage {
    MavMessage::HEARTBEAT(mav::HEARTBEAT_DATA {
        custom_mode: 5, // LOITER
        mavtype: mav::MavType::MAV_TYPE_QUADROTOR,
        autopilot: mav::MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA,
        base_mode: mav::MavModeFlag::MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
            | mav::MavModeFlag::MAV_MODE_FLAG_SAFETY_ARMED,
        system_status: mav::MavState::MAV_STATE_ACTIVE,
        mavlink_version: 3,
    })
}

fn node_heartbeat() -> MavMessage {
    MavMessage::HEARTBEAT(mav::HEARTBEAT_DATA {
        mavtype: mav::MavType::MAV_TYPE_GENERIC,
        autopilot: mav::MavAutopilot::MAV_AUTOPILOT_INVALID,
        system_status: mav::MavState::MAV_STATE_ACTIVE,
        mavlink_version: 3,
        ..Default::default()
    })
}

fn e7(deg: f64) -> i32 {
    (deg * 1e7).round() as i32
}

/// Latitude and longitude `east_m`, `north_m` from the origin.
fn offset_deg(east_m: f64, north_m: f64) -> (f64, f64) {
    let lat_deg = ORIGIN_LAT_DEG + north_m / M_PER_DEG_LAT;
    let lon_deg = ORIGIN_LON_DEG + east_m / (M_PER_DEG_LAT * ORIGIN_LAT_DEG.to_radians().cos());
    (lat_deg, lon_deg)
}

fn drone_position(index: usize, t_s: f64) -> MavMessage {
    let angle = t_s * 0.05 + index as f64;
    let (lat_deg, lon_deg) = offset_deg(
        10_000.0 + 4_000.0 * angle.cos(),
        10_000.0 + 4_000.0 * angle.sin(),
    );
    MavMessage::GLOBAL_POSITION_INT(mav::GLOBAL_POSITION_INT_DATA {
        time_boot_ms: (t_s * 1e3) as u32,
        lat: e7(lat_deg),
        lon: e7(lon_deg),
        alt: 520_000,
        relative_alt: 120_000,
        vx: 500,
        vy: 0,
        vz: 0,
        hdg: 9000,
    })
}

fn attitude() -> MavMessage {
    MavMessage::ATTITUDE(mav::ATTITUDE_DATA {
        yaw: 1.57,
        ..Default::default()
    })
}

fn node_status(index: usize, now_us: u64) -> MavMessage {
    let (lat_deg, lon_deg) = offset_deg(
        (index % 5) as f64 * 5_000.0 + 2_500.0,
        (index / 5) as f64 * 5_000.0 + 2_500.0,
    );
    MavMessage::VIGIL_SENSOR_STATUS(mav::VIGIL_SENSOR_STATUS_DATA {
        time_usec: now_us,
        lat: e7(lat_deg),
        lon: e7(lon_deg),
        alt: 400_000,
        sensing_radius_m: 5_000.0,
        boresight_deg: f32::NAN,
        fov_deg: f32::NAN,
        voltage_mv: 12_600,
        battery_remaining: 90,
        sensor_kind: mav::VigilSensorKind::VIGIL_SENSOR_KIND_RADAR,
        ..Default::default()
    })
}

fn detection(target: usize, t_s: f64, now_us: u64, detection_id: u32) -> MavMessage {
    // A grid of walkers, each on a straight line at 1.2 m/s in a direction of its own.
    let heading_rad = (target as f64 * 2.399_963).rem_euclid(std::f64::consts::TAU);
    let east_m = (target % 40) as f64 * 500.0 + 1.2 * t_s * heading_rad.sin();
    let north_m = (target / 40) as f64 * 800.0 + 1.2 * t_s * heading_rad.cos();
    let (lat_deg, lon_deg) = offset_deg(east_m, north_m);
    MavMessage::VIGIL_DETECTION(mav::VIGIL_DETECTION_DATA {
        time_usec: now_us,
        detection_id,
        sensor_kind: mav::VigilSensorKind::VIGIL_SENSOR_KIND_RADAR,
        measurement_kind: mav::VigilMeasurementKind::VIGIL_MEASUREMENT_POSITION,
        range_m: f32::NAN,
        range_std_m: f32::NAN,
        bearing_deg: f32::NAN,
        bearing_std_deg: f32::NAN,
        lat: e7(lat_deg),
        lon: e7(lon_deg),
        horiz_std_m: 5.0,
        confidence: 90,
        class_hint: mav::VigilClassHint::VIGIL_CLASS_PERSON,
        count: 1,
        ..Default::default()
    })
}
