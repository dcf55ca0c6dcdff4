//! Packed batches through chains: a generator (which packs as it generates)
//! feeding chained packed UDFs (the bench's map and filter guests), ending in
//! a sink that takes packed batches (discard), in a chained sink that does
//! not (file), and in edges to another task. Every path must count and
//! deliver exactly the records the same logic keeps natively.

#[path = "support/mod.rs"]
mod support;

use std::path::Path;

use weir_runtime::{JobSummary, RunOptions};

/// Records the generator makes in each job.
const COUNT: u64 = 5_000;

/// The values the map (`3v + 1`) then filter (`v & 7 != 0`) keep, sorted.
fn expected_values() -> Vec<u64> {
    let mut kept: Vec<u64> = (0..COUNT)
        .map(|v| v.wrapping_mul(3).wrapping_add(1))
        .filter(|v| v & 7 != 0)
        .collect();
    kept.sort_unstable();
    kept
}

/// Writes and runs a generator → map → filter → `sink` job in `dir`.
fn run(dir: &Path, gen_parallelism: u32, sink: &str) -> JobSummary {
    let job = format!(
        "name: packed
batch_size: 64
sources:
  - {{ id: gen, type: generator, count: {COUNT}, keys: 10, value: u64_le, parallelism: {gen_parallelism} }}
operators:
  - {{ id: map, module: bench_map.wasm, parallelism: {gen_parallelism} }}
  - {{ id: filter, module: bench_filter.wasm, parallelism: {gen_parallelism} }}
sinks:
  - {sink}
edges:
  - {{ from: gen, to: map }}
  - {{ from: map, to: filter }}
  - {{ from: filter, to: out }}
"
    );
    std::fs::write(dir.join("job.yaml"), job).unwrap();
    let engine = weir_wasm::WasmEngine::new().unwrap();
    support::prepare(&engine, dir)
        .and_then(|job| job.run(&RunOptions::default()))
        .unwrap_or_else(|e| panic!("the job failed: {e}"))
}

fn records_in(summary: &JobSummary, node: &str) -> u64 {
    summary
        .nodes
        .iter()
        .find(|n| n.id == node)
        .unwrap_or_else(|| panic!("no node {node} in the summary"))
        .records_in
}

/// The 8-byte values a file sink wrote, one per line (a value may itself
/// hold a newline byte, so lines are cut by length), sorted.
fn written_values(path: &Path) -> Vec<u64> {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(bytes.len() % 9, 0, "9-byte lines");
    let mut values: Vec<u64> = bytes
        .chunks(9)
        .map(|line| {
            assert_eq!(line[8], b'\n');
            u64::from_le_bytes(line[..8].try_into().unwrap())
        })
        .collect();
    values.sort_unstable();
    values
}

#[test]
fn a_discard_sink_chained_behind_packed_udfs_counts_every_kept_record() {
    let dir = tempfile::tempdir().unwrap();
    let summary = run(dir.path(), 2, "{ id: out, type: discard, parallelism: 2 }");
    assert_eq!(records_in(&summary, "map"), COUNT);
    assert_eq!(records_in(&summary, "filter"), COUNT);
    assert_eq!(records_in(&summary, "out"), expected_values().len() as u64);
}

#[test]
fn a_chained_file_sink_and_one_behind_an_edge_write_every_kept_value() {
    let expected = expected_values();

    // Everything in one chain: the file sink decodes the packed batch.
    let dir = tempfile::tempdir().unwrap();
    let summary = run(dir.path(), 1, "{ id: out, type: file, path: out.bin }");
    assert_eq!(records_in(&summary, "out"), expected.len() as u64);
    assert_eq!(written_values(&dir.path().join("out.bin")), expected);

    // Two generator subtasks into one sink subtask: the chain ends at an
    // edge, so its packed output becomes records for the channel.
    let dir = tempfile::tempdir().unwrap();
    let summary = run(
        dir.path(),
        2,
        "{ id: out, type: file, path: out.bin, parallelism: 1 }",
    );
    assert_eq!(records_in(&summary, "out"), expected.len() as u64);
    assert_eq!(written_values(&dir.path().join("out.bin")), expected);
}
