//! A task waiting for input sleeps: a job whose source trickles records
//! uses a small fraction of one core. (Its own test binary, so the process's
//! CPU time is this job's alone.)
//!
//! This is a bound on the CPU the process used, not on how long anything
//! took: a loaded machine gives it less CPU, never more. A task that spins
//! while it waits uses a whole core for the run.

use std::time::{Duration, Instant};

use weir_runtime::{Job, RunOptions};
use weir_spec::JobSpec;
use weir_wasm::WasmEngine;

/// CPU time (user + system) of this process so far, from `/proc/self/stat`.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // Fields after the command name (which is in parentheses): state is
    // field 3, utime and stime are fields 14 and 15, in clock ticks.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // The kernel reports in USER_HZ, 100 on Linux.
    Duration::from_millis(ticks * 10)
}

#[test]
fn tasks_waiting_for_input_do_not_spin() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("job.yaml");
    // 30 records at 20 per second: about 1.5 s, nearly all of it waiting.
    std::fs::write(
        &path,
        "name: trickle
sources:
  - { id: gen, type: generator, count: 30, keys: 3, rate_per_sec: 20, parallelism: 1 }
sinks:
  - { id: out, type: discard, parallelism: 2 }
edges:
  - { from: gen, to: out }
",
    )
    .unwrap();
    let spec = JobSpec::load(&path).expect("valid spec");
    let engine = WasmEngine::new().unwrap();
    let job = Job::prepare(&engine, spec, &RunOptions::default()).unwrap();

    let (cpu_before, started) = (cpu_time(), Instant::now());
    let summary = job.run(&RunOptions::default()).unwrap();
    let (cpu, wall) = (cpu_time() - cpu_before, started.elapsed());

    let out = summary.nodes.iter().find(|n| n.id == "out").unwrap();
    assert_eq!(out.records_in, 30);
    assert!(
        wall >= Duration::from_secs(1),
        "the source is paced: {wall:?}"
    );
    assert!(
        cpu < wall / 4,
        "the job used {cpu:?} of CPU in {wall:?}: a waiting task spins"
    );
}
