//! RocksDB keeps state out of memory: the same job, holding a few hundred
//! MB of keyed state, runs on `heap` and on `rocksdb` with identical
//! output, and only the heap run's memory grows with the state.
//!
//! Memory is the `weir` process's peak resident set (`VmHWM` in
//! `/proc/<pid>/status`), sampled until it exits. Each backend's peak is
//! compared with its own run of the same job over almost no state, so the
//! engine's own memory cancels out.

mod support;

use std::path::Path;
use std::time::Duration;

use support::durable::{JobShape, Running, read};

/// Keys in the job; each holds [`PAD`] bytes of state.
const KEYS: u64 = 150_000;
/// Padding state per key.
const PAD: u64 = 1_500;

/// The job over `KEYS` keys on `state`, with `pad` bytes per key.
fn write_job(dir: &Path, state: &str, pad: u64) {
    let yaml = JobShape {
        state,
        count: KEYS,
        keys: KEYS,
        rate: None,
        count_parallelism: 1,
        sink_parallelism: 1,
        checkpoints: false,
    }
    .yaml()
    .replace(
        "key_by: record }",
        &format!("key_by: record, config: {{ pad_bytes: {pad} }} }}"),
    );
    std::fs::write(dir.join("job.yaml"), yaml).unwrap();
}

/// Runs the job in `dir` to the end; returns its peak resident set in
/// bytes and its output.
fn peak_memory(dir: &Path) -> (u64, Vec<u8>) {
    let run = Running::start(dir, &[]);
    let status = format!("/proc/{}/status", run.pid());
    let mut peak = 0;
    // VmHWM only grows; the last value read before the process ends is
    // its peak but for the last few milliseconds.
    while let Ok(text) = std::fs::read_to_string(&status) {
        if let Some(kb) = text
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kb * 1024);
        }
        if text
            .lines()
            .any(|l| l.starts_with("State:") && l.contains('Z'))
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let (ok, log) = run.finish();
    assert!(ok, "{log}");
    (peak, read(&dir.join("out")))
}

#[test]
fn rocksdb_state_grows_on_disk_not_in_memory() {
    let rocksdb = "{ backend: rocksdb, block_cache_mb: 8, write_buffer_mb: 4, write_cache_mb: 4 }";
    let mut peaks = Vec::new();
    let mut outputs = Vec::new();
    for state in ["heap", rocksdb] {
        for pad in [0, PAD] {
            let dir = tempfile::tempdir().unwrap();
            write_job(dir.path(), state, pad);
            let (peak, output) = peak_memory(dir.path());
            eprintln!("{state}, {pad} bytes per key: peak RSS {} MiB", peak >> 20);
            peaks.push(peak);
            outputs.push(output);
        }
    }
    assert!(outputs.iter().all(|o| *o == outputs[0]), "outputs differ");
    assert_eq!(
        outputs[0].iter().filter(|&&b| b == b'\n').count() as u64,
        KEYS
    );
    let state = KEYS * PAD;
    let heap_growth = peaks[1].saturating_sub(peaks[0]);
    let rocksdb_growth = peaks[3].saturating_sub(peaks[2]);
    eprintln!(
        "{} MiB of state: heap +{} MiB, rocksdb +{} MiB",
        state >> 20,
        heap_growth >> 20,
        rocksdb_growth >> 20
    );
    assert!(
        heap_growth > state / 2,
        "the heap run should hold the state in memory (+{heap_growth} bytes for {state})"
    );
    assert!(
        rocksdb_growth < state / 4,
        "the RocksDB run's memory grew by {rocksdb_growth} bytes for {state} bytes of state"
    );
}
