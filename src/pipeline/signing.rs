//! The world thread's side of MAVLink signing: which key signs what goes out on each link,
//! keys adopted from the key store when a vehicle that has one is heard, and SETUP_SIGNING
//! to give a vehicle a new key over a trusted link. The link tasks check received frames
//! (`LinkHandle::signing`); this part signs and installs keys.

use std::collections::BTreeMap;

use crate::command::{Outgoing, Route};
use crate::link::LinkHandle;
use crate::link::keys::KeyStore;
use crate::pipeline::LinkId;
use crate::protocol::frame::EncodeError;
use crate::protocol::{Frame, FrameEncoder, MavMessage, MavVersion, SecretKey, Signer, mav};
use crate::time::TimeUs;
use crate::world::World;

/// Refused frames on a link are told to the operator at most this often.
pub const REFUSAL_NOTICE_PERIOD: std::time::Duration = std::time::Duration::from_secs(10);

/// Watches the links' refusal counters (forged, replayed, unsigned refused) and says when they
/// grow, at most once per [`REFUSAL_NOTICE_PERIOD`] a link.
#[derive(Debug, Default)]
pub struct RefusalWatch {
    /// Per link: the counts last told, and when.
    told: BTreeMap<LinkId, ([u64; 3], TimeUs)>,
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
            ];
            let (told, at) = self.told.get(&view.id).copied().unwrap_or_default();
            if counts == told || (at != TimeUs(0) && now.since(at) < REFUSAL_NOTICE_PERIOD) {
                continue;
            }
            let [forged, replayed, unsigned] = [0, 1, 2].map(|i| counts[i] - told[i]);
            notices.push((
                view.id,
                format!(
                    "{}: REFUSED {forged} forged, {replayed} replayed and {unsigned} unsigned frames (someone without the key is sending?)",
                    view.address
                ),
            ));
            self.told.insert(view.id, (counts, now));
        }
        notices
    }
}

/// What happened that the operator should know.
pub type SigningNotice = String;

/// Keys and signers of the pipeline's links.
#[derive(Debug)]
pub struct LinkSigning {
    store: KeyStore,
    /// The signer of each link, by link index.
    signers: Vec<Option<Signer>>,
    /// Key-store lookups already made (a vehicle without a key is looked up once).
    looked_up: BTreeMap<u8, bool>,
}

impl LinkSigning {
    pub fn new(store: KeyStore, links: usize) -> Self {
        Self {
            store,
            signers: vec![None; links],
            looked_up: BTreeMap::new(),
        }
    }

    /// The signing link id of a link: its index (the "channel" of the C library).
    fn link_id(link: LinkId) -> u8 {
        u8::try_from(link.0).unwrap_or(u8::MAX)
    }

    /// On a frame from `sysid` on `link`: the first time a system is heard, looks for its key
    /// and, if the link has none yet, signs and checks the link with it.
    pub fn on_frame(
        &mut self,
        links: &[LinkHandle],
        link: LinkId,
        sysid: u8,
    ) -> Option<SigningNotice> {
        if self.looked_up.contains_key(&sysid) {
            return None;
        }
        let index = usize::from(link.0);
        let (Some(handle), Some(slot)) = (links.get(index), self.signers.get_mut(index)) else {
            return None;
        };
        if handle.address.is_replay() {
            return None;
        }
        let key = match self.store.load(sysid) {
            Ok(key) => key,
            Err(err) => {
                self.looked_up.insert(sysid, false);
                return Some(err.to_string());
            }
        };
        self.looked_up.insert(sysid, key.is_some());
        let key = key?;
        if slot.is_some() {
            return None;
        }
        let fingerprint = key.fingerprint();
        *slot = Some(Signer::new(key.clone(), Self::link_id(link)));
        handle.set_key(Some(key));
        Some(format!(
            "{}: signing with the key of system {sysid} (fingerprint {fingerprint})",
            handle.address
        ))
    }

    /// Frames an outgoing message, signed when its link has a key.
    pub fn encode(
        &mut self,
        encoder: &mut FrameEncoder,
        outgoing: &Outgoing,
        now: TimeUs,
    ) -> Result<Frame, EncodeError> {
        match self
            .signers
            .get_mut(usize::from(outgoing.link.0))
            .and_then(Option::as_mut)
        {
            Some(signer) => encoder.encode_signed(&outgoing.message, signer, now),
            None => encoder.encode(&outgoing.message, outgoing.version),
        }
    }

    /// Gives vehicle `target` a new key: stores it, sends SETUP_SIGNING on the vehicle's link
    /// (signed with the link's old key, if any) and signs and checks the link with the new key
    /// from then on. Returns the new key's fingerprint.
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
        let index = usize::from(route.link.0);
        let handle = links
            .get(index)
            .ok_or_else(|| format!("vehicle {target} is on no live link"))?;
        let key = SecretKey::generate().map_err(|err| format!("cannot make a key: {err}"))?;
        let path = self
            .store
            .store(target, &key)
            .map_err(|err| err.to_string())?;
        let mut signer = Signer::new(key.clone(), Self::link_id(route.link));
        let old = self.signers.get_mut(index).and_then(Option::take);
        if let Some(old) = &old {
            // Timestamps never go back, even across a key change.
            signer = signer.with_initial_timestamp(old.timestamp(now));
        }
        let message = MavMessage::SETUP_SIGNING(mav::SETUP_SIGNING_DATA {
            initial_timestamp: signer.timestamp(now),
            target_system: route.sysid,
            target_component: route.compid,
            secret_key: *key.bytes(),
        });
        let frame = match old {
            Some(mut old) => encoder.encode_signed(&message, &mut old, now),
            None => encoder.encode(&message, MavVersion::V2),
        }
        .map_err(|err| err.to_string())?;
        if !handle.send(frame) {
            return Err(format!("{}: send queue full", handle.address));
        }
        let fingerprint = key.fingerprint();
        handle.set_key(Some(key));
        if let Some(slot) = self.signers.get_mut(index) {
            *slot = Some(signer);
        }
        self.looked_up.insert(target, true);
        Ok(format!(
            "vehicle {target}: signing set up on {} (key fingerprint {fingerprint}, stored in {})",
            handle.address,
            path.display()
        ))
    }
}
