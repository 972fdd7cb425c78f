//! The MGRS grid layer: lines of constant UTM easting and northing in the zone of the view's
//! centre, at the finest of 100 m, 1 km, 10 km or 100 km that leaves them at least
//! [`MIN_SPACING_PX`] apart, each labelled with its digits as a grid reference reads them
//! (at 1 km, "07" is the line 7 km into its 100 km square), as on a paper military map.

use eframe::egui::{self, Align2, Color32, FontId, Stroke};

use super::MapProjection;
use vigil_core::geodesy::{Geodetic, Utm, geodetic_from_utm, utm_from_geodetic_in_zone, utm_zone};

/// Grid lines are drawn at least this far apart, px.
const MIN_SPACING_PX: f32 = 70.0;
/// Points along each line (the lines curve slightly on a Web Mercator map).
const STEPS: usize = 16;
/// More lines than this across the view: the view is too wide for a grid.
const MAX_LINES: f64 = 60.0;

/// One grid line: its points and the label at its start.
#[derive(Debug, Clone, PartialEq)]
pub struct GridLine {
    pub points_deg: Vec<(f64, f64)>,
    /// The line's digits within its 100 km square ("07" at 1 km).
    pub label: String,
    /// A line of constant easting (runs north-south).
    pub easting: bool,
}

/// The grid over a view: its spacing and lines (none where UTM is not defined).
pub fn grid_lines(corners_deg: [(f64, f64); 4], px_per_m: f32) -> (f64, Vec<GridLine>) {
    let spacing_m = [100.0, 1_000.0, 10_000.0, 100_000.0]
        .into_iter()
        .find(|s| *s as f32 * px_per_m >= MIN_SPACING_PX)
        .unwrap_or(100_000.0);
    let centre = corners_deg.iter().fold((0.0, 0.0), |(a, b), (lat, lon)| {
        (a + lat / 4.0, b + lon / 4.0)
    });
    let Ok(zone) = utm_zone(&Geodetic::from_deg(centre.0, centre.1, 0.0)) else {
        return (spacing_m, Vec::new());
    };
    let northern = centre.0 >= 0.0;
    let corners: Vec<Utm> = corners_deg
        .iter()
        .filter_map(|(lat, lon)| {
            utm_from_geodetic_in_zone(&Geodetic::from_deg(*lat, *lon, 0.0), zone).ok()
        })
        .filter(|u| u.northern == northern)
        .collect();
    if corners.len() < 4 {
        return (spacing_m, Vec::new());
    }
    let bound = |f: fn(&Utm) -> f64| {
        let values = corners.iter().map(f);
        let lo = values.clone().fold(f64::MAX, f64::min);
        let hi = values.fold(f64::MIN, f64::max);
        ((lo / spacing_m).floor() * spacing_m, hi)
    };
    let (e0, e1) = bound(|u| u.easting_m);
    let (n0, n1) = bound(|u| u.northing_m);
    if (e1 - e0) / spacing_m > MAX_LINES || (n1 - n0) / spacing_m > MAX_LINES {
        return (spacing_m, Vec::new());
    }
    let digits = match spacing_m {
        100.0 => 3,
        1_000.0 => 2,
        10_000.0 => 1,
        _ => 0,
    };
    let label = |m: f64| {
        if digits == 0 {
            format!("{:.0} km", m / 1000.0)
        } else {
            let within = (m.rem_euclid(100_000.0) / spacing_m).round() as u32;
            format!("{within:0digits$}")
        }
    };
    let to_deg = |easting_m: f64, northing_m: f64| {
        geodetic_from_utm(&Utm {
            zone,
            northern,
            easting_m,
            northing_m,
        })
        .ok()
        .map(|g| (g.lat_deg(), g.lon_deg()))
    };
    let along = |a: f64, b: f64| (0..=STEPS).map(move |i| a + (b - a) * i as f64 / STEPS as f64);
    let mut lines = Vec::new();
    let mut e = e0;
    while e <= e1 {
        let points_deg = along(n0, n1 + spacing_m)
            .filter_map(|n| to_deg(e, n))
            .collect();
        lines.push(GridLine {
            points_deg,
            label: label(e),
            easting: true,
        });
        e += spacing_m;
    }
    let mut n = n0;
    while n <= n1 {
        let points_deg = along(e0, e1 + spacing_m)
            .filter_map(|e| to_deg(e, n))
            .collect();
        lines.push(GridLine {
            points_deg,
            label: label(n),
            easting: false,
        });
        n += spacing_m;
    }
    (spacing_m, lines)
}

/// Paints the grid over the view, labels along the top (eastings) and left (northings).
pub fn paint_grid(painter: &egui::Painter, proj: &dyn MapProjection, colour: Color32) {
    let view = proj.clip();
    let corners = [
        view.left_top(),
        view.right_top(),
        view.right_bottom(),
        view.left_bottom(),
    ]
    .map(|p| proj.to_geo(p));
    let centre = proj.to_geo(view.center());
    let (_, lines) = grid_lines(corners, proj.px_per_m(centre.0));
    let stroke = Stroke::new(1.0, colour.gamma_multiply(0.6));
    let font = FontId::monospace(11.0);
    for line in lines {
        let pts: Vec<egui::Pos2> = line
            .points_deg
            .iter()
            .map(|&(lat, lon)| proj.to_screen(lat, lon))
            .collect();
        painter.add(egui::Shape::line(pts.clone(), stroke));
        // Where the line crosses the top edge (eastings) or the left edge (northings).
        let at = pts.windows(2).find_map(|w| {
            let (a, b) = (w[0], w[1]);
            let (edge, ka, kb) = if line.easting {
                (view.top() + 2.0, a.y, b.y)
            } else {
                (view.left() + 2.0, a.x, b.x)
            };
            ((ka - edge) * (kb - edge) <= 0.0 && ka != kb).then(|| {
                let t = (edge - ka) / (kb - ka);
                a + (b - a) * t
            })
        });
        if let Some(at) = at.filter(|p| view.expand(1.0).contains(*p)) {
            let anchor = if line.easting {
                Align2::CENTER_TOP
            } else {
                Align2::LEFT_CENTER
            };
            painter.text(at, anchor, &line.label, font.clone(), colour);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_core::geodesy::utm_from_geodetic;

    /// A view about 6 km across near Keradu (9° N, 31° E).
    const VIEW: [(f64, f64); 4] = [(9.03, 30.97), (9.03, 31.03), (8.97, 31.03), (8.97, 30.97)];

    #[test]
    fn lines_lie_on_whole_kilometres_of_utm_and_are_labelled_as_a_grid_reference_reads() {
        // 0.1 px per metre: 1 km lines are 100 px apart.
        let (spacing_m, lines) = grid_lines(VIEW, 0.1);
        assert_eq!(spacing_m, 1_000.0);
        let eastings: Vec<_> = lines.iter().filter(|l| l.easting).collect();
        assert!((6..=9).contains(&eastings.len()), "{}", eastings.len());
        for line in &lines {
            for &(lat, lon) in &line.points_deg {
                let utm = utm_from_geodetic(&Geodetic::from_deg(lat, lon, 0.0)).expect("utm");
                let m = if line.easting {
                    utm.easting_m
                } else {
                    utm.northing_m
                };
                let off = (m / spacing_m - (m / spacing_m).round()).abs() * spacing_m;
                assert!(off < 0.001, "{m} is not on the grid");
                let within = ((m.rem_euclid(100_000.0)) / 1_000.0).round() as u32;
                assert_eq!(line.label, format!("{within:02}"));
            }
        }
    }

    #[test]
    fn the_spacing_follows_the_zoom_and_a_continent_gets_no_grid() {
        assert_eq!(grid_lines(VIEW, 1.0).0, 100.0);
        assert_eq!(grid_lines(VIEW, 0.01).0, 10_000.0);
        let continent = [(30.0, 0.0), (30.0, 40.0), (-30.0, 40.0), (-30.0, 0.0)];
        assert!(grid_lines(continent, 0.0001).1.is_empty());
    }
}
