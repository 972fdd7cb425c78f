//! GPX 1.1: the drone paths, a track per drone with each vertex's time and altitude; the
//! provenance in the metadata (its description, and a `vigil:source` extension). Written with
//! `quick-xml` (see [`super::xml`]).

use std::io::{self, BufWriter, Write};
use std::path::Path;

use quick_xml::Writer;

use super::features::{Feature, Geometry};
use super::xml::{attr, declaration, empty, end, newline, start, text};
use super::{ExportError, Layer, Provenance, utc_millis};

fn document<W: Write>(
    w: &mut Writer<W>,
    features: &[Feature],
    provenance: &Provenance,
    step: &mut dyn FnMut(u64),
) -> io::Result<()> {
    let pairs = provenance.pairs();
    let desc = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    declaration(w, false)?;
    newline(w)?;
    start(
        w,
        "gpx",
        [
            attr("version", "1.1"),
            attr("creator", "Vigil"),
            attr("xmlns", "http://www.topografix.com/GPX/1/1"),
            attr("xmlns:vigil", "https://vigil.invalid/gpx/1"),
        ],
    )?;
    newline(w)?;
    start(w, "metadata", [])?;
    text(w, "name", &format!("Vigil session {}", provenance.session))?;
    text(w, "desc", &desc)?;
    start(w, "extensions", [])?;
    empty(w, "vigil:source", pairs.iter().map(|(k, v)| attr(k, v)))?;
    end(w, "extensions")?;
    end(w, "metadata")?;
    newline(w)?;
    for feature in features.iter().filter(|f| f.layer == Layer::Paths) {
        let Geometry::Line(vertices) = &feature.geometry else {
            continue;
        };
        start(w, "trk", [])?;
        text(w, "name", &feature.id)?;
        start(w, "trkseg", [])?;
        newline(w)?;
        for (vertex, time) in vertices.iter().zip(&feature.vertex_times) {
            let (lat, lon) = (vertex[1].to_string(), vertex[0].to_string());
            start(w, "trkpt", [attr("lat", &lat), attr("lon", &lon)])?;
            if vertex[2].is_finite() {
                text(w, "ele", &vertex[2].to_string())?;
            }
            text(w, "time", &utc_millis(*time))?;
            end(w, "trkpt")?;
            newline(w)?;
        }
        end(w, "trkseg")?;
        end(w, "trk")?;
        newline(w)?;
        step(1);
    }
    end(w, "gpx")?;
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
    use crate::export::Value;
    use crate::export::features::fields;
    use crate::export::xml::HOSTILE;
    use vigil_core::time::TimeUs;

    #[test]
    fn hostile_names_come_out_as_well_formed_gpx_with_times_and_heights() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let out = tmp.path().join("hostile.gpx");
        let feature = Feature {
            layer: Layer::Paths,
            id: HOSTILE.to_owned(),
            time: TimeUs(1_700_000_000_000_000),
            end: Some(TimeUs(1_700_000_001_000_000)),
            geometry: Geometry::Line(vec![[31.0, 9.0, 420.5], [31.001, -9.5, f64::NAN]]),
            values: fields(Layer::Paths).iter().map(|_| Value::Null).collect(),
            vertex_times: vec![TimeUs(1_700_000_000_000_000), TimeUs(1_700_000_001_000_000)],
        };
        let provenance = Provenance {
            session: HOSTILE.to_owned(),
            redaction: HOSTILE.to_owned(),
            ..Provenance::default()
        };
        write(&out, &[feature], &provenance, &mut |_| {}).expect("written");
        let xml = std::fs::read_to_string(&out).expect("read");
        let doc = roxmltree::Document::parse(&xml).expect("well-formed GPX");
        let gpx = "http://www.topografix.com/GPX/1/1";
        let points: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name((gpx, "trkpt")))
            .collect();
        assert_eq!(points.len(), 2);
        assert_eq!(points[1].attribute("lat"), Some("-9.5"));
        assert_eq!(points[0].attribute("lon"), Some("31"));
        let child = |n: roxmltree::Node, name: &str| {
            n.children()
                .find(|c| c.has_tag_name(name))
                .and_then(|c| c.text())
                .map(str::to_owned)
        };
        assert_eq!(child(points[0], "ele").as_deref(), Some("420.5"));
        assert_eq!(child(points[1], "ele"), None);
        assert_eq!(
            child(points[1], "time").as_deref(),
            Some("2023-11-14T22:13:21.000Z")
        );
        let source = doc
            .descendants()
            .find(|n| n.has_tag_name(("https://vigil.invalid/gpx/1", "source")))
            .expect("vigil:source");
        assert_eq!(
            source.attribute("redaction"),
            Some("Amina \"K\" <b>&amp; 'co'</b> ]]>  end next")
        );
    }
}
