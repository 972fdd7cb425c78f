use super::*;
use vigil_protocol::signing::KEY_LEN;
use vigil_protocol::{FrameParser, Verdict, Verifier};

const NOW: TimeUs = TimeUs(1_763_856_000_000_000); // 2025-11-23

fn key(byte: u8) -> SecretKey {
    SecretKey::from_bytes([byte; KEY_LEN]).expect("non-zero")
}

fn signing(dir: &std::path::Path, persist: bool) -> LinkSigning {
    let ring = key_ring(dir.to_owned(), &SigningConfig::default());
    LinkSigning::new(ring, persist)
}

fn to(link: u16, target: u8) -> Outgoing {
    Outgoing {
        link: LinkId(link),
        version: MavVersion::V2,
        message: MavMessage::COMMAND_LONG(mav::COMMAND_LONG_DATA {
            command: mav::MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
            target_system: target,
            target_component: 1,
            ..Default::default()
        }),
    }
}

fn everyone(link: u16) -> Outgoing {
    Outgoing {
        link: LinkId(link),
        version: MavVersion::V2,
        message: MavMessage::HEARTBEAT(mav::HEARTBEAT_DATA::default()),
    }
}

fn parsed(frame: &Frame) -> Frame {
    let mut parser = FrameParser::new();
    parser.push(frame.raw());
    parser.next_frame().expect("a frame").expect("valid")
}

fn verifies(frame: &Frame, key: &SecretKey) -> bool {
    let mut verifier = Verifier::new(Some(key.clone()), UnsignedPolicy::Reject);
    verifier.check(&parsed(frame), NOW) == Verdict::Signed
}

fn timestamp_of(frame: &Frame) -> u64 {
    let raw = frame.raw();
    let mut bytes = [0u8; 8];
    bytes[..6].copy_from_slice(&raw[raw.len() - 12..raw.len() - 6]);
    u64::from_le_bytes(bytes)
}

fn link_handle(
    ring: &Arc<KeyRing>,
    capacity: usize,
) -> (LinkHandle, tokio::sync::mpsc::Receiver<Frame>) {
    LinkHandle::detached(
        LinkId(0),
        "udpin:127.0.0.1:0".parse().expect("address"),
        Verifier::with_source(ring.clone(), UnsignedPolicy::Reject),
        capacity,
    )
}

fn heartbeat_of(sysid: u8, signer: Option<&mut Signer>, at: TimeUs) -> Frame {
    let message = MavMessage::HEARTBEAT(mav::HEARTBEAT_DATA {
        mavtype: mav::MavType::MAV_TYPE_QUADROTOR,
        autopilot: mav::MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA,
        ..Default::default()
    });
    let mut encoder = FrameEncoder::new(sysid, 1);
    let frame = match signer {
        Some(signer) => encoder.encode_signed(&message, signer, at),
        None => encoder.encode(&message, MavVersion::V2),
    }
    .expect("encodes");
    parsed(&frame)
}

/// A world that heard vehicle `sysid` on link 0.
fn world_with(sysid: u8) -> World {
    let mut world = World::new();
    let frame = heartbeat_of(sysid, None, NOW);
    let message = frame.decode().expect("decodes");
    world.apply(&vigil_link::Envelope {
        link: LinkId(0),
        rx: vigil_link::RxStamp {
            time: NOW,
            mono: std::time::Instant::now(),
        },
        frame,
        message,
    });
    assert!(world.vehicles.contains_key(&sysid));
    world
}

fn after(secs: f64) -> TimeUs {
    NOW.plus(std::time::Duration::from_secs_f64(secs))
}

#[test]
fn a_setup_whose_frame_cannot_be_queued_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut signing = signing(dir.path(), false);
    let (handle, _queue) = link_handle(signing.ring(), 1);
    // The queue is full.
    assert!(handle.send(heartbeat_of(255, None, NOW)));
    let links = [handle];
    let world = world_with(1);
    let (reply, _answer) = crossbeam_channel::bounded(1);
    let mut encoder = FrameEncoder::new(255, 190);
    let err = signing
        .setup(&world, &links, &mut encoder, 1, NOW, reply)
        .expect_err("queue full");
    assert!(matches!(err, SigningError::QueueFull { .. }), "{err}");
    assert!(
        !KeyStore::new(dir.path()).path_for(1).exists(),
        "not stored"
    );
    assert_eq!(signing.ring().lookup(1), Ok(None));
    assert_eq!(links[0].key_change(1), KeyChangeState::None);
    assert_eq!(links[0].key_for(1), None);
}

#[test]
fn a_setup_answers_once_the_vehicle_signs_with_the_new_key_and_resends_until_then() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut signing = signing(dir.path(), false);
    let (handle, mut queue) = link_handle(signing.ring(), 16);
    let links = [handle];
    let world = world_with(1);
    // Heard unsigned before (the link has no key: taken unchecked).
    let check = |frame: &Frame, at: TimeUs| {
        links[0]
            .signing
            .lock()
            .expect("lock")
            .check(&parsed(frame), at)
    };
    assert_eq!(check(&heartbeat_of(1, None, NOW), NOW), Verdict::Unchecked);
    let (reply, answer) = crossbeam_channel::bounded(1);
    let mut encoders = [FrameEncoder::new(255, 190)];
    let text = signing
        .setup(&world, &links, &mut encoders[0], 1, NOW, reply)
        .expect("started");
    let key = KeyStore::new(dir.path())
        .load(1)
        .expect("readable")
        .expect("stored once queued");
    assert!(text.contains(&key.fingerprint()), "{text}");
    assert!(queue.try_recv().is_ok_and(|f| f.msgid() == 256));
    assert!(answer.try_recv().is_err(), "no answer before it signs");
    // Its unsigned frames are still taken meanwhile, and what goes to it is unsigned.
    assert_eq!(check(&heartbeat_of(1, None, NOW), NOW), Verdict::Unchecked);
    assert!(!signing.signs_to(LinkId(0), 1));
    // No frame with the new key: sent again, spaced.
    assert!(signing.poll(&links, &mut encoders, after(0.5)).is_empty());
    assert!(queue.try_recv().is_err());
    signing.poll(&links, &mut encoders, after(2.0));
    assert!(queue.try_recv().is_ok_and(|f| f.msgid() == 256));
    // A frame signed with the new key: confirmed, answered, and signed from now on.
    let mut signer = Signer::new(key.clone(), 0).with_initial_timestamp(timestamp_at(NOW));
    assert_eq!(
        check(&heartbeat_of(1, Some(&mut signer), after(2.5)), after(2.5)),
        Verdict::Signed
    );
    let told = signing.poll(&links, &mut encoders, after(2.6));
    assert_eq!(told.len(), 1);
    let answered = answer.try_recv().expect("answered").expect("set up");
    assert!(answered.contains(&key.fingerprint()), "{answered}");
    assert!(signing.signs_to(LinkId(0), 1));
    assert_eq!(links[0].key_change(1), KeyChangeState::None);
    // Unsigned frames from it are refused now, and nothing more is sent.
    assert_eq!(
        check(&heartbeat_of(1, None, after(3.0)), after(3.0)),
        Verdict::Rejected(vigil_protocol::signing::Rejection::Unsigned)
    );
    assert!(signing.poll(&links, &mut encoders, after(10.0)).is_empty());
    assert!(queue.try_recv().is_err());
}

#[test]
fn a_vehicle_that_keeps_its_previous_key_after_every_send_gets_it_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old = key(1);
    KeyStore::new(dir.path()).store(1, &old).expect("stored");
    let mut signing = signing(dir.path(), false);
    let (handle, mut queue) = link_handle(signing.ring(), 16);
    let links = [handle];
    let world = world_with(1);
    let mut vehicle = Signer::new(old.clone(), 0).with_initial_timestamp(timestamp_at(NOW));
    let mut hear_old = |at: TimeUs| {
        let frame = heartbeat_of(1, Some(&mut vehicle), at);
        links[0].signing.lock().expect("lock").check(&frame, at)
    };
    assert_eq!(hear_old(NOW), Verdict::Signed);
    assert!(signing.on_frame(&links, LinkId(0), 1).is_some());
    let (reply, answer) = crossbeam_channel::bounded(1);
    let mut encoders = [FrameEncoder::new(255, 190)];
    signing
        .setup(&world, &links, &mut encoders[0], 1, NOW, reply)
        .expect("started");
    // SETUP_SIGNING goes signed with the key the vehicle has.
    let setup = queue.try_recv().expect("sent");
    assert!(verifies(&setup, &old));
    let mut sends = 1;
    for step in 1..=8 {
        let at = after(f64::from(step));
        assert_eq!(hear_old(at), Verdict::Signed, "the old key still works");
        signing.poll(&links, &mut encoders, at);
        while queue.try_recv().is_ok() {
            sends += 1;
        }
    }
    assert_eq!(sends, SETUP_SENDS);
    let err = answer.try_recv().expect("answered").expect_err("not taken");
    assert_eq!(
        err,
        crate::SigningSetupError::NotTaken {
            sysid: 1,
            sends: SETUP_SENDS,
            restore_failed: None
        }
    );
    assert!(
        err.to_string().contains("did not take the new key"),
        "{err}"
    );
    // Back to the previous key: in the link's check, in the ring and on disk.
    assert_eq!(links[0].key_for(1), Some(old.clone()));
    assert_eq!(links[0].key_change(1), KeyChangeState::None);
    assert_eq!(signing.ring().lookup(1), Ok(Some(old.clone())));
    assert_eq!(KeyStore::new(dir.path()).load(1).expect("reads"), Some(old));
}

#[test]
fn a_failing_timestamp_write_is_told_once_and_retried_only_every_few_seconds() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The keys "folder" is a file: nothing can be written under it.
    let blocked = dir.path().join("keys");
    std::fs::write(&blocked, "not a folder").expect("write");
    let mut signing = signing(&blocked, true);
    signing.keys.insert((LinkId(0), 1), key(1));
    let mut encoder = FrameEncoder::new(255, 190);
    for i in 0..50 {
        let at = NOW.plus(std::time::Duration::from_millis(i * 100));
        signing
            .encode(&mut encoder, &to(0, 1), at)
            .expect("encodes");
    }
    // Told once (besides the failed read at the start).
    let writes: Vec<&String> = signing
        .notices
        .iter()
        .filter(|n| n.contains("cannot write signing timestamp"))
        .collect();
    assert_eq!(writes.len(), 1, "{:?}", signing.notices);
    assert_eq!(signing.reserved, 0);
    // The folder comes back: not tried before the backoff ends, then written.
    std::fs::remove_file(&blocked).expect("rm");
    signing
        .encode(&mut encoder, &to(0, 1), after(9.0))
        .expect("encodes");
    assert_eq!(signing.reserved, 0);
    signing
        .encode(&mut encoder, &to(0, 1), after(10.0))
        .expect("encodes");
    assert!(signing.reserved > 0);
    assert!(blocked.join(vigil_link::keys::TIMESTAMP_FILE).exists());
    // A failing save is an error naming the file, not silence.
    std::fs::remove_dir_all(&blocked).expect("rm");
    std::fs::write(&blocked, "not a folder").expect("write");
    let err = signing.save().expect_err("cannot write");
    assert!(err.to_string().contains("signing-timestamp"), "{err}");
}

#[test]
fn refusals_are_worded_by_their_cause() {
    let view = |forged, unverifiable| crate::LinkView {
        id: LinkId(0),
        address: "udpin:127.0.0.1:0".parse().expect("address"),
        stats: vigil_link::LinkStatsSnapshot {
            forged,
            unverifiable,
            ..Default::default()
        },
        auth: vigil_link::LinkAuth::Unsigned,
        health: vigil_world::Health::Fresh,
        ended: false,
        signing: Vec::new(),
    };
    let mut watch = RefusalWatch::default();
    let told = watch.check(&[view(0, 3)], NOW);
    assert_eq!(told.len(), 1);
    assert!(
        told[0].1.contains("3 that could not be checked"),
        "{}",
        told[0].1
    );
    assert!(!told[0].1.contains("without the key"), "{}", told[0].1);
    assert!(told[0].1.contains("cannot read"), "{}", told[0].1);
    let told = watch.check(&[view(2, 3)], after(11.0));
    assert!(told[0].1.contains("2 forged"), "{}", told[0].1);
    assert!(told[0].1.contains("without the key"), "{}", told[0].1);
    assert!(!told[0].1.contains("could not be checked"), "{}", told[0].1);
}

#[test]
fn each_vehicle_gets_frames_signed_with_its_own_key_and_broadcasts_one_per_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut signing = signing(dir.path(), false);
    signing.keys.insert((LinkId(0), 1), key(1));
    signing.keys.insert((LinkId(0), 2), key(2));
    let mut encoder = FrameEncoder::new(255, 190);
    let one = signing
        .encode(&mut encoder, &to(0, 1), NOW)
        .expect("encodes");
    assert_eq!(one.len(), 1);
    assert!(verifies(&one[0], &key(1)) && !verifies(&one[0], &key(2)));
    let two = signing
        .encode(&mut encoder, &to(0, 2), NOW)
        .expect("encodes");
    assert!(verifies(&two[0], &key(2)));
    // A system without a key, or another link: unsigned.
    let three = signing
        .encode(&mut encoder, &to(0, 3), NOW)
        .expect("encodes");
    assert!(!three[0].is_signed());
    let other = signing
        .encode(&mut encoder, &to(1, 1), NOW)
        .expect("encodes");
    assert!(!other[0].is_signed());
    // A heartbeat: once per key, so that each vehicle takes one.
    let beats = signing
        .encode(&mut encoder, &everyone(0), NOW)
        .expect("encodes");
    assert_eq!(beats.len(), 2);
    assert!(verifies(&beats[0], &key(1)) && verifies(&beats[1], &key(2)));
    let plain = signing
        .encode(&mut encoder, &everyone(1), NOW)
        .expect("encodes");
    assert_eq!(plain.len(), 1);
    assert!(!plain[0].is_signed());
    // One timeline for all keys: every frame's timestamp is newer than the last.
    let stamps: Vec<u64> = one
        .iter()
        .chain(&two)
        .chain(&beats)
        .map(timestamp_of)
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] < w[1]), "{stamps:?}");
    assert!(signing.signs(LinkId(0)) && !signing.signs(LinkId(1)));
    assert!(signing.signs_to(LinkId(0), 2) && !signing.signs_to(LinkId(0), 3));
    // Not persisting: nothing written beside the keys.
    drop(signing);
    assert!(!dir.path().join(vigil_link::keys::TIMESTAMP_FILE).exists());
}

#[test]
fn the_signing_timestamp_never_goes_back_across_a_restart_or_a_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut encoder = FrameEncoder::new(255, 190);
    let mut first = signing(dir.path(), true);
    first.keys.insert((LinkId(0), 1), key(1));
    let frames = first.encode(&mut encoder, &to(0, 1), NOW).expect("encodes");
    let used = timestamp_of(&frames[0]);
    assert_eq!(used, timestamp_at(NOW));
    drop(first);
    let file = KeyStore::new(dir.path()).timestamp_file();
    let stored = file.load().expect("readable").expect("written at the end");
    assert!(stored > used);

    // Restarted with a clock an hour behind: still newer.
    let behind = TimeUs(NOW.0 - 3_600_000_000);
    let mut second = signing(dir.path(), true);
    second.keys.insert((LinkId(0), 1), key(1));
    let frames = second
        .encode(&mut encoder, &to(0, 1), behind)
        .expect("encodes");
    let after_restart = timestamp_of(&frames[0]);
    assert!(after_restart > used, "{after_restart} after {used}");
    // Killed without saving: the reservation on disk is beyond what it used.
    let more = second
        .encode(&mut encoder, &to(0, 1), behind)
        .expect("encodes");
    let last = timestamp_of(&more[0]);
    std::mem::forget(second);
    let reserved = file.load().expect("readable").expect("reserved");
    assert!(reserved > last);
    let mut third = signing(dir.path(), true);
    third.keys.insert((LinkId(0), 1), key(1));
    let frames = third
        .encode(&mut encoder, &to(0, 1), behind)
        .expect("encodes");
    assert!(timestamp_of(&frames[0]) > last);
    // Writes are rare: one reservation covers TIMESTAMP_RESERVE of signing.
    let before = file.load().expect("readable");
    let later = TimeUs(behind.0 + 1_000_000);
    third
        .encode(&mut encoder, &to(0, 1), later)
        .expect("encodes");
    assert_eq!(file.load().expect("readable"), before);
}

#[test]
fn an_unreadable_timestamp_is_told() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(vigil_link::keys::TIMESTAMP_FILE), "later").expect("w");
    let signing = &mut signing(dir.path(), true);
    let text = signing.notices.pop().expect("a notice");
    assert!(text.contains("signing-timestamp"), "{text}");
}

#[test]
fn signing_arguments_name_links_by_position_or_address_and_read_private_keys() {
    use std::os::unix::fs::PermissionsExt;
    let links: Vec<vigil_core::address::LinkAddress> =
        ["udpin:0.0.0.0:14550", "tcp:127.0.0.1:5760"]
            .iter()
            .map(|l| l.parse().expect("address"))
            .collect();
    let mut config = SigningConfig::default();
    let mut all = UnsignedPolicy::Flag;
    config
        .apply_policy_arg("reject", &links, &mut all)
        .expect("ok");
    assert_eq!(all, UnsignedPolicy::Reject);
    config
        .apply_policy_arg("2=accept", &links, &mut all)
        .expect("ok");
    config
        .apply_policy_arg("udpin:0.0.0.0:14550=flag", &links, &mut all)
        .expect("ok");
    assert_eq!(
        config.policies,
        BTreeMap::from([(0, UnsignedPolicy::Flag), (1, UnsignedPolicy::Accept)])
    );
    for bad in [
        "3=reject",
        "0=reject",
        "sometimes",
        "1=maybe",
        "udpin:1.2.3.4:1=flag",
    ] {
        assert!(
            config.apply_policy_arg(bad, &links, &mut all).is_err(),
            "{bad}"
        );
    }
    let base = LinkOptions::default();
    let ring = key_ring("/nonexistent".into(), &config);
    assert_eq!(
        link_options(&base, &config, 1, &ring).unsigned,
        UnsignedPolicy::Accept
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let path = KeyStore::new(dir.path()).store(4, &key(4)).expect("stored");
    let arg = path.display().to_string();
    config.apply_key_arg(&arg).expect("a key for all");
    config
        .apply_key_arg(&format!("7={arg}"))
        .expect("a key for 7");
    assert_eq!(config.default_key, Some(key(4)));
    assert_eq!(config.keys.get(&7), Some(&key(4)));
    assert!(config.apply_key_arg(&arg).is_err(), "one default key only");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let err = config
        .apply_key_arg(&format!("8={arg}"))
        .expect_err("exposed");
    assert!(
        err.contains("system-4.key") && !err.contains(&key(4).to_hex()),
        "{err}"
    );
    assert!(config.apply_key_arg("/nonexistent/key").is_err());
}
