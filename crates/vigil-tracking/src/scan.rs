//! Groups detections into scans. The tracker takes one scan at a time and treats every
//! detection in it as taken at the scan's time, so detections from one sweep of the sensors,
//! which arrive a few milliseconds apart, should go in together: a scan is the run of
//! detections (in time order) that lie within `window_s` of its first, and its time is the
//! latest of theirs, so the tracker never predicts backwards.

use super::error::{TrackingError, finite};
use super::types::Detection;

/// Detections to be processed together, at one time.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    /// The scan's time, seconds: the latest of its detections' times.
    pub time_s: f64,
    /// Its detections, in arrival order.
    pub detections: Vec<Detection>,
}

/// Builds scans from detections as they arrive.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanGrouper {
    window_s: f64,
    pending: Vec<Detection>,
    first_s: f64,
}

impl ScanGrouper {
    /// A grouper whose scans span at most `window_s` seconds (0 groups equal times only).
    pub fn new(window_s: f64) -> Result<Self, TrackingError> {
        if finite("scan window_s", window_s)? < 0.0 {
            return Err(TrackingError::InvalidConfig(
                "scan window must not be negative",
            ));
        }
        Ok(Self {
            window_s,
            pending: Vec::new(),
            first_s: 0.0,
        })
    }

    /// Adds a detection; returns the scan it closes when it falls outside the pending scan's
    /// window. A detection with a non-finite time joins the pending scan, and the tracker
    /// rejects it there.
    pub fn push(&mut self, detection: Detection) -> Option<Scan> {
        let closes = !self.pending.is_empty() && detection.time_s - self.first_s > self.window_s;
        let closed = if closes { self.flush() } else { None };
        if self.pending.is_empty() {
            self.first_s = detection.time_s;
        }
        self.pending.push(detection);
        closed
    }

    /// Closes and returns the pending scan, if any.
    pub fn flush(&mut self) -> Option<Scan> {
        if self.pending.is_empty() {
            return None;
        }
        let detections = std::mem::take(&mut self.pending);
        let time_s = detections
            .iter()
            .map(|d| d.time_s)
            .filter(|t| t.is_finite())
            .fold(self.first_s, f64::max);
        Some(Scan { time_s, detections })
    }
}

/// Sorts detections by time (stably, so equal times keep their order) and groups them into
/// scans of at most `window_s`.
pub fn group_into_scans(
    detections: &[Detection],
    window_s: f64,
) -> Result<Vec<Scan>, TrackingError> {
    let mut sorted = detections.to_vec();
    sorted.sort_by(|a, b| a.time_s.total_cmp(&b.time_s));
    let mut grouper = ScanGrouper::new(window_s)?;
    let mut scans: Vec<Scan> = sorted.into_iter().filter_map(|d| grouper.push(d)).collect();
    scans.extend(grouper.flush());
    Ok(scans)
}

#[cfg(test)]
mod tests {
    use nalgebra::Vector2;

    use super::*;
    use crate::types::{ClassHint, Measurement};

    fn at(time_s: f64, source_id: u32) -> Detection {
        Detection {
            time_s,
            sensor_pos_enu_m: Vector2::zeros(),
            measurement: Measurement::Presence {
                zone_radius_m: 10.0,
            },
            class_hint: ClassHint::Unknown,
            count: None,
            confidence: 1.0,
            source_id,
        }
    }

    #[test]
    fn detections_within_the_window_share_a_scan_at_the_latest_time() {
        let detections = [
            at(1.02, 1),
            at(1.0, 2),
            at(2.0, 3),
            at(1.04, 4),
            at(2.01, 5),
        ];
        let scans = group_into_scans(&detections, 0.05).expect("valid window");
        assert_eq!(scans.len(), 2);
        assert_eq!(scans[0].time_s, 1.04);
        let sources: Vec<u32> = scans[0].detections.iter().map(|d| d.source_id).collect();
        assert_eq!(sources, vec![2, 1, 4]);
        assert_eq!(scans[1].time_s, 2.01);
        assert_eq!(scans[1].detections.len(), 2);
    }

    #[test]
    fn zero_window_groups_equal_times_and_negative_window_is_refused() {
        let scans = group_into_scans(&[at(1.0, 1), at(1.0, 2), at(1.5, 3)], 0.0).expect("ok");
        assert_eq!(scans.len(), 2);
        assert!(ScanGrouper::new(-1.0).is_err());
        assert!(ScanGrouper::new(f64::NAN).is_err());
        assert!(group_into_scans(&[], 0.1).expect("ok").is_empty());
    }
}
