//! Shared helpers for the storage tests: sample snapshots and the
//! scenarios run against every kind of storage. The moto S3 server and the
//! small tmpfs come from `weir-test-fixtures`.

#![allow(dead_code)] // each test file uses a different part

use std::path::{Path, PathBuf};

use weir_checkpoint::{
    CheckpointMetadata, CheckpointStorage, CompletedCheckpoint, Error, FileRef, KeyGroupsHandle,
    KeyedStateHandle, NodeSnapshot, PendingCheckpoint, SnapshotKind, SnapshotPointer,
    SubtaskSnapshot,
};
use weir_state::{NativeFile, NativeSnapshot};

/// Deterministic bytes of a given length, different per `seed`.
pub fn bytes(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Writes `bytes` to `dir/name`, returning the path.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A native snapshot folder under `work` with the given shared `.sst`
/// files (name, seed) and one exclusive MANIFEST.
pub fn native_snapshot(
    work: &Path,
    id: u64,
    instance: &str,
    ssts: &[(&str, u8)],
) -> NativeSnapshot {
    let dir = work.join(format!("native-{instance}-{id}"));
    let mut files = Vec::new();
    for &(name, seed) in ssts {
        let content = bytes(seed, 1000 + seed as usize);
        write(&dir, name, &content);
        files.push(NativeFile {
            name: name.to_owned(),
            size: content.len() as u64,
            shared: true,
        });
    }
    let manifest = format!("MANIFEST of {id}: {ssts:?}");
    write(&dir, "MANIFEST", manifest.as_bytes());
    files.push(NativeFile {
        name: "MANIFEST".to_owned(),
        size: manifest.len() as u64,
        shared: false,
    });
    NativeSnapshot {
        format: "rocksdb-1".to_owned(),
        instance: instance.to_owned(),
        dir,
        files,
    }
}

/// Metadata with one keyed node whose single subtask has `keyed` state.
pub fn metadata(
    kind: SnapshotKind,
    id: u64,
    keyed: Option<KeyedStateHandle>,
    timers: Option<KeyGroupsHandle>,
) -> CheckpointMetadata {
    let mut metadata =
        CheckpointMetadata::new(kind, id, "test-job", 1_700_000_000_000 + id as i64, 16);
    metadata.nodes.insert(
        "count".to_owned(),
        NodeSnapshot {
            parallelism: 1,
            module: None,
            state_backend: Some("rocksdb".to_owned()),
            subtasks: vec![SubtaskSnapshot {
                key_groups: Some((0, 16)),
                keyed_state: keyed,
                timers,
                source_position: Some(serde_json::json!({ "offset": id })),
                sink: None,
                sink_data: None,
            }],
        },
    );
    metadata
}

/// Takes an incremental checkpoint `id` of a native snapshot with `ssts`.
pub fn native_checkpoint(
    storage: &CheckpointStorage,
    work: &Path,
    id: u64,
    ssts: &[(&str, u8)],
) -> CompletedCheckpoint {
    let pending = storage.begin(id, SnapshotKind::Checkpoint).unwrap();
    let native = pending
        .put_native(&native_snapshot(work, id, "inst", ssts))
        .unwrap();
    pending
        .commit(metadata(
            SnapshotKind::Checkpoint,
            id,
            Some(KeyedStateHandle::Native(native)),
            None,
        ))
        .unwrap()
}

/// The shared files a checkpoint references.
pub fn shared_files(metadata: &CheckpointMetadata) -> Vec<FileRef> {
    metadata
        .files()
        .into_iter()
        .filter(|f| f.is_shared())
        .cloned()
        .collect()
}

/// Whether `file` can still be read.
pub fn exists(storage: &CheckpointStorage, file: &FileRef) -> bool {
    match storage.read(file) {
        Ok(_) => true,
        Err(Error::Store {
            source: object_store::Error::NotFound { .. },
            ..
        }) => false,
        Err(e) => panic!("reading {}: {e}", file.path),
    }
}

/// Every kind of file, uploaded from several threads, committed, found by
/// `latest`, loaded three ways, read and downloaded back byte for byte.
pub fn round_trip(storage: &CheckpointStorage, work: &Path) {
    let pending = storage.begin(1, SnapshotKind::Checkpoint).unwrap();

    // Key groups and exclusive bytes from several subtask threads at once.
    let handles: Vec<KeyGroupsHandle> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..4u32)
            .map(|subtask| {
                let pending: PendingCheckpoint = pending.clone();
                scope.spawn(move || {
                    let blobs = (subtask * 4..subtask * 4 + 4)
                        .map(|kg| (kg, bytes(kg as u8, 100 + kg as usize)));
                    KeyGroupsHandle::write(&pending, &format!("count/{subtask}/timers"), blobs)
                        .unwrap()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });

    // A file large enough for a multipart upload.
    let big_local = write(work, "big.bin", &bytes(7, 9 << 20));
    let big = pending.put_file("count/0/big", &big_local).unwrap();
    assert_eq!(big.size, 9 << 20);
    let small = pending.put("sink-0", b"{\"txn\": 5}".to_vec()).unwrap();
    let native = pending
        .put_native(&native_snapshot(
            work,
            1,
            "inst",
            &[("1.sst", 1), ("2.sst", 2)],
        ))
        .unwrap();

    let err = pending.put("sink-0", b"again".to_vec()).unwrap_err();
    assert!(matches!(err, Error::DuplicateFile { .. }), "{err}");

    let mut metadata = metadata(
        SnapshotKind::Checkpoint,
        1,
        Some(KeyedStateHandle::Native(native.clone())),
        Some(handles[0].clone()),
    );
    let node = metadata.nodes.get_mut("count").unwrap();
    for handle in &handles[1..] {
        node.subtasks.push(SubtaskSnapshot {
            keyed_state: Some(KeyedStateHandle::KeyGroups(handle.clone())),
            ..SubtaskSnapshot::default()
        });
    }
    node.subtasks.push(SubtaskSnapshot {
        keyed_state: Some(KeyedStateHandle::KeyGroups(KeyGroupsHandle {
            file: big.clone(),
            groups: vec![],
        })),
        sink: Some(serde_json::json!({ "file": small.path })),
        ..SubtaskSnapshot::default()
    });
    node.parallelism = node.subtasks.len() as u32;

    let completed = pending.commit(metadata.clone()).unwrap();
    assert_eq!(completed.metadata, metadata);
    // Nothing was shared yet; the sink's file is uploaded but referenced
    // from its JSON only.
    assert_eq!(
        completed.uploaded_bytes,
        completed.checkpointed_bytes() + small.size
    );
    assert!(
        completed.location.ends_with("/chk-1"),
        "{}",
        completed.location
    );
    assert!(matches!(
        pending.commit(metadata.clone()),
        Err(Error::Closed { .. })
    ));

    assert_eq!(storage.latest().unwrap(), Some(metadata.clone()));
    let by_latest = storage.load(&SnapshotPointer::Latest).unwrap();
    let by_id = storage.load(&SnapshotPointer::Id(1)).unwrap();
    let by_folder = storage
        .load(&SnapshotPointer::Location(completed.location.clone()))
        .unwrap();
    for loaded in [&by_latest, &by_id, &by_folder] {
        assert_eq!(loaded.metadata, metadata);
        assert_eq!(loaded.location, completed.location);
    }

    for (subtask, handle) in handles.iter().enumerate() {
        let first = subtask as u32 * 4;
        for kg in first..first + 4 {
            let blob = handle.read_group(&by_folder.storage, kg).unwrap().unwrap();
            assert_eq!(blob, bytes(kg as u8, 100 + kg as usize));
        }
        assert_eq!(handle.read_group(storage, 99).unwrap(), None);
        let range = handle.read_groups(storage, first + 1..first + 3).unwrap();
        assert_eq!(
            range.iter().map(|(kg, _)| *kg).collect::<Vec<_>>(),
            vec![first + 1, first + 2]
        );
        assert_eq!(range[1].1, bytes(first as u8 + 2, 102 + first as usize));
    }
    assert_eq!(&by_id.read(&small).unwrap()[..], b"{\"txn\": 5}");
    let big_copy = work.join("restore/big.bin");
    by_latest.download(&big, &big_copy).unwrap();
    assert_eq!(std::fs::read(&big_copy).unwrap(), bytes(7, 9 << 20));
    for file in &native.files {
        let local = work.join("restore/native").join(&file.name);
        storage.download(&file.file, &local).unwrap();
        let original = std::fs::read(work.join("native-inst-1").join(&file.name)).unwrap();
        assert_eq!(std::fs::read(&local).unwrap(), original, "{}", file.name);
    }
}

/// Three checkpoints sharing files, a restart, and retention deleting
/// exactly the files no kept checkpoint references.
pub fn incremental(location: &str, options: &weir_checkpoint::StorageOptions, work: &Path) {
    let storage = CheckpointStorage::open(location, options).unwrap();
    let one = native_checkpoint(&storage, work, 1, &[("a.sst", 1), ("b.sst", 2)]);
    let two = native_checkpoint(&storage, work, 2, &[("b.sst", 2), ("c.sst", 3)]);
    let b_size = 1002;
    assert_eq!(
        two.uploaded_bytes,
        two.checkpointed_bytes() - b_size,
        "b.sst was reused, not uploaded again"
    );

    // A restart learns what is shared from the metadata in storage.
    drop(storage);
    let storage = CheckpointStorage::open(location, options).unwrap();
    let three = native_checkpoint(&storage, work, 3, &[("c.sst", 3), ("d.sst", 4)]);
    assert_eq!(three.uploaded_bytes, three.checkpointed_bytes() - 1003);

    let [a, b] = shared_files(&one.metadata).try_into().unwrap();
    let [_, c] = shared_files(&two.metadata).try_into().unwrap();
    let [_, d] = shared_files(&three.metadata).try_into().unwrap();
    assert_eq!(b, shared_files(&two.metadata)[0]);

    let report = storage.subsume(2).unwrap();
    assert_eq!(report.retained, vec![3, 2]);
    assert_eq!(report.deleted_checkpoints, vec![1]);
    assert_eq!(report.deleted_shared, vec![a.path.clone()]);
    assert!(!exists(&storage, &a));
    assert!(exists(&storage, &b) && exists(&storage, &c) && exists(&storage, &d));
    let err = storage.load(&SnapshotPointer::Id(1)).unwrap_err();
    assert!(matches!(err, Error::MetadataMissing { .. }), "{err}");

    let report = storage.subsume(1).unwrap();
    assert_eq!(report.deleted_checkpoints, vec![2]);
    assert_eq!(report.deleted_shared, vec![b.path.clone()]);
    assert!(exists(&storage, &c) && exists(&storage, &d));
    assert_eq!(storage.latest().unwrap().unwrap().id, 3);
    for file in three.metadata.files() {
        assert!(exists(&storage, file), "{}", file.path);
    }
}

/// A savepoint: self-contained in its folder, loadable by its location,
/// disposable; a checkpoint is not disposable.
pub fn savepoint(
    storage: &CheckpointStorage,
    options: &weir_checkpoint::StorageOptions,
    target: &str,
    work: &Path,
) {
    let pending = storage.begin_savepoint(10, target).unwrap();
    let native = pending
        .put_native(&native_snapshot(work, 10, "sp", &[("x.sst", 9)]))
        .unwrap();
    let timers = KeyGroupsHandle::write(&pending, "timers", [(0, b"t0".as_slice())]).unwrap();
    let completed = pending
        .commit(metadata(
            SnapshotKind::Savepoint,
            10,
            Some(KeyedStateHandle::Native(native)),
            Some(timers.clone()),
        ))
        .unwrap();
    assert_eq!(completed.location, target.trim_end_matches('/'));
    for file in completed.metadata.files() {
        assert!(!file.path.starts_with(".."), "{}", file.path);
    }

    let loaded = storage
        .load(&SnapshotPointer::Location(target.to_owned()))
        .unwrap();
    assert_eq!(loaded.metadata.kind, SnapshotKind::Savepoint);
    assert_eq!(
        timers.read_group(&loaded.storage, 0).unwrap().as_deref(),
        Some(&b"t0"[..])
    );
    for file in loaded.metadata.files() {
        loaded.read(file).unwrap();
    }

    // A completed checkpoint is refused; the savepoint goes.
    let checkpoint = storage
        .load(&SnapshotPointer::Latest)
        .expect("call after a checkpoint was taken");
    let err = CheckpointStorage::dispose(&checkpoint.location, options).unwrap_err();
    assert!(matches!(err, Error::NotASavepoint { .. }), "{err}");
    assert!(err.to_string().contains(&checkpoint.location), "{err}");
    CheckpointStorage::dispose(target, options).unwrap();
    let err = storage
        .load(&SnapshotPointer::Location(target.to_owned()))
        .unwrap_err();
    assert!(matches!(err, Error::MetadataMissing { .. }), "{err}");
}

/// Storage options pointing at a moto server.
pub fn moto_options(moto: &weir_test_fixtures::Moto) -> weir_checkpoint::StorageOptions {
    moto.options().into_iter().collect()
}
