//! `vigil score --truth TRUTH.csv SESSION`: how well a recorded session protected civilians,
//! judged against the simulator's ground truth (`vigil sim --truth`), so that anyone can
//! measure the alert rules on a run of their own. The same definitions as the in-process
//! score of `tests/protection.rs`, from what the session recorded instead: the journal's
//! alerts (written at each change), the confirmed tracks after each scan and each site going
//! out of sight and back (`coverage` records).
//!
//! The reduction ([`score`]) is a pure function of the truth, the sites and the records, so
//! that it is tested on hand-built ones; [`score_session`] reads a session folder and a truth
//! file and calls it; the readable table is [`Score::table`], and `Score` serialises to JSON
//! as it is.
//!
//! # What counts
//! - Clocks: the truth's `time_s` is the simulated clock; the alerts, tracks and coverage
//!   records are stamped on the messages' clock, which is the simulated clock when the
//!   session was fed by `vigil sim`. The period scored is the truth's, first row to last.
//! - An **entry**: an armed mover outside a site's buffer at one truth row and inside it at
//!   the next (at most [`truth::CONSECUTIVE_US`] later). A mover that appears inside does not
//!   enter.
//! - **Alerted**: from the entry until the mover has been out of that buffer for
//!   [`ALERT_AFTER_EXIT_US`] (or enters it again), the first truth second at which a
//!   `buffer intrusion` alert (on that site or another whose buffer holds the mover: one
//!   track raises one alert) is active and one of its tracks was within [`HELD_WITHIN_M`] of
//!   the mover. The journal writes an alert at its changes only and its cause grows in
//!   between, so an alert's tracks are all those its records name; a track's position is its
//!   latest record up to a step ([`STEP_SLACK_US`]) after that second. The alert is taken
//!   as the rules' step sees it, up to a step after the second; the delay runs from the
//!   entry to that second, or to the alert's raising when that came later.
//! - **Warned before entry**: a track alert (any rule whose cause is movers: approach,
//!   tripwire, gathering, night activity, an intrusion elsewhere...) raised or raised again
//!   in the [`WARNED_WITHIN_US`] before the entry, that names the site entered or was raised
//!   within [`WARNED_NEAR_M`] of where the mover entered, while the mover was within
//!   [`ABOUT_WITHIN_M`] of the alert's position. The earliest such raising counts: warned
//!   by how long before the entry.
//! - **Alerts**: each alert (an id and its raising: ids start again after a restart) raised
//!   within the period, at its most severe. It is **about an armed mover** when, at its
//!   raising, raising again or escalation, an armed mover was within [`ABOUT_WITHIN_M`] of
//!   its position. Alerts about our own equipment (`unobserved`, `sensor`, `drone`) are
//!   **equipment** alerts: the truth has no faults to check them against, and the station
//!   only hears of them from the simulated equipment itself, so they count as real. Every
//!   other alert is **false**, whatever its rule; a critical one is counted apart (residents
//!   must never cause a critical alert).
//! - **Longest unobserved**: per site, the longest interval of the period without any
//!   camera or sensor covering it, from the `coverage` records (a site is out of sight until
//!   its first `observed` record; going out of sight runs from when it was last observed).
//!   A journal written before these records shows every site unobserved throughout (a note
//!   says so).

mod lives;
mod table;
#[cfg(test)]
mod tests;
pub mod truth;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::journal::{
    AlertRecord, CoverageRecord, JOURNAL_FILE, JournalError, JournalReader, JournalRecord,
};
use crate::summary::percentile;
use lives::{AlertLife, Tracks, alert_lives, severity_rank};
use vigil_core::geodesy::{Geodetic, LocalFrame, distance_m, point_in_ring};
use vigil_protection::{Protection, RulesConfig, Site, SiteSet};

pub use truth::{Truth, TruthRow};

/// The journal record kinds a score reads.
pub const SCORE_KINDS: [&str; 3] = ["alert", "track", "coverage"];
/// An intrusion alert holds a mover when one of its tracks is this close to it, m.
pub const HELD_WITHIN_M: f64 = 100.0;
/// An alert is about a mover this close to its position when raised, m.
pub const ABOUT_WITHIN_M: f64 = 150.0;
/// A warning names the site, or was raised this close to where the mover entered, m.
pub const WARNED_NEAR_M: f64 = 300.0;
/// A warning counts when raised at most this long before the entry (15 minutes), µs.
pub const WARNED_WITHIN_US: u64 = 900_000_000;
/// An entry may still be alerted this long after the mover left the buffer, µs.
pub const ALERT_AFTER_EXIT_US: u64 = 60_000_000;
/// The rules run once a second, after the second's messages: what they said up to this long
/// after a truth second is taken as said at it, µs.
pub const STEP_SLACK_US: u64 = 1_000_000;
/// A track's record older than this no longer places it, µs.
pub(crate) const TRACK_FRESH_US: u64 = 3_000_000;
const HOUR_US: f64 = 3_600_000_000.0;

/// The rule whose alert says a mover is in a buffer.
pub const INTRUSION_RULE: &str = "buffer intrusion";
/// Rules about our own equipment rather than movers.
pub const EQUIPMENT_RULES: [&str; 3] = ["unobserved", "sensor", "drone"];

/// Errors of a score, naming the folder or the file (and the truth's line and column).
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    #[error("{}: no such session folder", dir.display())]
    NoSession { dir: PathBuf },
    #[error("{}: no journal ({JOURNAL_FILE}) in this session folder, nothing to score", dir.display())]
    NoJournal { dir: PathBuf },
    #[error("cannot read the journal: {0}")]
    Journal(#[from] JournalError),
    #[error("{}: {source}", file.display())]
    TruthIo {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: line {line}: {column}{}{reason}", file.display(), if column.is_empty() { "" } else { ": " })]
    Truth {
        file: PathBuf,
        line: u64,
        column: String,
        reason: String,
    },
    #[error("{}: no rows: not a ground truth as `vigil sim --truth` writes it", file.display())]
    EmptyTruth { file: PathBuf },
}

/// One armed mover's entry into a site's buffer, and what the station said of it. Times are
/// µs since the epoch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub mover: String,
    pub site: String,
    pub entered_us: u64,
    /// When it was alerted, by which alert, and how long after the entry; `None`: missed.
    pub alerted_us: Option<u64>,
    pub delay_us: Option<u64>,
    pub alert_id: Option<String>,
    /// Whether a sensor or a camera held the mover (the truth's `covered`) between the entry
    /// and its alert (or the end of its window): a missed entry nothing saw is the
    /// coverage's miss, not the rules'.
    pub covered: bool,
    /// The earliest warning: when, how long before the entry, and which alert.
    pub warned_us: Option<u64>,
    pub warned_before_us: Option<u64>,
    pub warning: Option<String>,
}

/// How an alert stands against the truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// An armed mover was near it.
    ArmedMover,
    /// About our own equipment (see the module's "What counts").
    Equipment,
    /// Neither.
    False,
}

/// One alert raised within the period, judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JudgedAlert {
    pub alert_id: String,
    pub rule: String,
    /// Its most severe.
    pub severity: String,
    pub site: String,
    pub raised_us: u64,
    pub text: String,
    pub verdict: Verdict,
    /// The mover nearest its position when it was raised, and how far (m).
    pub nearest_mover: Option<String>,
    pub nearest_m: Option<f64>,
    pub nearest_armed: bool,
}

/// Alerts of one severity over the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeverityRate {
    pub severity: String,
    pub count: usize,
    pub per_hour: Option<f64>,
}

/// A site's longest interval without observation within the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteCoverage {
    pub site: String,
    pub longest_unobserved_us: u64,
    pub from_us: u64,
    pub to_us: u64,
    /// Whether anything observed it at all within the period.
    pub ever_observed: bool,
}

/// The figures the rules are judged by.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    pub entries: usize,
    pub alerted: usize,
    /// Of the entries; `None` without entries.
    pub alerted_share: Option<f64>,
    /// Entries during which a sensor or camera held the mover, and of those, alerted.
    pub covered: usize,
    pub covered_alerted: usize,
    /// Entry to alert over the entries alerted (nearest rank).
    pub median_delay_us: Option<u64>,
    pub p90_delay_us: Option<u64>,
    pub warned: usize,
    pub warned_share: Option<f64>,
    pub median_warned_before_us: Option<u64>,
    /// Alerts raised within the period, and how they stand.
    pub alerts: usize,
    pub about_armed: usize,
    pub equipment: usize,
    pub false_alerts: usize,
    pub false_per_hour: Option<f64>,
    /// False alerts that were critical at their most severe.
    pub critical_false: usize,
}

/// A session scored against the ground truth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// The period scored: the truth's first and last rows (µs since the epoch).
    pub start_us: u64,
    pub end_us: u64,
    pub hours: f64,
    pub totals: Totals,
    /// In the order they happened.
    pub entries: Vec<Entry>,
    /// In the order they were raised.
    pub alerts: Vec<JudgedAlert>,
    /// Most severe first.
    pub per_hour: Vec<SeverityRate>,
    /// Longest unobserved first.
    pub sites: Vec<SiteCoverage>,
    /// What the reader should know about the data (clocks, missing records).
    pub notes: Vec<String>,
}

/// A site's buffer in a plane of its own.
struct Buffer<'a> {
    name: &'a str,
    frame: LocalFrame,
    rings: Vec<Vec<[f64; 2]>>,
}

impl<'a> Buffer<'a> {
    fn new(site: &'a Site) -> Self {
        let frame = LocalFrame::new(Geodetic::from_deg(
            site.centre.lat_deg,
            site.centre.lon_deg,
            0.0,
        ));
        let rings = site
            .buffer
            .iter()
            .map(|ring| {
                ring.iter()
                    .map(|p| frame.en_m(&Geodetic::from_deg(p.lat_deg, p.lon_deg, 0.0)))
                    .collect()
            })
            .collect();
        Self {
            name: &site.name,
            frame,
            rings,
        }
    }

    fn holds(&self, row: &TruthRow) -> bool {
        let p = self
            .frame
            .en_m(&Geodetic::from_deg(row.lat_deg, row.lon_deg, 0.0));
        self.rings.iter().any(|ring| point_in_ring(ring, p))
    }
}

fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    distance_m(
        &Geodetic::from_deg(a.0, a.1, 0.0),
        &Geodetic::from_deg(b.0, b.1, 0.0),
    )
}

fn position(row: &TruthRow) -> (f64, f64) {
    (row.lat_deg, row.lon_deg)
}

/// An entry found in the truth: mover, site index, when, and until when it may be alerted.
struct Found<'a> {
    mover: &'a str,
    site: usize,
    entered_us: u64,
    until_us: u64,
}

/// Every entry of an armed mover into a buffer, in time order.
fn find_entries<'a>(truth: &'a Truth, buffers: &[Buffer]) -> Vec<Found<'a>> {
    let mut found = Vec::new();
    for (mover, rows) in &truth.movers {
        if !rows.iter().any(|r| r.armed) {
            continue;
        }
        for (site, buffer) in buffers.iter().enumerate() {
            let inside: Vec<bool> = rows.iter().map(|r| buffer.holds(r)).collect();
            let mut entries: Vec<usize> = Vec::new();
            for i in 1..rows.len() {
                let consecutive = rows[i].time_us - rows[i - 1].time_us <= truth::CONSECUTIVE_US;
                if consecutive && rows[i].armed && inside[i] && !inside[i - 1] {
                    entries.push(i);
                }
            }
            for (n, &i) in entries.iter().enumerate() {
                let next_us = entries.get(n + 1).map_or(u64::MAX, |&j| rows[j].time_us);
                let exit_us = (i..rows.len())
                    .find(|&j| !inside[j])
                    .map_or(u64::MAX, |j| rows[j].time_us + ALERT_AFTER_EXIT_US);
                found.push(Found {
                    mover,
                    site,
                    entered_us: rows[i].time_us,
                    until_us: next_us.min(exit_us).min(truth.end_us),
                });
            }
        }
    }
    found.sort_by(|a, b| (a.entered_us, a.mover).cmp(&(b.entered_us, b.mover)));
    found
}

/// When and by which intrusion alert (an index in `lives`) an entry was alerted, and whether
/// the mover was covered before that.
fn alerted(
    found: &Found,
    truth: &Truth,
    lives: &[AlertLife],
    tracks: &Tracks,
) -> (Option<(u64, usize)>, bool) {
    let rows = truth.movers.get(found.mover).map_or(&[][..], Vec::as_slice);
    let mut covered = false;
    let window = rows
        .iter()
        .filter(|r| (found.entered_us..=found.until_us).contains(&r.time_us));
    for row in window {
        covered |= row.covered;
        let probe = row.time_us + STEP_SLACK_US;
        let intrusions = lives
            .iter()
            .enumerate()
            .filter(|(_, l)| l.rule() == INTRUSION_RULE);
        for (index, life) in intrusions {
            let Some(since_us) = life.active_since(probe) else {
                continue;
            };
            let held = life.tracks.iter().any(|&id| {
                tracks
                    .at(id, row.time_us)
                    .is_some_and(|p| metres(p, position(row)) <= HELD_WITHIN_M)
            });
            if held {
                let at_us = row.time_us.max(since_us);
                return (Some((at_us, index)), covered);
            }
        }
    }
    (None, covered)
}

/// The earliest warning of an entry: (raised at, alert).
fn warned(
    found: &Found,
    site: &str,
    truth: &Truth,
    track_lives: &[&AlertLife],
) -> Option<(u64, String)> {
    let entered = truth.at(found.mover, found.entered_us)?;
    let earliest_us = found.entered_us.saturating_sub(WARNED_WITHIN_US);
    track_lives
        .iter()
        .flat_map(|life| life.raisings(false))
        .filter(|r| (earliest_us..found.entered_us).contains(&r.time_us))
        .filter(|r| {
            let at = (r.lat_deg, r.lon_deg);
            let names_it = r.site == site || metres(at, position(entered)) <= WARNED_NEAR_M;
            names_it
                && truth
                    .at(found.mover, r.time_us)
                    .is_some_and(|then| metres(at, position(then)) <= ABOUT_WITHIN_M)
        })
        .min_by_key(|r| r.time_us)
        .map(|r| (r.time_us, format!("alert {} {}", r.alert_id, r.rule)))
}

/// Judges an alert against the truth: about an armed mover when one was within
/// [`ABOUT_WITHIN_M`] of its position, or one of its tracks within [`HELD_WITHIN_M`] of one,
/// at a raising (a track's estimate can stray further from the mover than the alert's
/// position says), or when it alerted an entry (`alerted_entry`).
fn judge(life: &AlertLife, truth: &Truth, tracks: &Tracks, alerted_entry: bool) -> JudgedAlert {
    let first = life.first();
    let near = |r: &AlertRecord| {
        let at = (r.lat_deg, r.lon_deg);
        truth
            .all_at(r.time_us)
            .map(|row| (metres(at, position(row)), row))
            .collect::<Vec<_>>()
    };
    let tracks_near = |r: &AlertRecord| {
        let armed: Vec<&TruthRow> = truth.all_at(r.time_us).filter(|row| row.armed).collect();
        life.tracks.iter().any(|&id| {
            tracks.at(id, r.time_us).is_some_and(|p| {
                armed
                    .iter()
                    .any(|row| metres(p, position(row)) <= HELD_WITHIN_M)
            })
        })
    };
    let about_armed = alerted_entry
        || life.raisings(true).any(|r| {
            near(r)
                .iter()
                .any(|(m, row)| row.armed && *m <= ABOUT_WITHIN_M)
                || tracks_near(r)
        });
    let raised = life.raisings(true).next().unwrap_or(first);
    let nearest = near(raised).into_iter().min_by(|a, b| a.0.total_cmp(&b.0));
    let verdict = if about_armed {
        Verdict::ArmedMover
    } else if EQUIPMENT_RULES.contains(&life.rule()) {
        Verdict::Equipment
    } else {
        Verdict::False
    };
    JudgedAlert {
        alert_id: first.alert_id.clone(),
        rule: first.rule.clone(),
        severity: life.severity().to_owned(),
        site: first.site.clone(),
        raised_us: life.raised_us(),
        text: raised.text.clone(),
        verdict,
        nearest_mover: nearest.as_ref().map(|(_, row)| row.id.clone()),
        nearest_m: nearest.as_ref().map(|(m, _)| *m),
        nearest_armed: nearest.is_some_and(|(_, row)| row.armed),
    }
}

/// Each site's longest unobserved interval within `start_us..=end_us`, from the coverage
/// records (in time order); longest first.
pub fn site_coverage(
    names: &[String],
    coverage: &[&CoverageRecord],
    start_us: u64,
    end_us: u64,
) -> Vec<SiteCoverage> {
    let mut sites: Vec<SiteCoverage> = names
        .iter()
        .map(|name| {
            let mut best = (0, start_us, start_us);
            let mut consider = |from: u64, to: u64| {
                if to.saturating_sub(from) > best.0 {
                    best = (to - from, from, to);
                }
            };
            // `since`: when the site was last observed as far as the records say (the start
            // when never); `in_sight`: whether it is in sight now. Out of sight, a record whose
            // last observation moved on ends an unwatched interval where it is: a patrol
            // watched the side seen longest ago, or the site came back into sight.
            let mut since = start_us;
            let mut in_sight = false;
            let mut ever_observed = false;
            for record in coverage.iter().filter(|c| &c.site == name) {
                if record.time_us > end_us {
                    break;
                }
                let last = record.last_observed_us.unwrap_or(0).clamp(start_us, end_us);
                if in_sight {
                    // Went out of sight: unwatched from its last observation.
                    since = last;
                } else if record.observed || (record.last_observed_us.is_some() && last > since) {
                    consider(since, record.time_us.max(start_us));
                    since = if record.observed {
                        record.time_us.max(start_us)
                    } else {
                        last
                    };
                }
                // Every side seen at least once within the period.
                if record.observed && record.time_us >= start_us
                    || record.last_observed_us.is_some_and(|l| l >= start_us)
                {
                    ever_observed = true;
                }
                in_sight = record.observed;
            }
            if !in_sight {
                consider(since, end_us);
            }
            SiteCoverage {
                site: name.clone(),
                longest_unobserved_us: best.0,
                from_us: best.1,
                to_us: best.2,
                ever_observed,
            }
        })
        .collect();
    sites.sort_by(|a, b| {
        b.longest_unobserved_us
            .cmp(&a.longest_unobserved_us)
            .then_with(|| a.site.cmp(&b.site))
    });
    sites
}

fn share(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn median_p90(mut values: Vec<u64>) -> (Option<u64>, Option<u64>) {
    values.sort_unstable();
    (percentile(&values, 50), percentile(&values, 90))
}

fn totals(entries: &[Entry], alerts: &[JudgedAlert], hours: f64) -> Totals {
    let delays: Vec<u64> = entries.iter().filter_map(|e| e.delay_us).collect();
    let warnings: Vec<u64> = entries.iter().filter_map(|e| e.warned_before_us).collect();
    let covered: Vec<&Entry> = entries.iter().filter(|e| e.covered).collect();
    let (median_delay_us, p90_delay_us) = median_p90(delays.clone());
    let count = |verdict: Verdict| alerts.iter().filter(|a| a.verdict == verdict).count();
    let false_alerts = count(Verdict::False);
    Totals {
        entries: entries.len(),
        alerted: delays.len(),
        alerted_share: share(delays.len(), entries.len()),
        covered: covered.len(),
        covered_alerted: covered.iter().filter(|e| e.delay_us.is_some()).count(),
        median_delay_us,
        p90_delay_us,
        warned: warnings.len(),
        warned_share: share(warnings.len(), entries.len()),
        median_warned_before_us: median_p90(warnings).0,
        alerts: alerts.len(),
        about_armed: count(Verdict::ArmedMover),
        equipment: count(Verdict::Equipment),
        false_alerts,
        false_per_hour: (hours > 0.0).then(|| false_alerts as f64 / hours),
        critical_false: alerts
            .iter()
            .filter(|a| a.verdict == Verdict::False && severity_rank(&a.severity).0 == 0)
            .count(),
    }
}

fn per_hour(alerts: &[JudgedAlert], hours: f64) -> Vec<SeverityRate> {
    let mut counts: BTreeMap<(u8, String), (String, usize)> = BTreeMap::new();
    for alert in alerts {
        counts
            .entry(severity_rank(&alert.severity))
            .or_insert_with(|| (alert.severity.clone(), 0))
            .1 += 1;
    }
    counts
        .into_values()
        .map(|(severity, count)| SeverityRate {
            severity,
            count,
            per_hour: (hours > 0.0).then(|| count as f64 / hours),
        })
        .collect()
}

/// Scores `records` (a journal's, in journal order; kinds other than [`SCORE_KINDS`] are
/// ignored) against `truth`, with `sites` (their buffers computed, as the station had them).
pub fn score(truth: &Truth, sites: &[Site], records: &[JournalRecord]) -> Score {
    let (start_us, end_us) = (truth.start_us, truth.end_us);
    let hours = end_us.saturating_sub(start_us) as f64 / HOUR_US;
    let buffers: Vec<Buffer> = sites.iter().map(Buffer::new).collect();
    let tracks = Tracks::new(records);
    let lives = alert_lives(records);
    let track_lives: Vec<&AlertLife> = lives
        .iter()
        .filter(|l| !EQUIPMENT_RULES.contains(&l.rule()))
        .collect();
    let mut alerting = vec![false; lives.len()];
    let entries: Vec<Entry> = find_entries(truth, &buffers)
        .iter()
        .map(|found| {
            let site = buffers[found.site].name;
            let (alert, covered) = alerted(found, truth, &lives, &tracks);
            if let Some((_, index)) = alert {
                alerting[index] = true;
            }
            let alert = alert.map(|(at_us, index)| (at_us, lives[index].first().alert_id.clone()));
            let warning = warned(found, site, truth, &track_lives);
            Entry {
                mover: found.mover.to_owned(),
                site: site.to_owned(),
                entered_us: found.entered_us,
                alerted_us: alert.as_ref().map(|a| a.0),
                delay_us: alert.as_ref().map(|a| a.0 - found.entered_us),
                alert_id: alert.map(|a| a.1),
                covered,
                warned_us: warning.as_ref().map(|w| w.0),
                warned_before_us: warning.as_ref().map(|w| found.entered_us - w.0),
                warning: warning.map(|w| w.1),
            }
        })
        .collect();
    let alerts: Vec<JudgedAlert> = lives
        .iter()
        .zip(&alerting)
        .filter(|(l, _)| (start_us..=end_us + STEP_SLACK_US).contains(&l.raised_us()))
        .map(|(l, &alerted_entry)| judge(l, truth, &tracks, alerted_entry))
        .collect();
    let mut coverage: Vec<&CoverageRecord> = records
        .iter()
        .filter_map(|r| match r {
            JournalRecord::Coverage(c) => Some(c),
            _ => None,
        })
        .collect();
    coverage.sort_by_key(|c| c.time_us);
    let mut names: Vec<String> = sites.iter().map(|s| s.name.clone()).collect();
    for record in &coverage {
        if !names.contains(&record.site) {
            names.push(record.site.clone());
        }
    }
    let notes = notes(records, &lives, alerts.len(), &coverage);
    Score {
        start_us,
        end_us,
        hours,
        totals: totals(&entries, &alerts, hours),
        per_hour: per_hour(&alerts, hours),
        sites: site_coverage(&names, &coverage, start_us, end_us),
        entries,
        alerts,
        notes,
    }
}

/// What the reader should know about the records scored.
fn notes(
    records: &[JournalRecord],
    lives: &[AlertLife],
    in_period: usize,
    coverage: &[&CoverageRecord],
) -> Vec<String> {
    let mut notes = Vec::new();
    let outside = lives.len() - in_period;
    if outside > 0 {
        notes.push(format!(
            "{outside} of {} alerts were raised outside the truth's period and are not scored \
             (was the session fed by this simulation, on its clock?)",
            lives.len()
        ));
    }
    if !records.iter().any(|r| matches!(r, JournalRecord::Track(_))) {
        notes.push("the journal holds no tracks: no entry can be found alerted".to_owned());
    }
    if coverage.is_empty() {
        notes.push(
            "the journal holds no coverage records (written before Vigil recorded them, or \
             nothing ever observed a site): every site counts as unobserved throughout"
                .to_owned(),
        );
    }
    notes
}

/// The sites with their buffers as the station computes them (the default rules do not
/// change a buffer: each site's own `buffer_m` does).
pub fn buffered_sites(set: SiteSet) -> Vec<Site> {
    Protection::new(set, RulesConfig::default())
        .view()
        .sites
        .to_vec()
}

/// Reads a session folder's journal and a truth file, and scores the one against the other
/// with `sites` (see [`buffered_sites`]).
pub fn score_session(dir: &Path, truth: &Path, sites: &[Site]) -> Result<Score, ScoreError> {
    if !dir.is_dir() {
        return Err(ScoreError::NoSession {
            dir: dir.to_owned(),
        });
    }
    let path = dir.join(JOURNAL_FILE);
    if !path.is_file() {
        return Err(ScoreError::NoJournal {
            dir: dir.to_owned(),
        });
    }
    let truth = Truth::read(truth)?;
    let records: Vec<JournalRecord> = JournalReader::open(&path)?
        .records(None, None, &SCORE_KINDS)?
        .into_iter()
        .map(|(_, record)| record)
        .collect();
    Ok(score(&truth, sites, &records))
}
