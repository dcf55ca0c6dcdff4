//! Native checkpoints: restore at the same key groups, incremental SST
//! sharing, and clear failures on damaged or foreign snapshots.

mod support;

use std::fs;

use weir_state::{KeyedStateBackend, StateError};
use weir_state_rocksdb::{
    MARKER_FILE, NATIVE_FORMAT, RocksDbBackend, RocksDbError, RocksDbOptions,
};

use support::{
    MAX_PARALLELISM, canonical, checkpoint, expected, fill, fill_states, open, reference, scope,
    small, source,
};

const ALL: std::ops::Range<u32> = 0..MAX_PARALLELISM;

#[test]
fn checkpoint_restores_at_the_same_key_groups() {
    let work = tempfile::tempdir().unwrap();
    let mut b = open(&work.path().join("db"), ALL);
    fill(&mut b, 0..500, false);
    let snap = checkpoint(&mut b, work.path(), "cp");
    let bytes = b.state_bytes();

    assert_eq!(snap.format, NATIVE_FORMAT);
    assert_eq!(snap.instance, b.instance());
    assert_eq!(snap.instance.len(), 32);
    let names: Vec<_> = snap.files.iter().map(|f| f.name.as_str()).collect();
    assert!(
        names.contains(&MARKER_FILE) && names.contains(&"CURRENT"),
        "{names:?}"
    );
    assert!(snap.files.iter().any(|f| f.shared), "{names:?}");
    for f in &snap.files {
        assert_eq!(f.shared, f.name.ends_with(".sst"), "{}", f.name);
        assert_eq!(fs::metadata(snap.dir.join(&f.name)).unwrap().len(), f.size);
    }

    // Writes after the checkpoint are not in it.
    fill(&mut b, 500..600, false);
    let restored =
        RocksDbBackend::restore_native(ALL, small(work.path().join("r")), &[source(&snap, ALL)])
            .unwrap();
    assert_ne!(restored.instance(), snap.instance);
    assert_eq!(restored.state_bytes(), bytes);
    let want = expected(&reference(0..500), ALL);
    assert_eq!(canonical(&restored), want);

    // The operator registers again by name and carries on.
    let mut restored = restored;
    let ids: Vec<_> = fill_states()
        .iter()
        .map(|d| restored.register(d).unwrap())
        .collect();
    let key = b"key-7";
    assert_eq!(
        restored.value_get(ids[0], scope(key), 0).unwrap(),
        Some(7u32.to_le_bytes().to_vec())
    );
    assert_eq!(
        restored.list_get(ids[2], scope(key), 0).unwrap(),
        [b"a".to_vec(), b"7".to_vec()]
    );
    fill(&mut restored, 500..600, false);
    assert_eq!(canonical(&restored), canonical(&b));
    assert_eq!(restored.state_bytes(), b.state_bytes());
}

#[test]
fn a_second_checkpoint_shares_unchanged_sst_files() {
    let work = tempfile::tempdir().unwrap();
    let mut b = open(&work.path().join("db"), ALL);
    fill(&mut b, 0..300, false);
    let first = checkpoint(&mut b, work.path(), "cp1");
    fill(&mut b, 300..600, false);
    let second = checkpoint(&mut b, work.path(), "cp2");

    assert_eq!(first.instance, second.instance);
    let ssts = |s: &weir_state::NativeSnapshot| -> Vec<(String, u64)> {
        s.files
            .iter()
            .filter(|f| f.shared)
            .map(|f| (f.name.clone(), f.size))
            .collect()
    };
    let (a, c) = (ssts(&first), ssts(&second));
    let shared: Vec<_> = a.iter().filter(|f| c.contains(f)).collect();
    assert!(!shared.is_empty(), "first {a:?}, second {c:?}");
    assert!(c.iter().any(|f| !a.contains(f)), "the second adds files");
    for (name, _) in shared {
        assert_eq!(
            fs::read(first.dir.join(name)).unwrap(),
            fs::read(second.dir.join(name)).unwrap()
        );
    }
}

/// A copy of a checkpoint's folder to break.
fn damaged_copy(snap: &weir_state::NativeSnapshot, to: &std::path::Path) -> std::path::PathBuf {
    fs::create_dir_all(to).unwrap();
    for f in &snap.files {
        fs::copy(snap.dir.join(&f.name), to.join(&f.name)).unwrap();
    }
    to.to_owned()
}

#[test]
fn damaged_or_foreign_snapshots_fail_naming_the_file() {
    let work = tempfile::tempdir().unwrap();
    let mut b = open(&work.path().join("db"), ALL);
    fill(&mut b, 0..200, false);
    let snap = checkpoint(&mut b, work.path(), "cp");
    let sst = snap.files.iter().find(|f| f.shared).unwrap().name.clone();
    let restore = |dir: std::path::PathBuf| {
        RocksDbBackend::restore_native(
            ALL,
            small(work.path().join("r")),
            &[weir_state_rocksdb::NativeRestore {
                key_groups: ALL,
                dir,
            }],
        )
        .unwrap_err()
    };

    let missing = damaged_copy(&snap, &work.path().join("missing"));
    fs::remove_file(missing.join(&sst)).unwrap();
    let err = restore(missing.clone());
    assert!(matches!(err, RocksDbError::MissingFile { .. }), "{err}");
    assert!(err.to_string().contains(&sst), "{err}");

    let truncated = damaged_copy(&snap, &work.path().join("truncated"));
    let bytes = fs::read(truncated.join(&sst)).unwrap();
    fs::write(truncated.join(&sst), &bytes[..bytes.len() / 2]).unwrap();
    let err = restore(truncated);
    assert!(matches!(err, RocksDbError::CorruptFile { .. }), "{err}");
    assert!(err.to_string().contains(&sst), "{err}");

    // Same size, flipped bytes: RocksDB's block checksums catch it when the
    // data is read, which a rescaling restore does for every key group.
    let flipped = damaged_copy(&snap, &work.path().join("flipped"));
    let mut bytes = fs::read(flipped.join(&sst)).unwrap();
    let half = bytes.len() / 2;
    for b in &mut bytes[..half] {
        *b ^= 0x5a;
    }
    fs::write(flipped.join(&sst), &bytes).unwrap();
    let err = RocksDbBackend::restore_native(
        0..8,
        small(work.path().join("r")),
        &[weir_state_rocksdb::NativeRestore {
            key_groups: ALL,
            dir: flipped,
        }],
    )
    .unwrap_err();
    assert!(err.to_string().contains(&sst), "{err}");

    let no_marker = damaged_copy(&snap, &work.path().join("no-marker"));
    fs::remove_file(no_marker.join(MARKER_FILE)).unwrap();
    let err = restore(no_marker);
    assert!(err.to_string().contains(MARKER_FILE), "{err}");

    let foreign = damaged_copy(&snap, &work.path().join("foreign"));
    let marker = fs::read_to_string(foreign.join(MARKER_FILE)).unwrap();
    fs::write(
        foreign.join(MARKER_FILE),
        marker.replace(NATIVE_FORMAT, "rocksdb-9"),
    )
    .unwrap();
    let err = restore(foreign);
    assert!(
        matches!(err, RocksDbError::UnknownFormat { ref found, .. } if found == "rocksdb-9"),
        "{err}"
    );

    // A source must hold the key groups the caller says it holds, and the
    // sources must cover the range exactly once.
    let err =
        RocksDbBackend::restore_native(0..8, small(work.path().join("r")), &[source(&snap, 0..8)])
            .unwrap_err();
    assert!(matches!(err, RocksDbError::Malformed { .. }), "{err}");
    let err =
        RocksDbBackend::restore_native(0..16, small(work.path().join("r")), &[source(&snap, 0..8)])
            .unwrap_err();
    assert!(
        err.to_string().contains("no source holds key group 8"),
        "{err}"
    );
    let err = RocksDbBackend::restore_native(
        0..16,
        small(work.path().join("r")),
        &[source(&snap, 0..16), source(&snap, 4..8)],
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("two sources hold key group 4"),
        "{err}"
    );
    let err = RocksDbBackend::restore_native(0..16, small(work.path().join("r")), &[]).unwrap_err();
    assert!(matches!(err, RocksDbError::Sources { .. }), "{err}");
}

#[test]
fn a_native_restore_over_the_quota_fails() {
    let work = tempfile::tempdir().unwrap();
    let mut b = open(&work.path().join("db"), ALL);
    fill(&mut b, 0..50, false);
    let snap = checkpoint(&mut b, work.path(), "cp");
    let err = RocksDbBackend::restore_native(
        ALL,
        RocksDbOptions {
            max_state_bytes: Some(b.state_bytes() - 1),
            ..small(work.path().join("r"))
        },
        &[source(&snap, ALL)],
    )
    .unwrap_err();
    assert!(
        matches!(err, RocksDbError::State(StateError::QuotaExceeded { .. })),
        "{err}"
    );
}
