//! Vigil under abuse, over real sockets: floods at ten times the telemetry rate and links that
//! spew noise, UDP loss, duplication and reordering, a TCP peer that hangs, a full disk, a
//! vehicle that vanishes mid-mission, spoofing (two senders on one system id, a position jump,
//! unsolicited acknowledgements), and MAVLink 2 signing end to end (with the simulator, and
//! forged, replayed and unsigned frames refused and counted). The limits are assertions on
//! behaviour: counts that must add up, bounds that must hold, notices that must appear.

mod common;

use std::io::Write;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use vigil_core::time::{MonoClock, TimeUs};
use vigil_link::WORLD_QUEUE_CAPACITY;
use vigil_link::keys::KeyStore;
use vigil_link::{LinkAuth, LinkOptions};
use vigil_mission::{Mission, MissionItem};
use vigil_protocol::signing::timestamp_at;
use vigil_protocol::tlog::TlogReader;
use vigil_protocol::{
    FrameEncoder, MavMessage, MavVersion, SecretKey, Signer, UnsignedPolicy, mav,
};
use vigil_record::session::recorder::{LogSink, SinkFactory};
use vigil_station::{GroundStation, Pipeline, PipelineConfig, Snapshot};
use vigil_world::command::{Action, CommandOutcome, MissionOp, MissionOutcome};
use vigil_world::notices::NOTICE_LOG_CAPACITY;
use vigil_world::{Health, Severity};

fn heartbeat() -> MavMessage {
    MavMessage::HEARTBEAT(mav::HEARTBEAT_DATA {
        custom_mode: 0,
        mavtype: mav::MavType::MAV_TYPE_QUADROTOR,
        autopilot: mav::MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA,
        base_mode: mav::MavModeFlag::MAV_MODE_FLAG_CUSTOM_MODE_ENABLED,
        system_status: mav::MavState::MAV_STATE_ACTIVE,
        mavlink_version: 3,
    })
}

fn position(lat_deg: f64, lon_deg: f64) -> MavMessage {
    MavMessage::GLOBAL_POSITION_INT(mav::GLOBAL_POSITION_INT_DATA {
        lat: vigil_protocol::e7_from_deg(lat_deg),
        lon: vigil_protocol::e7_from_deg(lon_deg),
        alt: 500_000,
        relative_alt: 80_000,
        hdg: 9000,
        ..Default::default()
    })
}

/// ArduPilot's usual stream of one drone for one second: 28 frames.
fn drone_second(t_ms: u32) -> Vec<MavMessage> {
    let mut out = vec![heartbeat()];
    for i in 0..10 {
        out.push(MavMessage::ATTITUDE(mav::ATTITUDE_DATA {
            time_boot_ms: t_ms + i * 100,
            roll: 0.01 * i as f32,
            ..Default::default()
        }));
    }
    for _ in 0..5 {
        out.push(position(9.0, 31.0));
        out.push(MavMessage::GPS_RAW_INT(mav::GPS_RAW_INT_DATA {
            satellites_visible: 12,
            ..Default::default()
        }));
    }
    for _ in 0..2 {
        out.push(MavMessage::SYS_STATUS(mav::SYS_STATUS_DATA::default()));
    }
    for _ in 0..4 {
        out.push(MavMessage::VFR_HUD(mav::VFR_HUD_DATA::default()));
    }
    out.push(MavMessage::BATTERY_STATUS(
        mav::BATTERY_STATUS_DATA::default(),
    ));
    out
}

fn udp_to(vigil: SocketAddr) -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket.connect(vigil).expect("connect");
    socket
}

fn notice_with(snapshot: &Snapshot, text: &str) -> bool {
    snapshot.world.notices.iter().any(|n| n.text.contains(text))
}

/// Reads `/proc/self/statm`'s resident pages, in bytes.
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

#[test]
fn a_flood_at_ten_times_the_telemetry_rate_is_counted_to_the_frame_and_recorded_whole() {
    // Twenty drones at ArduPilot's rates send 560 frames a second; this sends ten times that
    // for three seconds, paced in 10 ms slots, through one UDP link.
    const DRONES: u8 = 20;
    const SECONDS: u32 = 3;
    const RATE_FACTOR: u32 = 10;
    let session = tempfile::tempdir().expect("tempdir");
    let pipeline = start(&["udpin:127.0.0.1:0"], Some(session.path()));
    let station = pipeline.station();
    let socket = udp_to(bound_addr(&station, 0));
    let mut encoders: Vec<FrameEncoder> = (1..=DRONES).map(|id| FrameEncoder::new(id, 1)).collect();
    let mut frames = Vec::new();
    for second in 0..SECONDS * RATE_FACTOR {
        for (index, encoder) in encoders.iter_mut().enumerate() {
            for message in drone_second(second * 1000 + index as u32) {
                frames.push(encoder.encode(&message, MavVersion::V2).expect("encodes"));
            }
        }
    }
    let sent = frames.len() as u64;

    // Watch the snapshots while the flood runs: they must keep coming, with bounded queues.
    let flooding = Arc::new(AtomicBool::new(true));
    let watcher = {
        let station = station.clone();
        let flooding = flooding.clone();
        std::thread::Builder::new()
            .name("test-watcher".into())
            .spawn(move || {
                let mut seqs = Vec::new();
                let mut max_queued = 0;
                let mut max_notices = 0;
                while flooding.load(Ordering::SeqCst) {
                    let snapshot = station.snapshot();
                    seqs.push(snapshot.seq);
                    max_queued = max_queued.max(snapshot.pipeline.queued);
                    max_notices = max_notices.max(snapshot.world.notices.iter().count());
                    std::thread::sleep(Duration::from_millis(20));
                }
                (seqs, max_queued, max_notices)
            })
            .expect("spawn")
    };
    let rss_before = resident_bytes();
    let slots = u64::from(SECONDS) * 100;
    let per_slot = frames.len().div_ceil(slots as usize);
    let started = Instant::now();
    for (slot, chunk) in frames.chunks(per_slot).enumerate() {
        for frame in chunk {
            socket.send(frame.raw()).expect("send");
        }
        let due = started + Duration::from_millis(10 * (slot as u64 + 1));
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
    }
    let snapshot = wait(&station, "the flood to be applied", |s| {
        let link = &s.links[0];
        let received: u64 = link.stats.senders.values().map(|x| x.received).sum();
        let lost: u64 = link.stats.senders.values().map(|x| x.lost).sum();
        received + lost == sent
            && s.world.frames_applied + s.pipeline.coalesced + s.pipeline.dropped
                == link.stats.frames_rx
    });
    flooding.store(false, Ordering::SeqCst);
    let (seqs, max_queued, max_notices) = watcher.join().expect("watcher");
    let rss_growth = resident_bytes().saturating_sub(rss_before);

    // Every frame sent is either received or counted lost (UDP may drop under load), and
    // every frame received is applied or counted as coalesced or dropped.
    let link = &snapshot.links[0];
    assert_eq!(link.stats.crc_errors, 0);
    assert_eq!(snapshot.world.vehicles.len(), usize::from(DRONES));
    // The world published all along: the longest run of samples (20 ms apart) that saw the
    // same snapshot is short (the world ticks every 100 ms even with nothing new).
    let mut stall = 0;
    let mut longest_stall = 0;
    for pair in seqs.windows(2) {
        stall = if pair[1] == pair[0] { stall + 1 } else { 0 };
        longest_stall = longest_stall.max(stall);
    }
    assert!(seqs.len() > 10, "the watcher ran: {} samples", seqs.len());
    assert!(
        longest_stall < 50,
        "snapshots stalled for {longest_stall} samples during the flood"
    );
    assert!(max_queued <= WORLD_QUEUE_CAPACITY, "{max_queued}");
    assert!(max_notices <= NOTICE_LOG_CAPACITY, "{max_notices}");
    // 17,000 frames of 40 bytes: anything near the frames' own size held means a leak.
    assert!(
        rss_growth < 256 << 20,
        "resident memory grew by {rss_growth} bytes"
    );
    let frames_rx = link.stats.frames_rx;
    let frames_tx_before_shutdown = link.stats.frames_tx;
    pipeline.shutdown();

    // The recorder lost nothing: every frame received is in the tlog.
    let records: Vec<_> = TlogReader::open(&session.path().join("telemetry.tlog"))
        .expect("tlog")
        .collect::<Result<_, _>>()
        .expect("readable");
    let received_recorded = records.iter().filter(|r| r.frame.sysid() != 255).count() as u64;
    assert_eq!(received_recorded, frames_rx);
    assert!(
        records.iter().filter(|r| r.frame.sysid() == 255).count() as u64
            >= frames_tx_before_shutdown
    );
}

/// Deterministic noise (the seeded `vigil_core::rng`), so that a failure can be replayed.
fn random_bytes(rng: &mut vigil_core::rng::Rng, count: usize) -> Vec<u8> {
    (0..count).map(|_| rng.next_u64() as u8).collect()
}

#[test]
fn a_link_spewing_random_bytes_loses_no_valid_frame_and_counts_the_noise() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let pipeline = start(&[&format!("tcp:127.0.0.1:{port}")], None);
    let station = pipeline.station();
    let (mut stream, _) = listener.accept().expect("vigil dials in");
    let mut noise = vigil_core::rng::Rng::new(0x5eed_1234_abcd_0001);
    let mut encoder = FrameEncoder::new(9, 1);
    let mut noise_bytes = 0u64;
    const VALID: u64 = 200;
    let seq_before = station.snapshot().seq;
    for _ in 0..VALID {
        let chunk = random_bytes(&mut noise, 8192);
        noise_bytes += chunk.len() as u64;
        stream.write_all(&chunk).expect("write noise");
        let frame = encoder
            .encode(&heartbeat(), MavVersion::V2)
            .expect("encodes");
        stream.write_all(frame.raw()).expect("write frame");
    }
    let snapshot = wait(&station, "every valid frame", |s| {
        s.links[0]
            .stats
            .senders
            .get(&(9, 1))
            .is_some_and(|x| x.received >= VALID)
    });
    let link = &snapshot.links[0];
    let sender = link.stats.senders[&(9, 1)];
    assert_eq!(sender.received, VALID);
    assert_eq!(sender.lost, 0);
    // The noise is counted: nearly all of it skipped, its false frame starts as CRC errors.
    assert!(
        link.stats.bytes_skipped + 64 * link.stats.frames_rx >= noise_bytes,
        "skipped {} of {noise_bytes} noise bytes",
        link.stats.bytes_skipped
    );
    assert!(link.stats.crc_errors + link.stats.parse_errors > 0);
    assert!(snapshot.seq > seq_before);
    assert!(snapshot.world.vehicles.contains_key(&9));
    pipeline.shutdown();
}

#[test]
fn udp_loss_duplication_and_reordering_are_counted_exactly() {
    let pipeline = start(&["udpin:127.0.0.1:0"], None);
    let station = pipeline.station();
    let socket = udp_to(bound_addr(&station, 0));
    let mut encoder = FrameEncoder::new(4, 1);
    let frames: Vec<_> = (0..300)
        .map(|_| {
            encoder
                .encode(&heartbeat(), MavVersion::V2)
                .expect("encodes")
        })
        .collect();
    // Drop every 10th frame, send every 7th twice, and swap each 13th with the one after.
    let mut order: Vec<usize> = (0..frames.len()).filter(|i| i % 10 != 5).collect();
    let dropped = frames.len() - order.len();
    let mut index = 0;
    while index + 1 < order.len() {
        if order[index].is_multiple_of(13) {
            order.swap(index, index + 1);
            index += 2;
        } else {
            index += 1;
        }
    }
    let mut duplicates = 0;
    for &i in &order {
        socket.send(frames[i].raw()).expect("send");
        if i.is_multiple_of(7) {
            socket.send(frames[i].raw()).expect("send");
            duplicates += 1;
        }
        // Keep the datagrams in the order written (the loopback does not reorder).
        std::thread::sleep(Duration::from_micros(200));
    }
    let snapshot = wait(&station, "all datagrams", |s| {
        s.links[0]
            .stats
            .senders
            .get(&(4, 1))
            .is_some_and(|x| x.received + x.duplicates >= (order.len() + duplicates) as u64)
    });
    let sender = snapshot.links[0].stats.senders[&(4, 1)];
    assert_eq!(sender.received, order.len() as u64);
    assert_eq!(sender.duplicates, duplicates as u64);
    assert_eq!(sender.lost, dropped as u64);
    pipeline.shutdown();
}

#[test]
fn a_tcp_peer_that_hangs_goes_stale_then_lost_without_freezing_anything() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let pipeline = start(&[&format!("tcp:127.0.0.1:{port}")], None);
    let station = pipeline.station();
    let (mut stream, _) = listener.accept().expect("vigil dials in");
    let mut encoder = FrameEncoder::new(6, 1);
    for _ in 0..3 {
        let frame = encoder
            .encode(&heartbeat(), MavVersion::V2)
            .expect("encodes");
        stream.write_all(frame.raw()).expect("write");
    }
    wait(&station, "vehicle 6", |s| s.world.vehicles.contains_key(&6));
    // From now on the peer keeps the connection open and says nothing.
    let command = station.command(6, Action::Arm).expect("sent");
    let snapshot = wait(&station, "vehicle 6 and its link lost", |s| {
        s.world.vehicles[&6].health == Health::Lost && s.links[0].health == Health::Lost
    });
    assert!(notice_with(&snapshot, "vehicle 6: no heartbeat"));
    assert!(notice_with(&snapshot, "vehicle 6: LINK LOST"));
    // The command engine went on: the unanswered command ended by itself.
    assert_eq!(
        command.recv_timeout(TIMEOUT).expect("an outcome"),
        CommandOutcome::TimedOut {
            tries: 4,
            hint: None
        }
    );
    // And the world still publishes.
    let seq = station.snapshot().seq;
    wait(&station, "a later snapshot", |s| s.seq > seq);
    drop(stream);
    pipeline.shutdown();
}

/// A disk that fills up when told to: a write then stores what fits and fails with ENOSPC.
#[derive(Clone, Default)]
struct FillingDisk {
    bytes: Arc<Mutex<Vec<u8>>>,
    full: Arc<AtomicBool>,
    refusals: Arc<AtomicU64>,
}

impl Write for FillingDisk {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut bytes = self.bytes.lock().expect("lock");
        if self.full.load(Ordering::SeqCst) {
            self.refusals.fetch_add(1, Ordering::SeqCst);
            // The first refusal takes half the write, as a disk filling mid-write does.
            if self.refusals.load(Ordering::SeqCst) == 1 && buf.len() > 1 {
                bytes.extend_from_slice(&buf[..buf.len() / 2]);
                return Ok(buf.len() / 2);
            }
            return Err(std::io::Error::from_raw_os_error(libc_enospc()));
        }
        bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogSink for FillingDisk {
    fn sync(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn libc_enospc() -> i32 {
    28 // ENOSPC on Linux
}

#[test]
fn a_full_disk_is_raised_and_recording_resumes_without_losing_a_frame() {
    let disk = FillingDisk::default();
    let opener_disk = disk.clone();
    let session = tempfile::tempdir().expect("tempdir");
    let pipeline = Pipeline::start(PipelineConfig {
        links: vec![link("udpin:127.0.0.1:0")],
        session_dir: Some(session.path().to_owned()),
        recorder_sink: Some(SinkFactory(Arc::new(move |_| {
            Ok(Box::new(opener_disk.clone()) as Box<dyn LogSink>)
        }))),
        ..PipelineConfig::new(common::test_folders())
    })
    .expect("starts");
    let station = pipeline.station();
    let sim = sim_udp(vehicle_config(3), bound_addr(&station, 0), MavVersion::V2);
    wait(&station, "vehicle 3", |s| s.world.vehicles.contains_key(&3));
    disk.full.store(true, Ordering::SeqCst);
    let snapshot = wait(&station, "the operator told of the full disk", |s| {
        notice_with(s, "RECORDING FAILED")
    });
    let notice = snapshot
        .world
        .notices
        .iter()
        .find(|n| n.text.contains("RECORDING FAILED"))
        .expect("notice");
    assert_eq!(notice.severity, Severity::Critical);
    assert!(
        notice.text.contains("No space left on device"),
        "{}",
        notice.text
    );
    // Frames keep arriving while the disk is full; then space returns.
    let records_when_full = snapshot.recorder.as_ref().expect("recorder").records;
    wait(&station, "frames queued while full", |s| {
        s.recorder
            .as_ref()
            .is_some_and(|r| r.records > records_when_full + 20)
    });
    disk.full.store(false, Ordering::SeqCst);
    wait(&station, "recording resumed", |s| {
        notice_with(s, "recording resumed")
    });
    drop(sim);
    let snapshot = station.snapshot();
    let recorder = snapshot.recorder.clone().expect("recorder");
    assert!(recorder.write_errors >= 1);
    assert_eq!(recorder.dropped, 0);
    pipeline.shutdown();

    // Everything the recorder took is on the "disk", once, readable.
    let bytes = disk.bytes.lock().expect("lock").clone();
    let records: Vec<_> =
        TlogReader::new(std::io::Cursor::new(bytes), std::path::Path::new("disk"))
            .collect::<Result<_, _>>()
            .expect("every record reads back: a partial write was completed, not repeated");
    assert!(records.len() as u64 >= recorder.records);
    let from_vehicle = records.iter().filter(|r| r.frame.sysid() == 3).count() as u64;
    let received = snapshot.links[0].stats.frames_rx;
    assert!(
        from_vehicle >= received,
        "{from_vehicle} recorded, {received} received"
    );
}

#[test]
fn a_vehicle_that_vanishes_mid_mission_is_raised_and_its_mission_state_kept() {
    let pipeline = start(&["udpin:127.0.0.1:0"], None);
    let station = pipeline.station();
    let sim = sim_udp(vehicle_config(1), bound_addr(&station, 0), MavVersion::V2);
    wait(&station, "the drone", |s| {
        s.world
            .vehicles
            .get(&1)
            .is_some_and(|v| v.position.is_some())
    });
    let mut mission = Mission::default();
    for (i, north_m) in [40.0, 80.0, 120.0].into_iter().enumerate() {
        mission.items.push(MissionItem {
            frame: 3,
            command: 16,
            params: [0.0; 4],
            x: 9.0 + north_m / 111_320.0,
            y: 31.0 + 1e-5 * i as f64,
            z: 20.0,
            autocontinue: true,
        });
    }
    let uploaded = station
        .mission(1, MissionOp::Upload(mission))
        .expect("sent")
        .recv_timeout(TIMEOUT)
        .expect("outcome");
    assert_eq!(
        uploaded,
        Ok(MissionOutcome::Uploaded {
            items: vigil_world::command::UploadCounts {
                mission: 3,
                fence: 0,
                rally: 0
            }
        })
    );
    accept(&station, 1, Action::SetMode("GUIDED".into()));
    accept(&station, 1, Action::Arm);
    accept(&station, 1, Action::Takeoff { alt_rel_m: 10.0 });
    accept(&station, 1, Action::SetMode("AUTO".into()));
    let flying = wait(&station, "the mission under way", |s| {
        let v = &s.world.vehicles[&1];
        v.armed && v.mode == "AUTO" && v.mission_current_seq.is_some_and(|seq| seq >= 1)
    });
    let current = flying.world.vehicles[&1].mission_current_seq;
    drop(sim); // the drone vanishes
    let snapshot = wait(&station, "the drone lost", |s| {
        s.world.vehicles[&1].health == Health::Lost
    });
    let vehicle = &snapshot.world.vehicles[&1];
    let lost = snapshot
        .world
        .notices
        .iter()
        .find(|n| n.text.contains("vehicle 1: LINK LOST"))
        .expect("raised to the operator");
    assert_eq!(lost.severity, Severity::Critical);
    // What we knew is kept: armed, in AUTO, its mission item, its last position.
    assert!(vehicle.armed);
    assert_eq!(vehicle.mode, "AUTO");
    assert!(vehicle.mission_current_seq >= current);
    assert!(vehicle.position.is_some());
    pipeline.shutdown();
}

#[test]
fn an_unsolicited_acknowledgement_is_raised_but_one_for_another_console_is_not() {
    let pipeline = start(&["udpin:127.0.0.1:0"], None);
    let station = pipeline.station();
    let socket = udp_to(bound_addr(&station, 0));
    let mut encoder = FrameEncoder::new(8, 1);
    let mut send = |message: MavMessage| {
        let frame = encoder.encode(&message, MavVersion::V2).expect("encodes");
        socket.send(frame.raw()).expect("send");
    };
    send(heartbeat());
    wait(&station, "vehicle 8", |s| s.world.vehicles.contains_key(&8));
    let ack = |target_system| {
        MavMessage::COMMAND_ACK(mav::COMMAND_ACK_DATA {
            command: mav::MavCmd::MAV_CMD_DO_SET_MODE,
            result: mav::MavResult::MAV_RESULT_ACCEPTED,
            target_system,
            target_component: 190,
            ..Default::default()
        })
    };
    send(ack(254)); // for another ground station: none of our business
    send(ack(255)); // for us, but we sent nothing
    let snapshot = wait(&station, "the unsolicited ack raised", |s| {
        notice_with(s, "UNSOLICITED")
    });
    let raised: Vec<_> = snapshot
        .world
        .notices
        .iter()
        .filter(|n| n.text.contains("UNSOLICITED"))
        .collect();
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert!(raised[0].text.contains("system 8"));
    pipeline.shutdown();
}

#[test]
fn two_senders_on_one_system_id_and_a_position_jump_are_raised() {
    let pipeline = start(&["udpin:127.0.0.1:0"], None);
    let station = pipeline.station();
    let vigil = bound_addr(&station, 0);
    let (real, impostor) = (udp_to(vigil), udp_to(vigil));
    let mut real_encoder = FrameEncoder::new(5, 1);
    let mut impostor_encoder = FrameEncoder::new(5, 1);
    for _ in 0..40 {
        for (socket, encoder, lat) in [
            (&real, &mut real_encoder, 9.0),
            (&impostor, &mut impostor_encoder, 9.0),
        ] {
            for message in [heartbeat(), position(lat, 31.0)] {
                let frame = encoder.encode(&message, MavVersion::V2).expect("encodes");
                socket.send(frame.raw()).expect("send");
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let snapshot = wait(&station, "two senders raised", |s| {
        s.world
            .vehicles
            .get(&5)
            .is_some_and(|v| v.integrity.flags.duplicate_sysid.is_some())
    });
    assert!(notice_with(&snapshot, "TWO SENDERS"));

    // Another drone jumps 2 km between two fixes a tenth of a second apart.
    let mut encoder = FrameEncoder::new(12, 1);
    for message in [heartbeat(), position(9.0, 31.0)] {
        real.send(
            encoder
                .encode(&message, MavVersion::V2)
                .expect("encodes")
                .raw(),
        )
        .expect("send");
    }
    std::thread::sleep(Duration::from_millis(100));
    real.send(
        encoder
            .encode(&position(9.02, 31.0), MavVersion::V2)
            .expect("encodes")
            .raw(),
    )
    .expect("send");
    let snapshot = wait(&station, "the jump raised", |s| {
        s.world
            .vehicles
            .get(&12)
            .is_some_and(|v| v.integrity.flags.gps_jump.is_some())
    });
    assert!(notice_with(&snapshot, "vehicle 12: GPS JUMP"));
    pipeline.shutdown();
}

/// A pipeline whose keys live in `keys`.
fn start_signed(links: &[&str], keys: &std::path::Path, unsigned: UnsignedPolicy) -> Pipeline {
    Pipeline::start(PipelineConfig {
        links: links.iter().map(|l| link(l)).collect(),
        link_options: LinkOptions {
            unsigned,
            ..LinkOptions::default()
        },
        ..PipelineConfig::new(vigil_station::Folders {
            keys_dir: keys.to_owned(),
            ..common::test_folders()
        })
    })
    .expect("starts")
}

fn link_stats(station: &GroundStation) -> vigil_link::LinkStatsSnapshot {
    station.snapshot().links[0].stats.clone()
}

#[test]
fn signing_set_up_with_the_simulator_flies_signed_and_refuses_forgeries_and_replays() {
    let keys = tempfile::tempdir().expect("tempdir");
    let pipeline = start_signed(&["udpin:127.0.0.1:0"], keys.path(), UnsignedPolicy::Reject);
    let station = pipeline.station();
    let vigil = bound_addr(&station, 0);
    let _sim = sim_udp(vehicle_config(1), vigil, MavVersion::V2);
    wait(&station, "the drone", |s| s.world.vehicles.contains_key(&1));
    assert_eq!(station.snapshot().links[0].auth, LinkAuth::Unsigned);

    let answer = station
        .setup_signing(1)
        .expect("sent")
        .recv_timeout(TIMEOUT)
        .expect("an answer");
    let text = answer.expect("set up");
    let key = KeyStore::new(keys.path())
        .load(1)
        .expect("readable")
        .expect("stored");
    assert!(text.contains(&key.fingerprint()));
    assert!(
        !text.contains(&key.to_hex()),
        "the key itself is never shown"
    );
    let signed = wait(&station, "signed frames from the drone", |s| {
        s.links[0].stats.signed_ok > 10
    });
    assert_eq!(
        signed.links[0].auth,
        LinkAuth::Signed {
            fingerprint: key.fingerprint(),
            policy: UnsignedPolicy::Reject
        }
    );
    // The drone takes our signed commands.
    accept(&station, 1, Action::SetMode("GUIDED".into()));

    let rogue = udp_to(vigil);
    // A forgery: the drone's identity, another key. The mode it claims never shows.
    let wrong = SecretKey::from_bytes([0x13; 32]).expect("non-zero");
    let now = MonoClock::new().now();
    let mut forger = Signer::new(wrong, 0);
    let mut encoder = FrameEncoder::new(1, 1);
    let mut claimed = heartbeat();
    if let MavMessage::HEARTBEAT(data) = &mut claimed {
        data.custom_mode = 9; // LAND
    }
    let before = link_stats(&station);
    for _ in 0..5 {
        let frame = encoder
            .encode_signed(&claimed, &mut forger, now)
            .expect("encodes");
        rogue.send(frame.raw()).expect("send");
    }
    wait(&station, "the forgeries counted", |s| {
        s.links[0].stats.forged >= before.forged + 5
    });
    // A replay: a frame signed with the right key, sent twice (as a recorded one would be).
    let mut holder = Signer::new(key.clone(), 7).with_initial_timestamp(timestamp_at(now));
    let mut replay_encoder = FrameEncoder::new(1, 1);
    let frame = replay_encoder
        .encode_signed(&heartbeat(), &mut holder, now)
        .expect("encodes");
    rogue.send(frame.raw()).expect("send");
    rogue.send(frame.raw()).expect("send");
    wait(&station, "the replay counted", |s| {
        s.links[0].stats.replayed > before.replayed
    });
    // Unsigned frames are refused by this link's policy.
    let plain = encoder.encode(&claimed, MavVersion::V2).expect("encodes");
    rogue.send(plain.raw()).expect("send");
    let snapshot = wait(&station, "the unsigned frame refused", |s| {
        s.links[0].stats.unsigned_rejected > before.unsigned_rejected
    });
    assert_ne!(snapshot.world.vehicles[&1].mode, "LAND");
    wait(&station, "the refusals raised", |s| {
        notice_with(s, "REFUSED")
    });

    pipeline.shutdown();
}

#[test]
fn the_simulator_refuses_unsigned_commands_once_it_signs() {
    use vigil_sim::{SimRunner, SimTransport, SimVehicle};
    // Vigil on one port, the drone on another; a rogue console writes to the drone directly.
    let keys = tempfile::tempdir().expect("tempdir");
    let pipeline = start_signed(&["udpin:127.0.0.1:0"], keys.path(), UnsignedPolicy::Flag);
    let station = pipeline.station();
    let drone_socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let drone_addr = drone_socket.local_addr().expect("addr");
    let _sim = SimRunner::start(
        SimVehicle::new(vehicle_config(1)),
        SimTransport::Udp {
            socket: drone_socket,
            peer: Some(bound_addr(&station, 0)),
            learn: false,
        },
        MavVersion::V2,
    )
    .expect("sim");
    wait(&station, "the drone", |s| s.world.vehicles.contains_key(&1));
    station
        .setup_signing(1)
        .expect("sent")
        .recv_timeout(TIMEOUT)
        .expect("answer")
        .expect("set up");
    wait(&station, "signed frames", |s| {
        s.links[0].stats.signed_ok > 5
    });
    accept(&station, 1, Action::SetMode("GUIDED".into()));

    let rogue = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let mut console = FrameEncoder::new(254, 190);
    let arm = MavMessage::COMMAND_LONG(mav::COMMAND_LONG_DATA {
        command: mav::MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
        param1: 1.0,
        target_system: 1,
        target_component: 1,
        ..Default::default()
    });
    for _ in 0..5 {
        let frame = console.encode(&arm, MavVersion::V2).expect("encodes");
        rogue.send_to(frame.raw(), drone_addr).expect("send");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Give the drone time to have acted (it answers within milliseconds), then check it did not.
    let seq = station.snapshot().seq;
    wait(&station, "a few more snapshots", |s| s.seq > seq + 20);
    std::thread::sleep(Duration::from_millis(500));
    assert!(!station.snapshot().world.vehicles[&1].armed);
    // Our signed command still works.
    accept(&station, 1, Action::Arm);
    pipeline.shutdown();
}

#[test]
fn a_stored_key_is_adopted_when_its_vehicle_is_heard_again() {
    let keys = tempfile::tempdir().expect("tempdir");
    let key = SecretKey::generate().expect("a key");
    KeyStore::new(keys.path()).store(2, &key).expect("stored");
    let pipeline = start_signed(&["udpin:127.0.0.1:0"], keys.path(), UnsignedPolicy::Reject);
    let station = pipeline.station();
    let socket = udp_to(bound_addr(&station, 0));
    let mut encoder = FrameEncoder::new(2, 1);
    let now = MonoClock::new().now();
    let mut signer = Signer::new(key.clone(), 0).with_initial_timestamp(timestamp_at(now));
    // Its key is looked up the first time it is heard on the link: even its first frame is
    // checked, and what goes to it is signed from then on.
    for _ in 0..20 {
        let frame = encoder
            .encode_signed(&heartbeat(), &mut signer, TimeUs(0))
            .expect("encodes");
        socket.send(frame.raw()).expect("send");
        std::thread::sleep(Duration::from_millis(20));
    }
    let snapshot = wait(&station, "the key adopted", |s| {
        s.links[0].stats.signed_ok > 0
    });
    assert!(matches!(snapshot.links[0].auth, LinkAuth::Signed { .. }));
    assert!(notice_with(&snapshot, &key.fingerprint()));
    // What Vigil sends on that link is signed with the same key.
    let mut buf = [0u8; 512];
    socket.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    let mut parser = vigil_protocol::FrameParser::new();
    let mut verifier = vigil_protocol::Verifier::new(Some(key.clone()), UnsignedPolicy::Reject);
    let deadline = Instant::now() + TIMEOUT;
    let mut verified = false;
    while !verified && Instant::now() < deadline {
        let n = socket.recv(&mut buf).expect("a frame from Vigil");
        parser.push(&buf[..n]);
        while let Some(Ok(frame)) = parser.next_frame() {
            verified |= frame.is_signed()
                && verifier.check(&frame, MonoClock::new().now())
                    == vigil_protocol::Verdict::Signed;
        }
    }
    assert!(
        verified,
        "Vigil signs what it sends once the key is adopted"
    );
    pipeline.shutdown();
}

/// Anyone can append 13 bytes to a frame: on a link that checks signatures, a "signed" frame
/// from a system the station has no key for is judged as an unsigned one, so `reject` refuses
/// it (and counts it) as it refuses the same frame unsigned.
#[test]
fn a_garbage_signature_from_a_system_without_a_key_does_not_get_past_reject() {
    let keys = tempfile::tempdir().expect("tempdir");
    let key = SecretKey::generate().expect("a key");
    KeyStore::new(keys.path()).store(2, &key).expect("stored");
    let pipeline = start_signed(&["udpin:127.0.0.1:0"], keys.path(), UnsignedPolicy::Reject);
    let station = pipeline.station();
    let socket = udp_to(bound_addr(&station, 0));
    // System 2 signs with its key: the link checks signatures.
    let mut signer =
        Signer::new(key, 0).with_initial_timestamp(timestamp_at(MonoClock::new().now()));
    let mut signed = FrameEncoder::new(2, 1);
    let frame = signed
        .encode_signed(&heartbeat(), &mut signer, TimeUs(0))
        .expect("encodes");
    socket.send(frame.raw()).expect("send");
    wait(&station, "system 2 signed", |s| {
        s.links[0].stats.signed_ok > 0
    });
    // System 9, which has no key: a valid frame with 13 random bytes for a signature.
    let mut rogue = FrameEncoder::new(9, 1);
    let mut other = Signer::new(SecretKey::from_bytes([0x42; 32]).expect("non-zero"), 0);
    for _ in 0..3 {
        let mut raw = rogue
            .encode_signed(&heartbeat(), &mut other, MonoClock::new().now())
            .expect("encodes")
            .raw()
            .to_vec();
        let at = raw.len() - 6;
        raw[at..].copy_from_slice(&[0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]);
        socket.send(&raw).expect("send");
    }
    let snapshot = wait(&station, "the garbage-signed frames refused", |s| {
        s.links[0].stats.unsigned_rejected >= 3
    });
    assert!(!snapshot.world.vehicles.contains_key(&9), "never taken");
    let nine = snapshot.links[0]
        .signing
        .iter()
        .find(|s| s.sysid == 9)
        .expect("system 9 counted");
    assert_eq!(nine.counts.unsigned_refused, 3);
    assert_eq!(nine.counts.unchecked, 0);
    pipeline.shutdown();
}

fn repo() -> &'static std::path::Path {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The venv's python (tests/tools/setup-venv.sh), set up once per test binary.
fn python() -> &'static std::path::Path {
    static PYTHON: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    PYTHON.get_or_init(|| {
        let output = std::process::Command::new(repo().join("tests/tools/setup-venv.sh"))
            .output()
            .expect("run setup-venv.sh");
        assert!(
            output.status.success(),
            "setup-venv.sh failed (it needs python3 and PyPI):\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        std::path::PathBuf::from(stdout.lines().last().expect("the python path").trim())
    })
}

fn signing_xcheck(args: &[&str], stdin: &str) -> String {
    use std::process::{Command, Stdio};
    let mut child = Command::new(python())
        .arg(repo().join("tests/tools/signing_xcheck.py"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the cross-check starts");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(stdin.as_bytes())
        .expect("write frames");
    let output = child.wait_with_output().expect("the cross-check ends");
    assert!(output.status.success(), "signing_xcheck.py {args:?} failed");
    String::from_utf8(output.stdout).expect("utf-8")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn signing_interoperates_with_pymavlink_both_ways() {
    let key = SecretKey::generate().expect("a key");
    let now = MonoClock::new().now();

    // Vigil signs; pymavlink, holding the key, accepts every frame, and refuses a forgery.
    let mut signer = Signer::new(key.clone(), 3);
    let mut encoder = FrameEncoder::new(255, 190);
    let messages = [
        heartbeat(),
        position(9.0, 31.0),
        MavMessage::COMMAND_LONG(mav::COMMAND_LONG_DATA {
            command: mav::MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
            param1: 1.0,
            target_system: 1,
            target_component: 1,
            ..Default::default()
        }),
    ];
    let mut lines = String::new();
    let mut ids = Vec::new();
    for round in 0..10u64 {
        for message in &messages {
            let frame = encoder
                .encode_signed(message, &mut signer, now.plus(Duration::from_millis(round)))
                .expect("encodes");
            ids.push(frame.msgid());
            lines.push_str(&hex(frame.raw()));
            lines.push('\n');
        }
    }
    let mut forger = Signer::new(SecretKey::from_bytes([1; 32]).expect("non-zero"), 3);
    let forged = encoder
        .encode_signed(&heartbeat(), &mut forger, now.plus(Duration::from_secs(1)))
        .expect("encodes");
    lines.push_str(&hex(forged.raw()));
    lines.push('\n');
    let verdict: serde_json::Value =
        serde_json::from_str(&signing_xcheck(&["verify", "--key", &key.to_hex()], &lines))
            .expect("json");
    assert_eq!(verdict["accepted"], ids.len() as u64, "{verdict}");
    assert_eq!(verdict["rejected"], 1, "{verdict}");
    let got: Vec<u64> = verdict["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .filter_map(serde_json::Value::as_u64)
        .collect();
    assert_eq!(got, ids.iter().map(|&id| u64::from(id)).collect::<Vec<_>>());

    // pymavlink signs; Vigil's verifier accepts every frame once, and none with another key.
    let out = signing_xcheck(
        &[
            "sign",
            "--key",
            &key.to_hex(),
            "--link-id",
            "5",
            "--timestamp",
            &timestamp_at(now).to_string(),
            "--count",
            "30",
        ],
        "",
    );
    let mut verifier = vigil_protocol::Verifier::new(Some(key.clone()), UnsignedPolicy::Reject);
    let mut other = vigil_protocol::Verifier::new(
        Some(SecretKey::from_bytes([2; 32]).expect("non-zero")),
        UnsignedPolicy::Reject,
    );
    let mut parser = vigil_protocol::FrameParser::new();
    let mut frames = Vec::new();
    for line in out.lines() {
        let bytes: Vec<u8> = (0..line.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&line[i..i + 2], 16).expect("hex"))
            .collect();
        parser.push(&bytes);
        while let Some(frame) = parser.next_frame() {
            frames.push(frame.expect("a valid frame"));
        }
    }
    assert_eq!(frames.len(), 30);
    for frame in &frames {
        assert!(frame.is_signed());
        assert_eq!(frame.sysid(), 42);
        assert!(frame.decode().is_ok());
        assert_eq!(verifier.check(frame, now), vigil_protocol::Verdict::Signed);
        assert_eq!(
            other.check(frame, now),
            vigil_protocol::Verdict::Rejected(vigil_protocol::signing::Rejection::Forged)
        );
    }
    // Played again, they are replays.
    assert_eq!(
        verifier.check(&frames[0], now),
        vigil_protocol::Verdict::Rejected(vigil_protocol::signing::Rejection::Replayed)
    );
}

#[test]
fn vigil_cmd_signing_setup_stores_a_private_key_and_the_vehicle_signs() {
    use std::os::unix::fs::PermissionsExt;
    use vigil_sim::{SimRunner, SimTransport, SimVehicle};
    let data = tempfile::tempdir().expect("tempdir");
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let port = socket.local_addr().expect("addr").port();
    let sim = SimRunner::start(
        SimVehicle::new(vehicle_config(4)),
        SimTransport::Udp {
            socket,
            peer: None,
            learn: true,
        },
        MavVersion::V2,
    )
    .expect("sim");
    let output = vigil_command()
        .args(["cmd", "--link", &format!("udpout:127.0.0.1:{port}")])
        .args(["--target", "4", "signing-setup"])
        .env("XDG_DATA_HOME", data.path())
        .output()
        .expect("vigil cmd runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let store = KeyStore::new(data.path().join("vigil/keys"));
    let key = store.load(4).expect("readable").expect("stored");
    let mode = std::fs::metadata(store.path_for(4))
        .expect("the key file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(stdout.contains(&key.fingerprint()), "{stdout}");
    assert!(!stdout.contains(&key.to_hex()));
    assert!(stdout.contains("the vehicle signs its frames"), "{stdout}");
    drop(sim);
}
