//! Cursor-on-Target (CoT 2.0) events for TAK, following ATAK's conventions: drones are
//! friendly air (`a-f-A-M-H-Q` rotary-wing UAV, `a-f-A-M-F-Q` fixed-wing UAV), tracks are
//! ground of unknown affiliation (`a-u-G`, a vehicle `a-u-G-E-V`); alerts are geofence
//! alarms (`b-a-g`), detections `b-d`, incidents, reports and notes spot markers
//! (`b-m-p-s-m`), footprints and paths freehand shapes (`u-d-f`, vertices as `<link point>`).
//! Unknown errors and heights are 9999999 as CoT has it. An export file is an `<events>`
//! document; each event's detail carries the provenance (`<vigil_source .../>`). Written with
//! `quick-xml` (see [`super::xml`]), here and in the live feed.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use quick_xml::Writer;

use super::features::{Feature, Geometry, Value, fields};
use super::xml::{attr, declaration, empty, end, newline, start, text};
use super::{ExportError, Layer, Provenance, utc_millis};
use vigil_core::time::TimeUs;

/// CoT's value for an unknown error or height.
pub const UNKNOWN: f64 = 9_999_999.0;

/// An element of an event's detail, empty but for its attributes: `<track course= speed=/>`,
/// `<link point=/>`, `<vigil_source .../>`.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailElement {
    pub name: &'static str,
    pub attributes: Vec<(&'static str, String)>,
}

impl DetailElement {
    /// `<track course="DEG" speed="M/S"/>`, one decimal each.
    pub fn track(course_deg: f64, speed_mps: f64) -> Self {
        Self {
            name: "track",
            attributes: vec![
                ("course", format!("{course_deg:.1}")),
                ("speed", format!("{speed_mps:.1}")),
            ],
        }
    }

    /// `<link point="LAT,LON"/>`, a vertex of a shape.
    pub fn link_point(lat_deg: f64, lon_deg: f64) -> Self {
        Self {
            name: "link",
            attributes: vec![("point", format!("{lat_deg:.7},{lon_deg:.7}"))],
        }
    }

    fn write_to<W: Write>(&self, w: &mut Writer<W>) -> io::Result<()> {
        empty(
            w,
            self.name,
            self.attributes.iter().map(|(k, v)| attr(k, v)),
        )
    }
}

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
    /// Further detail elements, after the contact and the remarks.
    pub detail: Vec<DetailElement>,
}

impl CotEvent {
    /// Writes `<event ...><point .../><detail>...</detail></event>`; `shared` elements (the
    /// provenance) go at the end of the detail.
    pub fn write_to<W: Write>(
        &self,
        w: &mut Writer<W>,
        shared: &[DetailElement],
    ) -> io::Result<()> {
        let time = utc_millis(self.time);
        let stale = utc_millis(self.stale);
        start(
            w,
            "event",
            [
                attr("version", "2.0"),
                attr("uid", &self.uid),
                attr("type", &self.kind),
                attr("how", self.how),
                attr("time", &time),
                attr("start", &time),
                attr("stale", &stale),
            ],
        )?;
        let (lat, lon) = (
            format!("{:.7}", self.lat_deg),
            format!("{:.7}", self.lon_deg),
        );
        let (hae, ce, le) = (
            self.hae_m.to_string(),
            self.ce_m.to_string(),
            self.le_m.to_string(),
        );
        empty(
            w,
            "point",
            [
                attr("lat", &lat),
                attr("lon", &lon),
                attr("hae", &hae),
                attr("ce", &ce),
                attr("le", &le),
            ],
        )?;
        start(w, "detail", [])?;
        empty(w, "contact", [attr("callsign", &self.callsign)])?;
        text(w, "remarks", &self.remarks)?;
        for element in self.detail.iter().chain(shared) {
            element.write_to(w)?;
        }
        end(w, "detail")?;
        end(w, "event")
    }

    /// The event as a document of its own (`<?xml ... standalone="yes"?><event>...`), as the
    /// live feed sends it in one datagram.
    pub fn document(&self) -> io::Result<Vec<u8>> {
        let mut w = Writer::new(Vec::with_capacity(512));
        declaration(&mut w, true)?;
        self.write_to(&mut w, &[])?;
        Ok(w.into_inner())
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
pub fn source_detail(provenance: &Provenance) -> DetailElement {
    DetailElement {
        name: "vigil_source",
        attributes: provenance.pairs(),
    }
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

/// `warning buffer intrusion at Keradu: 4 people inside (assigned to Team Bravo by Sgt
/// Diallo)`.
fn alert_remarks(feature: &Feature) -> String {
    let mut remarks = format!(
        "{} {} at {}: {} ({}",
        field_text(feature, "severity"),
        field_text(feature, "rule"),
        field_text(feature, "site"),
        field_text(feature, "text"),
        field_text(feature, "event")
    );
    let assignee = field_text(feature, "assignee");
    if !assignee.is_empty() {
        remarks.push_str(&format!(", assigned to {assignee}"));
    }
    let who = field_text(feature, "who");
    if !who.is_empty() {
        remarks.push_str(&format!(" by {who}"));
    }
    let detail = field_text(feature, "detail");
    if !detail.is_empty() && detail != assignee {
        remarks.push_str(&format!(": {detail}"));
    }
    remarks.push(')');
    remarks
}

/// The event of an exported feature (without the provenance, which [`write`] adds).
pub fn feature_event(feature: &Feature) -> Option<CotEvent> {
    let (lon_deg, lat_deg) = feature.geometry.anchor()?;
    let links: Vec<DetailElement> = match &feature.geometry {
        Geometry::Line(v) => v
            .iter()
            .map(|p| DetailElement::link_point(p[1], p[0]))
            .collect(),
        Geometry::Polygon(v) => v
            .iter()
            .map(|p| DetailElement::link_point(p[1], p[0]))
            .collect(),
        Geometry::Point { .. } => Vec::new(),
    };
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
            alert_remarks(feature),
        ),
        Layer::Dispatches => (
            "b-m-p-s-p-i".to_owned(),
            "h-e",
            stale_after(3600),
            UNKNOWN,
            format!("Dispatch {}", field_text(feature, "dispatch_id")),
            format!(
                "drone {} {} (alert {}), sent by {}",
                field_text(feature, "drone"),
                field_text(feature, "state"),
                field_text(feature, "alert_id"),
                field_text(feature, "who")
            ),
        ),
        Layer::Incidents | Layer::Reports => (
            "b-m-p-s-m".to_owned(),
            "h-e",
            stale_after(3600),
            UNKNOWN,
            feature.id.clone(),
            format!(
                "{} ({}, {}): {}",
                field_text(feature, "category"),
                field_text(feature, "state"),
                field_text(feature, "event"),
                field_text(feature, "text")
            ),
        ),
        Layer::Notes => (
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
        detail: links,
    })
}

fn document<W: Write>(
    w: &mut Writer<W>,
    features: &[Feature],
    provenance: &Provenance,
    step: &mut dyn FnMut(u64),
) -> io::Result<()> {
    let source = [source_detail(provenance)];
    declaration(w, true)?;
    newline(w)?;
    start(w, "events", [])?;
    newline(w)?;
    for feature in features {
        if let Some(event) = feature_event(feature) {
            event.write_to(w, &source)?;
            newline(w)?;
        }
        step(1);
    }
    end(w, "events")?;
    newline(w)
}

pub fn write(
    out: &Path,
    features: &[Feature],
    provenance: &Provenance,
    step: &mut dyn FnMut(u64),
) -> Result<(), ExportError> {
    let io = ExportError::io(out);
    let file = std::fs::File::create(out).map_err(&io)?;
    let mut w = Writer::new(BufWriter::new(file));
    document(&mut w, features, provenance, step).map_err(&io)?;
    w.into_inner().flush().map_err(&io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::xml::HOSTILE;

    fn hostile_event() -> CotEvent {
        CotEvent {
            uid: HOSTILE.to_owned(),
            kind: "b-m-p-s-m".to_owned(),
            how: "h-e",
            time: TimeUs(1_700_000_000_250_000),
            stale: TimeUs(1_700_000_060_250_000),
            lat_deg: -9.123_456_789,
            lon_deg: 31.0,
            hae_m: UNKNOWN,
            ce_m: 4.5,
            le_m: UNKNOWN,
            callsign: HOSTILE.to_owned(),
            remarks: HOSTILE.to_owned(),
            detail: vec![DetailElement::track(271.25, 3.04)],
        }
    }

    #[test]
    fn a_hostile_event_is_a_well_formed_document_with_cots_attributes() {
        let bytes = hostile_event().document().expect("written");
        let xml = String::from_utf8(bytes).expect("utf-8");
        assert!(
            xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><event "),
            "{xml}"
        );
        let doc = roxmltree::Document::parse(&xml).expect("well-formed CoT");
        let event = doc.root_element();
        assert_eq!(event.attribute("version"), Some("2.0"));
        assert_eq!(event.attribute("type"), Some("b-m-p-s-m"));
        assert_eq!(event.attribute("how"), Some("h-e"));
        assert_eq!(event.attribute("time"), Some("2023-11-14T22:13:20.250Z"));
        assert_eq!(event.attribute("start"), Some("2023-11-14T22:13:20.250Z"));
        assert_eq!(event.attribute("stale"), Some("2023-11-14T22:14:20.250Z"));
        let point = event
            .children()
            .find(|n| n.has_tag_name("point"))
            .expect("point");
        assert_eq!(point.attribute("lat"), Some("-9.1234568"));
        assert_eq!(point.attribute("lon"), Some("31.0000000"));
        assert_eq!(point.attribute("hae"), Some("9999999"));
        assert_eq!(point.attribute("ce"), Some("4.5"));
        let detail = event
            .children()
            .find(|n| n.has_tag_name("detail"))
            .expect("detail");
        let remarks = detail
            .children()
            .find(|n| n.has_tag_name("remarks"))
            .and_then(|n| n.text());
        assert_eq!(
            remarks,
            Some("Amina \"K\" <b>&amp; 'co'</b> ]]> \tend\nnext")
        );
        let track = detail
            .children()
            .find(|n| n.has_tag_name("track"))
            .expect("track");
        assert_eq!(track.attribute("course"), Some("271.2"));
        assert_eq!(track.attribute("speed"), Some("3.0"));
    }

    #[test]
    fn an_export_of_hostile_features_is_a_well_formed_events_document() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let out = tmp.path().join("hostile.cot.xml");
        let note = Feature {
            layer: Layer::Notes,
            id: HOSTILE.to_owned(),
            time: TimeUs(1_700_000_000_000_000),
            end: None,
            geometry: Geometry::Point {
                lon_deg: 31.0,
                lat_deg: 9.0,
            },
            values: fields(Layer::Notes)
                .iter()
                .map(|_| Value::Text(HOSTILE.to_owned()))
                .collect(),
            vertex_times: Vec::new(),
        };
        let path = Feature {
            layer: Layer::Paths,
            id: "vehicle-1".to_owned(),
            time: TimeUs(1_700_000_000_000_000),
            end: Some(TimeUs(1_700_000_001_000_000)),
            geometry: Geometry::Line(vec![[31.0, 9.0, 400.0], [31.001, 9.001, 401.0]]),
            values: fields(Layer::Paths).iter().map(|_| Value::Null).collect(),
            vertex_times: vec![TimeUs(1_700_000_000_000_000), TimeUs(1_700_000_001_000_000)],
        };
        let provenance = Provenance {
            session: HOSTILE.to_owned(),
            journal_records: 24,
            ..Provenance::default()
        };
        write(&out, &[note, path], &provenance, &mut |_| {}).expect("written");
        let xml = std::fs::read_to_string(&out).expect("read");
        let doc = roxmltree::Document::parse(&xml).expect("well-formed CoT export");
        let events: Vec<_> = doc
            .root_element()
            .children()
            .filter(|n| n.has_tag_name("event"))
            .collect();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].attribute("type"), Some("b-m-p-s-m"));
        assert_eq!(events[1].attribute("type"), Some("u-d-f"));
        let links: Vec<_> = events[1]
            .descendants()
            .filter(|n| n.has_tag_name("link"))
            .filter_map(|n| n.attribute("point"))
            .collect();
        assert_eq!(links, ["9.0000000,31.0000000", "9.0010000,31.0010000"]);
        for event in &events {
            let source = event
                .descendants()
                .find(|n| n.has_tag_name("vigil_source"))
                .expect("provenance");
            assert_eq!(source.attribute("journal_records"), Some("24"));
        }
    }
}
