//! Data-driven scenario tests: every folder under `tests/e2e/cases/` is one
//! job run through the real `weir run`, checked against its expected output
//! or expected error. See "Scenario cases" in `tests/e2e/README.md` for the
//! format.
//!
//! `WEIR_CASE=<text>` runs only the cases whose folder name contains `text`;
//! `WEIR_CASE_HANG_LIMIT_S` (default 300) is how long a run may take before
//! it is killed and its case fails.

#[path = "support/mod.rs"]
mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

/// The job spec every case has.
const JOB: &str = "job.yaml";
/// Files the job must produce, at the same relative paths.
const EXPECTED_DIR: &str = "expected";
/// Lines stderr must contain, in order, from a job that must fail.
const EXPECTED_ERROR: &str = "expected_error.txt";
/// Lines stderr must contain, in order, whether the job fails or not.
const EXPECTED_STDERR: &str = "expected_stderr.txt";
/// Marker: compare outputs as sorted lines.
const UNORDERED: &str = "unordered";

#[test]
fn scenario_cases() {
    let filter = std::env::var("WEIR_CASE").unwrap_or_default();
    let cases = case_dirs(&cases_root());
    assert!(
        !cases.is_empty(),
        "no cases under {}",
        cases_root().display()
    );

    let mut failures = Vec::new();
    let mut ran = 0;
    for dir in &cases {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if !name.contains(&filter) {
            continue;
        }
        ran += 1;
        if let Err(why) = run_case(dir) {
            failures.push(format!("=== case {name}: {why}"));
        }
    }
    assert!(ran > 0, "WEIR_CASE={filter:?} matches no case");
    assert!(
        failures.is_empty(),
        "{} of {ran} scenario cases failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

fn cases_root() -> PathBuf {
    support::workspace().join("tests/e2e/cases")
}

/// The case folders, sorted by name.
fn case_dirs(root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(root)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", root.display()))
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// Runs one case in a scratch copy of its folder and checks the outcome.
fn run_case(case: &Path) -> Result<(), String> {
    if !case.join(JOB).is_file() {
        return Err(format!("no {JOB}"));
    }
    let expected_dir = case.join(EXPECTED_DIR);
    let expected_error = read_opt(&case.join(EXPECTED_ERROR))?;
    let expected_stderr = read_opt(&case.join(EXPECTED_STDERR))?;
    if expected_error.is_none() && !expected_dir.is_dir() {
        return Err(format!(
            "the case checks nothing: add {EXPECTED_DIR}/ or {EXPECTED_ERROR}"
        ));
    }
    if expected_error.is_some() && expected_dir.exists() {
        return Err(format!(
            "a case has either {EXPECTED_DIR}/ or {EXPECTED_ERROR}, not both"
        ));
    }

    let scratch = tempfile::tempdir().map_err(|e| format!("no temp dir: {e}"))?;
    copy_case(case, scratch.path()).map_err(|e| format!("copying the case: {e}"))?;
    let out = run_weir(scratch.path())?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let with_output = |why: String| format!("{why}\n{}", support::describe(&out));

    if let Some(expected) = &expected_error {
        if out.status.success() {
            return Err(with_output("the job succeeded but must fail".into()));
        }
        contains_lines_in_order(&stderr, expected)
            .map_err(|why| with_output(format!("{EXPECTED_ERROR}: {why}")))?;
    } else {
        if !out.status.success() {
            return Err(with_output("the job failed".into()));
        }
        let unordered = case.join(UNORDERED).exists();
        compare_outputs(&expected_dir, scratch.path(), unordered).map_err(with_output)?;
    }
    if let Some(expected) = &expected_stderr {
        contains_lines_in_order(&stderr, expected)
            .map_err(|why| with_output(format!("{EXPECTED_STDERR}: {why}")))?;
    }
    Ok(())
}

/// `weir run job.yaml` inside `dir`, killed as hung after [`hang_limit`]: a
/// guard against a hung job blocking the suite, far above any case's run time.
fn run_weir(dir: &Path) -> Result<Output, String> {
    support::run_weir(dir, &[], hang_limit())
}

/// `WEIR_CASE_HANG_LIMIT_S`, default 300 seconds.
fn hang_limit() -> Duration {
    let secs = std::env::var("WEIR_CASE_HANG_LIMIT_S")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    Duration::from_secs(secs)
}

/// Copies the case folder, except what only the checks read.
fn copy_case(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if [EXPECTED_DIR, EXPECTED_ERROR, EXPECTED_STDERR].contains(&name.to_str().unwrap_or("")) {
            continue;
        }
        copy_tree(&entry.path(), &to.join(&name))?;
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    if from.is_dir() {
        fs::create_dir_all(to)?;
        for entry in fs::read_dir(from)? {
            let entry = entry?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        fs::copy(from, to).map(|_| ())
    }
}

/// Checks every file under `expected` against the file at the same relative
/// path under `produced`. A produced folder (the part files of a parallel
/// file sink) counts as its files concatenated in name order.
fn compare_outputs(expected: &Path, produced: &Path, unordered: bool) -> Result<(), String> {
    let mut problems = Vec::new();
    for file in files_under(expected) {
        let relative = file.strip_prefix(expected).unwrap();
        let want = fs::read(&file).map_err(|e| format!("reading {}: {e}", file.display()))?;
        let Some(got) = read_produced(&produced.join(relative)) else {
            problems.push(format!("{}: not produced", relative.display()));
            continue;
        };
        let (want, got) = if unordered {
            (sorted_lines(&want), sorted_lines(&got))
        } else {
            (want, got)
        };
        if want != got {
            problems.push(format!(
                "{} differs{}\n--- expected\n{}--- produced\n{}",
                relative.display(),
                if unordered { " (as sorted lines)" } else { "" },
                String::from_utf8_lossy(&want),
                String::from_utf8_lossy(&got)
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// A produced file's bytes, or a produced folder's files concatenated in
/// name order; `None` if there is neither.
fn read_produced(path: &Path) -> Option<Vec<u8>> {
    if path.is_dir() {
        let mut all = Vec::new();
        for file in files_under(path) {
            all.extend(fs::read(file).ok()?);
        }
        Some(all)
    } else {
        fs::read(path).ok()
    }
}

/// Every file under `dir`, recursively, sorted by path.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(d) = pending.pop() {
        for entry in fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The lines sorted, each ending in a newline.
fn sorted_lines(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    lines
        .iter()
        .flat_map(|l| [l.as_bytes(), b"\n"])
        .flatten()
        .copied()
        .collect()
}

/// Checks every non-empty line of `expected` (trimmed) occurs in `text`,
/// each after the previous one's match.
fn contains_lines_in_order(text: &str, expected: &str) -> Result<(), String> {
    let mut rest = text;
    for line in expected.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match rest.find(line) {
            Some(at) => rest = &rest[at + line.len()..],
            None if text.contains(line) => return Err(format!("{line:?} is out of order")),
            None => return Err(format!("{line:?} is missing")),
        }
    }
    Ok(())
}

fn read_opt(path: &Path) -> Result<Option<String>, String> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("reading {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod checks {
    use super::*;

    #[test]
    fn lines_must_appear_in_order() {
        let text = "error: job x failed\n  operator `f`: bad op\nsummary\n";
        assert!(contains_lines_in_order(text, "job x failed\n\n  `f`: bad op\n").is_ok());
        let err = contains_lines_in_order(text, "bad op\njob x").unwrap_err();
        assert!(err.contains("out of order"), "{err}");
        let err = contains_lines_in_order(text, "nowhere").unwrap_err();
        assert!(err.contains("missing"), "{err}");
    }

    #[test]
    fn unordered_comparison_ignores_line_order_but_not_content() {
        assert_eq!(sorted_lines(b"b\na\n"), sorted_lines(b"a\nb"));
        assert_ne!(sorted_lines(b"a\na\n"), sorted_lines(b"a\n"));
    }

    #[test]
    fn a_case_without_checks_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(JOB), "name: x\n").unwrap();
        let err = run_case(dir.path()).unwrap_err();
        assert!(err.contains("checks nothing"), "{err}");
    }

    #[test]
    fn missing_and_different_outputs_are_reported() {
        let expected = tempfile::tempdir().unwrap();
        let produced = tempfile::tempdir().unwrap();
        fs::write(expected.path().join("a.txt"), "1\n2\n").unwrap();
        fs::write(expected.path().join("b.txt"), "x\n").unwrap();
        fs::create_dir(produced.path().join("a.txt")).unwrap();
        fs::write(produced.path().join("a.txt/part-1"), "1\n").unwrap();
        fs::write(produced.path().join("a.txt/part-0"), "2\n").unwrap();
        let err = compare_outputs(expected.path(), produced.path(), false).unwrap_err();
        assert!(err.contains("a.txt differs"), "{err}");
        assert!(err.contains("b.txt: not produced"), "{err}");
        fs::write(produced.path().join("b.txt"), "x\n").unwrap();
        assert!(compare_outputs(expected.path(), produced.path(), true).is_ok());
    }
}
