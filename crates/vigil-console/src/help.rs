//! The keyboard shortcuts' window (F1, or the Help button).

use eframe::egui;

/// Opens the window while `open`; its close button clears `open`.
pub fn window(ctx: &egui::Context, open: &mut bool) {
    if !*open {
        return;
    }
    egui::Window::new("Keyboard shortcuts")
        .open(open)
        .collapsible(false)
        .show(ctx, |ui| {
            egui::Grid::new("help").striped(true).show(ui, |ui| {
                for (key, what) in SHORTCUTS {
                    ui.monospace(*key);
                    ui.label(*what);
                    ui.end_row();
                }
            });
        });
}

const SHORTCUTS: &[(&str, &str)] = &[
    ("F1", "this help"),
    ("Esc", "end the tool, clear the selection, stop drawing"),
    ("M", "measure distance and bearing (two clicks)"),
    ("C", "centre the map on the selected drone"),
    ("Shift+A", "select every drone"),
    ("T", "take off the selected drones (asks to confirm)"),
    ("L", "land the selected drones (asks to confirm)"),
    (
        "R",
        "return the selected drones to launch (asks to confirm)",
    ),
    ("P", "open the mission planner"),
    ("Del", "delete the selected waypoint"),
    ("N", "switch night / day theme"),
    ("Ctrl + / Ctrl -", "interface scale"),
    (
        "Right click",
        "map actions: go here, orbit, point camera, waypoint",
    ),
    ("Shift+click", "add a drone to the selection"),
    (
        "Double click in a list",
        "select the drone or sensor and centre the map on it",
    ),
];
