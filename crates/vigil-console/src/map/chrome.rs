//! The map's furniture: the scale bar, the north arrow, and the coverage layer's colours and
//! legend.

use super::*;

/// A scale bar of a round length, at most `max_px` long, at the bottom left of `rect`.
pub fn paint_scale_bar(painter: &egui::Painter, rect: egui::Rect, px_per_m: f32, colour: Color32) {
    if !(px_per_m.is_finite() && px_per_m > 0.0) {
        return;
    }
    let max_px = 140.0;
    let max_m = f64::from(max_px / px_per_m);
    let pow = 10f64.powf(max_m.log10().floor());
    let len_m = [5.0, 2.0, 1.0]
        .iter()
        .map(|k| k * pow)
        .find(|l| *l <= max_m)
        .unwrap_or(pow);
    let len_px = (len_m as f32) * px_per_m;
    let origin = rect.left_bottom() + vec2(14.0, -30.0);
    let stroke = Stroke::new(2.0, colour);
    painter.line_segment([origin, origin + vec2(len_px, 0.0)], stroke);
    painter.line_segment([origin, origin + vec2(0.0, -6.0)], stroke);
    painter.line_segment(
        [origin + vec2(len_px, 0.0), origin + vec2(len_px, -6.0)],
        stroke,
    );
    painter.text(
        origin + vec2(len_px / 2.0, -4.0),
        Align2::CENTER_BOTTOM,
        format_distance(len_m),
        FontId::proportional(11.0),
        colour,
    );
}

/// A north arrow at the top right of `rect` (the map is north-up Web Mercator).
/// A coverage cell's colour: never observed, solid; observed, fading in as the time since
/// grows to an hour; `None` (clear) when observed in the last couple of minutes.
pub fn coverage_colour(unobserved_s: Option<f64>) -> Option<Color32> {
    let alpha = match unobserved_s {
        None => 90.0,
        Some(s) => (s / 3600.0).clamp(0.0, 1.0) * 80.0,
    };
    (alpha >= 4.0).then(|| Color32::from_rgba_unmultiplied(200, 60, 160, alpha as u8))
}

/// The coverage layer's legend, in the map's bottom-right corner.
pub fn coverage_legend(ctx: &egui::Context, map: egui::Rect, background: Color32) {
    egui::Area::new(egui::Id::unique("coverage-legend"))
        .fixed_pos(map.right_bottom() + vec2(-230.0, -112.0))
        .order(egui::Order::Foreground)
        .interactable(false)
        .show(ctx, |ui| {
            egui::Frame::new()
                .fill(background.gamma_multiply(0.9))
                .inner_margin(6.0)
                .corner_radius(4.0)
                .show(ui, |ui| {
                    ui.label(egui::RichText::new("Coverage: time since observed").strong());
                    for (text, since_s) in [
                        ("never observed", None),
                        ("an hour or more", Some(3600.0)),
                        ("half an hour", Some(1800.0)),
                        ("within minutes (clear)", Some(0.0)),
                    ] {
                        ui.horizontal(|ui| {
                            let (swatch, _) =
                                ui.allocate_exact_size(vec2(14.0, 10.0), egui::Sense::hover());
                            if let Some(colour) = coverage_colour(since_s) {
                                ui.painter().rect_filled(swatch, 0.0, colour);
                            }
                            ui.painter().rect_stroke(
                                swatch,
                                0.0,
                                Stroke::new(1.0, Color32::GRAY),
                                egui::StrokeKind::Inside,
                            );
                            ui.label(text);
                        });
                    }
                });
        });
}

pub fn paint_north_arrow(painter: &egui::Painter, rect: egui::Rect, colour: Color32) {
    let c = rect.right_top() + vec2(-28.0, 40.0);
    painter.add(Shape::convex_polygon(
        vec![c + vec2(0.0, -14.0), c + vec2(7.0, 8.0), c + vec2(0.0, 3.0)],
        colour,
        Stroke::NONE,
    ));
    painter.add(Shape::closed_line(
        vec![
            c + vec2(0.0, -14.0),
            c + vec2(7.0, 8.0),
            c + vec2(0.0, 3.0),
            c + vec2(-7.0, 8.0),
        ],
        Stroke::new(1.2, colour),
    ));
    painter.text(
        c + vec2(0.0, -16.0),
        Align2::CENTER_BOTTOM,
        "N",
        FontId::proportional(13.0),
        colour,
    );
}
