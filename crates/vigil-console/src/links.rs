//! The Links tab: each link's counters, rates, latency, health and signing, and what each
//! system heard on it signs with. A view of the snapshot, holding no state.

use std::time::Duration;

use eframe::egui::{self, RichText};

use super::map::Palette;
use vigil_station::Snapshot;

/// Link statistics, the pipeline's queues and the recorder.
pub fn ui(ui: &mut egui::Ui, s: &Snapshot, palette: &Palette) {
    egui::ScrollArea::vertical().id_salt("links").show(ui, |ui| {
        egui::Grid::new("links").striped(true).show(ui, |ui| {
            for h in [
                "link",
                "state",
                "health",
                "signing",
                "frames rx/tx",
                "bytes rx/tx",
                "CRC err",
                "parse err",
                "loss",
                "tx dropped",
                "refused (forged/replayed/unsigned/unverifiable)",
                "last heard",
                "senders",
            ] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for l in &s.links {
                let st = &l.stats;
                ui.label(l.address.to_string());
                ui.label(st.state.label());
                ui.label(
                    RichText::new(l.health.label()).color(palette.health(l.health)),
                );
                let auth = match &l.auth {
                    vigil_link::LinkAuth::Unsigned => "unsigned".to_owned(),
                    vigil_link::LinkAuth::Signed { fingerprint, .. } => {
                        format!("signed ({fingerprint})")
                    }
                    vigil_link::LinkAuth::Mixed {
                        fingerprint,
                        unsigned_accepted,
                        ..
                    } => format!("MIXED ({fingerprint}, {unsigned_accepted} unsigned taken)"),
                };
                ui.label(auth);
                ui.label(format!("{}/{}", st.frames_rx, st.frames_tx));
                ui.label(format!("{}/{}", st.bytes_rx, st.bytes_tx));
                ui.label(st.crc_errors.to_string());
                ui.label(st.parse_errors.to_string());
                ui.label(format!("{:.1} %", st.loss_ratio() * 100.0));
                ui.label(st.tx_dropped.to_string());
                ui.label(format!(
                    "{}/{}/{}/{}",
                    st.forged, st.replayed, st.unsigned_rejected, st.unverifiable
                ));
                ui.label(st.last_heard.map_or("never".into(), |t| {
                    format!("{:.1} s ago", s.world.time.since(t).as_secs_f64())
                }));
                ui.label(st.senders.len().to_string());
                ui.end_row();
            }
        });
        signing_by_system_ui(ui, s);
        ui.separator();
        let p = &s.pipeline;
        ui.label(format!(
            "pipeline: {} queued · {} coalesced · {} dropped · latency p50 {} p99 {} · track latency p50 {}",
            p.queued,
            p.coalesced,
            p.dropped,
            ms(p.latency_p50),
            ms(p.latency_p99),
            ms(p.track_latency_p50),
        ));
        if let Some(r) = &s.recorder {
            ui.label(format!(
                "recorder: {} frames · {} bytes · {} write errors · {} dropped · {}",
                r.records,
                r.bytes,
                r.write_errors,
                r.dropped,
                r.path.display()
            ));
        }
    });
}

fn ms(d: Option<Duration>) -> String {
    d.map_or("—".into(), |d| {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    })
}

/// Per vehicle (or node) and link: whether its frames are signed, with which key, and how
/// many were refused.
fn signing_by_system_ui(ui: &mut egui::Ui, s: &vigil_station::Snapshot) {
    if s.links.iter().all(|l| l.signing.is_empty()) {
        return;
    }
    ui.separator();
    ui.label(RichText::new("Signing by system").strong());
    egui::Grid::new("signing-by-system")
        .striped(true)
        .show(ui, |ui| {
            for h in [
                "system",
                "link",
                "signing",
                "key",
                "signed",
                "refused (forged/replayed/unsigned/unverifiable)",
                "unsigned taken",
            ] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for link in &s.links {
                for system in &link.signing {
                    let c = &system.counts;
                    ui.label(system.sysid.to_string());
                    ui.label(link.address.to_string());
                    ui.label(system.label());
                    ui.label(match (&system.key_error, &system.fingerprint) {
                        (Some(error), _) => error.clone(),
                        (None, Some(fingerprint)) => fingerprint.clone(),
                        (None, None) => "no key".to_owned(),
                    });
                    ui.label(c.signed.to_string());
                    ui.label(format!(
                        "{} ({}/{}/{}/{})",
                        c.refused(),
                        c.forged,
                        c.replayed,
                        c.unsigned_refused,
                        c.unverifiable
                    ));
                    ui.label(c.unsigned_accepted.to_string());
                    ui.end_row();
                }
            }
        });
}
