//! The simulator in process, fed to Vigil's world as by a link: every message framed,
//! decoded and applied, and a command engine that answers it as a live station does (it asks
//! each drone for its telemetry). Shared by the tests that score the world against the
//! simulator's ground truth.

use std::collections::BTreeMap;
use std::time::Instant;

use vigil_link::{Envelope, LinkId, RxStamp};
use vigil_protocol::{FrameEncoder, MavVersion};
use vigil_sim::SimWorld;
use vigil_world::World;
use vigil_world::command::{CommandEngine, Outgoing};

/// Vigil's world fed by the simulator as by a link, with the command engine answering it.
pub struct Feed {
    pub world: World,
    pub engine: CommandEngine,
    encoders: BTreeMap<(u8, u8), FrameEncoder>,
    pub out: Vec<Outgoing>,
}

impl Default for Feed {
    fn default() -> Self {
        Self {
            world: World::default(),
            // As a live station: it asks each drone for its telemetry.
            engine: CommandEngine::with_links(
                vec![vigil_world::command::streams::LinkClass::Fast],
                true,
            ),
            encoders: BTreeMap::new(),
            out: Vec::new(),
        }
    }
}

/// Vigil's system and component ids, as the simulator hears them.
pub const GCS: (u8, u8) = (255, 190);

impl Feed {
    /// Steps the simulator once, applies what it sent and sends it what the engine queued;
    /// returns the new detections.
    pub fn step(&mut self, sim: &mut SimWorld) -> Vec<vigil_world::Detection> {
        let mut detections = Vec::new();
        let emissions = sim.step();
        self.apply(sim, emissions, &mut detections);
        self.engine.tick(&self.world, sim.now, &mut self.out);
        while !self.out.is_empty() {
            let outgoing: Vec<Outgoing> = self.out.drain(..).collect();
            for message in outgoing {
                let answers = sim.handle(&message.message, GCS);
                self.apply(sim, answers, &mut detections);
            }
        }
        detections
    }

    fn apply(
        &mut self,
        sim: &SimWorld,
        emissions: Vec<vigil_sim::world::Emission>,
        detections: &mut Vec<vigil_world::Detection>,
    ) {
        for emission in emissions {
            let encoder = self
                .encoders
                .entry((emission.sysid, emission.compid))
                .or_insert_with(|| FrameEncoder::new(emission.sysid, emission.compid));
            let frame = encoder
                .encode(&emission.message, MavVersion::V2)
                .expect("encodes");
            let message = frame.decode().expect("decodes");
            let before = self.world.detections.total();
            let envelope = Envelope {
                link: LinkId(0),
                rx: RxStamp {
                    time: sim.now,
                    mono: Instant::now(),
                },
                frame,
                message,
            };
            self.world.apply(&envelope);
            self.engine.on_message(&envelope, sim.now, &mut self.out);
            if self.world.detections.total() > before {
                detections.extend(self.world.detections.iter().next_back().cloned());
            }
        }
    }
}
