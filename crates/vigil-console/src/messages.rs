//! The Messages tab, a part with its own state: the console's own messages (a command that
//! failed, a file not saved), a replay's recorded decisions, and the world's notices above a
//! chosen severity.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use eframe::egui::{self, RichText};

use super::map::Palette;
use super::panels::severity_colour;
use vigil_core::time::{TimeUs, utc_string};
use vigil_station::Snapshot;
use vigil_world::Severity;

/// Messages from the console itself (command failures, files not saved) kept on screen.
const LOCAL_MESSAGES: usize = 50;

/// The message list's filter and the console's own messages.
#[derive(Debug)]
pub struct MessageFilter {
    pub min: Severity,
    pub local: VecDeque<(Instant, String)>,
}

impl Default for MessageFilter {
    fn default() -> Self {
        Self {
            min: Severity::Info,
            local: VecDeque::new(),
        }
    }
}

impl MessageFilter {
    pub fn local(&mut self, text: String) {
        self.local.push_front((Instant::now(), text));
        self.local.truncate(LOCAL_MESSAGES);
    }

    /// The Messages tab: the console's own recent messages, a replay's recorded decisions up
    /// to the replay's time, and the notices at or above the chosen severity, newest first.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        snapshot: &Snapshot,
        decisions: Option<&[(TimeUs, String)]>,
        palette: &Palette,
    ) {
        ui.horizontal(|ui| {
            egui::ComboBox::from_label("and more severe")
                .selected_text(self.min.label())
                .show_ui(ui, |ui| {
                    for s in [
                        Severity::Critical,
                        Severity::Error,
                        Severity::Warning,
                        Severity::Notice,
                        Severity::Info,
                        Severity::Debug,
                    ] {
                        ui.selectable_value(&mut self.min, s, s.label());
                    }
                });
        });
        egui::ScrollArea::vertical()
            .id_salt("messages")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                for (at, text) in self.local.iter().take(5) {
                    if at.elapsed() < Duration::from_secs(120) {
                        ui.label(RichText::new(format!("console: {text}")).color(palette.stale));
                    }
                }
                // A replay shows what the mission decided, from the session's journal.
                if let Some(decisions) = decisions {
                    for (at, line) in decisions.iter().rev().take(50) {
                        ui.label(
                            RichText::new(format!(
                                "{} decision  {line}",
                                &utc_string(*at).get(11..19).unwrap_or("")
                            ))
                            .monospace()
                            .color(palette.label),
                        );
                    }
                }
                for n in snapshot.world.notices.iter().rev() {
                    if n.severity > self.min {
                        continue;
                    }
                    // Notices name their source in their text.
                    ui.label(
                        RichText::new(format!(
                            "{} {:<9} {}",
                            &utc_string(n.time).get(11..19).unwrap_or(""),
                            n.severity.label(),
                            n.text
                        ))
                        .monospace()
                        .color(severity_colour(palette, n.severity)),
                    );
                }
            });
    }
}
