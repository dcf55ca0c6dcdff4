//! Helpers shared by the end-to-end tests: run the real `weir` binary on a
//! job, with every guest component built from source by
//! `weir-test-artifacts`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `weir` binary Cargo built for these tests.
pub fn weir() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_weir"));
    cmd.env_remove("WEIR_MODULE_PATH")
        .env("WEIR_LOG", "warn")
        .arg("--verbose")
        .env("NO_COLOR", "1");
    cmd
}

/// The folder holding every guest component.
pub fn module_dir() -> PathBuf {
    let (_, any) = weir_test_artifacts::ALL
        .first()
        .expect("at least one guest is built");
    Path::new(any)
        .parent()
        .expect("components live in a folder")
        .to_owned()
}

/// The path of the component of guest package `name` (dashes or
/// underscores).
pub fn component(name: &str) -> PathBuf {
    let file = format!("{}.wasm", name.replace('-', "_"));
    let path = module_dir().join(file);
    assert!(
        path.is_file(),
        "no component for guest {name} at {}",
        path.display()
    );
    path
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("cluster/cli is two levels down")
        .to_owned()
}

/// Runs `weir run JOB` with the guest components on the module path.
pub fn run_job(job: &Path) -> Output {
    weir()
        .arg("run")
        .arg(job)
        .arg("--module-path")
        .arg(module_dir())
        .arg("--progress")
        .arg("never")
        .output()
        .expect("weir runs")
}

/// Stdout and stderr as text, for assertion messages.
pub fn describe(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The lines of a file, sorted (for outputs of parallel jobs).
pub fn sorted_lines(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines.sort();
    lines
}
