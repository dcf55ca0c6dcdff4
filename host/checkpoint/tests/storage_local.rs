//! Checkpoint storage on a local folder.

mod support;

use weir_checkpoint::{
    CheckpointStorage, Error, KeyGroupsHandle, KeyedStateHandle, SnapshotKind, SnapshotPointer,
    StorageOptions,
};

use support::{exists, metadata, native_checkpoint, native_snapshot, shared_files};

fn options() -> StorageOptions {
    StorageOptions::new()
}

#[test]
fn round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let root = format!("file://{}", dir.path().join("checkpoints").display());
    let storage = CheckpointStorage::open(&root, &options()).unwrap();
    assert_eq!(storage.location(), root);
    assert_eq!(storage.latest().unwrap(), None);
    let err = storage.load(&SnapshotPointer::Latest).unwrap_err();
    assert!(matches!(err, Error::NoCheckpoint { .. }), "{err}");

    support::round_trip(&storage, &dir.path().join("work"));
    assert!(dir.path().join("checkpoints/chk-1/_metadata").is_file());
    assert!(dir.path().join("checkpoints/shared/inst/1.sst").is_file());
}

#[test]
fn plain_paths_work_too() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("c");
    let storage = CheckpointStorage::open(root.to_str().unwrap(), &options()).unwrap();
    assert_eq!(storage.location(), format!("file://{}", root.display()));
    native_checkpoint(&storage, dir.path(), 1, &[("a.sst", 1)]);
    let loaded = storage
        .load(&SnapshotPointer::Location(
            root.join("chk-1").display().to_string(),
        ))
        .unwrap();
    assert_eq!(loaded.metadata.id, 1);
}

#[test]
fn incremental_checkpoints_and_retention() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("c");
    support::incremental(root.to_str().unwrap(), &options(), &dir.path().join("work"));
    let left: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut left = left;
    left.sort();
    assert_eq!(left, ["chk-3", "shared"]);
    let mut shared: Vec<_> = std::fs::read_dir(root.join("shared/inst"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    shared.sort();
    assert_eq!(shared, ["c.sst", "d.sst"]);
}

#[test]
fn full_checkpoints_upload_every_file_every_time() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("c");
    let storage = CheckpointStorage::open(root.to_str().unwrap(), &options()).unwrap();
    storage.set_incremental(false);
    let first = native_checkpoint(&storage, dir.path(), 1, &[("a.sst", 1), ("b.sst", 2)]);
    let second = native_checkpoint(&storage, dir.path(), 2, &[("a.sst", 1), ("b.sst", 2)]);
    for completed in [&first, &second] {
        assert!(shared_files(&completed.metadata).is_empty());
        assert_eq!(completed.uploaded_bytes, completed.checkpointed_bytes());
    }
    assert!(!root.join("shared").exists());
    // Retention drops the subsumed checkpoint with all its files; the
    // retained one stands on its own.
    storage.subsume(1).unwrap();
    assert!(!root.join("chk-1").exists());
    let loaded = storage.load(&SnapshotPointer::Latest).unwrap();
    for file in loaded.metadata.files() {
        loaded.read(file).unwrap();
    }

    // Back to incremental: the next checkpoint shares its files again.
    storage.set_incremental(true);
    let third = native_checkpoint(&storage, dir.path(), 3, &[("a.sst", 1), ("b.sst", 2)]);
    assert_eq!(shared_files(&third.metadata).len(), 2);
}

#[test]
fn missing_or_cut_files_are_found_before_a_restore() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("c");
    let storage = CheckpointStorage::open(root.to_str().unwrap(), &options()).unwrap();
    let completed = native_checkpoint(&storage, dir.path(), 1, &[("a.sst", 1), ("b.sst", 2)]);
    let loaded = storage.load(&SnapshotPointer::Latest).unwrap();
    loaded.verify().unwrap();
    let file = shared_files(&completed.metadata)[0].clone();
    let path = root.join(&file.path);
    let bytes = std::fs::read(&path).unwrap();

    std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
    let err = loaded.verify().unwrap_err();
    assert!(matches!(err, Error::FileDamaged { .. }), "{err}");
    assert!(err.to_string().contains(&file.path), "{err}");
    let err = loaded.read(&file).unwrap_err();
    assert!(
        matches!(err, Error::FileDamaged { found, .. } if found == file.size - 1),
        "{err}"
    );
    let local = dir.path().join("downloaded");
    let err = loaded.download(&file, &local).unwrap_err();
    assert!(matches!(err, Error::FileDamaged { .. }), "{err}");
    assert!(!local.exists(), "a damaged download is not left behind");

    std::fs::remove_file(&path).unwrap();
    let err = loaded.verify().unwrap_err();
    assert!(matches!(err, Error::FileMissing { .. }), "{err}");
    assert!(err.to_string().contains(&file.path), "{err}");
}

#[test]
fn savepoints() {
    let dir = tempfile::tempdir().unwrap();
    let storage =
        CheckpointStorage::open(dir.path().join("c").to_str().unwrap(), &options()).unwrap();
    native_checkpoint(&storage, dir.path(), 1, &[("a.sst", 1)]);
    let target = dir.path().join("savepoints/sp-10");
    let target_url = format!("file://{}", target.display());
    support::savepoint(&storage, &options(), &target_url, &dir.path().join("work"));
    assert!(!target.exists(), "disposing removes the folder");
}

#[test]
fn a_savepoint_holds_all_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let storage =
        CheckpointStorage::open(dir.path().join("c").to_str().unwrap(), &options()).unwrap();
    let target = dir.path().join("sp");
    let pending = storage
        .begin_savepoint(4, target.to_str().unwrap())
        .unwrap();
    let native = pending
        .put_native(&native_snapshot(dir.path(), 4, "i", &[("1.sst", 1)]))
        .unwrap();
    pending
        .commit(metadata(
            SnapshotKind::Savepoint,
            4,
            Some(KeyedStateHandle::Native(native)),
            None,
        ))
        .unwrap();

    // Moved elsewhere, it still loads: nothing refers outside the folder.
    let moved = dir.path().join("moved");
    std::fs::rename(&target, &moved).unwrap();
    assert!(!dir.path().join("c/shared").exists());
    let loaded = storage
        .load(&SnapshotPointer::Location(moved.display().to_string()))
        .unwrap();
    for file in loaded.metadata.files() {
        loaded.read(file).unwrap();
    }
    let err = storage
        .begin_savepoint(4, moved.to_str().unwrap())
        .unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
}

#[test]
fn missing_or_corrupt_metadata_is_never_restored() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("c");
    let storage = CheckpointStorage::open(root.to_str().unwrap(), &options()).unwrap();
    for id in 1..=4 {
        native_checkpoint(&storage, dir.path(), id, &[("a.sst", 1)]);
    }
    // 4: the upload never finished. 3: garbage. 2: a newer format.
    std::fs::remove_file(root.join("chk-4/_metadata")).unwrap();
    std::fs::write(root.join("chk-3/_metadata"), b"{\"format\": \"weir-che").unwrap();
    let two = std::fs::read_to_string(root.join("chk-2/_metadata")).unwrap();
    std::fs::write(
        root.join("chk-2/_metadata"),
        two.replace("\"version\": 1", "\"version\": 2"),
    )
    .unwrap();

    let reopened = CheckpointStorage::open(root.to_str().unwrap(), &options()).unwrap();
    for storage in [&storage, &reopened] {
        assert_eq!(storage.latest().unwrap().unwrap().id, 1);
        assert_eq!(
            storage.load(&SnapshotPointer::Latest).unwrap().metadata.id,
            1
        );

        let err = storage.load(&SnapshotPointer::Id(4)).unwrap_err();
        assert!(matches!(err, Error::MetadataMissing { .. }), "{err}");
        assert!(err.to_string().contains("chk-4/_metadata"), "{err}");

        let err = storage.load(&SnapshotPointer::Id(3)).unwrap_err();
        assert!(matches!(err, Error::MetadataCorrupt { .. }), "{err}");
        assert!(err.to_string().contains("chk-3/_metadata"), "{err}");

        let err = storage.load(&SnapshotPointer::Id(2)).unwrap_err();
        assert!(matches!(err, Error::UnsupportedFormat { .. }), "{err}");
        assert!(err.to_string().contains("version 2"), "{err}");
    }

    // Retention counts only valid checkpoints and drops the broken older ones;
    // chk-4 is newer than the newest valid one, so it may be in flight.
    let report = reopened.subsume(1).unwrap();
    assert_eq!(report.retained, vec![1]);
    assert_eq!(report.deleted_checkpoints, Vec::<u64>::new());
    assert!(root.join("chk-4").exists());
}

#[test]
fn a_checkpoint_id_is_committed_once() {
    let dir = tempfile::tempdir().unwrap();
    let storage = CheckpointStorage::open(dir.path().to_str().unwrap(), &options()).unwrap();
    native_checkpoint(&storage, dir.path(), 1, &[("a.sst", 1)]);
    let err = storage.begin(1, SnapshotKind::Checkpoint).unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
}

#[test]
fn abort_deletes_what_it_uploaded_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("c");
    let storage = CheckpointStorage::open(root.to_str().unwrap(), &options()).unwrap();
    let one = native_checkpoint(&storage, dir.path(), 1, &[("a.sst", 1)]);
    let [a] = shared_files(&one.metadata).try_into().unwrap();

    let pending = storage.begin(2, SnapshotKind::Checkpoint).unwrap();
    let native = pending
        .put_native(&native_snapshot(
            dir.path(),
            2,
            "inst",
            &[("a.sst", 1), ("b.sst", 2)],
        ))
        .unwrap();
    let b = native.files[1].file.clone();
    assert!(exists(&storage, &b));
    pending.put("timers", b"t".to_vec()).unwrap();
    assert!(root.join("chk-2/timers").is_file());

    pending.abort().unwrap();
    pending.abort().unwrap();
    assert!(!root.join("chk-2").exists());
    assert!(
        !exists(&storage, &b),
        "uploaded by the aborted checkpoint only"
    );
    assert!(exists(&storage, &a), "still referenced by checkpoint 1");
    let err = pending.put("late", b"x".to_vec()).unwrap_err();
    assert!(matches!(err, Error::Closed { .. }), "{err}");
    assert!(
        err.to_string().contains("checkpoint 2 is already aborted"),
        "{err}"
    );
    assert_eq!(storage.latest().unwrap().unwrap().id, 1);
}

#[test]
fn commit_checks_the_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let storage = CheckpointStorage::open(dir.path().to_str().unwrap(), &options()).unwrap();
    let one = native_checkpoint(&storage, dir.path(), 1, &[("a.sst", 1)]);

    let pending = storage.begin(2, SnapshotKind::Checkpoint).unwrap();
    let err = pending
        .commit(metadata(SnapshotKind::Checkpoint, 3, None, None))
        .unwrap_err();
    assert!(matches!(err, Error::MetadataMismatch { .. }), "{err}");

    // chk-1's exclusive MANIFEST is not this checkpoint's to reference.
    let keyed = one.metadata.nodes["count"].subtasks[0].keyed_state.clone();
    let err = pending
        .commit(metadata(SnapshotKind::Checkpoint, 2, keyed, None))
        .unwrap_err();
    assert!(matches!(err, Error::UnknownFile { .. }), "{err}");
    assert!(
        err.to_string().contains("chk-1/native/inst/MANIFEST"),
        "{err}"
    );

    let timers =
        KeyGroupsHandle::write(&pending, "t", [(1, b"x".as_slice()), (1, b"y")]).unwrap_err();
    assert!(timers.to_string().contains("given twice"), "{timers}");
    let err = pending.put("../escape", b"x".to_vec()).unwrap_err();
    assert!(matches!(err, Error::InvalidFileName { .. }), "{err}");
    pending
        .commit(metadata(SnapshotKind::Checkpoint, 2, None, None))
        .unwrap();
}

#[test]
fn invalid_locations_and_options_are_named() {
    let err = CheckpointStorage::open("gs://bucket/x", &options()).unwrap_err();
    assert!(err.to_string().contains("gs://bucket/x"), "{err}");
    let err = CheckpointStorage::open(
        "s3://bucket/x",
        &StorageOptions::new().with("no_such_option", "1"),
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidOption { .. }), "{err}");
    assert!(err.to_string().contains("no_such_option"), "{err}");
}
