//! GeoPackage 1.3 (OGC 12-128r18), written with SQLite: the required tables
//! (`gpkg_spatial_ref_sys`, `gpkg_contents`, `gpkg_geometry_columns`), a feature table per
//! layer whose geometries are GeoPackage binary (header "GP", version 0, little-endian flags,
//! an envelope, SRS 4326) followed by WKB, the `application_id` and `user_version` pragmas,
//! and the provenance in `gpkg_metadata` (the metadata extension) referenced for the whole
//! GeoPackage.

use std::path::Path;

use rusqlite::{Connection, params};

use super::features::{Feature, FieldType, Geometry, Value, fields};
use super::{ExportError, Layer, Provenance, utc_millis};
use vigil_core::time::TimeUs;

/// `PRAGMA application_id` of a GeoPackage ("GPKG").
pub const GPKG_APPLICATION_ID: i32 = 0x4750_4B47;
/// `PRAGMA user_version` of GeoPackage 1.3.0.
pub const GPKG_USER_VERSION: i32 = 10300;

const SCHEMA: &str = "
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
  scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
CREATE TABLE gpkg_metadata (
  id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL, md_scope TEXT NOT NULL DEFAULT 'dataset',
  md_standard_uri TEXT NOT NULL, mime_type TEXT NOT NULL DEFAULT 'text/xml',
  metadata TEXT NOT NULL DEFAULT '');
CREATE TABLE gpkg_metadata_reference (
  reference_scope TEXT NOT NULL, table_name TEXT, column_name TEXT, row_id_value INTEGER,
  timestamp DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  md_file_id INTEGER NOT NULL, md_parent_id INTEGER,
  CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id),
  CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES gpkg_metadata(id));
";

const WGS84_WKT: &str = "GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563,AUTHORITY[\"EPSG\",\"7030\"]],AUTHORITY[\"EPSG\",\"6326\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AUTHORITY[\"EPSG\",\"4326\"]]";

/// WKB (little-endian, 2D) of a geometry.
pub fn wkb(geometry: &Geometry) -> Vec<u8> {
    let mut out = vec![1u8];
    let put = |out: &mut Vec<u8>, x: f64, y: f64| {
        out.extend_from_slice(&x.to_le_bytes());
        out.extend_from_slice(&y.to_le_bytes());
    };
    match geometry {
        Geometry::Point { lon_deg, lat_deg } => {
            out.extend_from_slice(&1u32.to_le_bytes());
            put(&mut out, *lon_deg, *lat_deg);
        }
        Geometry::Line(v) => {
            out.extend_from_slice(&2u32.to_le_bytes());
            out.extend_from_slice(&(v.len() as u32).to_le_bytes());
            for p in v {
                put(&mut out, p[0], p[1]);
            }
        }
        Geometry::Polygon(v) => {
            out.extend_from_slice(&3u32.to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
            out.extend_from_slice(&(v.len() as u32).to_le_bytes());
            for p in v {
                put(&mut out, p[0], p[1]);
            }
        }
    }
    out
}

/// GeoPackage binary: header with an XY envelope (flags 0b0000_0011: envelope [minx, maxx,
/// miny, maxy], little-endian), SRS id, then WKB.
pub fn gpkg_geometry(geometry: &Geometry, srs_id: i32) -> Vec<u8> {
    let b = geometry.bounds();
    let mut out = vec![b'G', b'P', 0, 0b0000_0011];
    out.extend_from_slice(&srs_id.to_le_bytes());
    for v in [b[0], b[2], b[1], b[3]] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&wkb(geometry));
    out
}

fn geometry_type(layer: Layer) -> &'static str {
    match layer {
        Layer::Paths => "LINESTRING",
        Layer::Footprints => "POLYGON",
        _ => "POINT",
    }
}

// Long: one GeoPackage: the OGC tables, then each layer's table in one SQLite transaction.
pub fn write(
    out: &Path,
    features: &[Feature],
    layers: &[Layer],
    provenance: &Provenance,
    start: TimeUs,
    step: &mut dyn FnMut(u64),
) -> Result<(), ExportError> {
    let sql = |source| ExportError::Sql {
        path: out.to_owned(),
        source,
    };
    if out.exists() {
        std::fs::remove_file(out).map_err(ExportError::io(out))?;
    }
    let mut conn = Connection::open(out).map_err(sql)?;
    conn.pragma_update(None, "application_id", GPKG_APPLICATION_ID)
        .map_err(sql)?;
    conn.pragma_update(None, "user_version", GPKG_USER_VERSION)
        .map_err(sql)?;
    let tx = conn.transaction().map_err(sql)?;
    tx.execute_batch(SCHEMA).map_err(sql)?;
    tx.execute(
        "INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
         ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
         ('WGS 84 geodetic', 4326, 'EPSG', 4326, ?1, 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')",
        params![WGS84_WKT],
    )
    .map_err(sql)?;
    let last_change = utc_millis(start);
    for layer in layers {
        let name = layer.name();
        let mut columns = String::from("fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom ");
        columns.push_str(geometry_type(*layer));
        columns.push_str(", feature_id TEXT, time_utc TEXT");
        for (field, kind) in fields(*layer) {
            let sql_type = match kind {
                FieldType::Int => "INTEGER",
                FieldType::Real => "REAL",
                FieldType::Text => "TEXT",
            };
            columns.push_str(&format!(", \"{field}\" {sql_type}"));
        }
        tx.execute_batch(&format!("CREATE TABLE \"{name}\" ({columns});"))
            .map_err(sql)?;
        let of_layer: Vec<&Feature> = features.iter().filter(|f| f.layer == *layer).collect();
        let mut bounds = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        {
            let placeholders: Vec<String> = (0..fields(*layer).len() + 3)
                .map(|i| format!("?{}", i + 1))
                .collect();
            let names: Vec<String> = fields(*layer)
                .iter()
                .map(|(field, _)| format!("\"{field}\""))
                .collect();
            let mut stmt = tx
                .prepare(&format!(
                    "INSERT INTO \"{name}\" (geom, feature_id, time_utc{}{}) VALUES ({})",
                    if names.is_empty() { "" } else { ", " },
                    names.join(", "),
                    placeholders.join(", ")
                ))
                .map_err(sql)?;
            for feature in of_layer {
                let b = feature.geometry.bounds();
                bounds = [
                    bounds[0].min(b[0]),
                    bounds[1].min(b[1]),
                    bounds[2].max(b[2]),
                    bounds[3].max(b[3]),
                ];
                let mut values: Vec<rusqlite::types::Value> = vec![
                    rusqlite::types::Value::Blob(gpkg_geometry(&feature.geometry, 4326)),
                    rusqlite::types::Value::Text(feature.id.clone()),
                    rusqlite::types::Value::Text(utc_millis(feature.time)),
                ];
                values.extend(feature.values.iter().map(|v| match v {
                    Value::Null => rusqlite::types::Value::Null,
                    Value::Int(i) => rusqlite::types::Value::Integer(*i),
                    Value::Real(r) => rusqlite::types::Value::Real(*r),
                    Value::Text(t) => rusqlite::types::Value::Text(t.clone()),
                }));
                stmt.execute(rusqlite::params_from_iter(values))
                    .map_err(sql)?;
                step(1);
            }
        }
        let bound = |v: f64| v.is_finite().then_some(v);
        tx.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, min_x, min_y, max_x, max_y, srs_id)
             VALUES (?1, 'features', ?1, ?2, ?3, ?4, ?5, ?6, ?7, 4326)",
            params![
                name,
                format!("Vigil {name}"),
                last_change,
                bound(bounds[0]),
                bound(bounds[1]),
                bound(bounds[2]),
                bound(bounds[3])
            ],
        )
        .map_err(sql)?;
        tx.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', ?2, 4326, 0, 0)",
            params![name, geometry_type(*layer)],
        )
        .map_err(sql)?;
    }
    let metadata: serde_json::Map<String, serde_json::Value> = provenance
        .pairs()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v)))
        .collect();
    tx.execute(
        "INSERT INTO gpkg_extensions VALUES ('gpkg_metadata', NULL, 'gpkg_metadata', 'http://www.geopackage.org/spec/#extension_metadata', 'read-write'),
         ('gpkg_metadata_reference', NULL, 'gpkg_metadata', 'http://www.geopackage.org/spec/#extension_metadata', 'read-write')",
        [],
    )
    .map_err(sql)?;
    tx.execute(
        "INSERT INTO gpkg_metadata (id, md_scope, md_standard_uri, mime_type, metadata) VALUES (1, 'dataset', 'https://vigil.invalid/provenance/1', 'application/json', ?1)",
        params![serde_json::Value::Object(metadata).to_string()],
    )
    .map_err(sql)?;
    tx.execute(
        "INSERT INTO gpkg_metadata_reference (reference_scope, table_name, column_name, row_id_value, timestamp, md_file_id, md_parent_id) VALUES ('geopackage', NULL, NULL, NULL, ?1, 1, NULL)",
        params![last_change],
    )
    .map_err(sql)?;
    tx.commit().map_err(sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_has_the_geopackage_header_and_wkb() {
        let blob = gpkg_geometry(
            &Geometry::Point {
                lon_deg: 31.0,
                lat_deg: 9.0,
            },
            4326,
        );
        assert_eq!(&blob[..4], &[b'G', b'P', 0, 3]);
        assert_eq!(i32::from_le_bytes(blob[4..8].try_into().expect("4")), 4326);
        // Envelope (32 bytes), then WKB: byte order, type 1, x, y.
        assert_eq!(blob[40], 1);
        assert_eq!(u32::from_le_bytes(blob[41..45].try_into().expect("4")), 1);
        assert_eq!(
            f64::from_le_bytes(blob[45..53].try_into().expect("8")),
            31.0
        );
        assert_eq!(f64::from_le_bytes(blob[53..61].try_into().expect("8")), 9.0);
    }
}
