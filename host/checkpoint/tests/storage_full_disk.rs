//! A full disk: an upload that does not fit fails, names the file, and
//! leaves no `_metadata`; the previous checkpoint stays loadable.

mod support;

use weir_checkpoint::{CheckpointStorage, Error, SnapshotKind, SnapshotPointer, StorageOptions};

use weir_test_fixtures::Tmpfs;

const TEST: &str = "uploads_that_do_not_fit_leave_no_metadata";

#[test]
fn uploads_that_do_not_fit_leave_no_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let mount_point = dir.path().join("disk");
    let Some(tmpfs) = Tmpfs::mount_or_rerun(&mount_point, "1m", TEST) else {
        return;
    };
    let root = tmpfs.path().join("checkpoints");
    let storage = CheckpointStorage::open(root.to_str().unwrap(), &StorageOptions::new()).unwrap();
    let one = support::native_checkpoint(&storage, dir.path(), 1, &[("a.sst", 1)]);

    // A 2 MiB file does not fit on a 1 MiB disk.
    let pending = storage.begin(2, SnapshotKind::Checkpoint).unwrap();
    let big = support::write(dir.path(), "big", &support::bytes(3, 2 << 20));
    let err = pending.put_file("count/0/keyed", &big).unwrap_err();
    assert!(matches!(err, Error::Upload { .. }), "{err}");
    let message = err.to_string();
    eprintln!("full disk: {message}");
    assert!(message.contains("chk-2/count/0/keyed"), "{message}");
    assert!(message.contains("checkpoint 2"), "{message}");
    assert!(!root.join("chk-2/_metadata").exists());

    // Nor do 2 MiB of bytes, nor a shared file.
    let err = pending
        .put("timers", support::bytes(4, 2 << 20))
        .unwrap_err();
    assert!(err.to_string().contains("chk-2/timers"), "{err}");
    let err = pending.put_shared("inst", "big.sst", &big).unwrap_err();
    assert!(err.to_string().contains("shared/inst/big.sst"), "{err}");

    // With the disk full, even `_metadata` does not fit: no partial one
    // is left behind.
    tmpfs.fill("filler");
    let err = pending
        .commit(support::metadata(SnapshotKind::Checkpoint, 2, None, None))
        .unwrap_err();
    assert!(err.to_string().contains("chk-2/_metadata"), "{err}");
    assert!(!root.join("chk-2/_metadata").exists());
    let leftovers: Vec<_> = weir_test_fixtures::files_under(&root)
        .into_iter()
        .filter(|p| p.starts_with(root.join("chk-2")))
        .collect();
    assert!(leftovers.is_empty(), "partial files left: {leftovers:?}");
    pending.abort().unwrap();

    assert_eq!(storage.latest().unwrap().unwrap().id, 1);
    let loaded = storage.load(&SnapshotPointer::Latest).unwrap();
    assert_eq!(loaded.metadata, one.metadata);
    for file in loaded.metadata.files() {
        loaded.read(file).unwrap();
    }
    drop(storage);
    drop(tmpfs);
}
