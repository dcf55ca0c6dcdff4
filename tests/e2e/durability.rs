//! Durable state end to end, with the real `weir` binary: checkpoints,
//! `kill -9` at random points and restore, rescaling from a checkpoint,
//! savepoints through the CLI, and restores that must be refused.
//!
//! The counting guest (`running-count`) emits `key count` for every
//! record, so any record lost or repeated, in state or in the file sink,
//! changes the output.

mod support;

use std::path::Path;
use std::time::Duration;

use support::durable::{
    JobShape, LIMIT, Lcg, Running, assert_exactly_once, has_checkpoint, read, reference,
    run_until_checkpoint,
};
use support::{describe, weir};

fn killed_runs_give_the_failure_free_output(state: &str) {
    let shape = JobShape {
        state,
        count: 120_000,
        keys: 40,
        rate: Some(15_000),
        count_parallelism: 2,
        sink_parallelism: 2,
        checkpoints: true,
    };
    let expected = reference(&shape);
    let dir = tempfile::tempdir().unwrap();
    shape.write(dir.path());
    let mut rng = Lcg(0x5eed);
    let mut kills = 0;
    while kills < 10 {
        let restore = has_checkpoint(dir.path());
        let args: &[&str] = if restore {
            &["--restore", "latest"]
        } else {
            &[]
        };
        let mut run = Running::start(dir.path(), args);
        // Let it make progress (one more checkpoint), then kill it at a
        // random point after that.
        if !run.wait_for("complete in") {
            let (ok, log) = run.finish();
            panic!("the job ended before it was killed {kills} times (ok: {ok}):\n{log}");
        }
        std::thread::sleep(Duration::from_millis(rng.below(300)));
        run.kill();
        kills += 1;
    }
    assert!(has_checkpoint(dir.path()));
    let run = Running::start(dir.path(), &["--restore", "latest"]);
    let (ok, log) = run.finish();
    assert!(ok, "the last run fails:\n{log}");
    assert!(log.contains("restored from checkpoint"), "{log}");
    for part in ["part-0", "part-1"] {
        let got = read(&dir.path().join("out").join(part));
        let want = read(&expected.path().join("out").join(part));
        assert!(
            got == want,
            "{part} differs from the failure-free run ({} vs {} bytes)",
            got.len(),
            want.len()
        );
    }
}

#[test]
fn killed_heap_runs_give_the_failure_free_output() {
    killed_runs_give_the_failure_free_output("heap");
}

#[test]
fn killed_rocksdb_runs_give_the_failure_free_output() {
    killed_runs_give_the_failure_free_output("rocksdb");
}

fn rescale(state: &str, to: u32) {
    let shape = JobShape {
        state,
        count: 30_000,
        keys: 30,
        rate: Some(10_000),
        count_parallelism: 2,
        sink_parallelism: 1,
        checkpoints: true,
    };
    let dir = tempfile::tempdir().unwrap();
    shape.write(dir.path());
    run_until_checkpoint(dir.path(), 2).kill();
    JobShape {
        count_parallelism: to,
        rate: None,
        ..shape
    }
    .write(dir.path());
    let (ok, log) = Running::start(dir.path(), &["--restore", "latest"]).finish();
    assert!(ok, "restoring at parallelism {to} fails:\n{log}");
    assert_exactly_once(&dir.path().join("out"), shape.count);
}

#[test]
fn heap_state_rescales_from_two_to_one_and_four() {
    rescale("heap", 1);
    rescale("heap", 4);
}

#[test]
fn rocksdb_state_rescales_from_two_to_one_and_four() {
    rescale("rocksdb", 1);
    rescale("rocksdb", 4);
}

#[test]
fn savepoint_stop_restore_elsewhere_and_dispose() {
    let shape = JobShape {
        state: "heap",
        count: 40_000,
        keys: 20,
        rate: Some(10_000),
        count_parallelism: 2,
        sink_parallelism: 1,
        checkpoints: true,
    };
    let dir = tempfile::tempdir().unwrap();
    shape.write(dir.path());
    let run = run_until_checkpoint(dir.path(), 1);
    let savepoint = |cmd: &str, extra: &[&str]| {
        let out = weir()
            .current_dir(dir.path())
            .args([cmd, "job.yaml"])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "weir {cmd}: {}", describe(&out));
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let first = savepoint("savepoint", &[]);
    assert!(
        Path::new(first.trim_start_matches("file://"))
            .join("_metadata")
            .is_file(),
        "{first}"
    );
    let target = dir.path().join("stopped-here");
    let stopped = savepoint("stop", &["--target", target.to_str().unwrap()]);
    assert!(stopped.ends_with("stopped-here"), "{stopped}");
    let (ok, log) = run.finish();
    assert!(ok, "{log}");
    assert!(log.contains("stopped with a savepoint"), "{log}");

    // Restore the stop savepoint at another parallelism.
    JobShape {
        count_parallelism: 3,
        rate: None,
        ..shape
    }
    .write(dir.path());
    let (ok, log) = Running::start(dir.path(), &["--restore", target.to_str().unwrap()]).finish();
    assert!(ok, "{log}");
    assert!(log.contains("restored from savepoint"), "{log}");
    assert_exactly_once(&dir.path().join("out"), shape.count);

    // Dispose of the first one.
    let out = weir()
        .args(["savepoint", "--dispose", &first])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    assert!(!Path::new(first.trim_start_matches("file://")).exists());
}

#[test]
fn a_restore_that_does_not_fit_fails_before_anything_runs() {
    let shape = JobShape {
        state: "heap",
        count: 20_000,
        keys: 10,
        rate: Some(10_000),
        count_parallelism: 2,
        sink_parallelism: 1,
        checkpoints: true,
    };
    let dir = tempfile::tempdir().unwrap();
    shape.write(dir.path());
    run_until_checkpoint(dir.path(), 1).kill();
    let output = read(&dir.path().join("out"));

    // The operator's module now implements another world.
    let yaml = shape
        .yaml()
        .replace("running_count.wasm", "minimal_udf.wasm");
    std::fs::write(dir.path().join("job.yaml"), yaml).unwrap();
    let out = support::run_weir(dir.path(), &["--restore", "latest"], LIMIT).unwrap();
    let line = support::error_line("a restore into a udf", &out);
    assert!(
        line.contains("cannot restore from checkpoint") && line.contains("`udf` component"),
        "{line}"
    );
    // Nothing ran: the committed output is untouched.
    assert_eq!(read(&dir.path().join("out")), output);

    // Heap state from a RocksDB native checkpoint needs a savepoint.
    let dir = tempfile::tempdir().unwrap();
    JobShape {
        state: "rocksdb",
        ..shape
    }
    .write(dir.path());
    run_until_checkpoint(dir.path(), 1).kill();
    shape.write(dir.path());
    let out = support::run_weir(dir.path(), &["--restore", "latest"], LIMIT).unwrap();
    let line = support::error_line("a native restore into heap", &out);
    assert!(
        line.contains("restore from a savepoint to change backends"),
        "{line}"
    );
}

/// The job of `shape` with a restart strategy and a counter that traps
/// after `trap_after` records per instance.
fn with_faults(shape: &JobShape<'_>, restart: &str, trap_after: u64) -> String {
    shape
        .yaml()
        .replace("restart: { strategy: none }", restart)
        .replace(
            "key_by: record }",
            &format!("key_by: record, config: {{ trap_after: {trap_after} }} }}"),
        )
}

#[test]
fn a_failing_task_restarts_from_the_latest_checkpoint_by_itself() {
    let shape = JobShape {
        state: "heap",
        count: 20_000,
        keys: 10,
        rate: Some(10_000),
        count_parallelism: 2,
        sink_parallelism: 1,
        checkpoints: true,
    };
    let dir = tempfile::tempdir().unwrap();
    let yaml = with_faults(
        &shape,
        "restart: { strategy: fixed_delay, attempts: 10, delay_ms: 10 }",
        4_000,
    );
    std::fs::write(dir.path().join("job.yaml"), yaml).unwrap();
    let (ok, log) = Running::start(dir.path(), &[]).finish();
    assert!(ok, "{log}");
    assert!(log.contains("restarting from checkpoint"), "{log}");
    // The guest's panic message is the trap's cause.
    assert!(
        log.contains("process trapped: panicked at ")
            && log.contains("running-count: trapping after 4000 records"),
        "{log}"
    );
    assert!(log.contains("restarted "), "{log}");
    assert_exactly_once(&dir.path().join("out"), shape.count);
}

#[test]
fn the_restart_strategy_gives_up_on_a_fault_that_never_passes() {
    let shape = JobShape {
        state: "heap",
        count: 1_000,
        keys: 10,
        rate: None,
        count_parallelism: 1,
        sink_parallelism: 1,
        checkpoints: true,
    };
    let dir = tempfile::tempdir().unwrap();
    let yaml = with_faults(
        &shape,
        "restart: { strategy: fixed_delay, attempts: 2, delay_ms: 10 }",
        0,
    );
    std::fs::write(dir.path().join("job.yaml"), yaml).unwrap();
    let out = support::run_weir(dir.path(), &[], LIMIT).unwrap();
    let line = support::error_line("a job that always traps", &out);
    assert!(
        line.contains("operator count subtask 0: process trapped"),
        "{line}"
    );
    assert!(
        line.contains("gave up after 2 restarts: fixed_delay allows 2 restarts"),
        "{line}"
    );
}
