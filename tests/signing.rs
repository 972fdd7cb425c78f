//! MAVLink 2 signing on every link, over real sockets: each system checked against its own key
//! on each link it is heard on, several signed vehicles on one link, no downgrade to unsigned
//! or MAVLink 1 once a vehicle signs, a signing timestamp that survives a restart, and the
//! command line's `--signing`, `--key` and `--keys-dir`.
//!
//! The vehicles here are frame encoders on UDP sockets (`FakeVehicle`), so that what each one
//! signs, and what it receives from Vigil, is under the test's control; the command-line test
//! uses the simulator, whose drones sign as ArduPilot does once given a key.

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use vigil_core::time::{MonoClock, TimeUs};
use vigil_link::LinkOptions;
use vigil_link::keys::{KeyStore, TIMESTAMP_FILE};
use vigil_protocol::signing::{SystemSigning, timestamp_at};
use vigil_protocol::{
    Frame, FrameEncoder, FrameParser, MavMessage, MavVersion, SecretKey, Signer, UnsignedPolicy,
    Verdict, Verifier, mav,
};
use vigil_station::signing::vehicle_signing;
use vigil_station::{GroundStation, Pipeline, PipelineConfig, Snapshot};
use vigil_world::command::Action;

/// ArduPilot copter's GUIDED and LAND.
const GUIDED: u32 = 4;
const LAND: u32 = 9;

fn heartbeat(custom_mode: u32) -> MavMessage {
    MavMessage::HEARTBEAT(mav::HEARTBEAT_DATA {
        custom_mode,
        mavtype: mav::MavType::MAV_TYPE_QUADROTOR,
        autopilot: mav::MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA,
        base_mode: mav::MavModeFlag::MAV_MODE_FLAG_CUSTOM_MODE_ENABLED,
        system_status: mav::MavState::MAV_STATE_ACTIVE,
        mavlink_version: 3,
    })
}

fn now() -> TimeUs {
    MonoClock::new().now()
}

fn start_signed(links: &[&str], keys: &Path, unsigned: UnsignedPolicy) -> Pipeline {
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

fn store_key(keys: &Path, sysid: u8) -> SecretKey {
    let key = SecretKey::generate().expect("a key");
    KeyStore::new(keys).store(sysid, &key).expect("stored");
    key
}

/// The signing of `sysid` on link `index`, once heard there.
fn on_link(snapshot: &Snapshot, index: usize, sysid: u8) -> Option<SystemSigning> {
    snapshot
        .links
        .get(index)?
        .signing
        .iter()
        .find(|s| s.sysid == sysid)
        .cloned()
}

fn mode(snapshot: &Snapshot, sysid: u8) -> Option<String> {
    snapshot
        .world
        .vehicles
        .get(&sysid)
        .map(|v| v.mode.to_string())
}

/// The signature timestamp of a signed frame.
fn timestamp_of(frame: &Frame) -> u64 {
    let raw = frame.raw();
    let mut bytes = [0u8; 8];
    bytes[..6].copy_from_slice(&raw[raw.len() - 12..raw.len() - 6]);
    u64::from_le_bytes(bytes)
}

/// What a fake vehicle received from Vigil.
#[derive(Debug, Default)]
struct Received {
    /// Frames addressed to this vehicle (or to everyone) that verified with its key.
    verified: u64,
    /// Frames addressed to this vehicle by system id that did not verify with its key.
    not_verified_to_me: u64,
    /// COMMAND_LONGs addressed to it that verified (each answered ACCEPTED).
    commands: u64,
    /// Signature timestamps of what verified.
    timestamps: Vec<u64>,
}

/// A vehicle made of a UDP socket and a frame encoder: sends a heartbeat every 100 ms (signed
/// when it has a key), checks what Vigil sends it with its key, and accepts every verified
/// command addressed to it.
struct FakeVehicle {
    socket: UdpSocket,
    sender: Arc<Mutex<(FrameEncoder, Option<Signer>)>>,
    received: Arc<Mutex<Received>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeVehicle {
    fn start(sysid: u8, key: Option<SecretKey>, vigil: SocketAddr, link_id: u8) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
        socket.connect(vigil).expect("connect");
        socket
            .set_read_timeout(Some(Duration::from_millis(20)))
            .expect("timeout");
        let signer = key
            .clone()
            .map(|k| Signer::new(k, link_id).with_initial_timestamp(timestamp_at(now())));
        let sender = Arc::new(Mutex::new((FrameEncoder::new(sysid, 1), signer)));
        let received = Arc::new(Mutex::new(Received::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let socket = socket.try_clone().expect("clone");
            let sender = sender.clone();
            let received = received.clone();
            let stop = stop.clone();
            std::thread::Builder::new()
                .name(format!("fake-vehicle-{sysid}"))
                .spawn(move || {
                    let mut verifier = Verifier::new(key, UnsignedPolicy::Reject);
                    let mut parser = FrameParser::new();
                    let mut buf = [0u8; 2048];
                    let mut next_beat = Instant::now();
                    while !stop.load(Ordering::Relaxed) {
                        if Instant::now() >= next_beat {
                            send(&socket, &sender, &heartbeat(GUIDED));
                            next_beat += Duration::from_millis(100);
                        }
                        let Ok(n) = socket.recv(&mut buf) else {
                            continue;
                        };
                        parser.push(&buf[..n]);
                        while let Some(Ok(frame)) = parser.next_frame() {
                            let Ok(message) = frame.decode() else {
                                continue;
                            };
                            let target = mavlink_core::Message::target_system_id(&message);
                            if target.is_some_and(|t| t != 0 && t != sysid) {
                                continue;
                            }
                            let ok = verifier.check(&frame, now()) == Verdict::Signed;
                            let mut got = received.lock().expect("lock");
                            if !ok {
                                if target == Some(sysid) {
                                    got.not_verified_to_me += 1;
                                }
                                continue;
                            }
                            got.verified += 1;
                            got.timestamps.push(timestamp_of(&frame));
                            if let MavMessage::COMMAND_LONG(command) = message {
                                got.commands += 1;
                                drop(got);
                                let ack = MavMessage::COMMAND_ACK(mav::COMMAND_ACK_DATA {
                                    command: command.command,
                                    result: mav::MavResult::MAV_RESULT_ACCEPTED,
                                    target_system: frame.sysid(),
                                    target_component: frame.compid(),
                                    ..Default::default()
                                });
                                send(&socket, &sender, &ack);
                            }
                        }
                    }
                })
                .expect("a thread")
        };
        Self {
            socket,
            sender,
            received,
            stop,
            thread: Some(thread),
        }
    }

    fn received(&self) -> std::sync::MutexGuard<'_, Received> {
        self.received.lock().expect("lock")
    }

    /// Sends one more message as this vehicle (signed when it has a key).
    fn send(&self, message: &MavMessage) {
        send(&self.socket, &self.sender, message);
    }
}

impl Drop for FakeVehicle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn send(socket: &UdpSocket, sender: &Mutex<(FrameEncoder, Option<Signer>)>, message: &MavMessage) {
    let mut sender = sender.lock().expect("lock");
    let (encoder, signer) = &mut *sender;
    let frame = match signer {
        Some(signer) => encoder.encode_signed(message, signer, now()),
        None => encoder.encode(message, MavVersion::V2),
    }
    .expect("encodes");
    let _ = socket.send(frame.raw());
}

/// Someone else on the link: sends frames with any identity, signed with any key or not.
struct Forger {
    socket: UdpSocket,
}

impl Forger {
    fn to(vigil: SocketAddr) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
        socket.connect(vigil).expect("connect");
        Self { socket }
    }

    fn signed(&self, sysid: u8, key: &SecretKey, message: &MavMessage) {
        let mut signer = Signer::new(key.clone(), 0).with_initial_timestamp(timestamp_at(now()));
        let frame = FrameEncoder::new(sysid, 1)
            .encode_signed(message, &mut signer, now())
            .expect("encodes");
        self.socket.send(frame.raw()).expect("send");
    }

    fn plain(&self, sysid: u8, compid: u8, message: &MavMessage, version: MavVersion) {
        let frame = FrameEncoder::new(sysid, compid)
            .encode(message, version)
            .expect("encodes");
        self.socket.send(frame.raw()).expect("send");
    }
}

#[test]
fn a_vehicle_heard_on_two_links_is_checked_on_both_and_a_forgery_on_the_second_is_caught() {
    let keys = tempfile::tempdir().expect("tempdir");
    let key = store_key(keys.path(), 1);
    // The default policy (flag) for systems that never signed.
    let pipeline = start_signed(
        &["udpin:127.0.0.1:0", "udpin:127.0.0.1:0"],
        keys.path(),
        UnsignedPolicy::Flag,
    );
    let station = pipeline.station();
    let (first, second) = (bound_addr(&station, 0), bound_addr(&station, 1));
    let vehicle = FakeVehicle::start(1, Some(key.clone()), first, 0);
    wait(&station, "the vehicle signing on the first link", |s| {
        mode(s, 1).as_deref() == Some("GUIDED")
            && on_link(s, 0, 1).is_some_and(|v| v.signing && v.counts.signed > 3)
    });

    // On the second link, where the vehicle was never heard: a forgery (its identity, another
    // key) and an unsigned frame claiming LAND. Both are caught.
    let forger = Forger::to(second);
    let wrong = SecretKey::from_bytes([0x13; 32]).expect("non-zero");
    for _ in 0..3 {
        forger.signed(1, &wrong, &heartbeat(LAND));
        forger.plain(1, 1, &heartbeat(LAND), MavVersion::V2);
    }
    let snapshot = wait(&station, "the forgeries refused on the second link", |s| {
        on_link(s, 1, 1).is_some_and(|v| v.counts.forged == 3 && v.counts.unsigned_refused == 3)
            && s.links[1].stats.forged == 3
            && s.links[1].stats.unsigned_rejected == 3
    });
    let there = on_link(&snapshot, 1, 1).expect("heard");
    assert_eq!(there.fingerprint, Some(key.fingerprint()));
    assert_eq!(there.counts.signed, 0);

    // The vehicle itself, now on the second link too, is taken there.
    let again = FakeVehicle::start(1, Some(key.clone()), second, 1);
    let snapshot = wait(&station, "the vehicle signing on the second link", |s| {
        on_link(s, 1, 1).is_some_and(|v| v.signing && v.counts.signed > 3)
    });
    assert_eq!(mode(&snapshot, 1).as_deref(), Some("GUIDED"));
    let per_link = vehicle_signing(&snapshot, 1);
    assert_eq!(per_link.len(), 2, "{per_link:?}");
    assert!(
        per_link
            .iter()
            .all(|(_, _, s)| s.fingerprint == Some(key.fingerprint()) && s.label() == "signed")
    );
    // The refusals are told, naming the system; the claimed LAND never showed.
    let later = wait(&station, "the refusals told", |s| {
        s.world
            .notices
            .iter()
            .any(|n| n.text.contains("REFUSED") && n.text.contains("by system: 1 (6)"))
    });
    assert_eq!(mode(&later, 1).as_deref(), Some("GUIDED"));
    drop((vehicle, again));
    pipeline.shutdown();
}

#[test]
fn two_signed_vehicles_share_a_link_each_with_its_own_key() {
    let keys = tempfile::tempdir().expect("tempdir");
    let (key1, key2) = (store_key(keys.path(), 1), store_key(keys.path(), 2));
    let pipeline = start_signed(&["udpin:127.0.0.1:0"], keys.path(), UnsignedPolicy::Reject);
    let station = pipeline.station();
    let vigil = bound_addr(&station, 0);
    let one = FakeVehicle::start(1, Some(key1.clone()), vigil, 0);
    let two = FakeVehicle::start(2, Some(key2.clone()), vigil, 0);
    let snapshot = wait(&station, "both vehicles signing", |s| {
        [1, 2]
            .iter()
            .all(|&id| on_link(s, 0, id).is_some_and(|v| v.signing && v.counts.signed > 3))
    });
    assert_eq!(snapshot.world.vehicles.len(), 2);
    assert_eq!(
        snapshot.links[0].stats.forged, 0,
        "neither is taken for a forgery"
    );
    assert_eq!(
        on_link(&snapshot, 0, 1).and_then(|v| v.fingerprint),
        Some(key1.fingerprint())
    );
    assert_eq!(
        on_link(&snapshot, 0, 2).and_then(|v| v.fingerprint),
        Some(key2.fingerprint())
    );
    // What goes to each is signed with its key: each takes its own command.
    accept(&station, 1, Action::Arm);
    accept(&station, 2, Action::Arm);
    // And the station's heartbeats reach both, signed with each one's key.
    let heard = |vehicle: &FakeVehicle| {
        let got = vehicle.received();
        got.verified > got.commands + 1
    };
    wait(&station, "heartbeats verified by both", |_| {
        heard(&one) && heard(&two)
    });
    assert_eq!(one.received().not_verified_to_me, 0);
    assert_eq!(two.received().not_verified_to_me, 0);
    // Each vehicle's identity with the other's key is a forgery.
    let forger = Forger::to(vigil);
    forger.signed(1, &key2, &heartbeat(LAND));
    wait(&station, "the cross-key forgery refused", |s| {
        on_link(s, 0, 1).is_some_and(|v| v.counts.forged == 1)
    });
    assert_eq!(station.snapshot().links[0].auth.label(), "signed");
    pipeline.shutdown();
}

#[test]
fn a_mavlink_1_heartbeat_from_a_signing_vehicle_is_refused_whatever_the_policy() {
    let keys = tempfile::tempdir().expect("tempdir");
    let key = store_key(keys.path(), 1);
    // Even `accept`, which takes unsigned frames from systems that never signed.
    let pipeline = start_signed(&["udpin:127.0.0.1:0"], keys.path(), UnsignedPolicy::Accept);
    let station = pipeline.station();
    let vigil = bound_addr(&station, 0);
    let forger = Forger::to(vigil);
    // Before the vehicle signs, the policy takes its unsigned frames.
    forger.plain(1, 1, &heartbeat(GUIDED), MavVersion::V1);
    wait(&station, "the unsigned vehicle taken", |s| {
        mode(s, 1).as_deref() == Some("GUIDED")
    });
    let _vehicle = FakeVehicle::start(1, Some(key), vigil, 0);
    wait(&station, "the vehicle signing", |s| {
        on_link(s, 0, 1).is_some_and(|v| v.signing)
    });
    forger.plain(1, 1, &heartbeat(LAND), MavVersion::V1);
    forger.plain(1, 1, &heartbeat(LAND), MavVersion::V2);
    // The radio's RADIO_STATUS, unsigned MAVLink 1 from 51/68, is still taken.
    let radio = MavMessage::RADIO_STATUS(mav::RADIO_STATUS_DATA {
        rssi: 200,
        ..Default::default()
    });
    forger.plain(51, 68, &radio, MavVersion::V1);
    let snapshot = wait(&station, "the downgrade refused", |s| {
        on_link(s, 0, 1).is_some_and(|v| v.counts.unsigned_refused == 2)
            && on_link(s, 0, 51).is_some_and(|v| v.counts.unchecked == 1)
            && s.links[0].stats.unsigned_rejected == 2
    });
    assert_eq!(
        on_link(&snapshot, 0, 51).expect("radio").counts.refused(),
        0
    );
    let seq = snapshot.seq;
    let later = wait(&station, "more snapshots", |s| s.seq > seq + 5);
    assert_eq!(mode(&later, 1).as_deref(), Some("GUIDED"));
    pipeline.shutdown();
}

/// Runs a pipeline on `keys` with a signed vehicle until Vigil has sent it a few signed frames;
/// returns their timestamps.
fn signed_timestamps(keys: &Path, key: &SecretKey) -> Vec<u64> {
    let pipeline = start_signed(&["udpin:127.0.0.1:0"], keys, UnsignedPolicy::Reject);
    let station = pipeline.station();
    let vehicle = FakeVehicle::start(1, Some(key.clone()), bound_addr(&station, 0), 0);
    let deadline = Instant::now() + TIMEOUT;
    while vehicle.received().timestamps.len() < 2 {
        assert!(Instant::now() < deadline, "no signed frame from Vigil");
        std::thread::sleep(Duration::from_millis(20));
    }
    pipeline.shutdown();
    vehicle.received().timestamps.clone()
}

#[test]
fn a_restart_does_not_reuse_a_signing_timestamp() {
    let keys = tempfile::tempdir().expect("tempdir");
    let key = store_key(keys.path(), 1);
    let first = signed_timestamps(keys.path(), &key);
    assert!(first.windows(2).all(|w| w[0] < w[1]), "{first:?}");
    let file = keys.path().join(TIMESTAMP_FILE);
    let stored: u64 = std::fs::read_to_string(&file)
        .expect("the timestamp kept beside the keys")
        .trim()
        .parse()
        .expect("a number");
    let last = *first.last().expect("some");
    assert!(stored > last, "kept {stored}, used up to {last}");

    // As if the station's clock were now an hour behind what it last used: the kept
    // timestamp, not the clock, decides where the next run starts.
    let ahead = timestamp_at(now()) + 360_000_000;
    std::fs::write(&file, format!("{ahead}\n")).expect("write");
    let second = signed_timestamps(keys.path(), &key);
    assert!(
        second.iter().all(|&t| t >= ahead),
        "after the restart {second:?}, kept {ahead}"
    );
    let stored: u64 = std::fs::read_to_string(&file)
        .expect("kept")
        .trim()
        .parse()
        .expect("a number");
    assert!(stored > *second.last().expect("some"));
}

#[test]
fn an_unreadable_key_file_refuses_the_vehicle_and_names_the_file() {
    use std::os::unix::fs::PermissionsExt;
    let keys = tempfile::tempdir().expect("tempdir");
    store_key(keys.path(), 3);
    let path = KeyStore::new(keys.path()).path_for(3);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let pipeline = start_signed(&["udpin:127.0.0.1:0"], keys.path(), UnsignedPolicy::Accept);
    let station = pipeline.station();
    let forger = Forger::to(bound_addr(&station, 0));
    forger.plain(3, 1, &heartbeat(GUIDED), MavVersion::V2);
    let snapshot = wait(&station, "the refusal told", |s| {
        s.world
            .notices
            .iter()
            .any(|n| n.text.contains("system-3.key"))
            && s.links[0].stats.unverifiable == 1
    });
    assert!(snapshot.world.vehicles.is_empty());
    let view = on_link(&snapshot, 0, 3).expect("heard");
    assert_eq!(view.label(), "refused");
    assert_eq!(view.counts.unverifiable, 1);
    pipeline.shutdown();
}

/// Runs `vigil` with HOME and XDG_DATA_HOME pointed at `home`, so that nothing touches the
/// user's own folders; returns (success, stdout, stderr).
fn vigil(home: &Path, args: &[&str]) -> (bool, String, String) {
    let output = std::process::Command::new(vigil_bin())
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .output()
        .expect("vigil runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_command_line_sets_the_keys_folder_a_key_file_and_the_policy() {
    use vigil_sim::{SimRunner, SimTransport, SimVehicle};
    let home = tempfile::tempdir().expect("tempdir");
    let keys = tempfile::tempdir().expect("tempdir");
    let empty = tempfile::tempdir().expect("tempdir");
    let keys_dir = keys.path().display().to_string();
    let empty_dir = empty.path().display().to_string();

    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let port = socket.local_addr().expect("addr").port();
    let _sim = SimRunner::start(
        SimVehicle::new(vehicle_config(4)),
        SimTransport::Udp {
            socket,
            peer: None,
            learn: true,
        },
        MavVersion::V2,
    )
    .expect("sim");
    let drone = format!("udpout:127.0.0.1:{port}");

    // signing-setup stores the key under --keys-dir, not in the home folder.
    let (ok, out, err) = vigil(
        home.path(),
        &[
            "cmd",
            "--link",
            &drone,
            "--keys-dir",
            &keys_dir,
            "--target",
            "4",
            "signing-setup",
        ],
    );
    assert!(ok, "{out}\n{err}");
    let key_file = KeyStore::new(keys.path()).path_for(4);
    assert!(key_file.exists());
    assert!(
        !home.path().join("data").exists() && !home.path().join(".local").exists(),
        "nothing written under HOME"
    );

    // The drone now refuses unsigned commands: with the key given by --key (and an empty keys
    // folder), the station signs and the command is accepted.
    let key_arg = key_file.display().to_string();
    let (ok, out, err) = vigil(
        home.path(),
        &[
            "cmd",
            "--link",
            &drone,
            "--keys-dir",
            &empty_dir,
            "--key",
            &key_arg,
            "--signing",
            "reject",
            "--target",
            "4",
            "mode",
            "GUIDED",
        ],
    );
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("accepted"), "{out}");
    let (ok, out, err) = vigil(
        home.path(),
        &[
            "cmd",
            "--link",
            &drone,
            "--keys-dir",
            &empty_dir,
            "--key",
            &format!("4={key_arg}"),
            "--signing",
            "1=flag",
            "--target",
            "4",
            "mode",
            "LOITER",
        ],
    );
    assert!(ok, "{out}\n{err}");

    // Bad arguments fail, naming what is wrong.
    for (args, expected) in [
        (vec!["--signing", "2=reject"], "no link 2"),
        (vec!["--signing", "sometimes"], "accept, flag or reject"),
        (
            vec!["--key", "/nonexistent/system-4.key"],
            "/nonexistent/system-4.key",
        ),
    ] {
        let mut all = vec![
            "cmd",
            "--link",
            &drone,
            "--keys-dir",
            &empty_dir,
            "--wait",
            "1",
        ];
        all.extend(args.iter().copied());
        all.extend(["--target", "4", "arm"]);
        let (ok, out, err) = vigil(home.path(), &all);
        assert!(!ok, "{all:?} succeeded: {out}");
        assert!(err.contains(expected), "{all:?}: {err}");
    }

    // `vigil run`: every system is checked with the --key; a rogue's unsigned heartbeats are
    // refused by --signing 1=reject and counted on the status line.
    let port = free_udp_port();
    let rogue = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let stop = stop.clone();
        std::thread::Builder::new()
            .name("rogue".into())
            .spawn(move || {
                let mut encoder = FrameEncoder::new(9, 1);
                while !stop.load(Ordering::Relaxed) {
                    let frame = encoder
                        .encode(&heartbeat(GUIDED), MavVersion::V2)
                        .expect("encodes");
                    let _ = rogue.send_to(frame.raw(), ("127.0.0.1", port));
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
            .expect("a thread")
    };
    let (ok, out, err) = vigil(
        home.path(),
        &[
            "run",
            "--headless",
            "--no-record",
            "--duration",
            "3",
            "--link",
            &format!("udpin:127.0.0.1:{port}"),
            "--keys-dir",
            &empty_dir,
            "--key",
            &key_arg,
            "--signing",
            "1=reject",
        ],
    );
    stop.store(true, Ordering::Relaxed);
    sender.join().expect("sender");
    assert!(ok, "{out}\n{err}");
    let key = vigil_link::keys::read_key_file(&key_file).expect("key");
    let last = out
        .lines()
        .rev()
        .find(|l| l.contains("refused]"))
        .unwrap_or_default();
    assert!(last.contains(&key.fingerprint()), "{out}");
    assert!(last.contains("vehicles 0"), "{out}");
    assert!(!last.contains(" 0 refused]"), "{out}");

    // And --help says how.
    let (ok, out, _) = vigil(home.path(), &["run", "--help"]);
    assert!(ok && out.contains("--signing") && out.contains("--keys-dir") && out.contains("--key"));
}

#[test]
fn refused_frames_are_counted_per_vehicle_in_the_snapshot() {
    // The API the console reads: LinkView::signing, per system, and vehicle_signing.
    let keys = tempfile::tempdir().expect("tempdir");
    let key = store_key(keys.path(), 5);
    let pipeline = start_signed(&["udpin:127.0.0.1:0"], keys.path(), UnsignedPolicy::Flag);
    let station: GroundStation = pipeline.station();
    let vigil = bound_addr(&station, 0);
    let vehicle = FakeVehicle::start(5, Some(key.clone()), vigil, 0);
    let forger = Forger::to(vigil);
    wait(&station, "signing", |s| {
        on_link(s, 0, 5).is_some_and(|v| v.signing)
    });
    forger.signed(
        5,
        &SecretKey::from_bytes([7; 32]).expect("non-zero"),
        &heartbeat(LAND),
    );
    forger.plain(6, 1, &heartbeat(GUIDED), MavVersion::V2);
    let snapshot = wait(&station, "the counts", |s| {
        on_link(s, 0, 5).is_some_and(|v| v.counts.forged == 1)
            && on_link(s, 0, 6).is_some_and(|v| v.counts.unsigned_accepted == 1)
    });
    let five = vehicle_signing(&snapshot, 5);
    assert_eq!(five.len(), 1);
    assert_eq!(five[0].2.counts.refused(), 1);
    assert_eq!(five[0].2.fingerprint, Some(key.fingerprint()));
    // System 6 has no key: flagged (the link is mixed), and no fingerprint.
    let six = on_link(&snapshot, 0, 6).expect("heard");
    assert_eq!(six.fingerprint, None);
    assert_eq!(six.label(), "unsigned");
    assert_eq!(snapshot.links[0].auth.label(), "mixed");
    // The vehicle's own frames are still taken.
    let signed = on_link(&snapshot, 0, 5).expect("heard").counts.signed;
    vehicle.send(&heartbeat(GUIDED));
    wait(&station, "its frames taken", |s| {
        on_link(s, 0, 5).is_some_and(|v| v.counts.signed > signed)
    });
    pipeline.shutdown();
}
