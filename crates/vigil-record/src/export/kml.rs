//! KML 2.2 for Google Earth: a Folder per layer, a Placemark per feature with its time
//! (TimeStamp, or TimeSpan for a path) and fields as ExtendedData; the provenance in the
//! Document's ExtendedData. Written with `quick-xml` (see [`super::xml`]).

use std::io::{self, BufWriter, Write};
use std::path::Path;

use quick_xml::Writer;

use super::features::{Feature, Geometry, fields};
use super::xml::{attr, declaration, end, newline, start, text};
use super::{ExportError, Layer, Provenance, utc_millis};

fn coordinates(points: impl Iterator<Item = (f64, f64, Option<f64>)>) -> String {
    points
        .map(|(lon, lat, alt)| match alt.filter(|a| a.is_finite()) {
            Some(alt) => format!("{lon},{lat},{alt}"),
            None => format!("{lon},{lat}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn geometry_kml<W: Write>(w: &mut Writer<W>, geometry: &Geometry) -> io::Result<()> {
    match geometry {
        Geometry::Point { lon_deg, lat_deg } => {
            start(w, "Point", [])?;
            text(
                w,
                "coordinates",
                &coordinates(std::iter::once((*lon_deg, *lat_deg, None))),
            )?;
            end(w, "Point")
        }
        Geometry::Line(v) => {
            start(w, "LineString", [])?;
            text(w, "tessellate", "1")?;
            text(w, "altitudeMode", "absolute")?;
            text(
                w,
                "coordinates",
                &coordinates(v.iter().map(|p| (p[0], p[1], Some(p[2])))),
            )?;
            end(w, "LineString")
        }
        Geometry::Polygon(v) => {
            start(w, "Polygon", [])?;
            text(w, "tessellate", "1")?;
            start(w, "outerBoundaryIs", [])?;
            start(w, "LinearRing", [])?;
            text(
                w,
                "coordinates",
                &coordinates(v.iter().map(|p| (p[0], p[1], None))),
            )?;
            end(w, "LinearRing")?;
            end(w, "outerBoundaryIs")?;
            end(w, "Polygon")
        }
    }
}

/// `<Data name="NAME"><value>VALUE</value></Data>`.
fn data<W: Write>(w: &mut Writer<W>, name: &str, value: &str) -> io::Result<()> {
    start(w, "Data", [attr("name", name)])?;
    text(w, "value", value)?;
    end(w, "Data")
}

fn placemark<W: Write>(w: &mut Writer<W>, feature: &Feature) -> io::Result<()> {
    start(w, "Placemark", [attr("id", &feature.id)])?;
    text(w, "name", &feature.id)?;
    match feature.end {
        Some(end_time) => {
            start(w, "TimeSpan", [])?;
            text(w, "begin", &utc_millis(feature.time))?;
            text(w, "end", &utc_millis(end_time))?;
            end(w, "TimeSpan")?;
        }
        None => {
            start(w, "TimeStamp", [])?;
            text(w, "when", &utc_millis(feature.time))?;
            end(w, "TimeStamp")?;
        }
    }
    start(w, "ExtendedData", [])?;
    data(w, "time_utc", &utc_millis(feature.time))?;
    for ((name, _), value) in fields(feature.layer).iter().zip(&feature.values) {
        data(w, name, &value.to_text())?;
    }
    end(w, "ExtendedData")?;
    geometry_kml(w, &feature.geometry)?;
    end(w, "Placemark")
}

fn document<W: Write>(
    w: &mut Writer<W>,
    features: &[Feature],
    layers: &[Layer],
    provenance: &Provenance,
    step: &mut dyn FnMut(u64),
) -> io::Result<()> {
    declaration(w, false)?;
    newline(w)?;
    start(w, "kml", [attr("xmlns", "http://www.opengis.net/kml/2.2")])?;
    newline(w)?;
    start(w, "Document", [])?;
    newline(w)?;
    text(w, "name", &format!("Vigil session {}", provenance.session))?;
    newline(w)?;
    start(w, "ExtendedData", [])?;
    newline(w)?;
    for (key, value) in provenance.pairs() {
        data(w, &format!("vigil_{key}"), &value)?;
        newline(w)?;
    }
    end(w, "ExtendedData")?;
    newline(w)?;
    for layer in layers {
        start(w, "Folder", [])?;
        text(w, "name", layer.name())?;
        newline(w)?;
        for feature in features.iter().filter(|f| f.layer == *layer) {
            placemark(w, feature)?;
            newline(w)?;
            step(1);
        }
        end(w, "Folder")?;
        newline(w)?;
    }
    end(w, "Document")?;
    newline(w)?;
    end(w, "kml")?;
    newline(w)
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
    let mut w = Writer::new(BufWriter::new(file));
    document(&mut w, features, layers, provenance, step).map_err(&io)?;
    w.into_inner().flush().map_err(&io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::Value;
    use crate::export::xml::HOSTILE;
    use vigil_core::time::TimeUs;

    #[test]
    fn hostile_names_and_remarks_come_out_as_well_formed_kml() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let out = tmp.path().join("hostile.kml");
        let feature = Feature {
            layer: Layer::Notes,
            id: HOSTILE.to_owned(),
            time: TimeUs(1_700_000_000_250_000),
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
        let provenance = Provenance {
            session: HOSTILE.to_owned(),
            ..Provenance::default()
        };
        let mut steps = 0;
        write(&out, &[feature], &[Layer::Notes], &provenance, &mut |n| {
            steps += n
        })
        .expect("written");
        assert_eq!(steps, 1);
        let xml = std::fs::read_to_string(&out).expect("read");
        let doc = roxmltree::Document::parse(&xml).expect("well-formed KML");
        let placemark = doc
            .descendants()
            .find(|n| n.has_tag_name("Placemark"))
            .expect("a placemark");
        let name = placemark
            .children()
            .find(|n| n.has_tag_name("name"))
            .and_then(|n| n.text());
        assert_eq!(name, Some("Amina \"K\" <b>&amp; 'co'</b> ]]> \tend\nnext"));
        let when = placemark
            .descendants()
            .find(|n| n.has_tag_name("when"))
            .and_then(|n| n.text());
        assert_eq!(when, Some("2023-11-14T22:13:20.250Z"));
        let coordinates = placemark
            .descendants()
            .find(|n| n.has_tag_name("coordinates"))
            .and_then(|n| n.text());
        assert_eq!(coordinates, Some("31,9"));
        assert!(
            doc.root_element()
                .has_tag_name(("http://www.opengis.net/kml/2.2", "kml")),
            "{xml}"
        );
    }
}
