//! Native restores at another parallelism: key groups split and merged,
//! states matched by name although their ids differ.

mod support;

use weir_state::KeyedStateBackend;
use weir_state_rocksdb::{NativeRestore, RocksDbBackend};
use weir_types::key_group_range;

use support::{
    MAX_PARALLELISM, canonical, checkpoint, expected, fill, open, reference, small, source,
};

const KEYS: std::ops::Range<u32> = 0..400;

/// Checkpoints of `parallelism` subtasks holding `fill(KEYS)`; odd subtasks
/// register the states in reverse, so ids differ between them.
fn subtasks(work: &std::path::Path, parallelism: u32) -> Vec<(NativeRestore, u64)> {
    (0..parallelism)
        .map(|i| {
            let range = key_group_range(MAX_PARALLELISM, parallelism, i);
            let mut b = open(&work.join(format!("old-{i}")), range.clone());
            fill(&mut b, KEYS, i % 2 == 1);
            let snap = checkpoint(&mut b, work, &format!("cp-{i}"));
            (source(&snap, range), b.state_bytes())
        })
        .collect()
}

fn rescale(from: u32, to: u32) {
    let work = tempfile::tempdir().unwrap();
    let old = subtasks(work.path(), from);
    let sources: Vec<_> = old.iter().map(|(s, _)| s.clone()).collect();
    let reference = reference(KEYS);
    let mut total = 0;
    for i in 0..to {
        let range = key_group_range(MAX_PARALLELISM, to, i);
        let b = RocksDbBackend::restore_native(
            range.clone(),
            small(work.path().join(format!("new-{i}"))),
            &sources,
        )
        .unwrap();
        assert_eq!(
            canonical(&b),
            expected(&reference, range),
            "{from} -> {to}, subtask {i}"
        );
        total += b.state_bytes();
    }
    assert_eq!(total, old.iter().map(|(_, bytes)| bytes).sum::<u64>());
    assert_eq!(total, reference.state_bytes());
}

#[test]
fn two_subtasks_merge_into_one() {
    rescale(2, 1);
}

#[test]
fn one_subtask_splits_into_two() {
    rescale(1, 2);
}

#[test]
fn two_subtasks_split_into_four() {
    rescale(2, 4);
}

#[test]
fn a_rescaled_backend_takes_new_writes_and_checkpoints_again() {
    let work = tempfile::tempdir().unwrap();
    let sources: Vec<_> = subtasks(work.path(), 2)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    let mut merged = RocksDbBackend::restore_native(
        0..MAX_PARALLELISM,
        small(work.path().join("merged")),
        &sources,
    )
    .unwrap();
    fill(&mut merged, 400..500, false);
    assert_eq!(canonical(&merged), canonical(&reference(0..500)));
    let snap = checkpoint(&mut merged, work.path(), "again");
    let again = RocksDbBackend::restore_native(
        0..MAX_PARALLELISM,
        small(work.path().join("again-db")),
        &[source(&snap, 0..MAX_PARALLELISM)],
    )
    .unwrap();
    assert_eq!(canonical(&again), canonical(&merged));
}
