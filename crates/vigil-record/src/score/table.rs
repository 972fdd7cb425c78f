//! The score as people read it: each entry on a line, then the totals beside their targets,
//! the false alerts with their rule and text, alerts per hour by severity and each site's
//! longest unobserved interval. Times are seconds from the period's start (the truth's first
//! row) after the UTC of that start, durations as `vigil summary` writes them.

use std::fmt::Write as _;

use super::{Score, Verdict};
use crate::summary::duration_text;
use vigil_core::time::{TimeUs, utc_string};

/// What is shown where there is no figure.
const NONE: &str = "—";

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| NONE.to_owned(), |s| format!("{:.0} %", s * 100.0))
}

fn optional_duration(us: Option<u64>) -> String {
    us.map_or_else(|| NONE.to_owned(), duration_text)
}

impl Score {
    /// `T+1406 s`: a time as seconds from the period's start.
    fn at(&self, time_us: u64) -> String {
        let secs = time_us.saturating_sub(self.start_us) as f64 / 1e6;
        format!("T+{secs:.0} s")
    }

    /// The score as a readable table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Scored from {} (T) to {} ({}), against the ground truth\n",
            utc_string(TimeUs(self.start_us)),
            utc_string(TimeUs(self.end_us)),
            duration_text(self.end_us.saturating_sub(self.start_us))
        );
        self.entries_table(&mut out);
        self.totals_table(&mut out);
        self.alerts_table(&mut out);
        self.sites_table(&mut out);
        for note in &self.notes {
            let _ = writeln!(out, "\nNote: {note}");
        }
        out
    }

    fn entries_table(&self, out: &mut String) {
        if self.entries.is_empty() {
            let _ = writeln!(out, "Armed entries into site buffers: none\n");
            return;
        }
        let _ = writeln!(out, "Armed entries into site buffers:");
        for e in &self.entries {
            let alerted = match (&e.alert_id, e.delay_us) {
                (Some(id), Some(delay)) => {
                    format!("alerted after {} (alert {id})", duration_text(delay))
                }
                _ if e.covered => "MISSED (a sensor or camera held it)".to_owned(),
                _ => "MISSED (nothing held it)".to_owned(),
            };
            let warned = match (&e.warning, e.warned_before_us) {
                (Some(alert), Some(before)) => {
                    format!("warned {} before ({alert})", duration_text(before))
                }
                _ => "not warned before".to_owned(),
            };
            let _ = writeln!(
                out,
                "  {:<18} {:<28} entered {:>10}  {alerted}; {warned}",
                e.mover,
                e.site,
                self.at(e.entered_us)
            );
        }
        let _ = writeln!(out);
    }

    fn totals_table(&self, out: &mut String) {
        let t = &self.totals;
        let _ = writeln!(out, "Totals:");
        let _ = writeln!(
            out,
            "  entries alerted         {:>3} of {:<3} {:>6}   (target ≥ 95 %); {} of {} held by a sensor or camera",
            t.alerted,
            t.entries,
            percent(t.alerted_share),
            t.covered_alerted,
            t.covered
        );
        let _ = writeln!(
            out,
            "  entry to alert          median {}, 90th pct {}   (target median ≤ 30 s)",
            optional_duration(t.median_delay_us),
            optional_duration(t.p90_delay_us)
        );
        let _ = writeln!(
            out,
            "  warned before entry     {:>3} of {:<3} {:>6}   (target ≥ 50 %); median {} before",
            t.warned,
            t.entries,
            percent(t.warned_share),
            optional_duration(t.median_warned_before_us)
        );
        let rate = t
            .false_per_hour
            .map_or_else(|| NONE.to_owned(), |r| format!("{r:.1}"));
        let _ = writeln!(
            out,
            "  alerts                  {} raised: {} about an armed mover, {} about equipment, {} false",
            t.alerts, t.about_armed, t.equipment, t.false_alerts
        );
        let _ = writeln!(
            out,
            "  false alerts per hour   {rate}   (target ≤ 1); critical and false: {}   (target 0)",
            t.critical_false
        );
        let _ = writeln!(out);
    }

    fn alerts_table(&self, out: &mut String) {
        let false_alerts: Vec<_> = self
            .alerts
            .iter()
            .filter(|a| a.verdict == Verdict::False)
            .collect();
        if false_alerts.is_empty() {
            let _ = writeln!(out, "False alerts: none");
        } else {
            let _ = writeln!(out, "False alerts:");
            for a in false_alerts {
                let nearest = match (&a.nearest_mover, a.nearest_m) {
                    (Some(mover), Some(m)) => format!(
                        "nearest mover {mover}{} at {m:.0} m",
                        if a.nearest_armed { " (armed)" } else { "" }
                    ),
                    _ => "no mover at the time".to_owned(),
                };
                let _ = writeln!(
                    out,
                    "  alert {} {} {} at {}: {} ({nearest})",
                    a.alert_id,
                    a.severity,
                    a.rule,
                    self.at(a.raised_us),
                    a.text
                );
            }
        }
        let _ = write!(out, "\nAlerts per hour by severity:");
        if self.per_hour.is_empty() {
            let _ = write!(out, " {NONE}");
        }
        for rate in &self.per_hour {
            let per_hour = rate
                .per_hour
                .map_or_else(|| NONE.to_owned(), |r| format!("{r:.1}"));
            let _ = write!(
                out,
                "  {} {per_hour} ({} raised)",
                rate.severity, rate.count
            );
        }
        let _ = writeln!(out, "\n");
    }

    fn sites_table(&self, out: &mut String) {
        let _ = writeln!(out, "Longest unobserved, per site:");
        for site in &self.sites {
            let never = if site.ever_observed {
                ""
            } else {
                " (never observed)"
            };
            let _ = writeln!(
                out,
                "  {:<28} {:>12}  from {} to {}{never}",
                site.site,
                duration_text(site.longest_unobserved_us),
                self.at(site.from_us),
                self.at(site.to_us)
            );
        }
    }
}
