//! Jobs without Wasm operators: sources, routing, sinks and failure handling
//! of the runtime itself, run for real on threads.

use std::path::Path;

use weir_runtime::{Job, RunOptions, RuntimeError};
use weir_spec::JobSpec;
use weir_wasm::WasmEngine;

fn run(dir: &Path, yaml: &str) -> Result<weir_runtime::JobSummary, RuntimeError> {
    let path = dir.join("job.yaml");
    std::fs::write(&path, yaml).unwrap();
    let spec = JobSpec::load(&path).expect("valid spec");
    let engine = WasmEngine::new().unwrap();
    Job::prepare(&engine, spec, &RunOptions::default())?.run(&RunOptions::default())
}

fn lines(path: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    v.sort();
    v
}

#[test]
fn every_record_reaches_a_sink_across_parallelism_changes() {
    let dir = tempfile::tempdir().unwrap();
    let summary = run(
        dir.path(),
        "name: fanin
batch_size: 7
sources:
  - { id: gen, type: generator, count: 1000, keys: 13, parallelism: 3 }
sinks:
  - { id: out, type: file, path: out.txt, parallelism: 1 }
edges:
  - { from: gen, to: out }
",
    )
    .unwrap();
    let mut expected: Vec<String> = (0..1000).map(|i: u32| i.to_string()).collect();
    expected.sort();
    assert_eq!(lines(&dir.path().join("out.txt")), expected);
    let out = summary.nodes.iter().find(|n| n.id == "out").unwrap();
    assert_eq!(out.records_in, 1000);
    let gen_node = summary.nodes.iter().find(|n| n.id == "gen").unwrap();
    assert_eq!(gen_node.records_out, 1000);
    assert_eq!(out.watermark, i64::MAX, "end of input ends event time");
}

#[test]
fn broadcast_delivers_to_every_subtask_and_two_sources_merge() {
    let dir = tempfile::tempdir().unwrap();
    run(
        dir.path(),
        "name: bc
sources:
  - { id: a, type: generator, count: 10 }
  - { id: b, type: generator, count: 5, start_ms: 100 }
sinks:
  - { id: out, type: file, path: out, parallelism: 2 }
edges:
  - { from: a, to: out, partition: broadcast }
  - { from: b, to: out, partition: rebalance }
",
    )
    .unwrap();
    let part0 = lines(&dir.path().join("out/part-0"));
    let part1 = lines(&dir.path().join("out/part-1"));
    // Each part has all 10 broadcast records; the 5 rebalanced ones are split.
    let count = |v: &[String], s: &str| v.iter().filter(|l| *l == s).count();
    for i in 0..10 {
        let s = i.to_string();
        let b = usize::from(i < 5);
        assert_eq!(count(&part0, &s) + count(&part1, &s), 2 + b, "record {i}");
    }
    assert_eq!(part0.len() + part1.len(), 25);
}

#[test]
fn a_failing_sink_fails_the_job_with_its_name_and_nothing_hangs() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full on this system");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let err = run(
        dir.path(),
        "name: full
sources:
  - { id: gen, type: generator, parallelism: 2 }
sinks:
  - { id: disk, type: file, path: /dev/full }
edges:
  - { from: gen, to: disk }
",
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, RuntimeError::Connector { ref node, .. } if node == "disk"),
        "{msg}"
    );
    assert!(msg.contains("/dev/full"), "{msg}");
}

#[test]
fn a_missing_module_fails_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let err = run(
        dir.path(),
        "name: nomod
sources:
  - { id: gen, type: generator, count: 1 }
operators:
  - { id: op, module: nowhere.wasm }
sinks:
  - { id: out, type: file, path: out.txt }
edges:
  - { from: gen, to: op }
  - { from: op, to: out }
",
    )
    .unwrap_err();
    assert!(
        matches!(err, RuntimeError::ModuleNotFound { ref operator, .. } if operator == "op"),
        "{err}"
    );
    assert!(!dir.path().join("out.txt").exists(), "nothing ran");
}

#[test]
fn decode_errors_name_the_position_or_are_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("in.jsonl"),
        "{\"a\":1}\nnot json\n{\"a\":2}\n",
    )
    .unwrap();
    let job = |policy: &str| {
        format!(
            "name: dec
sources:
  - {{ id: src, type: file, path: in.jsonl, format: json, on_decode_error: {policy} }}
sinks:
  - {{ id: out, type: file, path: out.txt }}
edges:
  - {{ from: src, to: out }}
"
        )
    };
    let err = run(dir.path(), &job("fail")).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("src") && msg.contains("in.jsonl:2"), "{msg}");
    run(dir.path(), &job("skip")).unwrap();
    assert_eq!(
        lines(&dir.path().join("out.txt")),
        ["{\"a\":1}", "{\"a\":2}"]
    );
}
