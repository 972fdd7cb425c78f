//! The console's session tools: the replay bar (play, pause, speed, seek) when a recording is
//! open, and the export dialog with its progress bar. A seek backward restarts the replay's
//! pipeline, so the console takes the new station and forgets what it derived from the old
//! one. An export runs on its own thread (`vigil-export`) and reports progress through a
//! bounded channel; the UI thread only reads the latest.

use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};
use eframe::egui;

use vigil_record::export::{ExportOptions, Format, Progress, RedactLevel, export_session};

/// Progress messages in flight from the export thread; when full, one is skipped (the next
/// carries the newer figure).
const PROGRESS_CAPACITY: usize = 16;

/// What the export thread says.
enum ExportEvent {
    Progress(Progress),
    Done(Result<String, String>),
}

/// The export dialog's settings and the export running, if any.
pub struct Exporter {
    pub open: bool,
    pub format: Format,
    pub redact: RedactLevel,
    pub out: String,
    running: Option<(Receiver<ExportEvent>, JoinHandle<()>)>,
    pub progress: Option<Progress>,
    pub status: String,
}

impl Default for Exporter {
    fn default() -> Self {
        Self {
            open: false,
            format: Format::GeoJson,
            redact: RedactLevel::Public,
            out: String::new(),
            running: None,
            progress: None,
            status: String::new(),
        }
    }
}

impl Exporter {
    /// Starts exporting `session` on the `vigil-export` thread.
    pub fn start(&mut self, session: &Path) {
        let (tx, rx) = bounded(PROGRESS_CAPACITY);
        let options = ExportOptions {
            format: self.format,
            out: (!self.out.trim().is_empty()).then(|| PathBuf::from(self.out.trim())),
            from: None,
            to: None,
            layers: Vec::new(),
            redact: self.redact,
        };
        let dir = session.to_owned();
        let spawned = std::thread::Builder::new()
            .name("vigil-export".into())
            .spawn(move || run_export(&dir, &options, &tx));
        match spawned {
            Ok(thread) => {
                self.running = Some((rx, thread));
                self.progress = None;
                self.status = "exporting…".into();
            }
            Err(err) => self.status = format!("cannot start the export: {err}"),
        }
    }

    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Takes what the export thread said since the last frame. Never blocks.
    pub fn poll(&mut self) {
        let Some((rx, _)) = &self.running else {
            return;
        };
        let mut done = None;
        while let Ok(event) = rx.try_recv() {
            match event {
                ExportEvent::Progress(p) => self.progress = Some(p),
                ExportEvent::Done(result) => done = Some(result),
            }
        }
        if let Some(result) = done {
            self.status = match result {
                Ok(text) | Err(text) => text,
            };
            if let Some((_, thread)) = self.running.take() {
                let _ = thread.join();
            }
        }
    }
}

fn run_export(dir: &Path, options: &ExportOptions, tx: &Sender<ExportEvent>) {
    let result = export_session(
        dir,
        options,
        &mut |p| match tx.try_send(ExportEvent::Progress(p)) {
            Ok(()) | Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {}
        },
    );
    let text = match result {
        Ok(summary) => Ok(format!(
            "exported to {} ({} features)",
            summary.out.display(),
            summary.counts.iter().map(|(_, n)| n).sum::<usize>()
        )),
        Err(err) => Err(format!("export failed: {err}")),
    };
    // The result must arrive: wait for room (the UI drains every frame).
    let _ = tx.send(ExportEvent::Done(text));
}

/// An export format as the operator knows it.
pub fn format_label(format: Format) -> &'static str {
    match format {
        Format::GeoJson => "GeoJSON",
        Format::Kml => "KML (Google Earth)",
        Format::Gpx => "GPX",
        Format::Csv => "CSV (spreadsheets)",
        Format::Gpkg => "GeoPackage (QGIS)",
        Format::Cot => "Cursor-on-Target (ATAK)",
        Format::Acled => "ACLED incidents (CSV with HXL)",
    }
}

/// A redaction level and what it hides.
pub fn redact_label(level: RedactLevel) -> &'static str {
    match level {
        RedactLevel::None => "none: everything kept",
        RedactLevel::Public => "public: no people's names",
        RedactLevel::Strict => "strict: no names, places coarsened to 1 km",
    }
}

/// The export window: format, redaction, where, and the progress of a running export.
pub fn export_window(ctx: &egui::Context, exporter: &mut Exporter, session: Option<&Path>) {
    exporter.poll();
    let mut open = exporter.open;
    egui::Window::new("Export the session")
        .open(&mut open)
        .collapsible(false)
        // Over the middle of the map, not over the drone list at the left edge.
        .pivot(egui::Align2::CENTER_TOP)
        .default_pos(ctx.content_rect().center_top() + egui::vec2(0.0, 60.0))
        .show(ctx, |ui| {
            let Some(session) = session else {
                ui.label("This session is not recorded: nothing to export.");
                return;
            };
            ui.label(format!("Session {}", session.display()));
            egui::ComboBox::from_label("format")
                .selected_text(format_label(exporter.format))
                .show_ui(ui, |ui| {
                    for f in [
                        Format::GeoJson,
                        Format::Kml,
                        Format::Gpx,
                        Format::Csv,
                        Format::Gpkg,
                        Format::Cot,
                        Format::Acled,
                    ] {
                        ui.selectable_value(&mut exporter.format, f, format_label(f));
                    }
                });
            egui::ComboBox::from_label("redaction")
                .selected_text(redact_label(exporter.redact))
                .show_ui(ui, |ui| {
                    for r in [RedactLevel::None, RedactLevel::Public, RedactLevel::Strict] {
                        ui.selectable_value(&mut exporter.redact, r, redact_label(r));
                    }
                });
            ui.horizontal(|ui| {
                let name = ui.label("Output");
                ui.add(
                    egui::TextEdit::singleline(&mut exporter.out)
                        .hint_text("default: in the session folder"),
                )
                .labelled_by(name.id);
            });
            if ui
                .add_enabled(!exporter.is_running(), egui::Button::new("Export"))
                .clicked()
            {
                exporter.start(session);
            }
            if let Some(p) = exporter.progress.filter(|_| exporter.is_running()) {
                ui.add(
                    egui::ProgressBar::new(p.fraction() as f32)
                        .text(format!("{} {}/{}", p.stage, p.done, p.total)),
                );
            }
            if !exporter.status.is_empty() {
                ui.label(&exporter.status);
            }
        });
    exporter.open = open;
}
