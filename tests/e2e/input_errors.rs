//! Bad input fails only its own job, with an error saying where: a line
//! that does not decode (or is skipped and counted), a spec with a wrong
//! field (before anything runs), a module that is missing (with every path
//! searched) or is not a component.
//!
//! The jobs are the `cases/input-*` scenario folders (whose
//! `expected_error.txt` `scenarios.rs` also checks), run here in this
//! process, where the exact error variants can be matched, and through the
//! CLI, where nothing may run before a spec or module error.

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use weir_connectors::ConnectorError;
use weir_runtime::{JobSummary, RunOptions, RuntimeError};
use weir_spec::{JobSpec, SpecError};
use weir_wasm::{WasmEngine, WasmError};

/// Runs the job in `dir` in this process.
fn run_in_process(engine: &WasmEngine, dir: &Path) -> Result<JobSummary, RuntimeError> {
    support::prepare(engine, dir).and_then(|job| job.run(&RunOptions::default()))
}

/// `weir run job.yaml` in `dir`, with `extra` arguments.
fn weir_run(dir: &Path, extra: &[&str]) -> Output {
    support::run_weir(dir, extra, Duration::from_secs(120)).expect("weir returns")
}

/// The single `error:` line of a failed run.
fn error_line(out: &Output) -> String {
    support::error_line("the run", out)
}

/// Asserts the job in `dir` wrote nothing and `weir` printed no summary.
fn assert_nothing_ran(dir: &Path, out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !dir.join("out.txt").exists(),
        "the sink was opened\n{stderr}"
    );
    assert!(!stderr.contains("finished in"), "the job ran\n{stderr}");
}

// --- Records that do not decode ---

#[test]
fn a_bad_json_line_fails_its_job_naming_the_source_file_and_line() {
    let engine = WasmEngine::new().unwrap();
    let dir = support::scratch_case("input-decode-fail");
    match run_in_process(&engine, dir.path()) {
        Err(RuntimeError::Connector {
            node,
            subtask: 0,
            error:
                ConnectorError::Decode {
                    source_id,
                    file,
                    line,
                    message,
                },
        }) => {
            assert_eq!(
                (node.as_str(), source_id.as_str(), line),
                ("clicks", "clicks", 3)
            );
            assert!(file.ends_with("clicks.jsonl"), "{}", file.display());
            assert!(message.starts_with("invalid JSON"), "{message}");
        }
        other => panic!("expected a decode error of clicks, got {other:?}"),
    }
}

#[test]
fn a_bad_line_fails_only_its_own_job() {
    // The same engine runs a healthy job at the same time; it finishes with
    // its expected output.
    let engine = WasmEngine::new().unwrap();
    let healthy = {
        let engine = engine.clone();
        std::thread::spawn(move || {
            let dir = support::scratch_case("hostile-neighbour-healthy");
            let summary = run_in_process(&engine, dir.path());
            (dir, summary)
        })
    };
    let bad = support::scratch_case("input-decode-fail");
    let err = run_in_process(&engine, bad.path()).unwrap_err();
    assert!(
        matches!(err, RuntimeError::Connector { ref node, .. } if node == "clicks"),
        "{err}"
    );

    let (dir, summary) = healthy.join().unwrap();
    summary.unwrap_or_else(|e| panic!("the healthy job failed: {e}"));
    assert_eq!(
        support::sorted_lines(&dir.path().join("out.txt")),
        support::sorted_lines(
            &support::case_dir("hostile-neighbour-healthy").join("expected/out.txt")
        )
    );
}

#[test]
fn with_skip_the_bad_line_is_dropped_counted_and_the_job_completes() {
    let engine = WasmEngine::new().unwrap();
    let dir = support::scratch_case("input-decode-skip");
    let summary = run_in_process(&engine, dir.path()).expect("the job completes");
    let clicks = summary.nodes.iter().find(|n| n.id == "clicks").unwrap();
    assert_eq!((clicks.records_in, clicks.records_skipped), (3, 1));
    let expected = std::fs::read(support::case_dir("input-decode-skip").join("expected/out.jsonl"));
    assert_eq!(
        std::fs::read(dir.path().join("out.jsonl")).unwrap(),
        expected.unwrap()
    );
}

#[test]
fn weir_run_names_the_bad_line_once_or_logs_it_and_the_count_with_skip() {
    let dir = support::scratch_case("input-decode-fail");
    let line = error_line(&weir_run(dir.path(), &[]));
    assert!(
        line.starts_with("error: job input-decode-fail failed: clicks subtask 0: "),
        "{line}"
    );
    assert_eq!(
        line.matches("clicks.jsonl:3: invalid JSON").count(),
        1,
        "{line}"
    );

    let dir = support::scratch_case("input-decode-skip");
    let out = weir_run(dir.path(), &[]);
    assert!(out.status.success(), "{}", support::describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let skipping = stderr
        .lines()
        .find(|l| l.contains("skipping a line that cannot be decoded"))
        .unwrap_or_else(|| panic!("no warning for the skipped line\n{stderr}"));
    assert!(
        skipping.contains("source=clicks") && skipping.contains("line=3"),
        "{skipping}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("records skipped") && l.contains("skipped=1")),
        "{stderr}"
    );
}

// --- Specs with a wrong field ---

#[test]
fn an_unknown_field_fails_the_spec_naming_the_field_and_its_line() {
    let dir = support::scratch_case("input-spec-unknown-field");
    match JobSpec::load(&dir.path().join("job.yaml")) {
        Err(SpecError::Yaml {
            path,
            line,
            message,
            ..
        }) => {
            assert_eq!(path, "operators[0].limits.call_timout_ms");
            assert_eq!(line, Some(9));
            assert!(
                message.starts_with("unknown field `call_timout_ms`"),
                "{message}"
            );
        }
        other => panic!("expected a YAML shape error, got {other:?}"),
    }
    let out = weir_run(dir.path(), &[]);
    let line = error_line(&out);
    assert!(line.contains("job.yaml:9:"), "{line}");
    assert!(
        line.contains("operators[0].limits.call_timout_ms: unknown field"),
        "{line}"
    );
    assert_nothing_ran(dir.path(), &out);
}

#[test]
fn parallelism_zero_fails_validation_naming_the_field() {
    let dir = support::scratch_case("input-spec-parallelism-zero");
    match JobSpec::load(&dir.path().join("job.yaml")) {
        Err(SpecError::Invalid { problems, .. }) => {
            let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
            assert_eq!(paths, ["operators[0].parallelism"]);
        }
        other => panic!("expected an invalid spec, got {other:?}"),
    }
    let out = weir_run(dir.path(), &[]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("operators[0].parallelism: must be at least 1"),
        "{stderr}"
    );
    assert_nothing_ran(dir.path(), &out);
}

// --- Modules that are missing or are not components ---

#[test]
fn a_missing_module_names_the_operator_and_every_path_searched() {
    let dir = support::scratch_case("input-missing-module");
    let extra = tempfile::tempdir().unwrap();
    let out = weir_run(
        dir.path(),
        &["--module-path", extra.path().to_str().unwrap()],
    );
    let line = error_line(&out);
    assert!(
        line.contains("operator ghost: module `lib/ghost_op.wasm` not found (looked in: "),
        "{line}"
    );
    let spec_dir = dir.path().canonicalize().unwrap();
    for searched in [
        spec_dir.join("lib/ghost_op.wasm"),
        support::module_dir().join("ghost_op.wasm"),
        extra.path().join("ghost_op.wasm"),
    ] {
        let searched = searched.display().to_string();
        assert!(line.contains(&searched), "{searched} not in {line}");
    }
    assert_nothing_ran(dir.path(), &out);

    let engine = WasmEngine::new().unwrap();
    match support::prepare(&engine, dir.path()) {
        Err(RuntimeError::ModuleNotFound {
            operator, module, ..
        }) => assert_eq!(
            (operator.as_str(), module.as_str()),
            ("ghost", "lib/ghost_op.wasm")
        ),
        other => panic!("expected ModuleNotFound, got {other:?}"),
    }
}

/// A job whose one operator's module is the file `module.bin` beside it.
const SUSPECT_JOB: &str = "\
name: suspect
sources:
  - { id: events, type: generator, count: 10 }
operators:
  - { id: suspect, module: module.bin }
sinks:
  - { id: out, type: file, path: out.txt }
edges:
  - { from: events, to: suspect }
  - { from: suspect, to: out }
";

#[test]
fn core_modules_and_random_bytes_are_refused_before_anything_runs() {
    // Deterministic noise from a linear congruential generator.
    let mut x: u32 = 7;
    let noise: Vec<u8> = (0..2048)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 16) as u8
        })
        .collect();
    // An empty core module, and one with a type section `(func)`.
    let core_empty = b"\0asm\x01\0\0\0".to_vec();
    let core_typed = b"\0asm\x01\0\0\0\x01\x04\x01\x60\x00\x00".to_vec();
    let cases = [
        (noise, "it does not start with the Wasm magic bytes"),
        (
            core_empty,
            "it is a core Wasm module; build it into a component with `weir build`",
        ),
        (
            core_typed,
            "it is a core Wasm module; build it into a component with `weir build`",
        ),
    ];
    let engine = WasmEngine::new().unwrap();
    for (bytes, reason) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("job.yaml"), SUSPECT_JOB).unwrap();
        std::fs::write(dir.path().join("module.bin"), &bytes).unwrap();

        let out = weir_run(dir.path(), &[]);
        let line = error_line(&out);
        assert!(
            line.starts_with("error: job suspect cannot start: operator suspect: module "),
            "{line}"
        );
        assert_eq!(
            line.matches(&format!("is not a Wasm component: {reason}"))
                .count(),
            1,
            "{line}"
        );
        assert_nothing_ran(dir.path(), &out);

        match support::prepare(&engine, dir.path()) {
            Err(RuntimeError::Module {
                operator,
                error: WasmError::NotAComponent { reason: r, .. },
            }) => assert_eq!((operator.as_str(), r.as_str()), ("suspect", reason)),
            other => panic!("expected NotAComponent, got {other:?}"),
        }
    }
}
