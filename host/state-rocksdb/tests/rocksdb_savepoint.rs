//! Savepoints are canonical and move between the heap and RocksDB backends
//! (and between parallelisms) unchanged.

mod support;

use weir_state::{BackendSnapshot, HeapBackend, HeapOptions, KeyedStateBackend, SnapshotKind};
use weir_state_rocksdb::RocksDbBackend;

use support::{MAX_PARALLELISM, canonical, fill, open, reference, small};

fn blobs(snapshot: BackendSnapshot) -> Vec<weir_state::KeyGroupBlob> {
    match snapshot {
        BackendSnapshot::KeyGroups(blobs) => blobs,
        BackendSnapshot::Native(_) => panic!("a savepoint must be canonical"),
    }
}

#[test]
fn a_rocksdb_savepoint_restores_into_heap_backends() {
    let work = tempfile::tempdir().unwrap();
    let mut rocks = open(&work.path().join("db"), 0..MAX_PARALLELISM);
    fill(&mut rocks, 0..300, false);
    let scratch = work.path().join("scratch");
    std::fs::create_dir(&scratch).unwrap();
    let blobs = blobs(rocks.snapshot(SnapshotKind::Savepoint, &scratch).unwrap());
    assert_eq!(blobs.len(), MAX_PARALLELISM as usize);
    assert_eq!(std::fs::read_dir(&scratch).unwrap().count(), 0);

    let want = canonical(&reference(0..300));
    let mut halves = [
        HeapBackend::new(0..8, HeapOptions::default()),
        HeapBackend::new(8..16, HeapOptions::default()),
    ];
    for blob in &blobs {
        let heap = &mut halves[(blob.key_group / 8) as usize];
        heap.restore_key_group(blob.key_group, &blob.bytes).unwrap();
    }
    let got: Vec<_> = halves.iter().flat_map(|h| canonical(h)).collect();
    assert_eq!(got, want);
}

#[test]
fn a_heap_savepoint_restores_into_rocksdb() {
    let work = tempfile::tempdir().unwrap();
    let mut heap = reference(0..300);
    let blobs = blobs(heap.snapshot(SnapshotKind::Savepoint, work.path()).unwrap());
    let mut rocks = RocksDbBackend::open(4..12, small(work.path().join("db"))).unwrap();
    for blob in blobs.iter().filter(|b| (4..12).contains(&b.key_group)) {
        rocks
            .restore_key_group(blob.key_group, &blob.bytes)
            .unwrap();
    }
    let want: Vec<_> = blobs
        .iter()
        .filter(|b| (4..12).contains(&b.key_group))
        .map(|b| (b.key_group, b.bytes.clone()))
        .collect();
    assert_eq!(canonical(&rocks), want);
    // Restoring a key group again replaces it rather than adding to it.
    let bytes = rocks.state_bytes();
    rocks.restore_key_group(5, &blobs[5].bytes).unwrap();
    assert_eq!(rocks.state_bytes(), bytes);
    assert_eq!(canonical(&rocks), want);
}
