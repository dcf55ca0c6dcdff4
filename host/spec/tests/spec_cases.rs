//! Scenario tests from data: each folder of `tests/cases/` holds a `job.yaml`.
//!
//! - With `expected_error.txt`, loading must fail, and each non-empty line of
//!   that file must appear in the error message, in order.
//! - Without it, loading must succeed. `expected_order.txt` (one node id per
//!   line) is then compared with `topological_order()`, and
//!   `expected_partitioning.txt` (`from -> to: partitioning`, one edge per
//!   line in spec order) with `partitioning()`.

use std::fs;
use std::path::{Path, PathBuf};

use weir_spec::{JobSpec, LoadedSpec};

const KNOWN_FILES: &[&str] = &[
    "job.yaml",
    "expected_error.txt",
    "expected_order.txt",
    "expected_partitioning.txt",
];

fn cases() -> Vec<PathBuf> {
    // The run-time value: the compile-time one can name another checkout
    // when a target directory is shared.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    let root = manifest_dir.join("tests/cases");
    let mut cases: Vec<PathBuf> = fs::read_dir(&root)
        .expect("tests/cases exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    cases
}

fn read(path: &Path) -> Option<String> {
    path.exists()
        .then(|| fs::read_to_string(path).expect("readable case file"))
}

/// Checks one case; `Err` says what went wrong.
fn check(case: &Path) -> Result<(), String> {
    for entry in fs::read_dir(case).map_err(|e| e.to_string())? {
        let name = entry.map_err(|e| e.to_string())?.file_name();
        let name = name.to_string_lossy();
        if !KNOWN_FILES.contains(&name.as_ref()) {
            return Err(format!("unexpected file `{name}`"));
        }
    }
    let loaded = JobSpec::load(&case.join("job.yaml"));
    match (read(&case.join("expected_error.txt")), loaded) {
        (Some(expected), Err(err)) => error_matches(&expected, &err.to_string()),
        (Some(_), Ok(_)) => Err("loaded, but an error was expected".into()),
        (None, Err(err)) => Err(format!("expected to load, got:\n{err}")),
        (None, Ok(loaded)) => valid_matches(case, &loaded),
    }
}

fn error_matches(expected: &str, actual: &str) -> Result<(), String> {
    let mut rest = actual;
    for line in expected.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match rest.find(line) {
            Some(at) => rest = &rest[at + line.len()..],
            None => return Err(format!("error lacks {line:?} (in order); it is:\n{actual}")),
        }
    }
    Ok(())
}

fn valid_matches(case: &Path, loaded: &LoadedSpec) -> Result<(), String> {
    let spec = &loaded.spec;
    if let Some(expected) = read(&case.join("expected_order.txt")) {
        let expected: Vec<&str> = expected.lines().collect();
        let actual = spec.topological_order();
        if actual != expected {
            return Err(format!("order {actual:?}, expected {expected:?}"));
        }
    }
    if let Some(expected) = read(&case.join("expected_partitioning.txt")) {
        let expected: Vec<&str> = expected.lines().collect();
        let actual: Vec<String> = (spec.edges.iter())
            .map(|edge| {
                let partitioning = serde_json::to_value(spec.partitioning(edge)).unwrap();
                let name = partitioning.as_str().unwrap().to_owned();
                format!("{} -> {}: {name}", edge.from, edge.to)
            })
            .collect();
        if actual != expected {
            return Err(format!("partitioning {actual:#?}, expected {expected:#?}"));
        }
    }
    Ok(())
}

#[test]
fn every_case_behaves_as_its_files_say() {
    let cases = cases();
    let valid = cases
        .iter()
        .filter(|case| !case.join("expected_error.txt").exists())
        .count();
    assert!(
        valid >= 3 && cases.len() - valid >= 40,
        "cases went missing"
    );
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let name = case.file_name().unwrap().to_string_lossy().into_owned();
            check(case).err().map(|why| format!("{name}: {why}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
