//! KML 2.2 for Google Earth: a Folder per layer, a Placemark per feature with its time
//! (TimeStamp, or TimeSpan for a path) and fields as ExtendedData; the provenance in the
//! Document's ExtendedData.

use std::io::{BufWriter, Write};
use std::path::Path;

use super::features::{Feature, Geometry, fields};
use super::{ExportError, Layer, Provenance, utc_millis, xml_escape};

fn coordinates(points: impl Iterator<Item = (f64, f64, Option<f64>)>) -> String {
    points
        .map(|(lon, lat, alt)| match alt.filter(|a| a.is_finite()) {
            Some(alt) => format!("{lon},{lat},{alt}"),
            None => format!("{lon},{lat}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn geometry_kml(geometry: &Geometry) -> String {
    match geometry {
        Geometry::Point { lon_deg, lat_deg } => format!(
            "<Point><coordinates>{}</coordinates></Point>",
            coordinates(std::iter::once((*lon_deg, *lat_deg, None)))
        ),
        Geometry::Line(v) => format!(
            "<LineString><tessellate>1</tessellate><altitudeMode>absolute</altitudeMode><coordinates>{}</coordinates></LineString>",
            coordinates(v.iter().map(|p| (p[0], p[1], Some(p[2]))))
        ),
        Geometry::Polygon(v) => format!(
            "<Polygon><tessellate>1</tessellate><outerBoundaryIs><LinearRing><coordinates>{}</coordinates></LinearRing></outerBoundaryIs></Polygon>",
            coordinates(v.iter().map(|p| (p[0], p[1], None)))
        ),
    }
}

pub fn write(
    out: &Path,
    features: &[Feature],
    layers: &[Layer],
    provenance: &Provenance,
    step: &mut dyn FnMut(u64),
) -> Result<(), ExportError> {
    let io = ExportError::io(out);
    let file = std::fs::File::create(out).map_err(&io)?;
    let mut w = BufWriter::new(file);
    let mut text = String::new();
    text.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document>\n");
    text.push_str(&format!(
        "<name>Vigil session {}</name>\n<ExtendedData>\n",
        xml_escape(&provenance.session)
    ));
    for (key, value) in provenance.pairs() {
        text.push_str(&format!(
            "<Data name=\"vigil_{key}\"><value>{}</value></Data>\n",
            xml_escape(&value)
        ));
    }
    text.push_str("</ExtendedData>\n");
    w.write_all(text.as_bytes()).map_err(&io)?;
    for layer in layers {
        writeln!(w, "<Folder><name>{}</name>", layer.name()).map_err(&io)?;
        for feature in features.iter().filter(|f| f.layer == *layer) {
            let time = match feature.end {
                Some(end) => format!(
                    "<TimeSpan><begin>{}</begin><end>{}</end></TimeSpan>",
                    utc_millis(feature.time),
                    utc_millis(end)
                ),
                None => format!(
                    "<TimeStamp><when>{}</when></TimeStamp>",
                    utc_millis(feature.time)
                ),
            };
            let mut data = format!(
                "<Data name=\"time_utc\"><value>{}</value></Data>",
                utc_millis(feature.time)
            );
            for ((name, _), value) in fields(feature.layer).iter().zip(&feature.values) {
                data.push_str(&format!(
                    "<Data name=\"{name}\"><value>{}</value></Data>",
                    xml_escape(&value.to_text())
                ));
            }
            writeln!(
                w,
                "<Placemark id=\"{}\"><name>{}</name>{time}<ExtendedData>{data}</ExtendedData>{}</Placemark>",
                xml_escape(&feature.id),
                xml_escape(&feature.id),
                geometry_kml(&feature.geometry)
            )
            .map_err(&io)?;
            step(1);
        }
        writeln!(w, "</Folder>").map_err(&io)?;
    }
    w.write_all(b"</Document>\n</kml>\n").map_err(&io)?;
    w.flush().map_err(&io)
}
