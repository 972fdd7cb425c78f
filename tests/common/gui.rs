//! The console under egui_kittest, for the GUI tests: a harness on a console over a real
//! station, and waiting (frame by frame, in real time) for what an operator would see.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the fixtures"
)]

use std::time::{Duration, Instant};

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use vigil_console::{ConsoleApp, ConsoleOptions};
use vigil_station::GroundStation;

use crate::common;

pub fn console(station: &GroundStation) -> Harness<'static, ConsoleApp> {
    harness(console_app(station))
}

pub fn console_app(station: &GroundStation) -> ConsoleApp {
    ConsoleApp::new(
        station.clone(),
        ConsoleOptions::default(),
        &egui::Context::default(),
    )
}

pub fn harness(app: ConsoleApp) -> Harness<'static, ConsoleApp> {
    Harness::builder()
        .with_size([1280.0, 800.0])
        .build_ui_state(|ui, app: &mut ConsoleApp| app.show(ui), app)
}

/// A harness whose frames are 20 ms apart: kittest runs one frame per input event, and two
/// clicks make a double click only within egui's 0.3 s.
pub fn quick_harness(app: ConsoleApp) -> Harness<'static, ConsoleApp> {
    Harness::builder()
        .with_size([1280.0, 800.0])
        .with_step_dt(0.02)
        .build_ui_state(|ui, app: &mut ConsoleApp| app.show(ui), app)
}

/// Steps frames in real time until `done` holds; panics with `what` after the timeout.
pub fn step_until(
    h: &mut Harness<'static, ConsoleApp>,
    what: &str,
    done: impl Fn(&Harness<'static, ConsoleApp>) -> bool,
) {
    step_until_for(h, what, common::TIMEOUT, done);
}

pub fn step_until_for(
    h: &mut Harness<'static, ConsoleApp>,
    what: &str,
    timeout: Duration,
    done: impl Fn(&Harness<'static, ConsoleApp>) -> bool,
) {
    let deadline = Instant::now() + timeout;
    loop {
        h.step();
        if done(h) {
            return;
        }
        if Instant::now() >= deadline {
            let log: Vec<String> = h.state().actions.log.iter().map(|t| t.line()).collect();
            panic!(
                "timed out waiting for {what}; the console's command log: {log:#?}; planner: {}",
                h.state().planner.status
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Clicks a button of a dialog once it can take the click: a new window's first frame is
/// egui's sizing pass, which draws it invisibly and ignores clicks.
pub fn click_in_dialog(h: &mut Harness<'static, ConsoleApp>, label: &str) {
    step_until(h, label, |h| has_label(h, label));
    h.step();
    h.step();
    h.get_by_label(label).click();
}

pub fn has_label(h: &Harness<'static, ConsoleApp>, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

pub fn click_at(h: &mut Harness<'static, ConsoleApp>, pos: egui::Pos2) {
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
        h.step();
    }
}
