//! The summary as a shift supervisor reads it: plain text, durations as `1 m 05 s`, `—` where
//! there is nothing to measure.

use std::fmt::Write as _;

use super::{AlertStats, Summary};
use vigil_core::time::{TimeUs, utc_string};

/// What is shown where there is no figure.
const NONE: &str = "—";

/// A duration for people: `0.4 s` and `9.5 s` under ten seconds, then `42 s`, `1 m 05 s`,
/// `2 h 03 m 00 s` (rounded to the nearest tenth, then whole second).
pub fn duration_text(us: u64) -> String {
    let tenths = us.saturating_add(50_000) / 100_000;
    if tenths < 100 {
        return format!("{}.{} s", tenths / 10, tenths % 10);
    }
    let secs = us.saturating_add(500_000) / 1_000_000;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h} h {m:02} m {s:02} s")
    } else if m > 0 {
        format!("{m} m {s:02} s")
    } else {
        format!("{s} s")
    }
}

fn optional_duration(us: Option<u64>) -> String {
    us.map_or_else(|| NONE.to_owned(), duration_text)
}

fn time_text(us: Option<u64>) -> String {
    us.map_or_else(|| NONE.to_owned(), |t| utc_string(TimeUs(t)))
}

fn stats_table(out: &mut String, title: &str, stats: &AlertStats) {
    let rate = stats
        .per_hour
        .map_or_else(|| NONE.to_owned(), |r| format!("{r:.1}"));
    let _ = writeln!(
        out,
        "{title}: {} raised, {} still open at the end, {rate} per hour",
        stats.count, stats.open
    );
    let _ = writeln!(
        out,
        "  {:<24} {:>9}  {:>12}  {:>12}",
        "raised to", "reached", "median", "90th pct"
    );
    for step in &stats.steps {
        let _ = writeln!(
            out,
            "  {:<24} {:>9}  {:>12}  {:>12}",
            step.step.label(),
            format!("{}/{}", step.reached, stats.count),
            optional_duration(step.median_us),
            optional_duration(step.p90_us)
        );
    }
}

fn per_hour_table(out: &mut String, summary: &Summary) {
    let severities: Vec<&str> = summary
        .by_severity
        .iter()
        .map(|s| s.severity.as_str())
        .collect();
    let _ = write!(out, "Alerts per hour (UTC)");
    if summary.per_hour.is_empty() {
        let _ = writeln!(out, ": {NONE}");
        return;
    }
    let _ = write!(out, "{:<4}", "");
    for severity in &severities {
        let _ = write!(out, " {severity:>9}");
    }
    let _ = writeln!(out);
    for hour in &summary.per_hour {
        let _ = write!(out, "  {:<23}", hour.hour_utc);
        for severity in &severities {
            let count = hour.by_severity.get(*severity).copied().unwrap_or(0);
            let _ = write!(out, " {count:>9}");
        }
        let _ = writeln!(out);
    }
}

fn open_alerts(out: &mut String, summary: &Summary) {
    let open: Vec<_> = summary.responses.iter().filter(|r| r.is_open()).collect();
    if open.is_empty() {
        let _ = writeln!(out, "Still open at the end: none");
        return;
    }
    let _ = writeln!(out, "Still open at the end:");
    for alert in open {
        let age = summary
            .end_us
            .map(|end| duration_text(end.saturating_sub(alert.raised_us)));
        let site = if alert.site.is_empty() {
            String::new()
        } else {
            format!(" at {}", alert.site)
        };
        let _ = writeln!(
            out,
            "  alert {} {} {}{site}, {}, raised {} ({} before the end)",
            alert.alert_id,
            alert.severity,
            alert.rule,
            alert.state,
            utc_string(TimeUs(alert.raised_us)),
            age.as_deref().unwrap_or(NONE)
        );
    }
}

impl Summary {
    /// The summary as a readable table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let length = match (self.start_us, self.end_us) {
            (Some(start), Some(end)) => duration_text(end.saturating_sub(start)),
            _ => NONE.to_owned(),
        };
        let _ = writeln!(
            out,
            "From {} to {} ({length})\n",
            time_text(self.start_us),
            time_text(self.end_us)
        );
        stats_table(&mut out, "Alerts", &self.alerts);
        for severity in &self.by_severity {
            let _ = writeln!(out);
            stats_table(&mut out, &severity.severity, &severity.stats);
        }
        let _ = writeln!(out);
        per_hour_table(&mut out, self);
        let _ = writeln!(out);
        open_alerts(&mut out, self);
        let r = &self.reports;
        let _ = writeln!(
            out,
            "\nCommunity reports: {} received, {} verified, {} rejected; received to verified: \
             median {}, 90th pct {}",
            r.received,
            r.verified,
            r.rejected,
            optional_duration(r.to_verified_median_us),
            optional_duration(r.to_verified_p90_us)
        );
        let i = &self.incidents;
        let _ = writeln!(
            out,
            "Incidents: {} recorded, {} verified, {} rejected",
            i.recorded, i.verified, i.rejected
        );
        out
    }
}
