//! Alerts and their workflow: the rules report *findings* (a condition that holds now, keyed
//! by rule and subject), and the [`AlertBook`] turns them into alerts with hysteresis, so
//! that one event is one alert: a condition must hold `confirm_s` before it is raised, an
//! active alert is updated (last seen, cause, position) rather than repeated, it clears after
//! `clear_after_s` without the condition, and a cleared alert whose condition returns within
//! `rearm_s` is the same alert again. The operator's workflow (open → acknowledged →
//! assigned → resolved, with who and when, and notes) is plain state here; requests come
//! through the world thread.

use std::collections::{BTreeMap, BTreeSet};

pub use super::rules::AlertSeverity;
use super::rules::Hysteresis;
use super::sites::SiteId;
use super::{LatLon, ProtectionError};
use vigil_core::time::TimeUs;

/// Alerts kept; the oldest resolved ones go first when there are more.
pub const MAX_ALERTS: usize = 2000;

/// Which rule raised an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleKind {
    BufferIntrusion,
    Approach,
    Gathering,
    Tripwire,
    NightActivity,
    SensorActivity,
    Unobserved,
    SensorHealth,
    DroneCover,
    Restricted,
}

impl RuleKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::BufferIntrusion => "buffer intrusion",
            Self::Approach => "approach",
            Self::Gathering => "gathering",
            Self::Tripwire => "tripwire",
            Self::NightActivity => "night activity",
            Self::SensorActivity => "movement at a sensor",
            Self::Unobserved => "unobserved",
            Self::SensorHealth => "sensor",
            Self::DroneCover => "drone",
            Self::Restricted => "restricted area",
        }
    }

    /// Whether the rule's cause is tracks (movers on the ground) rather than our equipment.
    pub fn is_about_tracks(self) -> bool {
        matches!(
            self,
            Self::BufferIntrusion
                | Self::Approach
                | Self::Gathering
                | Self::Tripwire
                | Self::NightActivity
                | Self::Restricted
        )
    }

    /// Whether the alert is about movers on the ground, tracked or only felt by a sensor
    /// (movement at a sensor), rather than about our equipment.
    pub fn is_about_movers(self) -> bool {
        self.is_about_tracks() || self == Self::SensorActivity
    }
}

/// What an alert is about, with its rule: one alert at a time per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    Site(SiteId),
    Sensor(u8, u8),
    Drone(u8),
    Tripwire(u32),
    Area(u32),
    /// A place with no site of its own (a gathering), numbered by the book.
    Place(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AlertKey {
    pub rule: RuleKind,
    pub subject: Subject,
}

/// What caused an alert.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cause {
    /// Track ids (fusion's), sorted.
    pub tracks: Vec<u64>,
    /// A sensor node (system id, component id).
    pub sensor: Option<(u8, u8)>,
    /// One of our drones.
    pub drone: Option<u8>,
}

/// A condition that holds now, as a rule found it.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub key: AlertKey,
    pub severity: AlertSeverity,
    pub site: Option<SiteId>,
    pub cause: Cause,
    /// Where the cause is (a track's position, the sensor, the drone, the site).
    pub position: LatLon,
    /// One line for the operator: what and how much.
    pub text: String,
}

/// Where an alert is in the operator's workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertState {
    Open,
    Acknowledged,
    Assigned,
    Resolved,
}

impl AlertState {
    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acknowledged => "acknowledged",
            Self::Assigned => "assigned",
            Self::Resolved => "resolved",
        }
    }
}

/// What just happened to an alert: the rules' side (raised, raised again, made more severe,
/// joined by more movers, cleared) and the operator's (acknowledged, assigned, annotated,
/// resolved). The book keeps them in order until [`AlertBook::take_changes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertChange {
    Raised,
    /// Its condition came back within `rearm_s` of clearing.
    Reraised,
    /// A finding more severe than the alert was.
    Escalated,
    /// Movers its cause had not named before are in it now (a second group entering a buffer
    /// that the first is still in, or the tracker's new track of one of the group): the
    /// record names every mover the alert is about, not only those it was raised with.
    Joined,
    /// Its condition has not held for `clear_after_s`.
    Cleared,
    Acknowledged,
    Assigned,
    Annotated,
    Resolved,
}

impl AlertChange {
    pub fn label(self) -> &'static str {
        match self {
            Self::Raised => "raised",
            Self::Reraised => "raised again",
            Self::Escalated => "escalated",
            Self::Joined => "joined",
            Self::Cleared => "cleared",
            Self::Acknowledged => "acknowledged",
            Self::Assigned => "assigned",
            Self::Annotated => "annotated",
            Self::Resolved => "resolved",
        }
    }
}

/// A step of the workflow: who moved the alert to which state, when.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub state: AlertState,
    pub by: String,
    pub at: TimeUs,
    /// For `Assigned`: to whom; for `Resolved`: the resolution.
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    pub author: String,
    pub at: TimeUs,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub id: u64,
    pub rule: RuleKind,
    pub subject: Subject,
    pub severity: AlertSeverity,
    pub site: Option<SiteId>,
    pub cause: Cause,
    pub position: LatLon,
    pub text: String,
    pub first_seen: TimeUs,
    pub last_seen: TimeUs,
    /// The condition holds (or held within `clear_after_s`).
    pub active: bool,
    /// Times the condition came back after clearing, within `rearm_s`.
    pub recurrences: u32,
    pub state: AlertState,
    pub assignee: Option<String>,
    /// The workflow so far, oldest first (the first entry is `Open`, by "vigil").
    pub history: Vec<Transition>,
    pub annotations: Vec<Annotation>,
    /// Every track its cause has named, so that each joins it once.
    pub named_tracks: BTreeSet<u64>,
    /// The tracks that joined it last ([`AlertChange::Joined`]).
    pub joined: Vec<u64>,
}

#[derive(Debug, Clone)]
struct Condition {
    first_true: TimeUs,
    last_true: TimeUs,
    holding: bool,
    alert: Option<u64>,
}

/// Every alert, and the conditions behind them.
#[derive(Debug, Clone, Default)]
pub struct AlertBook {
    alerts: BTreeMap<u64, Alert>,
    conditions: BTreeMap<AlertKey, Condition>,
    next_id: u64,
    next_place: u64,
    /// What happened since the last [`Self::take_changes`], in order.
    changes: Vec<(u64, AlertChange)>,
}

impl AlertBook {
    pub fn alerts(&self) -> impl DoubleEndedIterator<Item = &Alert> {
        self.alerts.values()
    }

    pub fn get(&self, id: u64) -> Option<&Alert> {
        self.alerts.get(&id)
    }

    /// The alert a key has now, if its condition is tracked.
    pub fn alert_of(&self, key: &AlertKey) -> Option<&Alert> {
        self.conditions
            .get(key)
            .and_then(|c| c.alert)
            .and_then(|id| self.alerts.get(&id))
    }

    /// Whether the key's alert is active (the rules widen their exit margins then).
    pub fn is_active(&self, key: &AlertKey) -> bool {
        self.alert_of(key).is_some_and(|a| a.active)
    }

    /// What happened to which alert since the last call, in order.
    pub fn take_changes(&mut self) -> Vec<(u64, AlertChange)> {
        std::mem::take(&mut self.changes)
    }

    /// A fresh subject number for a place.
    pub fn new_place(&mut self) -> u64 {
        self.next_place += 1;
        self.next_place
    }

    /// Takes this step's findings; returns the ids of alerts raised or raised again.
    pub fn update(
        &mut self,
        findings: Vec<Finding>,
        now: TimeUs,
        hysteresis: impl Fn(RuleKind) -> Hysteresis,
    ) -> Vec<u64> {
        let mut raised = Vec::new();
        let mut seen: Vec<AlertKey> = Vec::with_capacity(findings.len());
        for finding in findings {
            let key = finding.key;
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            let h = hysteresis(key.rule);
            let condition = self.conditions.entry(key).or_insert(Condition {
                first_true: now,
                last_true: now,
                holding: false,
                alert: None,
            });
            if !condition.holding {
                condition.holding = true;
                condition.first_true = now;
            }
            condition.last_true = now;
            let existing = condition.alert.and_then(|id| self.alerts.get_mut(&id));
            // An active alert is updated, even a resolved one: resolving an alert whose
            // condition still holds quiets it until the condition clears.
            if let Some(alert) = existing
                && alert.active
            {
                let escalated = refresh(alert, &finding, now);
                if escalated {
                    self.changes.push((alert.id, AlertChange::Escalated));
                } else if !alert.joined.is_empty() {
                    self.changes.push((alert.id, AlertChange::Joined));
                }
                continue;
            }
            if now.since(condition.first_true).as_secs_f64() < h.confirm_s {
                continue;
            }
            match condition.alert.and_then(|id| self.alerts.get_mut(&id)) {
                Some(alert)
                    if alert.state != AlertState::Resolved
                        && now.since(alert.last_seen).as_secs_f64() <= h.rearm_s =>
                {
                    alert.active = true;
                    alert.recurrences += 1;
                    refresh(alert, &finding, now);
                    raised.push(alert.id);
                    self.changes.push((alert.id, AlertChange::Reraised));
                }
                _ => {
                    self.next_id += 1;
                    let id = self.next_id;
                    let named_tracks = finding.cause.tracks.iter().copied().collect();
                    self.alerts.insert(
                        id,
                        Alert {
                            id,
                            rule: key.rule,
                            subject: key.subject,
                            severity: finding.severity,
                            site: finding.site,
                            cause: finding.cause,
                            position: finding.position,
                            text: finding.text,
                            first_seen: now,
                            last_seen: now,
                            active: true,
                            recurrences: 0,
                            state: AlertState::Open,
                            assignee: None,
                            history: vec![Transition {
                                state: AlertState::Open,
                                by: "vigil".into(),
                                at: now,
                                detail: None,
                            }],
                            annotations: Vec::new(),
                            named_tracks,
                            joined: Vec::new(),
                        },
                    );
                    condition.alert = Some(id);
                    raised.push(id);
                    self.changes.push((id, AlertChange::Raised));
                }
            }
        }
        // Conditions that did not hold this step.
        let mut forget = Vec::new();
        for (key, condition) in &mut self.conditions {
            if seen.contains(key) {
                continue;
            }
            let h = hysteresis(key.rule);
            let quiet_s = now.since(condition.last_true).as_secs_f64();
            if condition.holding && quiet_s >= h.clear_after_s {
                condition.holding = false;
                if let Some(alert) = condition.alert.and_then(|id| self.alerts.get_mut(&id)) {
                    alert.active = false;
                    self.changes.push((alert.id, AlertChange::Cleared));
                }
            }
            if !condition.holding && quiet_s > h.clear_after_s + h.rearm_s {
                forget.push(*key);
            }
        }
        for key in forget {
            self.conditions.remove(&key);
        }
        self.trim();
        raised
    }

    fn trim(&mut self) {
        while self.alerts.len() > MAX_ALERTS {
            let oldest_resolved = self
                .alerts
                .values()
                .find(|a| a.state == AlertState::Resolved)
                .map(|a| a.id);
            let Some(id) = oldest_resolved.or_else(|| self.alerts.keys().next().copied()) else {
                break;
            };
            self.alerts.remove(&id);
        }
    }

    fn alert_mut(&mut self, id: u64) -> Result<&mut Alert, ProtectionError> {
        self.alerts
            .get_mut(&id)
            .ok_or(ProtectionError::NoSuchAlert(id))
    }

    pub fn acknowledge(&mut self, id: u64, by: &str, now: TimeUs) -> Result<(), ProtectionError> {
        let alert = self.alert_mut(id)?;
        transition(
            alert,
            AlertState::Acknowledged,
            by,
            now,
            None,
            &[AlertState::Open],
        )?;
        self.changes.push((id, AlertChange::Acknowledged));
        Ok(())
    }

    /// Assigns an acknowledged (or assigned) alert to someone; an open one is acknowledged by
    /// the same act.
    pub fn assign(
        &mut self,
        id: u64,
        by: &str,
        to: &str,
        now: TimeUs,
    ) -> Result<(), ProtectionError> {
        let alert = self.alert_mut(id)?;
        if to.trim().is_empty() {
            return Err(ProtectionError::Workflow {
                id,
                reason: "an assignment needs a name".into(),
            });
        }
        let was_open = alert.state == AlertState::Open;
        if was_open {
            transition(
                alert,
                AlertState::Acknowledged,
                by,
                now,
                None,
                &[AlertState::Open],
            )?;
        }
        transition(
            alert,
            AlertState::Assigned,
            by,
            now,
            Some(to.to_owned()),
            &[AlertState::Acknowledged, AlertState::Assigned],
        )?;
        alert.assignee = Some(to.to_owned());
        if was_open {
            self.changes.push((id, AlertChange::Acknowledged));
        }
        self.changes.push((id, AlertChange::Assigned));
        Ok(())
    }

    pub fn resolve(
        &mut self,
        id: u64,
        by: &str,
        resolution: &str,
        now: TimeUs,
    ) -> Result<(), ProtectionError> {
        let alert = self.alert_mut(id)?;
        transition(
            alert,
            AlertState::Resolved,
            by,
            now,
            Some(resolution.to_owned()),
            &[AlertState::Acknowledged, AlertState::Assigned],
        )?;
        self.changes.push((id, AlertChange::Resolved));
        Ok(())
    }

    pub fn annotate(
        &mut self,
        id: u64,
        author: &str,
        text: &str,
        now: TimeUs,
    ) -> Result<(), ProtectionError> {
        let alert = self.alert_mut(id)?;
        if text.trim().is_empty() {
            return Err(ProtectionError::Workflow {
                id,
                reason: "an annotation needs text".into(),
            });
        }
        alert.annotations.push(Annotation {
            author: author.to_owned(),
            at: now,
            text: text.to_owned(),
        });
        self.changes.push((id, AlertChange::Annotated));
        Ok(())
    }
}

/// Brings an active (or re-raised) alert up to its latest finding; whether it became more
/// severe. The tracks its cause names for the first time are `alert.joined`.
fn refresh(alert: &mut Alert, finding: &Finding, now: TimeUs) -> bool {
    alert.joined = (finding.cause.tracks.iter())
        .filter(|id| alert.named_tracks.insert(**id))
        .copied()
        .collect();
    alert.last_seen = now;
    alert.cause = finding.cause.clone();
    alert.position = finding.position;
    alert.text = finding.text.clone();
    let escalated = finding.severity > alert.severity;
    alert.severity = alert.severity.max(finding.severity);
    if finding.site.is_some() {
        alert.site = finding.site;
    }
    escalated
}

fn transition(
    alert: &mut Alert,
    to: AlertState,
    by: &str,
    now: TimeUs,
    detail: Option<String>,
    from: &[AlertState],
) -> Result<(), ProtectionError> {
    if by.trim().is_empty() {
        return Err(ProtectionError::Workflow {
            id: alert.id,
            reason: "the operator's name is empty".into(),
        });
    }
    if !from.contains(&alert.state) {
        return Err(ProtectionError::Workflow {
            id: alert.id,
            reason: format!("cannot go from {} to {}", alert.state.label(), to.label()),
        });
    }
    alert.state = to;
    alert.history.push(Transition {
        state: to,
        by: by.to_owned(),
        at: now,
        detail,
    });
    Ok(())
}
