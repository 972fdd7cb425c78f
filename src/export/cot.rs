//! Cursor-on-Target (CoT 2.0) events for TAK, following ATAK's conventions: drones are
//! friendly air (`a-f-A-M-H-Q` rotary-wing UAV, `a-f-A-M-F-Q` fixed-wing UAV), tracks are
//! ground of unknown affiliation (`a-u-G`, a vehicle `a-u-G-E-V`); alerts are geofence
//! alarms (`b-a-g`), detections `b-d`, incidents, reports and notes spot markers
//! (`b-m-p-s-m`), footprints and paths freehand shapes (`u-d-f`, vertices as `<link point>`).
//! Unknown errors and heights are 9999999 as CoT has it. An export file is an `<events>`
//! document; each event's detail carries the provenance (`<vigil_source .../>`).

use std::io::{BufWriter, Write};
use std::path::Path;

use super::features::{Feature, Geometry, Value, fields};
use super::{ExportError, Layer, Provenance, utc_millis, xml_escape};
use crate::time::TimeUs;

/// CoT's value for an unknown error or height.
pub const UNKNOWN: f64 = 9_999_999.0;

/// One CoT event.
#[derive(Debug, Clone, PartialEq)]
pub struct CotEvent {
    pub uid: String,
    pub kind: String,
    pub how: &'static str,
    pub time: TimeUs,
    pub stale: TimeUs,
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub hae_m: f64,
    pub ce_m: f64,
    pub le_m: f64,
    pub callsign: String,
    pub remarks: String,
    /// Further detail elements, already XML.
    pub detail: String,
}

impl CotEvent {
    pub fn xml(&self) -> String {
        let time = utc_millis(self.time);
        format!(
            "<event version=\"2.0\" uid=\"{}\" type=\"{}\" how=\"{}\" time=\"{time}\" start=\"{time}\" stale=\"{}\"><point lat=\"{:.7}\" lon=\"{:.7}\" hae=\"{}\" ce=\"{}\" le=\"{}\"/><detail><contact callsign=\"{}\"/><remarks>{}</remarks>{}</detail></event>",
            xml_escape(&self.uid),
            xml_escape(&self.kind),
            self.how,
            utc_millis(self.stale),
            self.lat_deg,
            self.lon_deg,
            self.hae_m,
            self.ce_m,
            self.le_m,
            xml_escape(&self.callsign),
            xml_escape(&self.remarks),
            self.detail
        )
    }
}

/// The CoT type of a track by its class.
pub fn track_type(class: &str) -> &'static str {
    match class {
        "vehicle" => "a-u-G-E-V",
        _ => "a-u-G",
    }
}

/// The CoT type of a drone by its airframe name (`Multirotor`, `FixedWing`, ...).
pub fn drone_type(airframe: &str) -> &'static str {
    let airframe = airframe.to_ascii_lowercase();
    if airframe.contains("fixed") || airframe.contains("plane") || airframe.contains("vtol") {
        "a-f-A-M-F-Q"
    } else if airframe.contains("multi") || airframe.contains("copter") || airframe.contains("heli")
    {
        "a-f-A-M-H-Q"
    } else {
        "a-f-A"
    }
}

/// `<vigil_source .../>` with the provenance's pairs as attributes.
pub fn source_detail(provenance: &Provenance) -> String {
    let attributes: Vec<String> = provenance
        .pairs()
        .into_iter()
        .map(|(k, v)| format!("{k}=\"{}\"", xml_escape(&v)))
        .collect();
    format!("<vigil_source {}/>", attributes.join(" "))
}

fn field<'a>(feature: &'a Feature, name: &str) -> Option<&'a Value> {
    fields(feature.layer)
        .iter()
        .position(|(n, _)| *n == name)
        .and_then(|i| feature.values.get(i))
}

fn field_text(feature: &Feature, name: &str) -> String {
    field(feature, name).map(Value::to_text).unwrap_or_default()
}

fn field_real(feature: &Feature, name: &str) -> Option<f64> {
    match field(feature, name) {
        Some(Value::Real(v)) => Some(*v),
        Some(Value::Int(v)) => Some(*v as f64),
        _ => None,
    }
}

/// The event of an exported feature.
pub fn feature_event(feature: &Feature, source: &str) -> Option<CotEvent> {
    let (lon_deg, lat_deg) = feature.geometry.anchor()?;
    let mut links = String::new();
    if let Geometry::Line(_) | Geometry::Polygon(_) = feature.geometry {
        let vertices: Vec<(f64, f64)> = match &feature.geometry {
            Geometry::Line(v) => v.iter().map(|p| (p[0], p[1])).collect(),
            Geometry::Polygon(v) => v.iter().map(|p| (p[0], p[1])).collect(),
            Geometry::Point { .. } => Vec::new(),
        };
        for (lon, lat) in vertices {
            links.push_str(&format!("<link point=\"{lat:.7},{lon:.7}\"/>"));
        }
    }
    let stale_after = |secs: u64| feature.time.plus(std::time::Duration::from_secs(secs));
    let (kind, how, stale, ce_m, callsign, remarks) = match feature.layer {
        Layer::Tracks => {
            let ce = field_real(feature, "std_e_m")
                .zip(field_real(feature, "std_n_m"))
                .map_or(UNKNOWN, |(e, n)| e.max(n));
            let class = field_text(feature, "class");
            (
                track_type(&class).to_owned(),
                "m-f",
                stale_after(30),
                ce,
                format!("Track {}", field_text(feature, "track_id")),
                format!("{class}, count {}", field_text(feature, "count")),
            )
        }
        Layer::Detections => (
            "b-d".to_owned(),
            "m-s",
            stale_after(30),
            UNKNOWN,
            format!("Detection {}", field_text(feature, "sensor")),
            format!(
                "{} {} ({})",
                field_text(feature, "sensor_kind"),
                field_text(feature, "class"),
                field_text(feature, "measurement")
            ),
        ),
        Layer::Alerts => (
            "b-a-g".to_owned(),
            "h-e",
            stale_after(3600),
            UNKNOWN,
            format!("Alert {}", field_text(feature, "alert_id")),
            format!(
                "{} {} at {}: {} ({})",
                field_text(feature, "severity"),
                field_text(feature, "rule"),
                field_text(feature, "site"),
                field_text(feature, "text"),
                field_text(feature, "state")
            ),
        ),
        Layer::Incidents | Layer::Reports | Layer::Notes => (
            "b-m-p-s-m".to_owned(),
            "h-e",
            stale_after(3600),
            UNKNOWN,
            feature.id.clone(),
            field_text(feature, "text"),
        ),
        Layer::Footprints | Layer::Paths => (
            "u-d-f".to_owned(),
            "h-e",
            stale_after(3600),
            UNKNOWN,
            feature.id.clone(),
            format!(
                "{} of vehicle {}",
                feature.layer.name(),
                field_text(feature, "vehicle")
            ),
        ),
    };
    Some(CotEvent {
        uid: format!("vigil-{}", feature.id),
        kind,
        how,
        time: feature.time,
        stale,
        lat_deg,
        lon_deg,
        hae_m: UNKNOWN,
        ce_m,
        le_m: UNKNOWN,
        callsign,
        remarks,
        detail: format!("{links}{source}"),
    })
}

pub fn write(
    out: &Path,
    features: &[Feature],
    provenance: &Provenance,
    step: &mut dyn FnMut(u64),
) -> Result<(), ExportError> {
    let io = ExportError::io(out);
    let mut w = BufWriter::new(std::fs::File::create(out).map_err(&io)?);
    let source = source_detail(provenance);
    writeln!(
        w,
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<events>"
    )
    .map_err(&io)?;
    for feature in features {
        if let Some(event) = feature_event(feature, &source) {
            writeln!(w, "{}", event.xml()).map_err(&io)?;
        }
        step(1);
    }
    writeln!(w, "</events>").map_err(&io)?;
    w.flush().map_err(&io)
}
