//! GPX 1.1: the drone paths, a track per drone with each vertex's time and altitude; the
//! provenance in the metadata (its description, and a `vigil:source` extension).

use std::io::{BufWriter, Write};
use std::path::Path;

use super::features::{Feature, Geometry};
use super::{ExportError, Layer, Provenance, utc_millis, xml_escape};

pub fn write(
    out: &Path,
    features: &[Feature],
    provenance: &Provenance,
    step: &mut dyn FnMut(u64),
) -> Result<(), ExportError> {
    let io = ExportError::io(out);
    let file = std::fs::File::create(out).map_err(&io)?;
    let mut w = BufWriter::new(file);
    let pairs = provenance.pairs();
    let desc = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let attributes = pairs
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", xml_escape(v)))
        .collect::<Vec<_>>()
        .join(" ");
    write!(
        w,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"Vigil\" xmlns=\"http://www.topografix.com/GPX/1/1\" xmlns:vigil=\"https://vigil.invalid/gpx/1\">\n<metadata><name>Vigil session {}</name><desc>{}</desc><extensions><vigil:source {attributes}/></extensions></metadata>\n",
        xml_escape(&provenance.session),
        xml_escape(&desc)
    )
    .map_err(&io)?;
    for feature in features.iter().filter(|f| f.layer == Layer::Paths) {
        let Geometry::Line(vertices) = &feature.geometry else {
            continue;
        };
        writeln!(w, "<trk><name>{}</name><trkseg>", xml_escape(&feature.id)).map_err(&io)?;
        for (vertex, time) in vertices.iter().zip(&feature.vertex_times) {
            let ele = if vertex[2].is_finite() {
                format!("<ele>{}</ele>", vertex[2])
            } else {
                String::new()
            };
            writeln!(
                w,
                "<trkpt lat=\"{}\" lon=\"{}\">{ele}<time>{}</time></trkpt>",
                vertex[1],
                vertex[0],
                utc_millis(*time)
            )
            .map_err(&io)?;
        }
        writeln!(w, "</trkseg></trk>").map_err(&io)?;
        step(1);
    }
    w.write_all(b"</gpx>\n").map_err(&io)?;
    w.flush().map_err(&io)
}
