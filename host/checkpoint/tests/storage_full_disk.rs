//! A full disk: an upload that does not fit fails, names the file, and
//! leaves no `_metadata`; the previous checkpoint stays loadable.

mod support;

use std::process::Command;

use weir_checkpoint::{CheckpointStorage, Error, SnapshotKind, SnapshotPointer, StorageOptions};

use support::tmpfs::Tmpfs;

const TEST: &str = "uploads_that_do_not_fit_leave_no_metadata";
const IN_NAMESPACE: &str = "WEIR_CHECKPOINT_TEST_IN_NAMESPACE";

#[test]
fn uploads_that_do_not_fit_leave_no_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let mount_point = dir.path().join("disk");
    let tmpfs = match Tmpfs::mount(&mount_point, "1m") {
        Ok(tmpfs) => tmpfs,
        Err(error) if std::env::var_os(IN_NAMESPACE).is_none() => {
            // Not allowed to mount here: run this test again inside a new
            // user and mount namespace.
            eprintln!("mount failed ({error}); retrying in `unshare -rm`");
            let status = Command::new("unshare")
                .args(["-rm", "--"])
                .arg(std::env::current_exe().unwrap())
                .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
                .env(IN_NAMESPACE, "1")
                .status()
                .unwrap_or_else(|e| {
                    panic!("cannot mount a tmpfs ({error}) and cannot run unshare ({e}): run as root or where user namespaces are allowed")
                });
            assert!(
                status.success(),
                "the test failed inside `unshare -rm` (or unshare itself failed: mount ({error}) did not work either)"
            );
            return;
        }
        Err(error) => panic!("cannot mount a tmpfs even inside `unshare -rm`: {error}"),
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
    fill(tmpfs.path());
    let err = pending
        .commit(support::metadata(SnapshotKind::Checkpoint, 2, None, None))
        .unwrap_err();
    assert!(err.to_string().contains("chk-2/_metadata"), "{err}");
    assert!(!root.join("chk-2/_metadata").exists());
    let leftovers: Vec<_> = walk(&root)
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

/// Fills the file system at `dir` to the last byte.
fn fill(dir: &std::path::Path) {
    use std::io::Write;
    let mut file = std::fs::File::create(dir.join("filler")).unwrap();
    let chunk = vec![0u8; 4096];
    while file.write_all(&chunk).is_ok() {}
    let mut byte = [0u8; 1];
    while file.write_all(&byte).is_ok() {
        byte[0] = 1;
    }
    let _ = file.sync_all();
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
