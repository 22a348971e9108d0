//! The layers, checked on the crates' manifests: domain <- store <- engine <- api <- facades <-
//! the binary, and no facade depends on another, so that none can reach into another's code.

use std::collections::BTreeMap;
use std::path::Path;

/// Each library crate and the Switchboard crates it may depend on.
const ALLOWED: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("store", &["switchboard-domain"]),
    ("engine", &["switchboard-domain", "switchboard-store"]),
    ("api", &["switchboard-domain", "switchboard-engine"]),
    ("api-engage", &["switchboard-domain", "switchboard-engine", "switchboard-api"]),
    ("api-gws", &["switchboard-domain", "switchboard-engine", "switchboard-api"]),
    ("api-native", &["switchboard-domain", "switchboard-engine", "switchboard-api"]),
    ("api-ringplan", &["switchboard-domain", "switchboard-engine", "switchboard-api"]),
    ("api-sdk", &["switchboard-domain", "switchboard-engine", "switchboard-api"]),
];

fn switchboard_dependencies(crate_dir: &str) -> Vec<String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(crate_dir).join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
    let doc: toml::Table = text.parse().unwrap();
    let deps = doc.get("dependencies").and_then(|d| d.as_table()).cloned().unwrap_or_default();
    deps.keys().filter(|name| name.starts_with("switchboard")).cloned().collect()
}

#[test]
fn each_crate_depends_only_on_the_layers_below_it_and_no_facade_on_another() {
    let crates_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let present: Vec<String> = std::fs::read_dir(&crates_dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|name| name != "switchboard")
        .collect();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    for name in &present {
        let Some(allowed) = allowed.get(name.as_str()) else {
            panic!("crates/{name} has no place in the layers: add it to ALLOWED")
        };
        for dep in switchboard_dependencies(name) {
            assert!(allowed.contains(&dep.as_str()), "crates/{name} must not depend on {dep}");
        }
    }
}
