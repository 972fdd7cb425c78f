//! The map's labels, placed without collisions (issue #17: site labels overlapping, alert
//! labels stacked into blobs): every mark's painter hands its label here with a priority,
//! and once the frame's marks are drawn the labels go on top, the most important first; one
//! that would overlap a label already placed is left out (the mark itself stays, and its
//! details are a click away). Selected things are always labelled.
//!
//! And alerts at one place: open alerts whose marks would overlap on screen are drawn as one
//! mark with their count, the most severe one's colour and label.

use eframe::egui::{self, Align2, Color32, FontId, Pos2};

/// How important a label is: higher ones are placed first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    Basemap,
    Site,
    Incident,
    Approach,
    Vehicle,
    Alert,
    Critical,
    Selected,
}

struct Label {
    priority: Priority,
    anchor: Pos2,
    align: Align2,
    text: String,
    font: FontId,
    colour: Color32,
}

/// The labels of one frame.
#[derive(Default)]
pub struct Labels {
    labels: Vec<Label>,
    /// Marks no label may cover (the drones' icons).
    clear: Vec<egui::Rect>,
}

impl Labels {
    pub fn add(
        &mut self,
        priority: Priority,
        anchor: Pos2,
        align: Align2,
        text: impl Into<String>,
        font: FontId,
        colour: Color32,
    ) {
        self.labels.push(Label {
            priority,
            anchor,
            align,
            text: text.into(),
            font,
            colour,
        });
    }

    /// Keeps labels off a mark (a drone's icon): they move beside it or are left out.
    pub fn keep_clear(&mut self, rect: egui::Rect) {
        self.clear.push(rect);
    }

    /// Places and paints them, the most important first (in the order given within a
    /// priority); a label that would overlap another or a mark kept clear moves a line or two
    /// down or up, or is left out. Returns how many were left out.
    pub fn paint(mut self, painter: &egui::Painter) -> usize {
        self.labels.sort_by_key(|l| std::cmp::Reverse(l.priority));
        let mut placed: Vec<egui::Rect> = self.clear.clone();
        let mut left_out = 0;
        for label in self.labels {
            let galley = painter.layout_no_wrap(label.text, label.font, label.colour);
            let first = label.align.anchor_size(label.anchor, galley.size());
            let line = first.height() + 2.0;
            let free = |r: &egui::Rect| !placed.iter().any(|p| p.expand(1.0).intersects(*r));
            let rect = [0.0, line, -line, 2.0 * line, -2.0 * line]
                .into_iter()
                .map(|dy| first.translate(egui::vec2(0.0, dy)))
                .find(free)
                .or((label.priority == Priority::Selected).then_some(first));
            let Some(rect) = rect else {
                left_out += 1;
                continue;
            };
            placed.push(rect);
            painter.galley(rect.min, galley, label.colour);
        }
        left_out
    }
}

/// Marks closer than this on screen are one place, px.
pub const CLUSTER_PX: f32 = 22.0;

/// Groups screen points that would overlap: each group lists indexes into `points`, the first
/// one founding it (so give them most important first).
pub fn clusters(points: &[Pos2]) -> Vec<Vec<usize>> {
    let mut groups: Vec<(Pos2, Vec<usize>)> = Vec::new();
    for (index, p) in points.iter().enumerate() {
        match groups
            .iter_mut()
            .find(|(c, _)| c.distance(*p) <= CLUSTER_PX)
        {
            Some((_, members)) => members.push(index),
            None => groups.push((*p, vec![index])),
        }
    }
    groups.into_iter().map(|(_, members)| members).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_at_one_place_are_one_cluster_founded_by_the_first() {
        let points = [
            Pos2::new(100.0, 100.0),
            Pos2::new(300.0, 100.0),
            Pos2::new(110.0, 105.0),
            Pos2::new(104.0, 90.0),
        ];
        assert_eq!(clusters(&points), vec![vec![0, 2, 3], vec![1]]);
    }

    #[test]
    fn an_overlapping_label_moves_aside_or_is_left_out_unless_selected() {
        let ctx = egui::Context::default();
        let mut left_out = 0;
        let mut output = ctx.run_ui(egui::RawInput::default(), |ui| {
            let painter = ui.ctx().layer_painter(egui::LayerId::background());
            let mut labels = Labels::default();
            let font = FontId::proportional(11.0);
            let at = Pos2::new(50.0, 50.0);
            // A drone's icon just right of the place: no label covers it.
            labels.keep_clear(egui::Rect::from_center_size(
                Pos2::new(120.0, 50.0),
                egui::vec2(32.0, 32.0),
            ));
            for (priority, text) in [
                (Priority::Site, "Keradu"),
                (Priority::Critical, "intrusion"),
                (Priority::Alert, "gathering"),
                (Priority::Alert, "sensor fault"),
                (Priority::Incident, "incident 4"),
                (Priority::Selected, "drone 1"),
            ] {
                labels.add(
                    priority,
                    at,
                    Align2::CENTER_CENTER,
                    text,
                    font.clone(),
                    Color32::RED,
                );
            }
            labels.add(
                Priority::Vehicle,
                Pos2::new(120.0, 50.0),
                Align2::LEFT_CENTER,
                "2 MANUAL",
                font.clone(),
                Color32::GRAY,
            );
            labels.add(
                Priority::Basemap,
                Pos2::new(400.0, 400.0),
                Align2::CENTER_CENTER,
                "Gumbar forest",
                font,
                Color32::GRAY,
            );
            left_out = labels.paint(&painter);
        });
        // Nothing renders the fonts' texture here.
        output.textures_delta.clear();
        // The selected drone's label goes first; the critical alert's moves a line down, the
        // alerts' a line up and two down, the incident's two up; the site's finds no room and
        // is left out; the label on the icon kept clear moves two lines down, off the icon;
        // the forest's is drawn.
        assert_eq!(left_out, 1);
    }
}
