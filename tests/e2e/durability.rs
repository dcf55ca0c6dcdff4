//! Durable state end to end, with the real `weir` binary: checkpoints,
//! `kill -9` at random points and restore, rescaling from a checkpoint,
//! savepoints through the CLI, and restores that must be refused.
//!
//! The counting guest (`running-count`) emits `key count` for every
//! record, so any record lost or repeated, in state or in the file sink,
//! changes the output.

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::{describe, module_dir, weir};

/// Longest any single run may take before the test calls it hung.
const LIMIT: Duration = Duration::from_secs(120);

/// A job over a paced generator into the running counter.
struct JobShape<'a> {
    state: &'a str,
    count: u64,
    keys: u64,
    rate: Option<u64>,
    count_parallelism: u32,
    sink_parallelism: u32,
    checkpoints: bool,
}

impl JobShape<'_> {
    fn yaml(&self) -> String {
        let rate = self
            .rate
            .map_or(String::new(), |r| format!(", rate_per_sec: {r}"));
        let checkpoints = if self.checkpoints {
            "checkpoints: { interval_ms: 150 }\nrestart: { strategy: none }\n"
        } else {
            ""
        };
        format!(
            "name: durable-count\nbatch_size: 50\nstate: {state}\n{checkpoints}\
             sources:\n  - {{ id: gen, type: generator, count: {count}, keys: {keys}{rate} }}\n\
             operators:\n  - {{ id: count, module: running_count.wasm, parallelism: {cp}, key_by: record }}\n\
             sinks:\n  - {{ id: out, type: file, path: out, parallelism: {sp} }}\n\
             edges:\n  - {{ from: gen, to: count }}\n  - {{ from: count, to: out }}\n",
            state = self.state,
            count = self.count,
            keys = self.keys,
            cp = self.count_parallelism,
            sp = self.sink_parallelism,
        )
    }

    fn write(&self, dir: &Path) {
        std::fs::write(dir.join("job.yaml"), self.yaml()).unwrap();
    }
}

/// A `weir run` in the background whose stderr lines arrive on a channel.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn start(dir: &Path, extra: &[&str]) -> Running {
        let mut child = weir()
            .current_dir(dir)
            .args(["run", "job.yaml", "--progress", "never", "--module-path"])
            .arg(module_dir())
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("weir starts");
        let (tx, lines) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits until a line containing `needle` appears; false if the
    /// process ended first.
    fn wait_for(&mut self, needle: &str) -> bool {
        let started = Instant::now();
        while started.elapsed() < LIMIT {
            match self.lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    let hit = line.contains(needle);
                    self.seen.push(line);
                    if hit {
                        return true;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return false,
            }
        }
        panic!("no `{needle}` after {LIMIT:?}:\n{}", self.seen.join("\n"));
    }

    /// Kills the process with SIGKILL.
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the end; returns success and everything it printed.
    fn finish(mut self) -> (bool, String) {
        let status = self.child.wait().expect("weir ends");
        self.seen.extend(self.lines.iter());
        (status.success(), self.seen.join("\n"))
    }
}

/// Starts the job in `dir` and waits until checkpoint `n` completed.
fn run_until_checkpoint(dir: &Path, n: u64) -> Running {
    let mut run = Running::start(dir, &[]);
    let needle = format!("checkpoint {n} complete");
    assert!(run.wait_for(&needle), "{}", run.seen.join("\n"));
    run
}

/// A small deterministic generator of pauses.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn has_checkpoint(dir: &Path) -> bool {
    let root = dir.join(".weir/checkpoints/durable-count");
    std::fs::read_dir(&root)
        .map(|entries| {
            entries
                .flatten()
                .any(|e| e.path().join("_metadata").is_file())
        })
        .unwrap_or(false)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The failure-free output of the job: no checkpoints, no pacing.
fn reference(shape: &JobShape<'_>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    JobShape {
        rate: None,
        checkpoints: false,
        ..*shape
    }
    .write(dir.path());
    let out = support::run_weir(dir.path(), &[], LIMIT).unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    dir
}

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

/// Checks that every key's counts in `out` are exactly `1..=n`, once each,
/// and that the keys' totals add up to `count`.
fn assert_exactly_once(out: &Path, count: u64) {
    let mut by_key: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let text = String::from_utf8(read(out)).unwrap();
    for line in text.lines() {
        let (key, n) = line.split_once(' ').expect("`key count` lines");
        by_key
            .entry(key.to_owned())
            .or_default()
            .push(n.parse().unwrap());
    }
    let mut total = 0;
    for (key, mut counts) in by_key {
        counts.sort_unstable();
        let n = counts.len() as u64;
        assert!(
            counts.iter().copied().eq(1..=n),
            "key {key}: counts are not exactly 1..={n}: {:?}",
            &counts[..counts.len().min(20)]
        );
        total += n;
    }
    assert_eq!(total, count, "every record is counted once");
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
    // Guest panic messages do not reach the host yet: the trap shows.
    assert!(log.contains("process trapped"), "{log}");
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
