//! The map's areas and paths: the vector basemap, alerts' areas, and the paths (plans,
//! missions, fences) painted as polylines.

use super::*;

/// Alerts, those at one place as one mark with their count and the most severe one's colour
/// and label (see `labels.rs`).
pub(super) fn paint_alerts(
    painter: &egui::Painter,
    proj: &dyn MapProjection,
    input: &OverlayInput,
    clip: egui::Rect,
    labels: &mut Labels,
) {
    let p = input.palette;
    // Most important first: the selected one, critical, open.
    let mut shown: Vec<(&AlertMark, Pos2)> = input
        .alerts
        .iter()
        .map(|a| (a, proj.to_screen(a.lat_deg, a.lon_deg)))
        .filter(|(_, c)| clip.contains(*c))
        .collect();
    let rank = |a: &AlertMark| {
        (
            input.selection == Some(&Pick::Alert(a.id)),
            a.critical,
            a.open,
        )
    };
    shown.sort_by_key(|x| std::cmp::Reverse(rank(x.0)));
    let points: Vec<Pos2> = shown.iter().map(|(_, c)| *c).collect();
    for members in labels::clusters(&points) {
        let (alert, c) = shown[members[0]];
        let colour = if alert.critical {
            p.critical
        } else {
            p.warning
        };
        let selected = members
            .iter()
            .any(|i| input.selection == Some(&Pick::Alert(shown[*i].0.id)));
        let r = if alert.open { 11.0 } else { 8.0 };
        painter.circle_stroke(c, r, Stroke::new(if selected { 3.0 } else { 2.0 }, colour));
        let count = members.len();
        painter.text(
            c,
            Align2::CENTER_CENTER,
            if count > 1 {
                count.to_string()
            } else {
                "!".to_owned()
            },
            FontId::proportional(13.0),
            colour,
        );
        if alert.open || selected {
            let more = if count > 1 {
                format!(" (+{} here)", count - 1)
            } else {
                String::new()
            };
            let priority = if selected {
                Priority::Selected
            } else if alert.critical {
                Priority::Critical
            } else {
                Priority::Alert
            };
            labels.add(
                priority,
                c + vec2(r + 3.0, -r),
                Align2::LEFT_BOTTOM,
                format!("{}{more}", alert.label),
                FontId::proportional(11.0),
                colour,
            );
        }
    }
}

pub(super) fn closed(mut pts: Vec<Pos2>) -> Vec<Pos2> {
    if let Some(first) = pts.first().copied() {
        pts.push(first);
    }
    pts
}

pub(super) fn screen_points(proj: &dyn MapProjection, pts: &[(f64, f64)]) -> Vec<Pos2> {
    pts.iter()
        .map(|&(lat, lon)| proj.to_screen(lat, lon))
        .collect()
}

pub(super) fn paint_basemap(
    painter: &egui::Painter,
    proj: &dyn MapProjection,
    map: &VectorBasemap,
    p: &Palette,
    clip: egui::Rect,
    names: bool,
    labels: &mut Labels,
) {
    // Areas first, then lines, then points and names, so roads are never hidden by fields.
    for pass in 0..3 {
        for f in &map.features {
            let pts = screen_points(proj, &f.points_deg);
            let bbox = egui::Rect::from_points(&pts);
            if !clip.intersects(bbox) {
                continue;
            }
            match (pass, f.closed, pts.len()) {
                (0, true, 3..) => {
                    let fill = match f.kind {
                        FeatureKind::Water => p.water,
                        FeatureKind::Settlement => p.settlement,
                        FeatureKind::Field => p.field,
                        FeatureKind::Forest => p.forest,
                        _ => p.other,
                    };
                    // Rings are drawn as fans from their first vertex: exact for the convex
                    // outlines of the demo area, and an outline is always stroked on top.
                    painter.add(Shape::convex_polygon(
                        pts.clone(),
                        fill,
                        Stroke::new(1.0, fill.gamma_multiply(1.6)),
                    ));
                }
                (1, false, 2..) => {
                    let stroke = match f.kind {
                        FeatureKind::Road => Stroke::new(3.0, p.road),
                        FeatureKind::River => Stroke::new(2.5, p.river),
                        FeatureKind::Track => Stroke::new(1.2, p.track),
                        _ => Stroke::new(1.0, p.other),
                    };
                    painter.add(Shape::line(pts, stroke));
                }
                (2, _, _) => {
                    if !f.closed && pts.len() == 1 {
                        painter.circle_filled(pts[0], 2.5, p.label);
                    }
                    let show_name =
                        f.closed && matches!(f.kind, FeatureKind::Settlement) || pts.len() == 1;
                    if show_name
                        && names
                        && let Some(name) = &f.name
                    {
                        let anchor = if pts.len() == 1 {
                            pts[0] + vec2(5.0, 0.0)
                        } else {
                            bbox.center()
                        };
                        let align = if pts.len() == 1 {
                            Align2::LEFT_CENTER
                        } else {
                            Align2::CENTER_CENTER
                        };
                        labels.add(
                            Priority::Basemap,
                            anchor,
                            align,
                            name,
                            FontId::proportional(11.0),
                            p.label,
                        );
                    }
                }
                _ => {}
            }
        }
    }
}

pub(super) fn paint_path(
    painter: &egui::Painter,
    proj: &dyn MapProjection,
    path: &Outline,
    stroke: Stroke,
    font: &FontId,
    p: &Palette,
) {
    let pts = screen_points(proj, &path.points_deg);
    if pts.len() >= 2 {
        let line = if path.closed {
            closed(pts.clone())
        } else {
            pts.clone()
        };
        painter.add(Shape::line(line, stroke));
    }
    for (i, pt) in pts.iter().enumerate() {
        let label = match &path.labels {
            None => Some((i + 1).to_string()),
            Some(labels) => labels.get(i).cloned().flatten(),
        };
        match label {
            Some(label) => {
                painter.circle_filled(*pt, 6.0, stroke.color);
                painter.text(
                    *pt,
                    Align2::CENTER_CENTER,
                    label,
                    font.clone(),
                    p.background,
                );
            }
            // A pattern's turn: a dot, so that 60 turns do not pile up 60 numbers.
            None if path.labels.as_ref().is_some_and(|l| i < l.len()) => {
                painter.circle_filled(*pt, 2.5, stroke.color);
            }
            None => {}
        }
    }
}
