//! Hostile guests fail only their own job, with an error naming the operator
//! and the cause, and the process stays healthy.
//!
//! - In this process: every hostile scenario case (`cases/hostile-*`) runs
//!   through `weir_runtime::Job` on ONE `WasmEngine` shared by all tests,
//!   released at the same moment as a healthy keyed job
//!   (`cases/hostile-neighbour-healthy`), and must return the right
//!   `RuntimeError`/`WasmError`, while the healthy job writes exactly its
//!   expected output. One test runs all of them at once.
//! - Through the CLI: `weir run` on each case exits non-zero, promptly (a
//!   watchdog turns a hang into a failure), with one `error:` line that names
//!   the operator and the cause exactly once.
//!
//! The cases' `expected_error.txt` are also checked by `scenarios.rs`.

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Barrier, OnceLock};
use std::time::Duration;

use weir_runtime::{JobSummary, RunOptions, RuntimeError};
use weir_wasm::{CallKind, TrapCause, WasmEngine, WasmError};

/// The healthy job every hostile one runs beside.
const HEALTHY: &str = "hostile-neighbour-healthy";

/// How long a `weir run` may take before the watchdog calls it hung. Far
/// above what any case needs: it only turns a hang into a failure.
const WATCHDOG: Duration = Duration::from_secs(120);

/// The one engine of this test process, shared by every test, as every job
/// of a worker shares one.
fn engine() -> &'static WasmEngine {
    static ENGINE: OnceLock<WasmEngine> = OnceLock::new();
    ENGINE.get_or_init(|| WasmEngine::new().expect("the engine starts"))
}

/// Prepares and runs case `name` in this process.
fn run_case(name: &str) -> (tempfile::TempDir, Result<JobSummary, RuntimeError>) {
    let dir = support::scratch_case(name);
    let result =
        support::prepare(engine(), dir.path()).and_then(|job| job.run(&RunOptions::default()));
    (dir, result)
}

/// Runs case `name` and the healthy job at the same time on the shared
/// engine (both are released by one barrier), checks that the healthy job
/// wrote exactly its expected output, and returns the case's outcome.
fn beside_healthy(name: &str) -> Result<JobSummary, RuntimeError> {
    let start = Arc::new(Barrier::new(2));
    let healthy = {
        let start = Arc::clone(&start);
        std::thread::spawn(move || {
            start.wait();
            let dir = support::scratch_case(HEALTHY);
            let summary = support::prepare(engine(), dir.path())
                .and_then(|job| job.run(&RunOptions::default()));
            (dir, summary)
        })
    };
    let dir = support::scratch_case(name);
    start.wait();
    let result =
        support::prepare(engine(), dir.path()).and_then(|job| job.run(&RunOptions::default()));
    let (healthy_dir, summary) = healthy.join().expect("the healthy thread does not panic");
    assert_healthy_output(healthy_dir.path(), summary);
    result
}

/// The healthy job finished and wrote its expected lines (in any order:
/// two subtasks feed the sink).
fn assert_healthy_output(dir: &Path, summary: Result<JobSummary, RuntimeError>) {
    let summary = summary.unwrap_or_else(|e| panic!("the healthy job failed: {e}"));
    let threshold = summary
        .nodes
        .iter()
        .find(|n| n.id == "threshold")
        .expect("the healthy job has its operator");
    assert_eq!(threshold.records_in, 20_000);
    assert_eq!(
        support::sorted_lines(&dir.join("out.txt")),
        support::sorted_lines(&support::case_dir(HEALTHY).join("expected/out.txt"))
    );
}

/// `weir run` on a scratch copy of case `name`, under the watchdog.
fn weir_run_case(name: &str) -> Output {
    let dir = support::scratch_case(name);
    support::run_weir(dir.path(), &[], WATCHDOG).unwrap_or_else(|e| panic!("case {name}: {e}"))
}

/// The one `error:` line `weir` printed for failed case `name`.
fn error_line(name: &str, out: &Output) -> String {
    support::error_line(&format!("case {name}"), out)
}

/// How many times `needle` occurs in `text`.
fn count(text: &str, needle: &str) -> usize {
    text.matches(needle).count()
}

/// Whether `cause` is the SDK-reported panic of hostile-trap in `stage`
/// (`panicked at <file:line:col>: hostile-trap: deliberate panic in …`).
fn is_panic(cause: &TrapCause, stage: &str) -> bool {
    matches!(cause, TrapCause::Guest(m)
        if m.starts_with("panicked at ")
            && m.ends_with(&format!("hostile-trap: deliberate panic in {stage}")))
}

/// The trap of a job that failed in a guest call, checked to be in operator
/// `operator` (subtask 0) during `call`.
fn trap(result: Result<JobSummary, RuntimeError>, operator: &str, call: CallKind) -> TrapCause {
    match result {
        Err(RuntimeError::Wasm(WasmError::Trap {
            operator: op,
            subtask: 0,
            call: c,
            cause,
        })) if op == operator && c == call => cause,
        Err(e) => panic!("expected a trap of {operator} in {call}, got {e:?}"),
        Ok(_) => panic!("expected a trap of {operator} in {call}, the job finished"),
    }
}

/// The module error of a job that could not start, checked to name
/// `operator`.
fn module_error<T>(result: Result<T, RuntimeError>, operator: &str) -> WasmError {
    match result {
        Err(RuntimeError::Module {
            operator: op,
            error,
        }) if op == operator => error,
        Err(e) => panic!("expected a module error of {operator}, got {e:?}"),
        Ok(_) => panic!("expected a module error of {operator}, the job finished"),
    }
}

// --- In this process, beside a healthy job, on one engine ---

#[test]
fn an_endless_process_call_is_stopped_at_the_cpu_deadline() {
    let cause = trap(
        beside_healthy("hostile-loop-process"),
        "spin",
        CallKind::Process,
    );
    assert_eq!(cause, TrapCause::Timeout { limit_ms: 200 });
}

#[test]
fn an_endless_open_is_stopped_at_the_cpu_deadline() {
    let cause = trap(beside_healthy("hostile-loop-open"), "spin", CallKind::Open);
    assert_eq!(cause, TrapCause::Timeout { limit_ms: 200 });
}

#[test]
fn endless_allocation_is_stopped_at_the_memory_cap() {
    let cause = trap(beside_healthy("hostile-memory"), "hog", CallKind::Process);
    assert!(
        matches!(cause, TrapCause::MemoryLimit { limit, requested } if limit == 16 << 20 && requested > limit),
        "{cause:?}"
    );
}

#[test]
fn a_memory_cap_below_the_guests_initial_memory_fails_instantiation() {
    let result = beside_healthy("hostile-memory-below-initial");
    let cause = trap(result, "hog", CallKind::Instantiate);
    assert!(
        matches!(cause, TrapCause::MemoryLimit { limit, .. } if limit == 1 << 20),
        "{cause:?}"
    );
}

#[test]
fn a_panic_in_open_is_a_trap_in_open() {
    let cause = trap(beside_healthy("hostile-trap-open"), "boom", CallKind::Open);
    assert!(is_panic(&cause, "open"), "{cause:?}");
}

#[test]
fn a_panic_in_process_is_a_trap_in_process() {
    let cause = trap(
        beside_healthy("hostile-trap-process"),
        "boom",
        CallKind::Process,
    );
    assert!(is_panic(&cause, "process"), "{cause:?}");
}

#[test]
fn a_panic_in_on_timer_is_a_trap_in_on_timer() {
    let cause = trap(
        beside_healthy("hostile-trap-on-timer"),
        "boom",
        CallKind::OnTimer,
    );
    assert!(is_panic(&cause, "on_timer"), "{cause:?}");
}

#[test]
fn a_panic_in_close_is_a_trap_in_close() {
    let cause = trap(
        beside_healthy("hostile-trap-close"),
        "boom",
        CallKind::Close,
    );
    assert!(is_panic(&cause, "close"), "{cause:?}");
}

#[test]
fn an_out_of_bounds_load_is_a_trap_saying_so() {
    let cause = trap(
        beside_healthy("hostile-trap-out-of-bounds"),
        "boom",
        CallKind::Process,
    );
    assert_eq!(
        cause,
        TrapCause::Guest("out of bounds memory access".into())
    );
}

#[test]
fn emitting_past_the_output_cap_is_stopped() {
    let cause = trap(
        beside_healthy("hostile-output-cap"),
        "flood",
        CallKind::Process,
    );
    assert_eq!(cause, TrapCause::OutputLimit { limit: 65536 });
}

#[test]
fn a_component_of_another_world_is_refused_before_anything_runs() {
    let dir = support::scratch_case("hostile-foreign-world");
    match module_error(support::prepare(engine(), dir.path()), "alien") {
        WasmError::WorldMismatch { module, detail } => {
            assert!(module.ends_with("hostile_foreign_world.wasm"), "{module}");
            assert!(
                detail.starts_with("it exports `process` like world operator"),
                "{detail}"
            );
        }
        other => panic!("expected WorldMismatch, got {other:?}"),
    }
    // And beside a healthy job, through the same path as the others.
    let result = beside_healthy("hostile-foreign-world");
    assert!(matches!(
        module_error(result, "alien"),
        WasmError::WorldMismatch { .. }
    ));
}

#[test]
fn a_file_that_is_not_wasm_is_refused_before_anything_runs() {
    let result = beside_healthy("input-not-a-component");
    match module_error(result, "imposter") {
        WasmError::NotAComponent { module, reason } => {
            assert!(module.ends_with("not-wasm.txt"), "{module}");
            assert!(reason.contains("magic bytes"), "{reason}");
        }
        other => panic!("expected NotAComponent, got {other:?}"),
    }
}

/// Is a trap cause the expected one?
type CauseCheck = fn(&TrapCause) -> bool;

/// Every hostile case whose job starts, with the operator, export and cause
/// it must fail with.
const TRAPPING: &[(&str, &str, CallKind, CauseCheck)] = &[
    ("hostile-loop-process", "spin", CallKind::Process, |c| {
        *c == TrapCause::Timeout { limit_ms: 200 }
    }),
    ("hostile-loop-open", "spin", CallKind::Open, |c| {
        *c == TrapCause::Timeout { limit_ms: 200 }
    }),
    (
        "hostile-memory",
        "hog",
        CallKind::Process,
        |c| matches!(c, TrapCause::MemoryLimit { limit, .. } if *limit == 16 << 20),
    ),
    (
        "hostile-memory-below-initial",
        "hog",
        CallKind::Instantiate,
        |c| matches!(c, TrapCause::MemoryLimit { limit, .. } if *limit == 1 << 20),
    ),
    ("hostile-trap-open", "boom", CallKind::Open, |c| {
        is_panic(c, "open")
    }),
    ("hostile-trap-process", "boom", CallKind::Process, |c| {
        is_panic(c, "process")
    }),
    ("hostile-trap-on-timer", "boom", CallKind::OnTimer, |c| {
        is_panic(c, "on_timer")
    }),
    ("hostile-trap-close", "boom", CallKind::Close, |c| {
        is_panic(c, "close")
    }),
    (
        "hostile-trap-out-of-bounds",
        "boom",
        CallKind::Process,
        |c| *c == TrapCause::Guest("out of bounds memory access".into()),
    ),
    ("hostile-output-cap", "flood", CallKind::Process, |c| {
        *c == TrapCause::OutputLimit { limit: 65536 }
    }),
];

#[test]
fn every_hostile_job_at_once_fails_alone_and_the_engine_keeps_working() {
    let start = Arc::new(Barrier::new(TRAPPING.len() + 1));
    let hostile: Vec<_> = TRAPPING
        .iter()
        .map(|&(name, operator, call, _)| {
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                // Nothing that can panic before the barrier: a panicking
                // thread would leave the others waiting for ever.
                start.wait();
                let dir = support::scratch_case(name);
                let result = support::prepare(engine(), dir.path())
                    .and_then(|job| job.run(&RunOptions::default()));
                trap(result, operator, call)
            })
        })
        .collect();
    let dir = support::scratch_case(HEALTHY);
    start.wait();
    let summary =
        support::prepare(engine(), dir.path()).and_then(|job| job.run(&RunOptions::default()));
    assert_healthy_output(dir.path(), summary);
    for (handle, (name, _, _, expected)) in hostile.into_iter().zip(TRAPPING) {
        let cause = handle
            .join()
            .unwrap_or_else(|_| panic!("{name}: wrong error (see the panic above)"));
        assert!(expected(&cause), "{name}: {cause:?}");
    }

    // After all of that, the same engine (with every module cached) runs
    // the healthy job again.
    let (dir, summary) = run_case(HEALTHY);
    assert_healthy_output(dir.path(), summary);
}

// --- Through the CLI ---

#[test]
fn weir_run_fails_each_hostile_job_promptly_naming_the_operator_and_cause_once() {
    let causes = [
        (
            "hostile-loop-process",
            "spin",
            "process exceeded its CPU deadline of 200 ms",
        ),
        (
            "hostile-loop-open",
            "spin",
            "open exceeded its CPU deadline of 200 ms",
        ),
        (
            "hostile-memory",
            "hog",
            "over its memory cap of 16777216 bytes",
        ),
        (
            "hostile-memory-below-initial",
            "hog",
            "instantiate tried to grow its memory",
        ),
        ("hostile-trap-open", "boom", "open trapped: panicked at "),
        (
            "hostile-trap-process",
            "boom",
            "process trapped: panicked at ",
        ),
        (
            "hostile-trap-on-timer",
            "boom",
            "on-timer trapped: panicked at ",
        ),
        ("hostile-trap-close", "boom", "close trapped: panicked at "),
        (
            "hostile-trap-out-of-bounds",
            "boom",
            "process trapped: out of bounds memory access",
        ),
        (
            "hostile-output-cap",
            "flood",
            "emitted more than its output cap of 65536 bytes",
        ),
        (
            "hostile-foreign-world",
            "alien",
            "does not implement a weir:operator world",
        ),
    ];
    for (name, operator, cause) in causes {
        let out = weir_run_case(name);
        let line = error_line(name, &out);
        assert!(
            line.contains(&format!("operator {operator}")),
            "{name}: {line}"
        );
        assert_eq!(count(&line, cause), 1, "{name}: the cause once in {line}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("' panicked at"),
            "{name}: weir itself panicked\n{stderr}"
        );
    }
}
