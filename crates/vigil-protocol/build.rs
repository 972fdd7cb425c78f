//! Generates the Rust code of Vigil's MAVLink dialect (`hardware/dialect/vigil.xml`, which
//! includes ArduPilot's dialect and, through it, common.xml) with mavlink-bindgen. The XML is
//! vendored, so the build needs no network.

use std::path::Path;

fn main() {
    // The XML lives with the hardware it describes (the sensor nodes' firmware generates its C
    // code from the same files), two folders up from this crate.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dialect_dir = Path::new(&manifest_dir).join("../../hardware/dialect");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    // bindgen follows <include> on its own but does not tell cargo about the included files.
    for entry in std::fs::read_dir(&dialect_dir).expect("hardware/dialect is part of the package") {
        let path = entry.expect("readable dialect folder").path();
        if path.extension().is_some_and(|ext| ext == "xml") {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
    mavlink_bindgen::generate(
        mavlink_bindgen::XmlDefinitions::Files(vec![dialect_dir.join("vigil.xml")]),
        &out_dir,
    )
    .expect("the vendored MAVLink XML generates Rust code");
}
