//! The alerts as a worklist (issue #17 item 10), in the bottom panel's Alerts tab: sorted by
//! severity, newest, oldest or site; filtered by severity, workflow state and site; and
//! grouped by event — the alerts of one rule about one subject (a place, a sensor, a drone:
//! the same thing coming back after its alert was resolved or after the re-arm time) under
//! one line with their count, open, to acknowledge together ("acknowledge similar").
//!
//! A part of the console with its own state (the choices persist while the console runs);
//! what the list is is a pure function of the protection view and the choices
//! ([`rows`]), tested apart from egui.

use std::collections::BTreeMap;

use eframe::egui::{self, RichText};

use super::desk::Shared;
use super::map::{Palette, Pick};
use vigil_core::time::TimeUs;
use vigil_protection::{
    Alert, AlertSeverity, AlertState, ProtectionView, RuleKind, SiteId, Subject,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Most severe first, then newest.
    #[default]
    Severity,
    Newest,
    Oldest,
    /// By site name, then most severe.
    Site,
}

impl Sort {
    const ALL: [Self; 4] = [Self::Severity, Self::Newest, Self::Oldest, Self::Site];

    fn label(self) -> &'static str {
        match self {
            Self::Severity => "severity",
            Self::Newest => "newest",
            Self::Oldest => "oldest",
            Self::Site => "site",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StateFilter {
    /// Open, acknowledged or assigned.
    #[default]
    Unresolved,
    Open,
    Acknowledged,
    Assigned,
    Resolved,
    All,
}

impl StateFilter {
    const ALL: [Self; 6] = [
        Self::Unresolved,
        Self::Open,
        Self::Acknowledged,
        Self::Assigned,
        Self::Resolved,
        Self::All,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::Unresolved => "unresolved",
            Self::Open => "open",
            Self::Acknowledged => "acknowledged",
            Self::Assigned => "assigned",
            Self::Resolved => "resolved",
            Self::All => "all",
        }
    }

    fn holds(self, state: AlertState) -> bool {
        match self {
            Self::Unresolved => state != AlertState::Resolved,
            Self::Open => state == AlertState::Open,
            Self::Acknowledged => state == AlertState::Acknowledged,
            Self::Assigned => state == AlertState::Assigned,
            Self::Resolved => state == AlertState::Resolved,
            Self::All => true,
        }
    }
}

/// The operator's choices.
#[derive(Debug, Clone, PartialEq)]
pub struct Worklist {
    pub sort: Sort,
    pub min_severity: AlertSeverity,
    pub state: StateFilter,
    pub site: Option<SiteId>,
    pub grouped: bool,
}

impl Default for Worklist {
    fn default() -> Self {
        Self {
            sort: Sort::default(),
            min_severity: AlertSeverity::Info,
            state: StateFilter::default(),
            site: None,
            grouped: true,
        }
    }
}

/// A line of the list: an alert, or a group of alerts of one rule about one subject (most
/// important first).
#[derive(Debug, Clone, PartialEq)]
pub enum Row<'a> {
    Alert(&'a Alert),
    Group {
        rule: RuleKind,
        subject: Subject,
        alerts: Vec<&'a Alert>,
    },
}

/// What the operator asked of the list.
#[derive(Debug, Clone, PartialEq)]
pub enum Asked {
    Open(u64),
    Acknowledge(Vec<u64>),
}

fn site_name(view: &ProtectionView, site: Option<SiteId>) -> String {
    site.and_then(|id| view.sites.iter().find(|s| s.id == id))
        .map_or_else(String::new, |s| s.name.clone())
}

/// The list as the choices make it.
pub fn rows<'a>(view: &'a ProtectionView, w: &Worklist) -> Vec<Row<'a>> {
    let mut alerts: Vec<&Alert> = view
        .alerts
        .iter()
        .filter(|a| {
            a.severity >= w.min_severity
                && w.state.holds(a.state)
                && w.site.is_none_or(|s| a.site == Some(s))
        })
        .collect();
    // Newest: raised later, or with a higher number when raised at once.
    let age = |a: &Alert| (a.first_seen, a.id);
    match w.sort {
        Sort::Severity => {
            alerts.sort_by(|a, b| b.severity.cmp(&a.severity).then(age(b).cmp(&age(a))))
        }
        Sort::Newest => alerts.sort_by_key(|a| std::cmp::Reverse(age(a))),
        Sort::Oldest => alerts.sort_by_key(|a| age(a)),
        Sort::Site => alerts.sort_by(|a, b| {
            site_name(view, a.site)
                .cmp(&site_name(view, b.site))
                .then(b.severity.cmp(&a.severity))
                .then(age(b).cmp(&age(a)))
        }),
    }
    if !w.grouped {
        return alerts.into_iter().map(Row::Alert).collect();
    }
    // Groups in the order of their first (most important) alert.
    let mut order: Vec<(RuleKind, Subject)> = Vec::new();
    let mut groups: BTreeMap<(RuleKind, Subject), Vec<&Alert>> = BTreeMap::new();
    for a in alerts {
        let key = (a.rule, a.subject);
        if !groups.contains_key(&key) {
            order.push(key);
        }
        groups.entry(key).or_default().push(a);
    }
    order
        .into_iter()
        .filter_map(|key| {
            let alerts = groups.remove(&key)?;
            Some(if alerts.len() == 1 {
                Row::Alert(alerts[0])
            } else {
                Row::Group {
                    rule: key.0,
                    subject: key.1,
                    alerts,
                }
            })
        })
        .collect()
}

impl Worklist {
    /// The Alerts tab: the count and the sites longest unobserved above the worklist; opening
    /// an alert shows it in the details panel, acknowledging is recorded with the operator.
    pub fn tab(&mut self, ui: &mut egui::Ui, cx: &mut Shared) {
        let snapshot = cx.snapshot;
        let palette = cx.palette();
        let open = snapshot.protection.open_alerts();
        ui.label(format!(
            "{} open alerts · sites longest unobserved: {}",
            open.len(),
            snapshot
                .protection
                .unobserved
                .iter()
                .take(3)
                .map(|u| format!("{} ({:.0} min)", u.name, u.unobserved_s / 60.0))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let selected = match cx.focus.pick {
            Some(Pick::Alert(id)) => Some(id),
            _ => None,
        };
        let asked = self.ui(
            ui,
            &snapshot.protection,
            &palette,
            selected,
            snapshot.protection.time,
        );
        match asked {
            Some(Asked::Open(id)) => {
                cx.open(Pick::Alert(id));
            }
            Some(Asked::Acknowledge(ids)) => {
                let by = cx.operator().to_owned();
                for id in ids {
                    cx.actions.protection_reply_about(
                        format!("alert {id}"),
                        format!("Acknowledge alert {id}"),
                        cx.station.acknowledge_alert(id, &by),
                    );
                }
            }
            None => {}
        }
    }

    /// The filter bar and the list; what the operator asked, if anything.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        view: &ProtectionView,
        palette: &Palette,
        selected: Option<u64>,
        now: TimeUs,
    ) -> Option<Asked> {
        self.filter_bar(ui, view);
        let mut asked = None;
        let colour = |s: AlertSeverity| match s {
            AlertSeverity::Critical => palette.critical,
            AlertSeverity::Warning => palette.warning,
            AlertSeverity::Info => palette.label,
        };
        let rows = rows(view, self);
        egui::ScrollArea::vertical()
            .id_salt("alerts")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                if rows.is_empty() {
                    ui.label(RichText::new("No alert matches.").weak());
                }
                for row in rows {
                    match row {
                        Row::Alert(a) => {
                            let line = super::panels::alert_line(a);
                            let text = RichText::new(line).color(colour(a.severity));
                            if ui.selectable_label(selected == Some(a.id), text).clicked() {
                                asked = Some(Asked::Open(a.id));
                            }
                        }
                        Row::Group {
                            rule,
                            subject,
                            alerts,
                        } => {
                            let head = alerts[0];
                            let site = head.site;
                            let title = format!(
                                "{} × {} {} at {} (newest {} ago)",
                                alerts.len(),
                                head.severity.label(),
                                rule.label(),
                                site_name(view, site),
                                age_text(now, alerts.iter().map(|a| a.first_seen).max()),
                            );
                            let id = ui.make_persistent_id(("alert-group", rule, subject));
                            egui::collapsing_header::CollapsingState::load_with_default_open(
                                ui.ctx(),
                                id,
                                true,
                            )
                            .show_header(ui, |ui| {
                                ui.label(RichText::new(title).color(colour(head.severity)));
                                let open: Vec<u64> = (alerts.iter())
                                    .filter(|a| a.state == AlertState::Open)
                                    .map(|a| a.id)
                                    .collect();
                                if !open.is_empty()
                                    && ui.button(format!("Acknowledge {}", open.len())).clicked()
                                {
                                    asked = Some(Asked::Acknowledge(open));
                                }
                            })
                            .body(|ui| {
                                for a in alerts {
                                    let line = super::panels::alert_line(a);
                                    let text = RichText::new(line).color(colour(a.severity));
                                    if ui.selectable_label(selected == Some(a.id), text).clicked() {
                                        asked = Some(Asked::Open(a.id));
                                    }
                                }
                            });
                        }
                    }
                }
            });
        asked
    }

    fn filter_bar(&mut self, ui: &mut egui::Ui, view: &ProtectionView) {
        ui.horizontal_wrapped(|ui| {
            egui::ComboBox::from_label("sort")
                .selected_text(self.sort.label())
                .show_ui(ui, |ui| {
                    for s in Sort::ALL {
                        ui.selectable_value(&mut self.sort, s, s.label());
                    }
                });
            egui::ComboBox::from_label("at least")
                .selected_text(self.min_severity.label())
                .show_ui(ui, |ui| {
                    for s in [
                        AlertSeverity::Info,
                        AlertSeverity::Warning,
                        AlertSeverity::Critical,
                    ] {
                        ui.selectable_value(&mut self.min_severity, s, s.label());
                    }
                });
            egui::ComboBox::from_label("state")
                .selected_text(self.state.label())
                .show_ui(ui, |ui| {
                    for s in StateFilter::ALL {
                        ui.selectable_value(&mut self.state, s, s.label());
                    }
                });
            let site = site_name(view, self.site);
            egui::ComboBox::from_label("site")
                .selected_text(if site.is_empty() { "all sites" } else { &site })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.site, None, "all sites");
                    for s in view.sites.iter() {
                        ui.selectable_value(&mut self.site, Some(s.id), &s.name);
                    }
                });
            ui.checkbox(&mut self.grouped, "group by event");
        });
    }
}

fn age_text(now: TimeUs, at: Option<TimeUs>) -> String {
    at.map_or_else(
        || "?".to_owned(),
        |at| vigil_protection::dispatch::minutes_text(now.since(at).as_secs_f64()),
    )
}

/// A red band under the menu while a critical alert is open (not yet acknowledged): seen
/// whether or not the cues sound; a click opens the alert.
pub fn critical_banner(ui: &mut egui::Ui, cx: &mut Shared) {
    let open: Vec<(u64, String)> = cx
        .snapshot
        .protection
        .open_alerts()
        .into_iter()
        .filter(|a| {
            a.severity == vigil_protection::AlertSeverity::Critical
                && a.state == vigil_protection::AlertState::Open
        })
        .map(|a| {
            (
                a.id,
                vigil_protection::alert_line(a, &cx.snapshot.protection.sites),
            )
        })
        .collect();
    let Some((id, line)) = open.first().cloned() else {
        return;
    };
    let palette = cx.palette();
    egui::Panel::top("vigil-critical")
        .frame(egui::Frame::NONE.fill(palette.critical).inner_margin(4.0))
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                let more = if open.len() > 1 {
                    format!(" (+{} more critical)", open.len() - 1)
                } else {
                    String::new()
                };
                ui.label(
                    egui::RichText::new(format!("{line}{more}"))
                        .strong()
                        .color(egui::Color32::WHITE),
                );
                if ui.button("Open the alert").clicked() {
                    cx.open(Pick::Alert(id));
                }
            });
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use vigil_protection::{Cause, LatLon, Subject};

    fn alert(id: u64, rule: RuleKind, site: u32, severity: AlertSeverity, s: u64) -> Alert {
        Alert {
            id,
            rule,
            subject: Subject::Site(site),
            severity,
            site: Some(site),
            cause: Cause::default(),
            position: LatLon {
                lat_deg: 9.0,
                lon_deg: 31.0,
            },
            text: format!("alert {id}"),
            first_seen: TimeUs(s * 1_000_000),
            last_seen: TimeUs(s * 1_000_000),
            active: true,
            recurrences: 0,
            state: AlertState::Open,
            assignee: None,
            history: Vec::new(),
            named_tracks: Default::default(),
            joined: Vec::new(),
            annotations: Vec::new(),
        }
    }

    fn view() -> ProtectionView {
        let mut a3 = alert(3, RuleKind::Unobserved, 1, AlertSeverity::Info, 30);
        a3.state = AlertState::Resolved;
        ProtectionView {
            alerts: Arc::new(vec![
                alert(1, RuleKind::BufferIntrusion, 0, AlertSeverity::Warning, 10),
                alert(2, RuleKind::BufferIntrusion, 0, AlertSeverity::Critical, 20),
                a3,
                alert(4, RuleKind::Approach, 1, AlertSeverity::Warning, 40),
            ]),
            ..ProtectionView::default()
        }
    }

    fn ids(rows: &[Row]) -> Vec<Vec<u64>> {
        rows.iter()
            .map(|r| match r {
                Row::Alert(a) => vec![a.id],
                Row::Group { alerts, .. } => alerts.iter().map(|a| a.id).collect(),
            })
            .collect()
    }

    #[test]
    fn one_rule_about_one_place_is_one_group_most_severe_first() {
        let view = view();
        let w = Worklist::default();
        assert_eq!(ids(&rows(&view, &w)), vec![vec![2, 1], vec![4]]);
        let flat = Worklist {
            grouped: false,
            sort: Sort::Newest,
            ..Worklist::default()
        };
        assert_eq!(ids(&rows(&view, &flat)), vec![vec![4], vec![2], vec![1]]);
    }

    #[test]
    fn filters_by_severity_state_and_site() {
        let view = view();
        let critical = Worklist {
            min_severity: AlertSeverity::Critical,
            ..Worklist::default()
        };
        assert_eq!(ids(&rows(&view, &critical)), vec![vec![2]]);
        let resolved = Worklist {
            state: StateFilter::Resolved,
            ..Worklist::default()
        };
        assert_eq!(ids(&rows(&view, &resolved)), vec![vec![3]]);
        let site_1 = Worklist {
            site: Some(1),
            state: StateFilter::All,
            sort: Sort::Oldest,
            ..Worklist::default()
        };
        assert_eq!(ids(&rows(&view, &site_1)), vec![vec![3], vec![4]]);
    }
}
