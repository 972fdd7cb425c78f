//! The world thread's side of MAVLink signing: which key signs what goes out to each vehicle,
//! keys learnt from the links' verifiers when a vehicle is heard on a link, SETUP_SIGNING to
//! give a vehicle a new key over a trusted link, and the station's signing timestamp, kept on
//! disk so that it never goes back across a restart. The link tasks check received frames
//! (`LinkHandle::signing`, each system against its own key from the [`KeyRing`]); this part
//! signs and installs keys.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::command::{Outgoing, Route};
use crate::link::keys::{KeyRing, KeyStore, TimestampFile};
use crate::link::{LinkHandle, LinkOptions};
use crate::pipeline::LinkId;
use crate::protocol::frame::EncodeError;
use crate::protocol::signing::{SystemSigning, timestamp_at};
use crate::protocol::{
    Frame, FrameEncoder, MavMessage, MavVersion, SecretKey, Signer, UnsignedPolicy, mav,
};
use crate::time::TimeUs;
use crate::world::World;

/// Refused frames on a link are told to the operator at most this often.
pub const REFUSAL_NOTICE_PERIOD: std::time::Duration = std::time::Duration::from_secs(10);

/// The signing timestamp on disk is a reservation this far (10 s, in 10 µs units) ahead of
/// the last one used: it is rewritten when the timestamps reach it (so at most every 10 s
/// while signing), and a restart, even after `kill -9`, starts beyond it.
pub const TIMESTAMP_RESERVE: u64 = 1_000_000;

/// Signing as the command line sets it (`--signing`, `--key`); see [`LinkOptions::unsigned`]
/// for the policy of every link.
#[derive(Debug, Clone, Default)]
pub struct SigningConfig {
    /// Per link, by its index in `PipelineConfig::links`: the unsigned policy instead of
    /// `link_options.unsigned`.
    pub policies: BTreeMap<usize, UnsignedPolicy>,
    /// `--key FILE`: the key of every system that has none of its own.
    pub default_key: Option<SecretKey>,
    /// `--key SYSID=FILE`: the key of one system, before its key file.
    pub keys: BTreeMap<u8, SecretKey>,
}

/// The key ring of a pipeline: its keys folder and the keys of the command line.
pub fn key_ring(keys_dir: std::path::PathBuf, config: &SigningConfig) -> Arc<KeyRing> {
    Arc::new(KeyRing::new(
        KeyStore::new(keys_dir),
        config.default_key.clone(),
        config.keys.clone(),
    ))
}

/// The options of link `index`: the pipeline's, with the link's own policy and the key ring.
pub fn link_options(
    base: &LinkOptions,
    config: &SigningConfig,
    index: usize,
    ring: &Arc<KeyRing>,
) -> LinkOptions {
    LinkOptions {
        unsigned: config
            .policies
            .get(&index)
            .copied()
            .unwrap_or(base.unsigned),
        keys: Some(ring.clone()),
        ..base.clone()
    }
}

/// How vehicle `sysid` signs on each link it was heard on: (link, what its verifier knows).
/// The console shows this per vehicle; `LinkView::signing` holds the same per link.
pub fn vehicle_signing(
    snapshot: &super::Snapshot,
    sysid: u8,
) -> Vec<(LinkId, crate::link::LinkAddress, SystemSigning)> {
    snapshot
        .links
        .iter()
        .filter_map(|link| {
            link.signing
                .iter()
                .find(|s| s.sysid == sysid)
                .map(|s| (link.id, link.address.clone(), s.clone()))
        })
        .collect()
}

/// Watches the links' refusal counters (forged, replayed, unsigned refused) and says when they
/// grow, at most once per [`REFUSAL_NOTICE_PERIOD`] a link.
#[derive(Debug, Default)]
pub struct RefusalWatch {
    /// Per link: the counts last told, and when.
    told: BTreeMap<LinkId, ([u64; 4], TimeUs)>,
}

impl RefusalWatch {
    /// Notices for links whose refusals grew since they were last told.
    pub fn check(&mut self, views: &[super::LinkView], now: TimeUs) -> Vec<(LinkId, String)> {
        let mut notices = Vec::new();
        for view in views {
            let counts = [
                view.stats.forged,
                view.stats.replayed,
                view.stats.unsigned_rejected,
                view.stats.unverifiable,
            ];
            let (told, at) = self.told.get(&view.id).copied().unwrap_or_default();
            if counts == told || (at != TimeUs(0) && now.since(at) < REFUSAL_NOTICE_PERIOD) {
                continue;
            }
            let [forged, replayed, unsigned, unverifiable] =
                [0, 1, 2, 3].map(|i| counts[i] - told[i]);
            let mut text = format!(
                "{}: REFUSED {forged} forged, {replayed} replayed and {unsigned} unsigned frames",
                view.address
            );
            if unverifiable > 0 {
                text.push_str(&format!(", and {unverifiable} that could not be checked"));
            }
            let who: Vec<String> = view
                .signing
                .iter()
                .filter(|s| s.counts.refused() > 0)
                .map(|s| format!("{} ({})", s.sysid, s.counts.refused()))
                .collect();
            if !who.is_empty() {
                text.push_str(&format!("; refused in all, by system: {}", who.join(", ")));
            }
            text.push_str(" (someone without the key is sending?)");
            notices.push((view.id, text));
            self.told.insert(view.id, (counts, now));
        }
        notices
    }
}

/// What happened that the operator should know.
pub type SigningNotice = String;

/// Keys and signers of the pipeline's links, and the station's signing timestamp.
#[derive(Debug)]
pub struct LinkSigning {
    ring: Arc<KeyRing>,
    /// Per (link, system): the key that signs what goes to the system on that link (the one
    /// its frames there are checked against).
    keys: BTreeMap<(LinkId, u8), SecretKey>,
    /// (link, system) pairs already asked for their key.
    seen: BTreeSet<(LinkId, u8)>,
    /// (link, key fingerprint) pairs already told to the operator.
    announced: BTreeSet<(LinkId, String)>,
    /// The least timestamp the next signed frame may carry, whatever the link or key.
    next: u64,
    /// Every timestamp used is below this, which is on disk (when `timestamps` is set).
    reserved: u64,
    /// Where the timestamp is kept (`None`: replays, which send nothing).
    timestamps: Option<TimestampFile>,
    /// Something was signed (the timestamp is written at the end).
    signed_any: bool,
    /// Notices waiting to be told (a timestamp file that cannot be read or written).
    notices: Vec<SigningNotice>,
    /// A failed timestamp write was told (told once).
    write_failure_told: bool,
}

impl LinkSigning {
    /// The signing of a pipeline. With `persist`, the signing timestamp is read from beside the
    /// keys and kept there.
    pub fn new(ring: Arc<KeyRing>, persist: bool) -> Self {
        let mut notices = Vec::new();
        let timestamps = persist.then(|| ring.store().timestamp_file());
        let stored = match timestamps.as_ref().map(TimestampFile::load) {
            Some(Ok(stored)) => stored.unwrap_or(0),
            Some(Err(text)) => {
                notices.push(format!(
                    "{text}; signing starts from the clock, and a vehicle may take the first frames as replays"
                ));
                0
            }
            None => 0,
        };
        Self {
            ring,
            keys: BTreeMap::new(),
            seen: BTreeSet::new(),
            announced: BTreeSet::new(),
            next: stored,
            reserved: stored,
            timestamps,
            signed_any: false,
            notices,
            write_failure_told: false,
        }
    }

    /// The key ring shared with the links.
    pub fn ring(&self) -> &Arc<KeyRing> {
        &self.ring
    }

    /// The signing link id of a link: its index (the "channel" of the C library).
    fn link_id(link: LinkId) -> u8 {
        u8::try_from(link.0).unwrap_or(u8::MAX)
    }

    /// Whether some frames to `link` go out signed (the station has a key for a system there).
    pub fn signs(&self, link: LinkId) -> bool {
        self.keys.keys().any(|(l, _)| *l == link)
    }

    /// Whether frames to system `sysid` on `link` go out signed.
    pub fn signs_to(&self, link: LinkId, sysid: u8) -> bool {
        self.keys.contains_key(&(link, sysid))
    }

    /// The timestamp the next signed frame carries at `now`, reserved on disk first.
    pub fn next_timestamp(&mut self, now: TimeUs) -> u64 {
        let timestamp = timestamp_at(now).max(self.next);
        if timestamp >= self.reserved
            && let Some(file) = &self.timestamps
        {
            let reserve = timestamp + TIMESTAMP_RESERVE;
            match file.store(reserve) {
                Ok(()) => self.reserved = reserve,
                Err(text) if !self.write_failure_told => {
                    self.write_failure_told = true;
                    self.notices.push(format!(
                        "{text}; after a restart, vehicles may take signed frames as replays"
                    ));
                }
                Err(_) => {}
            }
        }
        timestamp
    }

    /// On a frame from `sysid` on `link`: the first time the system is heard on that link,
    /// takes the key its frames are checked against there (looked up by the link's verifier)
    /// to sign what goes to it. Also returns waiting notices.
    pub fn on_frame(
        &mut self,
        links: &[LinkHandle],
        link: LinkId,
        sysid: u8,
    ) -> Option<SigningNotice> {
        if let Some(notice) = self.notices.pop() {
            return Some(notice);
        }
        let handle = links.get(usize::from(link.0))?;
        if handle.address.is_replay() || !self.seen.insert((link, sysid)) {
            return None;
        }
        let key = handle.key_for(sysid)?;
        let fingerprint = key.fingerprint();
        self.keys.insert((link, sysid), key);
        self.announced.insert((link, fingerprint.clone())).then(|| {
            format!(
                "{}: signing with the key of system {sysid} (fingerprint {fingerprint})",
                handle.address
            )
        })
    }

    /// Frames an outgoing message: signed with the key of the system it is addressed to, if
    /// the station has one on that link; a message to everyone (a heartbeat) once per key of
    /// the link's systems, so that each signed vehicle takes one (unsigned when there is none).
    pub fn encode(
        &mut self,
        encoder: &mut FrameEncoder,
        outgoing: &Outgoing,
        now: TimeUs,
    ) -> Result<Vec<Frame>, EncodeError> {
        let target = mavlink_core::Message::target_system_id(&outgoing.message).filter(|&t| t != 0);
        let keys: Vec<SecretKey> = match target {
            Some(sysid) => self
                .keys
                .get(&(outgoing.link, sysid))
                .cloned()
                .into_iter()
                .collect(),
            None => {
                let mut keys: Vec<SecretKey> = Vec::new();
                for ((link, _), key) in &self.keys {
                    if *link == outgoing.link && !keys.contains(key) {
                        keys.push(key.clone());
                    }
                }
                keys
            }
        };
        if keys.is_empty() {
            return Ok(vec![encoder.encode(&outgoing.message, outgoing.version)?]);
        }
        let mut frames = Vec::with_capacity(keys.len());
        for key in keys {
            let timestamp = self.next_timestamp(now);
            let mut signer =
                Signer::new(key, Self::link_id(outgoing.link)).with_initial_timestamp(timestamp);
            frames.push(encoder.encode_signed(&outgoing.message, &mut signer, now)?);
            self.next = self.next.max(signer.next_timestamp());
            self.signed_any = true;
        }
        Ok(frames)
    }

    /// Gives vehicle `target` a new key: stores it, sends SETUP_SIGNING on the vehicle's link
    /// (signed with its old key, if any) and, on every link, checks its frames and signs what
    /// goes to it with the new key from then on. Returns the new key's fingerprint.
    pub fn setup(
        &mut self,
        world: &World,
        links: &[LinkHandle],
        encoder: &mut FrameEncoder,
        target: u8,
        now: TimeUs,
    ) -> Result<String, String> {
        let vehicle = world
            .vehicles
            .get(&target)
            .ok_or_else(|| format!("no vehicle with system id {target}"))?;
        let route = Route::to(vehicle);
        let handle = links
            .get(usize::from(route.link.0))
            .ok_or_else(|| format!("vehicle {target} is on no live link"))?;
        let key = SecretKey::generate().map_err(|err| format!("cannot make a key: {err}"))?;
        // Timestamps never go back, even across a key change.
        let initial_timestamp = self.next_timestamp(now);
        let message = MavMessage::SETUP_SIGNING(mav::SETUP_SIGNING_DATA {
            initial_timestamp,
            target_system: route.sysid,
            target_component: route.compid,
            secret_key: *key.bytes(),
        });
        let frame = match self.keys.get(&(route.link, target)).cloned() {
            Some(old) => {
                let mut signer = Signer::new(old, Self::link_id(route.link))
                    .with_initial_timestamp(initial_timestamp);
                let frame = encoder.encode_signed(&message, &mut signer, now);
                self.next = self.next.max(signer.next_timestamp());
                self.signed_any = true;
                frame
            }
            None => encoder.encode(&message, MavVersion::V2),
        }
        .map_err(|err| err.to_string())?;
        let path = self
            .ring
            .install(target, &key)
            .map_err(|err| err.to_string())?;
        if !handle.send(frame) {
            return Err(format!("{}: send queue full", handle.address));
        }
        for link in links.iter().filter(|l| !l.address.is_replay()) {
            link.set_key(target, Some(key.clone()));
            // Where the vehicle was not heard yet, its first frame takes the key from there.
            if link.id == route.link || self.seen.contains(&(link.id, target)) {
                self.keys.insert((link.id, target), key.clone());
                self.seen.insert((link.id, target));
            }
        }
        let fingerprint = key.fingerprint();
        self.announced.insert((route.link, fingerprint.clone()));
        Ok(format!(
            "vehicle {target}: signing set up on {} (key fingerprint {fingerprint}, stored in {})",
            handle.address,
            path.display()
        ))
    }

    /// Writes the signing timestamp as it stands (done when the pipeline stops).
    pub fn save(&mut self) {
        if let (true, Some(file)) = (self.signed_any, &self.timestamps) {
            let _ = file.store(self.next);
        }
    }
}

impl Drop for LinkSigning {
    fn drop(&mut self) {
        self.save();
    }
}

impl SigningConfig {
    /// Takes one `--signing` argument: `POLICY` for every link (into `all`), `N=POLICY` for the
    /// N-th of `links` (counting from 1), or `ADDR=POLICY` for the link with that address.
    pub fn apply_policy_arg(
        &mut self,
        arg: &str,
        links: &[crate::link::LinkAddress],
        all: &mut UnsignedPolicy,
    ) -> Result<(), String> {
        let Some((which, policy)) = arg.rsplit_once('=') else {
            *all = arg.parse()?;
            return Ok(());
        };
        let policy: UnsignedPolicy = policy.parse()?;
        let index = if let Ok(n) = which.parse::<usize>() {
            n.checked_sub(1)
                .filter(|&i| i < links.len())
                .ok_or_else(|| {
                    format!(
                        "--signing {arg}: there is no link {n} (links count from 1; {} given)",
                        links.len()
                    )
                })?
        } else {
            let address: crate::link::LinkAddress = which
                .parse()
                .map_err(|err| format!("--signing {arg}: {which:?} is not a link: {err}"))?;
            links
                .iter()
                .position(|l| *l == address)
                .ok_or_else(|| format!("--signing {arg}: no --link {which}"))?
        };
        self.policies.insert(index, policy);
        Ok(())
    }

    /// Takes one `--key` argument: `FILE` (every system without a key of its own) or
    /// `SYSID=FILE` (one system), reading the key file (which must be private, 0600).
    pub fn apply_key_arg(&mut self, arg: &str) -> Result<(), String> {
        let (sysid, path) = match arg.split_once('=') {
            Some((sysid, path)) if sysid.parse::<u8>().is_ok() => (sysid.parse::<u8>().ok(), path),
            _ => (None, arg),
        };
        let key = crate::link::keys::read_key_file(std::path::Path::new(path))
            .map_err(|err| format!("--key {arg}: {err}"))?;
        match sysid {
            Some(sysid) => {
                self.keys.insert(sysid, key);
            }
            None if self.default_key.is_some() => {
                return Err(format!(
                    "--key {arg}: only one key can be given for every system; give the others as SYSID=FILE"
                ));
            }
            None => self.default_key = Some(key),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::signing::KEY_LEN;
    use crate::protocol::{FrameParser, Verdict, Verifier};

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
        assert!(!dir.path().join(crate::link::keys::TIMESTAMP_FILE).exists());
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
        std::fs::write(dir.path().join(crate::link::keys::TIMESTAMP_FILE), "later").expect("w");
        let signing = &mut signing(dir.path(), true);
        let text = signing.notices.pop().expect("a notice");
        assert!(text.contains("signing-timestamp"), "{text}");
    }

    #[test]
    fn signing_arguments_name_links_by_position_or_address_and_read_private_keys() {
        use std::os::unix::fs::PermissionsExt;
        let links: Vec<crate::link::LinkAddress> = ["udpin:0.0.0.0:14550", "tcp:127.0.0.1:5760"]
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
}
