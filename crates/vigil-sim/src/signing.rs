//! MAVLink 2 signing in the simulator, as ArduPilot does it: SETUP_SIGNING gives a drone a
//! key (accepted unsigned only while the drone has none, else only signed with its current
//! key; an all-zero key turns signing off); from then on the drone signs everything it sends
//! and takes only frames signed with its key (RADIO_STATUS aside). So end-to-end tests can fly
//! signed, and see forged or replayed commands refused.

use std::collections::BTreeMap;

use vigil_core::time::TimeUs;
use vigil_protocol::frame::EncodeError;
use vigil_protocol::signing::{SecretKey, Signer, UnsignedPolicy, Verifier};
use vigil_protocol::{Frame, FrameEncoder, MavMessage, MavVersion, mav};

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
                && verifier.check(frame, TimeUs(0)) != vigil_protocol::Verdict::Signed
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

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_protocol::{FrameParser, Verdict};

    fn setup_frame(key: [u8; 32], signer: Option<&mut Signer>) -> (Frame, mav::SETUP_SIGNING_DATA) {
        let data = mav::SETUP_SIGNING_DATA {
            initial_timestamp: 1_000,
            target_system: 1,
            target_component: 1,
            secret_key: key,
        };
        let message = MavMessage::SETUP_SIGNING(data.clone());
        let mut encoder = FrameEncoder::new(255, 190);
        let frame = match signer {
            Some(signer) => encoder.encode_signed(&message, signer, TimeUs(0)),
            None => encoder.encode(&message, MavVersion::V2),
        }
        .expect("encodes");
        let mut parser = FrameParser::new();
        parser.push(frame.raw());
        (parser.next_frame().expect("a frame").expect("valid"), data)
    }

    #[test]
    fn a_signing_drone_takes_a_new_key_only_signed_with_its_current_one() {
        let mut signing = SimSigning::default();
        let (frame, data) = setup_frame([7; 32], None);
        signing.setup(&frame, &data, &[1, 2]);
        assert!(signing.is_signing(1));
        assert!(!signing.is_signing(2), "the setup targets drone 1 only");
        // An unsigned attempt to change the key is refused.
        let (frame, data) = setup_frame([8; 32], None);
        signing.setup(&frame, &data, &[1]);
        assert_eq!(signing.refused, 1);
        // Signed with the current key, the change is taken; the all-zero key turns it off.
        let current = SecretKey::from_bytes([7; 32]).expect("non-zero");
        let mut signer = Signer::new(current, 0).with_initial_timestamp(5_000);
        let (frame, data) = setup_frame([0; 32], Some(&mut signer));
        signing.setup(&frame, &data, &[1]);
        assert!(!signing.is_signing(1));
    }

    #[test]
    fn a_signing_drone_refuses_unsigned_frames_and_signs_its_own() {
        let mut signing = SimSigning::default();
        let (frame, data) = setup_frame([7; 32], None);
        signing.setup(&frame, &data, &[1]);
        let mut gcs = FrameEncoder::new(255, 190);
        let heartbeat = MavMessage::HEARTBEAT(mav::HEARTBEAT_DATA::default());
        let plain = gcs.encode(&heartbeat, MavVersion::V2).expect("encodes");
        assert_eq!(signing.admits(&plain).get(&1), Some(&false));
        let mut drone = FrameEncoder::new(1, 1);
        let own = signing
            .encode(&mut drone, 1, &heartbeat, MavVersion::V1, TimeUs(0))
            .expect("encodes");
        let key = SecretKey::from_bytes([7; 32]).expect("non-zero");
        let mut verifier = Verifier::new(Some(key), UnsignedPolicy::Reject);
        assert_eq!(verifier.check(&own, TimeUs(0)), Verdict::Signed);
    }
}
