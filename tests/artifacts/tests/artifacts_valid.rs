//! Every artifact is a valid component file.

use std::path::Path;

use wasmparser::{Parser, Validator, WasmFeatures};

#[test]
fn every_artifact_is_a_valid_component() {
    assert!(!weir_test_artifacts::ALL.is_empty());
    for (name, path) in weir_test_artifacts::ALL {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{name}: {path}: {e}"));
        assert!(Parser::is_component(&bytes), "{name} is not a component");
        Validator::new_with_features(WasmFeatures::all())
            .validate_all(&bytes)
            .unwrap_or_else(|e| panic!("{name}: invalid component: {e}"));
    }
}

#[test]
fn all_lists_each_guest_once_by_name() {
    let names: Vec<_> = weir_test_artifacts::ALL.iter().map(|(n, _)| *n).collect();
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(names, sorted);
    assert!(weir_test_artifacts::ALL.contains(&("minimal-udf", weir_test_artifacts::MINIMAL_UDF)));
}

#[test]
fn component_files_are_named_after_their_package() {
    for (name, path) in weir_test_artifacts::ALL {
        let file = Path::new(path).file_name().unwrap().to_str().unwrap();
        assert_eq!(file, format!("{}.wasm", name.replace('-', "_")));
    }
}
