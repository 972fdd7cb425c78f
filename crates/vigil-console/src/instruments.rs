//! The selected drone's instruments, painted: an attitude indicator (artificial horizon with a
//! roll scale and pitch ladder) and a heading dial. Angles arrive in radians and are shown in
//! degrees only as text.

use eframe::egui::{self, Align2, Color32, FontId, Rect, Shape, Stroke, pos2, vec2};

/// Gives a painted instrument the words a screen reader (and a GUI test) finds it by.
fn describe(response: &egui::Response, text: String) {
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &text));
}

/// Paints an attitude indicator of `size` points.
pub fn attitude(ui: &mut egui::Ui, roll_rad: f64, pitch_rad: f64, size: f32) {
    let (rect, response) = ui.allocate_exact_size(vec2(size, size), egui::Sense::hover());
    describe(
        &response,
        format!(
            "attitude: roll {:.0}°, pitch {:.0}°",
            roll_rad.to_degrees(),
            pitch_rad.to_degrees()
        ),
    );
    let painter = ui.painter().with_clip_rect(rect);
    let c = rect.center();
    let r = size / 2.0;
    // Pixels per radian of pitch: ±30° fills the radius.
    let k = r / 30f32.to_radians();
    let (roll, pitch) = (roll_rad as f32, pitch_rad as f32);
    let (s, co) = roll.sin_cos();
    // The horizon line rotates against the roll and moves with the pitch.
    let rotate = |x: f32, y: f32| c + vec2(x * co + y * s, -x * s + y * co);
    let offset = pitch * k;
    let sky = Color32::from_rgb(40, 90, 150);
    let ground = Color32::from_rgb(110, 75, 40);
    painter.rect_filled(rect, r, ground);
    // Sky: a large polygon above the horizon.
    let big = size * 2.0;
    painter.add(Shape::convex_polygon(
        vec![
            rotate(-big, offset),
            rotate(big, offset),
            rotate(big, offset - big * 2.0),
            rotate(-big, offset - big * 2.0),
        ],
        sky,
        Stroke::NONE,
    ));
    painter.line_segment(
        [rotate(-big, offset), rotate(big, offset)],
        Stroke::new(2.0, Color32::WHITE),
    );
    // Pitch ladder every 10°.
    for deg in [-20i32, -10, 10, 20] {
        let y = offset - (deg as f32).to_radians() * k;
        let half = if deg.abs() == 10 { r * 0.25 } else { r * 0.4 };
        painter.line_segment(
            [rotate(-half, y), rotate(half, y)],
            Stroke::new(1.0, Color32::WHITE),
        );
        painter.text(
            rotate(half + 10.0, y),
            Align2::CENTER_CENTER,
            deg.to_string(),
            FontId::proportional(9.0),
            Color32::WHITE,
        );
    }
    // Fixed aircraft symbol and roll pointer.
    let yellow = Color32::from_rgb(250, 210, 40);
    painter.line_segment(
        [c - vec2(r * 0.5, 0.0), c - vec2(r * 0.15, 0.0)],
        Stroke::new(3.0, yellow),
    );
    painter.line_segment(
        [c + vec2(r * 0.15, 0.0), c + vec2(r * 0.5, 0.0)],
        Stroke::new(3.0, yellow),
    );
    painter.circle_filled(c, 3.0, yellow);
    for deg in [-60i32, -45, -30, -20, -10, 0, 10, 20, 30, 45, 60] {
        let a = (deg as f32).to_radians();
        let dir = vec2(a.sin(), -a.cos());
        let len = if deg % 30 == 0 { 10.0 } else { 5.0 };
        painter.line_segment(
            [c + dir * (r - 2.0), c + dir * (r - 2.0 - len)],
            Stroke::new(1.5, Color32::WHITE),
        );
    }
    let dir = vec2(-roll.sin(), -roll.cos());
    let tip = c + dir * (r - 14.0);
    painter.add(Shape::convex_polygon(
        vec![
            tip,
            tip - dir * 9.0 + dir.rot90() * 5.0,
            tip - dir * 9.0 - dir.rot90() * 5.0,
        ],
        yellow,
        Stroke::NONE,
    ));
    painter.circle_stroke(c, r - 1.0, Stroke::new(2.0, Color32::from_gray(30)));
}

/// Paints a heading dial of `size` points: a compass card with the heading up.
pub fn heading(ui: &mut egui::Ui, heading_rad: f64, size: f32, text: Color32) {
    let (rect, response) = ui.allocate_exact_size(vec2(size, size), egui::Sense::hover());
    describe(
        &response,
        format!(
            "heading {:03.0}°",
            heading_rad.to_degrees().rem_euclid(360.0)
        ),
    );
    let painter = ui.painter().with_clip_rect(rect.expand(2.0));
    let c = rect.center();
    let r = size / 2.0 - 2.0;
    painter.circle_stroke(c, r, Stroke::new(1.5, text));
    let h = heading_rad as f32;
    for deg in (0..360).step_by(30) {
        // The card turns so the current heading is at the top.
        let a = (deg as f32).to_radians() - h;
        let dir = vec2(a.sin(), -a.cos());
        painter.line_segment([c + dir * r, c + dir * (r - 6.0)], Stroke::new(1.0, text));
        let label = match deg {
            0 => "N".to_owned(),
            90 => "E".to_owned(),
            180 => "S".to_owned(),
            270 => "W".to_owned(),
            d => (d / 10).to_string(),
        };
        painter.text(
            c + dir * (r - 14.0),
            Align2::CENTER_CENTER,
            label,
            FontId::proportional(10.0),
            text,
        );
    }
    let top = pos2(c.x, rect.top());
    painter.add(Shape::convex_polygon(
        vec![
            top + vec2(0.0, 10.0),
            top + vec2(-5.0, 1.0),
            top + vec2(5.0, 1.0),
        ],
        Color32::from_rgb(250, 210, 40),
        Stroke::NONE,
    ));
    painter.text(
        c,
        Align2::CENTER_CENTER,
        format!("{:03.0}°", (heading_rad.to_degrees()).rem_euclid(360.0)),
        FontId::monospace(13.0),
        text,
    );
}

/// A horizontal bar filled to `fraction` (battery).
pub fn bar(ui: &mut egui::Ui, fraction: f32, colour: Color32, label: String) {
    let (rect, _) = ui.allocate_exact_size(
        vec2(ui.available_width().min(220.0), 16.0),
        egui::Sense::hover(),
    );
    let painter = ui.painter();
    painter.rect_stroke(
        rect,
        2.0,
        Stroke::new(1.0, Color32::GRAY),
        egui::StrokeKind::Inside,
    );
    let filled = Rect::from_min_size(
        rect.min,
        vec2(rect.width() * fraction.clamp(0.0, 1.0), rect.height()),
    );
    painter.rect_filled(filled.shrink(1.0), 2.0, colour);
    painter.text(
        rect.center(),
        Align2::CENTER_CENTER,
        label,
        FontId::proportional(11.0),
        Color32::WHITE,
    );
}

/// Paints an instrument's place when it has nothing to show: a grey, hatched disc that reads
/// "no data" (and the age of the last report), so it cannot pass for a reading.
pub fn no_data(ui: &mut egui::Ui, size: f32, what: &str, detail: &str, text: Color32) {
    let (rect, response) = ui.allocate_exact_size(vec2(size, size), egui::Sense::hover());
    let spoken = if detail.is_empty() {
        format!("{what}: {}", super::telemetry::NO_DATA)
    } else {
        format!("{what}: {} ({detail})", super::telemetry::NO_DATA)
    };
    describe(&response, spoken);
    let painter = ui.painter().with_clip_rect(rect.expand(2.0));
    let c = rect.center();
    let r = size / 2.0 - 2.0;
    let grey = Color32::from_gray(70);
    painter.circle_filled(c, r, Color32::from_gray(28));
    // Diagonal hatching: the look of "nothing here" rather than of a dial at zero.
    let step = 12.0;
    let mut k = -r;
    while k < r {
        let half = (r * r - k * k).max(0.0).sqrt() * 0.92;
        let d = vec2(1.0, -1.0).normalized();
        let n = vec2(1.0, 1.0).normalized() * k;
        painter.line_segment([c + n - d * half, c + n + d * half], Stroke::new(1.0, grey));
        k += step;
    }
    painter.circle_stroke(c, r, Stroke::new(1.5, grey));
    let label_bg = Rect::from_center_size(c, vec2(size * 0.8, 46.0));
    painter.rect_filled(label_bg, 4.0, Color32::from_gray(28));
    painter.text(
        c - vec2(0.0, 13.0),
        Align2::CENTER_CENTER,
        what,
        FontId::proportional(11.0),
        text.gamma_multiply(0.7),
    );
    painter.text(
        c,
        Align2::CENTER_CENTER,
        super::telemetry::NO_DATA,
        FontId::proportional(14.0),
        text,
    );
    if !detail.is_empty() {
        painter.text(
            c + vec2(0.0, 14.0),
            Align2::CENTER_CENTER,
            detail,
            FontId::proportional(10.0),
            text.gamma_multiply(0.7),
        );
    }
}
