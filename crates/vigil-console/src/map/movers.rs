//! What moves on the map: drones (icon, heading, trail, footprint, mission, labels), tracks
//! (with their uncertainty and whether they are observed) and their predicted approaches.

use super::*;

/// Each mover from outside heading for a protected place: its predicted path (dashed, along
/// the ways it follows) to the place's buffer, and there the place and the time of arrival
/// with its earliest and latest.
pub(super) fn paint_approaches(
    painter: &egui::Painter,
    proj: &dyn MapProjection,
    input: &OverlayInput,
    clip: egui::Rect,
    labels: &mut Labels,
) {
    let p = input.palette;
    let protection = &input.snapshot.protection;
    // One label per place, the soonest arrival's (the approaches come soonest first): a
    // group walking together draws one path per walker but one time.
    let mut labelled: BTreeSet<u32> = BTreeSet::new();
    for approach in protection.approaches.iter() {
        let pts: Vec<Pos2> = approach
            .path
            .iter()
            .map(|q| proj.to_screen(q.lat_deg, q.lon_deg))
            .collect();
        let Some(end) = pts.last().copied() else {
            continue;
        };
        if !clip.intersects(egui::Rect::from_points(&pts)) {
            continue;
        }
        let selected = input.selection == Some(&Pick::Track(approach.track));
        let width = if selected { 2.5 } else { 1.5 };
        painter.add(Shape::dashed_line(
            &pts,
            Stroke::new(width, p.warning),
            6.0,
            4.0,
        ));
        painter.circle_stroke(end, 4.0, Stroke::new(width, p.warning));
        if !labelled.insert(approach.site) && !selected {
            continue;
        }
        let site = protection
            .sites
            .iter()
            .find(|s| s.id == approach.site)
            .map_or("?", |s| s.name.as_str());
        labels.add(
            if selected {
                Priority::Selected
            } else {
                Priority::Approach
            },
            end + vec2(6.0, 0.0),
            Align2::LEFT_CENTER,
            format!(
                "{site} {}",
                vigil_protection::engine::arrival_text(
                    approach.arrival_s,
                    approach.earliest_s,
                    approach.latest_s
                )
            ),
            FontId::proportional(11.0),
            p.warning,
        );
    }
}

/// How a track is drawn: an unobserved one (no sensor or camera covers where it is) is only a
/// prediction — faded, hollow, with its uncertainty always drawn, growing while nothing sees
/// it; an observed one is a filled mark, its ellipse drawn when the layer is on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TrackStyle {
    pub filled: bool,
    pub ellipse: bool,
    /// The class colour's strength, 0 to 1.
    pub fade: f32,
}

impl TrackStyle {
    pub(crate) fn of(track: &TrackView, uncertainty_layer: bool) -> Self {
        Self {
            filled: track.observable,
            ellipse: uncertainty_layer || !track.observable,
            fade: if track.observable { 1.0 } else { 0.55 },
        }
    }
}

pub(super) fn paint_track(
    painter: &egui::Painter,
    batch: &mut Batch,
    proj: &dyn MapProjection,
    track: &TrackView,
    input: &OverlayInput,
    clip: egui::Rect,
) {
    let p = input.palette;
    let c = proj.to_screen(track.lat_deg, track.lon_deg);
    if !clip.contains(c) {
        return;
    }
    let style = TrackStyle::of(track, input.layers.track_uncertainty);
    let colour = p.class(track.class).gamma_multiply(style.fade);
    let px_per_m = proj.px_per_m(track.lat_deg);
    if style.ellipse {
        // Two-sigma ellipse, axis-aligned east/north as the tracker publishes it.
        let (rx, ry) = (
            (2.0 * track.std_en_m[0]) as f32 * px_per_m,
            (2.0 * track.std_en_m[1]) as f32 * px_per_m,
        );
        if rx > 2.0 || ry > 2.0 {
            batch.ellipse(c, rx, ry, 1.0, colour.gamma_multiply(0.6));
        }
    }
    // Velocity vector: where it will be in 30 s.
    let v = vec2(track.vel_en_mps[0] as f32, -(track.vel_en_mps[1] as f32)) * 30.0 * px_per_m;
    if v.length() > 2.0 {
        batch.arrow(c, v, 1.5, colour);
    }
    let selected = input.selection == Some(&Pick::Track(track.id));
    let half = if selected { 6.0 } else { 4.0 };
    if selected {
        batch.rect(
            egui::Rect::from_center_size(c, Vec2::splat(half * 2.0 + 6.0)),
            p.selected,
        );
    }
    let mark = egui::Rect::from_center_size(c, Vec2::splat(half * 2.0));
    if style.filled {
        batch.rect(mark, colour);
    } else {
        let corners = [
            mark.left_top(),
            mark.right_top(),
            mark.right_bottom(),
            mark.left_bottom(),
            mark.left_top(),
        ];
        batch.polyline(&corners, 1.5, colour);
    }
    if let Some(n) = track.count.filter(|n| *n > 1) {
        painter.text(
            c + vec2(half + 2.0, -half),
            Align2::LEFT_BOTTOM,
            format!("×{n}"),
            FontId::proportional(10.0),
            colour,
        );
    }
}

// Long: a drone's mark, heading, trail, footprint, mission and labels, in painting order.
pub(super) fn paint_vehicle(
    painter: &egui::Painter,
    proj: &dyn MapProjection,
    sysid: u8,
    vehicle: &Vehicle,
    now: TimeUs,
    input: &OverlayInput,
    labels: &mut Labels,
) {
    let font = &FontId::proportional(11.0);
    let p = input.palette;
    // Never a position: not on the map (the list says "no position"). A stale one: drawn
    // hollow and grey where it was last, with its age, never as where the drone is.
    let (pos, stale_age) = match telemetry::position(vehicle, now) {
        Reading::Fresh(pos) => (*pos, None),
        Reading::Stale(age) => match vehicle.position {
            Some(pos) => (pos, Some(age)),
            None => return,
        },
        Reading::Never => return,
    };
    if input.layers.trails {
        let trail: Vec<Pos2> = input
            .trails
            .of(sysid)
            .map(|(lat, lon)| proj.to_screen(lat, lon))
            .collect();
        if trail.len() > 1 {
            painter.add(Shape::line(
                trail,
                Stroke::new(1.2, p.drone.gamma_multiply(0.5)),
            ));
        }
    }
    if let Some(home) = vehicle.home {
        let h = proj.to_screen(home.lat_deg, home.lon_deg);
        painter.circle_stroke(h, 6.0, Stroke::new(1.5, p.drone));
        painter.text(
            h,
            Align2::CENTER_CENTER,
            "H",
            FontId::proportional(9.0),
            p.drone,
        );
    }
    let c = proj.to_screen(pos.lat_deg, pos.lon_deg);
    // No fresh heading: a round mark rather than an arrow pointing north.
    let heading = telemetry::heading_rad(vehicle, now)
        .fresh()
        .map(|h| h as f32);
    let selected =
        input.selected_vehicles.contains(&sysid) || input.selection == Some(&Pick::Vehicle(sysid));
    let health = p.health(vehicle.health);
    let size = if selected { 14.0 } else { 11.0 };
    let outline = if selected { p.selected } else { health };
    if let Some(age) = stale_age {
        let grey = p.label.gamma_multiply(0.8);
        painter.add(Shape::dashed_line(
            &closed(circle_points(c, size)),
            Stroke::new(1.5, grey),
            3.0,
            3.0,
        ));
        painter.text(
            c,
            Align2::CENTER_CENTER,
            "?",
            FontId::proportional(12.0),
            grey,
        );
        if selected {
            painter.circle_stroke(c, 16.0, Stroke::new(2.0, p.selected));
        }
        labels.add(
            if selected {
                Priority::Selected
            } else {
                Priority::Vehicle
            },
            c + vec2(18.0, -4.0),
            Align2::LEFT_BOTTOM,
            format!(
                "{} {} · position {}",
                input.snapshot.world.names.drone_short(sysid),
                vehicle.mode,
                telemetry::age_text(age)
            ),
            font.clone(),
            grey,
        );
        return;
    }
    // While the link is silent: a hollow "ghost" where the drone should be by now.
    if vehicle.health != Health::Fresh
        && let Some(ghost) = vehicle.position_at(now)
    {
        let g = proj.to_screen(ghost.lat_deg, ghost.lon_deg);
        if (g - c).length() > 2.0 {
            painter.add(Shape::dashed_line(
                &[c, g],
                Stroke::new(1.0, health),
                4.0,
                3.0,
            ));
        }
        let ghost_shape = match heading {
            Some(h) => icon(vehicle.airframe, g, h, 11.0),
            None => circle_points(g, 11.0 * 0.7),
        };
        painter.add(Shape::closed_line(ghost_shape, Stroke::new(1.2, health)));
    }
    let fill = if vehicle.health == Health::Lost {
        p.background
    } else {
        p.drone
    };
    match heading {
        Some(h) => {
            painter.add(Shape::convex_polygon(
                icon(vehicle.airframe, c, h, size),
                fill,
                Stroke::new(2.0, outline),
            ));
        }
        None => {
            painter.circle(c, size * 0.7, fill, Stroke::new(2.0, outline));
        }
    }
    // Link health ring.
    painter.circle_stroke(c, 16.0, Stroke::new(2.0, health));
    labels.keep_clear(egui::Rect::from_center_size(c, vec2(32.0, 32.0)));
    let label = format!(
        "{} {} {:.0} m{}{}",
        input.snapshot.world.names.drone_short(sysid),
        vehicle.mode,
        pos.alt_rel_home_m,
        if heading.is_none() {
            " · heading: no data"
        } else {
            ""
        },
        if vehicle.health == Health::Fresh {
            String::new()
        } else {
            format!(" {}", vehicle.health.label())
        }
    );
    labels.add(
        if selected {
            Priority::Selected
        } else {
            Priority::Vehicle
        },
        c + vec2(18.0, -4.0),
        Align2::LEFT_BOTTOM,
        label,
        font.clone(),
        if selected { p.selected } else { p.label },
    );
}

/// A polygon close to a circle of radius `r` around `c`.
pub(super) fn circle_points(c: Pos2, r: f32) -> Vec<Pos2> {
    (0..16)
        .map(|k| {
            let a = k as f32 / 16.0 * std::f32::consts::TAU;
            c + vec2(a.cos(), a.sin()) * r
        })
        .collect()
}

/// An icon around `c` pointing along `heading_rad` (clockwise from north, screen up).
pub(super) fn icon(airframe: Airframe, c: Pos2, heading_rad: f32, size: f32) -> Vec<Pos2> {
    let local: &[(f32, f32)] = match airframe {
        Airframe::FixedWing | Airframe::Vtol => &[
            (0.0, -1.0),
            (0.25, -0.2),
            (1.0, 0.15),
            (0.25, 0.3),
            (0.15, 0.85),
            (-0.15, 0.85),
            (-0.25, 0.3),
            (-1.0, 0.15),
            (-0.25, -0.2),
        ],
        Airframe::Ground => &[(0.0, -1.0), (0.7, 0.8), (-0.7, 0.8)],
        _ => &[(0.0, -1.0), (0.75, 0.75), (0.0, 0.35), (-0.75, 0.75)],
    };
    let (s, co) = heading_rad.sin_cos();
    local
        .iter()
        .map(|&(x, y)| c + vec2(x * co - y * s, x * s + y * co) * size)
        .collect()
}
