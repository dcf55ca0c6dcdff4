//! Every example in `examples/` runs with the real `weir` binary and writes
//! exactly its `expected/` files.
//!
//! Each example is run from a copy (its `job.yaml` and `input/` in a temporary
//! folder), with every guest component on the module path. Its file sinks
//! write under `out/`; `expected/<p>` is compared with `out/<p>`, and the two
//! sets of files must be the same.
//!
//! A sink fed by one edge from a node with one subtask writes in that
//! subtask's order, which every example keeps deterministic (for instance by
//! emitting from timers, which fire in time order, then key order): its file
//! must match byte for byte. A sink fed by several subtasks (or several
//! edges) interleaves their records in any order: its sorted lines are
//! compared.

#[path = "support/mod.rs"]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use weir_spec::{JobSpec, SinkKind};

/// The examples, by folder name. A folder without a test here, or a test
/// without its folder, fails `every_example_folder_is_tested`.
const EXAMPLES: [&str; 4] = [
    "fraud-detection",
    "sessionization",
    "window-counts",
    "word-count",
];

#[test]
fn every_example_folder_is_tested() {
    let mut found: Vec<String> = fs::read_dir(examples_dir())
        .expect("examples/ is readable")
        .map(|entry| entry.expect("examples/ lists").path())
        .filter(|path| path.is_dir())
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    found.sort();
    assert_eq!(found, EXAMPLES);
}

#[test]
fn word_count() {
    check_example("word-count");
}

#[test]
fn fraud_detection() {
    check_example("fraud-detection");
}

#[test]
fn window_counts() {
    check_example("window-counts");
}

#[test]
fn sessionization() {
    check_example("sessionization");
}

fn examples_dir() -> PathBuf {
    support::workspace().join("examples")
}

/// Runs example `name` from a copy and compares its output with
/// `expected/`.
fn check_example(name: &str) {
    let example = examples_dir().join(name);
    let run_dir = tempfile::tempdir().expect("a temporary folder");
    let job = run_dir.path().join("job.yaml");
    fs::copy(example.join("job.yaml"), &job).expect("copying job.yaml");
    copy_dir(&example.join("input"), &run_dir.path().join("input"));

    let out = support::run_job(&job);
    assert!(
        out.status.success(),
        "{name} failed:\n{}",
        support::describe(&out)
    );

    let spec = JobSpec::load(&job).expect("the job spec loads");
    let out_dir = run_dir.path().join("out");
    let produced = sink_outputs(&spec.spec, &out_dir, name);
    let expected_dir = example.join("expected");
    let expected = files_under(&expected_dir);
    assert_eq!(
        expected,
        produced.keys().cloned().collect(),
        "{name}: expected/ must hold one file per file sink, at its path under out/"
    );
    assert!(!expected.is_empty(), "{name} has no expected output");

    for (rel, ordered) in &produced {
        let want = expected_dir.join(rel);
        let got = out_dir.join(rel);
        if *ordered {
            let want_text = read(&want);
            let got_text = read(&got);
            assert!(
                want_text == got_text,
                "{name}: {} differs from {}:\n{}",
                got.display(),
                want.display(),
                first_difference(&want_text, &got_text)
            );
        } else {
            let (want_lines, got_lines) =
                (support::sorted_lines(&want), support::sorted_lines(&got));
            assert!(
                want_lines == got_lines,
                "{name}: {} (sorted) differs from {}:\n{}",
                got.display(),
                want.display(),
                first_difference(&want_lines.join("\n"), &got_lines.join("\n"))
            );
        }
    }
}

/// The files the job's file sinks write, relative to `out_dir`, each with
/// whether its line order is defined. Every file sink of an example has one
/// subtask and writes under `out/`.
fn sink_outputs(spec: &JobSpec, out_dir: &Path, name: &str) -> BTreeMap<PathBuf, bool> {
    let mut files = BTreeMap::new();
    for sink in &spec.sinks {
        let SinkKind::File(file) = &sink.kind else {
            continue;
        };
        assert_eq!(
            sink.parallelism, 1,
            "{name}: sink {} writes one file",
            sink.id
        );
        let rel = file
            .path
            .strip_prefix("out")
            .unwrap_or_else(|_| panic!("{name}: sink {} writes outside out/", sink.id));
        assert!(
            out_dir.join(rel).is_file(),
            "{name}: sink {} wrote no {}",
            sink.id,
            file.path.display()
        );
        let inputs = spec.inputs_of(&sink.id);
        let ordered = match inputs.as_slice() {
            [edge] => spec.node(&edge.from).is_some_and(|n| n.parallelism() == 1),
            _ => false,
        };
        files.insert(rel.to_owned(), ordered);
    }
    files
}

/// Every file under `dir`, relative to it.
fn files_under(dir: &Path) -> BTreeSet<PathBuf> {
    let mut files = BTreeSet::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(folder) = pending.pop() {
        for entry in fs::read_dir(&folder).unwrap_or_else(|e| panic!("{}: {e}", folder.display())) {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.insert(path.strip_prefix(dir).unwrap().to_owned());
            }
        }
    }
    files
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("creating a folder");
    for entry in fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let path = entry.expect("a folder entry").path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            fs::copy(&path, &target).expect("copying an input file");
        }
    }
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The first line where `got` differs from `want`, for failure messages.
fn first_difference(want: &str, got: &str) -> String {
    let (mut w, mut g) = (want.lines(), got.lines());
    for line in 1.. {
        match (w.next(), g.next()) {
            (None, None) => return "(only line endings differ)".to_owned(),
            (a, b) if a == b => continue,
            (a, b) => {
                return format!(
                    "line {line}:\n  expected: {}\n  got:      {}",
                    a.unwrap_or("(end of file)"),
                    b.unwrap_or("(end of file)")
                );
            }
        }
    }
    unreachable!("the loop returns")
}
