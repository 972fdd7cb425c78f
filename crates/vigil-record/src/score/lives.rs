//! What the journal says of the alerts and the tracks, arranged for scoring: each alert's
//! records gathered into its life (the journal writes an alert at each change, so whether it
//! was active at a moment is its latest record's word), and each track's positions in time
//! order, so that an alert's cause can be placed at any second.

use std::collections::{BTreeSet, HashMap};

use super::{STEP_SLACK_US, TRACK_FRESH_US};
use crate::journal::{AlertRecord, JournalRecord};

/// One alert's records (an id and its raising), in time order, and every track they name.
pub(super) struct AlertLife<'a> {
    pub records: Vec<&'a AlertRecord>,
    pub tracks: BTreeSet<u64>,
}

impl AlertLife<'_> {
    pub fn first(&self) -> &AlertRecord {
        self.records[0]
    }

    pub fn raised_us(&self) -> u64 {
        self.first().raised_us.unwrap_or(self.first().time_us)
    }

    pub fn rule(&self) -> &str {
        &self.first().rule
    }

    pub fn severity(&self) -> &str {
        self.records
            .iter()
            .map(|r| r.severity.as_str())
            .min_by_key(|s| severity_rank(s))
            .unwrap_or_default()
    }

    /// Its raisings: raised, raised again (and escalated, with `escalated`); the first
    /// record of a journal written before the `event` field.
    pub fn raisings(&self, escalated: bool) -> impl Iterator<Item = &AlertRecord> {
        self.records.iter().enumerate().filter_map(move |(i, r)| {
            let raising = matches!(r.event.as_str(), "raised" | "raised again")
                || (escalated && r.event == "escalated")
                || (r.event.is_empty() && i == 0);
            raising.then_some(*r)
        })
    }

    /// Whether it was active at `time_us`, and since when (its latest raising by then).
    pub fn active_since(&self, time_us: u64) -> Option<u64> {
        let upto = self.records.partition_point(|r| r.time_us <= time_us);
        let last = self.records.get(upto.checked_sub(1)?)?;
        let active = last.active || (last.event.is_empty() && last.state != "resolved");
        active.then(|| {
            self.records[..upto]
                .iter()
                .rev()
                .find(|r| matches!(r.event.as_str(), "raised" | "raised again" | ""))
                .map_or(self.raised_us(), |r| r.time_us)
        })
    }
}

/// Sorts severity labels most severe first.
pub(super) fn severity_rank(label: &str) -> (u8, String) {
    let lower = label.to_ascii_lowercase();
    let rank = match lower.as_str() {
        "critical" => 0,
        "warning" => 1,
        "info" => 2,
        _ => 3,
    };
    (rank, lower)
}

/// The track ids an alert's cause names (`tracks 12, 14; sensor 101/1` → 12, 14).
pub(super) fn cause_tracks(cause: &str) -> impl Iterator<Item = u64> + '_ {
    cause
        .split(';')
        .filter_map(|part| {
            let part = part.trim();
            part.strip_prefix("tracks ")
                .or_else(|| part.strip_prefix("track "))
        })
        .flat_map(|ids| ids.split(','))
        .filter_map(|id| id.trim().parse().ok())
}

/// The alerts' lives from the records in journal order (a new `raised_us`, or a `raised`
/// without one, starts a new life of the same id), in the order they were raised.
pub(super) fn alert_lives(records: &[JournalRecord]) -> Vec<AlertLife<'_>> {
    let mut lives: Vec<AlertLife> = Vec::new();
    let mut current: HashMap<&str, usize> = HashMap::new();
    for record in records {
        let JournalRecord::Alert(alert) = record else {
            continue;
        };
        let same = current.get(alert.alert_id.as_str()).copied().filter(|&i| {
            let last = lives[i].records[lives[i].records.len() - 1];
            match (last.raised_us, alert.raised_us) {
                (Some(a), Some(b)) => a == b,
                _ => alert.event != "raised",
            }
        });
        let index = same.unwrap_or_else(|| {
            lives.push(AlertLife {
                records: Vec::new(),
                tracks: BTreeSet::new(),
            });
            current.insert(&alert.alert_id, lives.len() - 1);
            lives.len() - 1
        });
        lives[index].records.push(alert);
        lives[index].tracks.extend(cause_tracks(&alert.cause));
    }
    for life in &mut lives {
        life.records.sort_by_key(|r| r.time_us);
    }
    lives.sort_by_key(AlertLife::raised_us);
    lives
}

/// Each track's positions in time order: `(time_us, lat_deg, lon_deg)`.
pub(super) struct Tracks(HashMap<u64, Vec<(u64, f64, f64)>>);

impl Tracks {
    pub fn new(records: &[JournalRecord]) -> Self {
        let mut tracks: HashMap<u64, Vec<(u64, f64, f64)>> = HashMap::new();
        for record in records {
            if let JournalRecord::Track(t) = record {
                tracks
                    .entry(t.track_id)
                    .or_default()
                    .push((t.time_us, t.lat_deg, t.lon_deg));
            }
        }
        for positions in tracks.values_mut() {
            positions.sort_by_key(|p| p.0);
        }
        Self(tracks)
    }

    /// Where track `id` was as the step after `time_us` saw it.
    pub fn at(&self, id: u64, time_us: u64) -> Option<(f64, f64)> {
        let positions = self.0.get(&id)?;
        let probe = time_us + STEP_SLACK_US;
        let upto = positions.partition_point(|p| p.0 <= probe);
        let &(t, lat, lon) = positions.get(upto.checked_sub(1)?)?;
        (t + TRACK_FRESH_US >= time_us).then_some((lat, lon))
    }
}
