//! MAVLink 2 signing in the simulator, as ArduPilot does it: SETUP_SIGNING gives a drone a
//! key (accepted unsigned only while the drone has none, else only signed with its current
//! key; an all-zero key turns signing off); from then on the drone signs everything it sends
//! and takes only frames signed with its key (RADIO_STATUS aside). So end-to-end tests can fly
//! signed, and see forged or replayed commands refused.

use std::collections::BTreeMap;

use crate::protocol::frame::EncodeError;
use crate::protocol::signing::{SecretKey, Signer, UnsignedPolicy, Verifier};
use crate::protocol::{Frame, FrameEncoder, MavMessage, MavVersion, mav};
use crate::time::TimeUs;

/// The signing state of the simulated drones.
#[derive(Debug, Default)]
pub struct SimSigning {
    /// Per drone (system id): its signer and the check of what it receives.
    drones: BTreeMap<u8, (Signer, Verifier)>,
    /// Frames some drone refused (forged, replayed or unsigned).
    pub refused: u64,
}

impl SimSigning {
    /// True when drone `sysid` signs.
    pub fn is_signing(&self, sysid: u8) -> bool {
        self.drones.contains_key(&sysid)
    }

    /// Handles SETUP_SIGNING for the drones in `sysids` (the ones it targets).
    pub fn setup(&mut self, frame: &Frame, data: &mav::SETUP_SIGNING_DATA, sysids: &[u8]) {
        for &sysid in sysids {
            if data.target_system != 0 && data.target_system != sysid {
                continue;
            }
            if let Some((_, verifier)) = self.drones.get_mut(&sysid)
                && verifier.check(frame, TimeUs(0)) != crate::protocol::Verdict::Signed
            {
                self.refused += 1;
                continue;
            }
            match SecretKey::from_bytes(data.secret_key) {
                Ok(key) => {
                    let signer =
                        Signer::new(key.clone(), 0).with_initial_timestamp(data.initial_timestamp);
                    let mut verifier = Verifier::new(Some(key), UnsignedPolicy::Reject);
                    verifier.raise_timestamp(data.initial_timestamp);
                    self.drones.insert(sysid, (signer, verifier));
                }
                Err(_) => {
                    self.drones.remove(&sysid); // an all-zero key: signing off
                }
            }
        }
    }

    /// Which drones may act on a received frame: each signing drone checks it against its key.
    pub fn admits(&mut self, frame: &Frame) -> BTreeMap<u8, bool> {
        let mut verdicts = BTreeMap::new();
        for (sysid, (_, verifier)) in &mut self.drones {
            let accepted = verifier.check(frame, TimeUs(0)).accepted();
            if !accepted {
                self.refused += 1;
            }
            verdicts.insert(*sysid, accepted);
        }
        verdicts
    }

    /// Frames what system `sysid` sends: signed (MAVLink 2) when it signs.
    pub fn encode(
        &mut self,
        encoder: &mut FrameEncoder,
        sysid: u8,
        message: &MavMessage,
        version: MavVersion,
        now: TimeUs,
    ) -> Result<Frame, EncodeError> {
        match self.drones.get_mut(&sysid) {
            Some((signer, _)) => encoder.encode_signed(message, signer, now),
            None => encoder
                .encode(message, version)
                .or_else(|_| encoder.encode(message, MavVersion::V2)),
        }
    }
}
