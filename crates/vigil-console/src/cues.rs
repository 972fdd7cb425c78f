//! The audible cues, a part run from the console's logic step (so a minimised console still
//! sounds them): one cue per event — a drone's link lost, a battery going low, a warning or
//! worse notice — played by `vigil-audio`.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

use super::audio::{Audio, Cue};
use super::messages::MessageFilter;
use super::telemetry;
use vigil_station::Snapshot;

/// Battery level that sounds a cue, percent.
const LOW_BATTERY_PCT: f64 = 25.0;

/// The player and what has already been sounded, so each event gives one cue.
pub struct Cues {
    audio: Audio,
    lost: BTreeSet<u8>,
    low_battery: BTreeSet<u8>,
    notice_seq: u64,
    /// "No player for the cues" has been said.
    no_player_said: bool,
}

impl Cues {
    /// Cues sounded when `wanted` (the settings' "Audible cues").
    pub fn new(wanted: bool) -> Self {
        Self {
            audio: Audio::new(wanted),
            lost: BTreeSet::new(),
            low_battery: BTreeSet::new(),
            notice_seq: 0,
            no_player_said: false,
        }
    }

    pub fn set_enabled(&mut self, enabled: bool) {
        self.audio.set_enabled(enabled);
    }

    /// Cues asked for since the start (played when audio is on), and the latest ones, oldest
    /// first.
    pub fn heard(&self) -> (u64, Vec<Cue>) {
        (self.audio.cues, self.audio.recent.iter().copied().collect())
    }

    /// Sounds what changed in `snapshot`; says once when no player can be run.
    pub fn follow(&mut self, snapshot: &Snapshot, messages: &mut MessageFilter) {
        self.sound(snapshot);
        if !self.no_player_said && self.audio.no_player.load(Ordering::Relaxed) {
            self.no_player_said = true;
            messages.local(
                "audible cues are on, but neither aplay nor paplay can be run: alerts and lost \
                 links are shown, not sounded"
                    .into(),
            );
        }
    }

    /// One cue per event: a drone's link lost, a battery going low, a warning or worse notice.
    fn sound(&mut self, snapshot: &Snapshot) {
        let world = &snapshot.world;
        for (sysid, v) in &world.vehicles {
            if v.health == vigil_world::Health::Lost {
                if self.lost.insert(*sysid) {
                    self.audio.play(Cue::LinkLost);
                }
            } else {
                self.lost.remove(sysid);
            }
            let low = telemetry::battery_pct(v, world.time).is_some_and(|p| p < LOW_BATTERY_PCT);
            if low {
                if self.low_battery.insert(*sysid) {
                    self.audio.play(Cue::LowBattery);
                }
            } else {
                self.low_battery.remove(sysid);
            }
        }
        let mut worst = None;
        for notice in world.notices.since(self.notice_seq) {
            if notice.severity <= vigil_world::Severity::Warning {
                worst = Some(worst.map_or(notice.severity, |w: vigil_world::Severity| {
                    w.min(notice.severity)
                }));
            }
        }
        self.notice_seq = world.notices.next_seq();
        match worst {
            Some(s) if s <= vigil_world::Severity::Critical => self.audio.play(Cue::Critical),
            Some(_) => self.audio.play(Cue::Warning),
            None => {}
        }
    }
}
