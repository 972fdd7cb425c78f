//! The workspace's layers, as the compiler enforces them: each crate depends (normally or for
//! its tests) only on crates listed before it in the root `Cargo.toml`'s `members`, and the
//! simulator shares only the vocabulary and the protocol with the station, so that the two
//! cannot share a bug.

use std::collections::BTreeMap;
use std::path::Path;

/// Each member's package name and the workspace crates it depends on, in `members` order.
fn members() -> Vec<(String, Vec<String>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |path: &Path| -> toml::Table {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        text.parse()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let workspace = read(&root.join("Cargo.toml"));
    let list = workspace["workspace"]["members"]
        .as_array()
        .expect("workspace.members");
    list.iter()
        .map(|member| {
            let dir = root.join(member.as_str().expect("a member is a path"));
            let manifest = read(&dir.join("Cargo.toml"));
            let name = manifest["package"]["name"]
                .as_str()
                .expect("package.name")
                .to_owned();
            let mut deps = Vec::new();
            for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
                if let Some(table) = manifest.get(section).and_then(|t| t.as_table()) {
                    deps.extend(table.keys().filter(|k| k.starts_with("vigil-")).cloned());
                }
            }
            (name, deps)
        })
        .collect()
}

#[test]
fn no_crate_depends_on_one_above_it() {
    let members = members();
    let position: BTreeMap<&str, usize> = members
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (name.as_str(), i))
        .collect();
    let mut upward = Vec::new();
    for (i, (name, deps)) in members.iter().enumerate() {
        for dep in deps {
            match position.get(dep.as_str()) {
                Some(&j) if j < i => {}
                Some(_) => upward.push(format!("{name} -> {dep}")),
                None => upward.push(format!("{name} -> {dep} (not a workspace member)")),
            }
        }
    }
    assert!(
        upward.is_empty(),
        "dependencies that point up the layers: {upward:?}"
    );
    assert_eq!(
        members.last().map(|(n, _)| n.as_str()),
        Some("vigil"),
        "the binary is the top layer"
    );
}

#[test]
fn the_simulator_shares_only_the_vocabulary_and_the_protocol() {
    let members = members();
    let (_, deps) = members
        .iter()
        .find(|(name, _)| name == "vigil-sim")
        .expect("vigil-sim is a member");
    let mut deps = deps.clone();
    deps.sort();
    assert_eq!(deps, ["vigil-core", "vigil-protocol"]);
}

#[test]
fn the_vocabulary_depends_on_no_other_crate_of_ours() {
    let members = members();
    let (_, deps) = members
        .iter()
        .find(|(name, _)| name == "vigil-core")
        .expect("vigil-core is a member");
    assert!(deps.is_empty(), "vigil-core depends on {deps:?}");
}

/// The Rust sources of the workspace (crates and the binary), with their text.
fn sources() -> Vec<(std::path::PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(std::path::PathBuf, String)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                out.push((path, text));
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    walk(&root.join("crates"), &mut out);
    walk(&root.join("src"), &mut out);
    out.sort();
    out
}

/// A written reason for a long file or function: a `// Long:` comment (at the top level of a
/// file, after its module comment; or among the comments and attributes just above a
/// function).
const REASON: &str = "// Long: ";

#[test]
fn no_file_over_800_lines_without_a_written_reason() {
    let long: Vec<String> = sources()
        .into_iter()
        .filter(|(_, text)| text.lines().count() > 800)
        .filter(|(_, text)| !text.lines().any(|l| l.starts_with(REASON)))
        .map(|(path, text)| format!("{} ({} lines)", path.display(), text.lines().count()))
        .collect();
    assert!(
        long.is_empty(),
        "files over 800 lines without a reason: {long:#?}"
    );
}

#[test]
fn no_function_over_120_lines_without_a_written_reason() {
    let mut long = Vec::new();
    for (path, text) in sources() {
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            let is_fn = [
                "fn ",
                "pub fn ",
                "pub(crate) fn ",
                "const fn ",
                "pub const fn ",
            ]
            .iter()
            .any(|p| trimmed.starts_with(p));
            if !is_fn || trimmed.ends_with(';') {
                continue;
            }
            // rustfmt closes an item's body at the indentation it opened at.
            let indent = &line[..line.len() - trimmed.len()];
            let close = format!("{indent}}}");
            let Some(end) = lines[i + 1..].iter().position(|l| *l == close) else {
                continue;
            };
            let length = end + 2;
            if length <= 120 {
                continue;
            }
            let reasoned = lines[..i]
                .iter()
                .rev()
                .take_while(|l| {
                    let l = l.trim_start();
                    l.starts_with("//") || l.starts_with("#[")
                })
                .any(|l| l.trim_start().starts_with(REASON));
            if !reasoned {
                long.push(format!("{}:{} {} lines", path.display(), i + 1, length));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over 120 lines without a reason: {long:#?}"
    );
}
